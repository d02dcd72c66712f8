"""Self-check functions for the classroom notebook (``essay/classroom.md``).

Each ``check_*`` function takes a student's answer, works out the true answer from
the shipped runs themselves (:mod:`grokwidgets.runs`, :mod:`grokwidgets.evidence`;
nothing is hard-coded), and returns a :class:`Feedback` that says right or wrong and
why. Every check grades against measured data, never against the drawn curve model.

- ``None``, the notebook's placeholder, reads "Not answered yet", never "Right".
- Bad input (a string where a number is asked, an unknown choice) gets a Feedback
  that says what was expected, not an exception, so a typo in class does not end in
  a traceback.
- The teacher's settings (``level``, ``weight_decay``, ``budget``, ``seed``) are
  declared through :mod:`grokwidgets._validation`: a wrong one is an
  :class:`~grokwidgets._validation.InvalidParameterError` naming it and its value.
  Whether a value is one the shipped data has (a sweep's weight decay, a matched
  loss level) depends on the data, so that is checked in the body, as the same error.

>>> from grokwidgets.classroom import check_smallest_fraction
>>> print(check_smallest_fraction(None))  # doctest: +ELLIPSIS
Not answered yet. ...
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

import numpy as np

from grokwidgets._validation import AnyOf, Integer, InvalidParameterError, Real, validate_params
from grokwidgets.evidence import OUTCOMES, grok_summary, matched_loss_comparison, phase_summary
from grokwidgets.experiment import RunConfig, make_dataset
from grokwidgets.runs import load_llc, load_run, load_sweep, median_seed
from grokwidgets.runs.sweep import SWEEP_TRAIN_FRACTION

__all__ = [
    "Feedback",
    "check_complexity_timing",
    "check_free_energy_gap",
    "check_grok_delay",
    "check_simpler_at_equal_loss",
    "check_smallest_fraction",
    "check_which_grok",
    "fall_done_by_grok",
]

#: The training loss at which exercise 1 compares runs (one of the sweep's levels).
MATCHED_LEVEL = 3e-3
#: Exercise 4's default budget: far (>= 10%) from every median grok step of the sweep.
DEFAULT_BUDGET = 1000
#: A budget closer than this share to a median grok step is refused (a coin flip).
BUDGET_MARGIN = 0.10
#: The largest budget taken: budgets are compared with (float) grok steps, which an
#: int beyond the float range cannot be; a billion is 300,000 times the sweep's.
MAX_BUDGET = 10**9

# The settings' constraints. Membership in the shipped data is checked in the bodies.
_LEVEL = {"level": Real(gt=0)}
_WEIGHT_DECAY = {"weight_decay": Real()}


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: ``correct``, a ``message`` that explains it, and
    whether there was an answer at all (``answered``; False for the placeholder)."""

    correct: bool
    message: str
    answered: bool = True

    def __bool__(self) -> bool:
        return self.correct

    @property
    def verdict(self) -> str:
        if not self.answered:
            return "Not answered yet."
        return "Right." if self.correct else "Not quite."

    def __str__(self) -> str:
        return f"{self.verdict} {self.message}"

    def _repr_html_(self) -> str:
        if not self.answered:
            colour, mark = "#666666", "… Not answered yet."
        elif self.correct:
            colour, mark = "#1b7837", "✔ Right."
        else:
            colour, mark = "#b2182b", "✘ Not quite."
        return (
            f'<div role="status" style="border-left:4px solid {colour};padding:4px 10px">'
            f"<b style='color:{colour}'>{mark}</b> {escape(self.message)}</div>"
        )


def _not_answered(example: str) -> Feedback:
    message = f"Replace None with your answer, e.g. {example}, and run the cell."
    return Feedback(False, message, answered=False)


def _number(answer: object) -> float | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    try:
        value = float(answer)
    except OverflowError:  # an int beyond the float range
        return None
    return value if math.isfinite(value) else None


def _choice(answer: object, aliases: dict[str, str]) -> str | None:
    return aliases.get(answer.strip().lower()) if isinstance(answer, str) else None


#: The words a student may answer with, each to the option it means (lower case).
_SIMPLER_ALIASES = {
    "generalizing": "generalizing", "generalising": "generalizing",
    "generalize": "generalizing", "generalized": "generalizing",
    "memorizing": "memorizing", "memorising": "memorizing",
    "memorize": "memorizing", "memorized": "memorizing",
}  # fmt: skip
_TIMING_ALIASES = {
    "before": "before", "earlier": "before", "during the plateau": "before",
    "at": "at", "at the jump": "at", "at grokking": "at",
    "after": "after", "later": "after",
}  # fmt: skip


