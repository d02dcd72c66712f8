"""A second layout of a kept figure for a narrow column (a phone), without rebuilding it.

Every figure of the essay is built once for a 700 CSS px column, with its panels
side by side. Shrunk into a phone's column of about 360 px, its text would be half
size (8 pt at 100 dpi is 11 CSS px; shrunk by 360/700 it is under 6). A
:class:`NarrowLayout` instead moves the figure's panels: side-by-side columns of
axes are stacked one below the other, each column made as wide as the narrow
figure, and every text is made at least :data:`MIN_POINTS` points. The figure keeps
its artists (nothing is recreated, so animated artists and ``set_data`` keep working)
and :meth:`NarrowLayout.apply` switches between the two layouts at any time.

How columns are found: the axes are grouped by their horizontal extent; axes whose
boxes overlap horizontally, or stand less than :data:`GAP` of the figure's width
apart (a colorbar beside its image), are one column. Each column keeps its own
vertical arrangement and its labels' margins, measured on the wide layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.transforms import Bbox, IdentityTransform

from grokwidgets._validation import InstanceOf, Integer, validate_params

__all__ = ["GAP", "MIN_POINTS", "NARROW_WIDTH", "NarrowLayout"]

#: Width of the narrow layout in CSS px: a 390 px phone's column, less the page margins.
NARROW_WIDTH = 360
#: Smallest text in the narrow layout, in points: 7.5 pt at 100 dpi is 10.4 CSS px.
MIN_POINTS = 7.5
#: Axes closer than this fraction of the wide figure's width belong to one column.
GAP = 0.03
#: Space kept around each stacked column, in CSS px.
_PAD = 6.0


def _ncols(legend: Legend) -> int:
    """A legend's number of columns (matplotlib has a setter but no getter)."""
    return int(legend._ncols)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Column:
    axes: tuple[Axes, ...]
    boxes: tuple[Bbox, ...]  # each axes' box in wide-figure pixels (dpi 100)
    tight: Bbox  # the column with its labels, in wide-figure pixels


def _columns(fig: Figure) -> list[_Column]:
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg
    fig.canvas.draw()
    dpi = fig.dpi
    w, h = fig.get_size_inches() * 100.0  # CSS px
    axes = list(fig.axes)  # hidden ones too: a figure may show them later (a source switch)
    order = sorted(axes, key=lambda ax: ax.get_position().x0)
    groups: list[list[Axes]] = []
    right = -np.inf
    for ax in order:
        pos = ax.get_position()
        if groups and pos.x0 < right + GAP:
            groups[-1].append(ax)
        else:
            groups.append([ax])
        right = max(right, pos.x1) if len(groups[-1]) > 1 else pos.x1
    columns = []
    for group in groups:
        boxes = tuple(
            Bbox.from_extents(*(np.asarray(ax.get_position().extents) * [w, h, w, h]))
            for ax in group
        )
        tights = [ax.get_tightbbox(renderer) for ax in group]
        tight = Bbox.union([t for t in tights if t is not None] + list(boxes))
        # get_tightbbox is in display pixels at the figure's current dpi.
        scale = 100.0 / dpi
        tight = Bbox(tight.get_points() * scale) if scale != 1 else tight
        columns.append(_Column(tuple(group), boxes, tight))
    return columns


