"""The evidence figures: seed sweep, phase diagram, LLC at matched loss, estimator trust.

Every figure shows shipped, precomputed data (:mod:`grokwidgets.runs`,
:mod:`grokwidgets.evidence`): nothing trains or samples in a callback.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from grokwidgets.evidence import (
    OUTCOMES,
    fit_inverse_law,
    grok_summary,
    matched_loss_comparison,
    phase_summary,
)
from grokwidgets.plots import evidence as plots
from grokwidgets.plots.render import new_figure
from grokwidgets.runs import load_sweep
from grokwidgets.runs.trust import load_trust
from grokwidgets.widgets import controls
from grokwidgets.widgets.canvas import FigureImage, shows_errors

__all__ = ["EstimatorTrustWidget", "LLCLossWidget", "PhaseDiagramWidget", "SweepWidget"]


class _FigureBox(widgets.VBox):
    """A figure and its controls; ``errors`` is the figure's own error box, where
    :func:`~grokwidgets.widgets.canvas.shows_errors` reports a failed callback."""

    image: FigureImage

    @property
    def errors(self):
        return self.image.errors


class SweepWidget(_FigureBox):
    """Steps to grok and share of seeds that grok, against weight decay (8 seeds each).

    Attributes
    ----------
    summary : GrokSummary
    law : InverseLaw
    axis : ToggleButtons
        ``"weight decay"`` or ``"1 / weight decay"`` on the x axis of the grok steps.
    """

    def __init__(self, *, width: int = 700, height: int = 520) -> None:
        self.summary = grok_summary()
        self.law = fit_inverse_law(self.summary)
        self.axis = widgets.ToggleButtons(
            options=["weight decay", "1 / weight decay"],
            value="weight decay",
            description="x axis",
            tooltip="Plot the grok step against weight decay or its inverse",
        )
        self.axis.add_class("gw-sweep-axis")
        fig = new_figure(width, height)
        grid = fig.add_gridspec(3, 2, height_ratios=[3, 1.2, 0.01], width_ratios=[1.4, 1])
        self.ax_steps = fig.add_subplot(grid[0, 0])
        self.ax_resid = fig.add_subplot(grid[1, 0])
        self.ax_frac = fig.add_subplot(grid[0:2, 1])
        fig.subplots_adjust(left=0.11, right=0.98, top=0.97, bottom=0.06, wspace=0.32, hspace=0.5)
        self.fig = fig
        self.fraction = plots.draw_fraction(self.ax_frac, self.summary)
        self.image = FigureImage(fig, alt=self.describe(), filename="grokwidgets-sweep")
        self._draw_steps()
        self.axis.observe(self._on_axis_change, names="value")
        super().__init__([self.axis, self.image, self.image.errors])
        self.image.cache_by([self.axis])  # frames depend on these controls only
        self.add_class("gw-sweep")

    @property
    def inverse(self) -> bool:
        return self.axis.value == "1 / weight decay"

    def _draw_steps(self) -> None:
        # A change of axis redraws two small panels (no kept artists to move: the
        # x coordinates of every artist change), then the background once.
        for ax in (self.ax_steps, self.ax_resid):
            ax.clear()
        self.steps = plots.draw_grok_steps(
            self.ax_steps, self.summary, self.law, inverse=self.inverse
        )
        self.residuals = plots.draw_residuals(self.ax_resid, self.law, inverse=self.inverse)
        self.image.invalidate()
        self.image.request_draw()

    @shows_errors
    def _on_axis_change(self, change) -> None:
        self._draw_steps()

    def describe(self) -> str:
        s, law = self.summary, self.law
        parts = [
            f"weight decay {w:g}: {k}/{n} grokked"
            + (f", median step {m:,.0f}" if np.isfinite(m) else "")
            for w, k, n, m in zip(s.weight_decay, s.grokked, s.seeds, s.median, strict=True)
        ]
        return (
            f"Seed sweep, {s.budget:,}-step budget. " + "; ".join(parts) + ". "
            f"Fit: {law.t0:,.0f} + {law.T:,.0f} / weight decay (R² {law.r2:.2f})."
        )


class PhaseDiagramWidget(_FigureBox):
    """Outcome of every weight decay x train fraction cell; pick one to see its runs.

    Attributes
    ----------
    phase : PhaseSummary
    weight_decay, train_fraction : SelectionSlider
        The selected cell.
    """

    def __init__(self, *, width: int = 700, height: int = 380) -> None:
        self.sweep = load_sweep()
        self.phase = phase_summary(self.sweep)
        self.weight_decay = controls.SelectionSlider(
            options=[(f"{w:g}", float(w)) for w in self.phase.weight_decay],
            value=1.0,
            description="weight decay",
            style={"description_width": "100px"},
        )
        self.train_fraction = controls.SelectionSlider(
            options=[(f"{f:g}", float(f)) for f in self.phase.train_fraction],
            value=0.4,
            description="train fraction",
            style={"description_width": "100px"},
        )
        fig = new_figure(width, height)
        self.ax_phase, self.ax_runs = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        fig.subplots_adjust(left=0.1, right=0.98, top=0.92, bottom=0.14, wspace=0.3)
        self.cells = plots.draw_phase(self.ax_phase, self.phase)
        handles = [
            plots.Line2D([], [], marker="s", ls="", color=c, label=o, ms=8)
            for c, o in zip(plots.OUTCOME_COLOURS, OUTCOMES, strict=True)
        ]
        self.ax_phase.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                             ncol=3, fontsize="x-small", frameon=False)  # fmt: skip
        self.curves = plots.draw_cell_curves(
            self.ax_runs, self.sweep.budget, max_runs=self.phase.seeds
        )
        self.title = self.ax_runs.set_title("", fontsize="small")
        animated = [self.cells.selection, self.title, *(x for pair in self.curves for x in pair)]
        self.image = FigureImage(fig, animated, filename="grokwidgets-phase")
        self.weight_decay.observe(self._on_cell_change, names="value")
        self.train_fraction.observe(self._on_cell_change, names="value")
        self._show()
        super().__init__(
            [widgets.HBox([self.weight_decay, self.train_fraction]), self.image, self.image.errors]
        )
        self.add_class("gw-phase")
        # Frames depend on these controls only.
        self.image.cache_by([self.weight_decay, self.train_fraction])

    def cell(self) -> tuple[int, int]:
        """The selected cell's (row, column) in :attr:`phase`."""
        i = int(np.flatnonzero(np.isclose(self.phase.weight_decay, self.weight_decay.value))[0])
        j = int(np.flatnonzero(np.isclose(self.phase.train_fraction, self.train_fraction.value))[0])
        return i, j

    def _show(self) -> None:
        i, j = self.cell()
        rows = self.phase.rows(self.sweep, i, j)
        plots.select_cell(self.cells, i, j)
        plots.update_cell_curves(
            self.curves, self.sweep.steps, self.sweep.train_acc[rows], self.sweep.test_acc[rows]
        )
        counts = self.phase.counts[i, j]
        self.title.set_text(
            f"wd {self.weight_decay.value:g}, fraction {self.train_fraction.value:g}: "
            f"{counts[0]} of {rows.size} seeds grokked"
        )
        self.image.alt = self.title.get_text()
        self.image.request_draw()

    @shows_errors
    def _on_cell_change(self, change) -> None:
        self._show()


