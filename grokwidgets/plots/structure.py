"""Draw the structure panel: a real network's frequencies, or a toy diagram.

:func:`draw_spectrum` shows a shipped network's embedding energy per Fourier
frequency (measured); :func:`draw_network` a toy network whose active connections
follow the drawn model's complexity (an illustration).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.patches import StepPatch
from matplotlib.text import Text

from grokwidgets.structure import FrequencyShares, NetworkLayout

__all__ = [
    "NetworkArtists",
    "SpectrumArtists",
    "draw_network",
    "draw_spectrum",
    "update_network",
    "update_spectrum",
]

#: Top of the frequency-share axis; the shipped runs stay below 0.45.
SHARE_MAX = 0.5

MAX_LINEWIDTH = 2.0


@dataclass(frozen=True, eq=False)
class NetworkArtists:
    """Artists of one network diagram. ``edges`` and ``caption`` change per frame."""

    edges: LineCollection
    nodes: PathCollection
    caption: Text
    color: str


def draw_network(ax: Axes, layout: NetworkLayout, color: str, title: str) -> NetworkArtists:
    """Draw ``layout``'s nodes and (initially invisible) connections on ``ax``."""
    segments = layout.nodes[layout.edges]
    edges = LineCollection(segments, colors=[to_rgba(color, 0.0)], linewidths=0.0, zorder=1)
    ax.add_collection(edges)
    nodes = ax.scatter(
        layout.nodes[:, 0], layout.nodes[:, 1], s=70, c="white", edgecolors="0.25", zorder=2
    )
    ax.set_xlim(-0.08, 1.08)
    ax.set_ylim(-0.02, 1.0)
    ax.set_axis_off()
    ax.set_title(title, color=color, size=10)
    caption = ax.text(0.5, -0.06, "", ha="center", va="top", size=9, transform=ax.transAxes)
    return NetworkArtists(edges, nodes, caption, color)


def update_network(artists: NetworkArtists, layout: NetworkLayout, strengths: np.ndarray) -> None:
    """Show each connection with opacity and width proportional to its strength."""
    rgba = np.tile(to_rgba(artists.color), (len(strengths), 1))
    rgba[:, 3] = 0.15 + 0.85 * strengths
    rgba[strengths <= 0, 3] = 0.0
    # matplotlib takes arrays here; its type stubs list only sequences and scalars.
    artists.edges.set_color(rgba)  # type: ignore[arg-type]
    artists.edges.set_linewidth(MAX_LINEWIDTH * strengths)  # type: ignore[arg-type]
    active = int(np.count_nonzero(strengths >= 0.5))
    artists.caption.set_text(
        f"{active} of {len(strengths)} connections active, total weight {strengths.sum():.1f}"
    )


@dataclass(frozen=True, eq=False)
class SpectrumArtists:
    """Artists of one network's frequency spectrum; both change per frame.

    ``label``, above the axes, names the run and the checkpoint shown: one text,
    not a title and a caption, since every text drawn costs a few ms per frame.
    """

    bars: StepPatch
    label: Text


def draw_spectrum(ax: Axes, n_frequencies: int, color: str) -> SpectrumArtists:
    """Axes for a share-of-energy-per-frequency histogram over ``k = 1 .. n``,
    with a dotted line at the share every frequency would have if spread evenly."""
    edges = np.arange(0.5, n_frequencies + 1.0)
    bars = ax.stairs(np.zeros(n_frequencies), edges, fill=True, color=color, alpha=0.85, lw=0)
    ax.axhline(1.0 / n_frequencies, color="0.3", lw=1, ls=":")
    ax.text(
        n_frequencies + 0.4, 1.0 / n_frequencies, "even", ha="right", va="bottom", size=7,
        color="0.3",
    )  # fmt: skip
    ax.set_xlim(0.5, n_frequencies + 0.5)
    ax.set_ylim(0.0, SHARE_MAX)
    ax.set_xlabel("frequency k of the embedding", size=8)
    ax.set_ylabel("share of its energy", size=8)
    ax.tick_params(labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    label = ax.text(
        0.5, 1.03, "", ha="center", va="bottom", size=8.5, color=color, transform=ax.transAxes
    )
    return SpectrumArtists(bars, label)


def update_spectrum(artists: SpectrumArtists, shares: FrequencyShares, title: str) -> None:
    """Show ``shares`` (bars clipped to the axis; the label gives the numbers)."""
    artists.bars.set_data(values=np.minimum(shares.share, SHARE_MAX))
    artists.label.set_text(
        f"{title}\ncheckpoint {shares.step:,}: top 5 frequencies hold {shares.top(5):.0%}"
    )
