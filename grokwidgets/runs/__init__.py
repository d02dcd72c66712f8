"""Precomputed training runs shipped with the package, so the essay opens instantly.

``scripts/make_runs.py`` made them with :func:`grokwidgets.experiment.train` at
the default settings (p = 53, addition, 40% training pairs, lr 1e-2, hidden 128,
embedding 16, 3000 steps): a weight-decay sweep at seed 0, seeds 0-2 at weight
decay 1, and, for every weight decay of the seed sweep (:func:`load_sweep`), the
seed with the median grok step (:func:`median_seed`). Each file holds the full
:class:`~grokwidgets.experiment.History` (float64, exactly as trained) and
parameter checkpoints at 21 near-geometric steps, stored as float16 (relative
rounding error below 1e-3: invisible in a heatmap, and the Fourier measures move
by less than 2e-3) and returned as float32. ``load_llc`` gives each run's learning
coefficient curve with its diagnostics. The seed sweep and phase diagram
(summaries of 216 runs, no parameters) are in :mod:`grokwidgets.runs.sweep`.

Measured (memorization step, grok step) at seed 0: weight decay 0 (40, never),
0.3 (40, 1550), 0.5 (40, 890), 1 (50, 500), 2 (70, 300).

    >>> from grokwidgets.runs import available_runs, load_run
    >>> sorted({c.weight_decay for c in available_runs()})
    [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0]
    >>> run = load_run(weight_decay=1.0, seed=0)
    >>> run.memorization_step, run.grok_step
    (50, 500)

Loading reads one small file (no training) and is cached; the returned runs are
read-only, so sharing them between widgets is safe.
"""

from __future__ import annotations

import functools
import json
import math
import numbers
from importlib import resources
from types import MappingProxyType

import numpy as np
import threadpoolctl

from grokwidgets._validation import readonly
from grokwidgets.experiment import History, Run, RunConfig
from grokwidgets.measures import LLCCurve
from grokwidgets.runs.measured import MeasuredCurves, measured_curves, measured_weight_decays
from grokwidgets.runs.sweep import Sweep, load_sweep, median_seed

__all__ = [
    "MeasuredCurves",
    "Sweep",
    "available_runs",
    "load_llc",
    "load_run",
    "load_sweep",
    "measured_curves",
    "measured_weight_decays",
    "median_seed",
]

_HISTORY_FIELDS = ("step", "train_loss", "test_loss", "train_acc", "test_acc", "weight_norm")


@functools.cache
def _index() -> dict:
    return json.loads(resources.files(__name__).joinpath("index.json").read_text("utf-8"))


def available_runs() -> tuple[RunConfig, ...]:
    """The configs of the shipped runs, sorted by seed then weight decay (reads no run)."""
    configs = [RunConfig(**entry["config"]) for entry in _index()["runs"]]
    return tuple(sorted(configs, key=lambda c: (c.seed, c.weight_decay)))


def load_run(weight_decay: float = 1.0, seed: int = 0) -> Run:
    """The shipped run with this weight decay and seed.

    Parameters
    ----------
    weight_decay : float, default 1.0
        One of the shipped weight decays (see :func:`available_runs`).
    seed : int, default 0
        One of the shipped seeds for that weight decay.

    Returns
    -------
    Run
        The same kind of object :func:`~grokwidgets.experiment.train` returns, with
        read-only arrays; the same object on every call with the same arguments.

    Raises
    ------
    TypeError
        For a non-numeric weight decay or a non-int seed.
    ValueError
        If no run with these values is shipped; the message lists those that are.
    """
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, numbers.Real):
        raise TypeError(f"weight_decay must be a real number, got {weight_decay!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, got {seed!r}")
    try:
        wd = float(weight_decay)
    except OverflowError:  # an int beyond the float range: certainly not shipped
        raise ValueError(f"no shipped run with weight_decay={weight_decay!r}") from None
    return _load(wd, int(seed))


@functools.cache
def _load(weight_decay: float, seed: int) -> Run:
    for entry in _index()["runs"]:
        cfg = entry["config"]
        if cfg["seed"] == seed and math.isclose(cfg["weight_decay"], weight_decay, abs_tol=1e-12):
            return _read(entry["file"], RunConfig(**cfg))
    shipped = ", ".join(f"({c.weight_decay:g}, {c.seed})" for c in available_runs())
    raise ValueError(
        f"no shipped run with weight_decay={weight_decay!r}, seed={seed!r}; "
        f"shipped (weight_decay, seed): {shipped}"
    )


def load_llc(weight_decay: float = 1.0, seed: int = 0) -> LLCCurve:
    """The learning coefficient estimated along a shipped run (precomputed).

    Made by ``scripts/make_llc.py`` with :func:`grokwidgets.measures.llc_curve` at
    its default settings (recorded in ``settings``). Same arguments and errors as
    :func:`load_run`.
    """
    run = load_run(weight_decay, seed)  # validates, and names what is shipped
    return _load_llc(run.config.weight_decay, run.config.seed)


@functools.cache
def _load_llc(weight_decay: float, seed: int) -> LLCCurve:
    data = json.loads(resources.files(__name__).joinpath("llc.json").read_text("utf-8"))
    for c in data["curves"]:
        if c["seed"] == seed and math.isclose(c["weight_decay"], weight_decay, abs_tol=1e-12):
            floats = {
                k: readonly(np.asarray(c[k], dtype=np.float64))  # JSON null -> NaN
                for k in ("llc", "llc_std", "train_loss", "excess_loss", "rhat", "epsilon",
                          "train_acc")
            }  # fmt: skip
            return LLCCurve(
                step=readonly(np.asarray(c["step"], dtype=np.int64)),
                # Read-only on purpose; LLCCurve.settings is annotated dict (llc.py,
                # not this module's: a Mapping annotation there is requested).
                settings=MappingProxyType(dict(data["settings"])),  # type: ignore[arg-type]
                valid=readonly(np.asarray(c["valid"], dtype=bool)),
                reasons=tuple(c["reasons"]),
                **floats,
            )
    raise ValueError(  # a shipped run without its curve: rerun scripts/make_llc.py
        f"no LLC curve shipped for weight_decay={weight_decay!r}, seed={seed!r}"
    )


def _blas_kernel() -> str:
    """The BLAS library and kernel in use, e.g. ``"openblas 0.3.31 SkylakeX"``.

    The bits of a run depend on it (kernels sum in different orders), so the index
    records the one the shipped runs were made with.
    """
    keys = ("internal_api", "version", "architecture")
    info = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(" ".join(str(i.get(k)) for k in keys) for i in info)


def _read(filename: str, config: RunConfig) -> Run:
    with resources.as_file(resources.files(__name__).joinpath(filename)) as path:
        with np.load(path, allow_pickle=False) as data:
            history = History(**{k: readonly(data[f"history/{k}"]) for k in _HISTORY_FIELDS})
            checkpoints = MappingProxyType(
                {
                    name: readonly(data[f"checkpoints/{name}"].astype(np.float32))
                    for name in config.param_shapes
                }
            )
            stored = RunConfig(**json.loads(str(data["config"])))
            step = int(data["step"])
            checkpoint_steps = readonly(data["checkpoint_steps"])
    if stored != config:  # the index and the file disagree: a half-regenerated data set
        raise RuntimeError(f"{filename} holds {stored}, but the index says {config}")
    return Run(
        config=config,
        history=history,
        checkpoint_steps=checkpoint_steps,
        checkpoints=checkpoints,
        step=step,
        stopped_early=False,
    )
