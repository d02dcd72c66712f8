"""The measured curves (shipped runs), and the drawn model's shape against them."""

import dataclasses
import doctest
import json
import math
from importlib import resources

import numpy as np
import pytest

import grokwidgets.runs.measured as measured_module
from grokwidgets import runs
from grokwidgets.curves import CurveResult, learning_curves
from grokwidgets.runs import load_llc, load_run, measured_curves, measured_weight_decays
from grokwidgets.runs.measured import MeasuredCurves

WEIGHT_DECAYS = [wd for wd in measured_weight_decays() if wd > 0]
#: Those whose median-seed run groks within the budget.
GROKKING = [wd for wd in WEIGHT_DECAYS if measured_curves("B", wd).transition_step is not None]


def _shipped_grok_step(wd: float, seed: int) -> float | None:
    index = json.loads(resources.files(runs).joinpath("index.json").read_text("utf-8"))
    for entry in index["runs"]:
        cfg = entry["config"]
        if cfg["seed"] == seed and math.isclose(cfg["weight_decay"], wd, abs_tol=1e-12):
            return entry["grok_step"]
    raise AssertionError(f"run ({wd}, {seed}) not in the index")


def test_doctests_run():
    assert doctest.testmod(measured_module).failed == 0


def test_a_grokking_run_is_shipped_at_several_weight_decays():
    assert measured_weight_decays()[0] == 0.0
    assert len(GROKKING) >= 4


@pytest.mark.parametrize("wd", WEIGHT_DECAYS)
def test_type_b_returns_exactly_the_shipped_run(wd):
    b = measured_curves("B", wd)
    seed = runs.median_seed(wd)
    run = load_run(wd, seed)
    assert isinstance(b, CurveResult)
    assert (b.kind, b.regularization, b.seed) == ("B", wd, seed)
    assert b.run is run
    np.testing.assert_array_equal(b.steps, run.history.step)
    np.testing.assert_array_equal(b.train_loss, run.history.train_loss)
    np.testing.assert_array_equal(b.test_loss, run.history.test_loss)
    assert b.memorization_step == run.memorization_step
    grok = _shipped_grok_step(wd, seed)
    assert b.transition_step == grok == run.grok_step  # None if it never groks
    assert (grok is not None) == (wd in GROKKING)
    for name in ("steps", "train_loss", "test_loss", "complexity", "llc_valid"):
        arr = getattr(b, name)
        assert not arr.flags.writeable, name
        with pytest.raises(ValueError):
            arr[0] = 1
    with pytest.raises(AttributeError):
        b.transition_step = 1.0


@pytest.mark.parametrize("wd", [0.0, *GROKKING])
def test_type_a_is_the_run_without_weight_decay_and_has_no_transition(wd):
    a = measured_curves("A", wd)
    run = load_run(0.0, runs.median_seed(0.0))
    assert a.kind == "A" and a.regularization == 0.0 and a.run is run
    assert a.transition_step is None
    assert run.grok_step is None  # it really never generalizes
    np.testing.assert_array_equal(a.test_loss, run.history.test_loss)


@pytest.mark.parametrize("kind", ["A", "B"])
def test_complexity_is_the_llc_at_its_checkpoints_nan_where_invalid(kind):
    res = measured_curves(kind, 1.0)
    curve = load_llc(res.regularization, res.seed)
    valid = np.isfinite(curve.llc) & np.asarray(getattr(curve, "valid", True), dtype=bool)
    np.testing.assert_array_equal(res.llc_valid, valid)
    assert math.isnan(res.complexity[0])  # step 0: no estimate
    on_eval = np.isin(curve.step, res.steps)
    assert on_eval.sum() >= 15
    for step, llc, ok in zip(curve.step[on_eval], curve.llc[on_eval], valid[on_eval], strict=True):
        got = res.complexity[np.flatnonzero(res.steps == step)[0]]
        if ok:
            assert got == llc
        else:
            assert math.isnan(got)
    # Between checkpoints: linear in log-step, and within the neighbours' range.
    s = res.steps
    i = np.flatnonzero((s > curve.step[0]) & np.isfinite(res.complexity))
    j = np.searchsorted(curve.step, s[i]) - 1
    lo, hi = curve.llc[j], curve.llc[j + 1]
    v = res.complexity[i]
    assert np.all((v >= np.minimum(lo, hi) - 1e-9) & (v <= np.maximum(lo, hi) + 1e-9))


