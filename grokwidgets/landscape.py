"""Two-dimensional loss landscapes and a noisy marble rolling on them.

Three potentials, each with a vectorized ``value(x, y)`` and ``grad(x, y)``:

- :class:`Bowl`, a regular minimum: ``K = (a x^2 + b y^2) / 2``. Its minimum is a
  single point; near it the volume of ``{K < t}`` grows like ``t^1``, so the
  learning coefficient is ``lambda = 1`` (= d/2 for d = 2).
- :class:`Valley`, a singular minimum: ``K = s x^2 y^2``. Its minimum set
  ``{K = 0}`` is the union of the two axes, a curve, and the gradient
  ``(2 s x y^2, 2 s x^2 y)`` vanishes all along it. The two branches cross at the
  origin, the most singular point (``lambda = 1/2`` there, with multiplicity 2).
- :class:`TwoBasin`, the grokking picture: a sharp, "complex" basin and a broad,
  "simple" basin with a flat (quartic) direction, separated by a barrier, plus
  weight decay that tilts the landscape toward the simple basin:

      U(x, y) = K(x, y) + r / 2 (x^2 + y^2) + W(x, y)
      K(x, y) = 1 - D_s exp(-x^2 / (2 a^2) - y^4 / (4 b^4))
                  - D_c exp(-((x - c)^2 + y^2) / (2 s^2))
      W(x, y) = k max(0, rho - R)^2,   rho = |(x, y) - (c / 2, 0)|

  ``r`` is ``regularization``. The simple minimum sits at the origin, so weight
  decay costs it nothing; the complex minimum sits near ``(c, 0)`` and pays about
  ``r c^2 / 2``. Near its minimum the simple basin is ``1 - D_s + D_s (x^2 /
  (2 a^2) + y^4 / (4 b^4))``: curved along x, flat (quartic) along y, so ``lambda =
  1/2 + 1/4 = 3/4``; the complex one is a round well of curvature ``D_c / s^2`` in
  both directions (``lambda = 1``). ``W`` is a soft wall
  that keeps marbles on the picture; it is zero within radius ``R`` of the middle.

:func:`run_marble` rolls marbles by Langevin dynamics (noisy gradient descent,
vectorized over marbles); :func:`settle` rolls many and reports where they ended
and the fraction in the simple basin.

With the defaults (``D_s = 0.7, D_c = 1, a = 0.6, b = 0.9, c = 2.5, s = 0.3, R = 4,
k = 1``) the complex minimum is the lower one (loss 0 against 0.3 at ``r = 0``) up
to ``r = 0.097``; its barrier (0.97 high at ``r = 0``) shrinks to 0.27 at ``r = 0.5``
and 0.04 at ``r = 0.8``, and from ``r = 0.92`` the complex minimum is gone: the
simple basin is the only attractor (:meth:`TwoBasin.minima`). Marbles started at
the complex minimum (400 of them, scattered by 0.1, temperature 0.05, 2,000 steps of
0.02) end in the simple basin with fraction 0, 0.02, 0.13, 0.56, 0.99, 1 at ``r =
0, 0.35, 0.45, 0.55, 0.65, 0.8`` (seed 0; seeds 1 and 2 within 0.03).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
import numbers
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "Bowl",
    "Grid",
    "MarbleWarning",
    "Potential",
    "Settled",
    "Trajectory",
    "TwoBasin",
    "Valley",
    "evaluate_grid",
    "run_marble",
    "settle",
]


class MarbleWarning(UserWarning):
    """A marble left every finite value (the step size is too large for the potential)."""


# --------------------------------------------------------------------------- checks


def _check_real(name: str, value: object, *, minimum: float | None = None, strict=False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        out = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite, got {value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if minimum is not None:
        if strict and out <= minimum:
            raise ValueError(f"{name} must be > {minimum:g}, got {value!r}")
        if not strict and out < minimum:
            raise ValueError(f"{name} must be >= {minimum:g}, got {value!r}")
    return out


_MAXIMUM = {"steps": 10**6, "quench_steps": 10**6, "n_marbles": 10**5, "num": 2001}


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    maximum = _MAXIMUM.get(name)
    if maximum is not None and int(value) > maximum:
        raise ValueError(f"{name} must be an int <= {maximum}, got {value!r}")
    return int(value)


def _check_lim(name: str, value: object) -> tuple[float, float]:
    try:
        lo, hi = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {value!r}") from None
    lo = _check_real(f"{name}[0]", lo)
    hi = _check_real(f"{name}[1]", hi)
    if not lo < hi:
        raise ValueError(f"{name} must have low < high, got {value!r}")
    return lo, hi


def _check_rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {rng!r}")
    return rng


# The range of every shape parameter of the potentials (curvatures, scales, depths,
# widths, distances): positive ones in [1e-3, 1e3], those that may be 0 (weight
# decay, wall stiffness) in [0, 1e3]. Three orders of magnitude either side of the
# defaults (all near 1) leave room for any picture; beyond them the arithmetic
# breaks at ordinary x, y: TwoBasin divides by width**2 and flatness**4
# (ZeroDivisionError for a width near 0, OverflowError near the float range), and a
# huge curvature or scale overflows value() at x = 2, an error that could only
# blame x and y. Within the box, value, grad, minima and classify stay finite on
# the default windows (tests/test_landscape.py checks extremes of the box).
_FIELD_MIN = 1e-3
_FIELD_MAX = 1e3


def _check_field(name: str, value: object, *, positive: bool) -> float:
    out = _check_real(name, value)
    low = _FIELD_MIN if positive else 0.0
    if not low <= out <= _FIELD_MAX:
        raise ValueError(f"{name} must be in [{low:g}, {_FIELD_MAX:g}], got {value!r}")
    return out


def _check_fields(obj: object, positive: tuple[str, ...], nonneg: tuple[str, ...] = ()) -> None:
    # Frozen dataclasses: validate, then store plain floats (numpy scalars and ints
    # normalized, so equal potentials compare equal).
    for name in positive:
        object.__setattr__(obj, name, _check_field(name, getattr(obj, name), positive=True))
    for name in nonneg:
        object.__setattr__(obj, name, _check_field(name, getattr(obj, name), positive=False))


# Set while this module's own loops call the potentials: their (possibly diverged)
# positions are not user input, and overflow there is reported by MarbleWarning.
_UNCHECKED: contextvars.ContextVar[bool] = contextvars.ContextVar("_UNCHECKED", default=False)


@contextlib.contextmanager
def _unchecked() -> Iterator[None]:
    token = _UNCHECKED.set(True)
    try:
        with np.errstate(all="ignore"):
            yield
    finally:
        _UNCHECKED.reset(token)


def _coord(name: str, value: object) -> np.ndarray:
    if isinstance(value, str | bytes) or value is None:
        raise TypeError(f"{name} must be a real number or array, got {value!r}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(f"{name} must be a real number or array, got {value!r}") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def _xy(x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    # Broadcast up front, so every returned array has the common shape (a gradient
    # component that does not depend on y would otherwise keep x's shape).
    if _UNCHECKED.get():
        ax, ay = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    else:
        ax, ay = _coord("x", x), _coord("y", y)
    try:
        return tuple(np.broadcast_arrays(ax, ay))  # type: ignore[return-value]
    except ValueError:
        raise ValueError(
            f"x and y must broadcast together, got shapes {ax.shape} and {ay.shape} "
            f"(x={x!r}, y={y!r})"
        ) from None


def _public(method: Callable) -> Callable:
    # Validates x, y (in _xy) and reports an overflowing result as a ValueError
    # naming x and y instead of a RuntimeWarning and inf.
    @functools.wraps(method)
    def wrapper(self: object, x: object, y: object, *args: object, **kwargs: object) -> object:
        if _UNCHECKED.get():
            return method(self, x, y, *args, **kwargs)
        with np.errstate(all="ignore"):
            out = method(self, x, y, *args, **kwargs)
        parts = out if isinstance(out, tuple) else (out,)
        if not all(np.all(np.isfinite(p)) for p in parts):
            raise ValueError(f"x, y too large: {method.__name__} overflows, got x={x!r}, y={y!r}")
        return out

    return wrapper


# --------------------------------------------------------------------------- potentials


@runtime_checkable
class Potential(Protocol):
    """What :func:`run_marble` and :func:`evaluate_grid` need of a potential."""

    # Read-only: a potential may hold them as attributes or as properties.
    @property
    def xlim(self) -> tuple[float, float]: ...

    @property
    def ylim(self) -> tuple[float, float]: ...

    def value(self, x: object, y: object) -> np.ndarray: ...

    def grad(self, x: object, y: object) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class Bowl:
    """A regular minimum at the origin: ``K = (a x^2 + b y^2) / 2``.

    Parameters
    ----------
    curvature_x, curvature_y : float, default 1
        ``a`` and ``b``, in [1e-3, 1e3]: the Hessian's eigenvalues.
    """

    curvature_x: float = 1.0
    curvature_y: float = 1.0
    #: Default plotting window.
    xlim: tuple[float, float] = (-2.0, 2.0)
    ylim: tuple[float, float] = (-2.0, 2.0)

    def __post_init__(self) -> None:
        _check_fields(self, ("curvature_x", "curvature_y"))
        object.__setattr__(self, "xlim", _check_lim("xlim", self.xlim))
        object.__setattr__(self, "ylim", _check_lim("ylim", self.ylim))

    @_public
    def value(self, x: object, y: object) -> np.ndarray:
        """``K(x, y)``, broadcast over array arguments."""
        x, y = _xy(x, y)
        return 0.5 * (self.curvature_x * x * x + self.curvature_y * y * y)

    @_public
    def grad(self, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
        """``(dK/dx, dK/dy)``, broadcast over array arguments."""
        x, y = _xy(x, y)
        return self.curvature_x * x, self.curvature_y * y


@dataclass(frozen=True)
class Valley:
    """A singular minimum: ``K = s x^2 y^2``, zero along both axes.

    Parameters
    ----------
    scale : float, default 1
        ``s``, in [1e-3, 1e3].
    """

    scale: float = 1.0
    xlim: tuple[float, float] = (-2.0, 2.0)
    ylim: tuple[float, float] = (-2.0, 2.0)

    def __post_init__(self) -> None:
        _check_fields(self, ("scale",))
        object.__setattr__(self, "xlim", _check_lim("xlim", self.xlim))
        object.__setattr__(self, "ylim", _check_lim("ylim", self.ylim))

    @_public
    def value(self, x: object, y: object) -> np.ndarray:
        """``K(x, y)``, broadcast over array arguments."""
        x, y = _xy(x, y)
        return self.scale * (x * y) ** 2

    @_public
    def grad(self, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
        """``(dK/dx, dK/dy) = (2 s x y^2, 2 s x^2 y)``, zero on both axes."""
        x, y = _xy(x, y)
        xy2 = 2.0 * self.scale * x * y
        return xy2 * y, xy2 * x

    def minimum_set(self, num: int = 101) -> tuple[np.ndarray, np.ndarray]:
        """Points ``(x, y)`` on the minimum set inside the window: both axes.

        Returns two arrays of length ``2 * num``: ``num`` points along the x axis
        (``y = 0``) then ``num`` along the y axis (``x = 0``).
        """
        num = _check_int("num", num, 2)
        xs = np.linspace(*self.xlim, num)
        ys = np.linspace(*self.ylim, num)
        return np.concatenate([xs, np.zeros(num)]), np.concatenate([np.zeros(num), ys])


@dataclass(frozen=True)
class TwoBasin:
    """A sharp complex basin and a broad simple one, tilted by weight decay.

    ``U = K + r/2 |w|^2 + W`` with ``K`` and ``W`` as in the module docstring.

    Parameters
    ----------
    regularization : float, default 0
        ``r``, in [0, 1e3]: the weight-decay strength.
    simple_depth, complex_depth : float, default 0.7 and 1.0
        ``D_s`` and ``D_c``, in [1e-3, 1e3]: how far each basin's floor is below the
        plateau ``K = 1``. The complex basin fits the data better (deeper) at ``r = 0``.
    simple_width : float, default 0.6
        ``a``, in [1e-3, 1e3]: the simple basin's width along x.
    simple_flatness : float, default 0.9
        ``b``, in [1e-3, 1e3]: the scale of the simple basin's flat, quartic direction y.
    complex_center : float, default 2.5
        ``c``, in [1e-3, 1e3]: the complex minimum's distance from the origin (its
        "norm").
    complex_width : float, default 0.3
        ``s``, in [1e-3, 1e3]: the complex basin's width in both directions.
    wall_radius : float, default 4
        ``R``, in [1e-3, 1e3]: radius of the flat region around ``(c/2, 0)``.
    wall_stiffness : float, default 1
        ``k``, in [0, 1e3].
    """

    regularization: float = 0.0
    simple_depth: float = 0.7
    complex_depth: float = 1.0
    simple_width: float = 0.6
    simple_flatness: float = 0.9
    complex_center: float = 2.5
    complex_width: float = 0.3
    wall_radius: float = 4.0
    wall_stiffness: float = 1.0
    xlim: tuple[float, float] = (-2.0, 4.0)
    ylim: tuple[float, float] = (-2.5, 2.5)

    def __post_init__(self) -> None:
        _check_fields(
            self,
            (
                "simple_depth",
                "complex_depth",
                "simple_width",
                "simple_flatness",
                "complex_center",
                "complex_width",
                "wall_radius",
            ),
            ("regularization", "wall_stiffness"),
        )
        object.__setattr__(self, "xlim", _check_lim("xlim", self.xlim))
        object.__setattr__(self, "ylim", _check_lim("ylim", self.ylim))

    @property
    def simple_point(self) -> tuple[float, float]:
        """The simple basin's minimum, ``(0, 0)`` (weight decay does not move it)."""
        return (0.0, 0.0)

    @property
    def complex_point(self) -> tuple[float, float]:
        """The complex basin's centre ``(c, 0)``: its minimum at ``r = 0``."""
        return (self.complex_center, 0.0)

    def _wells(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # D_s exp(...) and D_c exp(...), the two wells' depths at (x, y), and y^2.
        y2 = y * y
        dx = x - self.complex_center
        simple = self.simple_depth * np.exp(
            (-0.5 / self.simple_width**2) * (x * x) - (0.25 / self.simple_flatness**4) * (y2 * y2)
        )
        cplx = self.complex_depth * np.exp((-0.5 / self.complex_width**2) * (dx * dx + y2))
        return simple, cplx, y2

    def _wall(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # The wall's excess distance rho - R (>= 0) and the offsets (x - c/2, y).
        mx = x - 0.5 * self.complex_center
        rho = np.sqrt(mx * mx + y * y)
        return np.maximum(rho - self.wall_radius, 0.0), mx, rho

    @_public
    def data_loss(self, x: object, y: object) -> np.ndarray:
        """``K(x, y)``, the unregularized loss (no weight decay, no wall)."""
        x, y = _xy(x, y)
        simple, cplx, _ = self._wells(x, y)
        return 1.0 - simple - cplx

    @_public
    def value(self, x: object, y: object) -> np.ndarray:
        """``U(x, y)``, broadcast over array arguments."""
        x, y = _xy(x, y)
        simple, cplx, y2 = self._wells(x, y)
        excess, _, _ = self._wall(x, y)
        return (
            1.0
            - simple
            - cplx
            + 0.5 * self.regularization * (x * x + y2)
            + self.wall_stiffness * excess * excess
        )

    @_public
    def grad(self, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
        """``(dU/dx, dU/dy)``, broadcast over array arguments."""
        x, y = _xy(x, y)
        simple, cplx, y2 = self._wells(x, y)
        inv_s2 = 1.0 / self.complex_width**2
        r = self.regularization
        gx = simple * (x / self.simple_width**2) + cplx * ((x - self.complex_center) * inv_s2)
        gy = y * (simple * (y2 / self.simple_flatness**4) + cplx * inv_s2 + r)
        gx = gx + r * x if r else gx
        excess, mx, rho = self._wall(x, y)
        if self.wall_stiffness and np.any(excess):
            # d/drho of k (rho - R)^2 times d rho / d(x, y) = (x - c/2, y) / rho;
            # zero inside the wall (where rho may also be 0).
            with np.errstate(invalid="ignore", divide="ignore"):
                pull = np.where(excess > 0, 2.0 * self.wall_stiffness * excess / rho, 0.0)
            gx = gx + pull * mx
            gy = gy + pull * y
        return gx, gy

    def minima(self, steps: int = 4000) -> tuple[tuple[float, float], tuple[float, float] | None]:
        """The simple minimum and the complex one, or None once it has disappeared.

        Found by gradient descent from ``simple_point`` and ``complex_point``. The
        complex minimum counts as gone when descent from ``(c, 0)`` ends in the
        simple basin, left of the midpoint ``x = c / 2`` (while it exists, the
        complex minimum stays near ``c - s`` or right of it: ``x >= 2.18`` at the
        defaults). Near ``r = 0.92`` descent slows down, so more ``steps`` may be
        needed to tell.
        """
        steps = _check_int("steps", steps, 1)
        x = np.array([0.0, self.complex_center])
        y = np.zeros(2)
        x, y = _descend(self, x, y, steps, self._stable_step())
        simple = (float(x[0]), float(y[0]))
        if x[1] < 0.5 * self.complex_center:
            return simple, None
        return simple, (float(x[1]), float(y[1]))

    @_public
    def classify(self, x: object, y: object, quench_steps: int = 500) -> np.ndarray:
        """True where a point belongs to the simple basin.

        Each point is quenched (``quench_steps`` of noise-free gradient descent) and
        then assigned to the simple basin if it ends left of the midpoint ``x = c /
        2`` between the basins' centres: the complex minimum stays right of it and
        descent does not cross the barrier, so this is the basin of attraction
        (up to points still on their way after the quench).
        """
        x, y = _xy(x, y)
        quench_steps = _check_int("quench_steps", quench_steps, 0)
        shape = np.broadcast_shapes(x.shape, y.shape)
        qx, _ = _descend(
            self,
            np.broadcast_to(x, shape).ravel().copy(),
            np.broadcast_to(y, shape).ravel().copy(),
            quench_steps,
            self._stable_step(),
        )
        return (qx < 0.5 * self.complex_center).reshape(shape)

    def _stable_step(self) -> float:
        # Gradient descent is stable for step < 2 / (largest curvature); the largest
        # is the complex well's D_c / s^2 plus the weight decay (plus the wall's 2k,
        # which never adds to the well's). Use half the limit.
        top = self.complex_depth / self.complex_width**2 + self.regularization
        top = max(top, self.simple_depth / self.simple_width**2 + self.regularization)
        top = max(top, 2.0 * self.wall_stiffness + self.regularization)
        return 1.0 / top


def _descend(
    potential: Potential, x: np.ndarray, y: np.ndarray, steps: int, step_size: float
) -> tuple[np.ndarray, np.ndarray]:
    with _unchecked():
        for _ in range(steps):
            gx, gy = potential.grad(x, y)
            x = x - step_size * gx
            y = y - step_size * gy
    return x, y


# --------------------------------------------------------------------------- grids


@dataclass(frozen=True, eq=False)
class Grid:
    """A potential sampled on a grid, for contour and quiver plots. Arrays are read-only.

    Attributes
    ----------
    x : ndarray, shape (nx,)
    y : ndarray, shape (ny,)
    value : ndarray, shape (ny, nx)
        ``value[i, j] = U(x[j], y[i])`` (rows along y, matplotlib's convention).
    grad_x, grad_y : ndarray, shape (ny, nx)
        The gradient at the same points.
    """

    x: np.ndarray
    y: np.ndarray
    value: np.ndarray
    grad_x: np.ndarray
    grad_y: np.ndarray


def _check_potential(potential: object) -> Potential:
    if not (
        callable(getattr(potential, "value", None)) and callable(getattr(potential, "grad", None))
    ):
        raise TypeError(
            f"potential must have value(x, y) and grad(x, y) methods (e.g. Bowl, Valley, "
            f"TwoBasin), got {potential!r}"
        )
    return potential  # type: ignore[return-value]


def evaluate_grid(
    potential: Potential,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    num: int = 201,
) -> Grid:
    """Evaluate a potential and its gradient on a regular grid.

    Parameters
    ----------
    potential : Bowl, Valley, TwoBasin or any :class:`Potential`
    xlim, ylim : pair of float, optional
        The window; default the potential's ``xlim`` and ``ylim``.
    num : int, default 201
        Points per axis, >= 2.

    Returns
    -------
    Grid
    """
    potential = _check_potential(potential)
    xlim = _check_lim("xlim", potential.xlim if xlim is None else xlim)
    ylim = _check_lim("ylim", potential.ylim if ylim is None else ylim)
    num = _check_int("num", num, 2)
    with _unchecked():
        x = np.linspace(*xlim, num)
        y = np.linspace(*ylim, num)
        xx, yy = np.meshgrid(x, y)
        gx, gy = potential.grad(xx, yy)
        arrays = [x, y, np.asarray(potential.value(xx, yy), dtype=np.float64), gx, gy]
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise ValueError(
            f"xlim, ylim too large: the potential overflows on the window, got "
            f"xlim={xlim!r}, ylim={ylim!r}"
        )
    for arr in arrays:
        arr.flags.writeable = False
    return Grid(*arrays)


# --------------------------------------------------------------------------- marbles


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
    """Where marbles ended up on a :class:`TwoBasin`. Arrays are read-only.

    Attributes
    ----------
    start : ndarray, shape (m, 2)
        Starting points.
    final : ndarray, shape (m, 2)
        End points.
    in_simple : ndarray of bool, shape (m,)
        True for marbles that ended in the simple basin (see
        :meth:`TwoBasin.classify`).
    fraction_simple : float
        ``in_simple.mean()``.
    """

    start: np.ndarray
    final: np.ndarray
    in_simple: np.ndarray
    fraction_simple: float


def _check_start(start: object, n_marbles: int | None) -> tuple[np.ndarray, bool]:
    try:
        arr = np.asarray(start, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(
            f"start must be a point (x, y) or an (m, 2) array, got {start!r}"
        ) from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"start must be finite, got {start!r}")
    if arr.shape == (2,):
        if n_marbles is None:
            return arr.reshape(1, 2), True
        return np.tile(arr, (n_marbles, 1)), False
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ValueError(f"start must be a point (x, y) or an (m, 2) array, got {start!r}")
    if n_marbles is not None and n_marbles != arr.shape[0]:
        raise ValueError(
            f"n_marbles must be None or match start's {arr.shape[0]} rows, got {n_marbles}"
        )
    return arr, False


def _langevin(
    potential: Potential,
    x: np.ndarray,
    y: np.ndarray,
    *,
    steps: int,
    step_size: float,
    temperature: float,
    rng: np.random.Generator,
    record: bool,
) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    # Euler-Maruyama for dw = -grad U dt + sqrt(2 T) dB: the stationary density is
    # proportional to exp(-U / T).
    noise = math.sqrt(2.0 * step_size * temperature)
    path = [(x, y)] if record else []
    with _unchecked():
        for _ in range(steps):
            gx, gy = potential.grad(x, y)
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
            stacklevel=3,
        )
    return x, y, path


def _check_dynamics(
    steps: object, step_size: object, temperature: object, rng: object
) -> tuple[int, float, float, np.random.Generator]:
    return (
        _check_int("steps", steps, 0),
        _check_real("step_size", step_size, minimum=0, strict=True),
        _check_real("temperature", temperature, minimum=0),
        _check_rng(rng),
    )


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
        Steps, >= 0.
    step_size : float, default 0.02
        > 0. Stable when ``step_size * curvature < 2`` (for :class:`TwoBasin`'s
        complex well, curvature about 11 at the defaults).
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
    """
    potential = _check_potential(potential)
    starts, single = _check_start(start, None)
    steps, step_size, temperature, rng = _check_dynamics(steps, step_size, temperature, rng)
    _, _, path = _langevin(
        potential,
        starts[:, 0].copy(),
        starts[:, 1].copy(),
        steps=steps,
        step_size=step_size,
        temperature=temperature,
        rng=rng,
        record=True,
    )
    positions = np.stack([np.stack(p, axis=-1) for p in path])  # (steps + 1, m, 2)
    with _unchecked():
        values = np.asarray(potential.value(positions[..., 0], positions[..., 1]), dtype=float)
    if np.all(np.isfinite(positions)) and not np.all(np.isfinite(values)):
        warnings.warn(
            "the potential overflowed along the path: lower step_size (now "
            f"{step_size:g}) or temperature, or start the marbles nearer the minima.",
            MarbleWarning,
            stacklevel=2,
        )
    if single:
        positions, values = positions[:, 0], values[:, 0]
    positions.flags.writeable = False
    values.flags.writeable = False
    return Trajectory(positions, values)


def settle(
    potential: TwoBasin,
    start: object,
    *,
    n_marbles: int | None = None,
    spread: float = 0.0,
    steps: int = 2000,
    step_size: float = 0.02,
    temperature: float = 0.05,
    rng: np.random.Generator,
) -> Settled:
    """Roll many marbles on a :class:`TwoBasin` and report which basin each ends in.

    Vectorized over marbles: 1,000 marbles for 2,000 steps (and the 500-step quench
    that classifies them) take about 0.2 s.

    Parameters
    ----------
    potential : TwoBasin
    start : array_like, shape (2,) or (m, 2)
        A common starting point (then ``n_marbles`` of them, each moved by
        ``N(0, spread^2)`` per coordinate) or one point per marble.
    n_marbles : int, optional
        Number of marbles when ``start`` is one point, >= 1 (default 1).
    spread : float, default 0
        >= 0: scatter of the starting points around a common ``start``.
    steps, step_size, temperature, rng
        As in :func:`run_marble`; the path is not recorded.

    Returns
    -------
    Settled
        Marbles that overflowed (see :class:`MarbleWarning`) count as not simple.
    """
    if not isinstance(potential, TwoBasin):
        raise TypeError(f"potential must be a TwoBasin (it has two basins), got {potential!r}")
    if n_marbles is not None:
        n_marbles = _check_int("n_marbles", n_marbles, 1)
    spread = _check_real("spread", spread, minimum=0)
    starts, _ = _check_start(start, n_marbles)
    steps, step_size, temperature, rng = _check_dynamics(steps, step_size, temperature, rng)
    starts = starts.copy()
    if spread:
        with np.errstate(all="ignore"):
            starts += spread * rng.standard_normal(starts.shape)
    x, y, _ = _langevin(
        potential,
        starts[:, 0].copy(),
        starts[:, 1].copy(),
        steps=steps,
        step_size=step_size,
        temperature=temperature,
        rng=rng,
        record=False,
    )
    final = np.stack([x, y], axis=1)
    ok = np.all(np.isfinite(final), axis=1)
    in_simple = np.zeros(final.shape[0], dtype=bool)
    with np.errstate(all="ignore"):
        in_simple[ok] = potential.classify(x[ok], y[ok])
    for arr in (starts, final, in_simple):
        arr.flags.writeable = False
    return Settled(starts, final, in_simple, float(in_simple.mean()))
