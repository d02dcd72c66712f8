"""The landscape explorer: singular minima, and two basins tilted by weight decay.

:class:`SingularityWidget` puts a regular minimum (a bowl: one best point) beside a
singular one (a valley: a line of best points) and rolls the same marbles on both.
:class:`BasinsWidget` rolls marbles out of the sharp complex basin of a
:class:`~grokwidgets.landscape.TwoBasin` and lets the reader tilt the landscape
with the regularization slider until the broad simple basin is the only one left.
"""

from __future__ import annotations

from collections import OrderedDict

import ipywidgets as widgets
import numpy as np

from grokwidgets._validation import Integer, InvalidParameterError, Real, validate_params
from grokwidgets.basins import (
    DEFAULT_MARBLES,
    DEFAULT_N_PATHS,
    DEFAULT_STEPS,
    DEFAULT_TEMPERATURE,
    STEP_SIZE,
    SWEEP_COUNTS,
    SWEEP_REGULARIZATIONS,
    SWEEP_SEEDS,
    basin_marbles,
    basin_sweep,
    settle_marbles,
    sweep_fractions,
)
from grokwidgets.landscape import (
    Bowl,
    Grid,
    Settled,
    Trajectory,
    TwoBasin,
    Valley,
    evaluate_grid,
    run_marble,
)
from grokwidgets.plots.landscape import (
    Profile,
    axis_profile,
    basin_legend_handles,
    describe_basins,
    describe_singular,
    draw_marbles,
    draw_minimum_set,
    draw_paths,
    draw_potential,
    draw_profile,
    draw_sweep,
    singular_legend_handles,
    update_marbles,
    update_paths,
    update_potential,
    update_profile,
    update_sweep,
)
from grokwidgets.plots.render import new_figure
from grokwidgets.runs.basins import load_default_marbles
from grokwidgets.widgets import controls
from grokwidgets.widgets.canvas import FigureImage, shows_errors

__all__ = [
    "SWEEP_REGULARIZATIONS",
    "SWEEP_SEEDS",
    "BasinsWidget",
    "SingularityWidget",
    "basin_sweep",
]

#: Marble dynamics, the sweep table and the shipped opening setting live in the model
#: layer (grokwidgets.basins, grokwidgets.runs.basins); the names stay importable here.
GRID_NUM = 201
#: Fixed colour scale of the two-basin heat map, so heights compare across settings:
#: 16 shades, finer near zero (see grokwidgets.plots.landscape.band_edges).
BASIN_VMAX = 3.0
BASIN_BANDS = 16
PROFILE_YLIM = (-0.15, 3.0)
_CACHE_SIZE = 8  # ~1.2 MB each: 48 pushed a kernel past 150 MB (benchmarks/soak.py)
_SWEEP_COUNTS = SWEEP_COUNTS
_DEFAULT_N_PATHS = DEFAULT_N_PATHS
_settle = settle_marbles
_marbles = basin_marbles
_sweep = sweep_fractions
_shipped_marbles = load_default_marbles


#: The marble settings both figures take, declared once (grokwidgets._validation):
#: a bad one raises InvalidParameterError, a ValueError and a TypeError naming it.
#: The seed's range is the seed control's; the controls themselves clamp instead.
_MARBLE_CONSTRAINTS = {
    "seed": Integer(0, 9, joint=True),
    "n_marbles": Integer(1),
    "steps": Integer(1),
    "temperature": Real(ge=0.0, le=1.0),
}


def _seed_dropdown(value: int, css: str, tooltip: str) -> widgets.Dropdown:
    seed = controls.Dropdown(
        options=list(range(10)),
        value=value,
        description="Seed",
        tooltip=tooltip,
        layout=widgets.Layout(width="150px"),
    )
    seed.add_class(css)
    return seed


# --------------------------------------------------------------------------- regular vs singular