def _pick(answer: object, aliases: dict[str, str], example: str, asked: str) -> str | Feedback:
    """The option ``answer`` names, or the Feedback to give instead: not answered
    yet (``example`` shows an answer), or not one of the options (``asked`` lists them)."""
    if answer is None:
        return _not_answered(example)
    picked = _choice(answer, aliases)
    if picked is None:
        return Feedback(False, f"Answer {asked}; got {answer!r}.")
    return picked


def _listed(values) -> str:
    return ", ".join(f"{v:g}" for v in values) if len(values) else "none"


def _check_weight_decay(weight_decay: float) -> float:
    # One of the sweep's weight decays (the value as the sweep writes it).
    wds = [float(w) for w in load_sweep().sweep_weight_decays()]
    hit = [w for w in wds if math.isclose(weight_decay, w)]
    if not hit:
        raise InvalidParameterError(
            f"weight_decay must be one of the sweep's {wds}, got {weight_decay!r}"
        )
    return hit[0]


@functools.cache
def _training_pairs() -> int:
    cfg = RunConfig()
    return int(make_dataset(cfg.p, cfg.op, cfg.train_fraction, cfg.seed).train_idx.size)


@functools.cache
def _matched(level: float):
    return matched_loss_comparison(level, permutations=1000)


# -- exercise 1: the learning coefficient at equal training loss


@validate_params(_LEVEL)
def check_simpler_at_equal_loss(answer: object, level: float = MATCHED_LEVEL) -> Feedback:
    """At equal training loss, which runs have the lower LLC: "generalizing" or "memorizing"?"""
    picked = _pick(answer, _SIMPLER_ALIASES, '"generalizing"', '"generalizing" or "memorizing"')
    if isinstance(picked, Feedback):
        return picked
    m = _matched(level)
    truth = "generalizing" if m.median_generalizing < m.median_memorizing else "memorizing"
    why = (
        f"Stopped where their training loss first reached {m.level:g}, the "
        f"{m.n_generalizing} runs that had generalized have a median LLC of "
        f"{m.median_generalizing:.0f}; the {m.n_memorizing} that had not, "
        f"{m.median_memorizing:.0f}. Same fit, fewer effective parameters: the rule is "
        "cheaper than the lookup table."
    )
    return Feedback(picked == truth, why)


@validate_params(_LEVEL)
def free_energy_gap(level: float = MATCHED_LEVEL) -> float:
    """(median memorizing LLC - median generalizing LLC) x log n at ``level``, in nats."""
    m = _matched(level)
    return (m.median_memorizing - m.median_generalizing) * math.log(_training_pairs())


@validate_params(_LEVEL)
def check_free_energy_gap(gap: object, level: float = MATCHED_LEVEL) -> Feedback:
    """By how many nats is the generalizing solution's free energy lower? (within 15%)

    With equal training loss the n L_n terms cancel, so the gap is the LLC
    difference times log n, n the number of training pairs.
    """
    if gap is None:
        return _not_answered("1500")
    guess = _number(gap)
    if guess is None:
        return Feedback(False, f"Give a number of nats, e.g. 1500; got {gap!r}.")
    m, n = _matched(level), _training_pairs()
    truth = free_energy_gap(level)
    why = (
        f"F_n ≈ n L_n + λ log n. The training losses are equal, so n L_n cancels and the gap "
        f"is ({m.median_memorizing:.0f} − {m.median_generalizing:.0f}) × log {n:,} = "
        f"{truth:,.0f} nats: the posterior weight of the simpler region is e^{truth:.0f} "
        "times larger. (This says which solution is preferred, not how soon training gets "
        "there: that is the dynamics.)"
    )
    return Feedback(abs(guess - truth) <= 0.15 * truth, why)


# -- exercise 2: the cartoon against the data


@validate_params({**_WEIGHT_DECAY, "seed": AnyOf(Integer(0), none=True)})
def fall_done_by_grok(weight_decay: float = 1.0, seed: int | None = None) -> float:
    """Share of a run's LLC fall done by its grok step.

    From the first valid estimate at or after memorization to the lowest valid one
    after it; the value at the grok step is interpolated linearly between checkpoints.
    """
    seed = median_seed(weight_decay) if seed is None else seed
    run, llc = load_run(weight_decay, seed), load_llc(weight_decay, seed)
    if run.grok_step is None or run.memorization_step is None:
        raise InvalidParameterError(
            f"weight_decay must be one whose run groks: the run at "
            f"weight_decay={weight_decay!r}, seed={seed!r} does not"
        )
    ok = llc.valid & (llc.step >= run.memorization_step)
    steps, values = llc.step[ok].astype(float), llc.llc[ok]
    start, low = float(values[0]), float(values.min())
    at_grok = float(np.interp(run.grok_step, steps, values))
    return (start - at_grok) / (start - low)


