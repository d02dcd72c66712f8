"""Self-check functions: placeholders read "not answered yet", wrong answers are rejected,
right ones accepted, each graded against the shipped data with a reason."""

import numpy as np
import pytest

from grokwidgets import classroom
from grokwidgets.classroom import (
    Feedback,
    check_complexity_timing,
    check_free_energy_gap,
    check_grok_delay,
    check_simpler_at_equal_loss,
    check_smallest_fraction,
    check_which_grok,
)
from grokwidgets.evidence import grok_summary, matched_loss_comparison
from grokwidgets.runs import load_sweep

CHECKS = [
    check_simpler_at_equal_loss,
    check_free_energy_gap,
    check_complexity_timing,
    check_grok_delay,
    check_which_grok,
    check_smallest_fraction,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda f: f.__name__)
def test_placeholder_is_not_answered_yet_never_right(check):
    feedback = check(None)
    assert isinstance(feedback, Feedback) and not feedback and not feedback.answered
    assert str(feedback).startswith("Not answered yet.")
    assert "Right" not in str(feedback) and "Not quite" not in str(feedback)
    html = feedback._repr_html_()
    assert "Not answered yet" in html and "Right" not in html and "Not quite" not in html


def test_simpler_at_equal_loss():
    m = matched_loss_comparison(classroom.MATCHED_LEVEL, permutations=100)
    assert m.median_generalizing < m.median_memorizing  # the data's answer
    assert check_simpler_at_equal_loss("generalizing")
    assert check_simpler_at_equal_loss(" Generalizing ")
    assert not check_simpler_at_equal_loss("memorizing")
    assert f"{m.median_memorizing:.0f}" in check_simpler_at_equal_loss("memorizing").message


def test_free_energy_gap():
    m = matched_loss_comparison(classroom.MATCHED_LEVEL, permutations=100)
    truth = (m.median_memorizing - m.median_generalizing) * np.log(1124)
    assert classroom.free_energy_gap() == pytest.approx(truth)
    assert check_free_energy_gap(truth) and check_free_energy_gap(round(truth * 1.1))
    # The common wrong answers: the LLC difference alone, or with n instead of log n.
    assert not check_free_energy_gap(m.median_memorizing - m.median_generalizing)
    assert not check_free_energy_gap(truth * 1124 / np.log(1124))
    assert not check_free_energy_gap(0)


def test_complexity_timing_is_graded_against_the_data():
    share = classroom.fall_done_by_grok(1.0)
    assert share > 0.5  # most of the measured fall precedes the grok step
    assert check_complexity_timing("before")
    assert not check_complexity_timing("at")  # the drawing's old headline
    assert not check_complexity_timing("after")
    assert f"{share:.0%}" in check_complexity_timing("at").message


def test_complexity_timing_on_every_shipped_weight_decay_that_groks():
    for wd in (0.3, 0.5, 0.7, 1.0, 1.5, 2.0):
        assert classroom.fall_done_by_grok(wd) > 0.5, wd
        assert check_complexity_timing("before", weight_decay=wd)


def test_grok_delay_accepts_every_seed_and_explains_the_spread():
    sweep = load_sweep()
    rows = sweep.rows(1.0, 0.4)
    ratios = sweep.grok_step[rows] / sweep.memorization_step[rows]
    assert len(ratios) == 8
    for r in ratios:
        feedback = check_grok_delay(float(r))
        assert feedback, r
        assert f"{ratios.min():.0f} to {ratios.max():.0f} times later" in feedback.message
        assert "seed" in feedback.message and "split" in feedback.message
    assert not check_grok_delay(1)  # "right away"
    assert not check_grok_delay(ratios.max() * 3)
    assert not check_grok_delay(ratios.min() / 3)


def test_which_grok_budget_is_fair_and_late_is_not_failure():
    s = grok_summary()
    truth = [float(w) for w, m in zip(s.weight_decay, s.median, strict=True) if m <= 1000]
    assert truth == [0.7, 1.0, 1.5, 2.0]
    assert check_which_grok(truth)
    assert check_which_grok([int(x) if x.is_integer() else x for x in truth])
    assert not check_which_grok([0.0, *truth])
    assert not check_which_grok(truth[1:])
    message = check_which_grok(truth).message
    assert "late, not failed" in message and "fail" not in message.replace("failed", "")
    # A budget within 10% of a median grok step would hinge on seed noise: refused.
    with pytest.raises(ValueError, match="within 10%"):
        check_which_grok(truth, budget=1300)


def test_smallest_fraction():
    assert classroom.smallest_grokking_fraction(1.0) == 0.3
    assert check_smallest_fraction(0.3)
    assert not check_smallest_fraction(0.2)
    assert not check_smallest_fraction(0.4)
    assert "memorized only" in check_smallest_fraction(0.4).message


@pytest.mark.parametrize(
    "call",
    [
        lambda: check_simpler_at_equal_loss(3),
        lambda: check_simpler_at_equal_loss("both"),
        lambda: check_free_energy_gap("lots"),
        lambda: check_free_energy_gap(float("nan")),
        lambda: check_complexity_timing("sideways"),
        lambda: check_grok_delay(-2),
        lambda: check_grok_delay("soon"),
        lambda: check_which_grok(7),
        lambda: check_which_grok([0.4]),
        lambda: check_smallest_fraction(3),
    ],
)
def test_bad_answers_get_feedback_not_a_traceback(call):
    feedback = call()
    assert isinstance(feedback, Feedback) and not feedback and feedback.answered
    assert "Not quite" in str(feedback) and "Not quite" in feedback._repr_html_()
