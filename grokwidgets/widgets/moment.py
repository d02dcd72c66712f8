"""Links to a moment: the page's address records the figure last moved and its controls.

A :class:`Moment` is a widget with no view. Its JavaScript (``moment.js``) watches
the controls of the figures it was given: when the reader moves one, the URL
fragment becomes the figure's name and the values that differ from the page's
opening state, e.g. ``#curves?weight_decay=0.5&step=501.187``
(``history.replaceState``: one entry, no history to step back through). Opening
such a link sets those controls, then scrolls the figure into view, so a teacher
can send "look at step 500 here".

The same JavaScript runs in both editions. On the Voila page a control it sets
goes to the kernel, whose observers redraw the figure; in the static edition
(no kernel) the figure's :class:`~grokwidgets.widgets.static_frames.StaticFrames`
answers it with a recorded frame. Controls the static edition disabled are left
alone, and names or values a link does not match are ignored.

Only the figure the reader touched (a pointer press, key press or input inside
it) writes the address: figures that share a :class:`~grokwidgets.widgets.Timeline`
move each other's sliders, and those moves do not take the link over.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import anywidget
import ipywidgets as widgets
import traitlets

from grokwidgets._validation import InvalidParameterError

__all__ = ["ESSAY_FIGURES", "Moment", "figure_controls"]

#: The browser side of :class:`Moment` (an anywidget ES module), package data.
ESM_PATH = Path(__file__).with_name("moment.js")

#: The essay's figures: link name -> class name in :mod:`grokwidgets.widgets`
#: (what :meth:`Moment.latest` looks for by default), in page order.
ESSAY_FIGURES: dict[str, str] = {
    "curves": "CurvesWidget",
    "sweep": "SweepWidget",
    "structure": "StructureWidget",
    "singular": "SingularityWidget",
    "basins": "BasinsWidget",
    "lab": "LabWidget",
    "complexity": "ComplexityWidget",
    "trust": "EstimatorTrustWidget",
    "llc": "LLCLossWidget",
    "phase": "PhaseDiagramWidget",
}

_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
#: Widgets that show rather than control (or, like Play, whose value is no state).
_NOT_CONTROLS = (
    widgets.HTML,
    widgets.HTMLMath,
    widgets.Label,
    widgets.FloatProgress,
    widgets.IntProgress,
    widgets.Play,
    widgets.Valid,
)


def _children(w: widgets.Widget) -> Iterator[widgets.Widget]:
    """The widgets ``w``'s synced traits refer to (children, and the like)."""
    for name in w.keys:
        if name in ("layout", "style", "_dom_classes", "comm", "keys", "log"):
            continue
        value = getattr(w, name, None)
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, widgets.Widget):
                yield item


def _walk(top: widgets.Widget) -> list[widgets.Widget]:
    """``top`` and every widget under it, depth first, in the order the page shows them."""
    out: list[widgets.Widget] = []
    seen: set[int] = set()
    stack = [top]
    while stack:
        w = stack.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        out.append(w)
        stack.extend(reversed(list(_children(w))))
    return out


def _kind(w: widgets.Widget) -> str | None:
    """How the link writes ``w``'s value, or None if it records no state."""
    if isinstance(w, _NOT_CONTROLS) or not isinstance(w, widgets.ValueWidget):
        return None
    if "index" in w.keys:
        return None if "_options_labels" not in w.keys else "selection"
    if isinstance(w, widgets.FloatLogSlider):
        return "log"
    value = getattr(w, "value", None)
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "text"
    return None  # ranges, tuples, colours as objects...: not recorded


def _attribute_names(top: widgets.Widget) -> dict[int, str]:
    """Each widget reachable through ``top``'s attributes -> the first name found for it.

    Breadth first, so ``top.controls.step`` is named ``step`` and a widget a figure
    keeps under two names is named after the shallower one.
    """
    names: dict[int, str] = {}
    queue: list[Any] = [top]
    visited = {id(top)}
    while queue:
        obj = queue.pop(0)
        for attr, value in sorted(vars(obj).items()):
            if not isinstance(value, widgets.Widget) or attr in ("layout", "style"):
                continue
            names.setdefault(id(value), attr.lstrip("_"))
            if id(value) not in visited:
                visited.add(id(value))
                queue.append(value)
    return names


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def figure_controls(top: widgets.Widget) -> list[tuple[widgets.Widget, str, str, str]]:
    """The controls a link records for the figure ``top``, in page order.

    Each is ``(control, trait, name, kind)``: ``trait`` is ``"index"`` for
    selections (dropdowns, toggle buttons, selection sliders) and ``"value"``
    otherwise; ``name`` is the control's attribute name on the figure (or on a
    widget it holds), else its description; ``kind`` (``"selection"``, ``"bool"``,
    ``"int"``, ``"float"``, ``"log"`` or ``"text"``) says how the value is written.
    Buttons, Play, progress bars and text outputs are left out.

    Examples
    --------
    >>> import ipywidgets as widgets
    >>> box = widgets.VBox([widgets.IntSlider(description="Seed"), widgets.Play()])
    >>> box.step = widgets.FloatSlider()
    >>> box.children += (box.step,)
    >>> [(trait, name, kind) for _, trait, name, kind in figure_controls(box)]
    [('value', 'seed', 'int'), ('value', 'step', 'float')]
    """
    attrs = _attribute_names(top)
    out: list[tuple[widgets.Widget, str, str, str]] = []
    used: set[str] = set()
    for w in _walk(top):
        kind = _kind(w)
        if kind is None:
            continue
        base = attrs.get(id(w)) or _slug(getattr(w, "description", "") or "") or "control"
        name, n = base, 2
        while name in used:
            name, n = f"{base}{n}", n + 1
        used.add(name)
        out.append((w, "index" if kind == "selection" else "value", name, kind))
    return out


