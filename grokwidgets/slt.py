"""Estimating the local learning coefficient (LLC) by Langevin sampling.

Singular learning theory measures a solution's complexity by its *learning
coefficient* lambda: near a minimum ``w*`` of the loss, the volume of parameters
whose excess loss is below ``t`` scales like ``t ** lambda``. A regular (non-
degenerate) minimum in ``d`` dimensions has ``lambda = d / 2``; flat and degenerate
directions make it smaller, so a solution with a lower lambda is "simpler".

The estimator is the one of Lau et al., "Quantifying degeneracy in singular models
via the learning coefficient" (2023), as implemented in the devinterp library:

    lambda_hat = nbeta * (E[L_n(w)] - L_n(w*)),

the expectation over the *localized tempered posterior*

    p(w) ∝ exp(-nbeta * L_n(w) - gamma / 2 * |w - w*|^2),

where ``L_n`` is the mean training loss over ``n`` samples and ``nbeta = n * beta``
the inverse temperature times ``n`` (default ``n / log n``, Watanabe's optimal
temperature). Each recorded draw contributes the minibatch loss at the chain's
current point (an unbiased estimate of ``L_n`` there); a chain's estimate is
``nbeta`` times the mean of its draws minus ``L_n(w*)``, and the estimate is the
mean over chains. Two samplers, both started at ``w*``:

- ``sampler="sgld"`` (the default, and devinterp's method): stochastic-gradient
  Langevin dynamics on minibatches with a fixed step size ``epsilon``,

      w <- w - epsilon / 2 * (nbeta * grad L_B(w) + gamma * (w - w*)) + N(0, epsilon I),

  cheap per step, the tool for a neural network;
- ``sampler="mala"``: the same Langevin proposal, its drift capped (MALTA), with a
  Metropolis accept/reject and each chain's step size tuned during burn-in to a
  target acceptance rate (dual averaging, as in NUTS); optionally a diagonal
  preconditioner learned in burn-in too. Exact for full-batch losses: the tool for
  toy models with a known lambda, whose flat directions a fixed small step
  explores far too slowly.

Settings
--------
*The real grokking network* (:mod:`grokwidgets.experiment`: p = 53, 1,124
training pairs, 11,728 parameters): the defaults of :func:`estimate_llc`, i.e.
SGLD, ``nbeta = n / log n`` (= 159.8), ``gamma = 100``, ``epsilon = 1e-3``, 2
chains of 200 draws, no burn-in, minibatches of 256. Pass the float32 checkpoint
and call inside :func:`grokwidgets.experiment.single_threaded_blas`: 0.25-0.3 s per
checkpoint on 2 shared cores, about 30% of it in the sampler itself, mostly drawing
the Gaussian noise (``benchmarks/llc_cost.py``). On the shipped default run
(weight decay 1, seed 0) these estimates are 3-9% above chains with a 3x smaller
step and 12x the steps (epsilon 3e-4, 2,000 draws after 500 burn-in): 476 vs 439
at step 50 (memorized), 162 vs 154 at step 300, 34.1 vs 33.0 at step 500
(grokked), 7.5 vs 6.9 at step 1000, 10.3 vs 9.5 at step 3000. The exception is a
checkpoint just before one of AdamW's late loss spikes (step 2500: 42 vs 28),
where the loss is sharper.
Smaller steps with only 200 draws read 11-18% low (the chains have not settled);
``gamma = 10`` does not hold the chains (2.5-20x too high). A strong localization
shrinks the estimate in directions of small curvature: it measures complexity at
a fixed scale, which is what a curve along training compares.

*Toy models with a known lambda* (:class:`ToyLoss`): :data:`TOY_SETTINGS`, i.e.
MALA, ``nbeta = 1e4``, ``gamma = 0.1``, 128 chains of 5,000 draws after 2,000
burn-in steps, full batch, ``vectorized=True``: within 3.5% of the true lambda on
every validation model over 10 seeds, about 1-2 s each (the table in
``tests/test_slt.py``). Many chains matter for posteriors whose scale changes from
place to place (``w1^2 w2^4``): one long chain tunes its step to where it was
during burn-in and then moves between the regions too rarely.
"""

from __future__ import annotations

import math
import warnings
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

from grokwidgets._validation import (
    AnyOf,
    Boolean,
    Constraint,
    InstanceOf,
    Integer,
    InvalidParameterError,
    IsCallable,
    Options,
    Real,
    readonly,
    validate_params,
)
from grokwidgets.llc_checks import effective_sample_size, failed_checks, split_rhat
from grokwidgets.slt_chains import LossAndGrad, StackLoss, run_chains, show_w_star
from grokwidgets.slt_results import LLCEstimate, LLCSettings
from grokwidgets.toyloss import ToyLoss

