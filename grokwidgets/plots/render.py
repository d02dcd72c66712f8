"""Render a kept matplotlib Figure to PNG bytes, fast enough for a slider.

A figure is built once. Its static parts (axes, ticks, labels, legend) are drawn
once into a cached background; each frame restores that background and draws only
the *animated* artists (the lines and marks that change), then encodes the pixels
as PNG with fast compression. For a 700 x 400 px figure this is several times
faster than ``savefig`` (see ``benchmarks/render.py``).

Figures are made with :class:`matplotlib.figure.Figure` and an Agg canvas, never
through pyplot, so they are not registered in pyplot's figure manager and cannot
leak as "open figures".
"""

from __future__ import annotations

import io
import math
import struct
import time
import zlib
from collections.abc import Iterable

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from grokwidgets._validation import (
    InstanceOf,
    Integer,
    InvalidParameterError,
    Options,
    Real,
    describe,
    validate_params,
)

__all__ = ["FigureRenderer", "encode_png", "log_scale", "new_figure"]


#: zlib's levels; 1 is much faster than its default 6 and only modestly larger here.
_LEVEL = Integer(0, 9, joint=True)
#: A figure's side in CSS pixels: from a thumbnail to a large screen.
_SIDE = Real(ge=10, le=4000)
#: What :meth:`FigureRenderer.export` writes.
_MIMES = {"svg": "image/svg+xml", "png": "image/png"}


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


@validate_params({"compress_level": _LEVEL})
def encode_png(rgb: np.ndarray, compress_level: int = 1) -> bytes:
    """Encode an (H, W, 3) uint8 image as PNG, fast.

    No per-row filter and zlib level 1: for flat-coloured line art this is about
    twice as fast as Pillow's encoder at any level (whose adaptive filtering
    dominates the cost) and the file is no larger (``benchmarks/render.py``).
    """
    given = rgb
    try:
        rgb = np.asarray(rgb)
    except (TypeError, ValueError):  # ragged nested lists
        rgb = np.zeros(0)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or 0 in rgb.shape:
        raise InvalidParameterError(
            f"rgb must be a non-empty (H, W, 3) uint8 array, got {describe(given)}"
        )
    h, w, _ = rgb.shape
    raw = np.empty((h, 1 + 3 * w), dtype=np.uint8)
    raw[:, 0] = 0  # filter type 0 (None) for every row
    raw[:, 1:] = rgb.reshape(h, 3 * w)
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw.tobytes(), compress_level))
        + _chunk(b"IEND", b"")
    )


@validate_params({"width_px": _SIDE, "height_px": _SIDE, "dpi": Real(ge=10, le=1000)})
def new_figure(width_px: float, height_px: float, *, dpi: float = 100.0) -> Figure:
    """A Figure of ``width_px`` x ``height_px`` CSS pixels (each in [10, 4000]) with
    an Agg canvas, at ``dpi`` (in [10, 1000]).

    Not registered with pyplot (no ``plt.figure``), so it is freed with its owner.
    """
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _power_of_ten(x: float, _pos: object = None) -> str:
    """``1``, ``10``, ``10²``, ``10⁻³``: a label for a decade tick, ``""`` between decades."""
    if not (x > 0 and math.isfinite(x)):
        return ""
    exponent = math.log10(x)
    if abs(exponent - round(exponent)) > 1e-9:
        return ""
    k = round(exponent)
    return {0: "1", 1: "10"}.get(k, "10" + str(k).translate(_SUPERSCRIPT))


@validate_params({"ax": InstanceOf(Axes, "a matplotlib Axes"), "which": Options(("x", "y"))})
def log_scale(ax: Axes, which: str = "x") -> None:
    """Put ``ax``'s ``which`` axis ("x" or "y") on a log scale, decades labelled 10ⁿ.

    Matplotlib's own log labels are mathtext (``$\\mathdefault{10^{2}}$``): the first
    one a process draws builds the mathtext parser, and each is parsed and laid out
    as a formula. Plain text with Unicode superscripts looks the same and made the
    essay's first full draw about 0.2 s faster per kernel, which every reader of a
    freshly started page waits for.
    """
    axis = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis.set_major_formatter(FuncFormatter(_power_of_ten))
    axis.set_minor_formatter(NullFormatter())