class LLCLossWidget(_FigureBox):
    """The learning coefficient at equal training loss, coloured by test accuracy.

    Attributes
    ----------
    level : Dropdown
        The matched training loss the statement below the figure is about.
    comparison : MatchedComparison
        The numbers for the chosen level.
    """

    def __init__(self, *, width: int = 700, height: int = 420) -> None:
        sweep = self.sweep = load_sweep()
        levels = [float(v) for v in sweep.matched_loss]
        self.level = controls.Dropdown(
            options=[(f"{v:g}", v) for v in levels],
            value=3e-3 if 3e-3 in levels else levels[0],
            description="compare at loss",
            style={"description_width": "110px"},
        )
        reached = ~np.isnan(sweep.matched_step)
        r, c = np.nonzero(reached)
        fig = new_figure(width, height)
        ax = fig.add_subplot()
        fig.subplots_adjust(left=0.12, right=0.95, top=0.96, bottom=0.13)
        self.points = plots.draw_matched_llc(
            ax,
            sweep.matched_train_loss[r, c],
            sweep.matched_llc[r, c],
            sweep.matched_test_acc[r, c],
            sweep.matched_valid[r, c],
            sweep.weight_decay[r] == 0,
        )
        self.image = FigureImage(fig, filename="grokwidgets-llc-loss")
        self.statement = widgets.HTML()
        self.level.observe(self._on_level_change, names="value")
        self._show()
        super().__init__([self.level, self.image, self.statement, self.image.errors])
        self.image.cache_by([self.level])  # frames depend on these controls only
        self.add_class("gw-llc-loss")

    def _show(self) -> None:
        self.comparison = m = matched_loss_comparison(self.level.value, self.sweep)
        self.statement.value = describe_comparison(m)
        self.image.alt = self.statement.value

    @shows_errors
    def _on_level_change(self, change) -> None:
        self._show()


