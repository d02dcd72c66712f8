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

import contextlib
import contextvars
import math
import numbers
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from grokwidgets.llc_checks import failed_checks, split_rhat

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

LossAndGrad = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]

# A draw more than this far above L_n(w*), in units of 1 / nbeta, counts as a chain
# that blew up. Under the posterior, nbeta * (L - L*) has mean lambda <= d / 2 and an
# exponential tail, so max(100, 10 d) is never reached by a chain that samples
# correctly (e.g. for d = 1: probability about e^-100).
_BLOWUP_FLOOR = 100.0
_BLOWUP_PER_PARAM = 10.0

# Dual-averaging constants of Hoffman & Gelman (2014), "The No-U-Turn Sampler", §3.2.
_DA_GAMMA = 0.05
_DA_T0 = 10.0
_DA_KAPPA = 0.75


# MALA caps the drift of a proposal at _TAME times the length of its noise (the
# truncated Langevin proposal, MALTA, of Roberts & Tweedie 1996). Without the cap, on
# quartic losses a chain that wanders into the tail proposes jumps far past the
# minimum, rejects them all and stays stuck there, biasing the estimate up; at
# typical points of the posterior the drift is below the cap and nothing changes.
_TAME = 2.0

# Burn-in steps below which MALA tunes only its step size, not a preconditioner.
_METRIC_MIN = 200


class LLCWarning(UserWarning):
    """A chain of :func:`estimate_llc` diverged, blew up or went non-finite."""


# Set while estimate_llc evaluates the loss (at w_star and along the chains). A
# diverging chain overflows on purpose there, and estimate_llc reports it (LLCWarning,
# or a ValueError for a non-finite loss at w_star), so ToyLoss.loss_and_grad then
# returns inf and NaN instead of raising, and skips its finiteness checks (it is
# called ~10^4 times per estimate).
_SAMPLING: contextvars.ContextVar[bool] = contextvars.ContextVar("_SAMPLING", default=False)


@contextlib.contextmanager
def _sampling() -> Iterator[None]:
    token = _SAMPLING.set(True)
    try:
        with np.errstate(all="ignore"):
            yield
    finally:
        _SAMPLING.reset(token)


# --------------------------------------------------------------------------- checks


_MAXIMUM = {"n": 10**9, "num_chains": 4096, "num_draws": 10**6, "num_burnin": 10**6}


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    maximum = _MAXIMUM.get(name)
    if maximum is not None and int(value) > maximum:
        raise ValueError(f"{name} must be an int <= {maximum}, got {value!r}")
    return int(value)


def _check_real(name: str, value: object, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        out = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be finite, got {value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and out <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if not positive and out < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return out


def _check_w_star(w_star: object) -> np.ndarray:
    if isinstance(w_star, str | bytes):
        raise TypeError(f"w_star must be a 1-D array of floats, got {w_star!r}")
    try:
        arr = np.asarray(w_star)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise ValueError(f"w_star must be a 1-D array of floats, got {w_star!r}") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise TypeError(f"w_star must be a 1-D array of floats, got {w_star!r}")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"w_star must be a non-empty 1-D array, got {w_star!r}")
    # float32 stays float32: the real network's checkpoints are float32 and its loss
    # is cheaper in float32; everything else is sampled in float64.
    dtype = np.float32 if arr.dtype == np.float32 else np.float64
    arr = np.array(arr, dtype=dtype)  # a copy: the caller may change theirs later
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr))
        raise ValueError(
            f"w_star must be finite, got {arr[bad[0]]} at index {bad[0]} "
            f"({bad.size} non-finite entries)"
        )
    arr.flags.writeable = False
    return arr


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
    n = _check_int("n", n, 2)
    return n / math.log(n)


# --------------------------------------------------------------------------- results


def _readonly(x: np.ndarray) -> np.ndarray:
    x.flags.writeable = False
    return x


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


# --------------------------------------------------------------------------- diagnostics


