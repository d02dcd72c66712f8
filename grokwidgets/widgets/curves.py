"""The essay's central figure: Type A and Type B learning curves, measured or drawn."""

from __future__ import annotations

import math
from collections.abc import Mapping

import ipywidgets as widgets

from grokwidgets.curves import DEFAULT_STEPS, CurveResult, learning_curves
from grokwidgets.plots.curves import (
    CurveArtists,
    describe_curves,
    describe_measured_curves,
    draw_cursor,
    draw_curves,
    draw_measured_curves,
    draw_schematic_label,
    legend_handles,
    setup_curve_axes,
    setup_measured_axes,
    update_cursor,
    update_curves,
    update_measured_curves,
)
from grokwidgets.plots.render import new_figure
from grokwidgets.runs.measured import MeasuredCurves, measured_curves, measured_llc_range
from grokwidgets.widgets.canvas import FigureImage, shows_errors
from grokwidgets.widgets.timeline import (
    SOURCES,
    SourceSwitch,
    Timeline,
    TimelineControls,
    TimelineView,
    measured_horizon,
)

__all__ = ["CurvesWidget"]

KINDS = ("A", "B")


class CurvesWidget(TimelineView):
    """Learning curves of a memorizing (Type A) and a grokking (Type B) run.

    Parameters
    ----------
    timeline : Timeline, optional
        Shared source, step cursor and regularization; pass the same one to other
        widgets (e.g. :class:`~grokwidgets.widgets.StructureWidget`) to move them
        together.
    source : {"measured", "drawn"} or None, default None
        What to show first: ``"measured"``, the shipped runs
        (:func:`grokwidgets.runs.measured_curves`), or ``"drawn"``, the curve model
        (:func:`grokwidgets.curves.learning_curves`). None keeps the timeline's
        (a new Timeline starts measured). It sets ``timeline.source``, which the
        switch above the figure changes too.
    width, height : int
        Figure size in CSS pixels.

    Attributes
    ----------
    results : dict of {"A", "B"} to CurveResult
        What is drawn now (the measured runs or the model's curves).
    artists : dict of {"A", "B"} to CurveArtists
        The kept artists of the current source; their data equals ``results``.
    """

    def __init__(
        self,
        timeline: Timeline | None = None,
        *,
        source: str | None = None,
        width: int = 700,
        height: int = 400,
    ) -> None:
        self._use_timeline(timeline, source)
        fig = new_figure(width, height)
        # Each source's results, kept apart so that each keeps its own type, and the
        # setting they were computed for (recomputed only when that changes).
        self._drawn: dict[str, CurveResult] = {}
        self._measured: dict[str, MeasuredCurves] = {}
        self._keys: dict[str, float] = {}
        self._axes = {}
        self._artists: dict[str, dict[str, CurveArtists]] = {}
        self._cursors = {}

        # Drawn: the curve model, on linear loss and complexity axes.
        ax = fig.add_subplot()
        cax = setup_curve_axes(ax, DEFAULT_STEPS)
        drawn = self._drawn_results()
        self._artists["drawn"] = {kind: draw_curves(ax, cax, drawn[kind]) for kind in KINDS}
        self.schematic_label = draw_schematic_label(ax)
        self._axes["drawn"] = (ax, cax)
        self._cursors["drawn"] = draw_cursor(ax)
        self._legend(ax, measured=False)

        # Measured: the shipped runs, losses and LLC on log axes.
        ax = fig.add_subplot()
        lo, hi = measured_llc_range()
        cax = setup_measured_axes(ax, measured_horizon(), (lo / 1.5, hi * 1.5))
        measured = self._measured_results()
        self._artists["measured"] = {
            kind: draw_measured_curves(ax, cax, measured[kind]) for kind in KINDS
        }
        self.run_label = ax.text(
            0.01, 0.98, "", transform=ax.transAxes, ha="left", va="top", size=8, color="0.3"
        )
        self._axes["measured"] = (ax, cax)
        self._cursors["measured"] = draw_cursor(ax)
        self._legend(ax, measured=True)

        fig.subplots_adjust(left=0.1, right=0.89, top=0.84, bottom=0.12)
        self.show_complexity = self._toggle(
            "Complexity", "gw-toggle-complexity", "Show the dashed complexity curves"
        )
        self.show_a = self._toggle(
            "Type A", "gw-toggle-a", "Show the memorizing run (blue, circles)"
        )
        self.show_b = self._toggle(
            "Type B", "gw-toggle-b", "Show the grokking run (gold, diamonds)"
        )
        alt = self._refresh()  # before the first frame: only one source's axes are drawn
        animated = [a for src in SOURCES for kind in KINDS for a in self._artists[src][kind].all()]
        animated += list(self._cursors.values())
        self.image = FigureImage(fig, animated, alt=alt, filename="grokwidgets-learning-curves")
        self.errors = self.image.errors
        self.switch = SourceSwitch(self.timeline)
        self.controls = TimelineControls(self.timeline)
        for toggle in (self.show_complexity, self.show_a, self.show_b):
            toggle.observe(self._on_visibility_change, names="value")
        self._follow()
        super().__init__(
            [
                self.switch,
                self.image,
                self.errors,
                widgets.HBox([self.show_a, self.show_b, self.show_complexity]),
                self.controls,
            ]
        )
        self.add_class("gw-curves")

    def _frame_controls(self) -> list[widgets.Widget]:
        return [*super()._frame_controls(), self.show_a, self.show_b, self.show_complexity]

    @staticmethod
    def _legend(ax, *, measured: bool) -> None:
        ax.legend(
            handles=legend_handles(measured=measured),
            loc="lower left",
            bbox_to_anchor=(0.0, 1.01),
            ncols=3,
            fontsize=8,
            frameon=False,
        )

    @staticmethod
    def _toggle(label: str, css: str, tooltip: str) -> widgets.ToggleButton:
        button = widgets.ToggleButton(
            value=True, description=label, tooltip=tooltip, icon="", layout={"width": "auto"}
        )
        button.add_class(css)
        return button

    @property
    def source(self) -> str:
        """What the figure shows now: "measured" or "drawn" (the timeline's source)."""
        return self.timeline.source

    @property
    def results(self) -> Mapping[str, CurveResult]:
        return self._results_of(self.timeline.source)

    @property
    def artists(self) -> dict[str, CurveArtists]:
        return self._artists[self.timeline.source]

    @property
    def cursor(self):
        """The step cursor's line (of the current source)."""
        return self._cursors[self.timeline.source]

    def _results_of(self, source: str) -> Mapping[str, CurveResult]:
        """The results last computed for ``source`` (empty before the first)."""
        return self._measured if source == "measured" else self._drawn

    def _drawn_results(self) -> dict[str, CurveResult]:
        key = self.timeline.regularization
        if self._keys.get("drawn") != key or not self._drawn:
            self._drawn = {kind: learning_curves(kind, key) for kind in KINDS}
            self._keys["drawn"] = key
        return self._drawn

    def _measured_results(self) -> dict[str, MeasuredCurves]:
        key = self.timeline.run_weight_decay()
        if self._keys.get("measured") != key or not self._measured:
            self._measured = {kind: measured_curves(kind, key) for kind in KINDS}
            self._keys["measured"] = key
        return self._measured

    def _refresh(self) -> str:
        """Put the timeline's state into the artists; return the figure's alt text."""
        source = self.timeline.source
        self._show_axes(source)
        step = self.timeline.step
        if source == "drawn":
            drawn = self._drawn_results()
            for kind in KINDS:
                update_curves(self._artists[source][kind], drawn[kind], step)
            alt = describe_curves(drawn, step)
        else:
            measured = self._measured_results()
            for kind in KINDS:
                update_measured_curves(self._artists[source][kind], measured[kind], step)
            self._label_runs(measured["B"])
            alt = describe_measured_curves(measured, step)
        update_cursor(self._cursors[source], step)
        self._apply_visibility()
        return alt

    def _label_runs(self, b: MeasuredCurves) -> None:
        label = (
            "shipped runs, each the seed with the median grok step\n"
            f"LLC estimated at {len(b.llc.step)} checkpoints"
        )
        if self.run_label.get_text() != label:  # static text: set once, not per frame
            self.run_label.set_text(label)
            if hasattr(self, "image"):
                self.image.invalidate()

    def _apply_visibility(self) -> None:
        shown = {"A": self.show_a.value, "B": self.show_b.value}
        current = self.timeline.source
        for src in SOURCES:
            active = src == current
            for kind in KINDS:
                arts = self._artists[src][kind]
                on = active and shown[kind]
                for artist in arts.all():
                    artist.set_visible(on)
                for artist in arts.complexity_artists:
                    artist.set_visible(on and self.show_complexity.value)
                res = self._results_of(src).get(kind)
                has_transition = kind == "B" and res is not None and res.transition_step is not None
                arts.transition.set_visible(on and has_transition)
                arts.transition_label.set_visible(on and has_transition)
                memorized = res is not None and math.isfinite(res.memorization_step)
                arts.memorization.set_visible(on and memorized)
            self._cursors[src].set_visible(active)

    @shows_errors
    def _on_visibility_change(self, change) -> None:
        self._apply_visibility()
        self.image.request_draw()
