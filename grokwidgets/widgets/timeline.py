"""The state several widgets share: the source, the step cursor and the regularization.

Views observe one :class:`Timeline` instead of calling each other, and each view
shows its own :class:`TimelineControls` (and :class:`SourceSwitch`) linked to it,
so moving a slider under one figure moves the same slider under every other
figure on the page.

The source says what the figures show: ``"measured"`` (the shipped training runs,
:func:`grokwidgets.runs.measured_curves`) or ``"drawn"`` (the curve model,
:func:`grokwidgets.curves.learning_curves`). In measured mode the regularization
is a weight decay with a shipped run, so it snaps to the nearest of those, and
the horizon is the runs' length; in drawn mode it is any value in [0.01, 10].
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import traitlets
from matplotlib.axes import Axes

from grokwidgets._validation import AnyOf, Options
from grokwidgets.curves import DEFAULT_STEPS
from grokwidgets.runs import available_runs, measured_weight_decays
from grokwidgets.widgets import controls
from grokwidgets.widgets.canvas import FigureImage, shows_errors

__all__ = [
    "SOURCES",
    "SourceSwitch",
    "Timeline",
    "TimelineControls",
    "TimelineView",
    "measured_stops",
]

REG_MIN, REG_MAX = 0.01, 10.0
PLAY_FRAMES = 120
SOURCES = ("measured", "drawn")
SOURCE_LABELS = {"measured": "Measured runs", "drawn": "Drawn model"}
#: A view's ``source`` argument: one of SOURCES, or None to keep the timeline's.
_SOURCE = AnyOf(Options(SOURCES), none=True)


@functools.cache
def measured_stops() -> tuple[float, ...]:
    """The weight decays a measured Type B run is shipped for (all > 0), sorted."""
    return tuple(wd for wd in measured_weight_decays() if wd > 0)


@functools.cache
def measured_horizon() -> float:
    """How long the shipped runs trained (steps)."""
    return float(max(c.steps for c in available_runs()))


def nearest_stop(value: float) -> float:
    """The shipped weight decay nearest ``value`` on a log scale."""
    stops = measured_stops()
    x = math.log(min(max(value, REG_MIN), REG_MAX))
    return min(stops, key=lambda s: (abs(math.log(s) - x), s))


class Timeline(traitlets.HasTraits):
    """Shared source, training-step cursor and regularization strength.

    Values outside the allowed range are clamped (a widget should not fail on a
    typed-in number); NaN keeps the previous value. In measured mode the
    regularization snaps to the nearest shipped weight decay
    (:func:`measured_stops`).
    """

    source = traitlets.Enum(
        SOURCES,
        default_value="measured",
        help='What the figures show: "measured" (shipped runs) or "drawn" (the curve model)',
    )
    step = traitlets.Float(3000.0, help="The training step under the cursor")
    regularization = traitlets.Float(
        1.0, help="Weight decay: the pressure toward simpler solutions"
    )
    horizon = traitlets.Float(
        DEFAULT_STEPS, read_only=True, help="Last training step shown (depends on the source)"
    )

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._apply_source()

    @traitlets.default("horizon")
    def _default_horizon(self) -> float:
        return self._horizon_of(self.source)

    @staticmethod
    def _horizon_of(source: str) -> float:
        return measured_horizon() if source == "measured" else float(DEFAULT_STEPS)

    @traitlets.validate("step")
    def _valid_step(self, proposal):
        value = proposal["value"]
        if not math.isfinite(value):
            return self.step if math.isfinite(self.step) else 1.0
        return min(max(value, 1.0), self.horizon)

    @traitlets.validate("regularization")
    def _valid_regularization(self, proposal):
        value = proposal["value"]
        if value != value:  # NaN
            return self.regularization
        value = min(max(value, REG_MIN), REG_MAX)
        return nearest_stop(value) if self.source == "measured" else value

    @traitlets.observe("source")
    def _on_source(self, change) -> None:
        self._apply_source()

    def _apply_source(self) -> None:
        # The regularization first: a view that reacts to the horizon or the step
        # then already sees a weight decay with a shipped run.
        self.regularization = self.regularization  # snaps in measured mode
        self.set_trait("horizon", self._horizon_of(self.source))
        self.step = self.step  # clamped to the new horizon

    def run_weight_decay(self) -> float:
        """The shipped weight decay nearest the regularization (the measured B run)."""
        return nearest_stop(self.regularization)

    def frame_steps(self, frames: int = PLAY_FRAMES) -> np.ndarray:
        """The steps the Play button visits: log-spaced from 1 to the horizon."""
        return np.geomspace(1.0, self.horizon, frames)


class _Sync:
    """Keep ``widget.value`` and ``timeline.<name>`` equal, both ways.

    Unlike :func:`traitlets.link`, a value the timeline adjusts (clamps, snaps) is
    written back to the widget instead of breaking the link.
    """

    def __init__(self, widget, timeline: Timeline, name: str, to_widget=None) -> None:
        self.widget, self.timeline, self.name = widget, timeline, name
        self.to_widget = to_widget or (lambda v: v)
        self._busy = False
        widget.observe(self._from_widget, names="value")
        timeline.observe(self._from_timeline, names=name)
        self._from_timeline(None)

    def _from_widget(self, change) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            setattr(self.timeline, self.name, change["new"])
        finally:
            self._busy = False
        self._from_timeline(None)  # the timeline may have clamped or snapped it

    def _from_timeline(self, change) -> None:
        if self._busy:
            return
        want = self.to_widget(getattr(self.timeline, self.name))
        if self.widget.value != want:
            self._busy = True
            try:
                self.widget.value = want
            finally:
                self._busy = False

    def unlink(self) -> None:
        self.widget.unobserve(self._from_widget, names="value")
        self.timeline.unobserve(self._from_timeline, names=self.name)


class SourceSwitch(widgets.ToggleButtons):
    """The switch between measured runs and the drawn model, linked to a Timeline."""

    value = controls._Selected()

    def __init__(self, timeline: Timeline, **kwargs) -> None:
        super().__init__(
            options=[(SOURCE_LABELS[s], s) for s in SOURCES],
            value=timeline.source,
            tooltips=[
                "Show the shipped training runs (measured)",
                "Show the idealized curve model (a drawing, not a run)",
            ],
            style={"button_width": "auto"},
            **kwargs,
        )
        self.add_class("gw-source")
        self.timeline = timeline
        self._sync: _Sync | None = _Sync(self, timeline, "source")

    def close(self) -> None:
        # close() also runs from Widget.__del__, maybe before __init__ set _sync.
        sync = getattr(self, "_sync", None)
        if sync is not None:
            sync.unlink()
            self._sync = None
        super().close()


def _log10(value: float, low: float, high: float, step: float, fmt: str) -> dict:
    """A log slider's settings from ``low`` to ``high`` (its bounds are exponents)."""
    return {
        "value": value,
        "base": 10,
        "min": math.log10(low),
        "max": math.log10(high),
        "step": step,
        "readout_format": fmt,
        "continuous_update": True,
    }


