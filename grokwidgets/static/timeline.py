"""Record the central figure and the structure panel for the static edition.

The learning-curves figure has too many states to store as whole frames: two
sources, a weight decay or a regularization, a step cursor, Play and three curve
toggles. So it is stored in parts, each drawn by matplotlib at build time, and the
page composes them (:attr:`~grokwidgets.widgets.FigureImage.layers`):

- the background of each source (axes, labels, legend);
- per source, weight decay (or regularization) and run type: the loss curves and
  their marks, and the complexity curve, as transparent images;
- per step of the cursor's grid: the cursor line and each cursor dot, small
  images placed where matplotlib drew them (identical images are stored once).

The structure panel, which shares the timeline, is stored as whole frames on a
coarser step grid (:data:`STRUCTURE_STEPS` per source and weight decay: a size
budget). Its alt text and the curves' alt text are recorded per state too.

The page's code (``static_frames.js``, its ``timeline`` mode) keeps the timeline's
rules (a measured weight decay snaps to a shipped run, the step is clamped to the
source's horizon, Play's frames are log-spaced) and only picks and places images.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from grokwidgets.widgets.static_frames import StaticFrames
from grokwidgets.widgets.timeline import PLAY_FRAMES, REG_MAX, REG_MIN, SOURCES, measured_stops

__all__ = ["REG_GRID", "STEP_GRID", "STRUCTURE_STEPS", "record_timeline"]

#: The static edition's regularization stops (drawn source): log10 spacing.
REG_GRID = 0.5
#: The step cursor's stops: log10 spacing (the slider's step in this edition).
STEP_GRID = 0.05
#: How many steps of the cursor's grid the structure panel is recorded at, per
#: source and weight decay (log-spaced, the last at the horizon).
STRUCTURE_STEPS = 4


def reg_stops() -> list[float]:
    """The drawn regularization's stops in the static edition."""
    lo, hi = math.log10(REG_MIN), math.log10(REG_MAX)
    n = round((hi - lo) / REG_GRID)
    return [10 ** (lo + i * REG_GRID) for i in range(n + 1)]


def step_stops(horizon: float) -> list[float]:
    """The step cursor's stops up to ``horizon`` (the last is the horizon)."""
    top = math.log10(horizon)
    n = math.floor(top / STEP_GRID + 1e-9)
    stops = [10 ** (i * STEP_GRID) for i in range(n + 1)]
    if stops[-1] < horizon * (1 - 1e-9):
        stops.append(float(horizon))
    return stops


def _rgba_png(rgba: np.ndarray) -> bytes:
    """A transparent part as a 256-colour PNG (about 3x smaller for the curves, and
    within 0.1 of 255 per channel on average), or as RGBA if that is smaller."""
    from PIL import Image

    im = Image.fromarray(rgba, "RGBA")
    out, full = io.BytesIO(), io.BytesIO()
    im.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(out, format="PNG", optimize=True)
    im.save(full, format="PNG", optimize=True)
    return min(out.getvalue(), full.getvalue(), key=len)


class _Store:
    """Frames stored once each (by content), as base64 PNGs."""

    def __init__(self, optimize: Callable[[bytes], bytes]) -> None:
        self.frames: list[str] = []
        self._index: dict[str, int] = {}
        self._optimize = optimize

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
        return [self.add(key, lambda: _rgba_png(crop)), x0, y0, x1 - x0, y1 - y0]


def _hidden(artists: list[Artist]):
    """Hide ``artists`` for a draw; return a function that shows them again."""
    shown = [(a, a.get_visible()) for a in artists]
    for a in artists:
        a.set_visible(False)

    def restore() -> None:
        for a, v in shown:
            a.set_visible(v)

    return restore


