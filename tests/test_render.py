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


def test_arguments_are_declared_once_and_refused_by_name():
    """render's checks are grokwidgets._validation declarations: each value a constraint
    forbids is the one InvalidParameterError, naming the argument."""
    from grokwidgets._validation import InvalidParameterError, constraints_of

    def calls():
        fig = new_figure(120, 80)
        rgb = np.zeros((4, 5, 3), dtype=np.uint8)
        yield new_figure, {"width_px": 120, "height_px": 80, "dpi": 100}
        yield encode_png, {"rgb": rgb, "compress_level": 1}
        yield FigureRenderer, {"figure": fig, "compress_level": 1}
        yield FigureRenderer(fig).set_dpr, {"dpr": 2.0}
        yield FigureRenderer(fig).export, {"fmt": "png"}

    for fn, valid in calls():
        declared = constraints_of(getattr(fn, "__init__", fn) if isinstance(fn, type) else fn)
        assert declared.keys() == valid.keys() - {"rgb"}, fn
        for name, constraint in declared.items():
            for bad in constraint.invalid_values():
                with pytest.raises(InvalidParameterError, match=name):
                    fn(**{**valid, name: bad})
