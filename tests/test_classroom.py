"""Self-check functions accept right answers and reject wrong ones, with reasons."""

import pytest

from grokwidgets.classroom import (
    Feedback,
    check_complexity_at_transition,
    check_doubling,
    check_grok_delay,
    check_which_grok,
)
from grokwidgets.curves import learning_curves
from grokwidgets.runs import load_run


def test_doubling():
    truth = learning_curves("B", 1.0).transition_step
    assert check_doubling(truth)
    assert check_doubling(round(truth * 1.1))
    # The common wrong answers: "no change", "twice as late", "half of the total".
    before = learning_curves("B", 0.5).transition_step
    assert not check_doubling(before)
    assert not check_doubling(2 * before)
    assert not check_doubling(truth / 2)
    assert f"{truth:,.0f}" in check_doubling(0).message


def test_which_grok():
    truth = [wd for wd in (0.0, 0.3, 0.5, 1.0, 2.0) if (s := load_run(wd).grok_step) and s <= 1500]
    assert 0.0 not in truth and 2.0 in truth
    assert check_which_grok(truth)
    assert check_which_grok([int(x) if x.is_integer() else x for x in truth])
    assert not check_which_grok([0.0, *truth])
    assert not check_which_grok(truth[1:])
    # A budget long enough for every run that groks at all.
    assert check_which_grok([0.3, 0.5, 1.0, 2.0], budget=3000)


def test_complexity_at_transition():
    assert check_complexity_at_transition("fall")
    assert check_complexity_at_transition(" Falls ")
    assert not check_complexity_at_transition("rise")
    assert not check_complexity_at_transition("level off")


def test_grok_delay():
    run = load_run(1.0)
    ratio = run.grok_step / run.memorization_step
    assert check_grok_delay(ratio)
    assert not check_grok_delay(1)
    assert not check_grok_delay(ratio * 3)
    assert str(run.grok_step) in check_grok_delay(ratio).message


@pytest.mark.parametrize(
    "call",
    [
        lambda: check_doubling("soon"),
        lambda: check_doubling(float("nan")),
        lambda: check_which_grok(7),
        lambda: check_which_grok([0.7]),
        lambda: check_complexity_at_transition(3),
        lambda: check_complexity_at_transition("sideways"),
        lambda: check_grok_delay(-2),
    ],
)
def test_bad_answers_get_feedback_not_a_traceback(call):
    feedback = call()
    assert isinstance(feedback, Feedback) and not feedback
    assert "Not quite" in str(feedback) and "Not quite" in feedback._repr_html_()