@validate_params(_WEIGHT_DECAY)
def check_complexity_timing(answer: object, weight_decay: float = 1.0) -> Feedback:
    """Does the measured LLC do most of its fall "before", "at" or "after" the grok step?"""
    picked = _pick(answer, _TIMING_ALIASES, '"at"', '"before", "at" or "after"')
    if isinstance(picked, Feedback):
        return picked
    wd = _check_weight_decay(weight_decay)
    seed = median_seed(wd)
    try:
        share = fall_done_by_grok(wd, seed)
    except InvalidParameterError:  # shown with the value as given (-0.0, say), not wd
        raise InvalidParameterError(
            f"weight_decay must be one whose median run groks, got {weight_decay!r}"
        ) from None
    truth = "before" if share >= 0.5 else "after"
    grok = load_run(wd, seed).grok_step
    why = (
        f"On the shipped run (weight decay {wd:g}, seed {seed}) {share:.0%} of the LLC's fall "
        f"was done by the grok step ({grok:,}). The drawn model's complexity also slides "
        "down through the plateau, but a drawing is not evidence: what shows it is the "
        "measured curve. Weight decay shrinks the memorizing weights while the Fourier "
        "circuit forms; by the time test accuracy jumps, most of the simplifying is over."
    )
    return Feedback(picked == truth, why)


# -- exercise 3: how long is the plateau, and how much does it vary?


@validate_params(_WEIGHT_DECAY)
def delay_ratios(weight_decay: float = 1.0) -> dict[int, float]:
    """grok step / memorization step for every sweep seed at ``weight_decay`` that grokked."""
    sweep = load_sweep()
    rows = sweep.rows(_check_weight_decay(weight_decay), SWEEP_TRAIN_FRACTION)
    out = {}
    for i in rows:
        mem, grok = sweep.memorization_step[i], sweep.grok_step[i]
        if np.isfinite(mem) and np.isfinite(grok):
            out[int(sweep.seed[i])] = float(grok / mem)
    return dict(sorted(out.items()))


@validate_params(_WEIGHT_DECAY)
def check_grok_delay(times_later: object, weight_decay: float = 1.0) -> Feedback:
    """How many times later than memorization does the network generalize?

    Right within 15% of any shipped seed's ``grok_step / memorization_step`` (or
    anywhere between the fastest and the slowest seed): seeds differ, and a
    student who read another seed's run is right about that run.
    """
    if times_later is None:
        return _not_answered("5")
    guess = _number(times_later)
    if guess is None or guess <= 0:
        return Feedback(False, f"Give a positive number, e.g. 5; got {times_later!r}.")
    ratios = delay_ratios(weight_decay)
    sweep = load_sweep()
    rows = sweep.rows(_check_weight_decay(weight_decay), SWEEP_TRAIN_FRACTION)
    mems = sweep.memorization_step[rows]
    if not ratios:
        raise InvalidParameterError(
            f"weight_decay must be one at which some seed groks, got {weight_decay!r}"
        )
    values = np.array(list(ratios.values()))
    lo, hi, med = float(values.min()), float(values.max()), float(np.median(values))
    near = any(abs(guess - r) <= 0.15 * r for r in values)
    right = near or lo <= guess <= hi
    listing = ", ".join(f"seed {s}: {r:.0f}×" for s, r in ratios.items())
    why = (
        f"At weight decay {weight_decay:g} the {len(values)} seeds generalized {lo:.0f} to "
        f"{hi:.0f} times later than they memorized (median {med:.0f}×; {listing}). "
        f"Memorization takes {np.nanmin(mems):.0f} to {np.nanmax(mems):.0f} steps on every "
        "seed; the grok step varies much more, because each seed draws its own train/test "
        "split and starting weights, and the slow drift across the plateau amplifies "
        "those small differences."
    )
    return Feedback(right, why)


# -- exercise 4: which weight decays grok within a budget?