class SingularityWidget(widgets.VBox):
    """A regular minimum (a bowl) beside a singular one (a valley), with marbles.

    The same marbles start at the same random points on both landscapes and roll
    downhill with a little noise: in the bowl they all gather at the one best
    point; in the valley each stops wherever it meets the floor, which is a whole
    curve of equally good points. The **Seed** control draws new starting points.

    Parameters
    ----------
    seed : int, default 0
        Starting points and noise (0 to 9, the seed control's range).
    n_marbles : int, default 8
    steps : int, default 600
        Noisy gradient-descent steps of 0.02.
    temperature : float, default 0.01
    width, height : int
        Figure size in CSS pixels.

    Attributes
    ----------
    paths : dict of {"bowl", "valley"} to Trajectory
        The marbles' paths currently drawn, from
        :func:`~grokwidgets.landscape.run_marble`.
    """

    #: Marbles start uniformly in this square; the picture shows a wider one, since
    #: noise carries marbles along the valley floor.
    START_BOX = 1.6
    WINDOW = 2.5
    VMAX = 2.0
    BANDS = 12

    @validate_params(_MARBLE_CONSTRAINTS)
    def __init__(
        self,
        *,
        seed: int = 0,
        n_marbles: int = 8,
        steps: int = 600,
        temperature: float = 0.01,
        width: int = 700,
        height: int = 360,
    ) -> None:
        self.n_marbles, self.steps, self.temperature = n_marbles, steps, temperature
        lim = (-self.WINDOW, self.WINDOW)
        self.potentials: dict[str, Bowl | Valley] = {
            "bowl": Bowl(xlim=lim, ylim=lim),
            "valley": Valley(xlim=lim, ylim=lim),
        }
        self.paths: dict[str, Trajectory] = {}

        fig = new_figure(width, height)
        axes = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.07, right=0.98, top=0.86, bottom=0.2, wspace=0.18)
        titles = {"bowl": "regular: one best point", "valley": "singular: a line of best points"}
        self.path_artists = {}
        self.minimum_artists = {}
        for (name, potential), ax in zip(self.potentials.items(), axes, strict=True):
            draw_potential(
                ax,
                evaluate_grid(potential, num=161),
                vmax=self.VMAX,
                bands=self.BANDS,
            )
            self.minimum_artists[name] = draw_minimum_set(ax, potential)
            self.path_artists[name] = draw_paths(ax, self.n_marbles)
            ax.set_title(titles[name], size=10)
            ax.set_xlabel("w₁", size=9)
            ax.tick_params(labelsize=8)
        axes[0].set_ylabel("w₂", size=9)
        fig.legend(
            handles=singular_legend_handles(),
            loc="lower center",
            ncols=4,
            fontsize=8,
            frameon=False,
        )
        animated = [a for arts in self.path_artists.values() for a in arts.all()]
        self.image = FigureImage(fig, animated, filename="grokwidgets-singular-valley")
        self.image.add_class("gw-singular-figure")
        self.errors = self.image.errors

        self.seed = _seed_dropdown(
            seed, "gw-singular-seed", "Draw new random starting points for the marbles"
        )
        self.seed.observe(self._on_seed_change, names="value")
        self._update()
        super().__init__([self.image, self.errors, self.seed])
        self.image.cache_by([self.seed])  # frames depend on these controls only
        self.add_class("gw-singular")

    def compute(self, seed: int) -> dict[str, Trajectory]:
        """The marbles' paths for ``seed``: the same starts on both landscapes.

        ``rng = np.random.default_rng(seed)`` draws the starts (uniform in the
        square of half-width :attr:`START_BOX`), then the bowl's noise, then the
        valley's.
        """
        rng = np.random.default_rng(seed)
        box = self.START_BOX
        starts = rng.uniform(-box, box, size=(self.n_marbles, 2))
        return {
            name: run_marble(
                potential,
                starts,
                steps=self.steps,
                step_size=STEP_SIZE,
                temperature=self.temperature,
                rng=rng,
            )
            for name, potential in self.potentials.items()
        }

    def _update(self) -> None:
        self.paths = self.compute(self.seed.value)
        for name, trajectory in self.paths.items():
            update_paths(self.path_artists[name], trajectory)
        self.image.alt = describe_singular(
            self.paths["bowl"].positions[-1], self.paths["valley"].positions[-1]
        )
        self.image.request_draw()

    @shows_errors
    def _on_seed_change(self, change) -> None:
        self._update()


# --------------------------------------------------------------------------- two basins


