"""The curve model: the behaviours the essay's central figure claims."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grokwidgets.curves import (
    DEFAULT_STEPS,
    CurveResult,
    learning_curves,
    median_transition_step,
)

REGS = np.geomspace(0.01, 10.0, 25)  # the regularization slider's range
regs = st.floats(min_value=0.0, max_value=10.0, allow_nan=False)


def test_result_is_frozen_with_equal_length_float_arrays():
    res = learning_curves("B", 1.0)
    assert isinstance(res, CurveResult)
    n = len(res.steps)
    for name in ("steps", "train_loss", "test_loss", "complexity"):
        arr = getattr(res, name)
        assert arr.dtype == np.float64 and arr.shape == (n,)
        assert np.all(np.isfinite(arr))
    with pytest.raises(AttributeError):
        res.transition_step = 5.0
    np.testing.assert_allclose(res.steps[[0, -1]], [1.0, DEFAULT_STEPS])
    assert np.all(np.diff(res.steps) > 0)


@given(r=regs)
def test_type_a_memorizes_without_generalizing(r):
    a = learning_curves("A", r)
    # Train loss falls steadily, complexity rises monotonically, in step with it.
    assert np.all(np.diff(a.train_loss) < 0)
    assert np.all(np.diff(a.complexity) > 0)
    assert np.corrcoef(a.train_loss, a.complexity)[0, 1] < -0.999
    # Test loss stays high: never below the loss at step 1 (chance).
    assert a.test_loss.min() >= a.test_loss[0] - 1e-12
    assert a.train_loss[-1] < 0.05 * a.train_loss[0]


@given(r=st.floats(min_value=0.12, max_value=10.0))
def test_type_b_memorizes_then_plateaus_then_drops_sharply(r):
    b = learning_curves("B", r)
    t = b.steps
    assert b.transition_step is not None
    assert b.memorization_step < b.transition_step
    # Memorization first: train loss is near its floor at the memorization step,
    # while test loss there is still at least chance.
    mem = b.value_at(b.memorization_step)
    assert mem["train_loss"] < 0.1 * b.train_loss[0]
    assert mem["test_loss"] >= b.test_loss[0]
    # The drop: from the plateau to near zero, 90% of it within x0.85..x1.18 of
    # the transition step (a short window on a 10,000-step horizon).
    high, low = b.value_at(b.memorization_step * 1.5)["test_loss"], b.test_loss[-1]
    assert low < 0.05 * high
    before = b.value_at(b.transition_step / 1.18)["test_loss"]
    after = b.value_at(b.transition_step * 1.18)["test_loss"]
    assert before - after >= 0.9 * (high - low) - 1e-9 or t[-1] < b.transition_step * 1.18
    # Complexity rises during memorization and falls at the transition.
    peak = int(np.argmax(b.complexity))
    assert np.all(np.diff(b.complexity[: peak + 1]) >= 0)
    assert b.complexity[peak] > 0.9
    c_before = b.value_at(b.transition_step / 1.2)["complexity"]
    c_after = b.value_at(min(b.transition_step * 1.2, t[-1]))["complexity"]
    assert c_after < c_before - 0.2


def test_regularization_strictly_pulls_the_transition_earlier():
    steps = [learning_curves("B", r).transition_step for r in REGS]
    within = [s for s in steps if s is not None]
    assert len(within) >= 15
    # Once a transition happens within the horizon, it does at every larger r.
    first = steps.index(within[0])
    assert all(s is not None for s in steps[first:])
    assert np.all(np.diff(within) < 0)
    medians = [median_transition_step(r) for r in REGS]
    assert np.all(np.diff(medians) < 0)


def test_no_regularization_means_no_transition():
    b = learning_curves("B", 0.0)
    assert b.transition_step is None
    assert b.test_loss[-1] >= b.test_loss[0]
    assert median_transition_step(0.0) is None
    # Even a much longer horizon shows none.
    assert learning_curves("B", 0.0, steps=1e9).transition_step is None


def test_seeded_runs_vary_and_reproduce():
    a = [learning_curves("B", 1.0, seed=s).transition_step for s in range(20)]
    assert len(set(a)) == 20
    assert a == [learning_curves("B", 1.0, seed=s).transition_step for s in range(20)]
    gen = learning_curves("B", 1.0, seed=np.random.default_rng(3))
    assert gen.transition_step == learning_curves("B", 1.0, seed=3).transition_step
    # The median run sits among the seeded runs.
    median = learning_curves("B", 1.0).transition_step
    assert min(a) < median < max(a)


def test_fraction_of_runs_that_transition_rises_with_regularization():
    grid = [0.05, 0.08, 0.1, 0.15, 0.3, 1.0]
    fractions = [
        np.mean([learning_curves("B", r, seed=s).transition_step is not None for s in range(200)])
        for r in grid
    ]
    assert fractions[0] < 0.1 and fractions[-1] == 1.0
    assert np.all(np.diff(fractions) >= 0)
    assert fractions[1] < fractions[2] < fractions[3]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"kind": "C", "regularization": 1.0}, "kind"),
        ({"kind": "a", "regularization": 1.0}, "kind"),
        ({"kind": "B", "regularization": -0.1}, "regularization"),
        ({"kind": "B", "regularization": math.nan}, "regularization"),
        ({"kind": "B", "regularization": math.inf}, "regularization"),
        ({"kind": "B", "regularization": "1"}, "regularization"),
        ({"kind": "B", "regularization": True}, "regularization"),
        ({"kind": "B", "regularization": 1.0, "steps": 0}, "steps"),
        ({"kind": "B", "regularization": 1.0, "steps": -5}, "steps"),
        ({"kind": "B", "regularization": 1.0, "steps": math.inf}, "steps"),
        ({"kind": "B", "regularization": 1.0, "steps": math.nan}, "steps"),
        ({"kind": "B", "regularization": 1.0, "seed": -1}, "seed"),
        ({"kind": "B", "regularization": 1.0, "seed": 1.5}, "seed"),
        ({"kind": "B", "regularization": 1.0, "points": 1}, "points"),
    ],
)
def test_bad_input_names_the_argument_and_value(kwargs, name):
    with pytest.raises(ValueError, match=name) as info:
        learning_curves(**kwargs)
    bad = kwargs.get(name)
    assert repr(bad) in str(info.value)


@settings(max_examples=60)
@given(
    kind=st.sampled_from(["A", "B"]),
    r=regs,
    steps=st.floats(min_value=1.5, max_value=1e8),
    seed=st.none() | st.integers(0, 2**32),
)
def test_any_valid_input_gives_finite_bounded_curves(kind, r, steps, seed):
    res = learning_curves(kind, r, steps=steps, seed=seed)
    for arr in (res.train_loss, res.test_loss, res.complexity):
        assert np.all(np.isfinite(arr)) and np.all(arr >= 0)
    assert np.all(res.complexity <= 1.0 + 1e-12)
    assert res.transition_step is None or 1 <= res.transition_step <= steps