__all__ = [
    "SAMPLERS",
    "TOY_SETTINGS",
    "LLCEstimate",
    "LLCSettings",
    "LLCWarning",
    "ToyLoss",
    "default_nbeta",
    "effective_sample_size",
    "estimate_llc",
]

#: The Markov chains :func:`estimate_llc` can run.
SAMPLERS = ("sgld", "mala")

#: Settings of :func:`estimate_llc` for :class:`ToyLoss` models, validated in
#: ``tests/test_slt.py``: ``estimate_llc(toy.loss_and_grad, w_star, n, **TOY_SETTINGS,
#: rng=rng)`` (``n`` does not matter: every sample has the same loss).
TOY_SETTINGS = MappingProxyType(
    {
        "nbeta": 1e4,
        "gamma": 0.1,
        "sampler": "mala",
        "epsilon": 1e-3,
        "num_chains": 128,
        "num_draws": 5000,
        "num_burnin": 2000,
        "vectorized": True,
        "batch_size": None,
    }
)

# A draw more than this far above L_n(w*), in units of 1 / nbeta, counts as a chain
# that blew up. Under the posterior, nbeta * (L - L*) has mean lambda <= d / 2 and an
# exponential tail, so max(100, 10 d) is never reached by a chain that samples
# correctly (e.g. for d = 1: probability about e^-100).
_BLOWUP_FLOOR = 100.0
_BLOWUP_PER_PARAM = 10.0


class LLCWarning(UserWarning):
    """A chain of :func:`estimate_llc` diverged, blew up or went non-finite."""


# --------------------------------------------------------------------------- checks


class _Centre(Constraint):
    """A non-empty, finite 1-D array of floats (or ints), returned as a read-only copy.

    float32 stays float32: the real network's checkpoints are float32 and its loss
    is cheaper in float32; everything else is sampled in float64.
    """

    def check(self, name: str, value: object) -> np.ndarray:
        what = "a 1-D array of floats"
        if isinstance(value, str | bytes):
            raise self.fail(name, what, value)
        try:
            arr = np.asarray(value)
        except (TypeError, ValueError) as exc:  # ragged nested lists
            raise self.fail(name, what, value) from exc
        if arr.dtype == object or not (
            np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
        ):
            raise self.fail(name, what, value)
        if arr.ndim != 1 or arr.size == 0:
            raise self.fail(name, "a non-empty 1-D array", value)
        dtype = np.float32 if arr.dtype == np.float32 else np.float64
        arr = np.array(arr, dtype=dtype)  # a copy: the caller may change theirs later
        if not np.all(np.isfinite(arr)):
            bad = np.flatnonzero(~np.isfinite(arr))
            raise InvalidParameterError(
                f"{name} must be finite, got {arr[bad[0]]} at index {bad[0]} "
                f"({bad.size} non-finite entries)"
            )
        return readonly(arr)

    def invalid_values(self) -> list[object]:
        return ["abc", [], [[0.0, 1.0]], [0.0, float("nan")], None]


_N = Integer(2, 10**9)


@validate_params({"n": _N})
def default_nbeta(n: int) -> float:
    """Watanabe's optimal inverse temperature times ``n``: ``n / log n``.

    Parameters
    ----------
    n : int
        Number of training samples, >= 2.

    Returns
    -------
    float

    Examples
    --------
    >>> round(default_nbeta(1000), 2)
    144.76
    """
    return n / math.log(n)


# --------------------------------------------------------------------------- the estimator


def _magnitude(x: np.ndarray) -> float:
    """The power of two within a factor 2 below the largest finite ``|x|`` (or 1).

    Dividing by it brings ``x`` into (-2, 2), so sums and squares cannot overflow;
    being a power of two it rounds nothing (but entries 1e308 times smaller than
    the largest), so results at ordinary scales are bit for bit the same. (The
    power just above the largest could itself overflow: 2^1024.)
    """
    finite = np.abs(x[np.isfinite(x)])
    top = float(finite.max()) if finite.size else 0.0
    return math.ldexp(1.0, math.frexp(top)[1] - 1) if top > 0 else 1.0


