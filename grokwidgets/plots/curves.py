"""Draw the Type A / Type B learning curves on matplotlib Axes.

Every function takes the Axes to draw on and returns the artists it drew, so a
widget can keep them and update their data in place (``set_data``) instead of
drawing a new figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import NullLocator

from grokwidgets.curves import CurveResult
from grokwidgets.plots.render import log_scale

if TYPE_CHECKING:  # for annotations only: importing runs here would load its data layer
    from grokwidgets.runs import MeasuredCurves

__all__ = [
    "COLORS",
    "MARKERS",
    "CurveArtists",
    "complexity_segments",
    "describe_curves",
    "describe_measured_curves",
    "draw_cursor",
    "draw_curves",
    "draw_measured_curves",
    "draw_schematic_label",
    "legend_handles",
    "setup_curve_axes",
    "setup_measured_axes",
    "update_cursor",
    "update_curves",
    "update_measured_curves",
]

# Okabe-Ito blue and orange: distinguishable under the common colour-vision
# deficiencies. Colour is never the only cue: the types also differ in marker.
COLORS = {"A": "#0072B2", "B": "#E69F00"}
MARKERS = {"A": "o", "B": "D"}
LABELS = {"A": "Type A (accumulating)", "B": "Type B (grokking)"}
MEASURED_LABELS = {"A": "A: weight decay 0 (memorizes)", "B": "B: the weight decay below"}
LOSS_MAX = 5.0
#: Loss axis of the measured runs (log scale): their train loss falls below 1e-6,
#: their test loss rises above 50 nats while they memorize.
MEASURED_LOSS_LIM = (1e-5, 200.0)
#: Flagged (invalid) LLC estimates are shown hollow and grey.
FLAGGED_COLOR = "0.55"


@dataclass(frozen=True, eq=False)
class CurveArtists:
    """The artists of one run's curves; all of them change between frames."""

    train_loss: Line2D
    test_loss: Line2D
    complexity: Line2D | LineCollection
    memorization: Line2D
    transition: Line2D
    transition_label: Text
    cursor_dots: Line2D
    #: Measured runs only: the LLC estimates at their checkpoints, valid (filled)
    #: and flagged invalid (hollow, grey; never joined by the dashed line).
    llc_points: Line2D | None = None
    llc_flagged: Line2D | None = None

    @property
    def lines(self) -> tuple:
        return (self.train_loss, self.test_loss, self.complexity)

    @property
    def complexity_artists(self) -> tuple:
        """What the complexity toggle shows and hides."""
        extra = (a for a in (self.llc_points, self.llc_flagged) if a is not None)
        return (self.complexity, *extra)

    def all(self) -> tuple:
        return (
            *self.lines,
            self.memorization,
            self.transition,
            self.transition_label,
            self.cursor_dots,
            *(a for a in (self.llc_points, self.llc_flagged) if a is not None),
        )


def setup_curve_axes(ax: Axes, horizon: float) -> Axes:
    """Style ``ax`` for losses over log-steps; return the twin Axes for complexity."""
    log_scale(ax, "x")
    ax.set_xlim(1.0, horizon)
    ax.set_ylim(0.0, LOSS_MAX)
    ax.set_xlabel("training step (log scale)")
    ax.set_ylabel("loss (nats), solid")
    ax.grid(True, which="major", alpha=0.25)
    cax = ax.twinx()
    cax.set_ylim(0.0, 1.05)
    cax.set_ylabel("complexity, dashed")
    for side in ("top",):
        ax.spines[side].set_visible(False)
        cax.spines[side].set_visible(False)
    return cax