def describe_comparison(m) -> str:
    """Two sentences on a :class:`~grokwidgets.evidence.MatchedComparison`."""
    within = ", ".join(f"{w:g}: {r:+.2f}" for w, r in m.within.items())
    return (
        f"At training loss {m.level:g}, {m.n_generalizing} runs already generalizing (test "
        f"accuracy above 50%) have a median LLC of {m.median_generalizing:,.0f}; "
        f"{m.n_memorizing} not yet generalizing have {m.median_memorizing:,.0f} (rank "
        f"correlation of LLC with test accuracy {m.spearman:+.2f}, permutation p = "
        f"{m.p_value:.1g}; {m.n_invalid} flagged estimates left out). Among the seeds of one "
        f"weight decay (same decay, same step) the correlation is {within} "
        f"(mean {m.within_mean:+.2f}, p = {m.within_p_value:.1g})."
    )


class EstimatorTrustWidget(_FigureBox):
    """The sampler's chains at a checkpoint of the network, beside a toy with a known answer.

    Attributes
    ----------
    step : SelectionSlider
        The network checkpoint.
    case : ToggleButtons
        The toy's settings: calibrated, step too large, step too small.
    """

    def __init__(self, *, width: int = 700, height: int = 360) -> None:
        t = self.data = load_trust()
        self.step = controls.SelectionSlider(
            options=[int(s) for s in t["net_step"]],
            value=int(t["net_step"][np.searchsorted(t["net_step"], 500)]),
            description="checkpoint",
            style={"description_width": "80px"},
        )
        self.case = widgets.ToggleButtons(
            options=[str(c) for c in t["toy_cases"]], description="toy"
        )
        fig = new_figure(width, height)
        self.ax_net, self.ax_toy = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.1, right=0.98, top=0.86, bottom=0.15, wspace=0.3)
        self.net_lines = plots.draw_traces(self.ax_net, np.zeros((2, 2)), 0.0)
        self.toy_lines = plots.draw_traces(self.ax_toy, np.zeros((4, 2)), 0.0, "#2a9d8f")
        self.net_title = self.ax_net.set_title("", fontsize="small")
        self.toy_title = self.ax_toy.set_title("", fontsize="small")
        self.image = FigureImage(fig, filename="grokwidgets-trust")
        self.step.observe(self._on_step_change, names="value")
        self.case.observe(self._on_case_change, names="value")
        self._show_net()
        self._show_toy()
        super().__init__([widgets.HBox([self.step, self.case]), self.image, self.image.errors])
        self.image.cache_by([self.step, self.case])  # frames depend on these controls only
        self.add_class("gw-trust")

    def _show_net(self) -> None:
        t = self.data
        i = int(np.flatnonzero(t["net_step"] == self.step.value)[0])
        for line, tr in zip(self.net_lines, t["net_traces"][i], strict=True):
            tr = tr[np.isfinite(tr)]  # 200 or 600 draws, padded with NaN in the file
            line.set_data(np.arange(tr.size), tr - t["net_init_loss"][i])
        self.ax_net.relim()
        self.ax_net.autoscale_view()
        verdict = "valid" if t["net_valid"][i] else "flagged: " + str(t["net_reasons"][i])
        self.net_title.set_text(
            f"network (wd 1, seed {int(t['net_seed'])}), step {self.step.value}: "
            f"LLC {t['net_llc'][i]:,.1f}\n{verdict}"[:120]
        )
        self._describe()
        self.image.invalidate()
        self.image.request_draw()

    def _describe(self) -> None:
        self.image.alt = (
            self.net_title.get_text().replace("\n", ": ")
            + ". "
            + self.toy_title.get_text().replace("\n", ": ")
        )

    def _show_toy(self) -> None:
        t = self.data
        k = list(t["toy_cases"]).index(self.case.value)
        for line, tr in zip(self.toy_lines, t["toy_traces"][k], strict=True):
            tr = tr[np.isfinite(tr)]  # a diverged chain stops where it went non-finite
            line.set_data(np.arange(tr.size), tr)
        finite = t["toy_traces"][k][np.isfinite(t["toy_traces"][k])]
        if finite.size:
            self.ax_toy.set_ylim(0, max(float(np.quantile(finite, 0.99)) * 1.2, 1e-6))
        self.ax_toy.set_xlim(0, t["toy_traces"].shape[-1])
        llc = t["toy_llc"][k]
        verdict = "valid" if t["toy_valid"][k] else "flagged: " + str(t["toy_reasons"][k])
        self.toy_title.set_text(
            f"toy w1²+w2⁴ (λ = {float(t['toy_lambda']):g}): estimate "
            + ("NaN" if not np.isfinite(llc) else f"{llc:.3g}")
            + f"\n{verdict}"[:80]
        )
        self._describe()
        self.image.invalidate()
        self.image.request_draw()

    @shows_errors
    def _on_step_change(self, change) -> None:
        self._show_net()

    @shows_errors
    def _on_case_change(self, change) -> None:
        self._show_toy()
