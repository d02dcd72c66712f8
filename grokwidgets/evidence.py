"""The numbers the essay's claims rest on, computed from the shipped sweep.

Pure numpy over :func:`grokwidgets.runs.load_sweep`; every function takes the
sweep (default: the shipped one) so a student can pass a sweep of their own.

- :func:`grok_summary`: per weight decay, how many seeds grok within the budget
  (with a 95% Wilson interval) and the median and quartiles of the grok step;
- :func:`fit_inverse_law`: the fit ``grok step = t0 + T / weight_decay`` and its
  residuals;
- :func:`phase_summary`: the outcome of every (weight decay, train fraction) cell;
- :func:`matched_loss_comparison`: at equal training loss, do runs that
  generalize have a lower learning coefficient?

Medians treat a run that never grokked as later than any that did (a censored
median): it is finite when at least half of the seeds grokked, NaN otherwise.

>>> from grokwidgets.evidence import grok_summary
>>> s = grok_summary()
>>> float(s.fraction[s.weight_decay == 0][0])  # no weight decay: no seed groks
0.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from grokwidgets.runs.sweep import SWEEP_TRAIN_FRACTION, Sweep, load_sweep

__all__ = [
    "OUTCOMES",
    "GrokSummary",
    "InverseLaw",
    "MatchedComparison",
    "PhaseSummary",
    "fit_inverse_law",
    "grok_summary",
    "matched_loss_comparison",
    "phase_summary",
    "wilson_interval",
]

#: The outcomes of a phase-diagram cell, in the order of its colour scale.
OUTCOMES = ("grokked", "memorized only", "neither")
#: Test accuracy above which a run counts as generalizing at a matched loss.
GENERALIZING_ACCURACY = 0.5


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion ``k / n`` (95% by default).

    Examples
    --------
    >>> [round(x, 3) for x in wilson_interval(8, 8)]
    [0.676, 1.0]
    """
    if n <= 0:
        return (math.nan, math.nan)
    phat = k / n
    denom = 1 + z**2 / n
    centre = (phat + z**2 / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z**2 / (4 * n**2)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _censored_quantiles(steps: np.ndarray, qs=(0.25, 0.5, 0.75)) -> list[float]:
    """Quantiles with NaN (never) as +inf; an infinite quantile is NaN."""
    x = np.sort(np.where(np.isnan(steps), np.inf, steps))
    out = []
    for q in qs:
        v = float(np.quantile(x, q, method="lower")) if x.size else math.inf
        out.append(v if math.isfinite(v) else math.nan)
    return out


@dataclass(frozen=True, eq=False)
class GrokSummary:
    """Per weight decay of the sweep (train fraction 0.4). Arrays of shape (W,).

    Attributes
    ----------
    weight_decay : ndarray
    seeds, grokked : ndarray of int
        Runs, and runs that grokked within the budget.
    fraction, ci_low, ci_high : ndarray
        ``grokked / seeds`` and its 95% Wilson interval.
    median, q25, q75 : ndarray
        Censored quartiles of the grok step (lower quantiles: always a seed's value);
        NaN where that quantile did not grok.
    budget : int
    """

    weight_decay: np.ndarray
    seeds: np.ndarray
    grokked: np.ndarray
    fraction: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    median: np.ndarray
    q25: np.ndarray
    q75: np.ndarray
    budget: int


def grok_summary(sweep: Sweep | None = None) -> GrokSummary:
    """How often and how soon the sweep's runs grok, per weight decay."""
    sweep = load_sweep() if sweep is None else sweep
    wds = sweep.sweep_weight_decays()
    cols: dict[str, list] = {k: [] for k in ("seeds", "grokked", "lo", "hi", "q25", "q50", "q75")}
    for wd in wds:
        steps = sweep.grok_step[sweep.rows(wd, SWEEP_TRAIN_FRACTION)]
        k, n = int(np.sum(~np.isnan(steps))), steps.size
        lo, hi = wilson_interval(k, n)
        q25, q50, q75 = _censored_quantiles(steps)
        for key, v in zip(cols, (n, k, lo, hi, q25, q50, q75), strict=True):
            cols[key].append(v)
    seeds, grokked = np.array(cols["seeds"]), np.array(cols["grokked"])
    return GrokSummary(
        weight_decay=np.array(wds),
        seeds=seeds,
        grokked=grokked,
        fraction=grokked / seeds,
        ci_low=np.array(cols["lo"]),
        ci_high=np.array(cols["hi"]),
        median=np.array(cols["q50"]),
        q25=np.array(cols["q25"]),
        q75=np.array(cols["q75"]),
        budget=sweep.budget,
    )


@dataclass(frozen=True, eq=False)
class InverseLaw:
    """The least-squares fit ``median grok step = t0 + T / weight_decay``.

    Attributes
    ----------
    t0, T : float
        Intercept (steps) and coefficient (steps x weight decay).
    weight_decay, median, predicted, residual : ndarray
        The fitted points (weight decays where at least half the seeds grok).
    r2 : float
        Share of the medians' variance the fit explains.
    slope : float
        The exponent ``a`` of a power law ``median ~ weight_decay^-a`` fitted on a
        log-log scale (1 for a pure inverse law).
    """

    t0: float
    T: float
    weight_decay: np.ndarray
    median: np.ndarray
    predicted: np.ndarray
    residual: np.ndarray
    r2: float
    slope: float

    def __call__(self, weight_decay: np.ndarray | float) -> np.ndarray:
        """The fitted grok step at ``weight_decay`` (> 0)."""
        return self.t0 + self.T / np.asarray(weight_decay, dtype=np.float64)


def fit_inverse_law(summary: GrokSummary | None = None) -> InverseLaw:
    """Fit the median grok step against 1 / weight decay (where it is defined)."""
    summary = grok_summary() if summary is None else summary
    keep = (summary.weight_decay > 0) & np.isfinite(summary.median)
    wd, med = summary.weight_decay[keep], summary.median[keep]
    if wd.size < 3:
        raise ValueError(f"need 3 weight decays where half the seeds grok, got {wd.size}")
    design = np.column_stack([np.ones_like(wd), 1.0 / wd])
    (t0, T), *_ = np.linalg.lstsq(design, med, rcond=None)
    pred = t0 + T / wd
    resid = med - pred
    r2 = 1.0 - float(np.sum(resid**2) / np.sum((med - med.mean()) ** 2))
    slope = -float(np.polyfit(np.log(wd), np.log(med), 1)[0])
    return InverseLaw(float(t0), float(T), wd, med, pred, resid, r2, slope)


@dataclass(frozen=True, eq=False)
class PhaseSummary:
    """The phase diagram: weight decay (rows) x train fraction (columns).

    Attributes
    ----------
    weight_decay : ndarray, shape (W,)
    train_fraction : ndarray, shape (F,)
    outcome : ndarray of int, shape (W, F)
        Index into :data:`OUTCOMES` of the majority outcome of the cell's seeds
        (ties go to the earlier outcome).
    counts : ndarray of int, shape (W, F, 3)
        Seeds per outcome.
    median_grok : ndarray, shape (W, F)
        Censored median grok step of the cell (NaN if fewer than half grokked).
    seeds : int
        Seeds per cell.
    """

    weight_decay: np.ndarray
    train_fraction: np.ndarray
    outcome: np.ndarray
    counts: np.ndarray
    median_grok: np.ndarray
    seeds: int

    def rows(self, sweep: Sweep, i: int, j: int) -> np.ndarray:
        """Indices into ``sweep`` of the runs of cell ``(i, j)``."""
        idx = sweep.rows(self.weight_decay[i], self.train_fraction[j])
        return idx[sweep.seed[idx] < self.seeds]


def phase_summary(sweep: Sweep | None = None, seeds: int = 4) -> PhaseSummary:
    """Classify every cell of the weight decay x train fraction grid by its seeds 0..seeds-1."""
    sweep = load_sweep() if sweep is None else sweep
    fracs = np.unique(sweep.train_fraction)
    # The grid's weight decays: those present at every train fraction.
    wds = np.array(
        sorted(
            set.intersection(*(set(sweep.weight_decay[sweep.train_fraction == f]) for f in fracs))
        )
    )
    counts = np.zeros((wds.size, fracs.size, len(OUTCOMES)), dtype=np.int64)
    median = np.full((wds.size, fracs.size), np.nan)
    for i, wd in enumerate(wds):
        for j, f in enumerate(fracs):
            idx = sweep.rows(wd, f)
            idx = idx[sweep.seed[idx] < seeds]
            grok = ~np.isnan(sweep.grok_step[idx])
            mem = ~np.isnan(sweep.memorization_step[idx])
            counts[i, j] = (grok.sum(), (mem & ~grok).sum(), (~mem & ~grok).sum())
            median[i, j] = _censored_quantiles(sweep.grok_step[idx], (0.5,))[0]
    return PhaseSummary(wds, fracs, counts.argmax(axis=2), counts, median, seeds)


@dataclass(frozen=True, eq=False)
class MatchedComparison:
    """The learning coefficient of the sweep's runs at one matched training loss.

    Attributes
    ----------
    level : float
        The training loss the runs are compared at.
    weight_decay, seed, llc, test_acc, train_loss, step : ndarray, shape (N,)
        One entry per run with weight decay > 0 whose estimate there is valid.
    spearman : float
        Rank correlation of the LLC with test accuracy over those runs (negative:
        runs that generalize more have a lower LLC).
    p_value : float
        Two-sided permutation p-value of ``spearman`` (``permutations`` shuffles, seeded).
    median_generalizing, median_memorizing : float
        Median LLC of the runs with test accuracy above / at most
        :data:`GENERALIZING_ACCURACY` there.
    n_generalizing, n_memorizing : int
    n_invalid : int
        Runs that reached the level but whose estimate was flagged.
    no_decay_llc : ndarray
        Valid estimates of the weight-decay-0 runs at the same level, for contrast.
    within : dict of float to float
        Per weight decay with at least :data:`MIN_STRATUM` valid runs whose test
        accuracies differ: the rank correlation among its seeds alone. Weight decay
        and the step the level is reached at are then the same for every run
        compared, so they cannot explain it.
    within_mean, within_p_value : float
        The mean of ``within`` and its permutation p-value (test accuracies shuffled
        among the seeds of each weight decay; one-sided, for a negative mean).
    """

    level: float
    weight_decay: np.ndarray
    seed: np.ndarray
    llc: np.ndarray
    test_acc: np.ndarray
    train_loss: np.ndarray
    step: np.ndarray
    spearman: float
    p_value: float
    median_generalizing: float
    median_memorizing: float
    n_generalizing: int
    n_memorizing: int
    n_invalid: int
    no_decay_llc: np.ndarray
    within: dict
    within_mean: float
    within_p_value: float


#: Fewest valid runs of one weight decay that enter the within-weight-decay comparison.
MIN_STRATUM = 5


def _null_spearman(x: np.ndarray, y: np.ndarray, rng, permutations: int) -> np.ndarray:
    """Spearman correlations of ``x`` with ``permutations`` shuffles of ``y`` (vectorized)."""
    rx, ry = _ranks(x), _ranks(y)
    rx = (rx - rx.mean()) / rx.std()
    ry = (ry - ry.mean()) / ry.std()
    shuffled = rng.permuted(np.tile(ry, (permutations, 1)), axis=1)
    return shuffled @ rx / rx.size


def _within(wd: np.ndarray, llc: np.ndarray, acc: np.ndarray, rng, permutations: int):
    strata = []
    for w in np.unique(wd):
        k = wd == w
        if k.sum() >= MIN_STRATUM and np.ptp(acc[k]) > 0:
            strata.append((float(w), llc[k], acc[k]))
    if not strata:
        return {}, math.nan, math.nan
    within = {w: _spearman(x, y) for w, x, y in strata}
    mean = float(np.mean(list(within.values())))
    null = np.mean([_null_spearman(x, y, rng, permutations) for _, x, y in strata], axis=0)
    p = float((np.sum(null <= mean + 1e-12) + 1) / (permutations + 1))
    return within, mean, p


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    ranks = np.empty(x.size)
    ranks[order] = np.arange(x.size)
    # Average ranks of ties.
    for v in np.unique(x):
        tie = x == v
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    return ranks


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    rx, ry = _ranks(x), _ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def matched_loss_comparison(
    level: float = 3e-3, sweep: Sweep | None = None, *, permutations: int = 10_000
) -> MatchedComparison:
    """At training loss ``level``, compare the LLC of runs that generalize and runs that do not.

    ``level`` must be one of ``sweep.matched_loss``. Only valid estimates count.
    """
    sweep = load_sweep() if sweep is None else sweep
    hit = np.flatnonzero(np.isclose(sweep.matched_loss, level, rtol=1e-6))
    if hit.size == 0:
        have = ", ".join(f"{v:g}" for v in sweep.matched_loss)
        raise ValueError(f"level must be one of the matched losses ({have}), got {level!r}")
    j = int(hit[0])
    reached = ~np.isnan(sweep.matched_step[:, j])
    valid = reached & sweep.matched_valid[:, j]
    decay = sweep.weight_decay > 0
    use = np.flatnonzero(valid & decay)
    llc, acc = sweep.matched_llc[use, j], sweep.matched_test_acc[use, j]
    rho = _spearman(llc, acc)
    rng = np.random.default_rng(0)
    if math.isfinite(rho):
        null = _null_spearman(llc, acc, rng, permutations)
        p_value = float((np.sum(np.abs(null) >= abs(rho) - 1e-12) + 1) / (permutations + 1))
    else:
        p_value = math.nan
    gen = acc > GENERALIZING_ACCURACY
    within, within_mean, within_p = _within(sweep.weight_decay[use], llc, acc, rng, permutations)
    return MatchedComparison(
        level=float(sweep.matched_loss[j]),
        weight_decay=sweep.weight_decay[use],
        seed=sweep.seed[use],
        llc=llc,
        test_acc=acc,
        train_loss=sweep.matched_train_loss[use, j],
        step=sweep.matched_step[use, j],
        spearman=rho,
        p_value=p_value,
        median_generalizing=float(np.median(llc[gen])) if gen.any() else math.nan,
        median_memorizing=float(np.median(llc[~gen])) if (~gen).any() else math.nan,
        n_generalizing=int(gen.sum()),
        n_memorizing=int((~gen).sum()),
        n_invalid=int(np.sum(reached & decay & ~sweep.matched_valid[:, j])),
        no_decay_llc=sweep.matched_llc[valid & ~decay, j],
        within=within,
        within_mean=within_mean,
        within_p_value=within_p,
    )
