"""The lab: a real network learning modular arithmetic, shipped or trained live."""

from __future__ import annotations

import functools
import logging
import time

import ipywidgets as widgets

from grokwidgets.experiment import DEFAULT_STEPS, Progress, Run, RunConfig, Trainer
from grokwidgets.plots.lab import (
    draw_history,
    draw_weights,
    set_history_steps,
    update_history,
    update_history_cursor,
    update_weights,
)
from grokwidgets.plots.render import new_figure
from grokwidgets.runs import available_runs, load_run
from grokwidgets.widgets import controls
from grokwidgets.widgets.canvas import ErrorBox, FigureImage, shows_errors
from grokwidgets.widgets.jobs import BackgroundJob, JobOwner

__all__ = ["LabWidget"]

log = logging.getLogger("grokwidgets")

#: Seconds between redraws while training live: several a second, little overhead.
LIVE_REDRAW_SECONDS = 0.25
#: The lab's slider rows are at most 420 px wide (the timeline's: 520 px).
_ROW = "min(100%, 420px)"


class LabWidget(JobOwner, widgets.VBox):
    """Train a small network on ``(a op b) mod p`` and watch it grok.

    Settings that match a shipped run (see :mod:`grokwidgets.runs`) show it at
    once; **Train** trains the chosen settings live in a background thread, with a
    progress bar and curves redrawn several times a second, and **Stop** stops it.
    The checkpoint slider scrubs through the run's saved weights.

    Parameters
    ----------
    live_steps : int
        Step budget of a live run (default: that of the shipped runs).
    width : int
        Figure width in CSS pixels.

    Attributes
    ----------
    run : Run or None
        The run on screen (shipped, live snapshot or finished live run).
    """

    def __init__(self, *, live_steps: int = DEFAULT_STEPS, width: int = 700) -> None:
        self.live_steps = int(live_steps)
        self._shipped = {
            (c.weight_decay, c.train_fraction, c.op, c.seed): c for c in available_runs()
        }
        shipped_wd = sorted({k[0] for k in self._shipped})
        # The settings apply when released: each change loads or plans another run.
        self.weight_decay = controls.labelled(
            controls.SelectionSlider,
            "gw-lab-wd",
            width=_ROW,
            options=[(f"{wd:g}", wd) for wd in sorted({*shipped_wd, 0.1, 1.5, 3.0})],
            value=1.0,
            description="Weight decay",
            tooltip="AdamW weight decay: the pressure toward small weights",
            continuous_update=False,
        )
        self.train_fraction = controls.labelled(
            controls.FloatSlider,
            width=_ROW,
            value=0.4,
            min=0.2,
            max=0.8,
            step=0.05,
            description="Train fraction",
            tooltip="Share of all (a, b) pairs the network trains on",
            continuous_update=False,
        )
        self.op = controls.labelled(
            controls.Dropdown,
            width="220px",
            options=[("a + b", "+"), ("a - b", "-"), ("a × b", "*"), ("a ÷ b", "/")],
            value="+",
            description="Operation",
            tooltip="The operation modulo 53 the network must learn",
        )
        self.seed = controls.Dropdown(
            options=[0, 1, 2],
            value=0,
            description="Seed",
            tooltip="Seeds the train/test split and the initial weights",
            layout=widgets.Layout(width="150px"),
        )
        self.train_button = widgets.Button(
            description="Train", icon="play", tooltip="Train these settings live, here"
        )
        self.train_button.add_class("gw-lab-train")
        self.stop_button = widgets.Button(
            description="Stop", icon="stop", tooltip="Stop live training", disabled=True
        )
        self.stop_button.add_class("gw-lab-stop")
        self.progress = widgets.IntProgress(
            value=0, min=0, max=self.live_steps, description="Progress", bar_style="info"
        )
        self.status = widgets.HTML()
        self.status.add_class("gw-lab-status")
        # An index slider (its readout shows the step) rather than a SelectionSlider:
        # the checkpoint list grows during live training, and an IntSlider's max can
        # grow without re-validating its value against a new list of options.
        self.checkpoint = controls.labelled(
            widgets.IntSlider,
            "gw-lab-step",
            width=_ROW,
            value=0,
            min=0,
            max=0,
            description="Checkpoint",
            tooltip="Scrub through the saved weights of the run",
            readout=False,
            continuous_update=True,
        )
        self.checkpoint_label = widgets.Label()
        # The Voila template reads this label as the slider's spoken value (aria-valuetext),
        # so a screen reader says "step 500", not the checkpoint's index.
        self.checkpoint_label.add_class("gw-valuetext")
        self.errors = ErrorBox()

        self.run: Run | None = load_run(1.0, 0)
        fig_h = new_figure(width, 270)
        ax_acc, ax_loss = fig_h.subplots(1, 2)
        fig_h.subplots_adjust(left=0.08, right=0.98, top=0.95, bottom=0.17, wspace=0.28)
        self.history_artists = draw_history(
            ax_acc, ax_loss, self.run.history, self.run.config.steps
        )
        self._history_axes = (ax_acc, ax_loss)
        fig_w = new_figure(width, 240)
        axes = fig_w.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.3]})
        fig_w.subplots_adjust(left=0.03, right=0.98, top=0.88, bottom=0.2, wspace=0.3)
        ax_emb, ax_out, ax_spec = axes
        self.weight_artists = draw_weights(ax_emb, ax_out, ax_spec, self.run.final_params)
        self.history_image = FigureImage(
            fig_h, self.history_artists.all(), filename="grokwidgets-real-run"
        )
        self.weights_image = FigureImage(
            fig_w, self.weight_artists.all(), filename="grokwidgets-weights"
        )

        for control in (self.weight_decay, self.train_fraction, self.op, self.seed):
            control.observe(self._on_settings_change, names="value")
        self.checkpoint.observe(self._on_checkpoint_change, names="value")
        self.train_button.on_click(self._on_train_click)
        self.stop_button.on_click(self._on_stop_click)
        self._show_run(self.run)

        settings = widgets.VBox(
            [
                self.weight_decay,
                self.train_fraction,
                widgets.HBox([self.op, self.seed]),
                widgets.HBox([self.train_button, self.stop_button, self.progress]),
                self.status,
            ]
        )
        super().__init__(
            [
                settings,
                self.history_image,
                widgets.HBox([self.checkpoint, self.checkpoint_label]),
                self.weights_image,
                self.errors,
            ]
        )
        self.add_class("gw-lab")

    # -- settings and shipped runs

    def config(self) -> RunConfig:
        """The run the controls describe (for a live run)."""
        return RunConfig(
            weight_decay=self.weight_decay.value,
            train_fraction=round(self.train_fraction.value, 4),
            op=self.op.value,
            seed=self.seed.value,
            steps=self.live_steps,
        )

    def _shipped_match(self) -> RunConfig | None:
        key = (
            self.weight_decay.value,
            round(self.train_fraction.value, 4),
            self.op.value,
            self.seed.value,
        )
        return self._shipped.get(key)

    @shows_errors
    def _on_settings_change(self, change) -> None:
        match = self._shipped_match()
        if match is not None:
            self._show_run(load_run(match.weight_decay, match.seed))
        else:
            self.run = None
            self.status.value = (
                "No precomputed run for these settings: press <b>Train</b> to train it "
                "live here (a few seconds to a minute)."
            )
            self.history_image.layout.opacity = "0.35"
            self.weights_image.layout.opacity = "0.35"

    def _show_run(self, run: Run, live: bool = False) -> None:
        """Put ``run`` on screen: curves, checkpoint slider, weights."""
        self.run = run
        ax_acc, ax_loss = self._history_axes
        if ax_acc.get_xlim()[1] != run.config.steps:
            set_history_steps(ax_acc, ax_loss, run.config.steps)
            self.history_image.invalidate()
        update_history(self.history_artists, run.history, run.grok_step)
        self.history_image.alt = (
            "Accuracy (left) and loss (right) against training step, train solid and "
            "test dashed. " + self._describe(run)
        )
        self.history_image.layout.opacity = None
        self.weights_image.layout.opacity = None
        last = len(run.checkpoint_steps) - 1
        if last >= 0:
            follow = live or self.checkpoint.value >= self.checkpoint.max
            self.checkpoint.max = last
            # While training, and when it was at the end, the cursor follows the newest.
            self.checkpoint.value = last if follow else min(self.checkpoint.value, last)
            self._draw_checkpoint(self.checkpoint.value)
        self.history_image.request_draw()
        if not live:
            self.status.value = self._describe(run)

    @staticmethod
    def _describe(run: Run) -> str:
        cfg = run.config
        mem = run.memorization_step
        grok = run.grok_step
        head = f"weight decay {cfg.weight_decay:g}, p = {cfg.p}, op {cfg.op}, seed {cfg.seed}: "
        if mem is None:
            return head + f"not even memorized after {run.step} steps."
        if grok is None:
            return head + (
                f"memorized the training pairs by step {mem}, but no generalization "
                f"within {run.step} steps."
            )
        return head + (
            f"memorized by step {mem}, generalized (test accuracy >= 95%) at step {grok}, "
            f"{grok / max(mem, 1):.0f} times later."
        )

    @shows_errors
    def _on_checkpoint_change(self, change) -> None:
        self._draw_checkpoint(change["new"])

    def _draw_checkpoint(self, index: int) -> None:
        if self.run is None or not 0 <= index < len(self.run.checkpoint_steps):
            return
        step = int(self.run.checkpoint_steps[index])
        self.checkpoint_label.value = f"step {step}"
        update_weights(self.weight_artists, self.run.params_at(step))
        self.weights_image.alt = (
            f"Weights at step {step}: embedding and output matrices as heatmaps, and the "
            f"embedding's energy per Fourier frequency ("
            + self.weight_artists.summary.get_text().replace("\n", ", ")
            + ")."
        )
        update_history_cursor(self.history_artists, step)
        self.weights_image.request_draw()
        self.history_image.request_draw()

    # -- live training

    @property
    def training(self) -> bool:
        """True while a live job runs."""
        return self.busy

    @shows_errors
    def _on_train_click(self, button=None) -> None:
        if self.training:
            return
        trainer = Trainer.from_config(self.config())
        self._set_busy(True)
        self.progress.max = self.live_steps
        self.progress.value = 0
        self.status.value = "Training…"
        self._job = BackgroundJob(
            functools.partial(self._train_work, trainer),
            on_progress=self._show_live,
            on_done=self._finish,
            name="grokwidgets-train",
        )
        self._job.start()

    @staticmethod
    def _train_work(trainer: Trainer, report, stopped) -> Run:
        """Runs in the worker thread: train, reporting a snapshot a few times a second."""
        last = time.perf_counter()

        def callback(progress: Progress) -> bool:
            nonlocal last
            if stopped():
                return False
            now = time.perf_counter()
            if now - last >= LIVE_REDRAW_SECONDS:
                last = now
                report((trainer.run, progress))
            return True

        trainer.step(trainer.config.steps, callback=callback)
        return trainer.run

    def _show_live(self, payload: tuple[Run, Progress]) -> None:
        run, progress = payload
        try:
            self.progress.value = progress.step
            self.status.value = (
                f"Training… step {progress.step} of {progress.steps}: train accuracy "
                f"{progress.train_acc:.0%}, test accuracy {progress.test_acc:.0%}"
            )
            self._show_run(run, live=True)
        except Exception as exc:
            log.exception("could not show live progress")
            self.errors.show(exc)

    def _finish(self, run: Run | None, exc: BaseException | None) -> None:
        self._set_busy(False)
        if exc is not None or run is None:  # the job gives a run exactly when it did not fail
            if exc is not None:
                self.errors.show(exc)
            self.status.value = "Training failed."
            return
        self.progress.value = run.step
        self._show_run(run)
        if run.stopped_early:
            self.status.value = f"Stopped at step {run.step}. " + self._describe(run)

    def _set_busy(self, busy: bool) -> None:
        self.train_button.disabled = busy
        self.stop_button.disabled = not busy
        for control in (self.weight_decay, self.train_fraction, self.op, self.seed):
            control.disabled = busy
        self.progress.bar_style = "info" if busy else "success"

    def close(self) -> None:
        self._end_job()
        for child in (self.history_image, self.weights_image):
            child.close()
        super().close()
