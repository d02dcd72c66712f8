"""What :func:`grokwidgets.slt.estimate_llc` returns: its settings and its estimate.

Two frozen records, apart from the estimator so that the chains
(:mod:`grokwidgets.slt_chains`, which take the settings) and the estimator can both
import them; :mod:`grokwidgets.slt` re-exports both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["LLCEstimate", "LLCSettings"]


@dataclass(frozen=True)
class LLCSettings:
    """The settings an estimate was made with (after defaults were filled in).

    Attributes
    ----------
    n : int
        Number of training samples.
    d : int
        Number of parameters (length of ``w_star``).
    nbeta : float
        ``n`` times the inverse temperature.
    epsilon : float
        Step size the chains started with (for ``"mala"``, before adaptation).
    gamma : float
        Localization strength.
    num_chains, num_draws, num_burnin : int
        Chains; recorded draws per chain; steps per chain before the first draw.
    batch_size : int
        Samples per minibatch (``n`` means full batch).
    sampler : str
        ``"sgld"`` or ``"mala"``.
    target_accept : float
        Acceptance rate the ``"mala"`` step size was tuned toward.
    precondition : bool
        Whether ``"mala"`` learned a diagonal preconditioner in burn-in.
    """

    n: int
    d: int
    nbeta: float
    epsilon: float
    gamma: float
    num_chains: int
    num_draws: int
    num_burnin: int
    batch_size: int
    sampler: str
    target_accept: float
    precondition: bool


@dataclass(frozen=True, eq=False)
class LLCEstimate:
    """The result of :func:`estimate_llc`. Arrays are read-only.

    Attributes
    ----------
    llc : float
        The estimate: the mean of the per-chain estimates (NaN if any chain went
        non-finite or its estimate overflowed).
    llc_std : float
        Standard deviation of the per-chain estimates (``ddof=1``; NaN for one chain).
    llc_se : float
        Standard error of ``llc`` from the draws' autocorrelation (each chain's
        variance over its effective sample size, combined over chains). Useful even
        with two chains, where ``llc_std`` is itself very noisy.
    ess : float
        Effective number of independent draws, summed over chains.
    chain_llcs : ndarray, shape (num_chains,)
        Each chain's estimate ``nbeta * (mean(loss_traces[c]) - init_loss)``.
    loss_traces : ndarray, shape (num_chains, num_draws)
        The minibatch loss at every recorded draw (NaN after a chain went non-finite).
    init_loss : float
        ``L_n(w_star)``, the full-data mean loss at the centre.
    acceptance : ndarray, shape (num_chains,)
        For ``"mala"``, the share of accepted proposals among the draws; NaN for
        ``"sgld"``.
    epsilons : ndarray, shape (num_chains,)
        The step size each chain drew with (tuned in burn-in for ``"mala"``).
    diverged : ndarray of bool, shape (num_chains,)
        Chains that went non-finite or blew up (see :func:`estimate_llc`).
    settings : LLCSettings
    excess_loss : float
        ``llc / nbeta``: how far, on average, the chains' loss sat above
        ``L_n(w_star)``.
    rhat : float
        Split R-hat of the loss traces (:func:`grokwidgets.llc_checks.split_rhat`).
    grad_norm : float
        Norm of the full-data gradient at ``w_star``.
    valid : bool
        True when the estimate passed every check of :mod:`grokwidgets.llc_checks`.
    reasons : tuple of str
        Why it did not (empty when ``valid``).
    """

    llc: float
    llc_std: float
    llc_se: float
    ess: float
    chain_llcs: np.ndarray
    loss_traces: np.ndarray
    init_loss: float
    acceptance: np.ndarray
    epsilons: np.ndarray
    diverged: np.ndarray
    settings: LLCSettings
    excess_loss: float = math.nan
    rhat: float = math.nan
    grad_norm: float = math.nan
    valid: bool = False
    reasons: tuple[str, ...] = ()
