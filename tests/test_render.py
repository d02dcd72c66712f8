"""Rendering a kept Figure to PNG frames."""

import io

import numpy as np
import pytest
from PIL import Image

from grokwidgets.plots.render import FigureRenderer, encode_png, new_figure


def decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def test_encode_png_round_trips():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
    np.testing.assert_array_equal(decode(encode_png(rgb)), rgb)
    with pytest.raises(ValueError, match="rgb"):
        encode_png(rgb.astype(np.float32))


def test_frames_match_a_full_redraw():
    fig = new_figure(300, 200)
    ax = fig.add_subplot()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    (line,) = ax.plot([0, 1], [0, 1], lw=3)
    renderer = FigureRenderer(fig, [line])
    first = decode(renderer.render())
    assert first.shape == (200, 300, 3)
    line.set_data([0, 1], [1, 0])
    blitted = decode(renderer.render())
    assert not np.array_equal(first, blitted)
    # The cached-background frame equals a from-scratch draw of the same state,
    # but where the animated line now crosses the axes frame (drawn over it, not
    # under it): a fraction of a percent of the pixels.
    line.set_animated(False)
    fig.canvas.draw()
    full = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    assert np.mean(np.any(blitted != full, axis=-1)) < 0.002


def test_device_pixel_ratio_scales_the_pixels_not_the_layout():
    fig = new_figure(300, 200)
    renderer = FigureRenderer(fig)
    renderer.set_dpr(2)
    assert decode(renderer.render()).shape == (400, 600, 3)
    assert renderer.css_size == (300, 200)
    with pytest.raises(ValueError, match="dpr"):
        renderer.set_dpr(float("nan"))


@pytest.mark.parametrize("size", [0, -5, 10_000, float("nan")])
def test_new_figure_rejects_bad_sizes(size):
    with pytest.raises(ValueError, match="width_px"):
        new_figure(size, 100)
