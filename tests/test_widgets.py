"""Widgets without a browser: set values as a reader would, check what is drawn."""

import asyncio
import gc
import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from grokwidgets.curves import DEFAULT_STEPS, learning_curves
from grokwidgets.plots.curves import complexity_segments
from grokwidgets.runs import load_run, measured_curves
from grokwidgets.structure import checkpoint_at, edge_strengths, frequency_shares
from grokwidgets.widgets import CurvesWidget, StructureWidget, Timeline, draw_held_figures
from grokwidgets.widgets.timeline import measured_stops


@pytest.fixture
def pair():
    """The two widgets on the drawn model (the curve model and the toy networks)."""
    timeline = Timeline(source="drawn")
    curves, structure = CurvesWidget(timeline), StructureWidget(timeline)
    yield timeline, curves, structure
    curves.close()
    structure.close()


@pytest.fixture
def measured():
    """The two widgets as the page opens them: on the measured runs."""
    timeline = Timeline()
    curves, structure = CurvesWidget(timeline), StructureWidget(timeline)
    yield timeline, curves, structure
    curves.close()
    structure.close()


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        return im.size


@pytest.mark.parametrize("value", [0.01, 0.05, 0.3, 1.0, 4.0, 10.0])
def test_regularization_slider_draws_the_models_curves(pair, value):
    _, curves, _ = pair
    curves.controls.regularization.value = 7.0
    frames = curves.image.frames
    curves.controls.regularization.value = value
    assert curves.image.frames > frames
    for kind in "AB":
        want = learning_curves(kind, value)
        arts = curves.artists[kind]
        np.testing.assert_array_equal(arts.train_loss.get_xdata(), want.steps)
        np.testing.assert_array_equal(arts.train_loss.get_ydata(), want.train_loss)
        np.testing.assert_array_equal(arts.test_loss.get_ydata(), want.test_loss)
        np.testing.assert_array_equal(arts.complexity.get_ydata(), want.complexity)
        np.testing.assert_array_equal(arts.memorization.get_xdata(), [want.memorization_step] * 2)
    b = learning_curves("B", value)
    mark = curves.artists["B"].transition
    assert mark.get_visible() == (b.transition_step is not None)
    if b.transition_step is not None:
        np.testing.assert_array_equal(mark.get_xdata(), [b.transition_step] * 2)
        assert f"{b.transition_step:,.0f}" in curves.artists["B"].transition_label.get_text()


def test_slider_changes_the_pixels(pair):
    _, curves, _ = pair
    before = curves.image.png
    curves.controls.regularization.value = 0.2
    assert curves.image.png != before
    assert png_size(curves.image.png) == (700, 400)


def test_toggles_hide_and_show_artists(pair):
    _, curves, _ = pair
    arts = curves.artists
    curves.show_complexity.value = False
    assert not arts["A"].complexity.get_visible() and not arts["B"].complexity.get_visible()
    assert arts["A"].test_loss.get_visible()
    curves.show_a.value = False
    assert not any(a.get_visible() for a in arts["A"].all())
    assert arts["B"].test_loss.get_visible()
    # Moving the slider while hidden must not bring the hidden artists back.
    curves.controls.regularization.value = 2.0
    assert not any(a.get_visible() for a in arts["A"].all())
    assert not arts["B"].complexity.get_visible()
    curves.show_a.value = True
    curves.show_complexity.value = True
    assert arts["A"].complexity.get_visible() and arts["B"].complexity.get_visible()
    assert arts["A"].train_loss.get_visible()


def test_step_cursor_moves_both_widgets(pair):
    timeline, curves, structure = pair
    structure.controls.step.value = 500.0
    assert curves.controls.step.value == 500.0 == timeline.step
    np.testing.assert_array_equal(curves.cursor.get_xdata(), [500.0, 500.0])
    curves.controls.step.value = 20.0
    assert structure.controls.step.value == 20.0
    for kind in "AB":
        c = learning_curves(kind, timeline.regularization).value_at(20.0)["complexity"]
        want = edge_strengths(structure.layouts[kind], c)
        np.testing.assert_array_equal(structure.strengths[kind], want)
        np.testing.assert_allclose(
            structure.artists[kind].edges.get_linewidths(), 2.0 * want, atol=1e-12
        )


