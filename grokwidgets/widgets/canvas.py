"""The one way grokwidgets puts a matplotlib figure on screen.

:class:`FigureImage` owns a kept :class:`~grokwidgets.plots.FigureRenderer` and
shows its PNG frames in an ``<img>``. The browser reports its device pixel ratio,
so frames are rendered at the screen's true resolution and shown at their CSS
size: sharp, never upscaled. Redraws are requested, not done on the spot: several
trait changes handled in one pass of the kernel's event loop (a burst of slider
messages, or one change that moves several artists) produce a single frame.
Errors raised while drawing are shown under the figure, never swallowed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

import anywidget
import ipywidgets as widgets
import traitlets
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from grokwidgets._validation import InvalidParameterError
from grokwidgets.plots.narrow import NarrowLayout
from grokwidgets.plots.render import FigureRenderer
from grokwidgets.widgets.controls import synced_trait

__all__ = ["ErrorBox", "FigureImage", "draw_held_figures", "hold_under_voila", "shows_errors"]

log = logging.getLogger("grokwidgets")

#: Columns narrower than this (CSS px) get a figure's narrow layout, NARROW_WIDTH
#: wide: a 700 px figure shrunk below it would show its 8 pt text (11.1 CSS px at
#: 100 dpi) under 10 CSS px.
NARROW_BELOW = 630

#: The browser side of :class:`FigureImage` (an anywidget ES module), package data.
ESM_PATH = Path(__file__).with_name("figure_image.js")


class ErrorBox(widgets.HTML):
    """A line under a widget that shows an error's type and message (not its
    traceback, which could reveal paths on a public page; that goes to the log)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.add_class("gw-error")
        self.layout.display = "none"

    def show(self, exc: BaseException) -> None:
        from html import escape

        self.value = (
            '<div role="alert" style="color:#b00020">Could not update this figure: '
            f"{escape(type(exc).__name__)}: {escape(str(exc))}</div>"
        )
        self.layout.display = None

    def clear(self) -> None:
        if self.layout.display != "none":
            self.value = ""
            self.layout.display = "none"


def shows_errors(method: Callable) -> Callable:
    """Decorate an observer so an exception lands in ``self.errors`` and the log.

    Traitlets observers run inside ipywidgets' message handling, which would only
    log the exception where no reader sees it.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            out = method(self, *args, **kwargs)
        except Exception as exc:
            log.exception("error in %s.%s", type(self).__name__, method.__name__)
            self.errors.show(exc)
            return None
        self.errors.clear()
        return out

    return wrapper


#: FigureImages whose first draw waits, in the order they were built: the same list
#: as :attr:`FigureImage.held_figures` (kept under this name for the benchmarks).
_HELD: list[FigureImage] = []


def hold_under_voila() -> bool:
    """The default hold policy of :class:`FigureImage`: hold in a Voila kernel, in a cell.

    Voila runs the whole notebook before the page can start in the browser, and
    each figure's first full draw is the slowest part of building it. Held, those
    draws run after the last cell instead (:func:`draw_held_figures`), while the
    browser loads Voila's front end: a cold page became interactive in 3.3 s instead
    of 3.7 s (medians, ``python3 tasks.py bench page_load``). Voila marks its kernels'
    environment (``VOILA_PREHEAT`` is set in both its fresh and its preheated kernels),
    and a cell runs inside the kernel's event loop. Elsewhere (JupyterLab, scripts,
    tests) this is False: a figure draws when it is built.
    """
    if "VOILA_PREHEAT" not in os.environ:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _release(image: FigureImage) -> None:
    """Schedule ``image``'s held first draw for when the kernel is next free."""
    with contextlib.suppress(ValueError):
        _HELD.remove(image)
    if image.comm is None:  # closed before it was ever drawn
        image._held = False
        return
    try:
        asyncio.get_running_loop().call_soon(image._deferred_draw)
    except RuntimeError:  # no event loop (a script): draw now
        image._deferred_draw()


def draw_held_figures() -> int:
    """Draw the figures that are waiting for their first frame; return how many.

    Figures built with ``hold=True`` wait to draw; by default (the policy
    :attr:`FigureImage.hold_policy`, :func:`hold_under_voila`) those a notebook builds
    in a kernel that Voila started. Call this in the notebook's last cell: the
    draws are scheduled to run just after that cell returns, so the kernel draws
    while the browser starts the page. A figure whose view appears first asks for
    its frame itself, so a notebook that never calls this (or stops at an error)
    still shows every figure. Elsewhere nothing is held and this returns 0.

    The figures draw one at a time, in the order they were built, with a pause of a
    few milliseconds between them in which the kernel answers the page (outside a
    running event loop, all of them at once, before this returns).
    """
    held = len(_HELD)
    if not held:
        return 0
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # a script that held figures itself: draw them now
        while _HELD:
            image = _HELD.pop(0)
            if image._held and image.comm is not None:
                image._deferred_draw()
            image._held = False
        return held
    loop.call_soon(_draw_next_held)
    return held


