"""The landscape widgets without a browser: set controls, check what is drawn."""

import gc

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from grokwidgets.landscape import TwoBasin, evaluate_grid, run_marble, settle
from grokwidgets.widgets.landscape import (
    SWEEP_REGULARIZATIONS,
    SWEEP_SEEDS,
    BasinsWidget,
    SingularityWidget,
    basin_sweep,
)


@pytest.fixture(scope="module")
def basins():
    widget = BasinsWidget()
    yield widget
    widget.close()


@pytest.fixture(scope="module")
def singular():
    widget = SingularityWidget()
    yield widget
    widget.close()


def expected_settle(r: float, seed: int, n: int = 400, steps: int = 2000):
    potential = TwoBasin(regularization=r)
    return settle(
        potential,
        potential.complex_point,
        n_marbles=n,
        spread=0.1,
        steps=steps,
        step_size=0.02,
        temperature=0.05,
        rng=np.random.default_rng(seed),
    )


def offsets(collection) -> np.ndarray:
    return np.asarray(collection.get_offsets()).reshape(-1, 2)


# --------------------------------------------------------------------------- two basins


@pytest.mark.parametrize("value", [0.0, 0.35, 0.55, 1.0])
def test_slider_draws_the_models_landscape_and_marbles(basins, value):
    basins.seed.value = 0
    basins.regularization.value = 0.5 if value != 0.5 else 0.6
    frames = basins.image.frames
    basins.regularization.value = value
    assert basins.image.frames > frames
    grid = evaluate_grid(TwoBasin(regularization=value), num=201)
    np.testing.assert_array_equal(np.asarray(basins.heatmap.get_array()), grid.value)

    want = expected_settle(value, 0)
    arts = basins.marble_artists
    # (Close, not bit-equal: the opening setting, 0.0, is shipped precomputed, and
    # another CPU's exp may round the last bit differently.)
    close = {"rtol": 0, "atol": 1e-9}
    np.testing.assert_allclose(offsets(arts.simple), want.final[want.in_simple], **close)
    np.testing.assert_allclose(offsets(arts.complex), want.final[~want.in_simple], **close)
    assert basins.fraction_simple == want.fraction_simple
    k = int(want.in_simple.sum())
    assert f"<b>{k} of 400</b>" in basins.readout.value
    assert f"({want.fraction_simple:.0%})" in basins.readout.value

    paths = run_marble(
        TwoBasin(regularization=value),
        want.start[:5],
        steps=2000,
        step_size=0.02,
        temperature=0.05,
        rng=np.random.default_rng([0, 1]),
    )
    for i, line in enumerate(basins.path_artists.lines):
        np.testing.assert_allclose(line.get_xdata(), paths.positions[:, i, 0], **close)
        np.testing.assert_allclose(line.get_ydata(), paths.positions[:, i, 1], **close)
    # The star sits at the current setting and share.
    np.testing.assert_array_equal(basins.sweep_artists.current.get_xdata(), [value])
    np.testing.assert_array_equal(basins.sweep_artists.current.get_ydata(), [k / 400])


def test_opening_setting_is_shipped_and_matches_the_model(monkeypatch):
    """The widget opens on precomputed marbles (scripts/make_basins.py), not stale ones."""
    from grokwidgets.widgets import landscape as module

    settled, paths = module._shipped_marbles()
    want = expected_settle(0.0, 0)
    np.testing.assert_array_equal(settled.in_simple, want.in_simple)
    np.testing.assert_allclose(settled.start, want.start, rtol=0, atol=1e-12)
    np.testing.assert_allclose(settled.final, want.final, rtol=0, atol=1e-9)
    fresh = run_marble(
        TwoBasin(),
        want.start[:5],
        steps=2000,
        step_size=0.02,
        temperature=0.05,
        rng=np.random.default_rng([0, 1]),
    )
    np.testing.assert_allclose(paths.positions, fresh.positions, rtol=0, atol=1e-9)
    np.testing.assert_allclose(paths.values, fresh.values, rtol=0, atol=1e-9)
    assert not settled.final.flags.writeable and not paths.positions.flags.writeable

    # The opening setting runs no marble; any other setting does.
    def no_marbles(*args, **kwargs):
        raise AssertionError("rolled marbles for the opening setting")

    monkeypatch.setattr(module, "_marbles", no_marbles)
    widget = BasinsWidget()
    assert widget.fraction_simple == want.fraction_simple
    with pytest.raises(AssertionError, match="rolled marbles"):
        widget.compute(0.05, 0)
    widget.close()