def test_regularization_moves_both_widgets(pair):
    _, curves, structure = pair
    structure.controls.regularization.value = 0.5
    assert curves.controls.regularization.value == 0.5
    np.testing.assert_array_equal(
        curves.artists["B"].test_loss.get_ydata(), learning_curves("B", 0.5).test_loss
    )
    # After a late transition the Type B network has pruned to its core.
    structure.controls.step.value = 9000.0
    assert structure.strengths["B"].sum() < 0.3 * len(structure.strengths["B"])
    assert structure.strengths["A"].sum() > 0.8 * len(structure.strengths["A"])


def test_play_drives_the_shared_step(pair):
    timeline, curves, structure = pair
    curves.controls.play.value = curves.controls.play.max
    assert timeline.step == pytest.approx(timeline.horizon)
    assert structure.controls.step.value == pytest.approx(timeline.horizon)
    curves.controls.play.value = 0
    assert timeline.step == pytest.approx(1.0)


def test_timeline_clamps_instead_of_failing():
    t = Timeline(source="drawn")
    t.regularization = 1e6
    assert t.regularization == 10.0
    t.regularization = -3.0
    assert t.regularization == 0.01
    t.regularization = float("nan")
    assert t.regularization == 0.01
    t.step = 1e12
    assert t.step == t.horizon
    t.step = float("nan")
    assert t.step == t.horizon


def test_alt_text_describes_the_figure(pair):
    _, curves, structure = pair
    curves.controls.regularization.value = 1.0
    b = learning_curves("B", 1.0)
    assert f"step {b.transition_step:,.0f}" in curves.image.alt
    curves.controls.regularization.value = 0.01
    assert "does not generalize" in curves.image.alt
    assert "connections active" in structure.image.alt


def test_sharp_at_the_device_pixel_ratio(pair):
    _, curves, _ = pair
    curves.image.dpr = 2.0
    assert png_size(curves.image.png) == (1400, 800)
    assert (curves.image.css_width, curves.image.css_height) == (700, 400)
    curves.image.dpr = 1.5
    assert png_size(curves.image.png) == (1050, 600)
    curves.image.dpr = 100.0  # clamped
    assert png_size(curves.image.png) == (2800, 1600)


def test_thousand_slider_changes_leak_no_figures():
    gc.collect()
    open_before = plt.get_fignums()
    timeline = Timeline(source="drawn")
    curves, structure = CurvesWidget(timeline), StructureWidget(timeline)
    figures_before = sum(isinstance(o, Figure) for o in gc.get_objects())
    values = np.geomspace(0.01, 10, 1000)
    for v in values:
        curves.controls.regularization.value = float(v)
    gc.collect()
    assert plt.get_fignums() == open_before
    assert sum(isinstance(o, Figure) for o in gc.get_objects()) == figures_before
    assert curves.image.frames >= 1000
    curves.close()
    structure.close()


def test_errors_in_callbacks_are_shown(pair, monkeypatch):
    _, curves, _ = pair

    def broken(*args, **kwargs):
        raise RuntimeError("model exploded")

    monkeypatch.setattr("grokwidgets.widgets.curves.learning_curves", broken)
    curves.controls.regularization.value = 3.0
    assert "model exploded" in curves.errors.value
    assert curves.errors.layout.display != "none"
    monkeypatch.undo()
    curves.controls.regularization.value = 2.0
    assert curves.errors.layout.display == "none"


def test_redraws_in_one_loop_pass_coalesce_into_one_frame(pair):
    timeline, curves, _ = pair

    async def burst():
        start = curves.image.frames
        for v in (0.2, 0.4, 0.8, 1.6):
            timeline.regularization = v
        assert curves.image.frames == start  # nothing drawn yet
        await asyncio.sleep(0)
        return curves.image.frames - start

    assert asyncio.run(burst()) == 1
    np.testing.assert_array_equal(
        curves.artists["B"].test_loss.get_ydata(), learning_curves("B", 1.6).test_loss
    )


def test_any_figure_can_be_saved_as_svg_or_png(pair):
    _, curves, structure = pair
    curves.controls.regularization.value = 2.0
    before = curves.image.png
    svg, mime = curves.image.export("svg")
    assert mime == "image/svg+xml" and svg.lstrip().startswith(b"<?xml")
    # The export holds the animated artists too: the grokking label is in the SVG.
    b = learning_curves("B", 2.0)
    assert f"step {b.transition_step:,.0f}".encode() in svg
    png, mime = structure.image.export("png")
    assert mime == "image/png" and png_size(png) == (1400, 520)
    # Exporting leaves the on-screen frames exactly as they were.
    curves.image.draw()
    assert curves.image.png == before
    with pytest.raises(ValueError, match="fmt"):
        curves.image.export("gif")


