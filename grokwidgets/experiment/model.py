"""The model: parameters, the network's forward and backward passes, the loss for samplers.

    h      = E[a] @ W_a + E[b] @ W_b          (hidden pre-activation, width ``hidden``)
    logits = (h ** 2) @ W_out                 (``p`` classes)

See :mod:`grokwidgets.experiment` for the whole story.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping

import numpy as np

from grokwidgets._validation import AnyOf, InstanceOf, as_array, describe, validate_params
from grokwidgets.experiment.blas import single_threaded_blas
from grokwidgets.experiment.config import RunConfig
from grokwidgets.experiment.data import Dataset, rngs
from grokwidgets.experiment.results import Run

_OUT_SCALE = 0.1  # initial scale of W_out relative to 1/sqrt(hidden); see init_params
_CONFIG = InstanceOf(RunConfig, "a RunConfig")
_DATASET = InstanceOf(Dataset, "a Dataset")


@validate_params({"config": _CONFIG})
def init_params(config: RunConfig) -> dict[str, np.ndarray]:
    """The seeded float32 initialization for ``config``.

    Every hidden pre-activation starts with variance about 2 whatever the widths:
    the embedding is standard normal and ``W_a``, ``W_b`` are scaled by
    ``1/sqrt(rows)`` (one-hot inputs: standard normal, as the embedding times
    ``W_a`` would be). ``W_out`` is scaled by ``0.1/sqrt(hidden)``, so the initial
    logits are small and the loss starts at chance, ``log p`` (with
    ``1/sqrt(hidden)`` it started near 8 nats at p = 53, twice chance).
    """
    _, rng = rngs(config.seed)
    params = {}
    for name, shape in config.param_shapes.items():
        x = rng.standard_normal(shape)
        if name in ("w_a", "w_b") and config.embed_dim is not None:
            x /= math.sqrt(config.embed_dim)
        elif name == "w_out":
            x *= _OUT_SCALE / math.sqrt(config.hidden)
        params[name] = x.astype(np.float32)
    return params


@validate_params({"config": _CONFIG})
def flatten_params(params: Mapping[str, np.ndarray], config: RunConfig) -> np.ndarray:
    """Concatenate ``params`` into one flat vector, in ``config.param_shapes`` order.

    The dtype is kept if it is floating (float32 for training, float64 for a
    gradient check), so ``unflatten_params(flatten_params(x, c), c)`` gives ``x``
    back exactly.

    Raises
    ------
    ValueError
        If a parameter is missing, extra, of the wrong shape, or not floating.
    """
    shapes = config.param_shapes
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of name to array, got {type(params)!r}")
    if set(params) != set(shapes):
        raise ValueError(f"params must have keys {sorted(shapes)}, got {sorted(params)}")
    arrays = []
    for name, shape in shapes.items():
        x = as_array(f"params[{name!r}]", params[name])
        if x.shape != shape:
            raise ValueError(f"params[{name!r}] must have shape {shape}, got {x.shape}")
        if not np.issubdtype(x.dtype, np.floating):
            raise ValueError(f"params[{name!r}] must be floating, got dtype {x.dtype}")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"params[{name!r}] must be finite, got NaN or inf")
        arrays.append(x.ravel())
    dtype = np.result_type(*arrays)
    return np.concatenate(arrays).astype(dtype, copy=False)


@validate_params({"config": _CONFIG})
def unflatten_params(w: np.ndarray, config: RunConfig) -> dict[str, np.ndarray]:
    """Split a flat vector into named parameter arrays (views into ``w``, no copy).

    Raises
    ------
    ValueError
        If ``w`` is not a 1-D floating array of length ``config.n_params``.
    """
    given, w = w, as_array("w", w)
    if w.ndim != 1 or w.size != config.n_params or not np.issubdtype(w.dtype, np.floating):
        raise ValueError(
            f"w must be a 1-D array of length {config.n_params}, of floats, got {describe(given)}"
        )
    return views(w, config.param_shapes)


def views(w: np.ndarray, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    out, start = {}, 0
    for name, shape in shapes.items():
        n = math.prod(shape)
        out[name] = w[start : start + n].reshape(shape)
        start += n
    return out


class _Workspace:
    """Preallocated arrays for one batch size and dtype.

    A fresh (n, hidden) array per step costs more than the matmuls: arrays this
    size (~0.5 MB) come from mmap, and touching their pages again each time was
    measured at ~0.5 ms per array, against ~0.2 ms for a matmul. Reusing buffers
    took a training step from about 2.3 ms to 1.3 ms.
    """

    def __init__(self, n: int, p: int, hidden: int, dtype: np.dtype) -> None:
        self.h = np.empty((n, hidden), dtype)
        self.z = np.empty((n, hidden), dtype)
        self.dz = np.empty((n, hidden), dtype)
        self.logits = np.empty((n, p), dtype)
        self.rowmax = np.empty(n, dtype)
        self.rows = np.arange(n)
        self.g_tables = np.empty((2 * p, hidden), dtype)
        self._scatter: np.ndarray | None = None

    @property
    def scatter(self) -> np.ndarray:
        # Only minibatches need it (the training set uses the grid): made on first use.
        if self._scatter is None:
            self._scatter = np.zeros(self.g_tables.shape[:1] + self.rows.shape, self.h.dtype)
        return self._scatter


class _Net:
    """Forward and backward passes of the model over a flat parameter vector.

    Holds the shapes and, per thread, reusable work arrays for each batch size
    seen (the full training set, the test set, an SGLD minibatch), so the
    per-step work is a handful of matmuls and no large allocations.
    """

    def __init__(self, config: RunConfig) -> None:
        self.p = config.p
        self.hidden = config.hidden
        self.learned = config.embed_dim is not None
        self.shapes = config.param_shapes
        self._local = threading.local()

    def workspace(self, n: int, dtype: np.dtype) -> _Workspace:
        cache = self._local.__dict__.setdefault("cache", {})
        key = (n, np.dtype(dtype))
        ws = cache.get(key)
        if ws is None:
            if len(cache) >= 8:  # a caller cycling through batch sizes: don't hoard
                cache.clear()
            ws = cache[key] = _Workspace(n, self.p, self.hidden, dtype)
        return ws

    def hidden_tables(self, v: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        # Per-residue rows of the hidden pre-activation: h = table_a[a] + table_b[b].
        if self.learned:
            return v["embed"] @ v["w_a"], v["embed"] @ v["w_b"]
        return v["w_a"], v["w_b"]

    def logits(self, v: Mapping[str, np.ndarray], a: np.ndarray, b: np.ndarray) -> np.ndarray:
        table_a, table_b = self.hidden_tables(v)
        h = np.take(table_a, a, axis=0)
        h += np.take(table_b, b, axis=0)
        np.square(h, out=h)
        return h @ v["w_out"]

    def loss_grad(
        self,
        w: np.ndarray,
        a: np.ndarray,
        b: np.ndarray,
        y: np.ndarray,
        grad: np.ndarray | None,
        grid: np.ndarray | None = None,
    ) -> tuple[float, int]:
        """Mean cross-entropy and number correct on (a, b, y); gradient into ``grad``.

        The gradient of the gathered rows has to be summed back per residue.
        For a minibatch (pairs may repeat) that is one matmul with the (2p, n)
        one-hot matrix [onehot(a); onehot(b)], several times faster than
        ``np.add.at``. For the full training set (every pair once) ``grid``, a
        zeroed (p * p, hidden) array owned by the caller, is faster still: write
        the rows at ``a * p + b`` and sum the (p, p, hidden) grid along each axis
        (measured 140-220 us against 330 us for the matmul, one core). The grid's
        other rows must stay zero, so pass it only with the same (a, b) each time.
        """
        v = views(w, self.shapes)
        n, p = a.size, self.p
        ws = self.workspace(n, w.dtype)
        h, z, logits = ws.h, ws.z, ws.logits
        table_a, table_b = self.hidden_tables(v)
        np.take(table_a, a, axis=0, out=h)
        np.take(table_b, b, axis=0, out=z)
        h += z
        np.square(h, out=z)
        np.matmul(z, v["w_out"], out=logits)
        correct = int(np.count_nonzero(logits.argmax(axis=1) == y))
        np.max(logits, axis=1, out=ws.rowmax)
        logits -= ws.rowmax[:, None]
        target = logits[ws.rows, y]
        np.exp(logits, out=logits)
        total = logits.sum(axis=1)
        loss = float(np.mean(np.log(total) - target, dtype=np.float64))
        if grad is None:
            return loss, correct
        # d loss / d logits = (softmax - onehot(y)) / n, built in place.
        total *= n
        np.reciprocal(total, out=total)
        logits *= total[:, None]
        logits[ws.rows, y] -= 1.0 / n
        g = views(grad, self.shapes)
        np.matmul(z.T, logits, out=g["w_out"])
        dz = np.matmul(logits, v["w_out"].T, out=ws.dz)
        dz *= h
        dz *= 2.0  # dh = 2 h * d(h^2)
        # Rows 0..p-1 of g_tables: gradient of table_a per residue; p..2p-1: of table_b.
        g_tables = ws.g_tables
        g_ta, g_tb = g_tables[:p], g_tables[p:]
        if grid is None:
            scatter = ws.scatter
            scatter.fill(0.0)
            scatter[a, ws.rows] = 1.0
            scatter[p + b, ws.rows] = 1.0
            np.matmul(scatter, dz, out=g_tables)
        else:
            grid[a * p + b] = dz
            cube = grid.reshape(p, p, -1)
            np.sum(cube, axis=1, out=g_ta)
            np.sum(cube, axis=0, out=g_tb)
        if self.learned:
            np.matmul(v["embed"].T, g_ta, out=g["w_a"])
            np.matmul(v["embed"].T, g_tb, out=g["w_b"])
            np.matmul(g_ta, v["w_a"].T, out=g["embed"])
            g["embed"] += g_tb @ v["w_b"].T
        else:
            g["w_a"][...] = g_ta
            g["w_b"][...] = g_tb
        return loss, correct


@validate_params({"config": _CONFIG})
def model_logits(
    params: Mapping[str, np.ndarray], config: RunConfig, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Logits of the model with ``params`` on the pairs ``(a[i], b[i])``.

    Returns
    -------
    ndarray, shape (len(a), p)
    """
    w = flatten_params(params, config)
    a = _check_residues("a", a, config.p)
    b = _check_residues("b", b, config.p)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    return _Net(config).logits(views(w, config.param_shapes), a, b)