class FigureRenderer:
    """Turn a kept Figure into PNG frames at a given device pixel ratio.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        A figure with an Agg canvas (see :func:`new_figure`).
    animated : iterable of Artist
        The artists that change between frames. Everything else is drawn once
        into the cached background; call :meth:`invalidate` after changing it.
    compress_level : int, default 1
        zlib level for the PNG: 1 is much faster than zlib's default 6 and only
        modestly larger for line art.
    """

    @validate_params(
        {"figure": InstanceOf(Figure, "a matplotlib Figure"), "compress_level": _LEVEL}
    )
    def __init__(
        self, figure: Figure, animated: Iterable[Artist] = (), *, compress_level: int = 1
    ) -> None:
        if not isinstance(figure.canvas, FigureCanvasAgg):
            FigureCanvasAgg(figure)
        self.figure = figure
        self.compress_level = compress_level
        self._base_dpi = float(figure.dpi)
        self._dpr = 1.0
        self._animated: list[Artist] = []
        self._background = None
        self.last_render_ms = math.nan
        self._add_animated(animated, "animated")

    @property
    def css_size(self) -> tuple[int, int]:
        """Width and height in CSS pixels (at device pixel ratio 1)."""
        w, h = self.figure.get_size_inches()
        return round(w * self._base_dpi), round(h * self._base_dpi)

    @property
    def pixel_size(self) -> tuple[int, int]:
        """Width and height of the rendered PNG in device pixels."""
        w, h = self.figure.canvas.get_width_height(physical=True)
        return int(w), int(h)

    @property
    def dpr(self) -> float:
        return self._dpr

    def add_animated(self, artists: Iterable[Artist]) -> None:
        """Mark more artists as animated (drawn every frame, not in the background)."""
        self._add_animated(artists, "artists")

    def _add_animated(self, artists: Iterable[Artist], name: str) -> None:
        try:
            if isinstance(artists, Artist | str | bytes):
                raise TypeError
            artists = list(artists)
        except TypeError:  # not iterable (a 0-d array says so only when iterated)
            raise InvalidParameterError(
                f"{name} must be an iterable of Artists, got {artists!r}"
            ) from None
        for artist in artists:
            if not isinstance(artist, Artist):
                raise InvalidParameterError(f"{name} must hold matplotlib Artists, got {artist!r}")
        for artist in artists:
            artist.set_animated(True)
            self._animated.append(artist)
        self.invalidate()

    @validate_params({"dpr": Real()})
    def set_dpr(self, dpr: float) -> None:
        """Render at ``dpr`` device pixels per CSS pixel (a finite real, clamped to [0.5, 4])."""
        dpr = min(max(dpr, 0.5), 4.0)
        if dpr != self._dpr:
            self._dpr = dpr
            self.figure.set_dpi(self._base_dpi * dpr)
            self.invalidate()

    def invalidate(self) -> None:
        """Forget the cached background: the next frame redraws the static parts."""
        self._background = None

    @validate_params({"fmt": Options(tuple(_MIMES))})
    def export(self, fmt: str = "svg") -> tuple[bytes, str]:
        """The figure as it is now, as ``"svg"`` or ``"png"`` (at twice the CSS size).

        The animated artists are drawn too (a full draw skips them), and the
        cached background is rebuilt afterwards.
        """
        buf = io.BytesIO()
        for artist in self._animated:
            artist.set_animated(False)
        try:
            self.figure.savefig(buf, format=fmt, dpi=self._base_dpi * 2)
        finally:
            for artist in self._animated:
                artist.set_animated(True)
            FigureCanvasAgg(self.figure)  # savefig may have swapped the canvas
            self.figure.set_dpi(self._base_dpi * self._dpr)
            self.invalidate()
        return buf.getvalue(), _MIMES[fmt]

    def render(self) -> bytes:
        """Draw the current state and return it as PNG bytes."""
        start = time.perf_counter()
        canvas = self.figure.canvas
        if not isinstance(canvas, FigureCanvasAgg):  # a savefig elsewhere swapped it
            canvas = FigureCanvasAgg(self.figure)
            self._background = None
        if self._background is None:
            canvas.draw()  # animated artists are skipped by a full draw
            self._background = canvas.copy_from_bbox(self.figure.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self._animated:
            if artist.get_visible() and artist.figure is not None:
                self.figure.draw_artist(artist)
        # Drop alpha (the figure is opaque): 25% fewer bytes to compress and send.
        png = encode_png(np.asarray(canvas.buffer_rgba())[..., :3], self.compress_level)
        self.last_render_ms = (time.perf_counter() - start) * 1e3
        return png
