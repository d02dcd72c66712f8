"""Drawing the evidence: sweeps, the phase diagram, LLC at matched loss, chain traces.

Each ``draw_*`` takes the Axes to draw on and the model output (from
:mod:`grokwidgets.evidence`, :mod:`grokwidgets.runs` or :mod:`grokwidgets.slt`)
and returns the artists it drew, so a widget can keep them and a test can compare
their data with the model's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.colors import ListedColormap
from matplotlib.container import ErrorbarContainer
from matplotlib.lines import Line2D
from matplotlib.text import Text

from grokwidgets.evidence import OUTCOMES, GrokSummary, InverseLaw, PhaseSummary
from grokwidgets.plots.render import log_scale

__all__ = [
    "OUTCOME_COLOURS",
    "draw_cell_curves",
    "draw_fraction",
    "draw_grok_steps",
    "draw_matched_llc",
    "draw_phase",
    "draw_residuals",
    "draw_traces",
    "grok_x",
    "select_cell",
    "update_cell_curves",
]

#: Colours of the phase diagram's outcomes (grokked, memorized only, neither).
OUTCOME_COLOURS = ("#2a9d8f", "#e9c46a", "#bbbbbb")
GROK = "#c8102e"
INK = "#333333"


def grok_x(weight_decay: np.ndarray, inverse: bool) -> np.ndarray:
    """The x coordinate of a weight decay: itself, or ``1 / weight_decay``."""
    wd = np.asarray(weight_decay, dtype=np.float64)
    return 1.0 / wd if inverse else wd


@dataclass
class GrokArtists:
    """What :func:`draw_grok_steps` drew."""

    errorbar: ErrorbarContainer
    fit: Line2D
    budget: Line2D


def draw_grok_steps(
    ax: Axes, summary: GrokSummary, law: InverseLaw, *, inverse: bool = False
) -> GrokArtists:
    """Median grok step with its interquartile range, and the fitted law, against weight decay.

    Points are the weight decays where at least half the seeds grokked; x is the
    weight decay, or ``1 / weight_decay`` when ``inverse``.
    """
    keep = (summary.weight_decay > 0) & np.isfinite(summary.median)
    x = grok_x(summary.weight_decay[keep], inverse)
    med = summary.median[keep]
    # An upper quartile that did not grok is drawn up to the budget.
    hi = np.where(np.isfinite(summary.q75[keep]), summary.q75[keep], summary.budget)
    err = np.vstack([med - summary.q25[keep], hi - med])
    eb = ax.errorbar(x, med, yerr=err, fmt="o", color=INK, capsize=3, ms=5, label="median, IQR")
    grid = np.linspace(law.weight_decay.min(), law.weight_decay.max(), 100)
    (fit,) = ax.plot(
        grok_x(grid, inverse),
        law(grid),
        color=GROK,
        lw=1.5,
        label=f"fit {law.t0:,.0f} + {law.T:,.0f} / wd",
    )
    budget = ax.axhline(summary.budget, color="#999999", lw=0.8, ls=":", label="budget")
    ax.set_xlabel("1 / weight decay" if inverse else "weight decay")
    ax.set_ylabel("steps to grok")
    ax.legend(loc="upper right" if not inverse else "upper left", fontsize="small")
    return GrokArtists(eb, fit, budget)


def draw_residuals(ax: Axes, law: InverseLaw, *, inverse: bool = False) -> Line2D:
    """The fit's residuals (median minus fitted) at the fitted weight decays."""
    (line,) = ax.plot(grok_x(law.weight_decay, inverse), law.residual, "o", color=GROK, ms=4)
    ax.axhline(0.0, color="#999999", lw=0.8)
    ax.set_ylabel("residual")
    ax.set_xlabel("1 / weight decay" if inverse else "weight decay")
    return line


def draw_fraction(ax: Axes, summary: GrokSummary) -> ErrorbarContainer:
    """The share of seeds that grok within the budget, with 95% Wilson intervals."""
    f = summary.fraction
    err = np.vstack([f - summary.ci_low, summary.ci_high - f])
    eb = ax.errorbar(summary.weight_decay, f, yerr=err, fmt="s", color=INK, capsize=3, ms=5)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("weight decay")
    ax.set_ylabel(f"share grokked by step {summary.budget:,}")
    return eb


@dataclass
class PhaseArtists:
    """What :func:`draw_phase` drew."""

    mesh: QuadMesh
    labels: list[Text]
    selection: Line2D


