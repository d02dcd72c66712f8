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

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from grokwidgets.static.encode import FrameStore, hidden
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


class _Sentences:
    """Alt texts stored as lists of sentences, each sentence once: the texts of one run
    differ only in the sentence that reads the curves at the cursor (a third of the
    size). The page joins them with spaces."""

    def __init__(self) -> None:
        self.sentences: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, text: str) -> list[int]:
        parts = re.split(r"(?<=\.) ", text)
        if " ".join(parts) != text:  # not single-spaced: kept whole
            parts = [text]
        out = []
        for part in parts:
            if part not in self._index:
                self._index[part] = len(self.sentences)
                self.sentences.append(part)
            out.append(self._index[part])
        return out


def record_timeline(
    views: list[Any],
    optimize: Callable[[bytes], bytes],
    dpr: float,
    log: Callable[[str], None],
    layout: str = "wide",
    column: int = 0,
) -> StaticFrames:
    """Record every state of the views sharing one Timeline (see the module doc).

    ``views`` are :class:`~grokwidgets.widgets.CurvesWidget` and
    :class:`~grokwidgets.widgets.StructureWidget` instances with the same timeline.
    ``layout`` names the layout the views take in a ``column`` that wide (CSS px; 0
    for the wide layout; see :data:`grokwidgets.static.frames.LAYOUTS`). Returns the
    ``timeline``-mode :class:`StaticFrames` the page uses; the views and the timeline
    are put back in their opening state (in that layout).
    """
    from grokwidgets.widgets.canvas import NARROW_BELOW
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
        v.image.column = column
        # Off screen, a FigureImage only marks itself stale: the frames below are
        # rendered here, not once per timeline change by the views themselves.
        v.image.visible = False
    store = FrameStore(optimize)
    regs = {"measured": list(measured_stops()), "drawn": reg_stops()}
    steps: dict[str, list[float]] = {}
    tables: list[dict[str, Any]] = [{} for _ in views]
    texts = _Sentences()
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
                    _record_curves(
                        view, source, ri, steps[source], timeline, store, texts, table, KINDS
                    )
            for si in coarse:
                timeline.step = steps[source][si]
                for vi, view in enumerate(views):
                    if isinstance(view, StructureWidget):
                        view._update()
                        png = view.image.renderer.render()
                        alt = texts.add(view.image.alt)
                        tables[vi][f"{source}|{ri}|{si}"] = [store.frame(png), alt]
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
            "css": [view.image.css_width, view.image.css_height],
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
            "sentences": texts.sentences,
        },
        frames=store.frames,
        layout=layout,
        narrow_below=NARROW_BELOW,
    )
    size = sum(len(f) for f in store.frames)
    log(
        f"{len(curves)} curves and {len(structures)} structure views: "
        f"{len(store.frames)} images, {size / 1e6:.2f} MB base64"
    )
    return sf


def _record_curves(view, source, ri, steps, timeline, store, texts, table, kinds) -> None:
    fig = view.image.renderer.figure
    arts = view._artists[source]
    animated = [a for kind in kinds for a in arts[kind].all()] + list(view._cursors.values())
    view._update()
    if f"{source}|bg" not in table:
        restore = hidden(animated)
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
        table[f"{source}|{ri}|{si}|alt"] = texts.add(view.image.alt)
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
