"""How the static edition stores recorded frames: few colours, lossless WebP, each once.

Frames are stored base64-encoded in scripts (a page opened from file:// can load a
script but cannot fetch a file), so every byte saved is a third more in the site.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure

__all__ = [
    "MAX_MEAN_SHIFT",
    "MAX_SHIFT",
    "FrameStore",
    "encode_frame",
    "faithful",
    "hidden",
    "webp",
]


#: A reduced palette is kept only if no pixel moves more than this in any channel (of
#: 255): a few pixels can matter (a legend's sample line, in a colour of its own).
MAX_SHIFT = 48
#: ... and the mean shift stays under this.
MAX_MEAN_SHIFT = 0.4


def faithful(reduced: np.ndarray, pixels: np.ndarray) -> bool:
    """Whether ``reduced`` (an image after a palette reduction) keeps ``pixels``' colours:
    every pixel within :data:`MAX_SHIFT`, and on average within :data:`MAX_MEAN_SHIFT`."""
    diff = np.abs(reduced.astype(np.int16) - pixels.astype(np.int16))
    return bool(diff.max(initial=0) <= MAX_SHIFT and diff.mean() < MAX_MEAN_SHIFT)


#: Palette reductions tried in turn (colours, method), the smallest results first.
#: Median cut keeps most frames faithful with 64 colours; where it merges a small
#: feature's colour into another (say, a legend's sample line whose curve is drawn as
#: a separate part), maximum coverage often keeps it.
PALETTES = (
    (64, "MEDIANCUT"),
    (64, "MAXCOVERAGE"),
    (256, "MEDIANCUT"),
    (256, "MAXCOVERAGE"),
)


def _quantize(png: bytes):
    """The frame with the first of :data:`PALETTES` that is :func:`faithful`, else
    with all its colours."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        rgb = im.convert("RGB")
    pixels = np.asarray(rgb)
    for colors, method in PALETTES:
        q = rgb.quantize(colors=colors, method=Image.Quantize[method], dither=Image.Dither.NONE)
        if faithful(np.asarray(q.convert("RGB")), pixels):
            return q
    return rgb


def webp(image, *, alpha: bool = False) -> bytes:
    """``image`` (a PIL image) as a lossless WebP, with its transparency if ``alpha``.

    Lossless WebP of the same pixels is 25-30% smaller than an optimized PNG for the
    essay's frames (palette or not, with or without transparency), and every browser
    the editions support decodes it. Effort 4 of 6: 6 gains under 1% for 40x the time.
    """
    out = io.BytesIO()
    image.convert("RGBA" if alpha else "RGB").save(
        out, format="WEBP", lossless=True, quality=100, method=4
    )
    return out.getvalue()


def encode_frame(png: bytes) -> bytes:
    """A recorded frame as the page stores it: its colours reduced where that stays
    faithful (see :func:`_quantize`), then a lossless WebP."""
    return webp(_quantize(png))


def _rgba_frame(rgba: np.ndarray) -> bytes:
    """A transparent part as a lossless WebP: of its 256-colour version where that is
    :func:`faithful` and smaller (about 3x, for the curves), else of all its colours."""
    from PIL import Image

    im = Image.fromarray(rgba, "RGBA")
    full = webp(im, alpha=True)
    few = im.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    if not faithful(np.asarray(few.convert("RGBA")), rgba):
        return full
    return min(webp(few, alpha=True), full, key=len)


class FrameStore:
    """Frames stored once each (by content), base64-encoded, as the page gets them.

    :meth:`frame` stores a whole frame (encoded by ``optimize``); :meth:`sprite`
    draws some artists alone and stores the transparent part they cover. Both
    return indices into :attr:`frames`.
    """

    def __init__(self, optimize: Callable[[bytes], bytes] | None = None) -> None:
        self.frames: list[str] = []
        self._index: dict[str, int] = {}
        self._optimize = optimize or encode_frame

    def add(self, key: bytes, make: Callable[[], bytes]) -> int:
        digest = hashlib.sha1(key).hexdigest()
        if digest not in self._index:
            self._index[digest] = len(self.frames)
            self.frames.append(base64.b64encode(make()).decode("ascii"))
        return self._index[digest]

    def frame(self, png: bytes) -> int:
        return self.add(png, lambda: self._optimize(png))

    def sprite(self, figure: Figure, artists: list[Artist]) -> list[int] | None:
        """Draw ``artists`` alone on a transparent canvas: [frame, x, y, w, h] (device
        pixels) of the smallest box holding them, or None if nothing is drawn."""
        canvas = figure.canvas
        renderer = canvas.get_renderer()  # type: ignore[attr-defined]
        renderer.clear()
        for artist in artists:
            if artist.get_visible():
                figure.draw_artist(artist)
        rgba = np.asarray(canvas.buffer_rgba())  # type: ignore[attr-defined]
        ys, xs = np.nonzero(rgba[..., 3])
        if len(xs) == 0:
            return None
        y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
        crop = np.ascontiguousarray(rgba[y0:y1, x0:x1])
        key = crop.tobytes() + f"{crop.shape}".encode()
        return [self.add(key, lambda: _rgba_frame(crop)), x0, y0, x1 - x0, y1 - y0]


def hidden(artists: list[Artist]) -> Callable[[], None]:
    """Hide ``artists`` for a draw; return a function that shows them again."""
    shown = [(a, a.get_visible()) for a in artists]
    for a in artists:
        a.set_visible(False)

    def restore() -> None:
        for a, v in shown:
            a.set_visible(v)

    return restore
