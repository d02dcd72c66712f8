"""The local learning coefficient along a training run, with its diagnostics.

:func:`estimate_at` estimates it at one checkpoint of the grokking network and
says whether the number can be trusted; :func:`llc_curve` does so at every
checkpoint of a run. Both use :func:`grokwidgets.slt.estimate_llc` with its
network defaults (SGLD, ``nbeta = n / log n``, ``gamma = 100``, ``epsilon = 1e-3``,
2 chains x 200 draws, batches of 256) and add what only the network knows:

- the chains must stay within ``ln(p) / 2`` of ``L_n(w*)`` (half the loss of a
  uniform guess over the ``p`` classes): :data:`EXCESS_LOSS_SHARE` of ``ln p``;
- the checkpoint must be a memorized minimum: training accuracy at least
  :data:`~grokwidgets.experiment.MEMORIZATION_ACCURACY` (99%).

When an estimate fails a check the sampler can cure (a diverged chain, chains
that disagree or left the basin, a value above ``d / 2``), the step is
recalibrated: the estimate is made again with the next, smaller step size of
:data:`CALIBRATION`, each with the draws to cover the same distance, the way
devinterp's epsilon sweep picks a step size. The first estimate that passes is
kept; if none does, the last one is kept and flagged. A recalibrated estimate that
is more than :data:`STEP_RATIO` times away from the default step's is flagged as
well (the step size, not the basin, sets it). Every estimate carries its
settings, its diagnostics and, when it is not valid, the reasons
(:mod:`grokwidgets.llc_checks`).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from grokwidgets.experiment import (
    MEMORIZATION_ACCURACY,
    Run,
    flatten_params,
    make_loss_and_grad,
    model_logits,
    single_threaded_blas,
)
from grokwidgets.llc_checks import sampler_failed
from grokwidgets.slt import LLCEstimate, LLCWarning, estimate_llc

__all__ = ["CALIBRATION", "EXCESS_LOSS_SHARE", "STEP_RATIO", "LLCCurve", "estimate_at", "llc_curve"]

#: Step sizes tried in turn, with their draws per chain (the same distance,
#: ``epsilon * draws``, each time); the first is the network default.
CALIBRATION = ((1e-3, 200), (3e-4, 600))
#: The excess-loss bound as a share of ``ln p``, the loss of a uniform guess.
EXCESS_LOSS_SHARE = 0.5
#: A recalibrated estimate more than this factor away from the one at the default
#: step (itself flagged) is flagged too: the step size decides it.
STEP_RATIO = 2.0


@dataclass(frozen=True, eq=False)
class LLCCurve:
    """The estimated local learning coefficient at checkpoints of a run.

    Attributes
    ----------
    step : ndarray of int64
        Checkpoint steps (step 0, the random initialization, is left out: it is
        not near a minimum, which the estimator assumes).
    llc : ndarray
        The estimate at each step (mean over chains; NaN where a chain diverged).
    llc_std : ndarray
        Its spread across chains.
    train_loss : ndarray
        Full training loss at each checkpoint, ``L_n(w*)``.
    settings : dict
        The estimator's settings (``nbeta``, ``gamma``, ``epsilon``, chains,
        draws, batch size) and the seed; ``epsilon`` and ``num_draws`` are the
        first of :data:`CALIBRATION`.
    valid : ndarray of bool
        Whether each estimate passed every check; invalid ones are never quoted.
    reasons : tuple of str
        Per step, why it did not ("" when valid).
    excess_loss : ndarray
        ``llc / nbeta``: the chains' mean loss above ``L_n(w*)``.
    rhat : ndarray
        Split R-hat of the chains' loss traces.
    epsilon : ndarray
        The step size each estimate was made with (after calibration).
    train_acc : ndarray
        Training accuracy at each checkpoint.
    """

    step: np.ndarray
    llc: np.ndarray
    llc_std: np.ndarray
    train_loss: np.ndarray
    settings: dict
    valid: np.ndarray
    reasons: tuple[str, ...]
    excess_loss: np.ndarray
    rhat: np.ndarray
    epsilon: np.ndarray
    train_acc: np.ndarray


def estimate_at(
    loss_and_grad: Callable,
    w: np.ndarray,
    *,
    p: int,
    train_acc: float,
    rng: np.random.SeedSequence,
    **estimator: object,
) -> LLCEstimate:
    """The LLC at one checkpoint ``w`` of the network, recalibrated and checked.

    Parameters
    ----------
    loss_and_grad : callable
        From :func:`grokwidgets.experiment.make_loss_and_grad` (has ``n_train``).
    w : ndarray of float32
        The flat checkpoint.
    p : int
        The modulus (the bound on the excess loss is ``ln(p) / 2``).
    train_acc : float
        Training accuracy at ``w``; below 99% the estimate is flagged.
    rng : numpy.random.SeedSequence
        Each calibration attempt draws from its own child of it.
    **estimator
        Passed to :func:`~grokwidgets.slt.estimate_llc`; an ``epsilon`` given here
        turns calibration off.

    Returns
    -------
    LLCEstimate
        ``valid`` and ``reasons`` include the accuracy check.
    """
    n = int(loss_and_grad.n_train)  # type: ignore[attr-defined]
    attempts: tuple[tuple[float, int | None], ...] = CALIBRATION
    if "epsilon" in estimator:
        attempts = ((float(estimator.pop("epsilon")), None),)  # type: ignore[arg-type]
    bound = EXCESS_LOSS_SHARE * math.log(p)
    est = first = None
    for (epsilon, draws), child in zip(attempts, rng.spawn(len(attempts)), strict=True):
        kwargs = dict(estimator)
        if draws is not None and "num_draws" not in estimator:
            kwargs["num_draws"] = draws
        # A diverging attempt is reported in its reasons (and retried with a smaller
        # step), not as a warning: the result says it is not to be trusted.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LLCWarning)
            est = estimate_llc(
                loss_and_grad,
                w,
                n,
                epsilon=epsilon,
                max_excess_loss=bound,
                rng=np.random.default_rng(child),
                **kwargs,  # type: ignore[arg-type]
            )
        if not sampler_failed(est.reasons):
            break
        first = est if first is None else first
    assert est is not None
    if (
        first is not None
        and est.valid
        and math.isfinite(first.llc)
        and not (1 / STEP_RATIO <= first.llc / est.llc <= STEP_RATIO)
    ):
        # The step size, not the basin, decides the number: a discretization bias
        # too large to trust either estimate.
        reason = (
            f"depends on the step size ({first.llc:.3g} at epsilon "
            f"{first.settings.epsilon:g}, {est.llc:.3g} at {est.settings.epsilon:g})"
        )
        est = dataclasses.replace(est, valid=False, reasons=(*est.reasons, reason))
    if train_acc < MEMORIZATION_ACCURACY:
        reason = f"not a memorized minimum (train accuracy {train_acc:.1%} < 99%)"
        est = dataclasses.replace(est, valid=False, reasons=(*est.reasons, reason))
    return est


def llc_curve(
    run: Run,
    *,
    seed: int = 0,
    steps: np.ndarray | None = None,
    progress: Callable[[int, int], object] | None = None,
    **estimator: object,
) -> LLCCurve:
    """Estimate the local learning coefficient at the checkpoints of ``run``.

    Each checkpoint goes through :func:`estimate_at` (calibrated step size,
    diagnostics). The estimates compare checkpoints along one run at one fixed
    localization scale; they are not absolute learning coefficients (see the
    caveats in :mod:`grokwidgets.slt`).

    Parameters
    ----------
    run : Run
    seed : int
        Seeds the sampler (one child generator per checkpoint, so a subset of
        steps gives the same values as the full curve).
    steps : array of int, optional
        Which checkpoint steps; default all but step 0.
    progress : callable, optional
        Called as ``progress(done, total)`` after each checkpoint; a return
        value of False stops early (the curve so far is returned).
    **estimator
        Passed to :func:`~grokwidgets.slt.estimate_llc`.
    """
    if not isinstance(run, Run):
        raise TypeError(f"run must be a grokwidgets.experiment.Run, got {type(run).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be callable or None, got {progress!r}")
    available = run.checkpoint_steps
    if steps is None:
        chosen = available[available > 0]
    else:
        try:
            chosen = np.asarray(steps)
        except (TypeError, ValueError):  # ragged nested lists
            chosen = np.zeros((0, 0))
        if chosen.ndim != 1 or not np.all(np.isin(chosen, available)):
            raise ValueError(
                f"steps must be checkpoint steps of the run {available.tolist()}, got {steps!r}"
            )
    loss_and_grad = make_loss_and_grad(run)
    n = int(loss_and_grad.n_train)
    everything = np.arange(n)
    children = np.random.SeedSequence(int(seed)).spawn(len(available))
    child_of = {int(s): c for s, c in zip(available, children, strict=True)}
    data = run.config.dataset()
    a, b, y = (x[data.train_idx] for x in (data.a, data.b, data.labels))
    estimates: list[LLCEstimate] = []
    losses, accs = [], []
    with single_threaded_blas():
        for i, step in enumerate(chosen):
            params = run.params_at(int(step))
            w = flatten_params(params, run.config).astype(np.float32)
            acc = float(np.mean(model_logits(params, run.config, a, b).argmax(axis=1) == y))
            estimates.append(
                estimate_at(
                    loss_and_grad,
                    w,
                    p=run.config.p,
                    train_acc=acc,
                    rng=child_of[int(step)],
                    **estimator,
                )
            )
            losses.append(loss_and_grad(w, everything)[0])
            accs.append(acc)
            if progress is not None and progress(i + 1, len(chosen)) is False:
                break
    done = len(estimates)
    settings: dict = {}
    if estimates:
        first = estimates[0].settings
        settings = {
            k: getattr(first, k)
            for k in ("nbeta", "gamma", "num_chains", "num_burnin", "batch_size")
        }
        settings["epsilon"], settings["num_draws"] = CALIBRATION[0]
    return LLCCurve(
        step=np.asarray(chosen[:done], dtype=np.int64),
        llc=np.array([e.llc for e in estimates], dtype=np.float64),
        llc_std=np.array([e.llc_std for e in estimates], dtype=np.float64),
        train_loss=np.asarray(losses, dtype=np.float64),
        settings={**settings, "seed": int(seed)},
        valid=np.array([e.valid for e in estimates], dtype=bool),
        reasons=tuple("; ".join(e.reasons) for e in estimates),
        excess_loss=np.array([e.excess_loss for e in estimates], dtype=np.float64),
        rhat=np.array([e.rhat for e in estimates], dtype=np.float64),
        epsilon=np.array([e.settings.epsilon for e in estimates], dtype=np.float64),
        train_acc=np.asarray(accs, dtype=np.float64),
    )
