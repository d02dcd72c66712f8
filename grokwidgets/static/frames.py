"""Record the frames the static edition needs, in the kernel that ran the essay.

:func:`attach` is called by ``scripts/build_site.py`` after the essay's cells ran.
For each figure it knows (:data:`PLANS`), it sets the figure's controls to every
state of a discrete grid, lets the figure redraw with matplotlib at device pixel
ratio 2, and records what changed in the figure's widgets (PNG and alt text,
readouts, a slider's range) in a :class:`~grokwidgets.widgets.static_frames.StaticFrames`.
Then it puts every control back, so the embedded state is the essay's opening state.
Controls that need a kernel (buttons that train or measure, a fresh seed) are
disabled with one line saying they work in the live edition; so are the controls
of figures with no frames yet.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np

from grokwidgets.plots.narrow import NARROW_WIDTH
from grokwidgets.static.encode import FrameStore, encode_frame, hidden
from grokwidgets.static.timeline import record_timeline
from grokwidgets.widgets.canvas import NARROW_BELOW, FigureImage
from grokwidgets.widgets.controls import synced_trait
from grokwidgets.widgets.static_frames import StaticFrames

__all__ = ["LIVE_URL", "Plan", "attach", "state_key"]

#: The live (Voila on Binder) edition, linked from disabled controls.
LIVE_URL = "https://mybinder.org/v2/gh/grokwidgets/grokwidgets/main?urlpath=voila/render/essay/grokking.ipynb"
#: Device pixel ratio of every recorded frame (sharp on phones and high-DPI screens).
DPR = 2.0
#: The layouts every figure is recorded in, by the column (CSS px) that gives each:
#: the wide one, and the narrow one a phone's column gets (FigureImage.column). The
#: page loads only the frames of the layout its column takes.
LAYOUTS = {"narrow": NARROW_WIDTH, "wide": 0}
#: Figures that follow a shared Timeline (see :mod:`grokwidgets.static.timeline`).
TIMELINE_VIEWS = ("CurvesWidget", "StructureWidget")
#: Traits never recorded: the browser's own reports and timings.
_SKIP = {
    "dpr",
    "visible",
    "render_ms",
    "_dom_classes",
    "comm",
    "keys",
    "log",
    "column",
    "frame_state",
    "key_controls",
}


def state_key(values: list) -> str:
    """A state's key: the controls' synced values, formatted as the page's JS does."""
    out = []
    for v in values:
        if v is None:
            out.append("")
        elif isinstance(v, bool):
            out.append("1" if v else "0")
        elif isinstance(v, int | float | np.integer | np.floating):
            x = float(v)
            out.append(str(int(x)) if x.is_integer() else repr(round(x, 6)))
        else:
            out.append(str(v))
    return "|".join(out)


def _walk(w: widgets.Widget, parent=None, seen=None) -> Iterator[tuple[widgets.Widget, Any]]:
    """``w`` and every widget it refers to (children, layout, style), with parents."""
    seen = set() if seen is None else seen
    if id(w) in seen:
        return
    seen.add(id(w))
    yield w, parent
    for name in w.keys:
        if name in _SKIP or name == "png":
            continue
        value = getattr(w, name, None)
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if isinstance(item, widgets.Widget):
                yield from _walk(item, w, seen)


#: One recorded state: (model_id, trait) to the trait's value as JSON text, and
#: (model_id, "png") to each figure's PNG bytes.
_Snap = dict[tuple[str, str], Any]


def _snapshot(members: list[widgets.Widget]) -> _Snap:
    snap: _Snap = {}
    for w in members:
        keys = [k for k in w.keys if k not in _SKIP and k != "png" and not k.startswith("_")]
        for k, v in w.get_state(key=keys).items():
            snap[(w.model_id, k)] = json.dumps(v, sort_keys=True)
    return snap


def _note(text: str) -> widgets.HTML:
    note = widgets.HTML(
        f'<span class="gw-static-note-text">{text} <a href="{LIVE_URL}" target="_blank" '
        'rel="noopener">Open the live edition</a>.</span>'
    )
    note.add_class("gw-static-note")
    return note


@dataclass
class Plan:
    """How to record one kind of figure.

    ``states(widget)`` yields the grid: each state a list of (control, value) in
    the order they are set. ``kernel_only(widget)`` lists controls to disable.
    """

    states: Callable[[Any], list[list[tuple[widgets.Widget, Any]]]]
    kernel_only: Callable[[Any], list[widgets.Widget]] = lambda w: []
    why: str = "Training and measuring fresh runs needs a kernel: they work in the live edition."
    #: Settings with no recorded state, to record what the page shows for any such.
    missing: Callable[[Any], list[tuple[widgets.Widget, Any]] | None] = lambda w: None
    after_missing: Callable[[Any], None] = lambda w: None
    #: Other figures the same controls move (a shared Timeline), recorded too.
    linked: Callable[[Any, list], list[widgets.Widget]] = lambda w, tops: []
    #: Groups of a figure's artists stored apart, each as a part the page draws over a
    #: frame recorded without them: a cursor (one frame per run, not one per
    #: checkpoint), or a panel that depends on one control of two (parts for 8 + 3
    #: states, not frames for 8 x 3). A part is stored once however many states show it.
    sprites: Callable[[Any], dict[FigureImage, list[list]]] = lambda w: {}