def _full_loss(loss: StackLoss, w_star: np.ndarray, n: int, batch_size: int) -> tuple[float, float]:
    """``L_n(w_star)`` and the norm of its gradient, in chunks of ``batch_size``."""
    total = 0.0
    grad = np.zeros(w_star.size)
    one = np.ones(1, dtype=bool)
    for start in range(0, n, batch_size):
        idx = np.arange(start, min(start + batch_size, n))
        lv, gv = loss(w_star[None, :], idx[None, :], one)
        # Weighted by each chunk's share, not summed then divided by n: a loss near
        # the float range (1e307) times n would overflow.
        total += float(lv[0]) * (idx.size / n)
        grad += gv[0] * (idx.size / n)
    return total, float(np.sqrt(np.dot(grad, grad)))


_POSITIVE = Real(gt=0)

#: What each argument of :func:`estimate_llc` may be (the upper bounds keep a typo
#: from asking for hours of sampling or gigabytes of traces).
_ESTIMATE_CONSTRAINTS: dict[str, Constraint] = {
    "loss_and_grad": IsCallable(),
    "w_star": _Centre(),
    "n": _N,
    "nbeta": AnyOf(_POSITIVE, none=True),
    "epsilon": _POSITIVE,
    "gamma": Real(ge=0),
    "num_chains": Integer(1, 4096),
    "num_draws": Integer(2, 10**6),
    "num_burnin": Integer(0, 10**6),
    "batch_size": AnyOf(Integer(1), none=True),
    "sampler": Options(SAMPLERS),
    "target_accept": Real(gt=0, lt=1),
    "precondition": Boolean(),
    "vectorized": Boolean(),
    "rng": InstanceOf(np.random.Generator, "a numpy.random.Generator"),
    "max_excess_loss": AnyOf(_POSITIVE, none=True),
}


