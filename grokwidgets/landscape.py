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
and the fraction in the simple basin. Both live in :mod:`grokwidgets.marbles` and
are re-exported here, with its :class:`Potential` protocol and result types.

Every argument is checked through :mod:`grokwidgets._validation` (one
:class:`~grokwidgets._validation.InvalidParameterError`, naming the argument and
its value). Each potential's public ``value`` and ``grad`` check ``x`` and ``y``;
their ``value_unchecked`` and ``grad_unchecked`` twins do not, for loops over their
own iterates (:func:`grokwidgets.marbles.loop_methods`).

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

import functools
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import ClassVar, TypeVar

import numpy as np

from grokwidgets._validation import (
    AnyOf,
    Constraint,
    Integer,
    InvalidParameterError,
    Range,
    Real,
    as_float_array,
    check_params,
    readonly,
    validate_params,
)
from grokwidgets.marbles import (
    MAX_STEPS,
    POTENTIAL,
    Basins,
    MarbleWarning,
    Potential,
    Settled,
    Trajectory,
    loop_methods,
    run_marble,
    settle,
)

__all__ = [
    "Basins",
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

# --------------------------------------------------------------------------- checks

# The range of every shape parameter of the potentials (curvatures, scales, depths,
# widths, distances): positive ones in [1e-3, 1e3], those that may be 0 (weight
# decay, wall stiffness) in [0, 1e3]. Three orders of magnitude either side of the
# defaults (all near 1) leave room for any picture; beyond them the arithmetic
# breaks at ordinary x, y: TwoBasin divides by width**2 and flatness**4
# (ZeroDivisionError for a width near 0, OverflowError near the float range), and a
# huge curvature or scale overflows value() at x = 2, an error that could only
# blame x and y. Within the box, value, grad, minima and classify stay finite on
# the default windows (tests/test_landscape.py checks extremes of the box).
_POSITIVE = Real(ge=1e-3, le=1e3)
_NONNEG = Real(ge=0.0, le=1e3)
_WINDOW = {"xlim": Range(), "ylim": Range()}
#: Points per axis of a grid or a sampled curve: enough for any figure.
MAX_NUM = 2001

_T = TypeVar("_T", np.ndarray, tuple[np.ndarray, np.ndarray])


def _check_fields(obj: _CheckedPotential) -> None:
    # Frozen dataclasses: check every field against the class's table, then store
    # the normalized values (plain floats, so equal potentials compare equal).
    values = {f.name: getattr(obj, f.name) for f in fields(obj)}
    for name, value in check_params(type(obj).__parameter_constraints__, values).items():
        object.__setattr__(obj, name, value)


def _xy(x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    # x and y as finite float arrays, broadcast up front, so every returned array has
    # the common shape (a gradient component that does not depend on y would
    # otherwise keep x's shape).
    arrays = []
    for name, value in (("x", x), ("y", y)):
        arr = as_float_array(name, value, "a real number or array")
        if not np.all(np.isfinite(arr)):
            raise InvalidParameterError(f"{name} must be finite, got {value!r}")
        arrays.append(arr)
    try:
        ax, ay = np.broadcast_arrays(*arrays)
    except ValueError:
        raise InvalidParameterError(
            f"x and y must broadcast together, got shapes {arrays[0].shape} and "
            f"{arrays[1].shape} (x={x!r}, y={y!r})"
        ) from None
    return ax, ay


def _checked(method: Callable[[np.ndarray, np.ndarray], _T], x: object, y: object) -> _T:
    # A public method: check x, y, evaluate its unchecked twin, and report an
    # overflowing result as an error naming x and y instead of a RuntimeWarning and inf.
    ax, ay = _xy(x, y)
    with np.errstate(all="ignore"):
        out = method(ax, ay)
    parts = out if isinstance(out, tuple) else (out,)
    if not all(np.all(np.isfinite(p)) for p in parts):
        name = method.__name__.removesuffix("_unchecked")
        raise InvalidParameterError(f"x, y too large: {name} overflows, got x={x!r}, y={y!r}")
    return out


# --------------------------------------------------------------------------- potentials


@dataclass(frozen=True)
class _CheckedPotential:
    """What the potentials share: their fields checked against the class's table
    when made, and :meth:`value` and :meth:`grad`, which check ``x`` and ``y`` and
    call the subclass's unchecked twins (which loops call directly). A dataclass
    with no fields, so that its frozen subclasses are dataclasses all the way up."""

    __parameter_constraints__: ClassVar[dict[str, Constraint]]

    def __post_init__(self) -> None:
        _check_fields(self)

    def value(self, x: object, y: object) -> np.ndarray:
        """The potential at ``(x, y)`` (see the class), broadcast over array arguments."""
        return _checked(self.value_unchecked, x, y)

    def grad(self, x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
        """Its gradient ``(d/dx, d/dy)`` at ``(x, y)``, broadcast over array arguments."""
        return _checked(self.grad_unchecked, x, y)

    def value_unchecked(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def grad_unchecked(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


@dataclass(frozen=True)
class Bowl(_CheckedPotential):
    """A regular minimum at the origin: ``K = (a x^2 + b y^2) / 2``.

    Parameters
    ----------
    curvature_x, curvature_y : float, default 1
        ``a`` and ``b``, in [1e-3, 1e3]: the Hessian's eigenvalues.
    xlim, ylim : pair of float, default (-2, 2)
        The default plotting window, ``low < high``.
    """

    __parameter_constraints__: ClassVar[dict[str, Constraint]] = {
        "curvature_x": _POSITIVE,
        "curvature_y": _POSITIVE,
        **_WINDOW,
    }

    curvature_x: float = 1.0
    curvature_y: float = 1.0
    xlim: tuple[float, float] = (-2.0, 2.0)
    ylim: tuple[float, float] = (-2.0, 2.0)

    def value_unchecked(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """:meth:`value` for float arrays of one shape, unchecked (loops call it)."""
        return 0.5 * (self.curvature_x * x * x + self.curvature_y * y * y)

    def grad_unchecked(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`grad` for float arrays of one shape, unchecked (loops call it)."""
        return self.curvature_x * x, self.curvature_y * y


@dataclass(frozen=True)
class Valley(_CheckedPotential):
    """A singular minimum: ``K = s x^2 y^2``, zero along both axes.

    Its gradient ``(2 s x y^2, 2 s x^2 y)`` is zero on both axes too.

    Parameters
    ----------
    scale : float, default 1
        ``s``, in [1e-3, 1e3].
    xlim, ylim : pair of float, default (-2, 2)
        The default plotting window, ``low < high``.
    """

    __parameter_constraints__: ClassVar[dict[str, Constraint]] = {"scale": _POSITIVE, **_WINDOW}

    scale: float = 1.0
    xlim: tuple[float, float] = (-2.0, 2.0)
    ylim: tuple[float, float] = (-2.0, 2.0)

    def value_unchecked(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """:meth:`value` for float arrays of one shape, unchecked (loops call it)."""
        return self.scale * (x * y) ** 2

    def grad_unchecked(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`grad` for float arrays of one shape, unchecked (loops call it)."""
        xy2 = 2.0 * self.scale * x * y
        return xy2 * y, xy2 * x

    @validate_params({"num": Integer(2, MAX_NUM)})
    def minimum_set(self, num: int = 101) -> tuple[np.ndarray, np.ndarray]:
        """Points ``(x, y)`` on the minimum set inside the window: both axes.

        Returns two arrays of length ``2 * num`` (``num`` in [2, 2001]): ``num``
        points along the x axis (``y = 0``) then ``num`` along the y axis (``x = 0``).
        """
        xs = np.linspace(*self.xlim, num)
        ys = np.linspace(*self.ylim, num)
        return np.concatenate([xs, np.zeros(num)]), np.concatenate([np.zeros(num), ys])


@dataclass(frozen=True)
class TwoBasin(_CheckedPotential):
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
    xlim, ylim : pair of float, default (-2, 4) and (-2.5, 2.5)
        The default plotting window, ``low < high``.

    Examples
    --------
    >>> simple, cplx = TwoBasin().minima()
    >>> [round(v, 3) for v in (*simple, *cplx)]
    [0.0, 0.0, 2.5, 0.0]
    >>> TwoBasin(regularization=1.0).minima()[1] is None  # the complex basin is gone
    True
    """

    __parameter_constraints__: ClassVar[dict[str, Constraint]] = {
        "regularization": _NONNEG,
        "simple_depth": _POSITIVE,
        "complex_depth": _POSITIVE,
        "simple_width": _POSITIVE,
        "simple_flatness": _POSITIVE,
        "complex_center": _POSITIVE,
        "complex_width": _POSITIVE,
        "wall_radius": _POSITIVE,
        "wall_stiffness": _NONNEG,
        **_WINDOW,
    }

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

    def data_loss(self, x: object, y: object) -> np.ndarray:
        """``K(x, y)``, the unregularized loss (no weight decay, no wall)."""
        return _checked(self.data_loss_unchecked, x, y)

    def data_loss_unchecked(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """:meth:`data_loss` for float arrays of one shape, unchecked."""
        simple, cplx, _ = self._wells(x, y)
        return 1.0 - simple - cplx

    def value_unchecked(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """:meth:`value` for float arrays of one shape, unchecked (loops call it)."""
        simple, cplx, y2 = self._wells(x, y)
        excess, _, _ = self._wall(x, y)
        return (
            1.0
            - simple
            - cplx
            + 0.5 * self.regularization * (x * x + y2)
            + self.wall_stiffness * excess * excess
        )

    def grad_unchecked(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`grad` for float arrays of one shape, unchecked (loops call it)."""
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

    @validate_params({"steps": Integer(1, MAX_STEPS)})
    def minima(self, steps: int = 4000) -> tuple[tuple[float, float], tuple[float, float] | None]:
        """The simple minimum and the complex one, or None once it has disappeared.

        Found by gradient descent from ``simple_point`` and ``complex_point``
        (``steps`` in [1, 1e6]). The complex minimum counts as gone when descent
        from ``(c, 0)`` ends in the simple basin, left of the midpoint ``x = c / 2``
        (while it exists, the complex minimum stays near ``c - s`` or right of it:
        ``x >= 2.18`` at the defaults). Near ``r = 0.92`` descent slows down, so
        more ``steps`` may be needed to tell.

        Cached per potential (equal parameters, equal answer) and ``steps``: the
        figures ask for it on every redraw.
        """
        return _minima(self, steps)

    @validate_params({"quench_steps": Integer(0, MAX_STEPS)})
    def classify(self, x: object, y: object, quench_steps: int = 500) -> np.ndarray:
        """True where a point belongs to the simple basin.

        Each point is quenched (``quench_steps`` of noise-free gradient descent, in
        [0, 1e6]) and then assigned to the simple basin if it ends left of the
        midpoint ``x = c / 2`` between the basins' centres: the complex minimum
        stays right of it and descent does not cross the barrier, so this is the
        basin of attraction (up to points still on their way after the quench).
        """
        x, y = _xy(x, y)
        qx, _ = _descend(self, x.ravel().copy(), y.ravel().copy(), quench_steps)
        return (qx < 0.5 * self.complex_center).reshape(x.shape)

    def _stable_step(self) -> float:
        # Gradient descent is stable for step < 2 / (largest curvature); the largest
        # is the complex well's D_c / s^2 plus the weight decay (plus the wall's 2k,
        # which never adds to the well's). Use half the limit.
        top = self.complex_depth / self.complex_width**2 + self.regularization
        top = max(top, self.simple_depth / self.simple_width**2 + self.regularization)
        top = max(top, 2.0 * self.wall_stiffness + self.regularization)
        return 1.0 / top


def _descend(
    potential: TwoBasin, x: np.ndarray, y: np.ndarray, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    # Noise-free gradient descent at the potential's stable step. It stops early at
    # an exact fixed point (the next step would change no bit, nor would any later
    # one), so the result is bit for bit that of all the steps: descent from the
    # minima's starts gets there in 130-900 steps of the default 4,000.
    step_size = potential._stable_step()
    with np.errstate(all="ignore"):
        for _ in range(steps):
            gx, gy = potential.grad_unchecked(x, y)
            nx = x - step_size * gx
            ny = y - step_size * gy
            if np.array_equal(nx, x) and np.array_equal(ny, y):
                break
            x, y = nx, ny
    return x, y


@functools.lru_cache(maxsize=256)
def _minima(
    potential: TwoBasin, steps: int
) -> tuple[tuple[float, float], tuple[float, float] | None]:
    # TwoBasin.minima's work, cached on the (frozen, hashable) potential: the
    # figures build a new, equal TwoBasin for every slider move.
    x = np.array([0.0, potential.complex_center])
    y = np.zeros(2)
    x, y = _descend(potential, x, y, steps)
    simple = (float(x[0]), float(y[0]))
    if x[1] < 0.5 * potential.complex_center:
        return simple, None
    return simple, (float(x[1]), float(y[1]))


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


@validate_params(
    {
        "potential": POTENTIAL,
        "xlim": AnyOf(Range(), none=True),
        "ylim": AnyOf(Range(), none=True),
        "num": Integer(2, MAX_NUM),
    }
)
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
        Points per axis, in [2, 2001].

    Returns
    -------
    Grid

    Examples
    --------
    >>> grid = evaluate_grid(Bowl(), num=5)
    >>> grid.value.shape, float(grid.value[2, 2]), float(grid.value[0, 0])
    ((5, 5), 0.0, 4.0)
    """
    xlim = _WINDOW["xlim"].check("xlim", potential.xlim) if xlim is None else xlim
    ylim = _WINDOW["ylim"].check("ylim", potential.ylim) if ylim is None else ylim
    value, grad = loop_methods(potential)
    with np.errstate(all="ignore"):
        x = np.linspace(*xlim, num)
        y = np.linspace(*ylim, num)
        xx, yy = np.meshgrid(x, y)
        gx, gy = grad(xx, yy)
        arrays = [x, y, np.asarray(value(xx, yy), dtype=np.float64), gx, gy]
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise InvalidParameterError(
            f"xlim, ylim too large: the potential overflows on the window, got "
            f"xlim={xlim!r}, ylim={ylim!r}"
        )
    return Grid(*(readonly(a) for a in arrays))