def _product(*axes: tuple[widgets.Widget, list]) -> list[list[tuple[widgets.Widget, Any]]]:
    controls = [c for c, _ in axes]
    return [
        list(zip(controls, vals, strict=True)) for vals in itertools.product(*(v for _, v in axes))
    ]


def _slider_stops(s: widgets.Widget) -> list:
    n = round((s.max - s.min) / s.step)
    return [round(s.min + i * s.step, 10) for i in range(n + 1)]


def _options(d: widgets.Widget) -> list:
    return [v for _, v in d._options_full] if hasattr(d, "_options_full") else list(d.options)


def _thin(control: widgets.Widget, most: int) -> list:
    """Keep at most ``most`` of a selection slider's options (evenly, ends and value kept)."""
    options = list(control.options)
    if len(options) <= most:
        return _options(control)
    keep = sorted({round(i * (len(options) - 1) / (most - 1)) for i in range(most)})
    value = control.value
    kept = [options[i] for i in keep]
    values = [o[1] if isinstance(o, tuple) else o for o in kept]
    if value not in values:
        kept.append(options[_options(control).index(value)])
        kept.sort(key=options.index)
    control.options = kept
    control.value = value
    return _options(control)


def _basins_states(w):
    # The 21 regularization stops at the opening seed (a site budget: 1.5 MB).
    return [[(w.regularization, r)] for r in _slider_stops(w.regularization)]


def _lab_states(w):
    from grokwidgets.runs import available_runs

    seeds = set(_options(w.seed))
    wds = set(_options(w.weight_decay))
    # Seed 0's shipped runs (6 weight decays), every other checkpoint: a site budget.
    runs = [
        c for c in available_runs() if c.seed == 0 and c.weight_decay in wds and c.seed in seeds
    ]
    w.checkpoint.step = 2
    states = []
    for c in sorted(runs, key=lambda c: (c.weight_decay, c.seed)):
        base = [
            (w.train_fraction, c.train_fraction),
            (w.op, c.op),
            (w.weight_decay, c.weight_decay),
            (w.seed, c.seed),
        ]
        w.train_fraction.value = c.train_fraction
        w.op.value = c.op
        w.weight_decay.value = c.weight_decay
        w.seed.value = c.seed
        states += [[*base, (w.checkpoint, i)] for i in range(0, w.checkpoint.max + 1, 2)]
    return states


def _lab_after_missing(w):
    # Settings with no shipped run: the page dims the figures and says so.
    w.status.value = (
        "No precomputed run for these settings in this edition: training it needs a "
        "kernel (the live edition)."
    )


PLANS: dict[str, Plan] = {
    "SingularityWidget": Plan(lambda w: _product((w.seed, _options(w.seed)))),
    "BasinsWidget": Plan(
        _basins_states,
        kernel_only=lambda w: [w.seed],
        why="New random starting points need a kernel: they work in the live edition.",
    ),
    "LabWidget": Plan(
        _lab_states,
        kernel_only=lambda w: [w.train_button, w.stop_button],
        why="Training a run needs a kernel: it works in the live edition.",
        missing=lambda w: [(w.op, "-")],  # no shipped run subtracts
        after_missing=_lab_after_missing,
        # The history's cursor moves with the checkpoint: one frame per run.
        sprites=lambda w: {w.history_image: [list(w.history_artists.cursors)]},
    ),
    "ComplexityWidget": Plan(
        lambda w: _product((w.choice, _options(w.choice))),
        kernel_only=lambda w: [w.fresh_seed, w.measure_button, w.stop_button],
        why="Measuring a fresh run needs a kernel: it works in the live edition.",
    ),
}