class NarrowLayout:
    """The wide (as built) and narrow layouts of ``figure``; :meth:`apply` picks one.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        A figure built at 100 dpi for the wide column (as by
        :func:`grokwidgets.plots.render.new_figure`). Measured once, here.
    width : int, default NARROW_WIDTH
        The narrow figure's width in CSS px.

    Attributes
    ----------
    wide_size, narrow_size : tuple of int
        The two layouts' sizes in CSS px.
    narrow : bool
        Which layout the figure has now (False after construction).

    Examples
    --------
    >>> from grokwidgets.plots.render import new_figure
    >>> fig = new_figure(700, 300)
    >>> left, right = fig.subplots(1, 2)
    >>> layout = NarrowLayout(fig)
    >>> layout.apply(True)
    >>> layout.narrow_size[0], bool(left.get_position().y0 > right.get_position().y1)
    (360, True)
    >>> layout.apply(False)
    >>> layout.wide_size
    (700, 300)
    """

    @validate_params(
        {"figure": InstanceOf(Figure, "a matplotlib Figure"), "width": Integer(100, 4000)}
    )
    def __init__(self, figure: Figure, width: int = NARROW_WIDTH) -> None:
        self.figure = figure
        self.narrow = False
        self._wide_inches = tuple(figure.get_size_inches())
        # CSS px are inches at 100 dpi, whatever device pixel ratio the figure has now.
        self.wide_size = (round(self._wide_inches[0] * 100), round(self._wide_inches[1] * 100))
        self._wide_positions = {ax: ax.get_position(original=True).frozen() for ax in figure.axes}
        self._wide_fonts = {t: float(t.get_fontsize()) for t in figure.findobj(Text)}
        self._wide_wrap = {t: t.get_wrap() for t in self._wide_fonts}
        # Tick labels are made anew as ticks change: set their size on the axis.
        self._wide_ticks: dict[tuple[Axes, Literal["x", "y"]], float] = {
            (ax, axis): float(labels[0].get_fontsize())
            for ax in figure.axes
            for axis in ("x", "y")
            if (labels := getattr(ax, f"{axis}axis").get_ticklabels(which="both"))
        }
        # Legends keep their entries but take fewer columns where the row is too wide.
        # A Legend lays its entries out once, when it is made: the narrow layout gets
        # a twin of each, made here and shown instead of it.
        axes_legends = [lg for ax in figure.axes if (lg := ax.get_legend())]
        legends = list(figure.legends) + axes_legends  # (the twins are added later)
        figure.canvas.draw()
        # Legends placed for the whole figure (figure legends, and axes legends that
        # stand outside their axes' width, like a key under all the panels) go above
        # or below the stacked columns; the others move with their axes.
        fig_legends = list(figure.legends) + [lg for lg in axes_legends if self._outside(lg)]
        centers = {lg: self._wide_center_y(lg) for lg in fig_legends}
        # A figure legend goes above the stacked columns if it stood in the upper
        # half of the wide figure, below them otherwise.
        self._top = [lg for lg in fig_legends if centers[lg] > 0.5]
        self._bottom = [lg for lg in fig_legends if lg not in self._top]
        # An axes legend moves with its axes: one that still runs past the narrow
        # figure's edge gets fewer columns, and the layout is made again.
        most: dict[Legend, int] = {lg: _ncols(lg) for lg in legends}
        self._twins: dict[Legend, Legend] = {}
        for _ in range(4):
            self._plan(figure, fig_legends, legends, int(width), most)
            self.apply(True)
            try:
                over = [lg for lg in legends if self._runs_over(self._twins[lg])]
            finally:
                self.apply(False)
            fixable = [lg for lg in over if _ncols(self._twins[lg]) > 1]
            if not fixable:
                break
            for lg in fixable:
                most[lg] = _ncols(self._twins[lg]) - 1

    def _outside(self, legend: Legend) -> bool:
        """Whether an axes legend's centre stands outside its axes' width."""
        renderer = self.figure.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg
        box = legend.get_window_extent(renderer)
        ax = legend.axes.get_window_extent(renderer)
        return not ax.x0 <= (box.x0 + box.x1) / 2 <= ax.x1

    def _runs_over(self, twin: Legend) -> bool:
        self.figure.canvas.draw()
        box = self._extent(twin)
        w, h = self.narrow_size
        return box.x0 < -1 or box.x1 > w + 1 or box.y0 < -1 or box.y1 > h + 1

    def _plan(
        self,
        figure: Figure,
        fig_legends: list[Legend],
        legends: list[Legend],
        width: int,
        most: dict[Legend, int],
    ) -> None:
        """Make the twins and the narrow positions (figure in its wide layout)."""
        for twin in self._twins.values():
            if twin in figure.legends:
                figure.legends.remove(twin)
            else:
                twin.remove()
        self._twins = {lg: self._twin(lg, width, most[lg]) for lg in legends}
        self._show_twins(True)
        for lg in fig_legends:  # not part of any column
            self._twins[lg].set_visible(False)
        try:
            columns = _columns(figure)
            heights = {lg: self._extent(self._twins[lg]).height + 2 * _PAD for lg in fig_legends}
        finally:
            self._show_twins(False)
        head = sum(heights[lg] for lg in self._top)
        tail = sum(heights[lg] for lg in self._bottom)
        self._narrow_positions, body = self._stack(columns, float(width), head, tail)
        total = head + body + tail
        self._legend_y = {}
        y = 0.0
        for lg in self._top:
            self._legend_y[lg] = 1 - y / total
            y += heights[lg]
        y = head + body
        for lg in self._bottom:
            self._legend_y[lg] = 1 - y / total
            y += heights[lg]
        self.narrow_size = (int(width), round(total))
        for lg, y in self._legend_y.items():
            twin = self._twins[lg]
            twin.set_loc("upper center")
            twin.set_bbox_to_anchor((0.5, y), transform=figure.transFigure)

    def _twin(self, legend: Legend, width: int, most: int) -> Legend:
        """A hidden copy of ``legend`` with as many columns (up to ``most``) as fit in
        ``width`` px."""
        texts = legend.get_texts()
        labels = [t.get_text() for t in texts]
        size = max(texts[0].get_fontsize() if texts else MIN_POINTS, MIN_POINTS)
        parent = legend.parent
        twin = None
        for n in range(max(min(_ncols(legend), most), 1), 0, -1):
            twin = Legend(
                parent,
                [h for h in legend.legend_handles if h is not None],
                labels,
                loc=legend._loc,  # type: ignore[attr-defined]  # the code it was given
                ncols=n,
                fontsize=size,
                frameon=legend.get_frame_on(),
            )
            # The wide legend's anchor box, which follows its axes: as given, a
            # box would be taken as axes fractions and transformed a second time.
            twin.set_bbox_to_anchor(legend.get_bbox_to_anchor(), transform=IdentityTransform())
            twin.set_figure(self.figure)
            if self._extent(twin).width <= width - 2 * _PAD:
                break
        assert twin is not None
        twin.set_visible(False)
        if isinstance(parent, Figure):
            parent.legends.append(twin)
        else:
            parent.add_artist(twin)
            # add_artist clips to the axes, as Axes.legend does not: a legend above
            # its axes would be cut off (and left out of the layout's measure).
            twin.set_clip_on(False)
        return twin

    def _show_twins(self, narrow: bool) -> None:
        for wide, twin in self._twins.items():
            wide.set_visible(not narrow)
            twin.set_visible(narrow)

    def _extent(self, legend: Legend) -> Bbox:
        """The legend's box in CSS px (figure drawn at its current dpi)."""
        renderer = self.figure.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg
        box = legend.get_window_extent(renderer)
        return Bbox(box.get_points() * (100.0 / self.figure.dpi))

    def _wide_center_y(self, legend: Legend) -> float:
        box = self._extent(legend)
        return box.intervaly.mean() / self.wide_size[1]

    def _stack(
        self, columns: list[_Column], width: float, head: float, tail: float
    ) -> tuple[dict[Axes, Bbox], float]:
        """Each column full width, one below the other, between ``head`` px kept at
        the top and ``tail`` px at the bottom; returns positions and the columns' height."""
        placed: dict[Axes, tuple[float, float, float, float]] = {}
        top = head  # from the top of the narrow figure, downwards
        for col in columns:
            left_margin = min(b.x0 for b in col.boxes) - col.tight.x0
            right_margin = col.tight.x1 - max(b.x1 for b in col.boxes)
            x0 = min(b.x0 for b in col.boxes)
            span = max(b.x1 for b in col.boxes) - x0
            room = width - left_margin - right_margin - 2 * _PAD
            sx = room / span if span > 0 else 1.0
            height = col.tight.height + 2 * _PAD
            for ax, box in zip(col.axes, col.boxes, strict=True):
                nx0 = _PAD + left_margin + (box.x0 - x0) * sx
                nx1 = _PAD + left_margin + (box.x1 - x0) * sx
                # y measured from the column's tight top, downwards.
                ny_top = top + _PAD + (col.tight.y1 - box.y1)
                ny_bottom = top + _PAD + (col.tight.y1 - box.y0)
                placed[ax] = (nx0, ny_top, nx1, ny_bottom)
            top += height
        total = top + tail
        out = {}
        for ax, (x0, yt, x1, yb) in placed.items():
            out[ax] = Bbox.from_extents(x0 / width, 1 - yb / total, x1 / width, 1 - yt / total)
        return out, top - head

    def apply(self, narrow: bool) -> None:
        """Give the figure its narrow (True) or wide (False) layout."""
        narrow = bool(narrow)
        if narrow == self.narrow:
            return
        fig = self.figure
        dpi = fig.dpi
        if narrow:
            fig.set_size_inches(
                self.narrow_size[0] / 100.0, self.narrow_size[1] / 100.0, forward=False
            )
            for ax, box in self._narrow_positions.items():
                ax.set_position(box)
            for text, size in self._wide_fonts.items():
                if size < MIN_POINTS:
                    text.set_fontsize(MIN_POINTS)
                # A long note in an axes would run past the narrow figure's edge.
                text.set_wrap(True)
            for (ax, axis), size in self._wide_ticks.items():
                if size < MIN_POINTS:
                    ax.tick_params(axis=axis, which="both", labelsize=MIN_POINTS)
            self._show_twins(True)
        else:
            fig.set_size_inches(self._wide_inches[0], self._wide_inches[1], forward=False)
            for ax, box in self._wide_positions.items():
                ax.set_position(box)
            for text, size in self._wide_fonts.items():
                text.set_fontsize(size)
                text.set_wrap(self._wide_wrap[text])
            for (ax, axis), size in self._wide_ticks.items():
                ax.tick_params(axis=axis, which="both", labelsize=size)
            self._show_twins(False)
        fig.set_dpi(dpi)
        self.narrow = narrow
