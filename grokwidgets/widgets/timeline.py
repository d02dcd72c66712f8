"""The state several widgets share: the training-step cursor and the regularization.

Views observe one :class:`Timeline` instead of calling each other, and each view
shows its own :class:`TimelineControls` linked to it, so moving a slider under one
figure moves the same slider under every other figure on the page.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
import traitlets

from grokwidgets.curves import DEFAULT_STEPS
from grokwidgets.widgets import controls

__all__ = ["Timeline", "TimelineControls", "TimelineView"]

REG_MIN, REG_MAX = 0.01, 10.0
PLAY_FRAMES = 120


class Timeline(traitlets.HasTraits):
    """Shared training-step cursor and regularization strength.

    Values outside the allowed range are clamped (a widget should not fail on a
    typed-in number); NaN keeps the previous value.
    """

    step = traitlets.Float(3000.0)
    regularization = traitlets.Float(1.0)
    horizon = traitlets.Float(DEFAULT_STEPS, read_only=True)

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
        return min(max(value, REG_MIN), REG_MAX)

    def frame_steps(self, frames: int = PLAY_FRAMES) -> np.ndarray:
        """The steps the Play button visits: log-spaced from 1 to the horizon."""
        return np.geomspace(1.0, self.horizon, frames)


class TimelineControls(widgets.VBox):
    """Regularization slider, step slider and Play button linked to a Timeline."""

    def __init__(self, timeline: Timeline, **kwargs) -> None:
        self.timeline = timeline
        self.regularization = controls.FloatLogSlider(
            value=timeline.regularization,
            base=10,
            min=math.log10(REG_MIN),
            max=math.log10(REG_MAX),
            step=0.05,
            description="Regularization",
            tooltip="Weight decay: the pressure toward simpler solutions (log scale)",
            readout_format=".3g",
            continuous_update=True,
            style={"description_width": "110px"},
            layout=widgets.Layout(width="min(100%, 520px)"),
        )
        self.regularization.add_class("gw-regularization")
        self.step = controls.FloatLogSlider(
            value=timeline.step,
            base=10,
            min=0.0,
            max=math.log10(timeline.horizon),
            step=0.01,
            description="Training step",
            tooltip="Where the cursor sits on the training timeline (log scale)",
            readout_format=",.0f",
            continuous_update=True,
            style={"description_width": "110px"},
            layout=widgets.Layout(width="min(100%, 520px)"),
        )
        self.step.add_class("gw-step")
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
        # Links run in the kernel (not jslink) so the shared Timeline sees every move.
        self._links = [
            traitlets.link((self.regularization, "value"), (timeline, "regularization")),
            traitlets.link((self.step, "value"), (timeline, "step")),
        ]
        self.play.observe(self._on_play_change, names="value")
        super().__init__([self.regularization, widgets.HBox([self.play, self.step])], **kwargs)
        self.add_class("gw-timeline")

    def _on_play_change(self, change) -> None:
        self.timeline.step = float(self._frames[change["new"]])

    def close(self) -> None:
        # close() also runs from Widget.__del__, so it must be safe to call twice.
        for link in self._links:
            link.unlink()
        if self._links:
            self.play.unobserve(self._on_play_change, names="value")
        self._links = []
        for child in (self.regularization, self.step, self.play):
            child.close()
        super().close()


class TimelineView(widgets.VBox):
    """Base of a figure widget that follows a Timeline.

    Subclasses implement ``_on_regularization_change`` and ``_on_step_change``;
    this class subscribes them and undoes that exactly once on :meth:`close`
    (ipywidgets also calls ``close`` from ``__del__``).
    """

    def _follow(self) -> None:
        """Start reacting to ``self.timeline`` (call once the figure is built)."""
        self._observers = [
            (self._on_regularization_change, "regularization"),
            (self._on_step_change, "step"),
        ]
        for handler, name in self._observers:
            self.timeline.observe(handler, names=name)

    def _on_regularization_change(self, change) -> None:
        raise NotImplementedError

    def _on_step_change(self, change) -> None:
        raise NotImplementedError

    def close(self) -> None:
        for handler, name in getattr(self, "_observers", ()):
            self.timeline.unobserve(handler, names=name)
        self._observers = []
        for child in self.children:
            child.close()
        super().close()
