"""The essay's central figure from real runs: measured Type A and Type B curves.

:func:`measured_curves` is the measured counterpart of
:func:`grokwidgets.curves.learning_curves`. It returns the same fields, read off
the shipped training runs (:func:`~grokwidgets.runs.load_run`) and their learning
coefficient curves (:func:`~grokwidgets.runs.load_llc`) instead of drawn:

- ``"A"`` is the run without weight decay: it memorizes and never generalizes;
- ``"B"`` is the run at the given weight decay: it memorizes, then groks.

The complexity is the estimated local learning coefficient (LLC), not the drawn
model's share in [0, 1]: a number of effective parameters, in the hundreds
here. It is estimated at about 20 checkpoints only; :func:`measured_curves`
places those values on the evaluation steps by linear interpolation in
log-step (the figure's x-axis) and leaves NaN wherever an estimate was flagged
invalid, so no line is drawn through a number that should not be quoted.
"""

from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from grokwidgets import runs as _runs
from grokwidgets._validation import readonly
from grokwidgets.curves import CurveResult
from grokwidgets.experiment import Run
from grokwidgets.measures import LLCCurve

__all__ = ["MeasuredCurves", "measured_curves", "measured_llc_range", "measured_weight_decays"]

KINDS = ("A", "B")
#: The weight decay of the Type A (memorizing) run.
MEMORIZING_WEIGHT_DECAY = 0.0


@dataclass(frozen=True, eq=False)
class MeasuredCurves(CurveResult):
    """The curves of one shipped run, with the fields of a :class:`CurveResult`.

    Attributes
    ----------
    kind : {"A", "B"}
    regularization : float
        The run's weight decay (0 for ``"A"``).
    steps : ndarray of int64
        The run's evaluation steps, 0 to the end of training: ``run.history.step``.
    train_loss, test_loss : ndarray of float64
        ``run.history.train_loss`` and ``run.history.test_loss`` (the same arrays).
    complexity : ndarray of float64
        The estimated learning coefficient at each of ``steps``: interpolated
        linearly in log-step between the checkpoints it was estimated at, NaN
        before the first of them and on any stretch that touches an invalid one.
    memorization_step : float
        ``run.memorization_step`` (first evaluation at 99% training accuracy).
    transition_step : float or None
        For ``"B"``, the shipped grok step ``run.grok_step`` (first evaluation at
        95% test accuracy), None if it never groks; always None for ``"A"``.
    seed : int
        The run's seed.
    run : Run
        The shipped run (read-only arrays, shared).
    llc : LLCCurve
        Its learning coefficient curve, as shipped.
    llc_valid : ndarray of bool
        Per checkpoint of ``llc``, whether its estimate is valid (finite and not
        flagged).
    """

    seed: int
    run: Run = field(repr=False)
    llc: LLCCurve = field(repr=False)
    llc_valid: np.ndarray = field(repr=False)

    def value_at(self, step: float) -> dict[str, float]:
        """The three curves at ``step``, linear in steps between evaluations.

        ``step`` is clamped to the run; the complexity is NaN where it is.
        """
        if isinstance(step, bool) or not isinstance(step, numbers.Real):
            raise ValueError(f"step must be a real number, got {step!r}")
        x = float(step)
        if not math.isfinite(x):
            raise ValueError(f"step must be finite, got {step!r}")
        x = min(max(x, float(self.steps[0])), float(self.steps[-1]))
        return {
            name: float(np.interp(x, self.steps, getattr(self, name)))
            for name in ("train_loss", "test_loss", "complexity")
        }


def _median_seed(weight_decay: float) -> int:
    return int(_runs.median_seed(weight_decay))


def _shipped_seeds() -> dict[float, set[int]]:
    seeds: dict[float, set[int]] = {}
    for c in _runs.available_runs():
        seeds.setdefault(float(c.weight_decay), set()).add(int(c.seed))
    return seeds


def measured_weight_decays() -> tuple[float, ...]:
    """The weight decays :func:`measured_curves` takes (sorted; 0 is Type A's run).

    Those with a shipped run at the median seed (:func:`~grokwidgets.runs.median_seed`).

    >>> measured_weight_decays()[0]
    0.0
    """
    out = []
    for wd, seeds in _shipped_seeds().items():
        try:
            if _median_seed(wd) in seeds:
                out.append(wd)
        except ValueError:  # a weight decay outside the sweep: no median seed
            continue
    return tuple(sorted(out))


