"""The shipped seed sweep and phase diagram: every run's metrics, no parameters.

``scripts/make_sweep.py`` trained them at the defaults of
:func:`grokwidgets.experiment.train` (p = 53, addition, lr 1e-2, hidden 128,
embedding 16, a budget of 3,000 steps, evaluated every 10) apart from weight
decay, train fraction and seed:

- the weight-decay sweep: train fraction 0.4, weight decay 0, 0.1, 0.2, 0.3, 0.5,
  0.7, 1, 1.5, 2, seeds 0-7;
- the phase diagram: weight decay 0, 0.1, 0.3, 0.5, 1, 2, 3 x train fraction 0.2,
  0.3, 0.4, 0.5, 0.6, 0.7, seeds 0-3 (its 0.4 column shares runs with the sweep).

For the sweep's runs it also holds the learning coefficient, with its
diagnostics, at the first evaluation where the training loss reaches each of
``matched_loss`` (the equal-training-loss comparison of :mod:`grokwidgets.evidence`).

    >>> from grokwidgets.runs import load_sweep
    >>> sweep = load_sweep()
    >>> rows = sweep.rows(weight_decay=1.0, train_fraction=0.4)
    >>> len(rows), sweep.budget
    (8, 3000)
"""

from __future__ import annotations

import functools
import json
import math
import numbers
from dataclasses import dataclass

import numpy as np

from grokwidgets.runs._npz import read_shipped

__all__ = ["SWEEP_TRAIN_FRACTION", "Sweep", "load_sweep", "median_seed"]

#: The train fraction of the weight-decay sweep (the default of ``train``).
SWEEP_TRAIN_FRACTION = 0.4


@dataclass(frozen=True, eq=False)
class Sweep:
    """Summaries of many training runs, one row per run. Arrays are read-only.

    Attributes
    ----------
    weight_decay, train_fraction : ndarray of float, shape (R,)
    seed : ndarray of int64, shape (R,)
    memorization_step, grok_step : ndarray of float, shape (R,)
        First evaluation with train accuracy >= 99% (resp. test accuracy >= 95%);
        NaN when it never happened within ``budget``.
    steps : ndarray of int64, shape (E,)
        The evaluation steps, 0 to ``budget``.
    train_loss, test_loss, train_acc, test_acc : ndarray of float32, shape (R, E)
        The metrics at every evaluation.
    budget : int
        Training steps of every run.
    matched_loss : ndarray, shape (L,)
        The training losses at which the sweep's runs are compared.
    matched_step, matched_train_loss, matched_test_acc : ndarray, shape (R, L)
        The first evaluation at or below each level, its training loss and test
        accuracy; NaN where the run never got there, or is not in the sweep.
    matched_llc, matched_llc_std, matched_excess_loss : ndarray, shape (R, L)
        The learning coefficient estimated there (see :func:`grokwidgets.llc.estimate_at`).
    matched_valid : ndarray of bool, shape (R, L)
        Whether that estimate passed every check.
    matched_reasons : ndarray of str, shape (R, L)
        Why not ("" when valid).
    info : dict
        How the file was made (script, BLAS, numpy, the shared run config).
    """

    weight_decay: np.ndarray
    train_fraction: np.ndarray
    seed: np.ndarray
    memorization_step: np.ndarray
    grok_step: np.ndarray
    steps: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    budget: int
    matched_loss: np.ndarray
    matched_step: np.ndarray
    matched_train_loss: np.ndarray
    matched_test_acc: np.ndarray
    matched_llc: np.ndarray
    matched_llc_std: np.ndarray
    matched_excess_loss: np.ndarray
    matched_valid: np.ndarray
    matched_reasons: np.ndarray
    info: dict

    def rows(
        self, weight_decay: float | None = None, train_fraction: float | None = None
    ) -> np.ndarray:
        """Indices of the runs with this weight decay and/or train fraction, by seed.

        Raises
        ------
        ValueError
            If no run has them; the message lists the values that exist.
        """
        keep = np.ones(self.seed.size, dtype=bool)
        for name, value, column in (
            ("weight_decay", weight_decay, self.weight_decay),
            ("train_fraction", train_fraction, self.train_fraction),
        ):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a real number or None, got {value!r}")
            keep &= np.isclose(column, float(value), rtol=0, atol=1e-9)
            if not np.isclose(column, float(value), rtol=0, atol=1e-9).any():
                have = ", ".join(f"{v:g}" for v in np.unique(column))
                raise ValueError(f"no shipped run with {name}={value!r}; shipped: {have}")
        idx = np.flatnonzero(keep)
        if idx.size == 0:
            raise ValueError(
                f"no shipped run with weight_decay={weight_decay!r} and "
                f"train_fraction={train_fraction!r}"
            )
        return idx[np.argsort(self.seed[idx], kind="stable")]

    def sweep_weight_decays(self) -> tuple[float, ...]:
        """The weight decays of the sweep (train fraction 0.4, 8 seeds each)."""
        at = np.isclose(self.train_fraction, SWEEP_TRAIN_FRACTION)
        wds, counts = np.unique(self.weight_decay[at], return_counts=True)
        return tuple(float(w) for w, c in zip(wds, counts, strict=True) if c == counts.max())


@functools.cache
def load_sweep() -> Sweep:
    """The shipped sweep (read once, then cached; read-only, safe to share)."""
    arrays = read_shipped("sweep.npz")
    info = json.loads(str(arrays.pop("info")))
    budget = int(arrays.pop("budget"))
    return Sweep(**arrays, budget=budget, info=info)


def median_seed(weight_decay: float) -> int:
    """The sweep seed whose grok step is the median among that weight decay's seeds.

    The lower median for an even count (a run that never grokked counts as later
    than every run that did); of the seeds tied at the median, the smallest (so
    weight decay 0, where no seed groks, gives seed 0). The run of that seed is
    shipped with its checkpoints and LLC curve (:func:`grokwidgets.runs.load_run`).

    Examples
    --------
    >>> from grokwidgets.runs import load_run, median_seed
    >>> seed = median_seed(1.0)
    >>> load_run(1.0, seed).grok_step is not None
    True
    """
    sweep = load_sweep()
    idx = sweep.rows(weight_decay=weight_decay, train_fraction=SWEEP_TRAIN_FRACTION)
    grok = np.where(np.isnan(sweep.grok_step[idx]), math.inf, sweep.grok_step[idx])
    median = np.sort(grok)[(idx.size - 1) // 2]
    return int(sweep.seed[idx][grok == median].min())
