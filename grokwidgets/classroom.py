"""Self-check functions for the classroom notebook.

Each ``check_*`` function takes a student's prediction, works out the true answer
from the models themselves (nothing is hard-coded), and returns a
:class:`Feedback` that says right or wrong and why. Bad input (a string where a
number is asked, an unknown choice) gets a Feedback that says what was expected,
not an exception, so a typo in class does not end in a traceback.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from html import escape

from grokwidgets.curves import MAX_REGULARIZATION, learning_curves
from grokwidgets.runs import available_runs, load_run

__all__ = [
    "Feedback",
    "check_complexity_at_transition",
    "check_doubling",
    "check_grok_delay",
    "check_which_grok",
]


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: ``correct`` and a message that explains it."""

    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return ("Right. " if self.correct else "Not quite. ") + self.message

    def _repr_html_(self) -> str:
        colour, mark = ("#1b7837", "✔ Right.") if self.correct else ("#b2182b", "✘ Not quite.")
        return (
            f'<div role="status" style="border-left:4px solid {colour};padding:4px 10px">'
            f"<b style='color:{colour}'>{mark}</b> {escape(self.message)}</div>"
        )


def _number(answer: object) -> float | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    try:
        value = float(answer)
    except OverflowError:  # an int beyond the float range
        return None
    return value if math.isfinite(value) else None


def check_doubling(predicted_step: object, regularization: float = 0.5) -> Feedback:
    """Where does the Type B transition move when regularization doubles?

    ``predicted_step`` is the student's guess for the transition step at
    ``2 * regularization``; it counts as right within 15% of the model's answer.
    """
    guess = _number(predicted_step)
    before = learning_curves("B", regularization).transition_step  # validates it
    if before is None:  # no transition (r = 0 or too small): no question to ask
        raise ValueError(
            f"regularization must give a transition within the horizon, got {regularization!r}"
        )
    if 2 * regularization > MAX_REGULARIZATION:
        raise ValueError(
            f"regularization must be <= {MAX_REGULARIZATION / 2:g} (it is doubled), "
            f"got {regularization!r}"
        )
    after = learning_curves("B", 2 * regularization).transition_step
    if guess is None:
        return Feedback(False, f"Give a step number, e.g. 1500; got {predicted_step!r}.")
    why = (
        f"At regularization {regularization:g} the transition is at step {before:,.0f}; at "
        f"{2 * regularization:g} it is at step {after:,.0f}. The plateau after memorization "
        "lasts about 1/regularization, so doubling the pressure roughly halves the wait "
        "(the memorization phase itself does not get shorter)."
    )
    return Feedback(abs(guess - after) <= 0.15 * after, why)


def check_which_grok(weight_decays: object, budget: int = 1500, seed: int = 0) -> Feedback:
    """Which of the shipped weight decays grok within ``budget`` steps?

    ``weight_decays`` is the set of shipped values the student thinks reach 95%
    test accuracy by step ``budget``.
    """
    if isinstance(budget, bool) or not isinstance(budget, numbers.Integral) or budget < 0:
        raise ValueError(f"budget must be an int >= 0, got {budget!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be an int, got {seed!r}")
    shipped = sorted({c.weight_decay for c in available_runs() if c.seed == seed})
    if not shipped:
        seeds = sorted({c.seed for c in available_runs()})
        raise ValueError(f"seed must be one of the shipped seeds {seeds}, got {seed!r}")
    try:
        chosen = {float(x) for x in weight_decays}  # type: ignore[union-attr]
    except (TypeError, ValueError, OverflowError):
        return Feedback(False, f"Give a list of weight decays, e.g. [1, 2]; got {weight_decays!r}.")
    unknown = chosen - set(shipped)
    if unknown:
        return Feedback(
            False, f"Choose among the shipped values {shipped}; {sorted(unknown)} are not there."
        )
    steps = {wd: load_run(wd, seed).grok_step for wd in shipped}
    truth = {wd for wd, s in steps.items() if s is not None and s <= budget}
    table = ", ".join(f"{wd:g}: {'never' if s is None else f'step {s}'}" for wd, s in steps.items())
    why = (
        f"First step with 95% test accuracy, by weight decay ({table}). Within {budget} "
        f"steps: {sorted(truth)}. Less weight decay means a longer plateau; with none, "
        "nothing pushes the network off the memorizing solution."
    )
    return Feedback(chosen == truth, why)


def check_complexity_at_transition(answer: object) -> Feedback:
    """At the Type B transition, does complexity "rise", "level off" or "fall"?"""
    choices = ("rise", "level off", "fall")
    aliases = {
        "rise": "rise", "rises": "rise", "up": "rise", "goes up": "rise",
        "level off": "level off", "levels off": "level off", "flat": "level off",
        "fall": "fall", "falls": "fall", "drop": "fall", "drops": "fall", "down": "fall",
    }  # fmt: skip
    picked = aliases.get(answer.strip().lower()) if isinstance(answer, str) else None
    if picked is None:
        return Feedback(False, f"Answer one of {choices}; got {answer!r}.")
    b = learning_curves("B", 1.0)
    t = b.transition_step
    before, after = b.value_at(t / 1.3)["complexity"], b.value_at(t * 1.3)["complexity"]
    truth = "fall" if after < before - 0.05 else ("rise" if after > before + 0.05 else "level off")
    why = (
        f"Around the transition (step {t:,.0f}) the Type B complexity goes from {before:.2f} "
        f"to {after:.2f}: it {truth}s. The network does not just stop adding capacity, it "
        "sheds it: a simpler solution that still fits the training data."
    )
    return Feedback(picked == truth, why)


def check_grok_delay(times_later: object, weight_decay: float = 1.0, seed: int = 0) -> Feedback:
    """How many times later than memorization does the real run generalize?

    Right within 30% of ``grok_step / memorization_step`` of the shipped run.
    """
    guess = _number(times_later)
    run = load_run(weight_decay, seed)
    if run.grok_step is None or run.memorization_step is None:
        raise ValueError(f"the shipped run at weight_decay={weight_decay!r} does not grok")
    ratio = run.grok_step / run.memorization_step
    if guess is None or guess <= 0:
        return Feedback(False, f"Give a positive number, e.g. 3; got {times_later!r}.")
    why = (
        f"The run memorized its training pairs (99% train accuracy) at step "
        f"{run.memorization_step} and generalized (95% test accuracy) at step "
        f"{run.grok_step}: {ratio:.1f} times later."
    )
    return Feedback(abs(guess - ratio) <= 0.3 * ratio, why)
