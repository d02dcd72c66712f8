"""StaticFrames: a figure's controls answered by frames rendered at build time.

Used only by the static edition (``python3 tasks.py build``, see
:mod:`grokwidgets.static`). The build sets a figure's controls to every state of a
discrete grid, lets the figure's :class:`~grokwidgets.widgets.FigureImage` render it
(matplotlib, at device pixel ratio 2), and records what changed: the PNG, its alt
text, readouts. A ``StaticFrames`` holds that table. In the exported page, with no
kernel, its JavaScript watches the controls' models and, when one moves, sets the
recorded values on the target models, so the FigureImage's own view shows the frame.
The browser only picks frames; it never draws.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

__all__ = ["StaticFrames"]

_ESM = (Path(__file__).with_name("static_frames.js")).read_text(encoding="utf-8")


class StaticFrames(anywidget.AnyWidget):
    """A table of recorded states for one figure's controls (no view of its own).

    Attributes
    ----------
    controls : list of [model_id, trait]
        The driving controls, in key order (``index`` for selections, ``value`` else).
    targets : list of [model_id, trait, is_frame]
        What a state sets; ``is_frame`` targets take a PNG from :attr:`frames`.
    table : dict of str to list
        State key (controls' values, see :func:`grokwidgets.static.frames.state_key`)
        to one value per target; a frame target's value is an index into
        :attr:`frames`, ``-1`` keeps the frame shown.
    frames : list of str
        Base64 PNGs, each stored once however many states show it.
    missing : list or None
        The values for a state the table does not hold (say, settings with no
        shipped run), or None to leave the figure as it is.
    """

    _esm = _ESM
    controls: traitlets.List[list[str]] = traitlets.List().tag(sync=True)
    targets: traitlets.List[list[str | bool]] = traitlets.List().tag(sync=True)
    table = traitlets.Dict().tag(sync=True)
    frames = traitlets.List(traitlets.Unicode()).tag(sync=True)
    #: Where :attr:`frames` are when the build moved them out of the page (a script
    #: that sets ``window.gwFrameTables[frames_src]``), or "".
    frames_src = traitlets.Unicode("").tag(sync=True)
    missing: traitlets.List[Any] = traitlets.List(allow_none=True, default_value=None).tag(
        sync=True
    )
    #: ``"table"``: :attr:`table` maps the controls' values to the targets' values.
    #: ``"timeline"``: the views of one Timeline, composed from parts
    #: (:attr:`timeline`, written by :func:`grokwidgets.static.timeline.record_timeline`).
    mode = traitlets.Unicode("table").tag(sync=True)
    #: The ``timeline`` mode's grids, views (their models) and tables.
    timeline = traitlets.Dict().tag(sync=True)
    #: The layout the frames were recorded in: ``"wide"``, or ``"narrow"`` (a phone's
    #: column, see :class:`~grokwidgets.plots.narrow.NarrowLayout`), or ``""`` for any.
    #: The page answers with the table whose layout its figures' column takes, and
    #: loads only that table's frames.
    layout = traitlets.Unicode("").tag(sync=True)
    #: Columns narrower than this (CSS px) take the narrow layout (as on the live page).
    narrow_below = traitlets.Int(0).tag(sync=True)
