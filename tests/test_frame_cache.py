"""FigureImage.cache_by: each frame carries the values of the controls it was drawn at,
so the live page can show a frame it has seen again without a kernel round trip."""

from __future__ import annotations

import ipywidgets as widgets
import pytest
from matplotlib.figure import Figure

from grokwidgets.widgets.canvas import FigureImage


def test_each_frame_carries_the_controls_values_it_was_drawn_at():
    fig = Figure(figsize=(2, 1))
    (line,) = fig.add_subplot().plot([0, 1], [0, 1])
    slider = widgets.FloatSlider(value=0.5, min=0, max=1)
    choice = widgets.Dropdown(options=["a", "b"], value="b")
    image = FigureImage(fig, [line], hold=False)
    assert image.key_controls == [] and image.frame_state == []  # nothing declared
    image.cache_by([slider, choice])
    assert image.key_controls == [[slider.model_id, "value"], [choice.model_id, "index"]]
    image.draw()
    assert image.frame_state == [0.5, 1, image.dpr, image.css_width]
    slider.value = 0.25
    image.draw()
    assert image.frame_state[:2] == [0.25, 1]
    with pytest.raises(TypeError, match="controls must hold widgets"):
        image.cache_by([slider, 3])
    image.close()


def test_the_essays_figures_declare_what_their_frames_depend_on():
    from grokwidgets.widgets import CurvesWidget, StructureWidget

    w = CurvesWidget()
    try:
        ids = {mid for mid, _ in w.image.key_controls}
        c = w.controls
        assert {w.switch.model_id, c.weight_decay.model_id, c.step.model_id} <= ids
        assert {w.show_a.model_id, w.show_b.model_id, w.show_complexity.model_id} <= ids
        assert c.regularization.model_id not in ids  # hidden while the runs are measured
        w.timeline.source = "drawn"
        ids = {mid for mid, _ in w.image.key_controls}
        assert c.regularization.model_id in ids and c.weight_decay.model_id not in ids
    finally:
        w.close()
    s = StructureWidget()
    try:
        assert s.controls.step.model_id in {mid for mid, _ in s.image.key_controls}
    finally:
        s.close()