def _check_residues(name: str, x: object, p: int) -> np.ndarray:
    given, x = x, as_array(name, x)
    if x.ndim != 1 or not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D integer array, got {describe(given)}")
    if x.size and (x.min() < 0 or x.max() >= p):
        raise ValueError(f"{name} must hold residues in [0, {p}), got range [{x.min()}, {x.max()}]")
    return x


@validate_params(
    {
        "config": InstanceOf((RunConfig, Run), "a RunConfig or Run"),
        "dataset": AnyOf(_DATASET, none=True),
    }
)
def make_loss_and_grad(
    config: RunConfig | Run, dataset: Dataset | None = None
) -> Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]:
    """The minibatch loss and gradient over a flat parameter vector.

    Parameters
    ----------
    config : RunConfig or Run
        The model (sizes) and, unless ``dataset`` is given, the dataset and split.
    dataset : Dataset, optional
        Defaults to ``config.dataset()``; must have the config's ``p``.

    Returns
    -------
    loss_and_grad : callable ``(w, idx) -> (loss, grad)``
        ``w`` is a flat float vector (see :func:`flatten_params`), ``idx`` a 1-D
        integer array of positions in the training set (``0 <= idx <
        dataset.n_train``, repeats allowed). Returns the mean cross-entropy over
        those samples as a float (no weight-decay term) and its gradient, a new
        array of ``w``'s shape and dtype. float64 ``w`` computes in float64.
        Attribute ``n_train`` holds the training-set size.

    Examples
    --------
    >>> from grokwidgets.experiment import train
    >>> run = train(steps=1, eval_every=1)
    >>> lg = make_loss_and_grad(run)
    >>> w = flatten_params(run.final_params, run.config)
    >>> loss, grad = lg(w, np.arange(256))
    >>> grad.shape == w.shape
    True
    """
    if isinstance(config, Run):
        config = config.config
    data = config.dataset() if dataset is None else dataset
    if data.p != config.p:
        raise ValueError(f"dataset.p must equal config.p = {config.p}, got {data.p}")
    net = _Net(config)
    a_tr = data.a[data.train_idx]
    b_tr = data.b[data.train_idx]
    y_tr = data.labels[data.train_idx]
    n_train, n_params = data.n_train, config.n_params

    def loss_and_grad(w: np.ndarray, idx: np.ndarray) -> tuple[float, np.ndarray]:
        if not isinstance(w, np.ndarray) or w.ndim != 1 or w.size != n_params:
            raise ValueError(f"w must be a 1-D array of length {n_params}, got {describe(w)}")
        if w.dtype not in (np.float32, np.float64):
            raise ValueError(f"w must be float32 or float64, got dtype {w.dtype}")
        given, idx = idx, as_array("idx", idx)
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"idx must be a non-empty 1-D integer array, got {describe(given)}")
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= n_train:
            raise ValueError(f"idx must lie in [0, {n_train}), got range [{lo}, {hi}]")
        grad = np.empty_like(w)
        with single_threaded_blas():
            loss, _ = net.loss_grad(w, a_tr[idx], b_tr[idx], y_tr[idx], grad)
        return loss, grad

    loss_and_grad.n_train = n_train  # type: ignore[attr-defined]
    return loss_and_grad
