"""Links to a moment: what the Python side declares for the browser (no browser here).

The browser half (restoring a link, writing the address) is tested in both editions
in ``tests/browser/test_moment.py``.
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets
import pytest

from grokwidgets._validation import InvalidParameterError
from grokwidgets.widgets import CurvesWidget, LabWidget, Moment, StructureWidget, Timeline
from grokwidgets.widgets.moment import ESM_PATH, ESSAY_FIGURES, figure_controls


@pytest.fixture
def linked():
    timeline = Timeline()
    curves, structure = CurvesWidget(timeline, source="measured"), StructureWidget(timeline)
    yield curves, structure
    curves.close()
    structure.close()


def _declared(moment: Moment, name: str) -> dict:
    return next(f for f in moment.figures if f["name"] == name)


def test_a_figure_declares_its_controls_by_attribute_name(linked):
    curves, structure = linked
    moment = Moment({"curves": curves, "structure": structure})
    fig = _declared(moment, "curves")
    assert fig["css"] == "gw-moment-curves"
    assert "gw-moment-curves" in curves._dom_classes
    assert "gw-moment-structure" in structure._dom_classes
    names = {c[2]: c for c in fig["controls"]}
    # The timeline's controls, the source switch and the curve toggles; not Play.
    assert set(names) == {
        "switch",
        "regularization",
        "weight_decay",
        "step",
        "show_a",
        "show_b",
        "show_complexity",
    }
    c = curves.controls
    assert names["step"] == [c.step.model_id, "value", "step", "log"]
    assert names["weight_decay"] == [c.weight_decay.model_id, "index", "weight_decay", "selection"]
    assert names["switch"][1:] == ["index", "switch", "selection"]
    assert names["show_a"] == [curves.show_a.model_id, "value", "show_a", "bool"]
    assert c.play.model_id not in {x[0] for x in fig["controls"]}
    # The source switch comes before the sliders it decides between: restored first.
    order = [x[2] for x in fig["controls"]]
    assert order.index("switch") < order.index("weight_decay") < order.index("step")
    # Each figure names its own models (the shared timeline has one set per figure).
    other = {x[0] for x in _declared(moment, "structure")["controls"]}
    assert not other & {x[0] for x in fig["controls"]}
    moment.close()


def test_the_lab_declares_its_run_controls_not_its_buttons():
    lab = LabWidget()
    try:
        controls = {name: (trait, kind) for _, trait, name, kind in figure_controls(lab)}
        assert controls["weight_decay"] == ("index", "selection")
        assert controls["checkpoint"] == ("value", "int")
        assert controls["train_fraction"] == ("value", "float")
        assert "train_button" not in controls and "progress" not in controls
    finally:
        lab.close()


def test_controls_without_an_attribute_are_named_by_description_uniquely():
    box = widgets.VBox(
        [
            widgets.IntSlider(description="Seed"),
            widgets.IntSlider(description="Seed"),
            widgets.Checkbox(),
            widgets.Button(description="Go"),
            widgets.IntRangeSlider(),
            widgets.HTML("x"),
        ]
    )
    found = [(name, kind) for _, _, name, kind in figure_controls(box)]
    assert found == [("seed", "int"), ("seed2", "int"), ("control", "bool")]


def test_latest_takes_the_newest_open_figure_of_each_class(linked):
    _, structure = linked
    again = CurvesWidget(Timeline(), source="measured")  # a cell run twice
    try:
        moment = Moment.latest({"curves": "CurvesWidget", "structure": "StructureWidget"})
        ids = {f["name"]: f["controls"][0][0] for f in moment.figures}
        assert ids["curves"] == again.switch.model_id
        assert ids["structure"] == structure.switch.model_id
        assert list(ESSAY_FIGURES)[:3] == ["curves", "sweep", "structure"]
        moment.close()
    finally:
        again.close()
    with pytest.raises(InvalidParameterError, match="no open widget"):
        Moment.latest({"x": "NoSuchWidget"})


@pytest.mark.parametrize(
    ("figures", "message"),
    [
        ([], "must be a mapping"),
        ({}, "at least one figure"),
        ({"Curves": None}, "lowercase"),
        ({"a b": None}, "lowercase"),
        ({"a" * 33: None}, "at most 32"),
        ({"curves": "not a widget"}, r"figures\['curves'\] must be a widget"),
    ],
)
def test_bad_figures_are_refused_with_a_message_naming_them(figures, message):
    with pytest.raises(InvalidParameterError, match=message):
        Moment(figures)


def test_a_closed_or_repeated_widget_is_refused():
    box = widgets.VBox([widgets.IntSlider()])
    with pytest.raises(InvalidParameterError, match="same widget as figures\\['a'\\]"):
        Moment({"a": box, "b": box})
    box.close()
    with pytest.raises(InvalidParameterError, match="closed widget"):
        Moment({"a": box})


def test_the_javascript_is_package_data_and_answers_both_editions():
    text = ESM_PATH.read_text(encoding="utf-8")
    assert "export default { initialize }" in text
    assert "history.replaceState" in text and "save_changes" in text
    # The static edition's tests count StaticFrames modules by this marker.
    assert "gwLastKey" not in text
    box = widgets.VBox([widgets.IntSlider()])
    moment = Moment({"a": box})
    assert "replaceState" in moment._esm  # anywidget synced the file's text
    moment.close()
    box.close()


def test_the_essay_creates_one_moment_before_the_held_figures_draw():
    import jupytext

    essay = Path(__file__).resolve().parent.parent / "essay" / "grokking.md"
    code = [c.source for c in jupytext.read(essay).cells if c.cell_type == "code"]
    at = [i for i, src in enumerate(code) if "Moment.latest()" in src]
    assert len(at) == 1
    assert "draw_held_figures()" in code[at[0] + 1]