def test_the_save_button_message_gets_the_svg_back(pair):
    _, curves, _ = pair
    sent = []
    curves.image.send = lambda content, buffers=None: sent.append((content, buffers))
    curves.image._on_custom_msg(curves.image, {"type": "export", "format": "svg"}, [])
    ((content, buffers),) = sent
    assert content == {"type": "export", "format": "svg", "mime": "image/svg+xml"}
    assert buffers[0].startswith(b"<?xml")
    curves.image._on_custom_msg(curves.image, {"type": "export", "format": "bmp"}, [])
    assert len(sent) == 1 and "fmt" in curves.errors.value


def test_off_screen_figures_wait_until_they_are_seen(pair):
    timeline, _, structure = pair
    structure.image.visible = False  # the browser reports it scrolled far away
    frames = structure.image.frames
    timeline.regularization = 3.0
    timeline.step = 50.0
    assert structure.image.frames == frames
    # Its artists are up to date anyway; only the pixels wait.
    c = learning_curves("B", 3.0).value_at(50.0)["complexity"]
    np.testing.assert_array_equal(
        structure.strengths["B"], edge_strengths(structure.layouts["B"], c)
    )
    structure.image.visible = True
    assert structure.image.frames == frames + 1


def test_in_a_voila_kernel_first_draws_wait_for_the_last_cell(monkeypatch):
    """Under Voila, figures draw after the notebook has run, as the page starts."""
    monkeypatch.setenv("VOILA_PREHEAT", "False")  # Voila sets this in its kernels

    async def page():
        timeline = Timeline(source="drawn")
        curves, structure = CurvesWidget(timeline), StructureWidget(timeline)
        timeline.regularization = 2.0  # a change while held draws nothing either
        await asyncio.sleep(0)
        held = (curves.image.frames, structure.image.frames, curves.image.png)
        assert draw_held_figures() == 2  # the notebook's last cell
        assert curves.image.frames == 0  # scheduled for after the cell, not drawn in it
        await asyncio.sleep(0)
        # One figure at a time, a pause between: the kernel can answer in between.
        assert (curves.image.frames, structure.image.frames) == (1, 0)
        await asyncio.sleep(0.05)
        assert draw_held_figures() == 0  # nothing left to hold
        return held, curves, structure

    held, curves, structure = asyncio.run(page())
    assert held == (0, 0, b"")
    assert (curves.image.frames, structure.image.frames) == (1, 1)
    # The first frame shows the state at draw time, not at construction.
    np.testing.assert_array_equal(
        curves.artists["B"].test_loss.get_ydata(), learning_curves("B", 2.0).test_loss
    )
    assert png_size(curves.image.png) == curves.image.renderer.pixel_size
    # Afterwards redraws work as anywhere else.
    curves.controls.regularization.value = 0.5
    assert curves.image.frames == 2


def test_a_view_without_a_frame_asks_for_one(monkeypatch):
    """A notebook that never calls draw_held_figures still shows its figures."""
    monkeypatch.setenv("VOILA_PREHEAT", "True")

    async def page():
        timeline = Timeline()
        curves = CurvesWidget(timeline)
        curves.image._on_custom_msg(curves.image, {"type": "frame"}, [])  # its view rendered
        await asyncio.sleep(0)
        return curves

    curves = asyncio.run(page())
    assert curves.image.frames == 1 and curves.image.png
    assert draw_held_figures() == 0


def test_outside_voila_figures_draw_when_built(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)

    async def cell():
        curves = CurvesWidget(Timeline())
        return curves.image.frames, curves.image.png  # before the cell returns

    frames, png = asyncio.run(cell())
    assert frames >= 1 and png
    assert draw_held_figures() == 0


# ----------------------------------------------------------------- measured mode