@validate_params(_ESTIMATE_CONSTRAINTS)
def estimate_llc(
    loss_and_grad: LossAndGrad,
    w_star: ArrayLike,
    n: int,
    *,
    nbeta: float | None = None,
    epsilon: float = 1e-3,
    gamma: float = 100.0,
    num_chains: int = 2,
    num_draws: int = 200,
    num_burnin: int = 0,
    batch_size: int | None = 256,
    sampler: str = "sgld",
    target_accept: float = 0.65,
    precondition: bool = False,
    vectorized: bool = False,
    max_excess_loss: float | None = None,
    rng: np.random.Generator,
) -> LLCEstimate:
    """Estimate the local learning coefficient at ``w_star`` by Langevin sampling.

    ``lambda_hat = nbeta * (mean over draws of L_B(w_t) - L_n(w_star))``, averaged
    over chains; see the module docstring for the sampled distribution.

    Parameters
    ----------
    loss_and_grad : callable ``(w, idx) -> (loss, grad)``
        Mean loss over the samples ``idx`` (a 1-D int array into ``range(n)``) at
        the flat parameter vector ``w`` (shape ``(d,)``), and its gradient (shape
        ``(d,)``). For the real network,
        :func:`grokwidgets.experiment.make_loss_and_grad`. See ``vectorized``.
    w_star : array_like, shape (d,)
        The centre, usually a trained checkpoint; finite. float32 is kept (the
        chains then run in float32), anything else becomes float64.
    n : int
        Number of training samples, >= 2.
    nbeta : float, optional
        ``n`` times the inverse temperature, > 0; default ``n / log n``.
    epsilon : float, default 1e-3
        Step size, > 0. For ``"mala"`` the starting step size, tuned in burn-in.
    gamma : float, default 100
        Localization strength, >= 0: keeps chains near ``w_star``. It biases the
        estimate down in directions whose curvature ``nbeta * H`` is not much larger
        than ``gamma``, and more so in flat (quartic) ones.
    num_chains : int, default 2
        Independent chains, >= 1.
    num_draws : int, default 200
        Recorded draws per chain, >= 2 (one draw per step).
    num_burnin : int, default 0
        Steps per chain before the first recorded draw, >= 0. ``"mala"`` tunes its
        step size during these, so give it a few hundred or more.
    batch_size : int or None, default 256
        Samples per minibatch, >= 1, drawn without replacement, independently per
        chain and step; None or values >= ``n`` mean the full batch (no sampling).
    sampler : {"sgld", "mala"}, default "sgld"
        SGLD with a fixed step (devinterp's method, for networks), or Metropolis-
        adjusted Langevin with a step tuned in burn-in (for toy models).
    target_accept : float, default 0.65
        Acceptance rate the ``"mala"`` step size is tuned toward, in (0, 1).
    precondition : bool, default False
        ``"mala"`` only: also learn a diagonal preconditioner (each coordinate's
        posterior spread) in burn-in (needs ``num_burnin >= 200``). Helps when
        independent directions have very different scales (``w1^2 + w2^4``: 5x the
        effective draws); does not help, or hurts, when the posterior's scale
        changes from place to place (``w1^2 w2^4``, whose posterior is a cross).
    vectorized : bool, default False
        If True, ``loss_and_grad`` takes a stack ``W`` of shape ``(num_chains, d)``
        and ``idx`` of shape ``(num_chains, batch)`` (row ``c`` for chain ``c``) and
        returns losses ``(num_chains,)`` and gradients ``(num_chains, d)``; all
        chains then advance in one call, which makes many chains cheap for models
        like :class:`ToyLoss`. The estimate is the same either way.
    max_excess_loss : float, optional
        Largest mean excess loss (``llc / nbeta``) of chains that still sample the
        neighbourhood of ``w_star``; a larger one marks the estimate invalid. None
        (the default) skips that check. See :mod:`grokwidgets.llc_checks`.
    rng : numpy.random.Generator
        Source of all randomness: the same seed gives the same estimate.

    Returns
    -------
    LLCEstimate
        With ``valid`` and ``reasons`` from the checks of
        :mod:`grokwidgets.llc_checks`. When any chain diverged, ``llc`` is NaN.

    Raises
    ------
    TypeError
        For an argument of the wrong type (e.g. ``rng`` not a Generator) or a
        ``loss_and_grad`` that does not return ``(loss, gradient)``.
    ValueError
        For an argument out of range; or when ``loss_and_grad`` returns arrays of
        the wrong shape or a non-finite loss at ``w_star``. A TypeError or
        ValueError that ``loss_and_grad`` raises in its first call, at ``w_star``
        (e.g. for a ``w_star`` of the wrong length), comes back as the same type
        with a message naming ``w_star`` and its shape.

    Warns
    -----
    LLCWarning
        When a chain goes non-finite (it stops there and its estimate is NaN) or
        blows up: a loss more than ``max(100, 10 d) / nbeta`` above ``L_n(w_star)``,
        which a correctly sampling chain does not reach. The estimate is then NaN
        (never a number like 1e200), and the message says what to change (lower
        ``epsilon``, raise ``gamma``).

    Notes
    -----
    A negative estimate means the chains found lower loss than at ``w_star``:
    ``w_star`` is not a local minimum (e.g. an early checkpoint). Estimates at such
    points measure something, but not a learning coefficient.

    The loss at ``w_star`` and the chains are evaluated under
    ``np.errstate(all="ignore")``, ``loss_and_grad`` included: a diverging chain
    overflows, and that is reported once, as an :class:`LLCWarning` (or, at
    ``w_star`` itself, as a ValueError), rather than as numpy's floating-point
    warnings. Given a :meth:`ToyLoss.loss_and_grad`, the chains call its
    :meth:`ToyLoss.sampler_loss_and_grad`, which skips the finiteness checks.

    For the real network the cost is ``num_chains * (num_burnin + num_draws)``
    minibatch gradients plus ``n / batch_size`` full-data loss chunks at
    ``w_star``; see the module docstring for measured times and accuracy.

    Examples
    --------
    >>> toy = ToyLoss([[1, 0], [0, 2]])  # w1^2 + w2^4, lambda = 3/4
    >>> est = estimate_llc(toy.loss_and_grad, [0.0, 0.0], 100, nbeta=1e4, gamma=0.1,
    ...                    sampler="mala", num_burnin=1000, num_draws=2000, num_chains=8,
    ...                    vectorized=True, rng=np.random.default_rng(0))
    >>> 0.6 < est.llc < 0.9
    True
    """
    w0 = np.asarray(w_star)  # the checked copy (_Centre) already: this only types it
    nbeta = default_nbeta(n) if nbeta is None else nbeta
    batch_size = n if batch_size is None else min(batch_size, n)
    if precondition and sampler != "mala":
        raise InvalidParameterError(
            f"precondition=True needs sampler='mala', got sampler={sampler!r}"
        )
    d = w0.size

    loss = StackLoss(loss_and_grad, w0, n, vectorized)
    # Evaluated like the chains (under np.errstate(all="ignore")): an overflow at
    # w_star shows up here as a non-finite loss, reported below, rather than as
    # numpy's warnings.
    with np.errstate(all="ignore"):
        init_loss, grad_norm = _full_loss(loss, w0, n, batch_size)
    if not math.isfinite(init_loss):
        raise ValueError(f"the loss at w_star must be finite, got {init_loss} at {show_w_star(w0)}")

    settings = LLCSettings(
        n=n,
        d=d,
        nbeta=nbeta,
        epsilon=epsilon,
        gamma=gamma,
        num_chains=num_chains,
        num_draws=num_draws,
        num_burnin=num_burnin,
        batch_size=batch_size,
        sampler=sampler,
        target_accept=target_accept,
        precondition=precondition,
    )
    chains = run_chains(loss, w0, settings, rng)
    traces = chains.traces
    # Far from a minimum (a loss of 1e200 at w_star, say) the sums and squares of the
    # statistics below overflow: they are computed on traces scaled by a power of two
    # (exact), and a chain whose estimate is still beyond the float range is reported
    # with the diverged ones.
    scale = _magnitude(traces)
    with np.errstate(all="ignore"):
        chain_llcs = nbeta * (scale * (traces / scale).mean(axis=1) - init_loss)
    huge = np.flatnonzero((chains.dead_at < 0) & ~np.isfinite(chain_llcs))
    chain_llcs[huge] = np.nan  # like a dead chain's

    blowup = init_loss + max(_BLOWUP_FLOOR, _BLOWUP_PER_PARAM * d) / nbeta
    dead = np.flatnonzero(chains.dead_at >= 0)
    blown = np.flatnonzero((chains.dead_at < 0) & (chains.max_loss > blowup))
    if dead.size or blown.size or huge.size:
        parts = []
        if dead.size:
            where = ", ".join(f"{i} at step {chains.dead_at[i]}" for i in dead)
            parts.append(f"went non-finite (chain {where}; estimates NaN)")
        if blown.size:
            where = ", ".join(f"{i} (loss {chains.max_loss[i]:.4g})" for i in blown)
            parts.append(
                f"blew up: loss above L_n(w_star) + max(100, 10 d) / nbeta = {blowup:.4g} "
                f"(chain {where})"
            )
        if huge.size:
            where = ", ".join(str(i) for i in huge)
            parts.append(
                f"overflowed: nbeta = {nbeta:g} times the mean loss above L_n(w_star) = "
                f"{init_loss:.4g} is beyond the float range (chain {where}; estimates NaN)"
            )
        warnings.warn(
            f"estimate_llc: of {num_chains} chain(s), some " + "; some ".join(parts) + ". "
            f"Lower epsilon (now {epsilon:g}), or raise gamma (now {gamma:g}) to keep "
            "the chains near w_star.",
            LLCWarning,
            stacklevel=2,
        )
    diverged = np.zeros(num_chains, dtype=bool)
    diverged[dead] = True
    diverged[blown] = True
    diverged[huge] = True

    # Python floats from here on: a product beyond the float range is inf, quietly.
    if np.all(np.isfinite(traces)) and not huge.size:
        ess_each = np.array([effective_sample_size(tr) for tr in traces])
        var_each = (traces / scale).var(axis=1, ddof=1)
        llc_se = nbeta * float(scale) * math.sqrt(np.sum(var_each / ess_each)) / num_chains
        ess = float(ess_each.sum())
    else:
        llc_se = ess = math.nan
    llc_scale = _magnitude(chain_llcs)
    llc_std = math.nan
    if num_chains > 1:
        llc_std = llc_scale * float(np.std(chain_llcs / llc_scale, ddof=1))
    # A chain that blew up still has a finite mean, but a meaningless one (1e200):
    # the estimate is NaN whenever any chain diverged.
    llc = math.nan if diverged.any() else llc_scale * float(np.mean(chain_llcs / llc_scale))
    rhat = split_rhat(traces / scale) if np.all(np.isfinite(traces)) else math.nan
    reasons = failed_checks(
        llc=llc,
        d=d,
        nbeta=nbeta,
        gamma=gamma,
        diverged=bool(diverged.any()),
        rhat=rhat,
        grad_norm=grad_norm,
        max_excess_loss=max_excess_loss,
    )
    return LLCEstimate(
        llc=llc,
        llc_std=llc_std,
        llc_se=llc_se,
        ess=ess,
        chain_llcs=readonly(chain_llcs),
        loss_traces=readonly(traces),
        init_loss=init_loss,
        acceptance=readonly(chains.acceptance),
        epsilons=readonly(chains.epsilon),
        diverged=readonly(diverged),
        settings=settings,
        excess_loss=llc / nbeta,
        rhat=rhat,
        grad_norm=grad_norm,
        valid=not reasons,
        reasons=reasons,
    )
