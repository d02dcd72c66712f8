"""The lab widget: shipped runs on screen, live training, the checkpoint cursor."""

import numpy as np
import pytest

from grokwidgets.experiment import Trainer
from grokwidgets.plots.lab import LOSS_RANGE
from grokwidgets.runs import load_run
from grokwidgets.widgets.lab import LabWidget


@pytest.fixture
def lab():
    widget = LabWidget(live_steps=120)
    yield widget
    widget.close()


def assert_shows(lab, run):
    art = lab.history_artists
    np.testing.assert_array_equal(art.train_acc.get_xdata(), run.history.step)
    np.testing.assert_array_equal(art.test_acc.get_ydata(), run.history.test_acc)
    np.testing.assert_array_equal(
        art.test_loss.get_ydata(), np.clip(run.history.test_loss, *LOSS_RANGE)
    )
    assert lab.checkpoint.max == len(run.checkpoint_steps) - 1


def test_opens_on_the_shipped_default_run(lab):
    run = load_run(1.0, 0)
    assert_shows(lab, run)
    assert f"at step {run.grok_step}" in lab.status.value
    assert lab.history_artists.grok_marks[0].get_xdata()[0] == run.grok_step


def test_weight_decay_switches_between_shipped_runs(lab):
    lab.weight_decay.value = 0.0
    run = load_run(0.0, 0)
    assert run.grok_step is None
    assert_shows(lab, run)
    assert "no generalization" in lab.status.value
    assert not lab.history_artists.grok_marks[0].get_visible()


def test_checkpoint_slider_redraws_the_weights(lab):
    run = load_run(1.0, 0)
    frames = lab.weights_image.frames
    lab.checkpoint.value = 3
    step = int(run.checkpoint_steps[3])
    params = run.params_at(step)
    np.testing.assert_array_equal(
        lab.weight_artists.embedding.get_array(), params["embed"].T.astype(np.float64)
    )
    np.testing.assert_array_equal(lab.weight_artists.output.get_array(), params["w_out"])
    assert lab.weights_image.frames > frames
    assert lab.checkpoint_label.value == f"step {step}"
    np.testing.assert_array_equal(lab.history_artists.cursors[0].get_xdata(), [step, step])


def test_unshipped_settings_ask_for_training(lab):
    lab.weight_decay.value = 3.0
    assert lab.run is None
    assert "press <b>Train</b>" in lab.status.value


def test_live_training_matches_the_trainer(lab):
    lab.weight_decay.value = 3.0
    lab.op.value = "-"
    lab.seed.value = 1
    lab.train_fraction.value = 0.5
    lab.train_button.click()
    lab.wait(120)
    assert not lab.training
    # The expectation from the settings this test chose, not from the widget's config().
    expected = Trainer(weight_decay=3.0, train_fraction=0.5, op="-", seed=1, steps=120)
    expected.step(120)
    assert lab.run.step == lab.live_steps == lab.progress.value
    np.testing.assert_array_equal(lab.run.history.test_acc, expected.run.history.test_acc)
    assert_shows(lab, lab.run)
    assert not lab.train_button.disabled and lab.stop_button.disabled
    assert not lab.weight_decay.disabled


def test_stop_halfway_then_train_again_leaves_a_consistent_widget():
    lab = LabWidget(live_steps=1500)
    try:
        lab.weight_decay.value = 3.0
        # Stop as soon as the worker starts: the run must end early, cleanly.
        lab.train_button.click()
        lab.stop_button.click()
        lab.wait(120)
        assert lab.run.stopped_early and lab.run.step < 1500
        assert "Stopped at step" in lab.status.value
        assert not lab.train_button.disabled and not lab.weight_decay.disabled
        assert_shows(lab, lab.run)
        lab.live_steps = 60
        lab.train_button.click()
        lab.wait(120)
        assert lab.run.step == 60 and not lab.run.stopped_early
        assert_shows(lab, lab.run)
    finally:
        lab.close()
