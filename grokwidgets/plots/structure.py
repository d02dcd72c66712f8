"""Draw a toy network whose active connections follow a run's complexity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.text import Text

from grokwidgets.structure import NetworkLayout

__all__ = ["NetworkArtists", "draw_network", "update_network"]

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
    artists.edges.set_color(rgba)
    artists.edges.set_linewidth(MAX_LINEWIDTH * strengths)
    active = int(np.count_nonzero(strengths >= 0.5))
    artists.caption.set_text(
        f"{active} of {len(strengths)} connections active, total weight {strengths.sum():.1f}"
    )
