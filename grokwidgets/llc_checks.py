"""When a learning-coefficient estimate can be trusted: the checks behind ``valid``.

:func:`grokwidgets.slt.estimate_llc` runs these on every estimate and stores the
outcome in :attr:`LLCEstimate.valid <grokwidgets.slt.LLCEstimate.valid>` and
``reasons``. An estimate fails when any of these holds:

- **a chain diverged** (went non-finite, or its loss blew up): the estimate is NaN;
- **it is not positive**: the chains found lower loss than at ``w_star``, so
  ``w_star`` is not a local minimum;
- **it exceeds d / 2**: no learning coefficient of a ``d``-parameter model can
  (a regular minimum has exactly ``d / 2``; singular ones have less);
- **the chains disagree**: the split R-hat of their loss traces (Gelman et al.,
  *Bayesian Data Analysis*, 3rd ed., section 11.4) is above :data:`RHAT_MAX`, so the
  draws have not settled into one distribution;
- **the chains left the neighbourhood**: their mean excess loss
  (``estimate / nbeta``) is above the caller's ``max_excess_loss``. For the
  grokking network :func:`grokwidgets.measures.llc_curve` sets it to
  ``ln(p) / 2``, half of the loss of a uniform guess above ``L_n(w_star)``;
- **``w_star`` is on a slope**: with a gradient ``g`` at ``w_star``, the localized
  posterior ``exp(-nbeta L - gamma / 2 |w - w*|^2)`` can lower the loss by about
  ``nbeta |g|^2 / (2 gamma)`` by moving downhill alone; when that exceeds
  :data:`GRADIENT_SHARE` of the measured excess loss, the estimate measures the
  slope as much as the basin.

The first three say the number is wrong; the last three say the chains did not
sample what the estimator assumes. Either way the number is not quoted.
"""

from __future__ import annotations

import math

import numpy as np

from grokwidgets._validation import as_float_array

__all__ = [
    "GRADIENT_SHARE",
    "RHAT_MAX",
    "effective_sample_size",
    "failed_checks",
    "sampler_failed",
    "split_rhat",
]

#: Largest split R-hat of the chains' loss traces that counts as agreement (the
#: customary threshold of Gelman et al.; Stan's tools warn above 1.01 for long chains,
#: which short SGLD chains started at the same point do not reach).
RHAT_MAX = 1.1
#: Largest share of the excess loss that the gradient at ``w_star`` may explain.
GRADIENT_SHARE = 0.1


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
    with np.errstate(all="ignore"):
        arr = as_float_array("x", x, "a 1-D array of floats")
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


def split_rhat(traces: np.ndarray) -> float:
    """Split R-hat of ``traces`` (chains x draws): each chain cut in two halves.

    1 when every half samples the same distribution; above 1 when the halves'
    means differ more than their spreads allow (a trend, or chains stuck apart).
    NaN for fewer than 4 draws or non-finite traces.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> round(split_rhat(rng.standard_normal((2, 1000))), 2)
    1.0
    >>> split_rhat(np.linspace(0, 1, 200)[None, :]) > 1.5  # a trend, not a distribution
    True
    """
    x = np.asarray(traces, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 4 or not np.all(np.isfinite(x)):
        return math.nan
    half = x.shape[1] // 2
    parts = np.concatenate([x[:, :half], x[:, half : 2 * half]])
    within = parts.var(axis=1, ddof=1).mean()
    between = half * parts.mean(axis=1).var(ddof=1)
    if within == 0:
        return 1.0 if between == 0 else math.inf
    pooled = (half - 1) / half * within + between / half
    return math.sqrt(pooled / within)


def failed_checks(
    *,
    llc: float,
    d: int,
    nbeta: float,
    gamma: float,
    diverged: bool,
    rhat: float,
    grad_norm: float,
    max_excess_loss: float | None,
) -> tuple[str, ...]:
    """The reasons an estimate is not to be trusted (empty when it passes every check).

    Parameters are the estimate's numbers; see the module docstring for each check.
    Each reason is one sentence naming the measured value and the bound.
    """
    if diverged:
        return ("a chain diverged (lower epsilon or raise gamma)",)
    if not math.isfinite(llc):
        return ("the estimate is not finite",)
    reasons = []
    if llc <= 0:
        reasons.append(f"not a minimum: the chains found lower loss (estimate {llc:.3g} <= 0)")
    if llc > d / 2:
        reasons.append(f"above the d/2 ceiling ({llc:.4g} > {d / 2:g})")
    if math.isfinite(rhat) and rhat > RHAT_MAX:
        reasons.append(f"chains disagree (split R-hat {rhat:.3f} > {RHAT_MAX})")
    excess = llc / nbeta
    if max_excess_loss is not None and excess > max_excess_loss:
        reasons.append(
            f"chains left the basin (mean excess loss {excess:.3g} > {max_excess_loss:.3g})"
        )
    if gamma > 0 and excess > 0:
        slope = nbeta * grad_norm**2 / (2.0 * gamma)
        if slope > GRADIENT_SHARE * excess:
            reasons.append(
                f"on a slope: the gradient explains {slope / excess:.0%} of the excess loss "
                f"(> {GRADIENT_SHARE:.0%})"
            )
    return tuple(reasons)


# The reasons a smaller step size can cure (the others are about w_star itself).
_SAMPLER_REASONS = ("a chain diverged", "the estimate is not finite", "above the d/2",
                    "chains disagree", "chains left the basin")  # fmt: skip


def sampler_failed(reasons: tuple[str, ...]) -> bool:
    """Whether any of ``reasons`` says the sampler, not ``w_star``, went wrong."""
    return any(r.startswith(_SAMPLER_REASONS) for r in reasons)
