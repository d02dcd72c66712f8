"""Draw two-dimensional loss landscapes and the marbles rolling on them.

Every ``draw_*`` function takes the Axes to draw on and returns the artists it
drew; the matching ``update_*`` function puts new model output into those same
artists (``set_data``, ``set_offsets``), so a widget never makes new artists when
a control moves. The small numeric helper :func:`axis_profile` samples the slice
``y = 0`` of a :class:`~grokwidgets.landscape.TwoBasin` through the minima the model
finds, and reads the barrier between them off it.

Colours are Okabe-Ito and match the learning-curve figure: the complex
(memorizing) basin is blue with circles like Type A, the simple (generalizing)
basin orange with diamonds like Type B. Marker shape always repeats the colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap, ListedColormap
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.text import Text

from grokwidgets._validation import Integer, validate_params
from grokwidgets.landscape import Grid, Settled, Trajectory, TwoBasin, Valley

__all__ = [
    "BASIN_COLORS",
    "BASIN_MARKERS",
    "CMAP_RANGE",
    "MINIMUM_COLOR",
    "PATH_COLOR",
    "MarbleArtists",
    "PathArtists",
    "Profile",
    "ProfileArtists",
    "SweepArtists",
    "axis_profile",
    "band_edges",
    "banded_cmap",
    "basin_legend_handles",
    "describe_basins",
    "describe_singular",
    "draw_marbles",
    "draw_minimum_set",
    "draw_paths",
    "draw_potential",
    "draw_profile",
    "draw_sweep",
    "singular_legend_handles",
    "update_marbles",
    "update_paths",
    "update_potential",
    "update_profile",
    "update_sweep",
]

#: Okabe-Ito: simple basin orange (like Type B), complex basin blue (like Type A).
BASIN_COLORS = {"simple": "#E69F00", "complex": "#0072B2"}
BASIN_MARKERS = {"simple": "D", "complex": "o"}
#: Okabe-Ito vermillion for the set of best points (a minimum or a valley floor).
MINIMUM_COLOR = "#D55E00"
PATH_COLOR = "black"
#: Light (low loss) to mid grey (high loss), so the dark paths and the coloured
#: marks stay visible everywhere and are the only colour in the picture.
CMAP_RANGE = ("#ffffff", "#5f6368")


# --------------------------------------------------------------------------- heat maps


@validate_params({"bands": Integer(2)})
def banded_cmap(bands: int) -> ListedColormap:
    """``bands`` flat shades from white to grey (see :func:`draw_potential`)."""
    ramp = LinearSegmentedColormap.from_list("gw-loss", CMAP_RANGE)
    return ListedColormap(ramp(np.linspace(0.0, 1.0, bands)), name=f"gw-loss-{bands}")


def band_edges(vmax: float, bands: int) -> np.ndarray:
    """Loss values where the shades change: ``vmax (i / bands)^2``, finer near zero
    so the shape of the basins' floors shows, coarser on the walls."""
    return vmax * np.linspace(0.0, 1.0, bands + 1) ** 2


def draw_potential(ax: Axes, grid: Grid, *, vmax: float, bands: int) -> AxesImage:
    """A heat map of ``grid.value`` in ``bands`` flat shades from white (loss 0) to
    grey (``vmax`` and above), with equal aspect.

    Each shade is a contour interval (see :func:`band_edges`), so the map shows
    level sets without contour artists, which could not be updated in place.
    """
    norm = BoundaryNorm(band_edges(vmax, bands), bands, clip=True)
    image = ax.imshow(
        grid.value,
        origin="lower",
        extent=(grid.x[0], grid.x[-1], grid.y[0], grid.y[-1]),
        cmap=banded_cmap(bands),
        norm=norm,
        interpolation="nearest",
        aspect="equal",
        zorder=0,
    )
    ax.set_xlim(grid.x[0], grid.x[-1])
    ax.set_ylim(grid.y[0], grid.y[-1])
    return image


def update_potential(image: AxesImage, grid: Grid) -> None:
    """Show a new potential on the same grid (the colour scale stays fixed, so
    heights can be compared between frames)."""
    image.set_data(grid.value)


def draw_minimum_set(ax: Axes, potential: object) -> list[Line2D]:
    """The potential's set of best points: a star for a point minimum, thick lines
    for a :class:`~grokwidgets.landscape.Valley`'s two axes."""
    style: dict[str, Any] = {"color": MINIMUM_COLOR, "zorder": 2}
    if isinstance(potential, Valley):
        xs, ys = potential.minimum_set()
        half = len(xs) // 2  # the x axis, then the y axis: two separate lines
        return [
            ax.plot(xs[:half], ys[:half], lw=3.5, solid_capstyle="butt", **style)[0],
            ax.plot(xs[half:], ys[half:], lw=3.5, solid_capstyle="butt", **style)[0],
        ]
    return ax.plot([0.0], [0.0], ls="none", marker="*", ms=16, mec="black", mew=0.8, **style)