def effective_sample_size(x: object) -> float:
    """Effective number of independent draws in a 1-D chain.

    Uses the autocorrelation summed up to Geyer's initial monotone sequence
    (Geyer 1992), the estimator of Stan and ArviZ for a single chain, clipped to
    ``[1, len(x)]``.

    Parameters
    ----------
    x : array_like, shape (m,)
        Finite draws of one chain, ``m >= 1``.

    Returns
    -------
    float
        ``len(x)`` for a constant or very short (< 4) chain.
    """
    if isinstance(x, str | bytes):
        raise TypeError(f"x must be a 1-D array of floats, got {x!r}")
    try:
        with np.errstate(all="ignore"):
            arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"x must be a 1-D array of floats, got {x!r}") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"x must be a non-empty 1-D array, got {x!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"x must be finite, got {x!r}")
    # Rescale so the autocovariance cannot overflow (the ESS is scale-invariant).
    scale = np.max(np.abs(arr))
    if scale > 0:
        arr = arr / scale
    m = arr.size
    if m < 4:
        return float(m)
    centred = arr - arr.mean()
    if not np.any(centred):
        return float(m)
    spec = np.fft.rfft(centred, 2 * m)
    acov = np.fft.irfft(spec * np.conj(spec), 2 * m)[:m] / m
    if acov[0] <= 0:
        return float(m)
    rho = acov / acov[0]
    pairs = rho[: 2 * ((m - 1) // 2)].reshape(-1, 2).sum(axis=1)
    # Initial positive sequence: stop at the first non-positive pair sum (noise
    # beyond it); then make it monotone, which trims the noisy tail further.
    stop = np.flatnonzero(pairs <= 0)
    pairs = pairs[: stop[0]] if stop.size else pairs
    if pairs.size == 0:
        return float(m)
    pairs = np.minimum.accumulate(pairs)
    tau = -1.0 + 2.0 * pairs.sum()
    return float(np.clip(m / tau, 1.0, m))


# --------------------------------------------------------------------------- toy losses


@dataclass(frozen=True, eq=False)
class ToyLoss:
    """A loss with a known learning coefficient: a sum of monomials in even powers.

    ``K(w) = sum_j prod_i w_i ** (2 * exponents[j][i])`` with the minimum ``K = 0``
    at ``w = 0``. Every sample has the same loss ``K(w)`` (data without noise), so a
    minibatch loss equals the full loss and only the sampler is being tested.

    When no two terms share a variable, the learning coefficient at 0 is

        lambda = sum_j 1 / (2 * max_i exponents[j][i]),

    because independent terms add and a single monomial ``prod_i w_i ** (2 k_i)``
    has ``lambda = 1 / (2 max_i k_i)`` (e.g. ``w1^2 w2^4``: 1/4). For a monomial
    with ties (``w1^2 w2^2``) lambda is the same but the multiplicity is above one,
    which makes finite-``nbeta`` estimates converge slowly.

    Parameters
    ----------
    exponents : sequence of sequences of int
        One row per term, one column per parameter, entries >= 0; every row has a
        positive entry and no column has a positive entry in two rows.

    Examples
    --------
    >>> ToyLoss([[1, 0], [0, 2]]).learning_coefficient   # w1^2 + w2^4
    0.75
    >>> ToyLoss.regular(10).learning_coefficient          # sum of 10 squares
    5.0
    """

    exponents: np.ndarray

    def __post_init__(self) -> None:
        try:
            e = np.asarray(self.exponents)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"exponents must be a rectangular table of ints, got {self.exponents!r}"
            ) from exc
        if e.ndim != 2 or e.size == 0 or not np.issubdtype(e.dtype, np.integer):
            raise ValueError(
                f"exponents must be a non-empty 2-D table of ints, got {self.exponents!r}"
            )
        if np.any(e < 0):
            raise ValueError(f"exponents must be >= 0, got {self.exponents!r}")
        if np.any(e.max(axis=1) == 0):
            raise ValueError(
                f"exponents: every term needs a positive exponent, got {self.exponents!r}"
            )
        if np.any((e > 0).sum(axis=0) > 1):
            raise ValueError(
                "exponents: no parameter may appear in two terms (lambda is then not "
                f"a simple sum), got {self.exponents!r}"
            )
        object.__setattr__(self, "exponents", _readonly(e.astype(np.int64)))

    @classmethod
    def regular(cls, d: int) -> ToyLoss:
        """``K(w) = |w|^2`` in ``d`` dimensions: a regular minimum, ``lambda = d / 2``."""
        d = _check_int("d", d, 1)
        return cls(np.eye(d, dtype=np.int64))

    @property
    def d(self) -> int:
        """Number of parameters."""
        return int(self.exponents.shape[1])

    @property
    def learning_coefficient(self) -> float:
        """The true lambda at ``w = 0``."""
        return float(np.sum(1.0 / (2.0 * self.exponents.max(axis=1))))

    def _check_w(self, w: object, *, stack: bool, finite: bool = True) -> np.ndarray:
        # w as a float64 array of shape (d,), or with stack also (m, d).
        what = f"a 1-D array of {self.d} floats" + (f" or a stack (m, {self.d})" if stack else "")
        if isinstance(w, str | bytes) or w is None:
            raise TypeError(f"w must be {what}, got {w!r}")
        try:
            arr = np.asarray(w, dtype=np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            raise TypeError(f"w must be {what}, got {w!r}") from exc
        if arr.shape[-1:] != (self.d,) or arr.ndim > (2 if stack else 1):
            raise ValueError(f"w must be {what}, got shape {arr.shape}: {w!r}")
        if finite and not np.all(np.isfinite(arr)):
            raise ValueError(f"w must be finite, got {w!r}")
        return arr

    def value(self, w: np.ndarray) -> float:
        """``K(w)`` for a flat parameter vector ``w`` of length ``d``.

        Raises
        ------
        TypeError, ValueError
            For a ``w`` that is not ``d`` finite floats, or so large that ``K(w)``
            overflows.
        """
        arr = self._check_w(w, stack=False)
        with np.errstate(all="ignore"):
            out = float(np.sum(np.prod(arr ** (2 * self.exponents), axis=1)))
        if not math.isfinite(out):
            raise ValueError(f"w too large: K(w) overflows, got {w!r}")
        return out

    def loss_and_grad(self, w: np.ndarray, idx: np.ndarray) -> tuple[float, np.ndarray]:
        """The mean loss over samples ``idx`` (always ``K(w)``) and its gradient.

        The signature :func:`estimate_llc` expects; ``idx`` is ignored because every
        sample has the same loss. ``w`` may also be a stack of shape ``(m, d)``: the
        loss is then an array of shape ``(m,)`` and the gradient ``(m, d)``, for
        ``estimate_llc(..., vectorized=True)``.

        Raises
        ------
        TypeError, ValueError
            For a ``w`` of the wrong shape or with NaN or inf, or so large that the
            loss or gradient overflows. Inside :func:`estimate_llc` only the shape is
            checked: a chain that diverges gets inf or NaN, which the estimator
            reports (:class:`LLCWarning`).
        """
        checked = not _SAMPLING.get()
        arr = self._check_w(w, stack=True, finite=checked)
        if not checked:
            return self._loss_and_grad(arr)
        with np.errstate(all="ignore"):
            value, grad = self._loss_and_grad(arr)
        if not (np.all(np.isfinite(value)) and np.all(np.isfinite(grad))):
            raise ValueError(f"w too large: K(w) or its gradient overflows, got {w!r}")
        return value, grad

    def _loss_and_grad(self, w: np.ndarray) -> tuple[float | np.ndarray, np.ndarray]:
        k2, k2m1, members, partners = self._tables
        # w_i^(2 k_i), with a trailing column of ones that pads the index tables.
        powers = np.concatenate([w**k2, np.ones((*w.shape[:-1], 1))], axis=-1)
        # d/dw_i = 2 k_i w_i^(2 k_i - 1) times the other factors of w_i's term (a
        # product over partners, never a division by w_i, which is 0 at the minimum).
        grad = k2 * w**k2m1 * powers[..., partners].prod(axis=-1)
        value = powers[..., members].prod(axis=-1).sum(axis=-1)
        return (float(value) if w.ndim == 1 else value), grad

    @property
    def _tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        # Index tables for loss_and_grad, built once (the toy models are called
        # ~10^5 times per estimate, so the per-call numpy overhead matters).
        cached = self.__dict__.get("_cache")
        if cached is not None:
            return cached
        e = self.exponents
        d = e.shape[1]
        k2 = (2 * e.max(axis=0)).astype(np.float64)  # each parameter is in <= 1 term
        rows = [np.flatnonzero(row) for row in e]
        width = max(r.size for r in rows)
        members = np.full((len(rows), width), d)  # index d is the padding 1
        partners = np.full((d, max(width - 1, 1)), d)
        for j, r in enumerate(rows):
            members[j, : r.size] = r
            for i in r:
                others = r[r != i]
                partners[i, : others.size] = others
        cached = (k2, np.maximum(k2 - 1.0, 0.0), members, partners)
        object.__setattr__(self, "_cache", cached)
        return cached


# --------------------------------------------------------------------------- the estimator


class _Loss:
    """Calls the user's ``loss_and_grad`` for a stack of chains.

    Returns losses of shape (C,) and gradients (C, d); rows of chains that are not
    alive are NaN and never computed (in vectorized mode they are computed at
    ``w_star``, so a dead chain's non-finite row cannot upset the user's code).
    The first call (at ``w_star``, from :func:`_full_loss`) checks what the function
    returns.
    """

    def __init__(self, fn: LossAndGrad, w_star: np.ndarray, n: int, vectorized: bool) -> None:
        self.fn, self.w_star, self.vectorized = fn, w_star, vectorized
        self.all_idx = _readonly(np.arange(n))
        self.all_rows: np.ndarray | None = None  # the full batch for every chain
        self.checked = False

    def _first(
        self, w: np.ndarray, idx: np.ndarray, loss_shape: tuple, grad_shape: tuple
    ) -> tuple[object, np.ndarray]:
        # An error in the very first call, at w_star, most likely means that w_star
        # does not fit the function (its length, say): the message names w_star and
        # its shape besides the function's own words (which, for ToyLoss, name the
        # length it expects). Later errors pass unchanged.
        try:
            out = self.fn(w, idx)
        except (TypeError, ValueError) as exc:
            kind = TypeError if isinstance(exc, TypeError) else ValueError
            raise kind(
                f"loss_and_grad failed at {_show_w_star(self.w_star)}: {type(exc).__name__}: {exc}"
            ) from exc
        try:
            loss, grad = out
        except (TypeError, ValueError):
            raise TypeError(f"loss_and_grad must return (loss, gradient), got {out!r}") from None
        _check_output(loss, grad, loss_shape, grad_shape, self.w_star)
        self.checked = True
        return loss, grad

    def __call__(
        self, w: np.ndarray, idx: np.ndarray | None, alive: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        c, d = w.shape
        if self.vectorized:
            if idx is None:
                if self.all_rows is None or self.all_rows.shape[0] != c:
                    self.all_rows = np.broadcast_to(self.all_idx, (c, self.all_idx.size))
                idx = self.all_rows
            w = np.where(alive[:, None], w, self.w_star)
            if self.checked:
                loss, grad = self.fn(w, idx)
            else:
                loss, grad = self._first(w, idx, (c,), (c, d))
            loss = np.array(loss, dtype=np.float64)
            grad = np.array(grad, dtype=w.dtype)
            loss[~alive] = np.nan
            grad[~alive] = np.nan
            return loss, grad
        loss = np.full(c, np.nan)
        grad = np.full((c, d), np.nan, dtype=w.dtype)
        for i in np.flatnonzero(alive):
            wi, ii = w[i], self.all_idx if idx is None else idx[i]
            li, gi = self.fn(wi, ii) if self.checked else self._first(wi, ii, (), (d,))
            loss[i] = li
            grad[i] = gi
        return loss, grad


def _show_w_star(w_star: np.ndarray) -> str:
    # Short even for a real checkpoint (11,728 entries): numpy summarizes the middle.
    text = np.array2string(w_star, threshold=20, edgeitems=3, separator=", ")
    return f"w_star of shape {w_star.shape} = {text}"


def _check_output(
    loss: object, grad: object, loss_shape: tuple, grad_shape: tuple, w_star: np.ndarray
) -> None:
    if isinstance(loss, bool) or not isinstance(loss, numbers.Real | np.ndarray):
        raise TypeError(f"loss_and_grad must return (loss, gradient), got loss {loss!r}")
    if np.shape(loss) != loss_shape:
        raise ValueError(
            f"loss_and_grad must return a loss of shape {loss_shape}, got {np.shape(loss)}"
        )
    if not isinstance(grad, np.ndarray) or grad.shape != grad_shape:
        got = getattr(grad, "shape", type(grad).__name__)
        hint = ""
        if isinstance(grad, np.ndarray) and grad.shape[:-1] == grad_shape[:-1]:
            # The right stack but another length: w_star and the function disagree
            # on the number of parameters.
            hint = (
                f": a gradient of {grad.shape[-1]} entries at {_show_w_star(w_star)}; "
                "w_star needs one entry per parameter of loss_and_grad"
            )
        raise ValueError(
            f"loss_and_grad must return a gradient of shape {grad_shape}, got {got!r}{hint}"
        )


def _tamed(drift: np.ndarray, cap: np.ndarray) -> np.ndarray:
    # Rows longer than their cap are shrunk to it (see _TAME). Called inside
    # np.errstate(all="ignore"): a zero-length row gives cap / 0 = inf, not taken.
    size = np.sqrt(_rowdot(drift, drift))
    return drift * np.minimum(1.0, cap / size)[:, None].astype(drift.dtype)


def _rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


@dataclass
class _Chains:
    traces: np.ndarray  # (C, num_draws), NaN after a chain died
    epsilon: np.ndarray  # (C,) step size used for the draws
    acceptance: np.ndarray  # (C,) accepted share of the draws; NaN for SGLD
    dead_at: np.ndarray  # (C,) step (burn-in included) a chain went non-finite, or -1
    max_loss: np.ndarray  # (C,) highest loss seen at any step, burn-in included


def _run_chains(
    loss: _Loss,
    w_star: np.ndarray,
    *,
    n: int,
    nbeta: float,
    epsilon: float,
    gamma: float,
    num_chains: int,
    num_draws: int,
    num_burnin: int,
    batch_size: int,
    sampler: str,
    target_accept: float,
    precondition: bool,
    rng: np.random.Generator,
) -> _Chains:
    """All chains advance together, one step at a time; row ``c`` is chain ``c``.

    Runs under :func:`_sampling` (``np.errstate(all="ignore")``): a diverging chain
    overflows on purpose here and is caught by the finiteness checks, then reported
    as an LLCWarning.
    """
    c, d = num_chains, w_star.size
    dtype = w_star.dtype
    state = {"w": np.tile(w_star, (c, 1))}
    traces = np.full((c, num_draws), np.nan)
    alive = np.ones(c, dtype=bool)
    dead_at = np.full(c, -1)
    max_loss = np.full(c, -np.inf)
    steps = num_burnin + num_draws
    full_batch = batch_size >= n

    def batch() -> np.ndarray | None:  # None means the full batch
        if full_batch:
            return None
        return np.stack([rng.choice(n, size=batch_size, replace=False) for _ in range(c)])

    def evaluate(v: np.ndarray, idx: np.ndarray | None, potential: bool = True):
        # Loss, force -grad log p, potential -log p (up to a constant; only MALA
        # needs it) and which rows are finite. A row's squared norm is a cheap
        # finiteness test (one that overflows counts as a blow-up, rightly).
        lv, gv = loss(v, idx, alive)
        diff = v - w_star
        force = nbeta * gv + gamma * diff
        ok = alive & np.isfinite(lv) & np.isfinite(_rowdot(force, force))
        if not potential:
            return lv, force, None, ok
        pot = nbeta * lv + (0.5 * gamma) * _rowdot(diff, diff)
        return lv, force, pot, ok & np.isfinite(pot)

    def kill(ok: np.ndarray, t: int) -> None:
        bad = alive & ~ok
        if bad.any():
            dead_at[bad] = t
            alive[bad] = False
            state["w"][bad] = w_star  # keep dead rows finite; they are never used again

    def record(t: int, lv: np.ndarray) -> None:
        nonlocal max_loss
        lv = np.where(alive, lv, np.nan)
        max_loss = np.fmax(max_loss, lv)
        if t >= num_burnin:
            traces[:, t - num_burnin] = lv

    with _sampling():
        if sampler == "sgld":
            half, sqrt_eps = 0.5 * epsilon, math.sqrt(epsilon)
            for t in range(steps):
                lv, force, _, ok = evaluate(state["w"], batch(), potential=False)
                kill(ok, t)
                record(t, lv)
                noise = rng.standard_normal((c, d), dtype=dtype)
                # A finite force (its squared norm did not overflow) keeps w finite,
                # so the next evaluation is the only check needed.
                w = state["w"] - half * force + sqrt_eps * noise
                state["w"] = w if alive.all() else np.where(alive[:, None], w, state["w"])
            nan = np.full(c, np.nan)
            return _Chains(traces, np.full(c, epsilon), nan, dead_at, max_loss)
        eps, acceptance = _mala(
            evaluate, kill, record, state, batch, rng,
            steps=steps, num_burnin=num_burnin, num_draws=num_draws, epsilon=epsilon,
            target_accept=target_accept, precondition=precondition, full_batch=full_batch,
            alive=alive,
        )  # fmt: skip
    return _Chains(traces, eps, np.where(alive, acceptance, np.nan), dead_at, max_loss)


def _mala(
    evaluate, kill, record, state, batch, rng, *, steps, num_burnin, num_draws, epsilon,
    target_accept, precondition, full_batch, alive,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The MALA loop of :func:`_run_chains`; returns the step sizes and acceptance rates.

    Langevin proposal ``w' = w + eps/2 M grad log p(w) + sqrt(eps M) xi`` with
    ``M = diag(scale^2)``, accepted with the Metropolis-Hastings ratio. With
    minibatches the ratio uses the same batch at both points, which is exact only for
    full batches. The drift is tamed (see _TAME), which keeps the ratio exact: any
    deterministic proposal mean does. Each chain tunes its own step size by dual
    averaging (Hoffman & Gelman 2014, section 3.2) toward ``target_accept``.
    """
    w = state["w"]
    c, d = w.shape
    dtype = w.dtype
    log_eps = np.full(c, math.log(epsilon))
    mu = np.full(c, math.log(10.0 * epsilon))  # the tuning's anchor: 10x the start
    h_bar = np.zeros(c)
    log_eps_bar = np.zeros(c)
    accepted = np.zeros(c)
    # With precondition, after Stan's windowed adaptation: the step size is tuned
    # throughout; each coordinate's posterior standard deviation is estimated from
    # the draws between 15% and 75% of the burn-in and used as the preconditioner
    # from then on, with the step size re-tuned for it in the last 25%.
    window = None
    if precondition and num_burnin >= _METRIC_MIN:
        window = (num_burnin * 3 // 20, num_burnin * 3 // 4)
    scale = np.ones((c, d), dtype=dtype)
    count, mean, m2 = 0, np.zeros((c, d)), np.zeros((c, d))  # Welford's running variance
    adapt_from = 0  # the step at which the dual averaging (re)started
    current = None
    for t in range(steps):
        eps = np.exp(log_eps)
        idx = batch()
        if current is None:
            current = evaluate(state["w"], idx)
            kill(current[3], t)
        w = state["w"]
        lv, force, pot, _ = current
        record(t, lv)
        half_eps = (0.5 * eps)[:, None].astype(dtype)
        cap = _TAME * np.sqrt(eps * d)
        noise = rng.standard_normal((c, d))
        drift = scale * _tamed(-half_eps * scale * force, cap)
        prop = (w + drift + np.sqrt(eps)[:, None] * scale * noise).astype(dtype, copy=False)
        p_lv, p_force, p_pot, p_ok = evaluate(prop, idx)
        back = (w - prop) / scale - _tamed(-half_eps * scale * p_force, cap)
        log_ratio = pot - p_pot - _rowdot(back, back) / (2.0 * eps) + 0.5 * _rowdot(noise, noise)
        # A non-finite proposal is rejected; the tuning then shrinks the step.
        prob = np.exp(np.minimum(0.0, np.where(p_ok, log_ratio, -np.inf)))
        take = alive & (rng.random(c) < prob)
        state["w"] = np.where(take[:, None], prop, w)
        if full_batch:
            current = (
                np.where(take, p_lv, lv),
                np.where(take[:, None], p_force, force),
                np.where(take, p_pot, pot),
                np.where(take, p_ok, current[3]),
            )
        else:  # the next step's minibatch needs fresh values
            current = None
        if t >= num_burnin:
            accepted += take
            continue
        m = t + 1 - adapt_from
        h_bar += ((target_accept - prob) - h_bar) / (m + _DA_T0)
        log_eps = mu - math.sqrt(m) / _DA_GAMMA * h_bar
        eta = m**-_DA_KAPPA
        log_eps_bar = eta * log_eps + (1.0 - eta) * log_eps_bar
        if window is not None and window[0] <= t < window[1]:
            count += 1
            delta = state["w"] - mean
            mean += delta / count
            m2 += delta * (state["w"] - mean)
        if window is not None and t + 1 == window[1]:
            # Stan's regularization: shrink toward a small value, so that a
            # coordinate that barely moved does not get a vanishing step.
            var = (count / (count + 5.0)) * (m2 / max(count - 1, 1))
            scale = np.sqrt(var + 1e-3 * 5.0 / (count + 5.0)).astype(dtype)
            mu = np.log(10.0 * np.exp(log_eps))
            h_bar, log_eps_bar, adapt_from = np.zeros(c), np.zeros(c), t + 1
        if t + 1 == num_burnin:
            log_eps = log_eps_bar
    return np.exp(log_eps), accepted / num_draws


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


def _full_loss(loss: _Loss, w_star: np.ndarray, n: int, batch_size: int) -> tuple[float, float]:
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


def estimate_llc(
    loss_and_grad: LossAndGrad,
    w_star: object,
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
    warnings. :meth:`ToyLoss.loss_and_grad` then skips its finiteness checks.

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
    if not callable(loss_and_grad):
        raise TypeError(f"loss_and_grad must be callable, got {loss_and_grad!r}")
    w0 = _check_w_star(w_star)
    n = _check_int("n", n, 2)
    nbeta = default_nbeta(n) if nbeta is None else _check_real("nbeta", nbeta, positive=True)
    epsilon = _check_real("epsilon", epsilon, positive=True)
    gamma = _check_real("gamma", gamma)
    num_chains = _check_int("num_chains", num_chains, 1)
    num_draws = _check_int("num_draws", num_draws, 2)
    num_burnin = _check_int("num_burnin", num_burnin, 0)
    batch_size = n if batch_size is None else min(_check_int("batch_size", batch_size, 1), n)
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
    target_accept = _check_real("target_accept", target_accept, positive=True)
    if not target_accept < 1.0:
        raise ValueError(f"target_accept must be in (0, 1), got {target_accept!r}")
    for name, flag in (("precondition", precondition), ("vectorized", vectorized)):
        if not isinstance(flag, bool | np.bool_):
            raise TypeError(f"{name} must be a bool, got {flag!r}")
    if precondition and sampler != "mala":
        raise ValueError(f"precondition=True needs sampler='mala', got sampler={sampler!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {rng!r}")
    if max_excess_loss is not None:
        max_excess_loss = _check_real("max_excess_loss", max_excess_loss, positive=True)
    d = w0.size

    loss = _Loss(loss_and_grad, w0, n, bool(vectorized))
    # Evaluated like the chains (see _sampling): an overflow at w_star shows up here
    # as a non-finite loss, reported below, rather than as numpy's warnings.
    with _sampling():
        init_loss, grad_norm = _full_loss(loss, w0, n, batch_size)
    if not math.isfinite(init_loss):
        raise ValueError(
            f"the loss at w_star must be finite, got {init_loss} at {_show_w_star(w0)}"
        )

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
        precondition=bool(precondition),
    )
    chains = _run_chains(
        loss,
        w0,
        n=n,
        nbeta=nbeta,
        epsilon=epsilon,
        gamma=gamma,
        num_chains=num_chains,
        num_draws=num_draws,
        num_burnin=num_burnin,
        batch_size=batch_size,
        sampler=sampler,
        target_accept=target_accept,
        precondition=bool(precondition),
        rng=rng,
    )
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
        chain_llcs=_readonly(chain_llcs),
        loss_traces=_readonly(traces),
        init_loss=init_loss,
        acceptance=_readonly(chains.acceptance),
        epsilons=_readonly(chains.epsilon),
        diverged=_readonly(diverged),
        settings=settings,
        excess_loss=llc / nbeta,
        rhat=rhat,
        grad_norm=grad_norm,
        valid=not reasons,
        reasons=reasons,
    )