def assert_draws_measured(curves, wd: float) -> None:
    """The curves widget's artists hold exactly ``measured_curves`` at ``wd``."""
    for kind in "AB":
        want = measured_curves(kind, wd)
        arts = curves.artists[kind]
        np.testing.assert_array_equal(arts.train_loss.get_xdata(), want.steps)
        np.testing.assert_array_equal(arts.train_loss.get_ydata(), want.train_loss)
        np.testing.assert_array_equal(arts.test_loss.get_xdata(), want.steps)
        np.testing.assert_array_equal(arts.test_loss.get_ydata(), want.test_loss)
        # The LLC: its finite stretches, joined, are the finite points of the result.
        segments = arts.complexity.get_segments()
        drawn = np.concatenate(segments) if segments else np.zeros((0, 2))
        ok = np.isfinite(want.complexity) & (want.steps > 0)
        np.testing.assert_array_equal(drawn[:, 0], want.steps[ok])
        np.testing.assert_array_equal(drawn[:, 1], want.complexity[ok])
        valid = want.llc_valid
        np.testing.assert_array_equal(arts.llc_points.get_xdata(), want.llc.step[valid])
        np.testing.assert_array_equal(arts.llc_points.get_ydata(), want.llc.llc[valid])
        flagged = ~valid & np.isfinite(want.llc.llc)
        np.testing.assert_array_equal(arts.llc_flagged.get_ydata(), want.llc.llc[flagged])
        np.testing.assert_array_equal(arts.memorization.get_xdata(), [want.memorization_step] * 2)
    b = measured_curves("B", wd)
    mark = curves.artists["B"].transition
    assert mark.get_visible() == (b.transition_step is not None)
    if b.transition_step is not None:
        np.testing.assert_array_equal(mark.get_xdata(), [b.transition_step] * 2)
        assert f"step {b.transition_step:,.0f}" in curves.artists["B"].transition_label.get_text()
    assert not curves.artists["A"].transition.get_visible()


def test_the_page_opens_on_the_measured_runs(measured):
    timeline, curves, structure = measured
    assert timeline.source == "measured" == curves.source
    assert curves.switch.value == "measured" == structure.switch.value
    assert timeline.regularization in measured_stops()
    assert_draws_measured(curves, timeline.regularization)
    # The weight-decay slider shows, the free regularization slider does not.
    assert curves.controls.weight_decay.layout.display is None
    assert curves.controls.regularization.layout.display == "none"
    # The page finds the regularization control shown by its class.
    assert "gw-regularization" in curves.controls.weight_decay._dom_classes
    assert "gw-regularization" not in curves.controls.regularization._dom_classes
    timeline.source = "drawn"
    assert "gw-regularization" in curves.controls.regularization._dom_classes
    assert "gw-regularization" not in curves.controls.weight_decay._dom_classes
    timeline.source = "measured"
    assert timeline.horizon == 3000.0 and curves.controls.step.max == pytest.approx(np.log10(3000))
    assert "Measured learning curves" in curves.image.alt
    assert png_size(curves.image.png) == (700, 400)


@pytest.mark.parametrize("wd", measured_stops())
def test_weight_decay_slider_draws_the_shipped_runs(measured, wd):
    timeline, curves, _ = measured
    other = next(s for s in measured_stops() if s != wd)
    curves.controls.weight_decay.value = other
    frames = curves.image.frames
    curves.controls.weight_decay.value = wd
    assert curves.image.frames > frames
    assert timeline.regularization == wd == curves.controls.regularization.value
    assert_draws_measured(curves, wd)


def test_regularization_snaps_to_shipped_weight_decays(measured):
    timeline, curves, structure = measured
    stops = measured_stops()
    for value, want in [(1e-6, stops[0]), (100.0, stops[-1]), (stops[1] * 1.01, stops[1])]:
        timeline.regularization = value
        assert timeline.regularization == want
        assert curves.controls.weight_decay.value == want == structure.controls.weight_decay.value
        assert curves.controls.regularization.value == want
        assert_draws_measured(curves, want)
    # A hidden free slider moved from Python snaps too, and shows the snapped value.
    curves.controls.regularization.value = stops[-1] * 0.99
    assert curves.controls.regularization.value == stops[-1] == timeline.regularization