# --------------------------------------------------------------------------- marbles


@dataclass(frozen=True, eq=False)
class PathArtists:
    """Some marbles' paths (lines), their starts (hollow) and ends (filled)."""

    lines: tuple[Line2D, ...]
    starts: Line2D
    ends: Line2D

    def all(self) -> tuple:
        return (*self.lines, self.starts, self.ends)


def draw_paths(ax: Axes, n: int, *, end_marker: str = "o", end_color: str = "white") -> PathArtists:
    """``n`` empty path lines plus start and end markers, filled by :func:`update_paths`."""
    lines = tuple(
        ax.plot([], [], color=PATH_COLOR, lw=0.9, alpha=0.8, zorder=3)[0] for _ in range(n)
    )
    starts = ax.plot(
        [], [], ls="none", marker="o", ms=5, mfc="none", mec=PATH_COLOR, mew=1.0, zorder=4
    )[0]
    ends = ax.plot(
        [], [], ls="none", marker=end_marker, ms=7, mfc=end_color, mec="black", mew=1.0, zorder=5
    )[0]
    return PathArtists(lines, starts, ends)


def update_paths(artists: PathArtists, trajectory: Trajectory) -> None:
    """Draw each marble of ``trajectory`` (positions of shape (steps + 1, m, 2))."""
    pos = trajectory.positions
    if pos.ndim == 2:
        pos = pos[:, None, :]
    if pos.shape[1] != len(artists.lines):
        raise ValueError(f"expected {len(artists.lines)} marbles, got {pos.shape[1]}")
    for i, line in enumerate(artists.lines):
        line.set_data(pos[:, i, 0], pos[:, i, 1])
    artists.starts.set_data(pos[0, :, 0], pos[0, :, 1])
    artists.ends.set_data(pos[-1, :, 0], pos[-1, :, 1])


@dataclass(frozen=True, eq=False)
class MarbleArtists:
    """Final positions of many marbles, one scatter per basin (colour and marker)."""

    simple: PathCollection
    complex: PathCollection

    def all(self) -> tuple:
        return (self.simple, self.complex)


def draw_marbles(ax: Axes) -> MarbleArtists:
    """Two empty scatters: marbles that ended in the simple and in the complex basin."""
    empty = np.empty((0, 2))

    def scatter(basin: str) -> PathCollection:
        return ax.scatter(
            empty[:, 0],
            empty[:, 1],
            s=12,
            c=BASIN_COLORS[basin],
            marker=BASIN_MARKERS[basin],
            edgecolors="black",
            linewidths=0.4,
            alpha=0.75,
            zorder=6,
        )

    return MarbleArtists(scatter("simple"), scatter("complex"))


def update_marbles(artists: MarbleArtists, settled: Settled) -> None:
    """Put each marble's final position in the scatter of the basin it ended in."""
    artists.simple.set_offsets(settled.final[settled.in_simple])
    artists.complex.set_offsets(settled.final[~settled.in_simple])


# --------------------------------------------------------------------------- the slice y = 0


@dataclass(frozen=True, eq=False)
class Profile:
    """The potential along ``y = 0``, through both basins' minima.

    ``complex_min`` is None once the complex basin no longer holds a marble (no
    local minimum right of the midpoint ``c / 2``); ``barrier`` is then None too.
    Points are ``(x, U)``; ``barrier`` is the height of the highest point between
    the minima above the complex minimum (what a marble there must climb).
    """

    x: np.ndarray
    value: np.ndarray
    simple_min: tuple[float, float]
    complex_min: tuple[float, float] | None
    top: tuple[float, float] | None
    barrier: float | None


def axis_profile(potential: TwoBasin, num: int = 1201) -> Profile:
    """Evaluate ``potential`` on ``y = 0``, with its minima and the barrier between them.

    The minima are the model's own (:meth:`~grokwidgets.landscape.TwoBasin.minima`:
    both lie on ``y = 0``, which descent from there never leaves); the barrier's top
    is the highest of ``num`` samples of the slice between them.
    """
    x = np.linspace(*potential.xlim, num)
    u = np.asarray(potential.value(x, 0.0), dtype=float)
    simple_w, complex_w = potential.minima()
    simple = (simple_w[0], float(potential.value(*simple_w)))
    if complex_w is None:
        return Profile(x, u, simple, None, None, None)
    cplx = (complex_w[0], float(potential.value(*complex_w)))
    # The ridge's samples, and the minima themselves (a window may leave it out).
    inside = (x > simple[0]) & (x < cplx[0])
    xs = np.concatenate([[simple[0]], x[inside], [cplx[0]]])
    us = np.concatenate([[simple[1]], u[inside], [cplx[1]]])
    i_top = int(np.argmax(us))
    top = (float(xs[i_top]), float(us[i_top]))
    return Profile(x, u, simple, cplx, top, top[1] - cplx[1])


