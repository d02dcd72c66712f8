"""A real grokking run: a small network learns modular arithmetic, in pure numpy.

The task is ``c = (a op b) mod p`` over every pair of residues ``a, b`` for a prime
``p``; a seeded fraction of the pairs is the training set and the rest is the test
set. The model is a one-hidden-layer network:

    h      = E[a] @ W_a + E[b] @ W_b          (hidden pre-activation, width ``hidden``)
    logits = (h ** 2) @ W_out                 (``p`` classes)

where ``E`` is a learned embedding of the residues, ``p x embed_dim``, shared by
the two inputs (``embed_dim=None`` uses one-hot rows instead, so that ``W_a``
and ``W_b`` are themselves the per-residue embeddings). Squaring ``h`` makes
products like ``cos(w a) cos(w b)`` of the two inputs, and those combine into
``cos(w (a + b))``: the trigonometric identities behind the Fourier algorithm
that networks are known to find for modular addition.

Training is full batch, float32, cross-entropy, with AdamW (decoupled weight
decay, betas 0.9 and 0.98) and hand-written backpropagation. At the defaults
(p = 53, addition, 40% of the pairs for training, weight decay 1, lr 1e-2, hidden
128, embedding 16) the network memorizes the training set in 40-50 steps, with
the test accuracy still at chance (below 1%), and then, after a plateau,
generalizes (test accuracy >= 95%) at 500-890 steps (seeds 0-9, measured). The
steps to grok fall as the weight decay grows, roughly like 1 / weight decay
(seed 0: 1550, 890, 500, 300 steps at weight decay 0.3, 0.5, 1, 2), and without
weight decay the network never groks within the 3000-step budget. One-hot inputs
grok sooner (430-440 steps, seeds 0-2). A full-batch step takes about 1.3 ms on
one core (measured on a 2-core AMD EPYC; see ``benchmarks/train_speed.py``).

Three ways in:

- :func:`train` runs to the end (or until a ``callback`` says stop) and returns a
  frozen :class:`Run`: the config, the :class:`History` of metrics at every
  evaluation, and float32 parameter checkpoints.
- :class:`Trainer` does the same in chunks (``trainer.step(50)``) with a
  :attr:`Trainer.run` snapshot in between, for a widget that trains a little,
  redraws, trains more.
- :func:`make_loss_and_grad` gives the minibatch loss and its gradient over a flat
  parameter vector, for samplers such as SGLD.

Small matrices train faster on one BLAS thread than on two when the cores are
shared, so training steps run with BLAS limited to one thread (see
:func:`single_threaded_blas`).
"""

from __future__ import annotations

import contextlib
import math
import numbers
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType

import numpy as np
import threadpoolctl

__all__ = [
    "DEFAULT_STEPS",
    "GROK_ACCURACY",
    "MEMORIZATION_ACCURACY",
    "OPS",
    "Dataset",
    "History",
    "Progress",
    "Run",
    "RunConfig",
    "StopTraining",
    "Trainer",
    "default_checkpoint_steps",
    "flatten_params",
    "init_params",
    "make_dataset",
    "make_loss_and_grad",
    "model_logits",
    "single_threaded_blas",
    "train",
    "unflatten_params",
]

#: The operations the dataset can be built from.
OPS = ("+", "-", "*", "/")
#: Default number of training steps: long enough for every default-setting seed we
#: measured to grok with room to spare (seeds 0-9: by step 890), and for weight
#: decay 0.3 at seed 0 (step 1550). The shipped runs all use it.
DEFAULT_STEPS = 3000
#: Test accuracy that counts as "grokked".
GROK_ACCURACY = 0.95
#: Training accuracy that counts as "memorized".
MEMORIZATION_ACCURACY = 0.99
#: AdamW moment decay rates; 0.98 rather than 0.999 as in the grokking literature,
#: so the second moment follows the large changes of the gradient's scale at the
#: transition instead of lagging them.
BETAS = (0.9, 0.98)
#: AdamW epsilon (PyTorch's default).
EPS = 1e-8

# Bounds on the sizes a config may ask for, so that a typo in class (p=10007,
# hidden=10**6) is an error message rather than a kernel that hangs or runs out of
# memory. Each is far above anything the essay, the lab or the classroom uses.
#: Largest modulus: the dataset has p * p pairs.
MAX_P = 1000
#: Largest hidden width and embedding width.
MAX_WIDTH = 1024
#: Most training steps a config may ask for (about 4 hours at the defaults).
MAX_STEPS = 10_000_000
#: Largest learning rate: AdamW moves each weight by about ``lr`` per step, and far
#: above 1 the float32 activations overflow within a few steps.
MAX_LR = 1.0
#: Largest ``p * p * hidden``: the (p * p, hidden) float32 array a training step
#: fills (512 MiB at this bound; 0.36 M elements at the defaults).
MAX_GRID = 2**27

