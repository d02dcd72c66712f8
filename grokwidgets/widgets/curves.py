"""The essay's central figure: Type A and Type B learning curves, live."""

from __future__ import annotations

import ipywidgets as widgets

from grokwidgets.curves import DEFAULT_STEPS, CurveResult, learning_curves
from grokwidgets.plots.curves import (
    CurveArtists,
    describe_curves,
    draw_cursor,
    draw_curves,
    legend_handles,
    setup_curve_axes,
    update_cursor,
    update_curves,
)
from grokwidgets.plots.render import new_figure
from grokwidgets.widgets.canvas import FigureImage, shows_errors
from grokwidgets.widgets.timeline import Timeline, TimelineControls, TimelineView

__all__ = ["CurvesWidget"]

KINDS = ("A", "B")


class CurvesWidget(TimelineView):
    """Learning curves of a memorizing (Type A) and a grokking (Type B) run.

    Parameters
    ----------
    timeline : Timeline, optional
        Shared step cursor and regularization; pass the same one to other widgets
        (e.g. :class:`~grokwidgets.widgets.StructureWidget`) to move them together.
    width, height : int
        Figure size in CSS pixels.

    Attributes
    ----------
    results : dict of {"A", "B"} to CurveResult
        The model output currently drawn.
    artists : dict of {"A", "B"} to CurveArtists
        The kept artists; their data equals ``results``.
    """

    def __init__(
        self, timeline: Timeline | None = None, *, width: int = 700, height: int = 400
    ) -> None:
        self.timeline = timeline if timeline is not None else Timeline()
        self.results: dict[str, CurveResult] = self._compute()

        fig = new_figure(width, height)
        ax = fig.add_subplot()
        cax = setup_curve_axes(ax, DEFAULT_STEPS)
        self.artists: dict[str, CurveArtists] = {
            kind: draw_curves(ax, cax, self.results[kind]) for kind in KINDS
        }
        self.cursor = draw_cursor(ax)
        ax.legend(
            handles=legend_handles(),
            loc="lower left",
            bbox_to_anchor=(0.0, 1.01),
            ncols=3,
            fontsize=8,
            frameon=False,
        )
        fig.subplots_adjust(left=0.08, right=0.91, top=0.86, bottom=0.12)
        animated = [a for kind in KINDS for a in self.artists[kind].all()] + [self.cursor]
        self.image = FigureImage(fig, animated, filename="grokwidgets-learning-curves")
        self.errors = self.image.errors

        self.controls = TimelineControls(self.timeline)
        self.show_complexity = self._toggle(
            "Complexity", "gw-toggle-complexity", "Show the dashed complexity curves"
        )
        self.show_a = self._toggle(
            "Type A", "gw-toggle-a", "Show the memorizing run (blue, circles)"
        )
        self.show_b = self._toggle(
            "Type B", "gw-toggle-b", "Show the grokking run (gold, diamonds)"
        )
        for toggle in (self.show_complexity, self.show_a, self.show_b):
            toggle.observe(self._on_visibility_change, names="value")
        self._follow()
        self._redraw()
        super().__init__(
            [
                self.image,
                self.errors,
                widgets.HBox([self.show_a, self.show_b, self.show_complexity]),
                self.controls,
            ]
        )
        self.add_class("gw-curves")

    @staticmethod
    def _toggle(label: str, css: str, tooltip: str) -> widgets.ToggleButton:
        button = widgets.ToggleButton(
            value=True, description=label, tooltip=tooltip, icon="", layout={"width": "auto"}
        )
        button.add_class(css)
        return button

    def _compute(self) -> dict[str, CurveResult]:
        r = self.timeline.regularization
        return {kind: learning_curves(kind, r) for kind in KINDS}

    def _redraw(self) -> None:
        step = self.timeline.step
        for kind in KINDS:
            update_curves(self.artists[kind], self.results[kind], step)
        update_cursor(self.cursor, step)
        self._apply_visibility()
        self.image.alt = describe_curves(self.results, step)
        self.image.request_draw()

    @shows_errors
    def _on_regularization_change(self, change) -> None:
        self.results = self._compute()
        self._redraw()

    @shows_errors
    def _on_step_change(self, change) -> None:
        self._redraw()

    def _apply_visibility(self) -> None:
        shown = {"A": self.show_a.value, "B": self.show_b.value}
        for kind in KINDS:
            arts = self.artists[kind]
            for artist in arts.all():
                artist.set_visible(shown[kind])
            arts.complexity.set_visible(shown[kind] and self.show_complexity.value)
            has_transition = kind == "B" and self.results[kind].transition_step is not None
            arts.transition.set_visible(shown[kind] and has_transition)
            arts.transition_label.set_visible(shown[kind] and has_transition)

    @shows_errors
    def _on_visibility_change(self, change) -> None:
        self._apply_visibility()
        self.image.request_draw()