def draw_curves(ax: Axes, cax: Axes, result: CurveResult) -> CurveArtists:
    """Draw one run: train loss (thin) and test loss (thick) solid on ``ax``,
    complexity dashed on ``cax``, and vertical marks at memorization and at the
    transition, in the run's colour and marker."""
    kind = result.kind
    style: dict[str, Any] = {
        "color": COLORS[kind],
        "marker": MARKERS[kind],
        "markevery": 0.1,
        "markersize": 5,
    }
    train = ax.plot(result.steps, result.train_loss, lw=1.2, alpha=0.75, **style)[0]
    test = ax.plot(result.steps, result.test_loss, lw=2.4, **style)[0]
    comp = cax.plot(result.steps, result.complexity, lw=1.8, ls=(0, (5, 3)), **style)[0]
    mem = ax.axvline(result.memorization_step, color=COLORS[kind], lw=1, ls=":", alpha=0.9)
    tr = ax.axvline(1.0, color=COLORS[kind], lw=1.5, ls="-.", alpha=0.9)
    label = ax.text(
        1.0,
        LOSS_MAX * 0.97,
        "",
        color=COLORS[kind],
        ha="left",
        va="top",
        size=9,
        bbox={"fc": "white", "ec": "none", "alpha": 0.85, "pad": 1},
    )
    dots = ax.plot(
        [], [], ls="none", marker=MARKERS[kind], ms=8, mfc="white", mec=COLORS[kind], mew=2
    )[0]
    artists = CurveArtists(train, test, comp, mem, tr, label, dots)
    update_curves(artists, result)
    return artists


def update_curves(artists: CurveArtists, result: CurveResult, step: float | None = None) -> None:
    """Put ``result``'s data into ``artists`` (and the cursor dots at ``step``)."""
    complexity = artists.complexity
    if not isinstance(complexity, Line2D):
        raise TypeError("update_curves takes the artists of draw_curves (a Line2D complexity)")
    artists.train_loss.set_data(result.steps, result.train_loss)
    artists.test_loss.set_data(result.steps, result.test_loss)
    complexity.set_data(result.steps, result.complexity)
    artists.memorization.set_xdata([result.memorization_step] * 2)
    _update_transition(artists, result, LOSS_MAX * 0.97, "grokking")
    _update_cursor_dots(artists, result, step)


def _update_transition(artists: CurveArtists, result: CurveResult, y: float, word: str) -> None:
    """Type B's transition mark and its label (``word``, the step) at height ``y``.

    Only Type B's transition gets its own mark: Type A's move to a more complex
    solution *is* its memorization, already marked.
    """
    x = result.transition_step if result.kind == "B" else None
    shown = x is not None
    if x is not None:
        artists.transition.set_xdata([x, x])
        artists.transition_label.set_position((x * 1.08, y))
        artists.transition_label.set_text(f"{word}\nstep {x:,.0f}")
    artists.transition.set_visible(shown)
    artists.transition_label.set_visible(shown)


def _update_cursor_dots(artists: CurveArtists, result: CurveResult, step: float | None) -> None:
    """The losses under the step cursor (left where they are if ``step`` is None)."""
    if step is not None:
        values = result.value_at(step)
        artists.cursor_dots.set_data([step, step], [values["train_loss"], values["test_loss"]])


def describe_curves(results: dict[str, CurveResult], step: float) -> str:
    """A text alternative for the figure: what a sighted reader sees in it."""
    reg = next(iter(results.values())).regularization
    parts = [f"Learning curves at regularization {reg:.3g}."]
    for kind, res in results.items():
        v = res.value_at(step)
        if kind == "A":
            parts.append(
                f"Type A memorizes by step {res.memorization_step:,.0f}; "
                "its complexity only rises; its test loss stays high."
            )
        elif res.transition_step is None:
            parts.append(
                f"Type B memorizes by step {res.memorization_step:,.0f} and does not generalize "
                f"within {res.steps[-1]:,.0f} steps."
            )
        else:
            parts.append(
                f"Type B memorizes by step {res.memorization_step:,.0f}, then its test loss "
                f"drops sharply at step {res.transition_step:,.0f}; its complexity, falling "
                "since memorization, falls fastest then."
            )
        parts.append(
            f"At step {step:,.0f}, type {kind}: train loss {v['train_loss']:.2f}, "
            f"test loss {v['test_loss']:.2f}, complexity {v['complexity']:.2f}."
        )
    return " ".join(parts)