_OUT_SCALE = 0.1  # initial scale of W_out relative to 1/sqrt(hidden); see init_params
_HISTORY_FIELDS = ("step", "train_loss", "test_loss", "train_acc", "test_acc", "weight_norm")


# --------------------------------------------------------------------------- checks


def _check_int(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    if maximum is not None and int(value) > maximum:
        raise ValueError(f"{name} must be an int <= {maximum:_}, got {value!r}")
    return int(value)


def _check_real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        out = float(value)
    except OverflowError:  # an int beyond the float range
        raise ValueError(f"{name} must be finite, got {value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return out


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    return all(n % k for k in range(2, math.isqrt(n) + 1))


def _check_p(p: object) -> int:
    if isinstance(p, bool) or not isinstance(p, numbers.Integral):
        raise TypeError(f"p must be an int, got {p!r}")
    # The bound first: testing a huge p for primality would take forever.
    if p > MAX_P:
        raise ValueError(f"p must be a prime <= {MAX_P}, got {p!r}")
    if p < 3 or not _is_prime(int(p)):
        raise ValueError(f"p must be a prime >= 3, got {p!r}")
    return int(p)


def _check_op(op: object) -> str:
    if not isinstance(op, str) or op not in OPS:
        raise ValueError(f"op must be one of {', '.join(repr(o) for o in OPS)}, got {op!r}")
    return op


def _check_fraction(train_fraction: object) -> float:
    f = _check_real("train_fraction", train_fraction)
    if not 0.0 < f < 1.0:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction!r}")
    return f


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    return int(seed)


# --------------------------------------------------------------------------- dataset


@dataclass(frozen=True, eq=False)
class Dataset:
    """Every pair of residues with its label, split into training and test sets.

    Attributes
    ----------
    p : int
        The prime modulus.
    op : str
        One of :data:`OPS`.
    a, b : ndarray of int64, shape (n,)
        The two operands of every pair (for ``"/"``, pairs with ``b == 0`` are
        left out, so ``n = p * (p - 1)``; otherwise ``n = p * p``).
    labels : ndarray of int64, shape (n,)
        ``(a op b) mod p``.
    train_idx, test_idx : ndarray of int64
        Disjoint indices into the pairs, together covering all of them; both sorted.
    """

    p: int
    op: str
    a: np.ndarray
    b: np.ndarray
    labels: np.ndarray
    train_idx: np.ndarray
    test_idx: np.ndarray

    @property
    def n_train(self) -> int:
        """Number of training pairs."""
        return int(self.train_idx.size)

    @property
    def n_test(self) -> int:
        """Number of test pairs."""
        return int(self.test_idx.size)


def _readonly(x: np.ndarray) -> np.ndarray:
    x.flags.writeable = False
    return x


def make_dataset(p: int = 53, op: str = "+", train_fraction: float = 0.4, seed: int = 0) -> Dataset:
    """All pairs ``(a, b)`` mod ``p`` labelled ``(a op b) mod p``, split at random.

    Parameters
    ----------
    p : int, default 53
        A prime in [3, :data:`MAX_P`].
    op : {"+", "-", "*", "/"}, default "+"
        The operation; ``"/"`` is ``a * b^{-1} mod p`` and leaves out ``b == 0``.
    train_fraction : float, default 0.4
        Share of the pairs in the training set, in (0, 1); the count is rounded and
        both sets keep at least one pair.
    seed : int, default 0
        Seeds the split (the same seed as :func:`train` gives the same split).

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError, TypeError
        For a ``p`` that is not a prime >= 3, an unknown ``op``, a fraction outside
        (0, 1) or a negative seed.
    """
    p = _check_p(p)
    op = _check_op(op)
    frac = _check_fraction(train_fraction)
    seed = _check_seed(seed)
    a, b = np.divmod(np.arange(p * p, dtype=np.int64), p)
    if op == "/":
        keep = b != 0
        a, b = a[keep], b[keep]
    if op == "+":
        labels = (a + b) % p
    elif op == "-":
        labels = (a - b) % p
    elif op == "*":
        labels = (a * b) % p
    else:
        inverse = np.array([0] + [pow(int(x), -1, p) for x in range(1, p)], dtype=np.int64)
        labels = (a * inverse[b]) % p
    n = a.size
    n_train = min(max(round(frac * n), 1), n - 1)
    split_rng, _ = _rngs(seed)
    perm = split_rng.permutation(n)
    return Dataset(
        p=p,
        op=op,
        a=_readonly(a),
        b=_readonly(b),
        labels=_readonly(labels),
        train_idx=_readonly(np.sort(perm[:n_train])),
        test_idx=_readonly(np.sort(perm[n_train:])),
    )


def _rngs(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    # Independent streams for the split and the initialization, so changing one
    # (say, another init scheme) never changes the other.
    split_ss, init_ss = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(split_ss), np.random.default_rng(init_ss)


# --------------------------------------------------------------------------- config


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run; the same config gives the same run, bit for bit.

    Attributes
    ----------
    p : int
        Prime modulus, in [3, :data:`MAX_P`].
    op : str
        One of :data:`OPS`.
    train_fraction : float
        Share of pairs used for training, in (0, 1).
    weight_decay : float
        AdamW decoupled weight decay, >= 0.
    lr : float
        Learning rate, in (0, :data:`MAX_LR`].
    hidden : int
        Width of the hidden layer, in [1, :data:`MAX_WIDTH`]; ``p * p * hidden``
        must not exceed :data:`MAX_GRID`.
    embed_dim : int or None
        Width of the learned residue embedding, in [1, :data:`MAX_WIDTH`]; None for
        one-hot inputs.
    steps : int
        Number of optimizer steps, in [1, :data:`MAX_STEPS`].
    seed : int
        Seeds the split and the initialization.
    eval_every : int
        Evaluate every this many steps (and at step 0 and the last step), >= 1.
    """

    p: int = 53
    op: str = "+"
    train_fraction: float = 0.4
    weight_decay: float = 1.0
    lr: float = 1e-2
    hidden: int = 128
    embed_dim: int | None = 16
    steps: int = DEFAULT_STEPS
    seed: int = 0
    eval_every: int = 10

    def __post_init__(self) -> None:
        wd = _check_real("weight_decay", self.weight_decay)
        if wd < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        lr = _check_real("lr", self.lr)
        if lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}")
        if lr > MAX_LR:
            raise ValueError(f"lr must be <= {MAX_LR:g}, got {self.lr!r}")
        if lr * wd >= 1:
            # AdamW multiplies the weights by (1 - lr * wd) each step: at >= 1 that
            # zeroes or flips them, which is no longer weight decay.
            raise ValueError(
                f"lr * weight_decay must be < 1, got lr={self.lr!r}, "
                f"weight_decay={self.weight_decay!r}"
            )
        embed_dim = (
            None
            if self.embed_dim is None
            else _check_int("embed_dim", self.embed_dim, 1, MAX_WIDTH)
        )
        p = _check_p(self.p)
        hidden = _check_int("hidden", self.hidden, 1, MAX_WIDTH)
        if p * p * hidden > MAX_GRID:
            raise ValueError(
                f"p * p * hidden must be <= {MAX_GRID:_} (the training step's memory), "
                f"got p={self.p!r}, hidden={self.hidden!r}"
            )
        values = {
            "p": p,
            "op": _check_op(self.op),
            "train_fraction": _check_fraction(self.train_fraction),
            "weight_decay": wd,
            "lr": lr,
            "hidden": hidden,
            "embed_dim": embed_dim,
            "steps": _check_int("steps", self.steps, 1, MAX_STEPS),
            "seed": _check_seed(self.seed),
            "eval_every": _check_int("eval_every", self.eval_every, 1),
        }
        # Normalize numpy scalars and ints-as-floats, so equal configs compare equal.
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Name and shape of each parameter array, in the flat vector's order."""
        shapes: dict[str, tuple[int, ...]] = {}
        rows = self.p if self.embed_dim is None else self.embed_dim
        if self.embed_dim is not None:
            shapes["embed"] = (self.p, self.embed_dim)
        shapes["w_a"] = (rows, self.hidden)
        shapes["w_b"] = (rows, self.hidden)
        shapes["w_out"] = (self.hidden, self.p)
        return shapes

    @property
    def n_params(self) -> int:
        """Total number of parameters (length of the flat vector)."""
        return sum(math.prod(s) for s in self.param_shapes.values())

    def dataset(self) -> Dataset:
        """The dataset and split this config trains on."""
        return make_dataset(self.p, self.op, self.train_fraction, self.seed)

    def to_dict(self) -> dict[str, object]:
        """The config as a plain dict (JSON-friendly)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


# --------------------------------------------------------------------------- parameters


def init_params(config: RunConfig) -> dict[str, np.ndarray]:
    """The seeded float32 initialization for ``config``.

    Every hidden pre-activation starts with variance about 2 whatever the widths:
    the embedding is standard normal and ``W_a``, ``W_b`` are scaled by
    ``1/sqrt(rows)`` (one-hot inputs: standard normal, as the embedding times
    ``W_a`` would be). ``W_out`` is scaled by ``0.1/sqrt(hidden)``, so the initial
    logits are small and the loss starts at chance, ``log p`` (with
    ``1/sqrt(hidden)`` it started near 8 nats at p = 53, twice chance).
    """
    if not isinstance(config, RunConfig):
        raise TypeError(f"config must be a RunConfig, got {config!r}")
    _, rng = _rngs(config.seed)
    params = {}
    for name, shape in config.param_shapes.items():
        x = rng.standard_normal(shape)
        if name in ("w_a", "w_b") and config.embed_dim is not None:
            x /= math.sqrt(config.embed_dim)
        elif name == "w_out":
            x *= _OUT_SCALE / math.sqrt(config.hidden)
        params[name] = x.astype(np.float32)
    return params


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
    _check_config(config)
    shapes = config.param_shapes
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping of name to array, got {type(params)!r}")
    if set(params) != set(shapes):
        raise ValueError(f"params must have keys {sorted(shapes)}, got {sorted(params)}")
    arrays = []
    for name, shape in shapes.items():
        x = _as_array(f"params[{name!r}]", params[name])
        if x.shape != shape:
            raise ValueError(f"params[{name!r}] must have shape {shape}, got {x.shape}")
        if not np.issubdtype(x.dtype, np.floating):
            raise ValueError(f"params[{name!r}] must be floating, got dtype {x.dtype}")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"params[{name!r}] must be finite, got NaN or inf")
        arrays.append(x.ravel())
    dtype = np.result_type(*arrays)
    return np.concatenate(arrays).astype(dtype, copy=False)


def unflatten_params(w: np.ndarray, config: RunConfig) -> dict[str, np.ndarray]:
    """Split a flat vector into named parameter arrays (views into ``w``, no copy).

    Raises
    ------
    ValueError
        If ``w`` is not a 1-D floating array of length ``config.n_params``.
    """
    _check_config(config)
    given, w = w, _as_array("w", w)
    if w.ndim != 1 or w.size != config.n_params or not np.issubdtype(w.dtype, np.floating):
        raise ValueError(
            f"w must be a 1-D array of length {config.n_params}, of floats, got {_describe(given)}"
        )
    return _views(w, config.param_shapes)


def _check_config(config: object) -> None:
    if not isinstance(config, RunConfig):
        raise TypeError(f"config must be a RunConfig, got {config!r}")


def _views(w: np.ndarray, shapes: Mapping[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    out, start = {}, 0
    for name, shape in shapes.items():
        n = math.prod(shape)
        out[name] = w[start : start + n].reshape(shape)
        start += n
    return out


# --------------------------------------------------------------------------- the model


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
        v = _views(w, self.shapes)
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
        g = _views(grad, self.shapes)
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
    return _Net(config).logits(_views(w, config.param_shapes), a, b)


def _describe(x: object) -> str:
    """What a bad array argument was, for an error message (short)."""
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}, dtype {x.dtype}"
    text = repr(x)
    return text if len(text) <= 80 else text[:77] + "..."


def _as_array(name: str, x: object) -> np.ndarray:
    try:
        return np.asarray(x)
    except (TypeError, ValueError):  # ragged nested lists
        raise ValueError(f"{name} must be an array, got {x!r}") from None


def _check_residues(name: str, x: object, p: int) -> np.ndarray:
    given, x = x, _as_array(name, x)
    if x.ndim != 1 or not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D integer array, got {_describe(given)}")
    if x.size and (x.min() < 0 or x.max() >= p):
        raise ValueError(f"{name} must hold residues in [0, {p}), got range [{x.min()}, {x.max()}]")
    return x


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
    >>> run = train(steps=1, eval_every=1)
    >>> lg = make_loss_and_grad(run)
    >>> w = flatten_params(run.final_params, run.config)
    >>> loss, grad = lg(w, np.arange(256))
    >>> grad.shape == w.shape
    True
    """
    if isinstance(config, Run):
        config = config.config
    if not isinstance(config, RunConfig):
        raise TypeError(f"config must be a RunConfig or Run, got {config!r}")
    data = config.dataset() if dataset is None else dataset
    if not isinstance(data, Dataset):
        raise TypeError(f"dataset must be a Dataset, got {dataset!r}")
    if data.p != config.p:
        raise ValueError(f"dataset.p must equal config.p = {config.p}, got {data.p}")
    net = _Net(config)
    a_tr = data.a[data.train_idx]
    b_tr = data.b[data.train_idx]
    y_tr = data.labels[data.train_idx]
    n_train, n_params = data.n_train, config.n_params

    def loss_and_grad(w: np.ndarray, idx: np.ndarray) -> tuple[float, np.ndarray]:
        if not isinstance(w, np.ndarray) or w.ndim != 1 or w.size != n_params:
            raise ValueError(f"w must be a 1-D array of length {n_params}, got {_describe(w)}")
        if w.dtype not in (np.float32, np.float64):
            raise ValueError(f"w must be float32 or float64, got dtype {w.dtype}")
        given, idx = idx, _as_array("idx", idx)
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"idx must be a non-empty 1-D integer array, got {_describe(given)}")
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= n_train:
            raise ValueError(f"idx must lie in [0, {n_train}), got range [{lo}, {hi}]")
        grad = np.empty_like(w)
        with single_threaded_blas():
            loss, _ = net.loss_grad(w, a_tr[idx], b_tr[idx], y_tr[idx], grad)
        return loss, grad

    loss_and_grad.n_train = n_train  # type: ignore[attr-defined]
    return loss_and_grad


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class History:
    """Metrics at every evaluation of a run (all arrays have the same length).

    Attributes
    ----------
    step : ndarray of int64
        The evaluated steps: 0, ``eval_every``, ``2 * eval_every``, ... and the last.
    train_loss, test_loss : ndarray of float64
        Mean cross-entropy in nats on the training and test sets.
    train_acc, test_acc : ndarray of float64
        Accuracy in [0, 1].
    weight_norm : ndarray of float64
        L2 norm of all parameters together.
    """

    step: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    weight_norm: np.ndarray

    def __len__(self) -> int:
        return int(self.step.size)


@dataclass(frozen=True)
class Progress:
    """What a :func:`train` callback is told at each evaluation."""

    step: int
    steps: int
    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float
    weight_norm: float


class StopTraining(Exception):
    """Raise from a callback to stop training at the current step (same as returning False)."""


@dataclass(frozen=True, eq=False)
class Run:
    """A finished (or stopped, or in-progress snapshot of a) training run.

    Attributes
    ----------
    config : RunConfig
    history : History
    checkpoint_steps : ndarray of int64
        Sorted steps at which the parameters were saved.
    checkpoints : mapping of str to ndarray of float32
        Read-only. Per parameter name, the stacked checkpoints: shape ``(len(checkpoint_steps),
        *config.param_shapes[name])``.
    step : int
        Steps trained (``config.steps`` unless stopped early or a snapshot).
    stopped_early : bool
        True if a callback stopped training before ``config.steps``.
    """

    config: RunConfig
    history: History
    checkpoint_steps: np.ndarray
    checkpoints: Mapping[str, np.ndarray] = field(repr=False)
    step: int
    stopped_early: bool = False

    @property
    def grok_step(self) -> int | None:
        """First evaluated step with test accuracy >= 0.95, or None if none."""
        return _first_at_least(self.history.step, self.history.test_acc, GROK_ACCURACY)

    @property
    def memorization_step(self) -> int | None:
        """First evaluated step with training accuracy >= 0.99, or None if none."""
        return _first_at_least(self.history.step, self.history.train_acc, MEMORIZATION_ACCURACY)

    def params_at(self, step: int) -> dict[str, np.ndarray]:
        """The parameters saved at ``step`` (must be one of ``checkpoint_steps``)."""
        is_int = not isinstance(step, bool) and isinstance(step, numbers.Integral)
        hits = np.flatnonzero(self.checkpoint_steps == step) if is_int else np.zeros(0)
        if hits.size == 0:
            raise ValueError(
                f"step must be one of the checkpoint steps {self.checkpoint_steps.tolist()}, "
                f"got {step!r}"
            )
        return {name: arr[hits[0]] for name, arr in self.checkpoints.items()}

    @property
    def final_params(self) -> dict[str, np.ndarray]:
        """The parameters at the last checkpoint."""
        if self.checkpoint_steps.size == 0:
            raise ValueError("this run has no checkpoints (checkpoint_steps was empty)")
        return {name: arr[-1] for name, arr in self.checkpoints.items()}


def _first_at_least(steps: np.ndarray, values: np.ndarray, level: float) -> int | None:
    hits = np.flatnonzero(values >= level)
    return int(steps[hits[0]]) if hits.size else None


def default_checkpoint_steps(steps: int, count: int = 40) -> np.ndarray:
    """About ``count`` checkpoint steps in ``[0, steps]``: half log-, half linearly spaced.

    Log spacing catches the fast memorization in the first ~100 steps; linear
    spacing covers the plateau and the transition evenly. Always includes 0 and
    ``steps``.
    """
    steps = _check_int("steps", steps, 1, MAX_STEPS)
    count = _check_int("count", count, 2, 100_000)
    log_part = np.geomspace(1, steps, count // 2)
    lin_part = np.linspace(0, steps, count - count // 2)
    both = np.concatenate([[0, steps], log_part, lin_part])
    return np.unique(np.rint(both).astype(np.int64))


def _check_checkpoint_steps(checkpoint_steps: object, steps: int) -> np.ndarray:
    if checkpoint_steps is None:
        return default_checkpoint_steps(steps)
    if isinstance(checkpoint_steps, str) or not isinstance(checkpoint_steps, Sequence | np.ndarray):
        raise TypeError(
            f"checkpoint_steps must be None or a sequence of ints, got {checkpoint_steps!r}"
        )
    arr = _as_array("checkpoint_steps", checkpoint_steps)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"checkpoint_steps must be a 1-D sequence of ints, got {checkpoint_steps!r}"
        )
    if arr.min() < 0 or arr.max() > steps:
        raise ValueError(f"checkpoint_steps must lie in [0, {steps}], got {checkpoint_steps!r}")
    return np.unique(arr.astype(np.int64))


# --------------------------------------------------------------------------- BLAS threads

_BLAS_LOCK = threading.Lock()
_BLAS_STATE: dict[str, object] = {"depth": 0, "controller": None, "limiter": None}


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Limit BLAS to one thread inside the block.

    The matrices here are small (about 1100 x 128 x 53). When the machine's other
    core was idle, two BLAS threads made a training step about 1.2x faster; when
    it was busy with another process, about 10x slower (median 21.6 ms against
    1.8 ms per step, 2-core machine). One thread is the safe choice on a laptop
    that also runs a browser, and it makes runs reproducible: the thread count
    changes the summation order and so the last bits of every step.

    The limit is process-wide (BLAS has one thread pool) and re-entrant: nested or
    concurrent blocks cost about 1 us, the outermost ~20 us to set and restore.
    :func:`train`, :class:`Trainer` and the function from
    :func:`make_loss_and_grad` use it themselves.
    """
    with _BLAS_LOCK:
        if _BLAS_STATE["depth"] == 0:
            _BLAS_STATE["limiter"] = _limit_blas()
        _BLAS_STATE["depth"] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_STATE["depth"] -= 1
            limiter = _BLAS_STATE["limiter"]
            if _BLAS_STATE["depth"] == 0 and limiter is not None:
                limiter.restore_original_limits()
                _BLAS_STATE["limiter"] = None


def _limit_blas() -> threadpoolctl._ThreadpoolLimiter:
    if _BLAS_STATE["controller"] is None:
        # Finding the loaded BLAS libraries walks the process's shared objects
        # (about a millisecond); do it once.
        _BLAS_STATE["controller"] = threadpoolctl.ThreadpoolController()
    return _BLAS_STATE["controller"].limit(limits=1, user_api="blas")


# --------------------------------------------------------------------------- training


class Trainer:
    """A training run that advances in chunks, for widgets.

    Takes the same arguments as :func:`train` (without ``callback``). The state
    (parameters, AdamW moments, history) lives in the object; chunking does not
    change the run: ``Trainer(...).step(a)`` then ``.step(b)`` gives the same
    parameters and history as one ``.step(a + b)`` and as :func:`train`.

    A lock guards each step, so a widget can train in a worker thread and read
    :attr:`run` or :attr:`params` from the kernel's thread at any time (a snapshot
    waits at most one step, about a millisecond). Train from one thread at a time.

    Examples
    --------
    >>> t = Trainer(steps=100)
    >>> t.step(30)
    30
    >>> int(t.run.history.step[-1])
    30
    >>> t.step(1000)  # stops at the step budget
    70
    >>> t.finished
    True
    """

    def __init__(
        self,
        p: int = 53,
        op: str = "+",
        train_fraction: float = 0.4,
        weight_decay: float = 1.0,
        lr: float = 1e-2,
        hidden: int = 128,
        steps: int = DEFAULT_STEPS,
        seed: int = 0,
        eval_every: int = 10,
        checkpoint_steps: Sequence[int] | np.ndarray | None = None,
        *,
        embed_dim: int | None = 16,
    ) -> None:
        cfg = RunConfig(
            p=p,
            op=op,
            train_fraction=train_fraction,
            weight_decay=weight_decay,
            lr=lr,
            hidden=hidden,
            embed_dim=embed_dim,
            steps=steps,
            seed=seed,
            eval_every=eval_every,
        )
        self._setup(cfg, _check_checkpoint_steps(checkpoint_steps, cfg.steps))

    @classmethod
    def from_config(
        cls, config: RunConfig, checkpoint_steps: Sequence[int] | np.ndarray | None = None
    ) -> Trainer:
        """A trainer for an existing :class:`RunConfig`."""
        if not isinstance(config, RunConfig):
            raise TypeError(f"config must be a RunConfig, got {config!r}")
        self = cls.__new__(cls)
        self._setup(config, _check_checkpoint_steps(checkpoint_steps, config.steps))
        return self

    def _setup(self, config: RunConfig, checkpoint_steps: np.ndarray) -> None:
        self.config = config
        self._lock = threading.RLock()
        data = config.dataset()
        self.dataset = data
        self._net = _Net(config)
        self._train = (
            data.a[data.train_idx],
            data.b[data.train_idx],
            data.labels[data.train_idx],
        )
        self._test = (data.a[data.test_idx], data.b[data.test_idx], data.labels[data.test_idx])
        # Zero except at the training pairs' rows (see _Net.loss_grad).
        self._grid = np.zeros((config.p * config.p, config.hidden), np.float32)
        self._w = flatten_params(init_params(config), config)
        self._m = np.zeros_like(self._w)
        self._v = np.zeros_like(self._w)
        self._g = np.zeros_like(self._w)
        self._buf = np.zeros_like(self._w)
        self._t = 0
        self._last_eval = -1
        self._hist: dict[str, list] = {k: [] for k in _HISTORY_FIELDS}
        self._ckpt_steps = checkpoint_steps
        self._ckpts: list[np.ndarray] = []
        self._stopped = False
        self._maybe_checkpoint()

    # -- state

    @property
    def step_count(self) -> int:
        """Steps trained so far."""
        return self._t

    @property
    def finished(self) -> bool:
        """True once ``config.steps`` steps are done."""
        return self._t >= self.config.steps

    @property
    def params(self) -> dict[str, np.ndarray]:
        """A copy of the current parameters (float32)."""
        with self._lock:
            return {k: v.copy() for k, v in _views(self._w, self.config.param_shapes).items()}

    @property
    def run(self) -> Run:
        """A snapshot of the run so far (history, checkpoints taken so far)."""
        with self._lock:
            n_ck = len(self._ckpts)
            stacked = np.stack(self._ckpts) if n_ck else np.zeros((0, self.config.n_params))
            stacked = stacked.astype(np.float32, copy=False)
            checkpoints = MappingProxyType(
                {
                    name: _readonly(np.ascontiguousarray(arr))
                    for name, arr in _stack_views(stacked, self.config.param_shapes).items()
                }
            )
            hist = History(
                step=_readonly(np.array(self._hist["step"], dtype=np.int64)),
                **{
                    k: _readonly(np.array(self._hist[k], dtype=np.float64))
                    for k in _HISTORY_FIELDS[1:]
                },
            )
            return Run(
                config=self.config,
                history=hist,
                checkpoint_steps=_readonly(self._ckpt_steps[:n_ck].copy()),
                checkpoints=checkpoints,
                step=self._t,
                stopped_early=self._stopped,
            )

    # -- training

    def step(self, n: int = 1, callback: Callable[[Progress], bool | None] | None = None) -> int:
        """Train up to ``n`` more steps (fewer at the budget or if ``callback`` stops).

        Parameters
        ----------
        n : int
            Steps to train, >= 1.
        callback : callable, optional
            Called with a :class:`Progress` at each evaluation (every
            ``eval_every`` steps, at step 0 and at the last step). Returning False
            or raising :class:`StopTraining` stops this call at that step; a
            later ``step`` call carries on from there.

        Returns
        -------
        int
            The number of steps actually trained.
        """
        n = _check_int("n", n, 1)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable or None, got {callback!r}")
        cfg = self.config
        start = self._t
        target = min(self._t + n, cfg.steps)
        self._stopped = False
        b1, b2 = BETAS
        with single_threaded_blas():
            while True:
                with self._lock:
                    t = self._t
                    evaluate = (t % cfg.eval_every == 0 or t == cfg.steps) and t != self._last_eval
                    if t == target and not evaluate:
                        break
                    need_grad = t < target
                    a, b, y = self._train
                    loss, correct = self._net.loss_grad(
                        self._w, a, b, y, self._g if need_grad else None, self._grid
                    )
                    if evaluate:
                        progress = self._evaluate(t, loss, correct / a.size)
                if evaluate:
                    self._last_eval = t
                    if callback is not None and _says_stop(callback, progress):
                        self._stopped = t < cfg.steps
                        break
                if not need_grad:
                    break
                with self._lock:
                    self._adamw(t + 1, b1, b2)
                    self._t = t + 1
                    self._maybe_checkpoint()
        return self._t - start

    def _evaluate(self, t: int, train_loss: float, train_acc: float) -> Progress:
        a, b, y = self._test
        test_loss, correct = self._net.loss_grad(self._w, a, b, y, None)
        norm = math.sqrt(float(np.dot(self._w, self._w)))
        values = (t, train_loss, test_loss, train_acc, correct / a.size, norm)
        for k, val in zip(_HISTORY_FIELDS, values, strict=True):
            self._hist[k].append(val)
        return Progress(t, self.config.steps, *values[1:])

    def _adamw(self, t: int, b1: float, b2: float) -> None:
        # PyTorch's AdamW, in place on the flat vectors: decay, then the Adam step.
        cfg = self.config
        w, g, m, v, buf = self._w, self._g, self._m, self._v, self._buf
        w *= 1.0 - cfg.lr * cfg.weight_decay
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        np.multiply(g, g, out=buf)
        buf *= 1.0 - b2
        v += buf
        step_size = cfg.lr / (1.0 - b1**t)
        np.sqrt(v, out=buf)
        buf *= 1.0 / math.sqrt(1.0 - b2**t)
        buf += EPS
        np.divide(m, buf, out=buf)
        buf *= step_size
        w -= buf

    def _maybe_checkpoint(self) -> None:
        k = len(self._ckpts)
        if k < self._ckpt_steps.size and self._ckpt_steps[k] == self._t:
            self._ckpts.append(self._w.copy())


def _says_stop(callback: Callable[[Progress], bool | None], progress: Progress) -> bool:
    try:
        return callback(progress) is False
    except StopTraining:
        return True


def _stack_views(
    stacked: np.ndarray, shapes: Mapping[str, tuple[int, ...]]
) -> dict[str, np.ndarray]:
    out, start = {}, 0
    for name, shape in shapes.items():
        n = math.prod(shape)
        out[name] = stacked[:, start : start + n].reshape(stacked.shape[0], *shape)
        start += n
    return out


def train(
    p: int = 53,
    op: str = "+",
    train_fraction: float = 0.4,
    weight_decay: float = 1.0,
    lr: float = 1e-2,
    hidden: int = 128,
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
    eval_every: int = 10,
    checkpoint_steps: Sequence[int] | np.ndarray | None = None,
    callback: Callable[[Progress], bool | None] | None = None,
    *,
    embed_dim: int | None = 16,
) -> Run:
    """Train the modular-arithmetic network and return the run.

    Parameters
    ----------
    p : int, default 53
        Prime modulus, in [3, :data:`MAX_P`].
    op : {"+", "-", "*", "/"}, default "+"
        The operation to learn.
    train_fraction : float, default 0.4
        Share of all pairs used for training, in (0, 1).
    weight_decay : float, default 1.0
        AdamW decoupled weight decay, >= 0 (``lr * weight_decay < 1``).
    lr : float, default 1e-2
        Learning rate, in (0, :data:`MAX_LR`].
    hidden : int, default 128
        Hidden width, in [1, :data:`MAX_WIDTH`] (and ``p * p * hidden <= MAX_GRID``).
    steps : int, default :data:`DEFAULT_STEPS`
        Full-batch optimizer steps, in [1, :data:`MAX_STEPS`].
    seed : int, default 0
        Seeds the split and the initialization: same seed, same run, bit for bit.
    eval_every : int, default 10
        Record metrics every this many steps (plus step 0 and the last step).
    checkpoint_steps : sequence of int, optional
        Steps in ``[0, steps]`` at which to save the parameters; default
        :func:`default_checkpoint_steps` (about 40); ``[]`` saves none.
    callback : callable, optional
        ``callback(progress)`` at each evaluation with a :class:`Progress`; return
        False or raise :class:`StopTraining` to stop there. Kept cheap: the
        evaluation runs anyway, the callback only gets its numbers.
    embed_dim : int or None, default 16
        Learned embedding width; None for one-hot inputs.

    Returns
    -------
    Run

    Raises
    ------
    ValueError, TypeError
        For any argument out of range or of the wrong type; the message names it.
    """
    trainer = Trainer(
        p=p,
        op=op,
        train_fraction=train_fraction,
        weight_decay=weight_decay,
        lr=lr,
        hidden=hidden,
        steps=steps,
        seed=seed,
        eval_every=eval_every,
        checkpoint_steps=checkpoint_steps,
        embed_dim=embed_dim,
    )
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {callback!r}")
    trainer.step(trainer.config.steps, callback)
    return trainer.run