@dataclass(frozen=True, eq=False)
class ProfileArtists:
    """The slice's line, its minima (one marker per basin), barrier bracket and label."""

    line: Line2D
    simple_min: Line2D
    complex_min: Line2D
    barrier: Line2D
    label: Text

    def all(self) -> tuple:
        return (self.line, self.simple_min, self.complex_min, self.barrier, self.label)


def draw_profile(ax: Axes, reference: Profile, *, ylim: tuple[float, float]) -> ProfileArtists:
    """Axes for the slice ``y = 0``, with ``reference`` (no weight decay) dashed and static."""
    ax.plot(reference.x, reference.value, color="0.55", lw=1.0, ls=(0, (4, 2)))
    line = ax.plot([], [], color="black", lw=1.6)[0]

    def minimum(basin: str) -> Line2D:
        return ax.plot(
            [],
            [],
            ls="none",
            marker=BASIN_MARKERS[basin],
            ms=7,
            mfc=BASIN_COLORS[basin],
            mec="black",
            mew=0.8,
            zorder=5,
        )[0]

    barrier = ax.plot([], [], color=MINIMUM_COLOR, lw=1.4, marker="_", ms=8, zorder=4)[0]
    label = ax.text(0.0, 0.0, "", ha="center", va="bottom", size=7, color=MINIMUM_COLOR)
    ax.set_xlim(reference.x[0], reference.x[-1])
    ax.set_ylim(*ylim)
    ax.set_xlabel("w₁ at w₂ = 0 (dashed: r = 0)", size=8)
    ax.set_ylabel("loss", size=8)
    ax.tick_params(labelsize=7)
    return ProfileArtists(line, minimum("simple"), minimum("complex"), barrier, label)


def update_profile(artists: ProfileArtists, profile: Profile) -> None:
    """Draw ``profile``; the barrier is a vertical bracket from the complex minimum
    up to the top of the ridge."""
    artists.line.set_data(profile.x, profile.value)
    artists.simple_min.set_data([profile.simple_min[0]], [profile.simple_min[1]])
    if profile.complex_min is None or profile.top is None or profile.barrier is None:
        # (All three are None together: see Profile.)
        ax = artists.label.axes
        if ax is None:
            raise ValueError("the profile's artists must be on an Axes (draw_profile)")
        artists.complex_min.set_data([], [])
        artists.barrier.set_data([], [])
        artists.label.set_text("complex\nminimum\ngone")
        low, high = ax.get_ylim()
        artists.label.set_position((profile.x[-1] - 0.1, low + 0.6 * (high - low)))
        artists.label.set_horizontalalignment("right")
        return
    artists.label.set_horizontalalignment("right")
    cx, cu = profile.complex_min
    top = profile.top[1]
    artists.complex_min.set_data([cx], [cu])
    artists.barrier.set_data([cx, cx], [cu, top])
    artists.label.set_text(f"barrier {profile.barrier:.2f}")
    artists.label.set_position((profile.top[0] - 0.2, top + 0.05))


# --------------------------------------------------------------------------- the sweep


@dataclass(frozen=True, eq=False)
class SweepArtists:
    """Fraction in the simple basin against regularization: a line per seed
    (static) and the current setting's marker and guide (animated)."""

    seeds: tuple[Line2D, ...]
    current: Line2D
    guide: Line2D

    def all(self) -> tuple:
        return (*self.seeds, self.current, self.guide)


def draw_sweep(
    ax: Axes, regularizations: np.ndarray, fractions: np.ndarray, seeds: tuple[int, ...]
) -> SweepArtists:
    """One line per seed (``fractions[i]`` for ``seeds[i]``) and an empty marker."""
    color = BASIN_COLORS["simple"]
    lines = tuple(
        ax.plot(
            regularizations,
            fractions[i],
            color=color,
            lw=1.0,
            alpha=0.55,
            marker=BASIN_MARKERS["simple"],
            ms=2.5,
        )[0]
        for i in range(len(seeds))
    )
    guide = ax.axvline(0.0, color="0.3", lw=0.8, ls=":")
    current = ax.plot(
        [], [], ls="none", marker="*", ms=13, mfc=MINIMUM_COLOR, mec="black", mew=0.8, zorder=5
    )[0]
    ax.set_xlim(regularizations[0] - 0.02, regularizations[-1] + 0.02)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("regularization r", size=8)
    ax.set_ylabel("share simple", size=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, alpha=0.25)
    return SweepArtists(lines, current, guide)