def test_value_at_interpolates_in_steps_and_clamps():
    b = measured_curves("B", 1.0)
    k = 37
    mid = 0.5 * (b.steps[k] + b.steps[k + 1])
    v = b.value_at(float(mid))
    assert v["test_loss"] == pytest.approx(0.5 * (b.test_loss[k] + b.test_loss[k + 1]))
    assert b.value_at(1e9)["train_loss"] == b.train_loss[-1]
    assert b.value_at(-5)["test_loss"] == b.test_loss[0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "C", "weight_decay": 1.0}, "kind"),
        ({"kind": "B", "weight_decay": 0.7123}, "shipped weight decays: 0, "),
        ({"kind": "A", "weight_decay": 0.7123}, "weight_decay=0.7123"),
        ({"kind": "B", "weight_decay": "1"}, "weight_decay"),
        ({"kind": "B", "weight_decay": math.nan}, "weight_decay"),
        ({"kind": "B", "weight_decay": 1.0, "seed": 1.5}, "seed"),
        ({"kind": "B", "weight_decay": 1.0, "seed": 12345}, "seed"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        measured_curves(**kwargs)


# ----------------------------------------------------------------- the drawn shape


def _first_at_or_below(res, start: float, level: float) -> float:
    s = np.asarray(res.steps, dtype=float)
    hits = np.flatnonzero((s >= start) & (res.test_loss <= level))
    return float(s[hits[0]])


def complexity_fall_shape(res, u_ref: float | None = None) -> dict[str, float]:
    """Where a grokking run's complexity falls, relative to its test-loss drop.

    The test-loss drop runs from its highest point after memorization (P) to
    its last value (F); ``t25``, ``t50`` and ``t90`` are the first steps at which
    it has done 25%, 50% and 90% of that drop. The fall is measured from a
    reference step on the plateau: for a measured run, its first valid LLC
    estimate at or after memorization (the estimates before it are flagged, so
    the peak itself is not measured); for the drawn model, the step at the same
    plateau progress ``u_ref`` (0 at memorization, 1 at ``t50``, in log-steps).
    The fall goes from there to the lowest value after it; ``share_*`` is the
    share of it done by a step, on a linear scale (a measured run's LLC read
    between its valid estimates only, linearly in log-step; the drawn model's
    with ``value_at``); ``steepest`` is the step of the steepest fall per log-step.
    """
    s = np.asarray(res.steps, dtype=float)
    c = np.asarray(res.complexity, dtype=float)
    t_mem = res.memorization_step
    start = np.flatnonzero(s >= t_mem)[0]
    top = start + int(np.argmax(res.test_loss[start:]))
    high, low = res.test_loss[top], res.test_loss[-1]
    t25, t50, t90 = (
        _first_at_or_below(res, s[top], low + (1 - done) * (high - low))
        for done in (0.25, 0.5, 0.9)
    )
    if isinstance(res, MeasuredCurves):
        # Read between valid estimates only (across a flagged one, linearly in log-step).
        at = res.llc.step[res.llc_valid].astype(float)
        llc = res.llc.llc[res.llc_valid]

        def c_at(step: float) -> float:
            return float(np.interp(math.log(step), np.log(at), llc))

        t_ref = float(at[at >= t_mem][0])
        u_ref = math.log(t_ref / t_mem) / math.log(t50 / t_mem)
        floor = float(llc[at >= t_ref].min())
    else:

        def c_at(step: float) -> float:
            return res.value_at(step)["complexity"]

        t_ref = t_mem * (t50 / t_mem) ** u_ref
        ok = np.isfinite(c) & (s >= t_ref)
        floor = float(np.min(c[ok]))
    ref = c_at(t_ref)

    def share(step: float) -> float:
        return (ref - c_at(step)) / (ref - floor)

    grid = np.geomspace(t_ref, min(2 * t90, s[-1]), 400)
    values = np.array([c_at(g) for g in grid])
    slope = -np.diff(values) / np.diff(np.log(grid))
    j = int(np.nanargmax(slope))
    out = {
        "t_ref": t_ref,
        "u_ref": u_ref,
        "t25": t25,
        "t50": t50,
        "t90": t90,
        "share_t25": share(t25),
        "share_t50": share(t50),
        "share_t90": share(t90),
        "steepest": float(math.sqrt(grid[j] * grid[j + 1])),
    }
    if isinstance(res, MeasuredCurves) and res.transition_step is not None:
        out["share_grok"] = share(res.transition_step)  # grok step: 95% test accuracy
    return out


SHARES = ("share_t25", "share_t50", "share_t90")
#: The drawn model is compared at these regularizations (its shape barely depends on it).
DRAWN_REGS = (0.3, 1.0, 5.0)


def measured_shapes() -> dict[float, dict[str, float]]:
    return {wd: complexity_fall_shape(measured_curves("B", wd)) for wd in GROKKING}


def drawn_shapes(result_of=lambda r: learning_curves("B", r)) -> list[dict[str, float]]:
    """The drawn model's shape, measured from each measured run's reference point."""
    return [
        complexity_fall_shape(result_of(r), shape["u_ref"])
        for shape in measured_shapes().values()
        for r in DRAWN_REGS
    ]


def _median(shapes, name: str) -> float:
    return float(np.median([s[name] for s in shapes]))


def test_measured_llc_falls_through_the_plateau_and_mostly_by_the_grok_step():
    """What the drawn model is matched to (numbers: .venv/bin/python tests/test_measured.py)."""
    shapes = measured_shapes()
    assert len(shapes) >= 4
    # Typically, more than a third of the fall from the plateau is done before the
    # test-loss drop begins, and most of it by the grok step.
    assert _median(shapes.values(), "share_t25") > 1 / 3
    assert _median(shapes.values(), "share_grok") > 0.8
    for wd, shape in shapes.items():
        assert shape["share_grok"] > 0.6, (wd, shape)
        assert shape["share_t90"] > 0.5, (wd, shape)
        # Its steepest fall (per log-step) comes near the drop's midpoint.
        assert 0.4 < shape["steepest"] / shape["t50"] < 2.0, (wd, shape)


def test_drawn_complexity_falls_like_the_measured_runs():
    measured = list(measured_shapes().values())
    drawn = drawn_shapes()
    for name in SHARES:
        # The typical share matches, and no drawn share leaves the measured range.
        assert abs(_median(drawn, name) - _median(measured, name)) < 0.1, name
        lo, hi = min(s[name] for s in measured), max(s[name] for s in measured)
        assert all(lo - 0.15 <= s[name] <= hi + 0.15 for s in drawn), name
    # Steepest during the test-loss drop (between its 25% and 90% points), and as
    # near its midpoint as the measured runs are.
    ratios = [s["steepest"] / s["t50"] for s in measured]
    for s in drawn:
        assert s["t25"] <= s["steepest"] <= s["t90"]
        assert min(ratios) <= s["steepest"] / s["t50"] <= max(ratios)


@pytest.mark.parametrize("r", [0.12, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0])
def test_drawn_complexity_rises_while_memorizing_then_falls(r):
    b = learning_curves("B", r)
    peak = int(np.argmax(b.complexity))
    assert b.steps[peak] <= 1.25 * b.memorization_step
    assert np.all(np.diff(b.complexity[: peak + 1]) >= 0)
    # It falls from the peak on (never rises again), already during the plateau.
    assert np.all(np.diff(b.complexity[peak:]) <= 1e-12)
    mid = math.sqrt(b.memorization_step * b.transition_step)
    assert b.value_at(mid)["complexity"] < b.complexity[peak] - 0.1


def test_the_old_step_shape_would_fail():
    """The shape test can tell: a complexity that waits for the transition fails it."""

    def waits(r):
        b = learning_curves("B", r)
        flat = np.where(
            b.steps <= b.memorization_step,
            b.complexity,
            np.where(b.steps < b.transition_step, b.complexity.max(), 0.25),
        )
        return dataclasses.replace(b, complexity=flat)

    measured = list(measured_shapes().values())
    fake = drawn_shapes(waits)
    assert abs(_median(fake, "share_t25") - _median(measured, "share_t25")) > 0.3


if __name__ == "__main__":  # print the shapes: .venv/bin/python tests/test_measured.py
    for wd, shape in measured_shapes().items():
        seed = measured_curves("B", wd).seed
        print(f"measured wd {wd:g} seed {seed}:", {k: round(v, 2) for k, v in shape.items()})
    measured = list(measured_shapes().values())
    drawn = drawn_shapes()
    for name in (*SHARES, "share_grok"):
        values = [s[name] for s in measured]
        print(
            f"{name}: measured median {np.median(values):.2f} "
            f"(range {min(values):.2f}-{max(values):.2f})",
            f"drawn median {_median(drawn, name):.2f}" if name in SHARES else "",
        )
