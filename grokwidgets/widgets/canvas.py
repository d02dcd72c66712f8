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

import anywidget
import ipywidgets as widgets
import traitlets
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from grokwidgets.plots.render import FigureRenderer

__all__ = ["ErrorBox", "FigureImage", "draw_held_figures", "shows_errors"]

log = logging.getLogger("grokwidgets")

_ESM = r"""
function render({ model, el }) {
  const img = document.createElement("img");
  img.className = "gw-figure";
  img.style.maxWidth = "100%";
  img.style.height = "auto";
  img.style.display = "block";
  let url = null;
  let frame = 0;
  const size = () => {
    img.width = model.get("css_width");
    img.height = model.get("css_height");
    img.alt = model.get("alt");
  };
  const show = async () => {
    const data = model.get("png");
    if (!data || data.byteLength === 0) return;
    const next = URL.createObjectURL(new Blob([data], { type: "image/png" }));
    size();
    img.src = next;
    try { await img.decode(); } catch (e) { /* a newer frame replaced this one */ }
    if (url) URL.revokeObjectURL(url);
    url = next;
    frame += 1;
    img.dataset.renderMs = String(model.get("render_ms"));
    img.dataset.frame = String(frame);
  };
  let mq = null;
  const report = () => {
    const dpr = window.devicePixelRatio || 1;
    if (model.get("dpr") !== dpr) { model.set("dpr", dpr); model.save_changes(); }
    if (mq) mq.removeEventListener("change", report);
    mq = window.matchMedia(`(resolution: ${dpr}dppx)`);
    mq.addEventListener("change", report);
  };
  // Save buttons: PNG is the frame on screen; SVG is drawn by the kernel on request.
  const bar = document.createElement("div");
  bar.className = "gw-figure-tools";
  bar.style.cssText = "display:flex;gap:4px;justify-content:flex-end;max-width:100%;";
  bar.style.width = model.get("css_width") + "px";
  const save = (blob, ext) => {
    const a = document.createElement("a");
    const href = URL.createObjectURL(blob);
    a.href = href;
    a.download = `${model.get("filename")}.${ext}`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 1000);
  };
  const button = (label, title, onclick) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.className = "gw-save jupyter-button";
    b.style.cssText = "font-size:11px;padding:0 6px;height:20px;line-height:18px;";
    b.addEventListener("click", onclick);
    bar.appendChild(b);
    return b;
  };
  button("PNG", "Save this figure as PNG", () => {
    const data = model.get("png");
    if (data && data.byteLength) save(new Blob([data], { type: "image/png" }), "png");
  });
  button("SVG", "Save this figure as SVG", () => model.send({ type: "export", format: "svg" }));
  const onMessage = (msg, buffers) => {
    if (msg && msg.type === "export" && buffers && buffers.length) {
      save(new Blob([buffers[0]], { type: msg.mime }), msg.format);
    }
  };
  model.on("msg:custom", onMessage);
  // Tell the kernel whether this figure is on (or near) the screen: figures far
  // off screen skip their redraws until scrolled to, so a slider that moves many
  // figures only pays for the ones a reader can see.
  let io = null;
  if ("IntersectionObserver" in window) {
    io = new IntersectionObserver((entries) => {
      const seen = entries.some((e) => e.isIntersecting);
      if (model.get("visible") !== seen) { model.set("visible", seen); model.save_changes(); }
    }, { rootMargin: "300px" });
    io.observe(img);
  }
  model.on("change:png", show);
  model.on("change:alt", size);
  size();  // keep the figure's place in the page before its first frame arrives
  el.appendChild(img);
  el.appendChild(bar);
  report();
  const first = model.get("png");
  if (!first || first.byteLength === 0) model.send({ type: "frame" });  // see draw_held_figures
  show();
  return () => {
    model.off("change:png", show);
    model.off("change:alt", size);
    model.off("msg:custom", onMessage);
    if (io) io.disconnect();
    if (mq) mq.removeEventListener("change", report);
    if (url) URL.revokeObjectURL(url);
  };
}
export default { render };
"""


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


#: FigureImages whose first draw waits for :func:`draw_held_figures` (or their view).
_HELD: list[FigureImage] = []


def _hold_first_draw() -> bool:
    """Whether a new figure should hold its first draw: in a Voila kernel, in a cell.

    Voila runs the whole notebook before the page can start in the browser, and
    each figure's first full draw is the slowest part of building it. Held, those
    draws run after the last cell instead (:func:`draw_held_figures`), while the
    browser loads Voila's front end: a cold page became interactive in 3.3 s instead
    of 3.7 s (medians, ``python3 tasks.py bench page_load``). Voila marks its kernels' environment
    (``VOILA_PREHEAT`` is set in both its fresh and its preheated kernels).
    Elsewhere (JupyterLab, scripts, tests) a figure draws when it is built.
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
    asyncio.get_running_loop().call_soon(image._deferred_draw)


def draw_held_figures() -> int:
    """Draw the figures that are waiting for their first frame; return how many.

    In a kernel that Voila started, figures built by the notebook wait to draw
    (see :func:`_hold_first_draw`). Call this in the notebook's last cell: the
    draws are scheduled to run just after that cell returns, so the kernel draws
    while the browser starts the page. A figure whose view appears first asks for
    its frame itself, so a notebook that never calls this (or stops at an error)
    still shows every figure. Elsewhere nothing is held and this returns 0.

    The figures draw one at a time, in the order they were built, with a pause of a
    few milliseconds between them in which the kernel answers the page.
    """
    held = list(_HELD)
    if held:
        asyncio.get_running_loop().call_soon(_draw_next_held)
    return len(held)


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
    """

    _esm = _ESM
    png = traitlets.Bytes(b"").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)
    dpr = traitlets.Float(1.0).tag(sync=True)
    css_width = traitlets.Int(100).tag(sync=True)
    css_height = traitlets.Int(100).tag(sync=True)
    render_ms = traitlets.Float(0.0).tag(sync=True)
    filename = traitlets.Unicode("grokwidgets-figure").tag(sync=True)
    #: Set by the browser: False while the figure is far off screen (no redraws then).
    visible = traitlets.Bool(True).tag(sync=True)

    def __init__(
        self, figure: Figure, animated: Iterable[Artist] = (), *, alt: str = "", **kwargs
    ) -> None:
        self.renderer = FigureRenderer(figure, animated)
        width, height = self.renderer.css_size
        super().__init__(alt=alt, css_width=width, css_height=height, **kwargs)
        self.errors = ErrorBox()
        self.frames = 0
        self._pending = False
        self.add_class("gw-figure-widget")
        self._stale = False
        self.observe(self._on_dpr_change, names="dpr")
        self.observe(self._on_visible_change, names="visible")
        self.on_msg(self._on_custom_msg)
        self._held = _hold_first_draw()
        if self._held:
            _HELD.append(self)
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

    def request_draw(self) -> None:
        """Ask for a new frame: drawn once the kernel has handled pending messages.

        Outside a running event loop (a script, a test) the frame is drawn at once.
        """
        if self._held:
            return  # its first draw, still to come, shows the state at that time
        if not self.visible:
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
            self.png = png
        self.frames += 1
