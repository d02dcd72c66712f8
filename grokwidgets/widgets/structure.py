"""The model-structure panel: Type A accumulating connections, Type B pruning."""

from __future__ import annotations

from grokwidgets.curves import CurveResult, learning_curves
from grokwidgets.plots.curves import COLORS, LABELS
from grokwidgets.plots.render import new_figure
from grokwidgets.plots.structure import NetworkArtists, draw_network, update_network
from grokwidgets.structure import NetworkLayout, edge_strengths, network_layout
from grokwidgets.widgets.canvas import FigureImage, shows_errors
from grokwidgets.widgets.timeline import Timeline, TimelineControls, TimelineView

__all__ = ["StructureWidget"]

KINDS = ("A", "B")


class StructureWidget(TimelineView):
    """Two toy networks whose active connections follow each type's complexity.

    Parameters
    ----------
    timeline : Timeline, optional
        Share it with a :class:`~grokwidgets.widgets.CurvesWidget` so the step
        cursor and the regularization move both.
    width, height : int
        Figure size in CSS pixels.

    Attributes
    ----------
    strengths : dict of {"A", "B"} to ndarray
        Current strength of every connection, from
        :func:`grokwidgets.structure.edge_strengths` at the curve model's complexity.
    """

    def __init__(
        self, timeline: Timeline | None = None, *, width: int = 700, height: int = 260
    ) -> None:
        self.timeline = timeline if timeline is not None else Timeline()
        self.layouts: dict[str, NetworkLayout] = {k: network_layout(k) for k in KINDS}
        self.results: dict[str, CurveResult] = self._compute()
        fig = new_figure(width, height)
        axes = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.02, right=0.98, top=0.88, bottom=0.12, wspace=0.1)
        self.artists: dict[str, NetworkArtists] = {
            kind: draw_network(ax, self.layouts[kind], COLORS[kind], LABELS[kind])
            for kind, ax in zip(KINDS, axes, strict=True)
        }
        animated = [a for arts in self.artists.values() for a in (arts.edges, arts.caption)]
        self.image = FigureImage(fig, animated, filename="grokwidgets-model-structure")
        self.errors = self.image.errors
        self.controls = TimelineControls(self.timeline)
        self.strengths = {}
        self._follow()
        self._redraw()
        super().__init__([self.image, self.errors, self.controls])
        self.add_class("gw-structure")

    def _compute(self) -> dict[str, CurveResult]:
        return {k: learning_curves(k, self.timeline.regularization) for k in KINDS}

    def complexity_at_step(self) -> dict[str, float]:
        """Each type's complexity at the timeline's step (clipped to [0, 1])."""
        step = self.timeline.step
        return {
            k: min(max(r.value_at(step)["complexity"], 0.0), 1.0) for k, r in self.results.items()
        }

    def _redraw(self) -> None:
        parts = []
        for kind, c in self.complexity_at_step().items():
            self.strengths[kind] = edge_strengths(self.layouts[kind], c)
            update_network(self.artists[kind], self.layouts[kind], self.strengths[kind])
            parts.append(
                f"{LABELS[kind]}: {self.artists[kind].caption.get_text()} (complexity {c:.2f})."
            )
        self.image.alt = (
            f"Network diagrams at training step {self.timeline.step:,.0f}. " + " ".join(parts)
        )
        self.image.request_draw()

    @shows_errors
    def _on_regularization_change(self, change) -> None:
        self.results = self._compute()
        self._redraw()

    @shows_errors
    def _on_step_change(self, change) -> None:
        self._redraw()
