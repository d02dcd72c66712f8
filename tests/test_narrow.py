"""The narrow (phone) layout of the essay's figures: plots.narrow and FigureImage.column."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from grokwidgets import widgets as gw
from grokwidgets.plots.narrow import MIN_POINTS, NARROW_WIDTH, NarrowLayout
from grokwidgets.plots.render import new_figure
from grokwidgets.widgets.canvas import NARROW_BELOW, FigureImage

#: Every figure of the essay (the classes its cells build).
FIGURES = [
    "CurvesWidget",
    "StructureWidget",
    "SweepWidget",
    "SingularityWidget",
    "BasinsWidget",
    "LabWidget",
    "ComplexityWidget",
    "EstimatorTrustWidget",
    "LLCLossWidget",
    "PhaseDiagramWidget",
]


def _shown_texts(fig: Figure) -> list[Text]:
    fig.canvas.draw()
    out = []
    for t in fig.findobj(Text):
        if not (t.get_visible() and t.get_text().strip()):
            continue
        # Only texts really drawn: every ancestor (axes, legend) visible too.
        parent = getattr(t, "axes", None)
        if parent is not None and not parent.get_visible():
            continue
        out.append(t)
    return out


def _images(w, seen=None) -> list[FigureImage]:
    seen = set() if seen is None else seen
    if id(w) in seen:
        return []
    seen.add(id(w))
    if isinstance(w, FigureImage):
        return [w]
    return [i for c in getattr(w, "children", ()) for i in _images(c, seen)]


@pytest.fixture(scope="module", params=FIGURES)
def figure_widget(request):
    w = getattr(gw, request.param)()
    yield w
    w.close()


def test_narrow_layout_fits_the_column_with_readable_text(figure_widget):
    images = _images(figure_widget)
    assert images
    for image in images:
        _check_narrow(image.renderer.figure, type(figure_widget).__name__)


def _check_narrow(fig: Figure, name: str) -> None:
    wide = {ax: ax.get_position().frozen() for ax in fig.axes}
    layout = NarrowLayout(fig)
    layout.apply(True)
    try:
        w, h = (fig.get_size_inches() * 100).round()
        assert (w, h) == layout.narrow_size and w == NARROW_WIDTH
        sizes = [t.get_fontsize() for t in _shown_texts(fig)]
        assert min(sizes) >= MIN_POINTS  # 7.5 pt at 100 dpi: 10.4 CSS px
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            box = ax.get_position()
            assert 0 <= box.x0 < box.x1 <= 1 and 0 <= box.y0 < box.y1 <= 1
            # Labels and ticks inside the figure too (1 px slack for anti-aliasing).
            tight = ax.get_tightbbox(renderer)
            assert tight.x0 >= -1 and tight.x1 <= fig.bbox.width + 1, name
        # Panels side by side in the wide figure are one below the other now.
        shown = [ax for ax in fig.axes if ax.get_visible()]
        for a in shown:
            for b in shown:
                if a is b or not (wide[a].x1 < wide[b].x0 - 0.05):
                    continue
                pa, pb = a.get_position(), b.get_position()
                assert pa.y1 <= pb.y0 + 1e-9 or pb.y1 <= pa.y0 + 1e-9
    finally:
        layout.apply(False)
    fig.canvas.draw()  # axes with an aspect (a colorbar) take their place when drawn
    np.testing.assert_allclose(
        [ax.get_position().extents for ax in fig.axes], [wide[ax].extents for ax in fig.axes]
    )
    assert tuple((fig.get_size_inches() * 100).round()) == layout.wide_size


def test_legends_fit_the_narrow_column():
    from grokwidgets.widgets import CurvesWidget

    w = CurvesWidget()
    try:
        fig = w.image.renderer.figure
        layout = NarrowLayout(fig)
        layout.apply(True)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legends = [lg for lg in fig.findobj(lambda a: type(a).__name__ == "Legend")]
        shown = [lg for lg in legends if lg.get_visible() and lg.axes and lg.axes.get_visible()]
        assert shown
        for lg in shown:
            box = lg.get_window_extent(renderer)
            assert 0 <= box.x0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height
    finally:
        w.close()


def test_figure_image_takes_the_narrow_layout_in_a_narrow_column():
    fig = new_figure(700, 300)
    left, right = fig.subplots(1, 2)
    (line,) = left.plot([0, 1], [0, 1])
    image = FigureImage(fig, [line], hold=False)
    frames = image.frames
    image.column = 390  # a phone's column
    assert image.css_width == NARROW_WIDTH
    assert image.css_height > 300  # two panels stacked: taller than the wide figure
    assert image.frames > frames  # redrawn in the new layout
    assert image.renderer.pixel_size[0] == NARROW_WIDTH  # at device pixel ratio 1
    assert left.get_position().y0 > right.get_position().y1
    image.column = NARROW_BELOW + 100  # back to a wide column
    assert (image.css_width, image.css_height) == (700, 300)
    image.column = 0  # unknown: nothing changes
    assert image.css_width == 700
    image.close()
