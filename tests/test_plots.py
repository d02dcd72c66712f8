"""The plot layer on its own: each drawing function returns the artists it put on the
Axes, and their data is exactly the input (no widget in between)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from grokwidgets.curves import learning_curves
from grokwidgets.landscape import TwoBasin, evaluate_grid, run_marble, settle
from grokwidgets.plots import curves as pc
from grokwidgets.plots import landscape as pl
from grokwidgets.plots import render as pr


@pytest.fixture
def ax():
    fig = Figure(figsize=(4, 3))
    return fig.add_subplot()


def _on(ax, artist) -> bool:
    return artist in ax.get_children()


def test_draw_curves_returns_its_artists_holding_the_result(ax):
    result = learning_curves("B", 1.0)
    cax = pc.setup_curve_axes(ax, horizon=float(result.steps[-1]))
    artists = pc.draw_curves(ax, cax, result)
    for artist in (artists.train_loss, artists.test_loss, artists.memorization):
        assert _on(ax, artist)
    assert _on(cax, artists.complexity)
    np.testing.assert_array_equal(artists.train_loss.get_xdata(), result.steps)
    np.testing.assert_array_equal(artists.train_loss.get_ydata(), result.train_loss)
    np.testing.assert_array_equal(artists.test_loss.get_ydata(), result.test_loss)
    np.testing.assert_array_equal(artists.complexity.get_ydata(), result.complexity)
    assert list(artists.memorization.get_xdata()) == [result.memorization_step] * 2
    assert artists.transition.get_visible() == (result.transition_step is not None)
    other = learning_curves("B", 0.3)
    pc.update_curves(artists, other, step=100.0)
    np.testing.assert_array_equal(artists.test_loss.get_ydata(), other.test_loss)
    values = other.value_at(100.0)
    np.testing.assert_allclose(
        artists.cursor_dots.get_ydata(), [values["train_loss"], values["test_loss"]]
    )


def test_cursor_is_drawn_where_asked(ax):
    cursor = pc.draw_cursor(ax)
    assert _on(ax, cursor)
    pc.update_cursor(cursor, 123.0)
    assert set(np.asarray(cursor.get_xdata(), dtype=float)) == {123.0}


def test_draw_potential_shows_the_grid(ax):
    grid = evaluate_grid(TwoBasin(0.2))
    image = pl.draw_potential(ax, grid, vmax=2.0, bands=8)
    assert _on(ax, image)
    np.testing.assert_array_equal(image.get_array(), grid.value)
    assert image.get_extent() == [grid.x[0], grid.x[-1], grid.y[0], grid.y[-1]]
    other = evaluate_grid(TwoBasin(0.6))
    pl.update_potential(image, other)
    np.testing.assert_array_equal(image.get_array(), other.value)


def test_paths_hold_each_marbles_positions(ax):
    starts = np.array([[2.0, 0.5], [-1.0, 1.0], [0.5, -1.5]])
    trajectory = run_marble(TwoBasin(0.1), starts, steps=50, rng=np.random.default_rng(0))
    artists = pl.draw_paths(ax, len(starts))
    assert all(_on(ax, a) for a in artists.all())
    pl.update_paths(artists, trajectory)
    pos = trajectory.positions
    for i, line in enumerate(artists.lines):
        np.testing.assert_array_equal(line.get_xydata(), pos[:, i, :])
    np.testing.assert_array_equal(artists.starts.get_xydata(), pos[0])
    np.testing.assert_array_equal(artists.ends.get_xydata(), pos[-1])
    with pytest.raises(ValueError, match="expected 2 marbles, got 3"):
        pl.update_paths(pl.draw_paths(ax, 2), trajectory)


def test_marbles_split_by_basin(ax):
    rng = np.random.default_rng(0)
    settled = settle(TwoBasin(0.05), rng.uniform(-1.0, 3.0, size=(40, 2)), rng=rng)
    artists = pl.draw_marbles(ax)
    assert _on(ax, artists.simple) and _on(ax, artists.complex)
    pl.update_marbles(artists, settled)
    np.testing.assert_array_equal(artists.simple.get_offsets(), settled.final[settled.in_simple])
    np.testing.assert_array_equal(artists.complex.get_offsets(), settled.final[~settled.in_simple])


def test_profile_is_the_potential_on_the_axis(ax):
    model = TwoBasin(0.0)
    profile = pl.axis_profile(model)
    np.testing.assert_allclose(profile.value, model.value(profile.x, 0.0))
    artists = pl.draw_profile(ax, profile, ylim=(-1.5, 1.5))
    assert all(_on(ax, a) for a in artists.all())
    pl.update_profile(artists, profile)
    np.testing.assert_array_equal(artists.line.get_xdata(), profile.x)
    np.testing.assert_array_equal(artists.line.get_ydata(), profile.value)


def test_encode_png_round_trips_the_pixels():
    import io

    import matplotlib.image as mpimg

    rgb = np.random.default_rng(1).integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    png = pr.encode_png(rgb)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    back = mpimg.imread(io.BytesIO(png), format="png")
    np.testing.assert_array_equal(np.round(back[..., :3] * 255).astype(np.uint8), rgb)


def test_new_figure_has_the_pixel_size_asked():
    fig = pr.new_figure(640, 360)
    width, height = fig.get_size_inches() * fig.dpi
    assert (round(width), round(height)) == (640, 360)