class BasinsWidget(widgets.VBox):
    """Marbles leaving a sharp basin for a broad one as weight decay tilts the landscape.

    Left: the :class:`~grokwidgets.landscape.TwoBasin` loss (light = low) with the
    final positions of ``n_marbles`` marbles started in the complex basin (orange
    diamonds: ended in the simple basin; blue circles: stayed) and a few sample
    paths. Top right: the loss along ``w₂ = 0`` now (solid) and without weight
    decay (dashed), with both minima and the barrier. Bottom right: the share of
    marbles ending in the simple basin against regularization for seeds 0 to 2,
    with a star at the current setting.

    Parameters
    ----------
    regularization : float, default 0
        Initial slider value, in [0, 1].
    seed : int, default 0
        Initial seed (0 to 9): the marbles' starting scatter and noise.
    n_marbles, steps, temperature
        Dynamics of :func:`~grokwidgets.landscape.settle` (step size 0.02, spread
        0.1). The sweep panel for the defaults is stored; other values compute it
        at construction, once per kernel (63 runs of ``settle``: several seconds;
        see :func:`basin_sweep`).
    n_paths : int, default 5
        Sample paths drawn as lines, from the first ``n_paths`` starting points.
    width, height : int
        Figure size in CSS pixels.

    Attributes
    ----------
    potential : TwoBasin
    grid : Grid
        The heat map's data.
    settled : Settled
        Where the marbles ended (the scatter).
    paths : Trajectory or None
        The sample paths (the lines), None if ``n_paths`` is 0.
    profile : Profile
        The slice ``w₂ = 0`` (the top-right panel).
    sweep : ndarray, shape (len(SWEEP_SEEDS), len(SWEEP_REGULARIZATIONS))
        The bottom-right panel's fractions.
    """

    @validate_params(
        {
            **_MARBLE_CONSTRAINTS,
            "regularization": Real(ge=0.0, le=1.0),
            "n_paths": Integer(0),
        }
    )
    def __init__(
        self,
        *,
        regularization: float = 0.0,
        seed: int = 0,
        n_marbles: int = DEFAULT_MARBLES,
        steps: int = DEFAULT_STEPS,
        temperature: float = DEFAULT_TEMPERATURE,
        n_paths: int = _DEFAULT_N_PATHS,
        width: int = 700,
        height: int = 440,
    ) -> None:
        if n_paths > n_marbles:  # a relation between two settings: checked here
            raise InvalidParameterError(
                f"n_paths must be an int in [0, {n_marbles}] (n_marbles), got {n_paths!r}"
            )
        self.n_marbles, self.steps, self.temperature = n_marbles, steps, temperature
        self.n_paths = n_paths
        self.sweep = _sweep(self.n_marbles, self.steps, self.temperature)
        self._sweep_r = np.array(SWEEP_REGULARIZATIONS)
        self._cache: OrderedDict[tuple[float, int], tuple] = OrderedDict()

        fig = new_figure(width, height)
        ax_map = fig.add_subplot(
            fig.add_gridspec(1, 1, left=0.07, right=0.6, top=0.9, bottom=0.2)[0]
        )
        right = fig.add_gridspec(2, 1, left=0.735, right=0.985, top=0.9, bottom=0.23, hspace=0.75)
        ax_profile = fig.add_subplot(right[0])
        ax_sweep = fig.add_subplot(right[1])

        flat = TwoBasin()
        self.heatmap = draw_potential(
            ax_map,
            evaluate_grid(flat, num=GRID_NUM),
            vmax=BASIN_VMAX,
            bands=BASIN_BANDS,
        )
        cbar = fig.colorbar(
            self.heatmap,
            ax=ax_map,
            fraction=0.045,
            pad=0.02,
            extend="max",
            spacing="proportional",
            ticks=[0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0],
        )
        cbar.ax.tick_params(labelsize=7)
        cbar.ax.set_title("loss", size=7)
        self.path_artists = draw_paths(ax_map, self.n_paths)
        self.path_artists.ends.set_visible(False)  # the scatter shows where marbles end
        self.marble_artists = draw_marbles(ax_map)
        ax_map.set_title("marbles started in the complex basin", size=9)
        ax_map.set_xlabel("w₁", size=8)
        ax_map.set_ylabel("w₂", size=8)
        ax_map.tick_params(labelsize=7)
        # Drawn every frame after the heat map (an animated artist covers the
        # static background, whatever its zorder).
        self.labels = (
            ax_map.text(0.0, -2.35, "simple basin\n(broad, flat in w₂)", ha="center", size=7),
            ax_map.text(
                flat.complex_center, -0.6, "complex basin\n(sharp)", ha="center", va="top", size=7
            ),
        )

        self.profile_artists = draw_profile(ax_profile, axis_profile(flat), ylim=PROFILE_YLIM)
        ax_profile.set_title("slice through both minima", size=9)
        self.sweep_artists = draw_sweep(ax_sweep, self._sweep_r, self.sweep, SWEEP_SEEDS)
        ax_sweep.set_title("share simple, seeds 0-2", size=9)
        fig.legend(
            handles=basin_legend_handles(), loc="lower center", ncols=4, fontsize=8, frameon=False
        )

        animated = [
            self.heatmap,
            *self.labels,
            *self.path_artists.all(),
            *self.marble_artists.all(),
            *self.profile_artists.all(),
            *self.sweep_artists.all(),
        ]
        self.image = FigureImage(fig, animated, filename="grokwidgets-two-basins")
        self.image.add_class("gw-landscape-figure")
        self.errors = self.image.errors

        self.regularization = controls.labelled(
            controls.FloatSlider,
            "gw-landscape-reg",
            width="min(100%, 420px)",
            value=regularization,
            min=0.0,
            max=1.0,
            step=0.05,
            description="Regularization",
            tooltip=(
                "Weight decay r: adds r/2 |w|² to the loss, tilting the landscape toward the "
                "simple basin at the centre"
            ),
            readout_format=".2f",
            continuous_update=False,
        )
        self.seed = _seed_dropdown(
            seed, "gw-landscape-seed", "Seeds the marbles' starting scatter and their noise"
        )
        self.readout = widgets.HTML()
        self.readout.add_class("gw-landscape-readout")
        for control in (self.regularization, self.seed):
            control.observe(self._on_setting_change, names="value")
        self._update()
        super().__init__(
            [
                self.image,
                self.errors,
                widgets.HBox([self.regularization, self.seed]),
                self.readout,
            ]
        )
        self.add_class("gw-landscape")
        # Frames depend on these controls only (the seed fixes the marbles' scatter).
        self.image.cache_by([self.regularization, self.seed])

    @property
    def fraction_simple(self) -> float:
        """Share of the marbles that ended in the simple basin (the readout)."""
        return self.settled.fraction_simple

    def compute(self, regularization: float, seed: int) -> tuple[Grid, Settled, Trajectory | None]:
        """The heat map, the settled marbles and the sample paths for one setting.

        The marbles are :func:`~grokwidgets.landscape.settle` from the complex
        minimum with ``rng=np.random.default_rng(seed)``; the paths are
        :func:`~grokwidgets.landscape.run_marble` from the first ``n_paths`` of the
        same starting points with ``rng=np.random.default_rng([seed, 1])`` (None
        if ``n_paths`` is 0).
        Results are cached per setting, so revisiting one is instant.
        """
        key = (float(regularization), int(seed))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        potential = TwoBasin(regularization=key[0])
        grid = evaluate_grid(potential, num=GRID_NUM)
        dynamics = (self.n_marbles, self.steps, self.temperature, self.n_paths)
        paths: Trajectory | None
        if key == (0.0, 0) and dynamics == (
            DEFAULT_MARBLES,
            DEFAULT_STEPS,
            DEFAULT_TEMPERATURE,
            _DEFAULT_N_PATHS,
        ):
            settled, paths = _shipped_marbles()  # see grokwidgets.runs.basins
        else:
            settled, paths = _marbles(
                key[0],
                key[1],
                n_marbles=self.n_marbles,
                steps=self.steps,
                temperature=self.temperature,
                n_paths=self.n_paths,
            )
        self._cache[key] = (grid, settled, paths)
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return grid, settled, paths

    def _update(self) -> None:
        r, seed = self.regularization.value, self.seed.value
        self.grid, self.settled, self.paths = self.compute(r, seed)
        self.potential = TwoBasin(regularization=float(r))
        self.profile: Profile = axis_profile(self.potential)
        update_potential(self.heatmap, self.grid)
        update_marbles(self.marble_artists, self.settled)
        if self.n_paths and self.paths is not None:
            update_paths(self.path_artists, self.paths)
        update_profile(self.profile_artists, self.profile)
        index = SWEEP_SEEDS.index(seed) if seed in SWEEP_SEEDS else None
        update_sweep(self.sweep_artists, r, self.settled.fraction_simple, index)
        mean = self.sweep.mean(axis=0)
        self.image.alt = describe_basins(r, self.profile, self.settled, self._sweep_r, mean)
        self.readout.value = self._describe()
        self.image.request_draw()

    def _describe(self) -> str:
        n = len(self.settled.in_simple)
        k = int(self.settled.in_simple.sum())
        p = self.profile
        if p.complex_min is None:
            basin = "The complex basin is gone: the simple basin is the only place to rest."
        else:
            basin = (
                f"Complex minimum at loss {p.complex_min[1]:.2f} (simple: "
                f"{p.simple_min[1]:.2f}); barrier {p.barrier:.2f} high."
            )
        return f"<b>{k} of {n}</b> marbles ({k / n:.0%}) settled in the simple basin. {basin}"

    @shows_errors
    def _on_setting_change(self, change) -> None:
        # Either setting changes where the marbles end: all panels follow.
        self._update()