def test_seed_control_reseeds_the_marbles(basins):
    basins.regularization.value = 0.55
    basins.seed.value = 7
    want = expected_settle(0.55, 7)
    np.testing.assert_array_equal(offsets(basins.marble_artists.simple), want.final[want.in_simple])
    assert basins.fraction_simple == want.fraction_simple
    # Seed 7 has no line in the sweep: none is emphasised.
    assert {line.get_linewidth() for line in basins.sweep_artists.seeds} == {1.0}
    basins.seed.value = 1
    assert (
        basins.sweep_artists.seeds[1].get_linewidth()
        > basins.sweep_artists.seeds[0].get_linewidth()
    )
    basins.seed.value = 0


def test_high_regularization_frees_every_marble_and_none_at_zero(basins):
    basins.seed.value = 0
    for value in (0.8, 1.0):
        basins.regularization.value = value
        assert basins.fraction_simple == 1.0
        assert len(offsets(basins.marble_artists.complex)) == 0
    basins.regularization.value = 1.0
    assert basins.profile.complex_min is None
    assert "gone" in basins.readout.value
    assert "vanished" in basins.image.alt
    basins.regularization.value = 0.0
    assert basins.fraction_simple <= 0.01
    assert basins.profile.barrier == pytest.approx(0.97, abs=0.01)
    assert "barrier 0.97" in basins.profile_artists.label.get_text()
    # Independently: the minima by the model's own descent (TwoBasin.minima), then a
    # brute-force maximum on a 20,001-point grid along the segment between them.
    model = TwoBasin(0.0)
    simple, cplx = model.minima()
    assert cplx is not None and simple[1] == pytest.approx(0.0) and cplx[1] == pytest.approx(0.0)
    x = np.linspace(simple[0], cplx[0], 20_001)
    u = np.asarray(model.value(x, np.zeros_like(x)), dtype=float)
    brute = float(u.max() - model.value(cplx[0], cplx[1]))
    assert basins.profile.barrier == pytest.approx(brute, abs=2e-3)
    assert f"barrier {brute:.2f}" in basins.profile_artists.label.get_text()


def test_barrier_shrinks_and_the_complex_minimum_rises(basins):
    heights, barriers = [], []
    for value in (0.0, 0.2, 0.4, 0.6, 0.8):
        basins.regularization.value = value
        heights.append(basins.profile.complex_min[1])
        barriers.append(basins.profile.barrier)
        line = basins.profile_artists.line
        np.testing.assert_allclose(
            line.get_ydata(), TwoBasin(regularization=value).value(line.get_xdata(), 0.0)
        )
    assert np.all(np.diff(heights) > 0)
    assert np.all(np.diff(barriers) < 0)


def test_sweep_table_matches_the_model(basins):
    # The stored sweep equals a fresh computation (a slice of it: the full 63 runs
    # take several seconds) and what the widget itself shows at those settings.
    rs = (0.45, 0.6)
    cols = [SWEEP_REGULARIZATIONS.index(r) for r in rs]
    fresh = basin_sweep(rs, SWEEP_SEEDS)
    np.testing.assert_array_equal(fresh, basins.sweep[:, cols])
    for line, row in zip(basins.sweep_artists.seeds, basins.sweep, strict=True):
        np.testing.assert_array_equal(line.get_xdata(), SWEEP_REGULARIZATIONS)
        np.testing.assert_array_equal(line.get_ydata(), row)
    basins.seed.value = 2
    basins.regularization.value = 0.45
    assert basins.fraction_simple == basins.sweep[2, cols[0]]
    basins.seed.value = 0
    mean = basins.sweep.mean(axis=0)
    assert mean[0] == 0.0 and mean[-1] == 1.0 and np.all(np.diff(mean) >= -0.01)


def test_controls_follow_the_conventions(basins, singular):
    reg = basins.regularization
    assert reg.continuous_update is False
    assert (reg.min, reg.max) == (0.0, 1.0)
    assert "gw-landscape-reg" in reg._dom_classes
    for control in (reg, basins.seed, singular.seed):
        assert control.description and control.tooltip


def test_alt_text_follows_the_slider(basins):
    basins.regularization.value = 0.55
    alt = basins.image.alt
    assert "regularization 0.55" in alt
    k = int(basins.settled.in_simple.sum())
    assert f"{k} ({k / 400:.0%})" in alt
    basins.regularization.value = 0.0
    assert basins.image.alt != alt
    assert "all 400 stayed" in basins.image.alt