def legend_handles(measured: bool = False) -> list[Line2D]:
    """Proxy artists for a static legend (types by colour and marker, kinds by style).

    ``measured``: the legend of the measured runs (the complexity is the LLC, and
    flagged estimates are hollow grey markers).
    """
    labels = MEASURED_LABELS if measured else LABELS
    handles = [
        Line2D([], [], color=COLORS[k], marker=MARKERS[k], lw=2, label=labels[k]) for k in "AB"
    ]
    handles += [
        Line2D([], [], color="0.3", lw=1.2, alpha=0.75, label="train loss (thin)"),
        Line2D([], [], color="0.3", lw=2.4, label="test loss (thick)"),
        Line2D(
            [],
            [],
            color="0.3",
            lw=1.8,
            ls=(0, (5, 3)),
            label="LLC (dashed)" if measured else "complexity (dashed)",
        ),
        # Rotated labels on the marks would cost ~2 ms each per frame; the legend, once.
        Line2D([], [], color="0.3", lw=1, ls=":", label="memorized (dotted)"),
    ]
    if measured:
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                mfc="none",
                mec=FLAGGED_COLOR,
                label="LLC flagged invalid",
            )
        )
    return handles


def setup_measured_axes(ax: Axes, horizon: float, llc_lim: tuple[float, float]) -> Axes:
    """Style ``ax`` for a measured run's losses (log-log); return the twin Axes for
    its learning coefficient (log scale, limits ``llc_lim`` from the data)."""
    log_scale(ax, "x")
    log_scale(ax, "y")
    ax.set_xlim(1.0, horizon)
    ax.set_ylim(*MEASURED_LOSS_LIM)
    ax.yaxis.set_minor_locator(NullLocator())  # 7 decades: minor ticks would only clutter
    ax.set_xlabel("training step (log scale)")
    ax.set_ylabel("loss (nats, log scale), solid")
    ax.grid(True, which="major", alpha=0.25)
    cax = ax.twinx()
    log_scale(cax, "y")
    cax.set_ylim(*llc_lim)
    cax.set_ylabel("learning coefficient (LLC, log), dashed")
    ax.spines["top"].set_visible(False)
    cax.spines["top"].set_visible(False)
    return cax