def _check_figures(figures: object) -> dict[str, widgets.Widget]:
    if not isinstance(figures, Mapping):
        raise InvalidParameterError(
            f"figures must be a mapping of names to widgets, got {figures!r}"
        )
    if not figures:
        raise InvalidParameterError("figures must name at least one figure, got {}")
    out: dict[str, widgets.Widget] = {}
    seen: dict[int, str] = {}
    for name, top in figures.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidParameterError(
                "figures' names must be lowercase letters, digits, '-' or '_', starting "
                f"with a letter, at most 32 characters (they go in the URL), got {name!r}"
            )
        if not isinstance(top, widgets.Widget):
            raise InvalidParameterError(f"figures[{name!r}] must be a widget, got {top!r}")
        if top.comm is None:
            raise InvalidParameterError(f"figures[{name!r}] is a closed widget, got {top!r}")
        if id(top) in seen:
            raise InvalidParameterError(
                f"figures[{name!r}] is the same widget as figures[{seen[id(top)]!r}]"
            )
        seen[id(top)] = name
        out[name] = top
    return out


class Moment(anywidget.AnyWidget):
    """Write the figure last moved, and its controls, to the URL; restore them from it.

    Parameters
    ----------
    figures : mapping of str to ipywidgets.Widget
        Link name (lowercase letters, digits, ``-`` and ``_``, as it appears in the
        URL: ``#curves?step=500``) -> the figure's top widget. Each figure gets the
        CSS class ``gw-moment-<name>``, which the page scrolls to.

    Attributes
    ----------
    figures : list of dict
        Synced, what the JavaScript reads: per figure its ``name``, ``css`` class
        and ``controls``, each ``[model_id, trait, short_name, kind]`` (see
        :func:`figure_controls`).

    Examples
    --------
    >>> import ipywidgets as widgets
    >>> box = widgets.VBox([widgets.IntSlider(description="Seed")])
    >>> moment = Moment({"seeds": box})
    >>> [(f["name"], f["css"]) for f in moment.figures]
    [('seeds', 'gw-moment-seeds')]
    >>> [c[1:] for c in moment.figures[0]["controls"]]
    [['value', 'seed', 'int']]
    >>> "gw-moment-seeds" in box._dom_classes
    True
    >>> Moment({"Seeds!": box})
    Traceback (most recent call last):
    ...
    grokwidgets._validation.InvalidParameterError: figures' names must be lowercase ...
    """

    _esm = ESM_PATH
    figures: traitlets.List[dict[str, Any]] = traitlets.List(
        help="Per figure: name, CSS class and controls [model_id, trait, name, kind]"
    ).tag(sync=True)

    css_prefix: ClassVar[str] = "gw-moment-"

    def __init__(self, figures: Mapping[str, widgets.Widget], **kwargs) -> None:
        checked = _check_figures(figures)
        declared = []
        for name, top in checked.items():
            css = self.css_prefix + name
            top.add_class(css)
            controls = [
                [w.model_id, trait, short, kind] for w, trait, short, kind in figure_controls(top)
            ]
            declared.append({"name": name, "css": css, "controls": controls})
        super().__init__(figures=declared, **kwargs)

    @classmethod
    def latest(cls, names: Mapping[str, str] | None = None) -> Moment:
        """A Moment over the newest open widget of each class ``names`` maps to.

        ``names``: link name -> class name (default :data:`ESSAY_FIGURES`). Classes
        with no open widget are left out (a page without that figure); a notebook
        cell run twice leaves its first widget open, so the newest one is taken.
        """
        from ipywidgets.widgets.widget import _instances

        wanted = dict(ESSAY_FIGURES if names is None else names)
        found: dict[str, widgets.Widget] = {}
        for w in list(_instances.values()):  # in the order they were built
            for name, class_name in wanted.items():
                if type(w).__name__ == class_name and w.comm is not None:
                    found[name] = w
        if not found:
            raise InvalidParameterError(
                f"no open widget of any of the classes {sorted(set(wanted.values()))}"
            )
        return cls({name: found[name] for name in wanted if name in found})