#: Pause between two held first draws (s): see _draw_next_held.
_HELD_PAUSE = 0.005


def _draw_next_held() -> None:
    # One figure, then a short pause before the next: the page connects meanwhile,
    # and the kernel's answers to it (kernel info, the widgets' state) are
    # coroutines that need several passes of the event loop each. Chained with
    # call_soon, every one of those passes waited for another figure to draw, so
    # the page's websocket opened only after the last figure (0.5 s later).
    while _HELD:
        image = _HELD.pop(0)
        if image._held and image.comm is not None:
            image._deferred_draw()
            break
        image._held = False
    if _HELD:
        asyncio.get_running_loop().call_later(_HELD_PAUSE, _draw_next_held)


class FigureImage(anywidget.AnyWidget):
    """Show a kept matplotlib Figure as a sharp PNG, redrawn on request.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        Built once by the owner, which keeps its artists and updates them.
    animated : iterable of Artist
        Artists that change between frames (see :class:`FigureRenderer`).
    alt : str
        Text alternative for the image.
    hold : bool or None
        Whether the first draw waits: True keeps the figure blank until
        :func:`draw_held_figures` runs (or its view in the browser asks for a frame,
        so a held figure is never left blank), queued in :attr:`held_figures`;
        False draws it now. None (the default) asks :attr:`hold_policy`.

    Attributes
    ----------
    hold_policy : callable
        ``() -> bool``, deciding ``hold`` when it is None. The default,
        :func:`hold_under_voila`, holds in a Voila kernel while a cell runs, so the
        kernel draws while the browser starts the page. Set it on the class to
        change the policy for every figure built afterwards.
    held_figures : list of FigureImage
        The figures whose first draw is waiting, in the order they were built (one
        list for every FigureImage; :func:`draw_held_figures` empties it).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> image = FigureImage(Figure(figsize=(2, 1)), hold=True)
    >>> image.frames, image in FigureImage.held_figures
    (0, True)
    >>> draw_held_figures()  # outside an event loop: drawn before it returns
    1
    >>> image.frames, FigureImage.held_figures
    (1, [])
    """

    _esm = ESM_PATH
    hold_policy: ClassVar[Callable[[], bool]] = staticmethod(hold_under_voila)
    held_figures: ClassVar[list[FigureImage]] = _HELD
    png = traitlets.Bytes(b"").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)
    dpr = traitlets.Float(1.0).tag(sync=True)
    css_width = traitlets.Int(100).tag(sync=True)
    css_height = traitlets.Int(100).tag(sync=True)
    render_ms = traitlets.Float(0.0).tag(sync=True)
    filename = traitlets.Unicode("grokwidgets-figure").tag(sync=True)
    #: Set by the browser: False while the figure is far off screen (no redraws then).
    visible = traitlets.Bool(True).tag(sync=True)
    #: Images the browser draws over :attr:`png`, in order: dicts with the PNG bytes
    #: (``png``) and its place as fractions of the figure (``left``, ``top``,
    #: ``width``, ``height``). The static edition composes the central figure from
    #: them (see :mod:`grokwidgets.static.timeline`); on the live page it stays empty.
    layers: traitlets.List[dict] = traitlets.List(
        help="Images drawn over the frame (static edition); empty on the live page"
    ).tag(sync=True)
    #: Set by the browser: the width in CSS px the page gives the figure (0: not yet
    #: known). Narrower than :data:`NARROW_BELOW`, the figure takes its narrow layout
    #: (:class:`~grokwidgets.plots.narrow.NarrowLayout`: panels stacked, text at
    #: least 10 CSS px) instead of being shrunk.
    column = traitlets.Int(0, help="Width the page gives the figure, in CSS px").tag(sync=True)
    #: The controls a frame depends on, ``[[model_id, trait], ...]`` (see :meth:`cache_by`).
    key_controls: traitlets.List[list] = traitlets.List(help="Controls the frames depend on").tag(
        sync=True
    )
    #: Those controls' values when :attr:`png` was drawn (then the dpr and CSS width).
    frame_state: traitlets.List[object] = traitlets.List(
        help="Controls' values the frame was drawn at"
    ).tag(sync=True)

    def __init__(
        self,
        figure: Figure,
        animated: Iterable[Artist] = (),
        *,
        alt: str = "",
        hold: bool | None = None,
        **kwargs,
    ) -> None:
        self.renderer = FigureRenderer(figure, animated)
        width, height = self.renderer.css_size
        super().__init__(alt=alt, css_width=width, css_height=height, **kwargs)
        self.errors = ErrorBox()
        self.frames = 0
        self._pending = False
        self.add_class("gw-figure-widget")
        self._stale = False
        self._narrow: NarrowLayout | None = None
        self._key_widgets: list[tuple[widgets.Widget, str]] = []
        self.observe(self._on_dpr_change, names="dpr")
        self.observe(self._on_column_change, names="column")
        self.observe(self._on_visible_change, names="visible")
        self.on_msg(self._on_custom_msg)
        self._held = bool(type(self).hold_policy() if hold is None else hold)
        if self._held:
            self.held_figures.append(self)
        else:
            self.draw()

    @traitlets.validate("dpr")
    def _valid_dpr(self, proposal):
        value = proposal["value"]
        # A browser may report odd zoom levels; keep the render size sane.
        return min(max(value, 0.5), 4.0) if value == value else 1.0

    @shows_errors
    def _on_dpr_change(self, change) -> None:
        self.renderer.set_dpr(change["new"])
        self.request_draw()

    def cache_by(self, controls: Iterable[widgets.Widget]) -> None:
        """Declare that this figure's frames depend only on ``controls``' values.

        The browser then keeps the frames it was sent, by those values, and shows
        one again at once when the controls return to a state it has seen, before
        the kernel's frame arrives (which replaces it). Call it again when the
        controls that matter change (say, a slider shown in place of another).
        """
        pairs = []
        for c in controls:
            if not isinstance(c, widgets.Widget):
                raise InvalidParameterError(f"controls must hold widgets, got {c!r}")
            pairs.append((c, synced_trait(c)))
        self._key_widgets = pairs
        self.key_controls = [[c.model_id, trait] for c, trait in pairs]

    def _frame_state(self) -> list:
        values = [c.get_state(key=[trait])[trait] for c, trait in self._key_widgets]
        return [*values, self.dpr, self.css_width] if values else []

    @shows_errors
    def _on_column_change(self, change) -> None:
        narrow = 0 < change["new"] < NARROW_BELOW
        if self._narrow is None:
            if not narrow:
                return
            self._narrow = NarrowLayout(self.renderer.figure)
        if narrow == self._narrow.narrow:
            return
        self._narrow.apply(narrow)
        self.renderer.invalidate()
        width, height = self.renderer.css_size
        with self.hold_sync():
            self.css_width, self.css_height = width, height
        # Drawn even off screen: a phone reader scrolling to it finds it laid out.
        self.request_draw(offscreen=True)

    @shows_errors
    def _on_visible_change(self, change) -> None:
        if change["new"] and self._stale:
            self.request_draw()

    def _on_custom_msg(self, widget, content, buffers) -> None:
        if isinstance(content, dict) and content.get("type") == "frame":
            # A view with no frame to show (its first draw is held): draw it now.
            if self._held:
                _release(self)
            return
        if isinstance(content, dict) and content.get("type") == "export":
            try:
                data, mime = self.export(content.get("format", "svg"))
            except Exception as exc:
                log.exception("export failed")
                self.errors.show(exc)
                return
            fmt = content.get("format", "svg")
            self.send({"type": "export", "format": fmt, "mime": mime}, buffers=[data])

    def export(self, fmt: str = "svg") -> tuple[bytes, str]:
        """The current figure as ``"svg"`` or ``"png"`` (at 2x) bytes, and its MIME type."""
        return self.renderer.export(fmt)

    def invalidate(self) -> None:
        """Redraw the static background on the next frame (after a layout change)."""
        self.renderer.invalidate()

    def request_draw(self, *, offscreen: bool = False) -> None:
        """Ask for a new frame: drawn once the kernel has handled pending messages.

        Outside a running event loop (a script, a test) the frame is drawn at once.
        A figure far off screen is drawn when it comes into view, unless
        ``offscreen`` is True.
        """
        if self._held:
            return  # its first draw, still to come, shows the state at that time
        if not (self.visible or offscreen):
            self._stale = True  # drawn when it comes into view
            return
        if self._pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.draw()
            return
        self._pending = True
        loop.call_soon(self._deferred_draw)

    def _deferred_draw(self) -> None:
        self._pending = False
        self._held = False
        try:
            self.draw()
        except Exception as exc:  # shown, not lost in the event loop's handler
            log.exception("error drawing figure")
            self.errors.show(exc)

    def draw(self) -> None:
        """Draw a frame now and send it to the browser."""
        self._stale = False
        if self._held:  # drawn before its turn: nothing left to hold
            self._held = False
            with contextlib.suppress(ValueError):
                _HELD.remove(self)
        png = self.renderer.render()
        with self.hold_sync():  # one message to the browser, not one per trait
            self.render_ms = round(self.renderer.last_render_ms, 2)
            self.frame_state = self._frame_state()
            self.png = png
        self.frames += 1