def complexity_segments(steps: np.ndarray, complexity: np.ndarray) -> list[np.ndarray]:
    """The stretches of a complexity curve with finite values, as (k, 2) arrays.

    A measured curve is NaN where its estimate was flagged; drawing only the
    finite stretches leaves a gap there instead of a line through it.
    """
    x = np.asarray(steps, dtype=np.float64)
    y = np.asarray(complexity, dtype=np.float64)
    ok = np.isfinite(y) & (x > 0)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
    return [np.column_stack([x[a:b], y[a:b]]) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def draw_measured_curves(ax: Axes, cax: Axes, result: MeasuredCurves) -> CurveArtists:
    """Draw one measured run (a :class:`~grokwidgets.runs.MeasuredCurves`): losses
    as in :func:`draw_curves`, the LLC dashed where it is valid, and its estimates
    at their checkpoints (flagged ones hollow and grey)."""
    kind = result.kind
    color = COLORS[kind]
    style: dict[str, Any] = {
        "color": color,
        "marker": MARKERS[kind],
        "markevery": 0.1,
        "markersize": 5,
    }
    train = ax.plot([], [], lw=1.2, alpha=0.75, **style)[0]
    test = ax.plot([], [], lw=2.4, **style)[0]
    comp = LineCollection([], colors=[color], linewidths=1.8, linestyles=(0, (5, 3)))
    cax.add_collection(comp)
    points = cax.plot([], [], ls="none", marker=MARKERS[kind], ms=4, color=color)[0]
    flagged = cax.plot(
        [], [], ls="none", marker=MARKERS[kind], ms=5, mfc="none", mec=FLAGGED_COLOR, mew=1.2
    )[0]
    mem = ax.axvline(1.0, color=color, lw=1, ls=":", alpha=0.9)
    tr = ax.axvline(1.0, color=color, lw=1.5, ls="-.", alpha=0.9)
    label = ax.text(
        1.0,
        0.97,
        "",
        color=color,
        ha="left",
        va="top",
        size=9,
        transform=ax.get_xaxis_transform(),
        bbox={"fc": "white", "ec": "none", "alpha": 0.85, "pad": 1},
    )
    dots = ax.plot([], [], ls="none", marker=MARKERS[kind], ms=8, mfc="white", mec=color, mew=2)[0]
    artists = CurveArtists(train, test, comp, mem, tr, label, dots, points, flagged)
    update_measured_curves(artists, result)
    return artists


def update_measured_curves(
    artists: CurveArtists, result: MeasuredCurves, step: float | None = None
) -> None:
    """Put a measured run's data into ``artists`` (and the cursor dots at ``step``)."""
    complexity, points, flagged = artists.complexity, artists.llc_points, artists.llc_flagged
    if not isinstance(complexity, LineCollection) or points is None or flagged is None:
        raise TypeError("update_measured_curves takes the artists of draw_measured_curves")
    artists.train_loss.set_data(result.steps, result.train_loss)
    artists.test_loss.set_data(result.steps, result.test_loss)
    complexity.set_segments(complexity_segments(result.steps, result.complexity))
    curve, valid = result.llc, result.llc_valid
    finite = np.isfinite(curve.llc)
    points.set_data(curve.step[valid], curve.llc[valid])
    flagged.set_data(curve.step[~valid & finite], curve.llc[~valid & finite])
    memorized = math.isfinite(result.memorization_step)
    artists.memorization.set_xdata([result.memorization_step if memorized else 1.0] * 2)
    artists.memorization.set_visible(memorized)
    _update_transition(artists, result, 0.97, "grokked")
    _update_cursor_dots(artists, result, step)


def draw_schematic_label(ax: Axes) -> Text:
    """Say on the canvas that the curves are drawn, not measured."""
    return ax.text(
        0.99,
        0.02,
        "SCHEMATIC: a drawn model, not a training run",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        size=9,
        style="italic",
        color="0.35",
        bbox={"fc": "white", "ec": "0.6", "alpha": 0.9, "pad": 2},
    )


def describe_measured_curves(results: dict[str, MeasuredCurves], step: float) -> str:
    """A text alternative for the measured figure."""
    b = results["B"]
    parts = [
        f"Measured learning curves of two shipped runs: weight decay 0 (Type A) and "
        f"weight decay {b.regularization:g}, seed {b.seed} (Type B)."
    ]
    for kind, res in results.items():
        v = res.value_at(step)
        grok_step = res.run.grok_step
        grok = "never groks" if grok_step is None else f"groks at step {grok_step:,}"
        parts.append(f"Type {kind} memorizes by step {res.memorization_step:,.0f} and {grok}.")
        valid = np.asarray(res.llc_valid)
        if valid.any():
            first = int(res.llc.step[valid][0])
            parts.append(
                f"{int(valid.sum())} of its {valid.size} learning-coefficient estimates are "
                f"valid, from step {first:,} on; the others are flagged and drawn hollow."
            )
        else:
            parts.append("All its learning-coefficient estimates are flagged invalid.")
        llc = v["complexity"]
        llc_text = f"{llc:,.0f}" if math.isfinite(llc) else "not validly estimated"
        parts.append(
            f"At step {step:,.0f}, type {kind}: train loss {v['train_loss']:.2g}, "
            f"test loss {v['test_loss']:.2g}, learning coefficient {llc_text}."
        )
    return " ".join(parts)


def draw_cursor(ax: Axes) -> Line2D:
    """A vertical line marking the current training step."""
    return ax.axvline(1.0, color="0.2", lw=1.0, alpha=0.6)


def update_cursor(cursor: Line2D, step: float) -> None:
    cursor.set_xdata([step, step])
