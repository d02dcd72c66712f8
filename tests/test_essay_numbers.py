"""Every number the essay, the classroom notebook and the answer key quote about the
shipped runs is recomputed here from the shipped data, so the prose cannot drift.

Each row of ``QUOTES`` is (file, template, function): the function computes the
numbers from :mod:`grokwidgets.runs` / :mod:`grokwidgets.evidence` and formats them
as the prose does; the template, filled with them, must appear in the file
(whitespace-insensitive). A regenerated data set that moves a number fails here and
names the sentence to update.
"""

from __future__ import annotations

import functools
import math
import re
from pathlib import Path

import numpy as np
import pytest

from grokwidgets import classroom
from grokwidgets.evidence import (
    GENERALIZING_ACCURACY,
    OUTCOMES,
    fit_inverse_law,
    grok_summary,
    matched_loss_comparison,
    phase_summary,
)
from grokwidgets.experiment import RunConfig, make_dataset
from grokwidgets.measures import run_measures
from grokwidgets.runs import load_llc, load_run, load_sweep, median_seed
from grokwidgets.runs.trust import load_trust

ESSAY = Path(__file__).resolve().parent.parent / "essay"
WORDS = {1: "one", 2: "two", 4: "four", 6: "six", 7: "seven", 8: "eight", 9: "nine"}
LEVEL = 3e-3  # the matched training loss the prose quotes


def _text(name: str) -> str:
    return re.sub(r"\s+", " ", (ESSAY / name).read_text("utf-8"))


def _c(x: float) -> str:
    """An integer with thousands separators, as the prose writes it."""
    return f"{x:,.0f}"


def _minus(x: float, fmt: str = ".2f") -> str:
    return format(x, fmt).replace("-", "−")


def _word(n: int) -> str:
    return WORDS.get(int(n), str(int(n)))


@functools.cache
def _median_run():
    return load_run(1.0, median_seed(1.0))


@functools.cache
def _median_llc():
    return load_llc(1.0, median_seed(1.0))


@functools.cache
def _matched():
    return matched_loss_comparison(LEVEL, permutations=1000)


def _at(history, step: int, field: str) -> float:
    i = int(np.flatnonzero(history.step == step)[0])
    return float(getattr(history, field)[i])


def _llc_at(step: int) -> float:
    llc = _median_llc()
    i = int(np.flatnonzero(llc.step == step)[0])
    assert llc.valid[i], f"the LLC at step {step} is flagged: do not quote it"
    return float(llc.llc[i])


def _first_valid_step() -> int:
    run, llc = _median_run(), _median_llc()
    ok = llc.valid & (llc.step >= run.memorization_step)
    return int(llc.step[ok][0])


def _grok_summary_row(wd: float) -> int:
    s = grok_summary()
    return int(np.flatnonzero(np.isclose(s.weight_decay, wd))[0])


def _median_grok(wd: float) -> str:
    return _c(grok_summary().median[_grok_summary_row(wd)])


def _grokked(wd: float) -> int:
    return int(grok_summary().grokked[_grok_summary_row(wd)])


def _fourier():
    m = run_measures(_median_run())

    def share(step):
        return f"{m.top_k_fraction[list(m.step).index(step)]:.2f}"

    memo = run_measures(load_run(0.0, 0))
    return (
        share(50),
        share(200),
        f"{100 * _at(_median_run().history, 200, 'test_acc'):.0f}",
        share(600),
        f"{m.top_k_fraction[-1]:.2f}",
        f"{m.effective_frequencies[0]:.0f}",
        f"{m.effective_frequencies[-1]:.1f}",
        f"{memo.top_k_fraction[-1]:.2f}",
    )


def _rank_correlation() -> str:
    from grokwidgets.evidence import _spearman

    llc = _median_llc()
    k = llc.valid & (llc.step >= _first_valid_step()) & (llc.step <= 1000)
    return f"{_spearman(llc.llc[k], llc.train_loss[k]):.2f}"


def _settings():
    s = _median_llc().settings
    exponent = round(math.log10(s["epsilon"]))
    sup = str(exponent).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return (f"10{sup}", f"{s['gamma']:g}", str(s["num_chains"]), str(s["num_draws"]))