def draw_phase(ax: Axes, phase: PhaseSummary) -> PhaseArtists:
    """Cells coloured by outcome, each labelled with its median grok step (or its outcome)."""
    nw, nf = phase.outcome.shape
    cmap = ListedColormap(OUTCOME_COLOURS)
    mesh = ax.pcolormesh(
        np.arange(nf + 1) - 0.5,
        np.arange(nw + 1) - 0.5,
        phase.outcome,
        cmap=cmap,
        vmin=-0.5,
        vmax=len(OUTCOMES) - 0.5,
        edgecolors="white",
        linewidth=1.5,
    )
    labels = []
    for i in range(nw):
        for j in range(nf):
            m = phase.median_grok[i, j]
            k = phase.counts[i, j, 0]
            text = f"{m:,.0f}\n{k}/{phase.seeds}" if np.isfinite(m) else f"–\n{k}/{phase.seeds}"
            labels.append(ax.text(j, i, text, ha="center", va="center", fontsize=8, color=INK))
    ax.set_xticks(np.arange(nf), [f"{f:g}" for f in phase.train_fraction])
    ax.set_yticks(np.arange(nw), [f"{w:g}" for w in phase.weight_decay])
    ax.set_xlabel("train fraction")
    ax.set_ylabel("weight decay")
    (sel,) = ax.plot([], [], color=INK, lw=2.5)
    return PhaseArtists(mesh, labels, sel)


def select_cell(artists: PhaseArtists, i: int, j: int) -> None:
    """Outline cell ``(i, j)`` (weight-decay row, train-fraction column)."""
    x = np.array([j - 0.5, j + 0.5, j + 0.5, j - 0.5, j - 0.5])
    y = np.array([i - 0.5, i - 0.5, i + 0.5, i + 0.5, i - 0.5])
    artists.selection.set_data(x, y)


def draw_cell_curves(ax: Axes, budget: int, max_runs: int = 8) -> list[tuple[Line2D, Line2D]]:
    """Empty (train, test) accuracy lines for ``max_runs`` runs (see ``update_cell_curves``)."""
    lines = []
    for _ in range(max_runs):
        (train,) = ax.plot([], [], color="#1f77b4", lw=1.0, alpha=0.8)
        (test,) = ax.plot([], [], color=GROK, lw=1.2, alpha=0.9)
        lines.append((train, test))
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(0, budget)
    ax.set_xlabel("training step")
    ax.set_ylabel("accuracy")
    ax.legend(
        handles=[Line2D([], [], color="#1f77b4", label="train"),
                 Line2D([], [], color=GROK, label="test")],
        loc="lower right", fontsize="small",
    )  # fmt: skip
    return lines


def update_cell_curves(
    lines: list[tuple[Line2D, Line2D]],
    steps: np.ndarray,
    train_acc: np.ndarray,
    test_acc: np.ndarray,
) -> None:
    """Show the accuracy curves of a cell's runs (rows of ``train_acc``/``test_acc``)."""
    for k, (train, test) in enumerate(lines):
        if k < len(train_acc):
            train.set_data(steps, train_acc[k])
            test.set_data(steps, test_acc[k])
        else:
            train.set_data([], [])
            test.set_data([], [])


@dataclass
class MatchedArtists:
    """What :func:`draw_matched_llc` drew."""

    valid: PathCollection
    invalid: PathCollection
    no_decay: PathCollection


def draw_matched_llc(
    ax: Axes,
    train_loss: np.ndarray,
    llc: np.ndarray,
    test_acc: np.ndarray,
    valid: np.ndarray,
    no_decay: np.ndarray,
) -> MatchedArtists:
    """LLC against training loss at matched losses, coloured by test accuracy.

    ``no_decay`` marks the weight-decay-0 runs (grey crosses, for contrast);
    estimates that failed a check are drawn hollow and never join the comparison.
    """
    ok = valid & ~no_decay
    sc = ax.scatter(
        train_loss[ok], llc[ok], c=test_acc[ok], cmap="viridis", vmin=0, vmax=1, s=28,
        edgecolors=INK, linewidths=0.4, label="weight decay > 0",
    )  # fmt: skip
    bad = ~valid & np.isfinite(llc)
    hollow = ax.scatter(
        train_loss[bad], llc[bad], facecolors="none", edgecolors="#888888", s=28,
        linewidths=0.8, label="flagged (not a valid estimate)",
    )  # fmt: skip
    nd = valid & no_decay
    cross = ax.scatter(
        train_loss[nd], llc[nd], marker="x", color="#555555", s=30, label="weight decay 0"
    )
    log_scale(ax, "x")
    log_scale(ax, "y")
    ax.set_xlabel("training loss at the match (nats)")
    ax.set_ylabel("learning coefficient (estimate)")
    ax.legend(loc="upper left", fontsize="small")
    cbar = ax.figure.colorbar(sc, ax=ax, pad=0.02)
    cbar.set_label("test accuracy there")
    return MatchedArtists(sc, hollow, cross)


def draw_traces(ax: Axes, traces: np.ndarray, init_loss: float, colour: str = INK) -> list[Line2D]:
    """Each chain's loss above ``L(w*)``, draw by draw (one line per chain)."""
    lines = []
    for k, tr in enumerate(np.atleast_2d(traces)):
        (line,) = ax.plot(np.arange(tr.size), tr - init_loss, lw=0.9, color=colour,
                          alpha=1.0 if k == 0 else 0.6)  # fmt: skip
        lines.append(line)
    ax.set_xlabel("draw")
    ax.set_ylabel("loss above L(w*)")
    return lines
