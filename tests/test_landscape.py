"""Tests for grokwidgets.landscape: potentials, gradients, marbles, basins."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grokwidgets.landscape import (
    Bowl,
    Grid,
    MarbleWarning,
    Potential,
    TwoBasin,
    Valley,
    evaluate_grid,
    run_marble,
    settle,
)

POTENTIALS = [
    Bowl(),
    Bowl(curvature_x=3.0, curvature_y=0.5),
    Valley(),
    Valley(scale=2.5),
    TwoBasin(),
    TwoBasin(regularization=0.6),
    TwoBasin(regularization=1.5, wall_radius=2.0),  # the wall is active on the window
]

coord = st.floats(min_value=-6.0, max_value=6.0, allow_nan=False)


# --------------------------------------------------------------------------- potentials


@pytest.mark.parametrize("potential", POTENTIALS, ids=repr)
@settings(max_examples=40, deadline=None)
@given(x=coord, y=coord)
def test_gradient_matches_finite_differences(potential, x, y):
    h = 1e-6
    gx, gy = potential.grad(x, y)
    nx = (potential.value(x + h, y) - potential.value(x - h, y)) / (2 * h)
    ny = (potential.value(x, y + h) - potential.value(x, y - h)) / (2 * h)
    scale = 1.0 + abs(float(gx)) + abs(float(gy))
    np.testing.assert_allclose([gx, gy], [nx, ny], atol=1e-5 * scale)


@pytest.mark.parametrize("potential", POTENTIALS, ids=repr)
def test_value_and_grad_broadcast(potential):
    x = np.linspace(-1, 1, 5)[:, None]
    y = np.linspace(-1, 1, 3)[None, :]
    assert potential.value(x, y).shape == (5, 3)
    gx, gy = potential.grad(x, y)
    assert gx.shape == gy.shape == (5, 3)
    assert isinstance(potential, Potential)


def test_bowl_has_a_single_minimum_at_the_origin():
    bowl = Bowl(curvature_x=2.0, curvature_y=0.5)
    assert bowl.value(0.0, 0.0) == 0.0
    grid = evaluate_grid(bowl, num=101)
    i, j = np.unravel_index(np.argmin(grid.value), grid.value.shape)
    assert (grid.x[j], grid.y[i]) == (0.0, 0.0)
    assert np.sum(grid.value < 1e-12) == 1


def test_valley_minimum_set_is_a_curve_with_zero_gradient():
    valley = Valley(scale=1.5)
    x, y = valley.minimum_set(num=201)
    np.testing.assert_array_equal(valley.value(x, y), 0.0)
    gx, gy = valley.grad(x, y)
    np.testing.assert_array_equal(gx, 0.0)
    np.testing.assert_array_equal(gy, 0.0)
    # Off the axes the loss is positive: the minimum set is exactly the two axes.
    rng = np.random.default_rng(0)
    px, py = rng.uniform(0.05, 2, (2, 1000)) * rng.choice([-1, 1], (2, 1000))
    assert np.all(valley.value(px, py) > 0)


def test_gradient_descent_ends_anywhere_on_the_valley_but_at_one_point_in_the_bowl():
    # The singular valley's minima form a continuum: plain descent from different
    # starts stops at different places along it. The bowl's minimum is a point.
    rng = np.random.default_rng(1)
    starts = rng.uniform(-1.5, 1.5, (200, 2))
    for potential, expect_spread in ((Valley(), True), (Bowl(), False)):
        end = run_marble(
            potential, starts, steps=3000, step_size=0.05, temperature=0.0, rng=rng
        ).positions[-1]
        np.testing.assert_allclose(potential.value(end[:, 0], end[:, 1]), 0.0, atol=1e-3)
        if expect_spread:
            assert np.ptp(np.abs(end).max(axis=1)) > 1.0  # ends far apart along the axes
            np.testing.assert_allclose(np.abs(end).min(axis=1), 0.0, atol=0.05)
        else:
            np.testing.assert_allclose(end, 0.0, atol=1e-6)


def test_two_basin_minima_and_regularization():
    simple, cplx = TwoBasin().minima()
    np.testing.assert_allclose(simple, (0.0, 0.0), atol=1e-6)
    assert cplx is not None
    np.testing.assert_allclose(cplx, (2.5, 0.0), atol=1e-3)
    tb = TwoBasin()
    # Without weight decay the complex basin fits better (deeper)...
    assert tb.value(*cplx) < tb.value(*simple) - 0.2
    # ...weight decay raises it: lower than the simple one up to r ~ 0.1, higher after.
    for r, complex_lower in ((0.05, True), (0.15, False), (0.5, False)):
        tb = TwoBasin(regularization=r)
        s, c = tb.minima()
        assert c is not None
        assert (tb.value(*c) < tb.value(*s)) == complex_lower
        np.testing.assert_allclose(tb.value(*s), 0.3, atol=1e-9)  # weight decay costs it 0
    # ...and at strong weight decay the complex minimum is gone.
    for r in (1.0, 2.0, 5.0):
        assert TwoBasin(regularization=r).minima()[1] is None


def test_simple_basin_is_flat_in_one_direction():
    # Curvature at the simple minimum: positive along x, zero along y (quartic).
    tb = TwoBasin()
    h = 1e-3
    curv_x = (tb.value(h, 0) - 2 * tb.value(0, 0) + tb.value(-h, 0)) / h**2
    curv_y = (tb.value(0, h) - 2 * tb.value(0, 0) + tb.value(0, -h)) / h**2
    np.testing.assert_allclose(curv_x, 0.7 / 0.6**2, rtol=1e-4)
    np.testing.assert_allclose(curv_y, 0.0, atol=1e-4)
    # The complex basin is sharp in both directions.
    c = tb.complex_point
    for dx, dy in ((h, 0), (0, h)):
        curv = (tb.value(c[0] + dx, dy) - 2 * tb.value(*c) + tb.value(c[0] - dx, -dy)) / h**2
        np.testing.assert_allclose(curv, 1.0 / 0.3**2, rtol=1e-3)


def test_evaluate_grid_orientation_and_readonly():
    tb = TwoBasin(regularization=0.3)
    grid = evaluate_grid(tb, xlim=(-1, 3), ylim=(-2, 2), num=41)
    assert isinstance(grid, Grid)
    assert grid.value.shape == grid.grad_x.shape == grid.grad_y.shape == (41, 41)
    i, j = 7, 30
    np.testing.assert_allclose(grid.value[i, j], tb.value(grid.x[j], grid.y[i]))
    np.testing.assert_allclose(grid.grad_y[i, j], tb.grad(grid.x[j], grid.y[i])[1])
    assert evaluate_grid(tb).x[0] == tb.xlim[0]
    with pytest.raises(ValueError):
        grid.value[0, 0] = 1.0


# --------------------------------------------------------------------------- marbles


def test_run_marble_shapes_and_determinism():
    tb = TwoBasin()
    one = run_marble(tb, (1.0, 0.5), steps=50, rng=np.random.default_rng(3))
    assert one.positions.shape == (51, 2)
    assert one.values.shape == (51,)
    np.testing.assert_array_equal(one.positions[0], (1.0, 0.5))
    np.testing.assert_allclose(one.values, tb.value(one.positions[:, 0], one.positions[:, 1]))
    again = run_marble(tb, (1.0, 0.5), steps=50, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(one.positions, again.positions)
    many = run_marble(tb, np.zeros((7, 2)), steps=10, rng=np.random.default_rng(3))
    assert many.positions.shape == (11, 7, 2)
    assert many.values.shape == (11, 7)


def test_marbles_sample_the_boltzmann_distribution_of_a_bowl():
    # Langevin dynamics at temperature T leaves exp(-U / T): in a bowl of curvature a
    # the variance is T / a (times 1 / (1 - step a / 2) from the discrete step).
    a, b, temp, step = 2.0, 0.5, 0.1, 0.01
    traj = run_marble(
        Bowl(a, b),
        np.zeros((4000, 2)),
        steps=1500,
        step_size=step,
        temperature=temp,
        rng=np.random.default_rng(4),
    )
    var = traj.positions[-1].var(axis=0)
    expected = [temp / (c * (1 - step * c / 2)) for c in (a, b)]
    np.testing.assert_allclose(var, expected, rtol=0.08)


REGS = np.array([0.0, 0.2, 0.35, 0.45, 0.55, 0.65, 0.8, 1.0, 1.5])


def _fractions(seed: int) -> np.ndarray:
    out = []
    for r in REGS:
        tb = TwoBasin(regularization=float(r))
        res = settle(
            tb,
            tb.complex_point,
            n_marbles=400,
            spread=0.1,
            steps=2000,
            temperature=0.05,
            rng=np.random.default_rng(seed),
        )
        out.append(res.fraction_simple)
    return np.array(out)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fraction_in_simple_basin_rises_with_regularization(seed):
    fractions = _fractions(seed)
    print(f"seed {seed}: r = {REGS.tolist()}\n  fraction simple = {fractions.round(3).tolist()}")
    assert np.all(np.diff(fractions) >= 0), fractions
    assert fractions[0] <= 0.02  # no weight decay: marbles stay in the complex basin
    assert fractions[-3:].min() == 1.0  # strong weight decay: every marble ends simple
    assert fractions[-1] - fractions[0] == 1.0


def test_settle_from_everywhere_and_classification():
    tb = TwoBasin()
    rng = np.random.default_rng(5)
    starts = np.column_stack([rng.uniform(*tb.xlim, 500), rng.uniform(*tb.ylim, 500)])
    res = settle(tb, starts, steps=1000, temperature=0.02, rng=rng)
    assert res.final.shape == res.start.shape == (500, 2)
    np.testing.assert_array_equal(res.start, starts)
    assert res.in_simple.dtype == bool
    np.testing.assert_allclose(res.fraction_simple, res.in_simple.mean())
    # Without weight decay both basins catch marbles; the broad one catches more.
    assert 0.5 < res.fraction_simple < 0.95
    # Classification: points near each minimum go to that basin.
    assert tb.classify([0.0, 0.5, -1.0], [0.0, 1.0, -0.5]).all()
    assert not tb.classify([2.5, 2.3], [0.0, 0.2]).any()
    # Once the complex minimum is gone, everything is simple.
    assert TwoBasin(regularization=1.2).classify([2.5, 2.3], [0.0, 0.2]).all()


def test_settle_is_deterministic_with_a_seed():
    tb = TwoBasin(regularization=0.5)
    a = settle(
        tb, tb.complex_point, n_marbles=50, spread=0.2, steps=300, rng=np.random.default_rng(9)
    )
    b = settle(
        tb, tb.complex_point, n_marbles=50, spread=0.2, steps=300, rng=np.random.default_rng(9)
    )
    np.testing.assert_array_equal(a.final, b.final)
    np.testing.assert_array_equal(a.start, b.start)


def test_overflow_warns():
    with pytest.warns(MarbleWarning, match="lower step_size"):
        run_marble(
            Valley(),
            (3.0, 3.0),
            steps=200,
            step_size=1.0,
            temperature=0.0,
            rng=np.random.default_rng(0),
        )


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda: Bowl(curvature_x=0.0), ValueError, "curvature_x"),
        (lambda: Bowl(curvature_y=-1.0), ValueError, "curvature_y"),
        (lambda: Bowl(curvature_x="1"), TypeError, "curvature_x"),
        (lambda: Valley(scale=float("nan")), ValueError, "scale"),
        (lambda: Valley(xlim=(1.0, -1.0)), ValueError, "xlim"),
        (lambda: TwoBasin(regularization=-0.1), ValueError, "regularization"),
        (lambda: TwoBasin(complex_width=0.0), ValueError, "complex_width"),
        (lambda: TwoBasin(regularization=True), TypeError, "regularization"),
        (lambda: evaluate_grid(Bowl(), num=1), ValueError, "num"),
        (lambda: evaluate_grid("bowl"), TypeError, "potential"),
        (lambda: Valley().minimum_set(num=1), ValueError, "num"),
    ],
)
def test_bad_potentials_raise(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


_POSITIVE_FIELDS = {
    Bowl: ("curvature_x", "curvature_y"),
    Valley: ("scale",),
    TwoBasin: (
        "simple_depth",
        "complex_depth",
        "simple_width",
        "simple_flatness",
        "complex_center",
        "complex_width",
        "wall_radius",
    ),
}
_NONNEG_FIELDS = {TwoBasin: ("regularization", "wall_stiffness")}


@pytest.mark.parametrize(
    ("cls", "name", "value", "bounds"),
    [
        *(
            (cls, name, value, r"\[0\.001, 1000\]")
            for cls, names in _POSITIVE_FIELDS.items()
            for name in names
            for value in (1e-200, 9e-4, 1001.0, 1e308)
        ),
        *(
            (cls, name, value, r"\[0, 1000\]")
            for cls, names in _NONNEG_FIELDS.items()
            for name in names
            for value in (1001.0, 1e308)
        ),
    ],
)
def test_fields_outside_their_range_raise_naming_them(cls, name, value, bounds):
    # Near 0 a width divides by zero (1 / width**2), near the float range value()
    # overflows at ordinary x, y: both are refused up front, naming the field.
    message = rf"^{name} must be in {bounds}, got {re.escape(repr(value))}$"
    with pytest.raises(ValueError, match=message):
        cls(**{name: value})


def test_potentials_stay_finite_at_the_extremes_of_their_range():
    # Every field at either end of its range (one at a time, all together, and 40
    # random corners): value, grad, minima and classify stay finite on the window.
    fields = _POSITIVE_FIELDS[TwoBasin] + _NONNEG_FIELDS[TwoBasin]
    low = dict.fromkeys(_POSITIVE_FIELDS[TwoBasin], 1e-3) | dict.fromkeys(
        _NONNEG_FIELDS[TwoBasin], 0.0
    )
    high = dict.fromkeys(fields, 1e3)
    rng = np.random.default_rng(0)
    cases = [low, high]
    cases += [{name: ends[name]} for name in fields for ends in (low, high)]
    cases += [
        {name: (low if pick else high)[name] for name, pick in zip(fields, row, strict=True)}
        for row in rng.integers(0, 2, size=(40, len(fields)))
    ]
    potentials = [TwoBasin(**kw) for kw in cases]
    potentials += [Bowl(a, b) for a in (1e-3, 1e3) for b in (1e-3, 1e3)]
    potentials += [Valley(1e-3), Valley(1e3)]
    for p in potentials:
        x, y = np.meshgrid(np.linspace(*p.xlim, 15), np.linspace(*p.ylim, 15))
        assert np.isfinite(p.value(x, y)).all(), p
        assert all(np.isfinite(g).all() for g in p.grad(x, y)), p
        if isinstance(p, TwoBasin):
            simple, cplx = p.minima(steps=300)
            assert np.isfinite(simple).all() and (cplx is None or np.isfinite(cplx).all()), p
            assert p.classify(x, y, quench_steps=30).dtype == bool


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"steps": -1}, ValueError, "steps"),
        ({"steps": 2.5}, TypeError, "steps"),
        ({"step_size": 0.0}, ValueError, "step_size"),
        ({"temperature": -0.1}, ValueError, "temperature"),
        ({"temperature": float("inf")}, ValueError, "temperature"),
        ({"rng": 0}, TypeError, "rng"),
        ({"start": (1.0, 2.0, 3.0)}, ValueError, "start"),
        ({"start": [[0.0, float("nan")]]}, ValueError, "start"),
        ({"start": (float("inf"), 0.0)}, ValueError, "start must be finite"),
        ({"start": "origin"}, ValueError, "start"),
        ({"potential": object()}, TypeError, "potential"),
    ],
)
def test_bad_marble_arguments_raise(kwargs, exc, match):
    args = {"potential": Bowl(), "start": (0.0, 0.0), "rng": np.random.default_rng(0)}
    args.update(kwargs)
    potential, start = args.pop("potential"), args.pop("start")
    with pytest.raises(exc, match=match):
        run_marble(potential, start, **args)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"potential": Bowl()}, TypeError, "TwoBasin"),
        ({"n_marbles": 0}, ValueError, "n_marbles"),
        ({"spread": -1.0}, ValueError, "spread"),
        ({"start": np.zeros((3, 2)), "n_marbles": 4}, ValueError, "n_marbles"),
    ],
)
def test_bad_settle_arguments_raise(kwargs, exc, match):
    args = {"potential": TwoBasin(), "start": (2.5, 0.0), "rng": np.random.default_rng(0)}
    args.update(kwargs)
    potential, start = args.pop("potential"), args.pop("start")
    with pytest.raises(exc, match=match):
        settle(potential, start, steps=5, **args)


def test_landscape_imports_no_plotting_or_widgets():
    import subprocess

    code = (
        "import sys, grokwidgets.landscape, grokwidgets.slt; "
        "bad = {'matplotlib', 'ipywidgets'} & set(sys.modules); assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
