"""Draw measured complexity along a real run: loss, learning coefficient, Fourier share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.text import Text

from grokwidgets.experiment import Run
from grokwidgets.measures import LLCCurve, RunMeasures
from grokwidgets.plots.render import log_scale

__all__ = ["ComplexityArtists", "draw_complexity", "update_complexity"]

TRAIN_COLOR, TEST_COLOR = "#0072B2", "#D55E00"
LLC_COLOR, FOURIER_COLOR, NORM_COLOR = "#CC79A7", "#009E73", "0.35"
STEP_RANGE = (4.0, 3200.0)
LOSS_RANGE = (1e-7, 100.0)
LLC_RANGE = (1.0, 2e4)


@dataclass(frozen=True, eq=False)
class ComplexityArtists:
    """Artists of the three stacked panels; all change with the run shown."""

    train_loss: Line2D
    test_loss: Line2D
    llc: Line2D
    reference: Line2D
    top_k: Line2D
    weight_norm: Line2D
    marks: tuple[Line2D, ...]
    labels: tuple[Text, ...]

    def all(self) -> tuple:
        return (
            self.train_loss,
            self.test_loss,
            self.llc,
            self.reference,
            self.top_k,
            self.weight_norm,
            *self.marks,
            *self.labels,
        )


def draw_complexity(ax_loss: Axes, ax_llc: Axes, ax_fourier: Axes) -> ComplexityArtists:
    """Set up the panels (log step axis shared) and return their empty artists."""
    for ax in (ax_loss, ax_llc, ax_fourier):
        log_scale(ax, "x")
        ax.set_xlim(*STEP_RANGE)
        ax.grid(True, alpha=0.25)
        ax.spines[["top"]].set_visible(False)
    log_scale(ax_loss, "y")
    ax_loss.set_ylim(*LOSS_RANGE)
    ax_loss.set_ylabel("loss (nats)")
    log_scale(ax_llc, "y")
    ax_llc.set_ylim(*LLC_RANGE)
    ax_llc.set_ylabel("learning\ncoefficient")
    ax_fourier.set_ylim(0, 1)
    ax_fourier.set_ylabel("top-5 Fourier\nshare")
    ax_fourier.set_xlabel("training step (log scale)")
    ax_norm = ax_fourier.twinx()
    ax_norm.set_ylim(0, 70)
    ax_norm.set_ylabel("weight norm", color=NORM_COLOR)
    train = ax_loss.plot([], [], color=TRAIN_COLOR, lw=1.6, label="train loss (solid)")[0]
    test = ax_loss.plot([], [], color=TEST_COLOR, lw=2, ls="--", label="test loss (dashed)")[0]
    ax_loss.legend(loc="lower left", fontsize=8, frameon=False, ncols=2)
    llc = ax_llc.plot([], [], color=LLC_COLOR, lw=2, marker="o", ms=4, label="this run")[0]
    reference = ax_llc.plot(
        [],
        [],
        color="0.55",
        lw=1.4,
        ls="--",
        marker="x",
        ms=4,
        label="weight decay 0 (never groks)",
    )[0]
    ax_llc.legend(loc="upper right", fontsize=8, frameon=False, ncols=2)
    top_k = ax_fourier.plot([], [], color=FOURIER_COLOR, lw=2, marker="s", ms=3.5)[0]
    norm = ax_norm.plot([], [], color=NORM_COLOR, lw=1.2, ls=":")[0]
    marks, labels = [], []
    for ax in (ax_loss, ax_llc, ax_fourier):
        marks.append(ax.axvline(1, color="0.4", lw=1, ls=(0, (2, 2))))
        marks.append(ax.axvline(1, color="0.1", lw=1.2, ls="-."))
    labels.append(
        ax_loss.text(1, LOSS_RANGE[1] * 0.3, "memorized", size=8, ha="right", va="top", rotation=90)
    )
    labels.append(
        ax_loss.text(
            1, LOSS_RANGE[1] * 0.3, "generalized", size=8, ha="right", va="top", rotation=90
        )
    )
    return ComplexityArtists(train, test, llc, reference, top_k, norm, tuple(marks), tuple(labels))


def update_complexity(
    artists: ComplexityArtists,
    run: Run,
    measures: RunMeasures,
    llc: LLCCurve | None,
    reference: LLCCurve | None = None,
) -> None:
    """Show ``run``'s history, its ``measures``, its LLC curve and a reference curve
    (e.g. the run without weight decay), either of which may be None."""
    h = run.history
    keep = h.step > 0  # a log axis has no step 0
    artists.train_loss.set_data(h.step[keep], np.clip(h.train_loss[keep], *LOSS_RANGE))
    artists.test_loss.set_data(h.step[keep], np.clip(h.test_loss[keep], *LOSS_RANGE))
    if llc is None:
        artists.llc.set_data([], [])
    else:
        artists.llc.set_data(llc.step, np.clip(llc.llc, *LLC_RANGE))
    if reference is None:
        artists.reference.set_data([], [])
    else:
        artists.reference.set_data(reference.step, np.clip(reference.llc, *LLC_RANGE))
    ck = measures.step > 0
    artists.top_k.set_data(measures.step[ck], measures.top_k_fraction[ck])
    artists.weight_norm.set_data(measures.step[ck], measures.weight_norm[ck])
    events = (run.memorization_step, run.grok_step)
    for i, mark in enumerate(artists.marks):
        step = events[i % 2]
        mark.set_visible(step is not None)
        if step is not None:
            mark.set_xdata([step, step])
    for label, step in zip(artists.labels, events, strict=True):
        label.set_visible(step is not None)
        if step is not None:
            label.set_x(step / 1.04)
