"""ipywidgets controls that keep their last good value instead of taking a bad one.

Stock float sliders let NaN through (their range check compares, and NaN compares
false), and selection widgets take None ("no selection"). Neither can come from the
page (JSON has no NaN, and our selections always have a value), but a notebook
user can set either from Python; a figure or a linked Timeline would then fail.
These subclasses validate first and otherwise behave exactly like the stock ones.
"""

from __future__ import annotations

from typing import Any, TypeVar

import ipywidgets as widgets
import traitlets

__all__ = [
    "Dropdown",
    "FloatLogSlider",
    "FloatSlider",
    "SelectionSlider",
    "labelled",
    "synced_trait",
]

_W = TypeVar("_W", bound=widgets.DOMWidget)

#: The label column of the essay's slider rows: "Regularization" fits, and the
#: sliders under one figure line up.
LABEL_WIDTH = "110px"
#: A slider row's width: full width in a narrow column, at most this wide.
ROW_WIDTH = "min(100%, 520px)"


def synced_trait(w: widgets.Widget) -> str:
    """The synced trait a control's state lives in: ``index`` for a selection (its
    ``value`` is not synced), ``value`` for everything else."""
    return "index" if "index" in w.keys else "value"


class FloatLogSlider(widgets.FloatLogSlider):
    """A ``FloatLogSlider`` that ignores NaN."""

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        value = proposal["value"]
        return self.value if value != value else super()._validate_value(proposal)


class FloatSlider(widgets.FloatSlider):
    """A ``FloatSlider`` that ignores NaN."""

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        value = proposal["value"]
        return self.value if value != value else super()._validate_value(proposal)


class _Selected(traitlets.Any):
    """A selection's value that is never None (a TraitError, and the old value stays).

    Stock selections allow None, and traitlets skips ``@validate`` handlers for an
    allowed None, so the refusal has to be in the trait itself.
    """

    info_text = "one of the options (not None)"
    allow_none = False  # Any sets True at class level, which its __init__ keeps

    def __init__(self) -> None:
        # A None default would make traitlets allow None whatever we ask; 0 is
        # replaced by the first option as soon as the widget has options.
        super().__init__(0, allow_none=False, help="Selected value (never None)")

    def validate(self, obj, value):
        if value is None:
            self.error(obj, value)
        return value


class Dropdown(widgets.Dropdown):
    """A ``Dropdown`` that refuses None (it always has a selection)."""

    value = _Selected()


class SelectionSlider(widgets.SelectionSlider):
    """A ``SelectionSlider`` that refuses None."""

    value = _Selected()


def labelled(
    cls: type[_W],
    css: str | None = None,
    *,
    width: str = ROW_WIDTH,
    label: str = LABEL_WIDTH,
    **kwargs: Any,
) -> _W:
    """A ``cls(**kwargs)`` control laid out as the essay's rows are: its label in a
    ``label``-wide column, the whole at most ``width``, with the CSS class ``css``
    if given (by which the page, its tests and the benchmarks find it)."""
    control = cls(style={"description_width": label}, layout=widgets.Layout(width=width), **kwargs)
    if css is not None:
        control.add_class(css)
    return control