def update_sweep(
    artists: SweepArtists, regularization: float, fraction: float, seed_index: int | None
) -> None:
    """Mark ``(regularization, fraction)``; emphasise the line of the current seed."""
    artists.current.set_data([regularization], [fraction])
    artists.guide.set_xdata([regularization, regularization])
    for i, line in enumerate(artists.seeds):
        line.set_linewidth(2.2 if i == seed_index else 1.0)
        line.set_alpha(1.0 if i == seed_index else 0.45)


# --------------------------------------------------------------------------- text alternatives


def describe_singular(bowl_ends: np.ndarray, valley_ends: np.ndarray) -> str:
    """Text alternative for the regular-versus-singular figure."""
    n = len(bowl_ends)
    bowl_r = float(np.max(np.hypot(bowl_ends[:, 0], bowl_ends[:, 1])))
    off_axis = np.minimum(np.abs(valley_ends[:, 0]), np.abs(valley_ends[:, 1]))
    along = np.maximum(np.abs(valley_ends[:, 0]), np.abs(valley_ends[:, 1]))
    return (
        "Two loss landscapes seen from above, low loss white and high loss grey. "
        "Left, regular: a round bowl whose only best point is its centre, marked by a star; "
        f"{n} marbles rolled downhill from random starts all end within {bowl_r:.2f} of it. "
        "Right, singular: a cross-shaped valley whose best points fill both axes, drawn as "
        f"two thick lines; the same {n} marbles end on the valley floor (at most "
        f"{float(off_axis.max()):.2f} off an axis) but spread along it, from "
        f"{float(along.min()):.2f} to {float(along.max()):.2f} from the centre."
    )


def describe_basins(
    regularization: float,
    profile: Profile,
    settled: Settled,
    sweep_r: np.ndarray,
    sweep_mean: np.ndarray,
) -> str:
    """Text alternative for the two-basin figure."""
    n = len(settled.in_simple)
    k = int(settled.in_simple.sum())
    parts = [
        f"A two-basin loss landscape at regularization {regularization:.2f}, low loss white. "
        f"The broad simple basin at the centre has loss {profile.simple_min[1]:.2f}."
    ]
    if profile.complex_min is None:
        parts.append(
            "The sharp complex basin on the right has vanished: only the simple one holds."
        )
    else:
        parts.append(
            f"The sharp complex basin on the right bottoms out at loss "
            f"{profile.complex_min[1]:.2f}, behind a barrier {profile.barrier:.2f} high."
        )
    if k == n:
        fate = f"all {n} rolled over into the simple basin (orange diamonds)."
    elif k == 0:
        fate = f"all {n} stayed there (blue circles)."
    else:
        fate = (
            f"{k} ({k / n:.0%}) rolled over into the simple basin (orange diamonds) and "
            f"{n - k} stayed (blue circles)."
        )
    parts.append(f"Of {n} marbles started in the complex basin, {fate}")
    above = np.flatnonzero(sweep_mean >= 0.5)
    if above.size:
        parts.append(
            "A side plot of this share against regularization rises from "
            f"{sweep_mean[0]:.0%} to {sweep_mean[-1]:.0%}, passing one half near "
            f"r = {sweep_r[above[0]]:.2f}."
        )
    return " ".join(parts)


# --------------------------------------------------------------------------- legends


def _marker(marker: str, face: str, label: str, ms: float = 6) -> Line2D:
    return Line2D(
        [], [], ls="none", marker=marker, ms=ms, mfc=face, mec="black", mew=0.6, label=label
    )


def singular_legend_handles() -> list[Line2D]:
    """Proxy artists for the regular-versus-singular figure's legend."""
    best = Line2D(
        [],
        [],
        color=MINIMUM_COLOR,
        lw=3.5,
        marker="*",
        ms=10,
        mec="black",
        mew=0.6,
        label="best points (lowest loss)",
    )
    start = Line2D(
        [], [], ls="none", marker="o", ms=5, mfc="none", mec=PATH_COLOR, label="marble starts"
    )
    path = Line2D([], [], color=PATH_COLOR, lw=0.9, label="paths")
    return [best, start, path, _marker("o", "white", "where each marble stops", ms=7)]


def basin_legend_handles() -> list[Line2D]:
    """Proxy artists for the two-basin figure's legend."""
    return [
        _marker(BASIN_MARKERS["simple"], BASIN_COLORS["simple"], "ended in simple basin"),
        _marker(BASIN_MARKERS["complex"], BASIN_COLORS["complex"], "stayed in complex basin"),
        Line2D([], [], color=PATH_COLOR, lw=0.9, label="sample paths"),
        _marker("*", MINIMUM_COLOR, "current setting", ms=10),
    ]
