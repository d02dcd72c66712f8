"""Measured complexity along real runs: the LLC curve, its shipped values, the widget."""

import numpy as np
import pytest

from grokwidgets.measures import llc_curve, run_measures
from grokwidgets.plots.complexity import LLC_RANGE, LOSS_RANGE
from grokwidgets.runs import available_runs, load_llc, load_run
from grokwidgets.widgets.complexity import ComplexityWidget


def test_every_shipped_run_has_its_llc_curve():
    for config in available_runs():
        run = load_run(config.weight_decay, config.seed)
        curve = load_llc(config.weight_decay, config.seed)
        np.testing.assert_array_equal(curve.step, run.checkpoint_steps[1:])
        assert np.all(np.isfinite(curve.llc)) and np.all(curve.llc > 0)
        assert curve.settings["nbeta"] == pytest.approx(1124 / np.log(1124))


def test_shipped_llc_is_reproducible_from_the_run():
    run = load_run(1.0, 0)
    shipped = load_llc(1.0, 0)
    steps = shipped.step[[4, 12]]
    fresh = llc_curve(run, seed=0, steps=steps)
    # Same seed, same child generator per checkpoint: the same estimate (to JSON's rounding).
    np.testing.assert_allclose(fresh.llc, shipped.llc[[4, 12]], rtol=1e-3)


def test_grokking_run_gets_simpler_and_memorizing_run_does_not():
    # Issue 10: only estimates that pass every check carry the story.
    grok, grok_llc = load_run(1.0, 0), load_llc(1.0, 0)
    valid = grok_llc.llc[grok_llc.valid]
    steps = grok_llc.step[grok_llc.valid]
    peak = int(np.argmax(valid))
    # The largest valid estimate comes after memorization and before grokking ...
    assert grok.memorization_step <= steps[peak] < grok.grok_step
    # ... and the valid estimates fall by more than 10x by twice the grok step.
    after = valid[steps >= 2 * grok.grok_step]
    assert after.min() < valid[peak] / 10
    # Without weight decay the chains leave the basin at every checkpoint: no estimate
    # is valid, and the raw numbers only grow (a lower bound on nothing local).
    none_llc = load_llc(0.0, 0)
    assert not none_llc.valid.any()
    memorized = none_llc.train_acc >= 0.99
    assert all("left the basin" in r for r, m in zip(none_llc.reasons, memorized, strict=True) if m)
    assert np.argmax(none_llc.llc) == len(none_llc.llc) - 1


def test_llc_curve_bad_input():
    run = load_run(1.0, 0)
    with pytest.raises(TypeError, match="run"):
        llc_curve("not a run")
    with pytest.raises(ValueError, match="steps"):
        llc_curve(run, steps=np.array([7]))
    with pytest.raises(ValueError, match="seed"):
        llc_curve(run, seed=-1)


def test_llc_curve_can_stop_early():
    calls = []
    curve = llc_curve(load_run(1.0, 0), progress=lambda done, total: calls.append(done) or False)
    assert calls == [1] and len(curve.step) == 1


@pytest.fixture
def widget():
    w = ComplexityWidget()
    yield w
    w.close()


@pytest.mark.parametrize("choice", [(1.0, 0), (0.0, 0), (2.0, 0), (1.0, 2)])
def test_widget_draws_the_chosen_run(widget, choice):
    widget.choice.value = choice
    run, llc = load_run(*choice), load_llc(*choice)
    art = widget.artists
    np.testing.assert_array_equal(art.llc.get_xdata(), llc.step)
    np.testing.assert_array_equal(art.llc.get_ydata(), np.clip(llc.llc, *LLC_RANGE))
    keep = run.history.step > 0
    np.testing.assert_array_equal(
        art.test_loss.get_ydata(), np.clip(run.history.test_loss[keep], *LOSS_RANGE)
    )
    measures = run_measures(run)
    np.testing.assert_array_equal(art.top_k.get_ydata(), measures.top_k_fraction[1:])
    assert art.marks[1].get_visible() == (run.grok_step is not None)
    early = llc.llc if run.grok_step is None else llc.llc[llc.step <= run.grok_step]
    assert f"{early.max():,.0f}" in widget.status.value
    assert widget.status.value in widget.image.alt


def test_widget_measures_a_fresh_run_live(widget, monkeypatch):
    # A short budget keeps the test fast; the path is the one the button takes.
    import grokwidgets.widgets.complexity as module

    original = module.Trainer

    def short_trainer(**kw):
        return original(steps=120, checkpoint_steps=[0, 60, 120], **kw)

    monkeypatch.setattr(module, "Trainer", short_trainer)
    widget.fresh_seed.value = 5
    widget.measure_button.click()
    widget.wait(120)
    assert not widget.measuring and not widget.measure_button.disabled
    assert widget.run.config.seed == 5 and widget.run.step == 120
    np.testing.assert_array_equal(widget.llc.step, [60, 120])
    np.testing.assert_array_equal(widget.artists.llc.get_xdata(), [60, 120])
    assert widget.progress.value == pytest.approx(1.0)
