"""Training: :class:`Trainer` (in chunks, for widgets) and :func:`train` (to the end).

Full batch, float32, cross-entropy, AdamW (decoupled weight decay, PyTorch's
update), BLAS on one thread. Both take the settings of
:class:`~grokwidgets.experiment.RunConfig` as arguments (their signatures are
made from its fields).
"""

from __future__ import annotations

import inspect
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from grokwidgets._validation import (
    InstanceOf,
    Integer,
    IsCallable,
    as_array,
    readonly,
    validate_params,
)
from grokwidgets.experiment.blas import single_threaded_blas
from grokwidgets.experiment.config import (
    CONSTRAINTS,
    MAX_STEPS,
    SETTINGS_DOC,
    RunConfig,
    settings_signature,
    split_settings,
)
from grokwidgets.experiment.model import _Net, flatten_params, init_params, views
from grokwidgets.experiment.results import History, Progress, Run, StopTraining

#: AdamW moment decay rates; 0.98 rather than 0.999 as in the grokking literature,
#: so the second moment follows the large changes of the gradient's scale at the
#: transition instead of lagging them.
BETAS = (0.9, 0.98)
#: AdamW epsilon (PyTorch's default).
EPS = 1e-8

_HISTORY_FIELDS = ("step", "train_loss", "test_loss", "train_acc", "test_acc", "weight_norm")
_CALLBACK = IsCallable(none=True)


@validate_params({"steps": Integer(1, MAX_STEPS), "count": Integer(2, 100_000)})
def default_checkpoint_steps(steps: int, count: int = 40) -> np.ndarray:
    """About ``count`` checkpoint steps in ``[0, steps]``: half log-, half linearly spaced.

    Log spacing catches the fast memorization in the first ~100 steps; linear
    spacing covers the plateau and the transition evenly. Always includes 0 and
    ``steps``.
    """
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
    arr = as_array("checkpoint_steps", checkpoint_steps)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"checkpoint_steps must be a 1-D sequence of ints, got {checkpoint_steps!r}"
        )
    if arr.min() < 0 or arr.max() > steps:
        raise ValueError(f"checkpoint_steps must lie in [0, {steps}], got {checkpoint_steps!r}")
    return np.unique(arr.astype(np.int64))


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The signature (set below, from RunConfig's fields) is
        # (p, op, ..., eval_every, checkpoint_steps=None, *, embed_dim=16).
        cfg, rest = split_settings(_TRAINER_SIGNATURE, (self, *args), kwargs)
        self._setup(cfg, _check_checkpoint_steps(rest.get("checkpoint_steps"), cfg.steps))

    @classmethod
    @validate_params({"config": InstanceOf(RunConfig, "a RunConfig")})
    def from_config(
        cls, config: RunConfig, checkpoint_steps: Sequence[int] | np.ndarray | None = None
    ) -> Trainer:
        """A trainer for an existing :class:`RunConfig`."""
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
            return {k: v.copy() for k, v in views(self._w, self.config.param_shapes).items()}

    @property
    def run(self) -> Run:
        """A snapshot of the run so far (history, checkpoints taken so far)."""
        with self._lock:
            n_ck = len(self._ckpts)
            stacked = np.stack(self._ckpts) if n_ck else np.zeros((0, self.config.n_params))
            stacked = stacked.astype(np.float32, copy=False)
            checkpoints = MappingProxyType(
                {
                    name: readonly(np.ascontiguousarray(arr))
                    for name, arr in _stackviews(stacked, self.config.param_shapes).items()
                }
            )
            hist = History(
                step=readonly(np.array(self._hist["step"], dtype=np.int64)),
                **{
                    k: readonly(np.array(self._hist[k], dtype=np.float64))
                    for k in _HISTORY_FIELDS[1:]
                },
            )
            return Run(
                config=self.config,
                history=hist,
                checkpoint_steps=readonly(self._ckpt_steps[:n_ck].copy()),
                checkpoints=checkpoints,
                step=self._t,
                stopped_early=self._stopped,
            )

    # -- training

    @validate_params({"n": Integer(1), "callback": _CALLBACK})
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


def _stackviews(
    stacked: np.ndarray, shapes: Mapping[str, tuple[int, ...]]
) -> dict[str, np.ndarray]:
    out, start = {}, 0
    for name, shape in shapes.items():
        n = math.prod(shape)
        out[name] = stacked[:, start : start + n].reshape(stacked.shape[0], *shape)
        start += n
    return out


def train(*args: Any, **kwargs: Any) -> Run:
    """Train the modular-arithmetic network and return the run.

    Parameters
    ----------
    %(settings)s
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
    # The signature (set below, from RunConfig's fields) is (p, op, ...,
    # eval_every, checkpoint_steps=None, callback=None, *, embed_dim=16).
    config, rest = split_settings(_TRAIN_SIGNATURE, args, kwargs)
    trainer = Trainer.from_config(config, rest.get("checkpoint_steps"))
    callback = _CALLBACK.check("callback", rest.get("callback"))
    trainer.step(config.steps, callback)
    return trainer.run


_KW = inspect.Parameter.POSITIONAL_OR_KEYWORD
_CKPT = inspect.Parameter(
    "checkpoint_steps", _KW, default=None, annotation="Sequence[int] | np.ndarray | None"
)
_CALLBACK_PARAM = inspect.Parameter(
    "callback", _KW, default=None, annotation="Callable[[Progress], bool | None] | None"
)
_TRAINER_SIGNATURE = settings_signature(_CKPT, self_=True)
_TRAIN_SIGNATURE = settings_signature(_CKPT, _CALLBACK_PARAM)
Trainer.__init__.__signature__ = _TRAINER_SIGNATURE  # type: ignore[attr-defined]
train.__signature__ = _TRAIN_SIGNATURE  # type: ignore[attr-defined]
train.__doc__ = (train.__doc__ or "") % {"settings": SETTINGS_DOC}
# Both check their settings by building a RunConfig: its constraints are theirs.
train.__parameter_constraints__ = CONSTRAINTS  # type: ignore[attr-defined]
Trainer.__parameter_constraints__ = CONSTRAINTS  # type: ignore[attr-defined]