@validate_params({"budget": Integer(1, MAX_BUDGET)})
def check_which_grok(weight_decays: object, budget: int = DEFAULT_BUDGET) -> Feedback:
    """Which weight decays of the sweep have their median seed grok within ``budget`` steps?

    ``budget`` must lie at least 10% away from every median grok step, so that the
    answer does not hinge on a few steps.
    """
    summary = grok_summary()
    pairs = zip(summary.weight_decay, summary.median, strict=True)
    medians = {float(w): float(m) for w, m in pairs}
    finite = {w: m for w, m in medians.items() if np.isfinite(m)}
    close = [w for w, m in finite.items() if abs(m - budget) < BUDGET_MARGIN * m]
    if close:
        raise InvalidParameterError(
            f"budget {budget} is within {BUDGET_MARGIN:.0%} of the median grok step of "
            f"weight decay {close}: choose another"
        )
    if weight_decays is None:
        return _not_answered("[1, 2]")
    try:
        if not isinstance(weight_decays, Iterable):
            raise TypeError  # answered below, as for a list of non-numbers
        chosen = {float(x) for x in weight_decays}
    except (TypeError, ValueError, OverflowError):
        return Feedback(False, f"Give a list of weight decays, e.g. [1, 2]; got {weight_decays!r}.")
    unknown = {x for x in chosen if not any(math.isclose(x, w) for w in medians)}
    if unknown:
        return Feedback(
            False, f"Choose among the sweep's {sorted(medians)}; {sorted(unknown)} are not there."
        )
    chosen = {w for w in medians if any(math.isclose(x, w) for x in chosen)}
    truth = {w for w, m in medians.items() if np.isfinite(m) and m <= budget}
    late = sorted(w for w, m in medians.items() if np.isfinite(m) and m > budget)
    never = sorted(w for w, m in medians.items() if not np.isfinite(m))
    table = ", ".join(f"{w:g}: {m:,.0f}" for w, m in medians.items() if np.isfinite(m))
    why = (
        f"Median grok step by weight decay: {table}. Within {budget:,} steps: "
        f"{_listed(sorted(truth))}. Weight decay {_listed(late)} grok later: those runs are "
        f"late, not failed. With {_listed(never)}, fewer than half of the seeds grok within "
        f"{summary.budget:,} steps: the pull toward small weights is too weak to carry "
        "them off the memorizing solution in time."
    )
    return Feedback(chosen == truth, why)


# -- exercise 5: how much data does it take?


@validate_params(_WEIGHT_DECAY)
def smallest_grokking_fraction(weight_decay: float = 1.0) -> float | None:
    """The smallest train fraction whose phase-diagram cell mostly groks, at ``weight_decay``."""
    phase = phase_summary()
    hits = np.flatnonzero(np.isclose(phase.weight_decay, weight_decay))
    if hits.size == 0:
        raise InvalidParameterError(
            f"weight_decay must be one of the phase diagram's {phase.weight_decay.tolist()}, "
            f"got {weight_decay!r}"
        )
    row = phase.outcome[hits[0]]
    grok = np.flatnonzero(row == OUTCOMES.index("grokked"))
    return float(phase.train_fraction[grok[0]]) if grok.size else None


@validate_params(_WEIGHT_DECAY)
def check_smallest_fraction(fraction: object, weight_decay: float = 1.0) -> Feedback:
    """At ``weight_decay``, what is the smallest train fraction at which most seeds grok?"""
    if fraction is None:
        return _not_answered("0.5")
    guess = _number(fraction)
    if guess is None or not 0 < guess < 1:
        return Feedback(
            False, f"Give a train fraction between 0 and 1, e.g. 0.5; got {fraction!r}."
        )
    phase = phase_summary()
    truth = smallest_grokking_fraction(weight_decay)
    i = int(np.flatnonzero(np.isclose(phase.weight_decay, weight_decay))[0])
    cells = ", ".join(
        f"{f:g}: {OUTCOMES[o]}" for f, o in zip(phase.train_fraction, phase.outcome[i], strict=True)
    )
    why = (
        f"At weight decay {weight_decay:g}, by train fraction ({phase.seeds} seeds each, "
        f"{load_sweep().budget:,} steps): {cells}. With fewer training pairs a lookup "
        "table is cheap and many rules fit the few examples, so the network has less "
        "reason, and less evidence, to find the one true rule; Power et al. found that "
        "smaller training sets need far more steps to generalize."
    )
    right = truth is not None and math.isclose(guess, truth, abs_tol=1e-9)
    return Feedback(right, why)
