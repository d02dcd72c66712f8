"""How the static edition stores frames (grokwidgets.static.encode)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from grokwidgets.static.encode import (
    MAX_MEAN_SHIFT,
    MAX_SHIFT,
    FrameStore,
    encode_frame,
    faithful,
    hidden,
    webp,
)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=200)
    return buf.getvalue()


def _pixels(data: bytes, mode: str = "RGB") -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert(mode), dtype=np.int16)


@pytest.fixture
def figure() -> Figure:
    fig = Figure(figsize=(4, 2.5))
    FigureCanvasAgg(fig)  # as every figure of the package has (plots.new_figure)
    ax = fig.subplots()
    x = np.linspace(0, 6, 200)
    ax.plot(x, np.sin(x), label="sin")
    ax.plot(x, np.cos(x), color="#c1272d", label="cos")
    ax.legend()
    ax.set_title("two curves")
    return fig


def test_faithful_reads_its_declared_limits():
    base = np.full((10, 10, 3), 128, dtype=np.uint8)
    one_pixel = base.copy()
    one_pixel[0, 0, 0] += MAX_SHIFT + 1  # a single pixel, too far
    assert faithful(base, base)
    assert not faithful(one_pixel, base)
    shifted = base + np.uint8(int(np.ceil(MAX_MEAN_SHIFT)))  # every pixel, a little
    assert not faithful(shifted, base)


def test_a_frame_is_a_faithful_lossless_webp_and_smaller(figure):
    png = _png(figure)
    data = encode_frame(png)
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert len(data) < len(png)
    shown, drawn = _pixels(data), _pixels(png)
    assert shown.shape == drawn.shape
    assert faithful(shown.astype(np.uint8), drawn.astype(np.uint8))


def test_webp_is_lossless_with_and_without_transparency():
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, size=(17, 23, 4), dtype=np.uint8)
    im = Image.fromarray(rgba, "RGBA")
    back = _pixels(webp(im, alpha=True), "RGBA")
    np.testing.assert_array_equal(back[..., 3], rgba[..., 3])
    seen = rgba[..., 3] > 0  # what is under a transparent pixel is not kept
    np.testing.assert_array_equal(back[seen], rgba[seen])
    np.testing.assert_array_equal(_pixels(webp(im)), rgba[..., :3])


def test_store_keeps_each_frame_once(figure):
    store = FrameStore()
    png = _png(figure)
    assert store.frame(png) == store.frame(png) == 0
    assert len(store.frames) == 1
    figure.axes[0].set_title("another")
    assert store.frame(_png(figure)) == 1
    assert base64.b64decode(store.frames[0])[:4] == b"RIFF"


def test_sprite_is_the_artists_alone_where_they_were_drawn(figure):
    figure.set_dpi(100)
    figure.canvas.draw()
    line = figure.axes[0].lines[1]
    store = FrameStore()
    ref = store.sprite(figure, [line])
    assert ref is not None
    index, x, y, w, h = ref
    part = _pixels(base64.b64decode(store.frames[index]), "RGBA")
    assert part.shape == (h, w, 4)
    # The part is the red line, on transparency, inside the axes.
    colours, counts = np.unique(part[part[..., 3] > 0][:, :3], axis=0, return_counts=True)
    np.testing.assert_array_equal(colours[counts.argmax()], [0xC1, 0x27, 0x2D])
    box = figure.axes[0].get_window_extent()
    height = figure.canvas.get_width_height()[1]
    assert box.x0 - 2 <= x and x + w <= box.x1 + 2
    assert height - box.y1 - 2 <= y and y + h <= height - box.y0 + 2
    # Nothing drawn: no part.
    line.set_visible(False)
    assert store.sprite(figure, [line]) is None


def test_hidden_restores_what_was_shown(figure):
    a, b = figure.axes[0].lines
    b.set_visible(False)
    restore = hidden([a, b])
    assert not a.get_visible() and not b.get_visible()
    restore()
    assert a.get_visible() and not b.get_visible()
