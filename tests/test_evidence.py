"""The shipped sweep and the claims the essay builds on it (issue 10's tests)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from grokwidgets.evidence import (
    OUTCOMES,
    fit_inverse_law,
    grok_summary,
    matched_loss_comparison,
    phase_summary,
    wilson_interval,
)
from grokwidgets.experiment import DEFAULT_STEPS, RunConfig, Trainer
from grokwidgets.runs import _blas_kernel, load_run, load_sweep, median_seed


@pytest.fixture(scope="module")
def sweep():
    return load_sweep()


def test_sweep_table_has_every_promised_run(sweep):
    wds = sweep.sweep_weight_decays()
    assert set(wds) >= {0.0, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0}
    for wd in wds:
        assert len(sweep.rows(wd, 0.4)) >= 8
    phase = phase_summary(sweep)
    assert phase.outcome.shape[0] >= 6 and phase.outcome.shape[1] >= 5
    assert phase.seeds >= 4
    assert np.all(phase.counts.sum(axis=2) == phase.seeds)
    assert sweep.budget == DEFAULT_STEPS
    assert sweep.train_loss.shape == (sweep.seed.size, sweep.steps.size)


def test_steps_are_first_crossings_of_the_histories(sweep):
    # memorization/grok steps are recomputed here from the shipped histories.
    for i in range(sweep.seed.size):
        for col, acc, level in (
            (sweep.memorization_step, sweep.train_acc, 0.99),
            (sweep.grok_step, sweep.test_acc, 0.95),
        ):
            hits = np.flatnonzero(acc[i] >= level)
            want = float(sweep.steps[hits[0]]) if hits.size else math.nan
            assert (math.isnan(want) and math.isnan(col[i])) or col[i] == want


def test_sweep_regenerates_deterministically(sweep):
    # Retrain two shipped runs (one grokking, one not) and compare bit for bit on
    # the BLAS kernel the data was made with; within a tolerance on another one.
    same_blas = sweep.info["blas"] == _blas_kernel()
    for wd, seed in ((1.0, 3), (0.1, 5)):
        (i,) = [r for r in sweep.rows(wd, 0.4) if sweep.seed[r] == seed]
        trainer = Trainer(weight_decay=wd, seed=seed, checkpoint_steps=[])
        trainer.step(DEFAULT_STEPS)
        h = trainer.run.history
        for name in ("train_loss", "test_loss", "train_acc", "test_acc"):
            got = np.asarray(getattr(h, name), dtype=np.float32)
            if same_blas:
                np.testing.assert_array_equal(got, getattr(sweep, name)[i])
            else:
                np.testing.assert_allclose(got, getattr(sweep, name)[i], rtol=0.05, atol=0.02)


def test_more_weight_decay_groks_more_often(sweep):
    s = grok_summary(sweep)
    pos = s.weight_decay > 0
    frac = s.fraction[pos]
    assert np.all(np.diff(frac) >= 0), frac
    assert frac[-1] > frac[0]


def test_more_weight_decay_groks_earlier(sweep):
    s = grok_summary(sweep)
    half = (s.grokked >= s.seeds / 2) & (s.weight_decay > 0)
    assert half.sum() >= 4
    assert np.all(np.diff(s.median[half]) < 0), s.median[half]


def test_no_weight_decay_never_groks(sweep):
    rows = sweep.rows(0.0, 0.4)
    assert np.all(np.isnan(sweep.grok_step[rows]))
    assert np.all(sweep.test_acc[rows] < 0.95)


def test_inverse_law_fit_is_what_least_squares_gives():
    s = grok_summary()
    law = fit_inverse_law(s)
    keep = (s.weight_decay > 0) & np.isfinite(s.median)
    x = 1.0 / s.weight_decay[keep]
    slope, intercept = np.polyfit(x, s.median[keep], 1)
    np.testing.assert_allclose([law.T, law.t0], [slope, intercept], rtol=1e-9)
    np.testing.assert_allclose(law.residual, s.median[keep] - (intercept + slope * x))
    assert 0 < law.r2 <= 1


def test_wilson_interval_covers_and_matches_known_values():
    lo, hi = wilson_interval(0, 8)
    assert lo == 0 and hi == pytest.approx(0.3244, abs=1e-4)
    lo, hi = wilson_interval(4, 8)
    assert lo < 0.5 < hi
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_phase_cells_are_classified_from_their_runs(sweep):
    phase = phase_summary(sweep)
    for i in range(phase.outcome.shape[0]):
        for j in range(phase.outcome.shape[1]):
            rows = phase.rows(sweep, i, j)
            assert rows.size == phase.seeds
            grok = ~np.isnan(sweep.grok_step[rows])
            assert phase.counts[i, j, 0] == grok.sum()
            assert OUTCOMES[phase.outcome[i, j]] in OUTCOMES


def test_median_seed_is_a_shipped_run_with_the_median_grok_step(sweep):
    for wd in sweep.sweep_weight_decays():
        seed = median_seed(wd)
        run = load_run(wd, seed)  # shipped with checkpoints
        rows = sweep.rows(wd, 0.4)
        grok = np.where(np.isnan(sweep.grok_step[rows]), np.inf, sweep.grok_step[rows])
        mine = grok[sweep.seed[rows] == seed][0]
        assert np.sum(grok < mine) <= (rows.size - 1) // 2 <= np.sum(grok <= mine) - 1
        assert (run.grok_step or math.inf) == mine


def test_no_valid_shipped_estimate_breaks_a_bound(sweep):
    # The d/2 ceiling and the excess-loss bound, on every shipped estimate flagged valid.
    d = RunConfig().n_params
    bound = 0.5 * math.log(53)
    ok = sweep.matched_valid
    assert ok.any()
    assert np.all(sweep.matched_llc[ok] <= d / 2)
    assert np.all(sweep.matched_excess_loss[ok] <= bound)
    assert np.all(sweep.matched_reasons[~ok & ~np.isnan(sweep.matched_step)] != "")


def test_matched_comparison_statement_holds_on_shipped_data():
    # What the essay states about equal training loss, checked on the data.
    m = matched_loss_comparison(3e-3)
    assert m.n_generalizing >= 3 and m.n_memorizing >= 3
    assert m.spearman < 0
    assert m.median_generalizing < m.median_memorizing
    assert np.all(np.isfinite(m.llc))
    # The same within each weight decay: not an artefact of comparing decays.
    assert len(m.within) >= 3 and all(r < 0 for r in m.within.values())
    assert m.within_p_value < 0.01


def test_matched_comparison_rejects_an_unknown_level():
    with pytest.raises(ValueError, match="level must be one of"):
        matched_loss_comparison(0.5)