def _evidence_plans() -> None:
    """Evidence widgets: every option of each of their selection controls."""

    def grid(w):
        axes = []
        for name in ("axis", "weight_decay", "train_fraction", "level", "step", "case"):
            c = getattr(w, name, None)
            if isinstance(c, widgets.SelectionSlider):
                axes.append((c, _thin(c, 8)))
            elif isinstance(c, widgets.Widget) and hasattr(c, "options"):
                axes.append((c, _options(c)))
            elif isinstance(c, widgets.IntSlider | widgets.FloatSlider):
                axes.append((c, _slider_stops(c)))
        return _product(*axes)

    # Panels that depend on one control each, and a cursor: stored as parts.
    sprites = {
        "EstimatorTrustWidget": lambda w: {w.image: [[w.ax_net], [w.ax_toy]]},
        "PhaseDiagramWidget": lambda w: {
            w.image: [[w.cells.selection], [w.title, *(x for pair in w.curves for x in pair)]]
        },
    }
    for name in ("SweepWidget", "PhaseDiagramWidget", "LLCLossWidget", "EstimatorTrustWidget"):
        PLANS.setdefault(name, Plan(grid, sprites=sprites.get(name, lambda w: {})))


_evidence_plans()


def _set(control: widgets.Widget, value: Any) -> None:
    if control.value != value:
        control.value = value


def _record(
    top: widgets.Widget,
    plan: Plan,
    log: Callable[[str], None],
    tops: list | None = None,
    layout: str = "wide",
    states: list | None = None,
) -> StaticFrames | None:
    """Record ``top``'s states (``plan.states`` unless given) in one of :data:`LAYOUTS`."""
    members = [w for w, _ in _walk(top)]
    for other in plan.linked(top, tops or []):
        members += [w for w, _ in _walk(other) if w not in members]
    images = [w for w in members if isinstance(w, FigureImage)]
    for image in images:
        image.visible = True
        image.renderer.set_dpr(DPR)
        image.dpr = DPR
        image.column = LAYOUTS[layout]
    states = plan.states(top) if states is None else states
    if not states:
        return None
    controls = [c for c, _ in states[0]]
    opening = [(c, c.value) for c in controls]
    drivers = [[c.model_id, synced_trait(c)] for c in controls]
    driver_keys = {(c.model_id, synced_trait(c)) for c in controls}

    rows: dict[str, _Snap] = {}
    store = FrameStore(encode_frame)
    parts = plan.sprites(top)

    def capture() -> tuple[str, _Snap]:
        layers = {}
        for image in images:
            if image in parts:
                # The frame without its parts, and the parts where they were drawn.
                restore = hidden([a for group in parts[image] for a in group])
                image.invalidate()
                image.draw()
                restore()
                # Drawn whole once more: a hidden title was placed off the figure.
                image.invalidate()
                image.renderer.render()
                fig, size = image.renderer.figure, list(image.renderer.pixel_size)
                sprites = [store.sprite(fig, group) for group in parts[image]]
                layers[image.model_id] = [s + size for s in sprites if s]
            else:
                image.draw()
        snap = _snapshot(members)
        for k in driver_keys:
            snap.pop(k, None)
        for image in images:
            snap[(image.model_id, "png")] = image.png
        for mid, refs in layers.items():
            snap[(mid, "layers")] = json.dumps(refs)
        key = state_key(
            [c.get_state(key=[t])[t] for c, (_, t) in zip(controls, drivers, strict=True)]
        )
        return key, snap

    for state in states:
        for control, value in state:
            _set(control, value)
        key, snap = capture()
        rows[key] = snap
    missing_snap = None
    missing_state = plan.missing(top)
    if missing_state is not None:
        for control, value in missing_state:
            _set(control, value)
        plan.after_missing(top)
        missing_snap = _snapshot(members)
    for control, value in opening:
        _set(control, value)
    opening_key, opening_snap = capture()
    rows.setdefault(opening_key, opening_snap)
    for image in parts:
        image.draw()  # whole: the page opens showing the kernel's frame

    # Targets: every (model, trait) whose value differs between recorded states.
    snaps = [*rows.values(), *([missing_snap] if missing_snap else [])]
    all_keys = sorted({k for snap in snaps for k in snap if k not in driver_keys})
    # A figure's size is set by every state: the other layout's table may have set it.
    sizes = {(i.model_id, t) for i in images for t in ("css_width", "css_height", "png")}
    sizes |= {(i.model_id, "layers") for i in parts}
    targets = [k for k in all_keys if k in sizes or len({str(s.get(k)) for s in snaps}) > 1]
    table = {}
    for key, snap in rows.items():
        table[key] = [
            store.frame(snap[t]) if t[1] == "png" else json.loads(snap[t]) for t in targets
        ]
    frames = store.frames
    missing = None
    if missing_snap is not None:
        # Frames stay as they are (-1); readouts and opacity say there is no run.
        missing = [
            -1 if t[1] in ("png", "layers") else json.loads(missing_snap[t]) for t in targets
        ]
    sf = StaticFrames(
        controls=drivers,
        targets=[[mid, trait, trait == "png"] for mid, trait in targets],
        table=table,
        frames=frames,
        missing=missing,
        layout=layout,
        narrow_below=NARROW_BELOW,
    )
    size = sum(len(f) for f in frames)
    log(
        f"{layout}: {len(states)} states, {len(frames)} frames, {size / 1e6:.2f} MB base64, "
        f"targets {sorted({t[1] for t in targets})}"
    )
    return sf


