"""Marbles on a two-dimensional potential: noisy gradient descent, vectorized over marbles.

:func:`run_marble` rolls marbles by Langevin dynamics and records their paths;
:func:`settle` rolls many on a potential with two basins (a
:class:`~grokwidgets.landscape.TwoBasin`) and reports where they ended and the
fraction in the simple basin. Both work on any :class:`Potential`: an object with
``value(x, y)``, ``grad(x, y)`` and a plotting window.

The potentials themselves are in :mod:`grokwidgets.landscape`, which re-exports
everything here (``from grokwidgets.landscape import run_marble`` keeps working).
This module sits below it and imports none of them: a loop asks a potential for
its unchecked methods by name (:func:`loop_methods`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from grokwidgets._validation import (
    AnyOf,
    HasMethods,
    InstanceOf,
    Integer,
    InvalidParameterError,
    Real,
    readonly,
    validate_params,
)

__all__ = [
    "Basins",
    "MarbleWarning",
    "Potential",
    "Settled",
    "Trajectory",
    "loop_methods",
    "run_marble",
    "settle",
]


class MarbleWarning(UserWarning):
    """A marble left every finite value (the step size is too large for the potential)."""


@runtime_checkable
class Potential(Protocol):
    """What :func:`run_marble` and :func:`~grokwidgets.landscape.evaluate_grid` need of a
    potential."""

    # Read-only: a potential may hold them as attributes or as properties.
    @property
    def xlim(self) -> tuple[float, float]: ...

    @property
    def ylim(self) -> tuple[float, float]: ...

    def value(self, x: object, y: object) -> np.ndarray: ...

    def grad(self, x: object, y: object) -> tuple[np.ndarray, np.ndarray]: ...


@runtime_checkable
class Basins(Potential, Protocol):
    """A potential with two basins: what :func:`settle` needs (a ``TwoBasin``)."""

    def classify(self, x: object, y: object) -> np.ndarray: ...


ValueFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
GradFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def loop_methods(potential: Potential) -> tuple[ValueFn, GradFn]:
    """The ``value`` and ``grad`` a loop over a potential's own iterates should call.

    The landscape's potentials check ``x`` and ``y`` on every public call, pure
    overhead for a loop's own (possibly diverged) positions, and offer unchecked
    twins, ``value_unchecked`` and ``grad_unchecked``: those, when present, else the
    public methods. Callers run them under ``np.errstate(all="ignore")`` and report
    overflow themselves (:class:`MarbleWarning`).
    """
    value = getattr(potential, "value_unchecked", potential.value)
    grad = getattr(potential, "grad_unchecked", potential.grad)
    return value, grad


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Where marbles went. Arrays are read-only.

    Attributes
    ----------
    positions : ndarray, shape (steps + 1, 2) or (steps + 1, m, 2)
        Position at every step, the start included; the marble axis is present
        when ``start`` was an array of ``m`` points.
    values : ndarray, shape (steps + 1,) or (steps + 1, m)
        The potential at every position.
    """

    positions: np.ndarray
    values: np.ndarray


@dataclass(frozen=True, eq=False)
class Settled:
    """Where marbles ended up on a two-basin potential. Arrays are read-only.

    Attributes
    ----------
    start : ndarray, shape (m, 2)
        Starting points.
    final : ndarray, shape (m, 2)
        End points.
    in_simple : ndarray of bool, shape (m,)
        True for marbles that ended in the simple basin (see
        :meth:`~grokwidgets.landscape.TwoBasin.classify`).
    fraction_simple : float
        ``in_simple.mean()``.
    """

    start: np.ndarray
    final: np.ndarray
    in_simple: np.ndarray
    fraction_simple: float


# --------------------------------------------------------------------------- checks

#: Upper limits on sizes: each is far beyond the figures' needs (2,000 steps, 400
#: marbles) and keeps one call within seconds and memory.
MAX_STEPS = 10**6
MAX_MARBLES = 10**5

#: What a function that evaluates a potential accepts (duck typed: no xlim needed).
POTENTIAL = HasMethods(
    ("value", "grad"),
    "a potential with value(x, y) and grad(x, y) methods (e.g. Bowl, Valley, TwoBasin)",
)

_DYNAMICS = {
    "potential": POTENTIAL,
    "steps": Integer(0, MAX_STEPS),
    "step_size": Real(gt=0),
    "temperature": Real(ge=0),
    "rng": InstanceOf(np.random.Generator, "a numpy.random.Generator"),
}

_SETTLE = {
    **_DYNAMICS,
    "potential": InstanceOf(Basins, "a TwoBasin (a potential with two basins: classify(x, y))"),
    "n_marbles": AnyOf(Integer(1, MAX_MARBLES), none=True),
    "spread": Real(ge=0),
}


def _check_start(start: object, n_marbles: int | None) -> tuple[np.ndarray, bool]:
    # Marbles' starting points as an (m, 2) array, and whether start was one point
    # rolled alone (the result then has no marble axis).
    what = "a point (x, y) or an (m, 2) array"
    try:
        arr = np.asarray(start, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterError(f"start must be {what}, got {start!r}") from None
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"start must be finite, got {start!r}")
    if arr.shape == (2,):
        if n_marbles is None:
            return arr.reshape(1, 2), True
        return np.tile(arr, (n_marbles, 1)), False
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise InvalidParameterError(f"start must be {what}, got {start!r}")
    if n_marbles is not None and n_marbles != arr.shape[0]:
        raise InvalidParameterError(
            f"n_marbles must be None or match start's {arr.shape[0]} rows, got {n_marbles}"
        )
    return arr, False


# --------------------------------------------------------------------------- dynamics