def record_timeline(
    views: list[Any], optimize: Callable[[bytes], bytes], dpr: float, log: Callable[[str], None]
) -> StaticFrames:
    """Record every state of the views sharing one Timeline (see the module doc).

    ``views`` are :class:`~grokwidgets.widgets.CurvesWidget` and
    :class:`~grokwidgets.widgets.StructureWidget` instances with the same timeline.
    Returns the ``timeline``-mode :class:`StaticFrames` the page uses; the views and
    the timeline are put back in their opening state.
    """
    from grokwidgets.widgets.curves import KINDS, CurvesWidget
    from grokwidgets.widgets.structure import StructureWidget

    timeline = views[0].timeline
    curves = [v for v in views if isinstance(v, CurvesWidget)]
    structures = [v for v in views if isinstance(v, StructureWidget)]
    toggles = [(c, n) for c in curves for n in ("show_a", "show_b", "show_complexity")]
    opening = (timeline.source, timeline.regularization, timeline.step)
    opening_toggles = [getattr(c, n).value for c, n in toggles]
    for c, n in toggles:
        getattr(c, n).value = True
    for v in views:
        v.image.renderer.set_dpr(dpr)
        v.image.dpr = dpr
        # Off screen, a FigureImage only marks itself stale: the frames below are
        # rendered here, not once per timeline change by the views themselves.
        v.image.visible = False
    store = _Store(optimize)
    regs = {"measured": list(measured_stops()), "drawn": reg_stops()}
    steps: dict[str, list[float]] = {}
    tables: list[dict[str, Any]] = [{} for _ in views]
    for source in SOURCES:
        timeline.source = source
        steps[source] = step_stops(timeline.horizon)
        last = len(steps[source]) - 1
        coarse = sorted({round(i * last / (STRUCTURE_STEPS - 1)) for i in range(STRUCTURE_STEPS)})
        for ri, reg in enumerate(regs[source]):
            timeline.regularization = reg
            for vi, view in enumerate(views):
                table = tables[vi]
                if isinstance(view, CurvesWidget):
                    _record_curves(view, source, ri, steps[source], timeline, store, table, KINDS)
            for si in coarse:
                timeline.step = steps[source][si]
                for vi, view in enumerate(views):
                    if isinstance(view, StructureWidget):
                        view._update()
                        png = view.image.renderer.render()
                        tables[vi][f"{source}|{ri}|{si}"] = [store.frame(png), view.image.alt]
            for vi, view in enumerate(views):
                if isinstance(view, StructureWidget):
                    tables[vi][f"{source}|{ri}|coarse"] = coarse
    timeline.source = opening[0]
    timeline.regularization = opening[1]
    timeline.step = opening[2]
    for (c, n), value in zip(toggles, opening_toggles, strict=True):
        getattr(c, n).value = value
    for v in views:
        v.image.visible = True
        v.image.draw()

    def ids(view) -> dict[str, Any]:
        k = view.controls
        out = {
            "kind": "curves" if isinstance(view, CurvesWidget) else "structure",
            "image": view.image.model_id,
            "switch": view.switch.model_id,
            "weight_decay": k.weight_decay.model_id,
            "weight_decay_layout": k.weight_decay.layout.model_id,
            "regularization": k.regularization.model_id,
            "regularization_layout": k.regularization.layout.model_id,
            "step": k.step.model_id,
            "play": k.play.model_id,
            "pixels": list(view.image.renderer.pixel_size),
        }
        if isinstance(view, CurvesWidget):
            out.update(
                {n: getattr(view, n).model_id for n in ("show_a", "show_b", "show_complexity")}
            )
        return out

    # In this edition the sliders move along the recorded grids.
    for view in views:
        view.controls.step.step = STEP_GRID
        view.controls.regularization.step = REG_GRID
    sf = StaticFrames(
        mode="timeline",
        timeline={
            "sources": list(SOURCES),
            "step_grid": STEP_GRID,
            "horizons": {s: steps[s][-1] for s in SOURCES},
            "steps": steps,
            "regs": regs,
            "reg_limits": [REG_MIN, REG_MAX],
            "play_frames": PLAY_FRAMES,
            "views": [ids(v) for v in views],
            "tables": tables,
        },
        frames=store.frames,
    )
    size = sum(len(f) for f in store.frames)
    log(
        f"{len(curves)} curves and {len(structures)} structure views: "
        f"{len(store.frames)} images, {size / 1e6:.2f} MB base64"
    )
    return sf


def _record_curves(view, source, ri, steps, timeline, store, table, kinds) -> None:
    fig = view.image.renderer.figure
    arts = view._artists[source]
    animated = [a for kind in kinds for a in arts[kind].all()] + list(view._cursors.values())
    view._update()
    if f"{source}|bg" not in table:
        restore = _hidden(animated)
        view.image.invalidate()
        table[f"{source}|bg"] = store.frame(view.image.renderer.render())
        restore()
    for kind in kinds:
        a = arts[kind]
        complexity = set(map(id, a.complexity_artists))
        loss = [x for x in a.all() if id(x) not in complexity and x is not a.cursor_dots]
        table[f"{source}|{ri}|{kind}|loss"] = store.sprite(fig, loss)
        table[f"{source}|{ri}|{kind}|cx"] = store.sprite(fig, list(a.complexity_artists))
    for si, step in enumerate(steps):
        timeline.step = step
        view._update()
        table[f"{source}|{ri}|{si}|alt"] = view.image.alt
        if ri == 0:
            table[f"{source}|{si}|cursor"] = store.sprite(fig, [view._cursors[source]])
        for kind in kinds:
            dots = arts[kind].cursor_dots
            xs, ys = (np.asarray(d, dtype=float) for d in dots.get_data())
            placed = []
            for x, y in zip(xs, ys, strict=True):
                if math.isfinite(x) and math.isfinite(y):
                    dots.set_data([x], [y])
                    placed.append(store.sprite(fig, [dots]))
            dots.set_data(xs, ys)
            table[f"{source}|{ri}|{si}|{kind}|dots"] = [p for p in placed if p is not None]
