"""Measured complexity along real runs: shipped, or trained and measured live."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from grokwidgets.experiment import Run, Trainer
from grokwidgets.measures import LLCCurve, llc_curve, run_measures
from grokwidgets.plots.complexity import draw_complexity, update_complexity
from grokwidgets.plots.render import new_figure
from grokwidgets.runs import available_runs, load_llc, load_run
from grokwidgets.widgets import controls
from grokwidgets.widgets.canvas import FigureImage, shows_errors
from grokwidgets.widgets.jobs import BackgroundJob, JobOwner

__all__ = ["ComplexityWidget", "describe_llc"]


def describe_llc(run: Run, llc: LLCCurve) -> str:
    """One or two sentences on what the curve does (also the figure's text alternative)."""
    head = f"Weight decay {run.config.weight_decay:g}, seed {run.config.seed}: "
    if run.grok_step is None:
        return head + (
            f"the learning coefficient estimate goes from {llc.llc[0]:,.0f} to "
            f"{llc.llc[-1]:,.0f} (largest {llc.llc.max():,.0f}): no generalization, and no "
            "simplification."
        )
    # The peak that matters is the one reached while memorizing, before grokking;
    # late isolated spikes come with AdamW's loss spikes (see the essay's caveats).
    early = llc.step <= run.grok_step
    peak = int(np.argmax(np.where(early, llc.llc, -np.inf)))
    at = min(int(np.searchsorted(llc.step, run.grok_step)), len(llc.step) - 1)
    late = ~early
    text = head + (
        f"the learning coefficient estimate rises to {llc.llc[peak]:,.0f} (step "
        f"{llc.step[peak]}), is {llc.llc[at]:,.0f} at step {llc.step[at]} (test accuracy "
        f"reached 95% at step {run.grok_step})"
    )
    if late.any():
        low = int(np.argmin(np.where(late, llc.llc, np.inf)))
        text += f" and falls as low as {llc.llc[low]:,.1f} (step {llc.step[low]})"
    return text + "."


class ComplexityWidget(JobOwner, widgets.VBox):
    """Loss, estimated learning coefficient and Fourier concentration along a run.

    Shows the shipped runs (with their precomputed LLC curves) instantly;
    **Measure a fresh run** trains a new seed at the chosen weight decay and
    estimates its LLC at every checkpoint, live, with a progress bar.

    Attributes
    ----------
    run : Run
    llc : LLCCurve or None
    """

    def __init__(self, *, width: int = 700, height: int = 460) -> None:
        options = [
            (f"weight decay {c.weight_decay:g}, seed {c.seed}", (c.weight_decay, c.seed))
            for c in sorted(available_runs(), key=lambda c: (c.weight_decay, c.seed))
        ]
        self.choice = controls.Dropdown(
            options=options,
            value=(1.0, 0),
            description="Shipped run",
            tooltip="A precomputed run and its learning-coefficient curve",
            style={"description_width": "100px"},
            layout=widgets.Layout(width="min(100%, 360px)"),
        )
        self.choice.add_class("gw-complexity-run")
        self.fresh_seed = widgets.BoundedIntText(
            value=3,
            min=0,
            max=2**31 - 1,
            description="Fresh seed",
            tooltip="Seed of a new run (not one of the shipped ones)",
            style={"description_width": "80px"},
            layout=widgets.Layout(width="170px"),
        )
        self.measure_button = widgets.Button(
            description="Measure a fresh run",
            icon="play",
            tooltip="Train a new run at this weight decay and estimate its complexity live",
            layout=widgets.Layout(width="auto"),
        )
        self.stop_button = widgets.Button(
            description="Stop", icon="stop", disabled=True, tooltip="Stop the live measurement"
        )
        self.progress = widgets.FloatProgress(value=0, min=0, max=1, description="Progress")
        self.status = widgets.HTML()
        fig = new_figure(width, height)
        axes = fig.subplots(3, 1, sharex=True)
        fig.subplots_adjust(left=0.13, right=0.9, top=0.97, bottom=0.1, hspace=0.12)
        self.artists = draw_complexity(*axes)
        self.image = FigureImage(fig, self.artists.all(), filename="grokwidgets-complexity")
        self.errors = self.image.errors
        self.run: Run = load_run(1.0, 0)
        self.llc: LLCCurve | None = load_llc(1.0, 0)
        self.choice.observe(self._on_choice_change, names="value")
        self.measure_button.on_click(self._on_measure_click)
        self.stop_button.on_click(self._on_stop_click)
        self._show(self.run, self.llc)
        super().__init__(
            [
                widgets.HBox([self.choice, self.fresh_seed]),
                widgets.HBox([self.measure_button, self.stop_button, self.progress]),
                self.status,
                self.image,
                self.errors,
            ]
        )
        self.add_class("gw-complexity")

    def _show(self, run: Run, llc: LLCCurve | None) -> None:
        self.run, self.llc = run, llc
        update_complexity(self.artists, run, run_measures(run), llc, load_llc(0.0, 0))
        if llc is not None and len(llc.step):
            self.status.value = describe_llc(run, llc)
            self.image.alt = (
                "Three panels against training step: loss, learning coefficient estimate, "
                "top-5 Fourier share. " + self.status.value
            )
        self.image.request_draw()

    @shows_errors
    def _on_choice_change(self, change) -> None:
        wd, seed = change["new"]
        self._show(load_run(wd, seed), load_llc(wd, seed))

    @property
    def measuring(self) -> bool:
        """True while a live job runs."""
        return self.busy

    @shows_errors
    def _on_measure_click(self, button=None) -> None:
        if self.measuring:
            return
        wd = self.choice.value[0]
        trainer = Trainer(weight_decay=wd, seed=int(self.fresh_seed.value))
        self._set_busy(True)
        self.status.value = (
            f"Training a fresh run (weight decay {wd:g}, seed {trainer.config.seed})…"
        )

        def work(report, stopped):
            # Training is the first ~40% of the time, the LLC estimates the rest.
            def on_eval(progress):
                if stopped():
                    return False
                if progress.step % 300 == 0:
                    report(("train", 0.4 * progress.step / progress.steps, None))
                return True

            trainer.step(trainer.config.steps, callback=on_eval)
            run = trainer.run
            if stopped():
                return run, None
            report(("run", 0.4, run))

            def on_checkpoint(done, total):
                report(("llc", 0.4 + 0.6 * done / total, None))
                return not stopped()

            return run, llc_curve(run, progress=on_checkpoint)

        self._job = BackgroundJob(
            work, on_progress=self._on_progress, on_done=self._on_done, name="grokwidgets-measure"
        )
        self._job.start()

    def _on_progress(self, payload) -> None:
        stage, fraction, run = payload
        self.progress.value = fraction
        if stage == "run":
            self._show(run, None)
            self.status.value = "Estimating the learning coefficient at each checkpoint…"

    def _on_done(self, result, error) -> None:
        self._set_busy(False)
        if error is not None:
            self.errors.show(error)
            return
        run, llc = result
        self._show(run, llc)
        if llc is None or len(llc.step) < len(run.checkpoint_steps) - 1:
            self.status.value = "Stopped. " + (self.status.value if llc is not None else "")

    def _set_busy(self, busy: bool) -> None:
        self.measure_button.disabled = busy
        self.stop_button.disabled = not busy
        self.choice.disabled = busy
        self.progress.bar_style = "info" if busy else "success"
        if busy:
            self.progress.value = 0

    def close(self) -> None:
        self._end_job()
        self.image.close()
        super().close()