def test_the_switch_moves_both_widgets_between_sources(measured):
    timeline, curves, structure = measured
    curves.controls.weight_decay.value = 1.0
    curves.switch.value = "drawn"
    assert timeline.source == "drawn" == structure.switch.value
    assert timeline.horizon == DEFAULT_STEPS
    assert curves.controls.regularization.layout.display is None
    assert curves.controls.weight_decay.layout.display == "none"
    for kind in "AB":
        want = learning_curves(kind, 1.0)
        np.testing.assert_array_equal(curves.artists[kind].test_loss.get_ydata(), want.test_loss)
        np.testing.assert_array_equal(curves.artists[kind].complexity.get_ydata(), want.complexity)
    # Drawn: the free slider takes any value; the step can go to 10,000.
    curves.controls.regularization.value = 0.05
    curves.controls.step.value = 8000.0
    assert timeline.regularization == 0.05 and timeline.step == 8000.0
    # Back to measured: both snap (the step to the runs' end).
    structure.switch.value = "measured"
    assert timeline.regularization == measured_stops()[0]
    assert timeline.step == 3000.0 == curves.controls.step.value
    assert_draws_measured(curves, measured_stops()[0])
    for play in (curves.controls.play, structure.controls.play):
        play.value = play.max
        assert timeline.step == pytest.approx(3000.0)


def test_each_source_shows_only_its_own_axes(measured):
    timeline, curves, _ = measured
    (ax_d, cax_d), (ax_m, cax_m) = curves._axes["drawn"], curves._axes["measured"]
    assert ax_m.get_visible() and cax_m.get_visible()
    assert not ax_d.get_visible() and not cax_d.get_visible()
    assert not any(a.get_visible() for k in "AB" for a in curves._artists["drawn"][k].all())
    assert "LLC" in cax_m.get_ylabel() and cax_m.get_yscale() == "log"
    lo, hi = cax_m.get_ylim()
    for kind in "AB":
        res = measured_curves(kind, timeline.regularization)
        shown = np.concatenate([res.complexity, res.llc.llc])  # valid, and flagged estimates
        shown = shown[np.isfinite(shown) & (shown > 0)]
        assert np.all((lo <= shown) & (shown <= hi))  # the limits come from the data
    before = curves.image.png
    timeline.source = "drawn"
    assert ax_d.get_visible() and not ax_m.get_visible()
    assert curves.schematic_label.get_visible()
    assert "SCHEMATIC" in curves.schematic_label.get_text()
    assert curves.schematic_label.axes is ax_d  # on the canvas itself
    assert cax_d.get_ylabel().startswith("complexity")
    assert not any(a.get_visible() for k in "AB" for a in curves._artists["measured"][k].all())
    assert curves.image.png != before


def test_measured_toggles_and_cursor(measured):
    timeline, curves, _ = measured
    timeline.step = 400.0
    np.testing.assert_array_equal(curves.cursor.get_xdata(), [400.0, 400.0])
    for kind in "AB":
        v = measured_curves(kind, timeline.regularization).value_at(400.0)
        np.testing.assert_allclose(
            curves.artists[kind].cursor_dots.get_ydata(), [v["train_loss"], v["test_loss"]]
        )
    curves.show_complexity.value = False
    for kind in "AB":
        arts = curves.artists[kind]
        assert not arts.complexity.get_visible() and not arts.llc_points.get_visible()
        assert arts.test_loss.get_visible()
    curves.show_b.value = False
    assert not any(a.get_visible() for a in curves.artists["B"].all())
    curves.controls.weight_decay.value = measured_stops()[-1]
    assert not any(a.get_visible() for a in curves.artists["B"].all())
    curves.show_b.value = curves.show_complexity.value = True
    assert curves.artists["B"].complexity.get_visible()
    assert curves.artists["B"].transition.get_visible()


def test_flagged_llc_estimates_leave_a_gap():
    steps = np.array([0, 10, 20, 30, 40, 50, 60])
    c = np.array([np.nan, 5.0, 4.0, np.nan, np.nan, 2.0, 1.0])
    segments = complexity_segments(steps, c)
    assert [s[:, 0].tolist() for s in segments] == [[10, 20], [50, 60]]
    assert complexity_segments(steps, np.full(7, np.nan)) == []


