"""The evidence widgets draw exactly what the models return (no browser)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from grokwidgets.evidence import (
    fit_inverse_law,
    grok_summary,
    matched_loss_comparison,
    phase_summary,
)
from grokwidgets.runs import load_sweep
from grokwidgets.runs.trust import load_trust
from grokwidgets.widgets import EstimatorTrustWidget, LLCLossWidget, PhaseDiagramWidget, SweepWidget


def test_sweep_widget_plots_the_summary_and_switches_axis():
    w = SweepWidget()
    s, law = grok_summary(), fit_inverse_law()
    keep = (s.weight_decay > 0) & np.isfinite(s.median)
    line = w.steps.errorbar.lines[0]
    np.testing.assert_allclose(line.get_xdata(), s.weight_decay[keep])
    np.testing.assert_allclose(line.get_ydata(), s.median[keep])
    np.testing.assert_allclose(w.steps.fit.get_ydata(), law(w.steps.fit.get_xdata()))
    frac = w.fraction.lines[0]
    np.testing.assert_allclose(frac.get_ydata(), s.fraction)
    frames = w.image.frames
    w.axis.value = "1 / weight decay"
    np.testing.assert_allclose(w.steps.errorbar.lines[0].get_xdata(), 1 / s.weight_decay[keep])
    np.testing.assert_allclose(w.residuals.get_ydata(), law.residual)
    assert w.image.frames > frames
    assert "grokked" in w.image.alt
    w.close()


def test_phase_widget_shows_the_chosen_cells_runs():
    sweep = load_sweep()
    w = PhaseDiagramWidget()
    phase = phase_summary(sweep)
    np.testing.assert_array_equal(
        np.asarray(w.cells.mesh.get_array()).ravel(), phase.outcome.ravel()
    )
    w.weight_decay.value = 0.3
    w.train_fraction.value = 0.3
    i, j = w.cell()
    rows = phase.rows(sweep, i, j)
    for k, (train, test) in enumerate(w.curves):
        np.testing.assert_array_equal(test.get_ydata(), sweep.test_acc[rows[k]])
        np.testing.assert_array_equal(train.get_xdata(), sweep.steps)
    x, y = w.cells.selection.get_data()
    assert (np.mean(x[:4]), np.mean(y[:4])) == (j, i)
    assert f"{phase.counts[i, j, 0]} of {rows.size}" in w.title.get_text()
    w.close()


def test_llc_loss_widget_plots_valid_matched_estimates():
    sweep = load_sweep()
    w = LLCLossWidget()
    ok = sweep.matched_valid & (sweep.weight_decay[:, None] > 0)
    offsets = w.points.valid.get_offsets()
    assert len(offsets) == ok.sum()
    np.testing.assert_allclose(np.sort(offsets[:, 1]), np.sort(sweep.matched_llc[ok]))
    w.level.value = float(sweep.matched_loss[0])
    m = matched_loss_comparison(float(sweep.matched_loss[0]))
    assert w.comparison.spearman == m.spearman
    assert f"{m.spearman:+.2f}" in w.statement.value
    w.close()


def test_trust_widget_shows_the_shipped_traces():
    t = load_trust()
    w = EstimatorTrustWidget()
    step = int(t["net_step"][3])
    w.step.value = step
    i = 3
    for line, tr in zip(w.net_lines, t["net_traces"][i], strict=True):
        tr = tr[np.isfinite(tr)]
        np.testing.assert_allclose(line.get_ydata(), tr - t["net_init_loss"][i])
    assert f"step {step}" in w.image.alt
    w.case.value = "step too large"
    assert "flagged" in w.toy_title.get_text()
    assert "flagged" in w.image.alt
    w.case.value = "calibrated"
    assert "valid" in w.toy_title.get_text()
    w.close()


@pytest.mark.parametrize(
    "cls", [SweepWidget, PhaseDiagramWidget, LLCLossWidget, EstimatorTrustWidget]
)
def test_widgets_leak_no_figures(cls):
    before = len(plt.get_fignums())
    for _ in range(3):
        cls().close()
    assert len(plt.get_fignums()) == before