def _check_weight_decay(weight_decay: object) -> float:
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, numbers.Real):
        raise ValueError(f"weight_decay must be a real number, got {weight_decay!r}")
    try:
        wd = float(weight_decay)
    except OverflowError:
        wd = math.inf
    shipped = measured_weight_decays()
    for s in shipped:
        if math.isclose(wd, s, rel_tol=1e-9, abs_tol=1e-12):
            return s
    raise ValueError(
        f"no shipped run with weight_decay={weight_decay!r}; shipped weight decays: "
        + ", ".join(f"{s:g}" for s in shipped)
    )


def _valid(curve: LLCCurve) -> np.ndarray:
    # Quoted only where the estimate is finite and passed every check.
    return np.isfinite(curve.llc) & np.asarray(curve.valid, dtype=bool)


def _place(steps: np.ndarray, at: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` (NaN = invalid) at checkpoints ``at``, interpolated to ``steps``.

    Linear in log-step between consecutive checkpoints; NaN outside ``at``'s
    range and between two checkpoints of which either is NaN (except exactly at
    the other, valid one).
    """
    out = np.full(steps.shape, np.nan)
    at = np.asarray(at, dtype=np.float64)
    s = np.asarray(steps, dtype=np.float64)
    inside = (s >= at[0]) & (s <= at[-1]) & (s > 0)
    if at.size == 1:
        out[inside] = values[0]
        return out
    x = s[inside]
    j = np.clip(np.searchsorted(at, x, side="right") - 1, 0, at.size - 2)
    lo, hi = at[j], at[j + 1]
    w = (np.log(x) - np.log(lo)) / (np.log(hi) - np.log(lo))
    v0, v1 = values[j], values[j + 1]
    mixed = v0 + w * (v1 - v0)  # NaN if either end is NaN
    out[inside] = np.where(w == 0.0, v0, np.where(w == 1.0, v1, mixed))
    return out


def measured_curves(kind: str, weight_decay: float, seed: int | None = None) -> MeasuredCurves:
    """Measured learning curves of a memorizing (A) or grokking (B) shipped run.

    Parameters
    ----------
    kind : {"A", "B"}
        ``"A"``: the run with no weight decay, which only memorizes.
        ``"B"``: the run at ``weight_decay``, which memorizes and then groks.
    weight_decay : float
        One of :func:`measured_weight_decays`; selects the ``"B"`` run (``"A"``
        checks it the same way but always reads the weight-decay-0 run).
    seed : int or None, default None
        None takes the run with the median grok step among that weight decay's
        seeds (:func:`~grokwidgets.runs.median_seed`); an int, that seed's run.

    Returns
    -------
    MeasuredCurves
        A :class:`~grokwidgets.curves.CurveResult` with the run's own histories,
        its learning coefficient as the complexity and its grok step as the
        transition; read-only arrays.

    Raises
    ------
    ValueError
        For an unknown ``kind``, or a weight decay or seed with no shipped run
        (the message lists the shipped weight decays or runs).

    Examples
    --------
    >>> b = measured_curves("B", weight_decay=1.0)
    >>> int(b.steps[-1]), b.transition_step == b.run.grok_step
    (3000, True)
    >>> measured_curves("A", weight_decay=1.0).transition_step is None
    True
    """
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f'kind must be "A" or "B", got {kind!r}')
    wd = _check_weight_decay(weight_decay)
    if kind == "A":
        wd = MEMORIZING_WEIGHT_DECAY
    if seed is None:
        seed = _median_seed(wd)
    elif isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be None or an int, got {seed!r}")
    run = _runs.load_run(wd, int(seed))  # names the shipped runs if there is none
    curve = _runs.load_llc(wd, int(seed))
    valid = readonly(_valid(curve))
    values = np.where(valid, curve.llc, np.nan)
    history = run.history
    grok = run.grok_step if kind == "B" else None
    memorized = run.memorization_step
    return MeasuredCurves(
        kind=kind,
        regularization=wd,
        steps=history.step,
        train_loss=history.train_loss,
        test_loss=history.test_loss,
        complexity=readonly(_place(history.step, curve.step, values)),
        memorization_step=math.nan if memorized is None else float(memorized),
        transition_step=None if grok is None else float(grok),
        seed=int(seed),
        run=run,
        llc=curve,
        llc_valid=valid,
    )


@functools.cache
def measured_llc_range() -> tuple[float, float]:
    """Smallest and largest positive LLC estimate, valid or flagged, over every run
    :func:`measured_curves` reads (at the median seeds): the limits of a complexity
    axis that shows them all (flagged ones too, drawn apart)."""
    values = []
    for wd in measured_weight_decays():
        llc = np.asarray(_runs.load_llc(wd, _median_seed(wd)).llc)
        values.append(llc[np.isfinite(llc) & (llc > 0)])
    v = np.concatenate(values)
    return float(v.min()), float(v.max())
