"""Draw a real training run: its learning curves, and its weights at one step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.text import Text

from grokwidgets.experiment import History
from grokwidgets.measures import effective_frequencies, fourier_energy, top_k_fraction
from grokwidgets.plots.render import log_scale

__all__ = [
    "HistoryArtists",
    "WeightArtists",
    "draw_history",
    "draw_weights",
    "set_history_steps",
    "spectrum_shares",
    "update_history",
    "update_history_cursor",
    "update_weights",
]

TRAIN_COLOR, TEST_COLOR = "#0072B2", "#D55E00"  # Okabe-Ito blue and vermillion
LOSS_RANGE = (1e-6, 20.0)


@dataclass(frozen=True, eq=False)
class HistoryArtists:
    """Artists of the learning-curve panels (all change between frames)."""

    train_acc: Line2D
    test_acc: Line2D
    train_loss: Line2D
    test_loss: Line2D
    grok_marks: tuple[Line2D, Line2D]
    cursors: tuple[Line2D, Line2D]
    note: Text

    def all(self) -> tuple:
        return (
            self.train_acc,
            self.test_acc,
            self.train_loss,
            self.test_loss,
            *self.grok_marks,
            *self.cursors,
            self.note,
        )


def draw_history(ax_acc: Axes, ax_loss: Axes, history: History, steps: int) -> HistoryArtists:
    """Accuracy (left) and loss (right, log scale) against step, train and test."""
    for ax in (ax_acc, ax_loss):
        ax.set_xlabel("training step")
        ax.grid(True, alpha=0.25)
        ax.spines[["top", "right"]].set_visible(False)
    ax_acc.set_ylim(-0.02, 1.02)
    ax_acc.set_ylabel("accuracy")
    log_scale(ax_loss, "y")
    ax_loss.set_ylim(*LOSS_RANGE)
    ax_loss.set_ylabel("loss (nats, log scale)")
    kw_train: dict[str, Any] = {"color": TRAIN_COLOR, "lw": 1.6, "label": "train (solid)"}
    kw_test: dict[str, Any] = {"color": TEST_COLOR, "lw": 2.2, "ls": "--", "label": "test (dashed)"}
    train_acc = ax_acc.plot([], [], **kw_train)[0]
    test_acc = ax_acc.plot([], [], **kw_test)[0]
    train_loss = ax_loss.plot([], [], **kw_train)[0]
    test_loss = ax_loss.plot([], [], **kw_test)[0]
    ax_acc.legend(loc="center right", fontsize=8, frameon=False)

    def vlines(**kw: Any) -> tuple[Line2D, Line2D]:
        return ax_acc.axvline(0, **kw), ax_loss.axvline(0, **kw)

    marks = vlines(color="0.4", lw=1, ls=":")
    cursors = vlines(color="0.15", lw=1.2, alpha=0.7)
    note = ax_acc.text(0.02, 0.97, "", transform=ax_acc.transAxes, va="top", size=8)
    artists = HistoryArtists(train_acc, test_acc, train_loss, test_loss, marks, cursors, note)
    set_history_steps(ax_acc, ax_loss, steps)
    update_history(artists, history, None)
    return artists


def set_history_steps(ax_acc: Axes, ax_loss: Axes, steps: int) -> None:
    """Set the step axis to [0, steps] (a static change: redraw the background)."""
    for ax in (ax_acc, ax_loss):
        ax.set_xlim(0, max(int(steps), 1))


def update_history(artists: HistoryArtists, history: History, grok_step: int | None) -> None:
    """Show ``history``; mark ``grok_step`` (first step with test accuracy >= 95%)."""
    step = history.step
    artists.train_acc.set_data(step, history.train_acc)
    artists.test_acc.set_data(step, history.test_acc)
    artists.train_loss.set_data(step, np.clip(history.train_loss, *LOSS_RANGE))
    artists.test_loss.set_data(step, np.clip(history.test_loss, *LOSS_RANGE))
    for mark in artists.grok_marks:
        mark.set_visible(grok_step is not None)
        if grok_step is not None:
            mark.set_xdata([grok_step, grok_step])
    artists.note.set_text("" if grok_step is None else f"test accuracy >= 95% at step {grok_step}")


def update_history_cursor(artists: HistoryArtists, step: float) -> None:
    for cursor in artists.cursors:
        cursor.set_xdata([step, step])


@dataclass(frozen=True, eq=False)
class WeightArtists:
    """Artists of the weights panels: two heatmaps and a Fourier spectrum."""

    embedding: AxesImage
    output: AxesImage
    spectrum: BarContainer
    summary: Text

    def all(self) -> tuple:
        return (self.embedding, self.output, *self.spectrum.patches, self.summary)


def draw_weights(
    ax_emb: Axes, ax_out: Axes, ax_spec: Axes, params: dict[str, np.ndarray]
) -> WeightArtists:
    """Heatmaps of the residue embedding and the output matrix, and the embedding's
    energy per Fourier frequency."""
    emb = _embedding(params)
    p = emb.shape[0]
    im_emb = ax_emb.imshow(emb.T, cmap="RdBu_r", aspect="auto", interpolation="nearest")
    ax_emb.set_title("embedding (residue across)", size=9)
    im_out = ax_out.imshow(params["w_out"], cmap="RdBu_r", aspect="auto", interpolation="nearest")
    ax_out.set_title("output weights (residue across)", size=9)
    for ax in (ax_emb, ax_out):
        ax.set_xticks([0, p - 1])
        ax.set_yticks([])
    freqs = np.arange(1, p // 2 + 1)
    bars = ax_spec.bar(freqs, np.zeros(len(freqs)), color="#009E73", width=0.8)
    ax_spec.set_ylim(0, 1)
    ax_spec.set_xlim(0.3, p // 2 + 0.7)
    ax_spec.set_title("embedding energy per frequency", size=9)
    ax_spec.set_xlabel("frequency k", size=8)
    ax_spec.set_ylabel("share of energy", size=8)
    ax_spec.spines[["top", "right"]].set_visible(False)
    summary = ax_spec.text(
        0.98, 0.97, "", transform=ax_spec.transAxes, ha="right", va="top", size=8
    )
    artists = WeightArtists(im_emb, im_out, bars, summary)
    update_weights(artists, params)
    return artists


def _embedding(params: dict[str, np.ndarray]) -> np.ndarray:
    # One-hot runs have no shared embedding: their first layer plays that part.
    return np.asarray(params["embed"] if "embed" in params else params["w_a"], dtype=np.float64)


def spectrum_shares(params: dict[str, np.ndarray]) -> np.ndarray:
    """Share of the embedding's non-constant energy at each frequency 1 .. p // 2."""
    energy = fourier_energy(_embedding(params))[1:]
    total = energy.sum()
    return energy / total if total > 0 else np.zeros_like(energy)


def update_weights(artists: WeightArtists, params: dict[str, np.ndarray]) -> None:
    """Show ``params``: heatmaps on a symmetric colour scale, spectrum shares."""
    emb = _embedding(params)
    for image, data in ((artists.embedding, emb.T), (artists.output, params["w_out"])):
        limit = float(np.max(np.abs(data))) or 1.0
        image.set_data(data)
        image.set_clim(-limit, limit)
    shares = spectrum_shares(params)
    for bar, share in zip(artists.spectrum.patches, shares, strict=True):
        bar.set_height(share)
    artists.summary.set_text(
        f"top-5 share {top_k_fraction(emb):.2f}\n"
        f"effective frequencies {effective_frequencies(emb):.1f}"
    )
