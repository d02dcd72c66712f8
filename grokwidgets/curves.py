"""The curve model behind the essay's central figure: Type A and Type B learning.

A *Type A* run (accumulation) keeps adding effective parameters: its training loss
falls steadily, its complexity rises in step, and its test loss stays high because
a lookup table of the training pairs says nothing about new ones.

A *Type B* run (grokking) memorizes early too, then sits on a plateau, then its
test loss drops sharply when it reaches a simpler solution. Its complexity peaks at
memorization and falls from then on: part of the fall is spread over the plateau,
and it falls steepest during the test-loss drop, so most of the fall is done by the
time the test loss is down. (The measured LLC is flagged invalid around
memorization, so the peak itself is drawn, not measured.)
That is the shape the learning coefficient measured on the shipped runs shows
(:func:`grokwidgets.runs.measured_curves`; compared in ``tests/test_measured.py``).
Regularization (weight decay) favours the simpler solution and brings the
transition earlier: the median transition step is

    t_B(r) = t_mem + T0 / r                                        (r > 0)

so it falls strictly as r grows and never happens at r = 0. This is the shape
that real runs show (grokking time roughly proportional to 1/weight decay, as in
Liu et al.'s Omnigrok and in :mod:`grokwidgets.experiment`); the curves here are a
drawing of that behaviour, not a simulation. The real, trained run lives in
:mod:`grokwidgets.experiment`.

With a ``seed``, the transition time is drawn log-normally around the median, so
runs differ and the fraction of runs that transition within the horizon rises with
regularization. With ``seed=None`` the curves are the median run.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from grokwidgets._validation import Real

__all__ = [
    "DEFAULT_STEPS",
    "CurveResult",
    "learning_curves",
    "median_transition_step",
]

#: Default horizon (training steps) of the curves.
DEFAULT_STEPS = 10_000
#: Points per curve, log-spaced over the horizon.
DEFAULT_POINTS = 300
#: Largest regularization the model takes: far beyond any sensible weight decay (the
#: essay's slider stops at 10), and small enough that every step it gives is a float.
MAX_REGULARIZATION = 1e6
#: Longest horizon :func:`learning_curves` draws.
MAX_STEPS = 1e15
#: Most points per curve :func:`learning_curves` draws (a bound on its memory and time).
MAX_POINTS = 100_000

# Shape constants, in units of steps and nats. Chosen so the default horizon shows
# the whole story for regularization in [0.01, 10]: memorization near step 100, a
# transition near step 1,000 at r = 1, and none within 10,000 steps below r ~ 0.1.
_CHANCE_LOSS = math.log(53)  # loss of a uniform guess over 53 classes (the real run's p)
_TRAIN_FLOOR = 0.01
_TEST_FLOOR = 0.03
_OVERFIT_BUMP = 0.5  # memorizing makes confident wrong guesses: test loss rises a little
_TAU_A, _ALPHA_A = 250.0, 0.6  # Type A: slow, steady memorization over the log axis
_TAU_B, _ALPHA_B = 40.0, 1.6  # Type B: memorizes fast, early
_T0 = 900.0  # median plateau length at r = 1
_WIDTH = 0.05  # width of the transition in log-steps: 90% of the drop within x0.9..x1.12
_SPREAD = 0.35  # log-normal spread of the transition step across seeds
# The shape of Type B's fall in complexity, matched to the shipped runs' measured LLC
# (tests/test_measured.py): part of the fall is spread over the plateau, the rest
# comes during the test-loss drop, over a slightly wider window than the drop.
_PLATEAU_DRIFT = 0.6  # share of the fall spread over the plateau (log-steps), fastest early
_DRIFT_POWER = 1.5  # the plateau share falls as 1 - (1 - progress) ** 1.5
_FALL_WIDTH = 0.08  # width of the fall in log-steps (the test loss drops over 0.05)
_B_LOW = 0.25  # Type B complexity after the transition (structure.py: its core is 1/4)


@dataclass(frozen=True, eq=False)
class CurveResult:
    """Learning curves of one run of the curve model.

    Attributes
    ----------
    kind : {"A", "B"}
        Which type of transition.
    regularization : float
        The regularization strength the curves were drawn for.
    steps : ndarray of float
        Training steps, log-spaced from 1 to the horizon.
    train_loss, test_loss : ndarray of float
        Cross-entropy-like losses in nats, same length as ``steps``.
    complexity : ndarray of float
        Effective complexity in [0, 1] (1 = a lookup table of the training set).
    memorization_step : float
        Step at which the training loss has fallen 95% of the way to its floor.
    transition_step : float or None
        For ``"B"``, the step at which the test loss is halfway down its sharp drop
        (the move to the simpler solution), or None when that happens after the
        horizon. For ``"A"``, the midpoint of the rise in complexity (the move to the
        more complex solution), or None when that is after the horizon; at the
        default horizon it always lies within it.
    """

    kind: str
    regularization: float
    steps: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    complexity: np.ndarray
    memorization_step: float
    transition_step: float | None

    def value_at(self, step: float) -> dict[str, float]:
        """Interpolate the three curves at ``step`` (on the log-step axis).

        ``step`` must be a finite number; outside the horizon it is clamped to it.
        """
        step = _check_real("step", step)
        x = math.log(min(max(step, self.steps[0]), self.steps[-1]))
        xs = np.log(self.steps)
        return {
            name: float(np.interp(x, xs, getattr(self, name)))
            for name in ("train_loss", "test_loss", "complexity")
        }


_CONSTRAINTS = {
    "step": Real(),
    "regularization": Real(ge=0, le=MAX_REGULARIZATION),
    # far beyond any run; near the float range the log-spacing overflows
    "steps": Real(gt=1, le=MAX_STEPS, joint=False),
}


_REAL = Real()


def _check_real(name: str, value: object) -> float:
    return _CONSTRAINTS.get(name, _REAL).check(name, value)


def _check_regularization(regularization: object) -> float:
    return _CONSTRAINTS["regularization"].check("regularization", regularization)


def _check_steps(steps: object) -> float:
    return _CONSTRAINTS["steps"].check("steps", steps)


def _rng(seed: object) -> np.random.Generator | None:
    if seed is None:
        return None
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise ValueError(
            f"seed must be None, a non-negative int or a numpy Generator, got {seed!r}"
        )
    return np.random.default_rng(int(seed))


def _memorization(t: np.ndarray, tau: float, alpha: float) -> np.ndarray:
    """Fraction of the training set memorized: a stretched exponential in t."""
    with np.errstate(over="ignore"):  # (t / tau) ** alpha -> inf at huge t: all memorized
        return -np.expm1(-((t / tau) ** alpha))


def _memorized_at(tau: float, alpha: float, fraction: float = 0.95) -> float:
    return tau * (-math.log1p(-fraction)) ** (1.0 / alpha)


def median_transition_step(regularization: float) -> float | None:
    """Median Type B transition step for ``regularization`` (None when it is 0).

    ``t_mem + T0 / r``: strictly decreasing in ``r``; infinite (None) at ``r = 0``.
    """
    r = _check_regularization(regularization)
    t = _memorized_at(_TAU_B, _ALPHA_B) + _T0 / r if r > 0 else math.inf
    return t if math.isfinite(t) else None  # a subnormal r: beyond any float step


def learning_curves(
    kind: str,
    regularization: float,
    steps: float = DEFAULT_STEPS,
    seed: int | np.random.Generator | None = None,
    *,
    points: int = DEFAULT_POINTS,
) -> CurveResult:
    """Learning curves of a Type A (memorizing) or Type B (grokking) run.

    Parameters
    ----------
    kind : {"A", "B"}
        ``"A"``: accumulation toward a more complex solution (memorization only).
        ``"B"``: memorization followed by a transition to a simpler solution.
    regularization : float
        Strength of the pressure toward simplicity (think weight decay), in [0, 1e6].
    steps : float, default 10_000
        Horizon in training steps, in (1, 1e15].
    seed : int, numpy Generator or None, default None
        None draws the median run. An int or Generator jitters the memorization
        and transition times, so different seeds give different runs.
    points : int, default 300
        Number of log-spaced points per curve, in [2, 100_000].

    Returns
    -------
    CurveResult

    Raises
    ------
    ValueError
        For an unknown ``kind``, a negative or non-finite ``regularization``, a
        non-finite or too small ``steps``, a bad ``seed`` or ``points``.

    Examples
    --------
    >>> b = learning_curves("B", regularization=1.0)
    >>> round(b.transition_step)
    979
    >>> learning_curves("B", regularization=0.0).transition_step is None
    True
    """
    if not isinstance(kind, str) or kind not in ("A", "B"):
        raise ValueError(f'kind must be "A" or "B", got {kind!r}')
    r = _check_regularization(regularization)
    horizon = _check_steps(steps)
    if (
        isinstance(points, bool)
        or not isinstance(points, numbers.Integral)
        or not 2 <= points <= MAX_POINTS
    ):
        raise ValueError(f"points must be an int in [2, {MAX_POINTS}], got {points!r}")
    rng = _rng(seed)
    # Standard normal draws (zero for the median run): memorization and transition jitter.
    z_mem, z_tr = (0.0, 0.0) if rng is None else rng.standard_normal(2)

    t = np.geomspace(1.0, horizon, int(points))
    if kind == "A":
        return _type_a(t, r, float(z_mem))
    return _type_b(t, r, float(z_mem), float(z_tr))


def _type_a(t: np.ndarray, r: float, z_mem: float) -> CurveResult:
    # Regularization slows accumulation and caps it a little, but cannot stop it:
    # with no simpler solution on offer, memorizing is the only way to fit.
    tau = _TAU_A * (1.0 + 0.15 * r) * math.exp(0.15 * z_mem)
    m = _memorization(t, tau, _ALPHA_A)
    peak = 1.0 / (1.0 + 0.05 * r)
    train = _TRAIN_FLOOR + (_CHANCE_LOSS - _TRAIN_FLOOR) * (1.0 - m)
    test = _CHANCE_LOSS + _OVERFIT_BUMP * m
    complexity = peak * m
    midpoint = _memorized_at(tau, _ALPHA_A, 0.5)
    return CurveResult(
        kind="A",
        regularization=r,
        steps=t,
        train_loss=train,
        test_loss=test,
        complexity=complexity,
        memorization_step=_memorized_at(tau, _ALPHA_A),
        transition_step=midpoint if midpoint <= t[-1] else None,
    )


def _type_b(t: np.ndarray, r: float, z_mem: float, z_tr: float) -> CurveResult:
    tau = _TAU_B * math.exp(0.15 * z_mem)
    m = _memorization(t, tau, _ALPHA_B)
    t_mem = _memorized_at(tau, _ALPHA_B)
    horizon = float(t[-1])
    t_tr = t_mem + _T0 / r * math.exp(_SPREAD * z_tr) if r > 0 else math.inf
    if math.isfinite(t_tr):
        x = np.log(t) - math.log(t_tr)
        # s: how far through the sudden drop of the test loss, a logistic in log-steps
        # centred on t_tr (written with tanh, which cannot overflow).
        s = 0.5 * (1.0 + np.tanh(x / (2.0 * _WIDTH)))
        # The complexity falls through the same drop, a little more gradually.
        fall = 0.5 * (1.0 + np.tanh(x / (2.0 * _FALL_WIDTH)))
        # p: progress through the plateau (0 at memorization, 1 at the transition).
        # (At a huge r, t_tr rounds to t_mem: the plateau has no length, so p jumps
        # from 0 to 1 at t_mem; dividing by its zero length would give NaN.)
        plateau = math.log(t_tr / t_mem)
        p = (
            np.clip(np.log(np.maximum(t, t_mem) / t_mem) / plateau, 0.0, 1.0)
            if plateau > 0
            else (t > t_mem).astype(float)
        )
    else:
        s = np.zeros_like(t)
        fall = np.zeros_like(t)
        p = np.zeros_like(t)
    # How much of its fall the complexity has done: from memorization on it drifts
    # down through the plateau, then falls steepest during the test-loss drop.
    # 0 until memorization, 1 long after t_tr.
    done = _PLATEAU_DRIFT * (1.0 - (1.0 - p) ** _DRIFT_POWER) + (1.0 - _PLATEAU_DRIFT) * fall
    complexity = m * (1.0 - done) + _B_LOW * done
    train = _TRAIN_FLOOR + (_CHANCE_LOSS - _TRAIN_FLOOR) * (1.0 - m)
    train = train * (1.0 - s) + _TRAIN_FLOOR * 0.5 * s
    plateau_loss = _CHANCE_LOSS + _OVERFIT_BUMP * m
    test = plateau_loss * (1.0 - s) + _TEST_FLOOR * s
    return CurveResult(
        kind="B",
        regularization=r,
        steps=t,
        train_loss=train,
        test_loss=test,
        complexity=complexity,
        memorization_step=t_mem,
        transition_step=t_tr if t_tr <= horizon else None,
    )