_OPENING_ONLY = (
    "This figure shows its opening state in this edition; its controls work in the live edition."
)


def _disable(top: widgets.Widget, controls: list[widgets.Widget], why: str) -> None:
    parents = {id(w): p for w, p in _walk(top)}
    boxes = []
    for c in controls:
        c.disabled = True
        c.tooltip = why
        c.add_class("gw-kernel-only")
        box = parents.get(id(c))
        if box is not None and box not in boxes:
            boxes.append(box)
    if boxes:
        box = boxes[0]
        grand = parents.get(id(box))
        holder = grand if isinstance(grand, widgets.Box) else box
        children = list(holder.children)
        at = children.index(box) + 1 if box in children else len(children)
        children.insert(at, _note(why))
        holder.children = tuple(children)


def _interactive(top: widgets.Widget) -> list[widgets.Widget]:
    kinds = (widgets.ValueWidget, widgets.Button)
    return [
        w
        for w, _ in _walk(top)
        if isinstance(w, kinds)
        and not isinstance(w, widgets.HTML | widgets.Label | widgets.HTMLMath | FigureImage)
        and not isinstance(w, widgets.FloatProgress | widgets.IntProgress)
        and hasattr(w, "disabled")
    ]


def _record_all(
    model_ids: list[str],
    tops: list[widgets.Widget],
    made: list[StaticFrames],
    log_as: Callable[[str], Callable[[str], None]],
) -> None:
    """Record every figure of ``model_ids`` (see :func:`attach`), appending to ``made``."""
    timelines: set[int] = set()
    for mid in model_ids:
        top = widgets.Widget.widgets.get(mid)
        if top is None:
            continue
        name = type(top).__name__
        if name in TIMELINE_VIEWS:
            # The views of one Timeline are recorded together, composed from parts.
            if id(top.timeline) not in timelines:
                timelines.add(id(top.timeline))
                views = [t for t in tops if getattr(t, "timeline", None) is top.timeline]
                views = [t for t in views if type(t).__name__ in TIMELINE_VIEWS]
                # Narrow first: the wide layout, recorded last, leaves the opening drawn.
                for layout in LAYOUTS:
                    log = log_as(f"{name} ({layout})")
                    column = LAYOUTS[layout]
                    made.append(record_timeline(views, encode_frame, DPR, log, layout, column))
            continue
        plan = PLANS.get(name)
        if plan is None:
            # Its opening state only (in both layouts); its controls need a kernel.
            plan = Plan(lambda w: [[]], kernel_only=_interactive, why=_OPENING_ONLY)
        states = plan.states(top)
        for layout in LAYOUTS:
            sf = _record(top, plan, log_as(f"{name} ({layout})"), tops, layout, states)
            if sf is not None:
                made.append(sf)
        kernel_only = plan.kernel_only(top)
        if kernel_only:
            _disable(top, kernel_only, plan.why)


def attach(model_ids: list[str], state_path: str) -> dict:
    """Record frames for the essay's figures and write the whole widget state.

    ``model_ids`` are the notebook's displayed widgets, in page order. Writes the
    manager state (``drop_defaults=False``: an anywidget's class is found only then)
    to ``state_path`` and returns a summary: per figure, what was recorded.
    """
    # Per figure a line of what was recorded; "_frames_models" lists the models made.
    summary: dict[str, str | list[str]] = {}

    def log_as(name: str) -> Callable[[str], None]:
        def log(message: str) -> None:
            summary[name] = message

        return log

    made: list[StaticFrames] = []
    tops = [widgets.Widget.widgets[m] for m in model_ids if m in widgets.Widget.widgets]
    with contextlib.ExitStack() as held:
        # Each state recorded would be sent to a page that is not there: send each
        # widget's last state once, at the end (thousands of large messages otherwise,
        # still queued when the build's kernel shuts down).
        for top in tops:
            for w, _ in _walk(top):
                held.enter_context(w.hold_sync())
        _record_all(model_ids, tops, made, log_as)
    # The live page's frame cache keys frames by the kernel's state at each draw; here
    # frames are picked by the page's own code, so the cache stays off.
    # The page opens on the frames in its state: stored as the tables' frames are.
    for top in tops:
        for w, _ in _walk(top):
            if isinstance(w, FigureImage):
                w.key_controls = []
                if w.png:
                    w.png = encode_frame(w.png)
    state = widgets.Widget.get_manager_state(drop_defaults=False)
    with open(state_path, "w", encoding="utf-8") as fh:
        json.dump(state, fh)
    summary["_frames_models"] = [sf.model_id for sf in made]
    return summary