class TimelineControls(widgets.VBox):
    """Regularization (or weight decay), step slider and Play linked to a Timeline.

    In drawn mode the regularization is a log slider over [0.01, 10]; in measured
    mode ``weight_decay``, a slider over the shipped weight decays, takes its place.
    The one shown carries the CSS class ``gw-regularization``.
    """

    def __init__(self, timeline: Timeline, **kwargs) -> None:
        self.timeline = timeline
        # Both log sliders take log10 bounds; every control here moves as it is dragged.
        self.regularization = controls.labelled(
            controls.FloatLogSlider,
            "gw-regularization-free",
            description="Regularization",
            tooltip="Weight decay: the pressure toward simpler solutions (log scale)",
            **_log10(timeline.regularization, REG_MIN, REG_MAX, 0.05, ".3g"),
        )
        self.weight_decay = controls.labelled(
            controls.SelectionSlider,
            "gw-weight-decay",
            options=[(f"{wd:g}", wd) for wd in measured_stops()],
            value=timeline.run_weight_decay(),
            description="Weight decay",
            tooltip="Weight decay of the grokking run (one of the shipped runs)",
            continuous_update=True,
        )
        self.step = controls.labelled(
            controls.FloatLogSlider,
            "gw-step",
            description="Training step",
            tooltip="Where the cursor sits on the training timeline (log scale)",
            **_log10(timeline.step, 1.0, timeline.horizon, 0.01, ",.0f"),
        )
        self._frames = timeline.frame_steps()
        self.play = widgets.Play(
            value=0,
            min=0,
            max=len(self._frames) - 1,
            interval=120,
            description="Play",
            tooltip="Play the training run: move the step cursor from start to end",
            show_repeat=False,
        )
        self.play.add_class("gw-play")
        # Synced in the kernel (not jslink) so the shared Timeline sees every move.
        timeline.observe(self._on_horizon_change, names="horizon")
        timeline.observe(self._on_source_change, names="source")
        self._links = [
            _Sync(self.regularization, timeline, "regularization"),
            _Sync(self.weight_decay, timeline, "regularization", to_widget=nearest_stop),
            _Sync(self.step, timeline, "step"),
        ]
        self.play.observe(self._on_play_change, names="value")
        self._show_source()
        super().__init__(
            [self.regularization, self.weight_decay, widgets.HBox([self.play, self.step])],
            **kwargs,
        )
        self.add_class("gw-timeline")

    def _show_source(self) -> None:
        measured = self.timeline.source == "measured"
        shown, hidden = (
            (self.weight_decay, self.regularization)
            if measured
            else (self.regularization, self.weight_decay)
        )
        shown.layout.display = None
        hidden.layout.display = "none"
        # The page (and its tests and benchmarks) find the regularization control
        # shown now by this class, whichever of the two sliders it is.
        shown.add_class("gw-regularization")
        hidden.remove_class("gw-regularization")

    def _on_source_change(self, change) -> None:
        self._show_source()

    def _on_horizon_change(self, change) -> None:
        self._frames = self.timeline.frame_steps()
        self.step.max = math.log10(self.timeline.horizon)  # may clamp the slider's value
        self._links[-1]._from_timeline(None)  # then the step slider shows the timeline's

    def _on_play_change(self, change) -> None:
        self.timeline.step = float(self._frames[change["new"]])

    def close(self) -> None:
        # close() also runs from Widget.__del__, so it must be safe to call twice.
        for link in self._links:
            link.unlink()
        if self._links:
            self.play.unobserve(self._on_play_change, names="value")
            self.timeline.unobserve(self._on_horizon_change, names="horizon")
            self.timeline.unobserve(self._on_source_change, names="source")
        self._links = []
        for child in (self.regularization, self.weight_decay, self.step, self.play):
            child.close()
        super().close()


