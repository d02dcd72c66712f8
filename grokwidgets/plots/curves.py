"""Draw the Type A / Type B learning curves on matplotlib Axes.

Every function takes the Axes to draw on and returns the artists it drew, so a
widget can keep them and update their data in place (``set_data``) instead of
drawing a new figure.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.text import Text

from grokwidgets.curves import CurveResult
from grokwidgets.plots.render import log_scale

__all__ = [
    "COLORS",
    "MARKERS",
    "CurveArtists",
    "describe_curves",
    "draw_cursor",
    "draw_curves",
    "legend_handles",
    "setup_curve_axes",
    "update_cursor",
    "update_curves",
]

# Okabe-Ito blue and orange: distinguishable under the common colour-vision
# deficiencies. Colour is never the only cue: the types also differ in marker.
COLORS = {"A": "#0072B2", "B": "#E69F00"}
MARKERS = {"A": "o", "B": "D"}
LABELS = {"A": "Type A (accumulating)", "B": "Type B (grokking)"}
LOSS_MAX = 5.0


@dataclass(frozen=True, eq=False)
class CurveArtists:
    """The artists of one run's curves; all of them change between frames."""

    train_loss: Line2D
    test_loss: Line2D
    complexity: Line2D
    memorization: Line2D
    transition: Line2D
    transition_label: Text
    cursor_dots: Line2D

    @property
    def lines(self) -> tuple[Line2D, Line2D, Line2D]:
        return (self.train_loss, self.test_loss, self.complexity)

    def all(self) -> tuple:
        return (
            *self.lines,
            self.memorization,
            self.transition,
            self.transition_label,
            self.cursor_dots,
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
    style = {"color": COLORS[kind], "marker": MARKERS[kind], "markevery": 0.1, "markersize": 5}
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
    artists.train_loss.set_data(result.steps, result.train_loss)
    artists.test_loss.set_data(result.steps, result.test_loss)
    artists.complexity.set_data(result.steps, result.complexity)
    artists.memorization.set_xdata([result.memorization_step] * 2)
    # Only Type B's transition gets its own mark: Type A's move to a more complex
    # solution *is* its memorization, already marked.
    shown = result.kind == "B" and result.transition_step is not None
    if shown:
        x = result.transition_step
        artists.transition.set_xdata([x, x])
        artists.transition_label.set_position((x * 1.08, LOSS_MAX * 0.97))
        artists.transition_label.set_text(f"grokking\nstep {x:,.0f}")
    artists.transition.set_visible(shown)
    artists.transition_label.set_visible(shown)
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
                f"drops sharply at step {res.transition_step:,.0f} while its complexity falls."
            )
        parts.append(
            f"At step {step:,.0f}, type {kind}: train loss {v['train_loss']:.2f}, "
            f"test loss {v['test_loss']:.2f}, complexity {v['complexity']:.2f}."
        )
    return " ".join(parts)


def legend_handles() -> list[Line2D]:
    """Proxy artists for a static legend (types by colour and marker, kinds by style)."""
    handles = [
        Line2D([], [], color=COLORS[k], marker=MARKERS[k], lw=2, label=LABELS[k]) for k in "AB"
    ]
    handles += [
        Line2D([], [], color="0.3", lw=1.2, alpha=0.75, label="train loss (thin)"),
        Line2D([], [], color="0.3", lw=2.4, label="test loss (thick)"),
        Line2D([], [], color="0.3", lw=1.8, ls=(0, (5, 3)), label="complexity (dashed)"),
        # Rotated labels on the marks would cost ~2 ms each per frame; the legend, once.
        Line2D([], [], color="0.3", lw=1, ls=":", label="memorized (dotted)"),
    ]
    return handles


def draw_cursor(ax: Axes) -> Line2D:
    """A vertical line marking the current training step."""
    return ax.axvline(1.0, color="0.2", lw=1.0, alpha=0.6)


def update_cursor(cursor: Line2D, step: float) -> None:
    cursor.set_xdata([step, step])