def test_structure_panel_shows_the_real_networks_at_the_cursor(measured):
    timeline, curves, structure = measured
    for step in (1.0, 7.0, 180.0, 500.0, 2999.0):
        for wd in (measured_stops()[0], 1.0):
            curves.controls.weight_decay.value = wd
            timeline.step = step
            for kind, run_wd in (("A", 0.0), ("B", wd)):
                run = load_run(run_wd, measured_curves(kind, wd).seed)
                at = checkpoint_at(run, step)
                assert (
                    at <= max(step, 0)
                    and at == run.checkpoint_steps[run.checkpoint_steps <= step].max()
                )
                want = frequency_shares(run, step)
                assert structure.shares[kind].step == at
                np.testing.assert_array_equal(structure.shares[kind].share, want.share)
                bars = structure.spectra[kind].bars.get_data()
                np.testing.assert_array_equal(bars.values, want.share)
                assert f"checkpoint {at:,}:" in structure.spectra[kind].label.get_text()
            assert structure.spectra["B"].label.get_text().startswith(f"Weight decay {wd:g} ")
            assert structure.spectra["A"].label.get_text().startswith("Weight decay 0:")
            grok = load_run(wd, measured_curves("B", wd).seed).grok_step
            assert (f"groks at {grok:,}" if grok else "no grokking by 3,000") in (
                structure.spectra["B"].label.get_text()
            )
    # Measured: no toy diagram; drawn: only the diagram, titled as an illustration.
    assert not any(ax.get_visible() for ax in structure._axes["drawn"])
    assert not structure.illustration_label.get_visible()
    timeline.source = "drawn"
    assert all(ax.get_visible() for ax in structure._axes["drawn"])
    assert not any(ax.get_visible() for ax in structure._axes["measured"])
    assert "Illustration" in structure.illustration_label.get_text()
    assert structure.illustration_label.get_visible()
    assert "Illustration" in structure.image.alt


def test_grokked_network_concentrates_its_frequencies(measured):
    timeline, _, structure = measured
    timeline.regularization = 1.0
    timeline.step = 3000.0
    assert structure.shares["B"].top(5) > 0.6 > 0.4 > structure.shares["A"].top(5)


def test_measured_slider_moves_leak_no_figures():
    gc.collect()
    open_before = plt.get_fignums()
    timeline = Timeline()
    curves, structure = CurvesWidget(timeline), StructureWidget(timeline)
    figures_before = sum(isinstance(o, Figure) for o in gc.get_objects())
    stops = measured_stops()
    for i in range(100):
        curves.controls.weight_decay.value = stops[i % len(stops)]
        timeline.step = float(1 + (i * 37) % 3000)
        if i % 25 == 0:
            timeline.source = "drawn" if timeline.source == "measured" else "measured"
    gc.collect()
    assert plt.get_fignums() == open_before
    assert sum(isinstance(o, Figure) for o in gc.get_objects()) == figures_before
    curves.close()
    structure.close()


def test_source_argument_sets_the_shared_timeline():
    timeline = Timeline()
    curves = CurvesWidget(timeline, source="drawn")
    structure = StructureWidget(timeline)
    assert timeline.source == "drawn" and structure.switch.value == "drawn"
    assert all(ax.get_visible() for ax in structure._axes["drawn"])
    with pytest.raises(ValueError, match="source"):
        CurvesWidget(timeline, source="cartoon")
    curves.close()
    structure.close()


def test_labelled_controls_share_the_row_layout():
    """controls.labelled gives a control the essay's label column, its width and class."""
    from grokwidgets.widgets import controls

    slider = controls.labelled(controls.FloatSlider, "gw-test", width="300px", value=0.5)
    assert slider.style.description_width == controls.LABEL_WIDTH
    assert slider.layout.width == "300px" and "gw-test" in slider._dom_classes
    assert slider.value == 0.5
    plain = controls.labelled(controls.Dropdown, options=[1, 2])
    assert plain.layout.width == controls.ROW_WIDTH and not plain._dom_classes


def test_a_view_follows_its_timeline_until_closed():
    """TimelineView subscribes one handler to the source, regularization and step, and
    close() takes it away (twice is safe: ipywidgets also closes from __del__)."""
    timeline = Timeline()
    curves = CurvesWidget(timeline)
    curves.image.draw()
    before = curves.image.alt
    timeline.step = 50.0
    assert curves.image.alt != before  # the figure followed the step
    curves.close()
    curves.close()
    for name in ("source", "regularization", "step"):
        handlers = timeline._trait_notifiers.get(name, {}).get("change", [])
        assert curves._on_timeline_change not in handlers