class TimelineView(widgets.VBox):
    """Base of a figure widget that follows a Timeline.

    A subclass calls :meth:`_use_timeline` first, builds its figure (keeping the
    axes of each source in ``self._axes``) and ``self.image``, ``self.errors``,
    implements :meth:`_refresh`, and calls :meth:`_follow` once the figure is
    built. From then on every change of the timeline's source, regularization or
    step redraws the figure (an exception shows in ``self.errors``);
    :meth:`close` undoes the subscription exactly once (ipywidgets also calls
    ``close`` from ``__del__``).
    """

    _axes: dict[str, Sequence[Axes]]  # each source's axes, hidden for the other source
    _shown: str | None
    image: FigureImage
    switch: SourceSwitch
    controls: TimelineControls

    def _use_timeline(self, timeline: Timeline | None, source: object) -> None:
        """Follow ``timeline`` (a new one if None), switched to ``source`` unless None."""
        checked: str | None = _SOURCE.check("source", source)
        self.timeline = timeline if timeline is not None else Timeline()
        if checked is not None:
            self.timeline.source = checked
        self._shown = None

    def _show_axes(self, source: str) -> bool:
        """Show only ``source``'s axes; True if that changed what is shown."""
        if source == self._shown:
            return False
        for src, axes in self._axes.items():
            for ax in axes:
                ax.set_visible(src == source)
        if hasattr(self, "image"):  # not yet while the figure is being built
            self.image.invalidate()
        self._shown = source
        return True

    def _follow(self) -> None:
        """Start reacting to ``self.timeline`` (call once the figure is built)."""
        self._observers = [(self._on_timeline_change, ["source", "regularization", "step"])]
        for handler, names in self._observers:
            self.timeline.observe(handler, names=names)
        self.image.cache_by(self._frame_controls())

    def _frame_controls(self) -> list[widgets.Widget]:
        """The controls this view's frames depend on (see FigureImage.cache_by): the
        source switch, the slider shown for the regularization, the step."""
        c = self.controls
        shown = c.weight_decay if self.timeline.source == "measured" else c.regularization
        return [self.switch, shown, c.step]

    def _refresh(self) -> str:
        """Put the timeline's state into the artists; return the figure's alt text."""
        raise NotImplementedError

    def _update(self) -> None:
        self.image.alt = self._refresh()
        self.image.request_draw()

    @shows_errors
    def _on_timeline_change(self, change) -> None:
        if change["name"] == "source":  # another slider stands for the regularization
            self.image.cache_by(self._frame_controls())
        self._update()

    def close(self) -> None:
        for handler, names in getattr(self, "_observers", ()):
            self.timeline.unobserve(handler, names=names)
        self._observers = []
        for child in self.children:
            child.close()
        super().close()
