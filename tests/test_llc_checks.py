"""The checks behind LLCEstimate.valid, on known cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from grokwidgets.llc_checks import RHAT_MAX, failed_checks, sampler_failed, split_rhat
from grokwidgets.runs import load_llc, load_run
from grokwidgets.runs.trust import TOY_CASES, TOY_TERMS
from grokwidgets.slt import TOY_SETTINGS, LLCWarning, ToyLoss, estimate_llc


def test_split_rhat_is_one_for_iid_and_large_for_a_trend():
    rng = np.random.default_rng(1)
    assert split_rhat(rng.standard_normal((4, 2000))) == pytest.approx(1.0, abs=0.01)
    trend = np.linspace(0, 1, 400)[None, :] + 0.01 * rng.standard_normal((2, 400))
    assert split_rhat(trend) > RHAT_MAX
    assert math.isnan(split_rhat(np.full((2, 10), np.nan)))


def _checks(**kw):
    base = dict(llc=10.0, d=100, nbeta=100.0, gamma=100.0, diverged=False, rhat=1.0,
                grad_norm=0.0, max_excess_loss=1.0)  # fmt: skip
    return failed_checks(**{**base, **kw})


@pytest.mark.parametrize(
    ("change", "start"),
    [
        ({"diverged": True}, "a chain diverged"),
        ({"llc": -1.0}, "not a minimum"),
        ({"llc": 60.0, "max_excess_loss": None}, "above the d/2"),
        ({"rhat": 1.5}, "chains disagree"),
        ({"llc": 20.0, "nbeta": 10.0}, "chains left the basin"),
        ({"grad_norm": 1.0}, "on a slope"),
    ],
)
def test_each_check_fails_alone(change, start):
    assert _checks() == ()
    reasons = _checks(**change)
    assert len(reasons) == 1 and reasons[0].startswith(start)


def test_sampler_failures_are_told_from_checkpoint_failures():
    assert sampler_failed(_checks(rhat=1.5))
    assert not sampler_failed(_checks(grad_norm=1.0))


def test_good_toy_settings_are_valid_and_a_huge_step_is_flagged_nan():
    toy = ToyLoss(TOY_TERMS)
    good = estimate_llc(toy.loss_and_grad, np.zeros(2), 100, **TOY_SETTINGS,
                        rng=np.random.default_rng(0))  # fmt: skip
    assert good.valid and good.llc == pytest.approx(toy.learning_coefficient, rel=0.05)
    bad = {**TOY_SETTINGS, **TOY_CASES["step too large"]}
    with pytest.warns(LLCWarning, match="[Ll]ower epsilon"):
        est = estimate_llc(toy.loss_and_grad, np.zeros(2), 100, **bad, rng=np.random.default_rng(0))
    assert math.isnan(est.llc) and not est.valid
    assert est.reasons[0].startswith("a chain diverged")


def test_network_defaults_on_a_toy_never_give_a_huge_number():
    # The network's defaults do not suit a toy; the answer is NaN or a checked number.
    toy = ToyLoss([[3]])  # w^6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LLCWarning)
        est = estimate_llc(toy.loss_and_grad, np.zeros(1), 100, rng=np.random.default_rng(0))
    assert math.isnan(est.llc) or abs(est.llc) < 1e3


def test_shipped_curves_flag_what_issue_10_found():
    # The no-decay run's late estimates left the basin; all are flagged.
    nd = load_llc(0.0, 0)
    late = nd.step >= 2000
    assert not nd.valid[late].any()
    # Early checkpoints (train accuracy below 99%) are never valid.
    for wd, seed in ((1.0, 0), (0.3, 0), (2.0, 0)):
        c = load_llc(wd, seed)
        assert not c.valid[c.train_acc < 0.99].any()
        run = load_run(wd, seed)
        d2 = run.config.n_params / 2
        assert np.all(c.llc[c.valid] <= d2)
        assert np.all(c.excess_loss[c.valid] <= 0.5 * math.log(run.config.p))
        assert all(r == "" for r, v in zip(c.reasons, c.valid, strict=True) if v)
        assert all(r != "" for r, v in zip(c.reasons, c.valid, strict=True) if not v)