def _toy():
    t = load_trust()
    cases = [str(c) for c in t["toy_cases"]]
    calibrated = float(t["toy_llc"][cases.index("calibrated")])
    small = float(t["toy_llc"][cases.index("step too small")])
    assert float(t["toy_lambda"]) == 0.75
    assert not t["toy_valid"][cases.index("step too small")]
    assert not t["toy_valid"][cases.index("step too large")]
    return (f"{calibrated:.2f}", f"{small:.2f}")


def _matched_numbers():
    m = _matched()
    return (
        f"{m.level:g}",
        str(m.n_generalizing),
        f"{100 * GENERALIZING_ACCURACY:.0f}",
        f"{m.median_generalizing:.0f}",
        str(m.n_memorizing),
        f"{m.median_memorizing:.0f}",
        str(m.n_generalizing + m.n_memorizing),
        _minus(m.spearman),
        str(m.n_invalid),
    )


def _phase_fraction_row(wd: float):
    p = phase_summary()
    i = int(np.flatnonzero(np.isclose(p.weight_decay, wd))[0])
    grok = p.outcome[i] == OUTCOMES.index("grokked")
    return [f"{f:g}" for f in p.train_fraction[grok]]


def _phase_none_at(fraction: float) -> str:
    p = phase_summary()
    j = int(np.flatnonzero(np.isclose(p.train_fraction, fraction))[0])
    return "no" if not np.any(p.outcome[:, j] == OUTCOMES.index("grokked")) else "some"


def _phase_none_without_decay() -> str:
    p = phase_summary()
    i = int(np.flatnonzero(p.weight_decay == 0)[0])
    return "no" if not np.any(p.outcome[i] == OUTCOMES.index("grokked")) else "some"


def _pairs():
    cfg = RunConfig()
    d = make_dataset(cfg.p, cfg.op, cfg.train_fraction, cfg.seed)
    return d.train_idx.size, d.test_idx.size, cfg.p**2


def _n_params() -> str:
    cfg = _median_run().config
    return _c(sum(int(np.prod(s)) for s in cfg.param_shapes.values()))


def _delays():
    r = np.array(list(classroom.delay_ratios(1.0).values()))
    return (f"{r.min():.0f}", f"{r.max():.0f}", f"{np.median(r):.0f}")


def _sweep_shape():
    sweep = load_sweep()
    rows = sweep.rows(1.0, 0.4)
    return (
        _word(len(rows)),
        _word(len(sweep.sweep_weight_decays())),
        _c(sweep.budget),
    )


def _phase_shape():
    p = phase_summary()
    return (_word(p.weight_decay.size), _word(p.train_fraction.size), _word(p.seeds))


def _memorization_typical() -> str:
    sweep = load_sweep()
    mem = sweep.memorization_step[np.isclose(sweep.train_fraction, 0.4)]
    return f"{np.nanmedian(mem):.0f}"


def _budget_answer():
    medians = dict(zip(grok_summary().weight_decay, grok_summary().median, strict=True))
    hits = [w for w, m in medians.items() if np.isfinite(m) and m <= 1000]
    return ("[" + ", ".join(f"{w:g}" for w in sorted(hits)) + "]",)