def test_errors_in_callbacks_are_shown(basins, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("marbles lost")

    monkeypatch.setattr("grokwidgets.basins.settle", broken)  # the model layer rolls them
    basins.regularization.value = 0.15  # not cached: the model is called
    assert "marbles lost" in basins.errors.value
    assert basins.errors.layout.display != "none"
    monkeypatch.undo()
    basins.regularization.value = 0.2
    assert basins.errors.layout.display == "none"


def test_constructor_rejects_bad_settings():
    with pytest.raises(ValueError, match="regularization"):
        BasinsWidget(regularization=2.0)
    with pytest.raises(ValueError, match="seed"):
        SingularityWidget(seed=11)
    with pytest.raises(TypeError, match="n_marbles"):
        BasinsWidget(n_marbles=10.5)


def test_constructor_settings_are_declared_once():
    """Both figures declare their settings in grokwidgets._validation's terms; a bad
    one is the one InvalidParameterError, and n_paths may not exceed n_marbles."""
    from grokwidgets._validation import InvalidParameterError, constraints_of

    for cls in (SingularityWidget, BasinsWidget):
        declared = constraints_of(cls.__init__)
        assert {"seed", "n_marbles", "steps", "temperature"} <= declared.keys()
        for name, constraint in declared.items():
            for bad in constraint.invalid_values()[:2]:
                with pytest.raises(InvalidParameterError, match=name):
                    cls(**{name: bad})
    with pytest.raises(InvalidParameterError, match=r"n_paths .*\[0, 3\]"):
        BasinsWidget(n_marbles=3, n_paths=4)


def test_two_hundred_changes_leak_no_figures():
    gc.collect()
    open_before = plt.get_fignums()
    # Small dynamics and figure keep this quick; the drawing path is the same.
    basins = BasinsWidget(n_marbles=10, steps=100, n_paths=2, width=360, height=240)
    singular = SingularityWidget(n_marbles=3, steps=50, width=360, height=200)
    gc.collect()
    figures_before = sum(isinstance(o, Figure) for o in gc.get_objects())
    frames = basins.image.frames
    values = np.tile(np.linspace(0.0, 1.0, 25), 8)  # 25 computed, then from the cache
    for i, v in enumerate(values):
        basins.regularization.value = float(v)
        if i % 10 == 0:
            singular.seed.value = (singular.seed.value + 1) % 10
    gc.collect()
    assert plt.get_fignums() == open_before
    assert sum(isinstance(o, Figure) for o in gc.get_objects()) == figures_before
    assert basins.image.frames >= frames + 199
    basins.close()
    singular.close()


# --------------------------------------------------------------------------- regular vs singular


def test_singular_widget_draws_the_models_paths(singular):
    for seed in (0, 4):
        singular.seed.value = seed
        rng = np.random.default_rng(seed)
        starts = rng.uniform(-1.6, 1.6, size=(8, 2))
        for name in ("bowl", "valley"):
            want = run_marble(
                singular.potentials[name],
                starts,
                steps=600,
                step_size=0.02,
                temperature=0.01,
                rng=rng,
            )
            arts = singular.path_artists[name]
            for i, line in enumerate(arts.lines):
                np.testing.assert_array_equal(line.get_xdata(), want.positions[:, i, 0])
                np.testing.assert_array_equal(line.get_ydata(), want.positions[:, i, 1])
            np.testing.assert_array_equal(arts.ends.get_xdata(), want.positions[-1, :, 0])
            np.testing.assert_array_equal(arts.starts.get_ydata(), starts[:, 1])


@pytest.mark.parametrize("seed", range(10))
def test_bowl_gathers_marbles_at_a_point_valley_along_a_line(singular, seed):
    ends = singular.compute(seed)
    bowl = ends["bowl"].positions[-1]
    valley = ends["valley"].positions[-1]
    assert np.hypot(bowl[:, 0], bowl[:, 1]).max() < 0.5
    # On the valley floor (near an axis) but spread along it.
    assert np.minimum(np.abs(valley[:, 0]), np.abs(valley[:, 1])).max() < 0.35
    assert np.maximum(np.abs(valley[:, 0]), np.abs(valley[:, 1])).max() > 1.0


def test_singular_alt_text_and_minimum_set(singular):
    singular.seed.value = 0
    alt = singular.image.alt
    assert "one best point" in alt.lower() or "only best point" in alt
    assert "8 marbles" in alt
    singular.seed.value = 1
    assert singular.image.alt != alt
    (star,) = singular.minimum_artists["bowl"]
    np.testing.assert_array_equal(star.get_xydata(), [[0.0, 0.0]])
    x_axis, y_axis = singular.minimum_artists["valley"]
    assert np.all(x_axis.get_ydata() == 0) and np.ptp(x_axis.get_xdata()) == 5.0
    assert np.all(y_axis.get_xdata() == 0) and np.ptp(y_axis.get_ydata()) == 5.0