def _langevin(
    potential: Potential,
    starts: np.ndarray,
    steps: int,
    step_size: float,
    temperature: float,
    rng: np.random.Generator,
    *,
    record: bool,
) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    # Euler-Maruyama for dw = -grad U dt + sqrt(2 T) dB: the stationary density is
    # proportional to exp(-U / T). Marbles start at the rows of starts, (m, 2).
    x, y = starts[:, 0].copy(), starts[:, 1].copy()
    noise = math.sqrt(2.0 * step_size * temperature)
    path = [(x, y)] if record else []
    _, grad = loop_methods(potential)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            gx, gy = grad(x, y)
            x = x - step_size * gx
            y = y - step_size * gy
            if noise:
                kick = rng.standard_normal((2, x.size))
                x = x + noise * kick[0]
                y = y + noise * kick[1]
            if record:
                path.append((x, y))
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        bad = int(np.sum(~(np.isfinite(x) & np.isfinite(y))))
        warnings.warn(
            f"{bad} marble(s) left every finite value: lower step_size (now {step_size:g}) "
            "or start them nearer the minima.",
            MarbleWarning,
            stacklevel=4,  # the caller of run_marble or settle (validate_params' wrapper between)
        )
    return x, y, path


@validate_params(_DYNAMICS)
def run_marble(
    potential: Potential,
    start: object,
    *,
    steps: int = 500,
    step_size: float = 0.02,
    temperature: float = 0.05,
    rng: np.random.Generator,
) -> Trajectory:
    """Roll marbles by noisy gradient descent (Langevin dynamics) and record the path.

    ``w <- w - step_size * grad U(w) + sqrt(2 * step_size * temperature) * N(0, I)``:
    gradient descent plus the noise of SGD, modelled as heat. At temperature 0 it is
    plain gradient descent; at temperature ``T`` the marbles' long-run density is
    proportional to ``exp(-U / T)``.

    Parameters
    ----------
    potential : Bowl, Valley, TwoBasin or any :class:`Potential`
    start : array_like, shape (2,) or (m, 2)
        One starting point, or one per marble (all rolled at once).
    steps : int, default 500
        Steps, in [0, 1e6].
    step_size : float, default 0.02
        > 0. Stable when ``step_size * curvature < 2`` (for ``TwoBasin``'s complex
        well, curvature about 11 at the defaults).
    temperature : float, default 0.05
        >= 0.
    rng : numpy.random.Generator
        Source of the noise; the same seed gives the same path.

    Returns
    -------
    Trajectory

    Warns
    -----
    MarbleWarning
        If a marble's position overflows (too large a step).

    Examples
    --------
    >>> from grokwidgets.landscape import Bowl
    >>> path = run_marble(Bowl(), (1.0, -1.0), steps=300, temperature=0.0,
    ...                   rng=np.random.default_rng(0))
    >>> path.positions.shape, bool(abs(path.positions[-1]).max() < 0.01)
    ((301, 2), True)
    """
    starts, single = _check_start(start, None)
    _, _, path = _langevin(potential, starts, steps, step_size, temperature, rng, record=True)
    positions = np.stack([np.stack(p, axis=-1) for p in path])  # (steps + 1, m, 2)
    value, _ = loop_methods(potential)
    with np.errstate(all="ignore"):
        values = np.asarray(value(positions[..., 0], positions[..., 1]), dtype=float)
    if np.all(np.isfinite(positions)) and not np.all(np.isfinite(values)):
        warnings.warn(
            "the potential overflowed along the path: lower step_size (now "
            f"{step_size:g}) or temperature, or start the marbles nearer the minima.",
            MarbleWarning,
            stacklevel=3,  # the caller of run_marble (validate_params' wrapper between)
        )
    if single:
        positions, values = positions[:, 0], values[:, 0]
    return Trajectory(readonly(positions), readonly(values))


@validate_params(_SETTLE)
def settle(
    potential: Basins,
    start: object,
    *,
    n_marbles: int | None = None,
    spread: float = 0.0,
    steps: int = 2000,
    step_size: float = 0.02,
    temperature: float = 0.05,
    rng: np.random.Generator,
) -> Settled:
    """Roll many marbles on a ``TwoBasin`` and report which basin each ends in.

    Vectorized over marbles: 1,000 marbles for 2,000 steps (and the 500-step quench
    that classifies them) take about 0.2 s.

    Parameters
    ----------
    potential : TwoBasin
        Or any :class:`Basins`: a potential whose ``classify(x, y)`` says which
        points belong to the simple basin.
    start : array_like, shape (2,) or (m, 2)
        A common starting point (then ``n_marbles`` of them, each moved by
        ``N(0, spread^2)`` per coordinate) or one point per marble.
    n_marbles : int, optional
        Number of marbles when ``start`` is one point, in [1, 1e5] (default 1).
    spread : float, default 0
        >= 0: scatter of the starting points around a common ``start``.
    steps, step_size, temperature, rng
        As in :func:`run_marble`; the path is not recorded.

    Returns
    -------
    Settled
        Marbles that overflowed (see :class:`MarbleWarning`) count as not simple.
    """
    starts, _ = _check_start(start, n_marbles)
    starts = starts.copy()
    if spread:
        with np.errstate(all="ignore"):
            starts += spread * rng.standard_normal(starts.shape)
    x, y, _ = _langevin(potential, starts, steps, step_size, temperature, rng, record=False)
    final = np.stack([x, y], axis=1)
    ok = np.all(np.isfinite(final), axis=1)
    in_simple = np.zeros(final.shape[0], dtype=bool)
    with np.errstate(all="ignore"):
        in_simple[ok] = potential.classify(x[ok], y[ok])
    return Settled(readonly(starts), readonly(final), readonly(in_simple), float(in_simple.mean()))