QUOTES = [
    # -- grokking.md: the phenomenon
    (
        "grokking.md",
        "It reaches 99% training accuracy at step {}, but 95% test accuracy only at step {}.",
        lambda: (str(_median_run().memorization_step), str(_median_run().grok_step)),
    ),
    (
        "grokking.md",
        "The blue run memorizes at step {} too, and never generalizes within its {} steps.",
        lambda: (
            str(load_run(0.0, 0).memorization_step),
            _c(load_run(0.0, 0).config.steps),
        ),
    ),
    (
        "grokking.md",
        "Thin lines are the loss on the {} training pairs, thick lines the loss on the {} "
        "pairs held out",
        lambda: tuple(_c(x) for x in _pairs()[:2]),
    ),
    (
        "grokking.md",
        "the test loss falls from {} at step 50 to {} at step 200 and {} at step 300, while "
        "test accuracy is still {}%.",
        lambda: (
            f"{_at(_median_run().history, 50, 'test_loss'):.1f}",
            f"{_at(_median_run().history, 200, 'test_loss'):.1f}",
            f"{_at(_median_run().history, 300, 'test_loss'):.1f}",
            f"{100 * _at(_median_run().history, 300, 'test_acc'):.0f}",
        ),
    ),
    (
        "grokking.md",
        "So we trained {} seeds (each seed draws its own train/test split and starting "
        "weights) at each of {} weight decays, every run for {} steps.",
        _sweep_shape,
    ),
    (
        "grokking.md",
        "Without weight decay, and at 0.1, none of the eight seeds grokked; at 0.2 {} did, "
        "at 0.3 {}, and from 0.5 up all {}.",
        lambda: (
            (
                _word(_grokked(0.2)),
                _word(_grokked(0.3)),
                _word(min(_grokked(w) for w in (0.5, 0.7, 1.0, 1.5, 2.0))),
            )
            if _grokked(0.0) == 0 and _grokked(0.1) == 0
            else ("?", "?", "?")
        ),
    ),
    (
        "grokking.md",
        "The median grok step falls from {} at weight decay 0.3 to {} at 0.5, {} at 1 and {} at 2.",
        lambda: tuple(_median_grok(w) for w in (0.3, 0.5, 1.0, 2.0)),
    ),
    (
        "grokking.md",
        "gives t0 = {} steps and T = {}, and explains {}% of their variance.",
        lambda: (
            f"{fit_inverse_law().t0:.0f}",
            f"{fit_inverse_law().T:.0f}",
            f"{100 * fit_inverse_law().r2:.0f}",
        ),
    ),
    (
        "grokking.md",
        "A power law fitted on log-log axes has exponent {},",
        lambda: (_minus(-fit_inverse_law().slope),),
    ),
    # -- the network
    (
        "grokking.md",
        "Each residue gets a learned {}-number embedding; the embeddings of a and b feed a "
        "layer of {} units with a squaring activation, which feeds {} outputs, one per "
        "possible answer. It trains on a share of the {} pairs",
        lambda: (
            str(RunConfig().embed_dim),
            str(RunConfig().hidden),
            str(RunConfig().p),
            _c(_pairs()[2]),
        ),
    ),
    ("grokking.md", "the real network has {} weights, not two", lambda: (_n_params(),)),
    (
        "grokking.md",
        "the share of the embedding's energy in its five strongest frequencies is {} at step "
        "50, {} at step 200 (test accuracy {}%), {} at step 600 and {} at the end; the "
        "effective number of frequencies falls from {} to {}. The memorizing run stays at {}.",
        _fourier,
    ),
    # -- the LLC
    (
        "grokking.md",
        "at an inverse temperature of n / log n ≈ {}.",
        lambda: (f"{_median_llc().settings['nbeta']:.0f}",),
    ),
    (
        "grokking.md",
        "On the median gold run the estimate is flagged, and not drawn, until step {}",
        lambda: (str(_first_valid_step()),),
    ),
    (
        "grokking.md",
        "From there it falls without a pause: {} at step 100, {} at step 300, {} at step 600 "
        "and {} at step 1,000. The run grokked at step {}, by which time {}% of the fall",
        lambda: (
            f"{_llc_at(100):.0f}",
            f"{_llc_at(300):.0f}",
            f"{_llc_at(600):.0f}",
            f"{_llc_at(1000):.0f}",
            str(_median_run().grok_step),
            f"{100 * classroom.fall_done_by_grok(1.0):.0f}",
        ),
    ),
    (
        "grokking.md",
        "from step {} to step 1,000 the estimate moves with the training loss: their rank "
        "correlation is {}.",
        lambda: (str(_first_valid_step()), _rank_correlation()),
    ),
    (
        "grokking.md",
        "(step size {}, spring strength {}, {} chains of {} draws)",
        _settings,
    ),
    (
        "grokking.md",
        "With its calibrated settings the estimator returns {} on the toy.",
        lambda: _toy()[:1],
    ),
    ("grokking.md", "the chains disagree and read {}, also flagged.", lambda: _toy()[1:]),
    (
        "grokking.md",
        "At training loss {}, the {} runs that had generalized (test accuracy above {}%) have "
        "a median LLC of {}; the {} that had not, {}. Across all {} valid estimates the rank "
        "correlation of LLC with test accuracy is {} ({} more were flagged and left out).",
        _matched_numbers,
    ),
    (
        "grokking.md",
        "the mean correlation is {}.",
        lambda: (_minus(_matched().within_mean),),
    ),
    # -- the phase diagram
    (
        "grokking.md",
        "The phase diagram below crosses {} weight decays with {} train fractions, {} seeds "
        "per cell,",
        _phase_shape,
    ),
    (
        "grokking.md",
        "With a train fraction of 0.2, {} cell groks within the budget; without weight decay, "
        "{} train fraction does.",
        lambda: (_phase_none_at(0.2), _phase_none_without_decay()),
    ),
    (
        "grokking.md",
        "At weight decay 0.1 only the two largest fractions, {} and {}, grok.",
        lambda: tuple(_phase_fraction_row(0.1)),
    ),
    (
        "grokking.md",
        "memorization in a median of {} steps across the sweep;",
        lambda: (_memorization_typical(),),
    ),
    # -- classroom.md
    (
        "classroom.md",
        "with n = {} training pairs.",
        lambda: (_c(_pairs()[0]),),
    ),
    ("classroom.md", "the share of all {} pairs the network trains on", lambda: (_c(_pairs()[2]),)),
    (
        "classroom.md",
        "Each cell is coloured by what most of its {} seeds did in {} steps.",
        lambda: (_word(phase_summary().seeds), _c(load_sweep().budget)),
    ),
    # -- teacher/answer_key.md
    (
        "teacher/answer_key.md",
        "At training loss {}, the {} runs that had generalized have a median LLC of {}; the "
        "{} that had not, {}.",
        lambda: (
            f"{_matched().level:g}",
            str(_matched().n_generalizing),
            f"{_matched().median_generalizing:.0f}",
            str(_matched().n_memorizing),
            f"{_matched().median_memorizing:.0f}",
        ),
    ),
    (
        "teacher/answer_key.md",
        "About {} nats: ({} − {}) × log {}.",
        lambda: (
            _c(classroom.free_energy_gap(LEVEL)),
            f"{_matched().median_memorizing:.0f}",
            f"{_matched().median_generalizing:.0f}",
            _c(_pairs()[0]),
        ),
    ),
    (
        "teacher/answer_key.md",
        "(seed {}), {}% of the LLC's fall, from its first valid estimate to its lowest, was "
        "done by the grok step (step {}).",
        lambda: (
            str(median_seed(1.0)),
            f"{100 * classroom.fall_done_by_grok(1.0):.0f}",
            str(_median_run().grok_step),
        ),
    ),
    (
        "teacher/answer_key.md",
        "Anything from {} to {} is right: the eight seeds at weight decay 1 generalized {} "
        "to {} times later than they memorized (median {}).",
        lambda: (_delays()[0], _delays()[1], *_delays()),
    ),
    (
        "teacher/answer_key.md",
        "Median grok steps: 0.3: {}; 0.5: {}; 0.7: {}; 1: {}; 1.5: {}; 2: {}.",
        lambda: tuple(_median_grok(w) for w in (0.3, 0.5, 0.7, 1.0, 1.5, 2.0)),
    ),
    ("teacher/answer_key.md", "**4.** `{}`.", _budget_answer),
    (
        "teacher/answer_key.md",
        "**5.** `{}`.",
        lambda: (f"{classroom.smallest_grokking_fraction(1.0):g}",),
    ),
    (
        "teacher/answer_key.md",
        "weight decay 0.5's median grok step ({}) lies within 10% of it",
        lambda: (_median_grok(0.5),),
    ),
    ("teacher/answer_key.md", "The network has {} weights", lambda: (_n_params(),)),
]


@pytest.mark.parametrize(
    ("name", "template", "compute"),
    QUOTES,
    ids=[f"{name}:{template[:40]}" for name, template, _ in QUOTES],
)
def test_quoted_number_matches_the_shipped_data(name, template, compute):
    expected = template.format(*compute())
    assert expected in _text(name), f"{name} should say: {expected!r}"


def test_budget_of_exercise_4_is_far_from_every_median():
    medians = grok_summary().median
    finite = medians[np.isfinite(medians)]
    assert np.all(np.abs(finite - classroom.DEFAULT_BUDGET) >= 0.1 * finite)
