"""The Markov chains of :func:`grokwidgets.slt.estimate_llc`: SGLD and MALA.

:class:`StackLoss` calls the user's ``loss_and_grad`` for a stack of chains and
checks what its first call returns.

All chains advance together, one step at a time; row ``c`` of every array is chain
``c``. :func:`run_chains` takes the estimate's :class:`~grokwidgets.slt_results.LLCSettings`
and keeps the chains' state in a :class:`ChainState`. It runs under
``np.errstate(all="ignore")``: a diverging chain overflows on purpose here and is
caught by the finiteness checks, then reported by the estimator.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np

from grokwidgets._validation import readonly
from grokwidgets.slt_results import LLCSettings
from grokwidgets.toyloss import ToyLoss

#: The user's function: (w, idx) -> (loss, gradient); with ``vectorized=True`` w is a
#: stack of chains and the loss an array, one per chain.
LossAndGrad = Callable[[np.ndarray, np.ndarray], tuple[float | np.ndarray, np.ndarray]]

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


class StackLoss:
    """Calls the user's ``loss_and_grad`` for a stack of chains.

    Returns losses of shape (C,) and gradients (C, d); rows of chains that are not
    alive are NaN and never computed (in vectorized mode they are computed at
    ``w_star``, so a dead chain's non-finite row cannot upset the user's code).
    The first call (at ``w_star``, from :func:`_full_loss`) checks what the function
    returns.
    """

    def __init__(self, fn: LossAndGrad, w_star: np.ndarray, n: int, vectorized: bool) -> None:
        if getattr(fn, "__func__", None) is ToyLoss.loss_and_grad:
            # A toy's own method: the variant without finiteness checks, so that a
            # diverging chain gets inf or NaN (reported by estimate_llc), not an error.
            fn = fn.__self__.sampler_loss_and_grad  # type: ignore[attr-defined]
        self.fn, self.w_star, self.vectorized = fn, w_star, vectorized
        self.all_idx = readonly(np.arange(n))
        self.all_rows: np.ndarray | None = None  # the full batch for every chain
        self.checked = False

    def _first(
        self, w: np.ndarray, idx: np.ndarray, loss_shape: tuple, grad_shape: tuple
    ) -> tuple[float | np.ndarray, np.ndarray]:
        # An error in the very first call, at w_star, most likely means that w_star
        # does not fit the function (its length, say): the message names w_star and
        # its shape besides the function's own words (which, for ToyLoss, name the
        # length it expects). Later errors pass unchanged.
        try:
            out = self.fn(w, idx)
        except (TypeError, ValueError) as exc:
            kind = TypeError if isinstance(exc, TypeError) else ValueError
            raise kind(
                f"loss_and_grad failed at {show_w_star(self.w_star)}: {type(exc).__name__}: {exc}"
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
                raw_loss, raw_grad = self.fn(w, idx)
            else:
                raw_loss, raw_grad = self._first(w, idx, (c,), (c, d))
            losses = np.array(raw_loss, dtype=np.float64)
            grads = np.array(raw_grad, dtype=w.dtype)
            losses[~alive] = np.nan
            grads[~alive] = np.nan
            return losses, grads
        loss = np.full(c, np.nan)
        grad = np.full((c, d), np.nan, dtype=w.dtype)
        for i in np.flatnonzero(alive):
            wi, ii = w[i], self.all_idx if idx is None else idx[i]
            li, gi = self.fn(wi, ii) if self.checked else self._first(wi, ii, (), (d,))
            loss[i] = li
            grad[i] = gi
        return loss, grad


def show_w_star(w_star: np.ndarray) -> str:
    # Short even for a real checkpoint (11,728 entries): numpy summarizes the middle.
    text = np.array2string(w_star, threshold=20, edgeitems=3, separator=", ")
    return f"w_star of shape {w_star.shape} = {text}"


def _check_output(
    loss: object, grad: object, loss_shape: tuple, grad_shape: tuple, w_star: np.ndarray
) -> None:
    if isinstance(loss, bool) or not isinstance(loss, numbers.Real | np.ndarray):
        raise TypeError(f"loss_and_grad must return (loss, gradient), got loss {loss!r}")
    shape = loss.shape if isinstance(loss, np.ndarray) else ()  # np.shape of a scalar
    if shape != loss_shape:
        raise ValueError(f"loss_and_grad must return a loss of shape {loss_shape}, got {shape}")
    if not isinstance(grad, np.ndarray) or grad.shape != grad_shape:
        got = getattr(grad, "shape", type(grad).__name__)
        hint = ""
        if isinstance(grad, np.ndarray) and grad.shape[:-1] == grad_shape[:-1]:
            # The right stack but another length: w_star and the function disagree
            # on the number of parameters.
            hint = (
                f": a gradient of {grad.shape[-1]} entries at {show_w_star(w_star)}; "
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
class Chains:
    """What the chains leave behind."""

    traces: np.ndarray  # (C, num_draws), NaN after a chain died
    epsilon: np.ndarray  # (C,) step size used for the draws
    acceptance: np.ndarray  # (C,) accepted share of the draws; NaN for SGLD
    dead_at: np.ndarray  # (C,) step (burn-in included) a chain went non-finite, or -1
    max_loss: np.ndarray  # (C,) highest loss seen at any step, burn-in included


class ChainState:
    """The chains while they run: positions, which are alive, and what they recorded."""

    def __init__(
        self, loss: StackLoss, w_star: np.ndarray, s: LLCSettings, rng: np.random.Generator
    ) -> None:
        c = s.num_chains
        self.loss, self.w_star, self.s, self.rng = loss, w_star, s, rng
        self.w = np.tile(w_star, (c, 1))
        self.traces = np.full((c, s.num_draws), np.nan)
        self.alive = np.ones(c, dtype=bool)
        self.dead_at = np.full(c, -1)
        self.max_loss = np.full(c, -np.inf)
        self.full_batch = s.batch_size >= s.n

    def batch(self) -> np.ndarray | None:
        """Each chain's minibatch for one step; None means the full batch."""
        if self.full_batch:
            return None
        s, rng = self.s, self.rng
        return np.stack(
            [rng.choice(s.n, size=s.batch_size, replace=False) for _ in range(s.num_chains)]
        )

    @overload
    def evaluate(
        self, v: np.ndarray, idx: np.ndarray | None, potential: Literal[True] = ...
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...

    @overload
    def evaluate(
        self, v: np.ndarray, idx: np.ndarray | None, potential: Literal[False]
    ) -> tuple[np.ndarray, np.ndarray, None, np.ndarray]: ...

    def evaluate(
        self, v: np.ndarray, idx: np.ndarray | None, potential: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """Loss, force ``-grad log p``, potential ``-log p`` and which rows are finite.

        The potential (up to a constant) only MALA needs. A row's squared norm is a
        cheap finiteness test (one that overflows counts as a blow-up, rightly).
        """
        s = self.s
        lv, gv = self.loss(v, idx, self.alive)
        diff = v - self.w_star
        force = s.nbeta * gv + s.gamma * diff
        ok = self.alive & np.isfinite(lv) & np.isfinite(_rowdot(force, force))
        if not potential:
            return lv, force, None, ok
        pot = s.nbeta * lv + (0.5 * s.gamma) * _rowdot(diff, diff)
        return lv, force, pot, ok & np.isfinite(pot)

    def kill(self, ok: np.ndarray, t: int) -> None:
        """Mark the chains that are alive but not ``ok`` as dead at step ``t``."""
        bad = self.alive & ~ok
        if bad.any():
            self.dead_at[bad] = t
            self.alive[bad] = False
            self.w[bad] = self.w_star  # keep dead rows finite; they are never used again

    def record(self, t: int, lv: np.ndarray) -> None:
        """Keep the losses of step ``t`` (a draw once burn-in is over)."""
        lv = np.where(self.alive, lv, np.nan)
        self.max_loss = np.fmax(self.max_loss, lv)
        if t >= self.s.num_burnin:
            self.traces[:, t - self.s.num_burnin] = lv


def run_chains(
    loss: StackLoss, w_star: np.ndarray, settings: LLCSettings, rng: np.random.Generator
) -> Chains:
    """Run ``settings.num_chains`` chains from ``w_star`` with ``settings.sampler``."""
    st = ChainState(loss, w_star, settings, rng)
    c, d = settings.num_chains, w_star.size
    steps = settings.num_burnin + settings.num_draws
    with np.errstate(all="ignore"):
        if settings.sampler == "sgld":
            epsilon = settings.epsilon
            half, sqrt_eps = 0.5 * epsilon, math.sqrt(epsilon)
            for t in range(steps):
                lv, force, _, ok = st.evaluate(st.w, st.batch(), potential=False)
                st.kill(ok, t)
                st.record(t, lv)
                noise = rng.standard_normal((c, d), dtype=w_star.dtype)
                # A finite force (its squared norm did not overflow) keeps w finite,
                # so the next evaluation is the only check needed.
                w = st.w - half * force + sqrt_eps * noise
                st.w = w if st.alive.all() else np.where(st.alive[:, None], w, st.w)
            nan = np.full(c, np.nan)
            return Chains(st.traces, np.full(c, epsilon), nan, st.dead_at, st.max_loss)
        eps, acceptance = _mala(st)
    acceptance = np.where(st.alive, acceptance, np.nan)
    return Chains(st.traces, eps, acceptance, st.dead_at, st.max_loss)


def _mala(st: ChainState) -> tuple[np.ndarray, np.ndarray]:
    """The MALA loop of :func:`run_chains`; returns the step sizes and acceptance rates.

    Langevin proposal ``w' = w + eps/2 M grad log p(w) + sqrt(eps M) xi`` with
    ``M = diag(scale^2)``, accepted with the Metropolis-Hastings ratio. With
    minibatches the ratio uses the same batch at both points, which is exact only for
    full batches. The drift is tamed (see _TAME), which keeps the ratio exact: any
    deterministic proposal mean does. Each chain tunes its own step size by dual
    averaging (Hoffman & Gelman 2014, section 3.2) toward ``target_accept``.
    """
    s, rng, alive = st.s, st.rng, st.alive
    num_burnin, target_accept = s.num_burnin, s.target_accept
    steps = num_burnin + s.num_draws
    c, d = st.w.shape
    dtype = st.w.dtype
    log_eps = np.full(c, math.log(s.epsilon))
    mu = np.full(c, math.log(10.0 * s.epsilon))  # the tuning's anchor: 10x the start
    h_bar = np.zeros(c)
    log_eps_bar = np.zeros(c)
    accepted = np.zeros(c)
    # With precondition, after Stan's windowed adaptation: the step size is tuned
    # throughout; each coordinate's posterior standard deviation is estimated from
    # the draws between 15% and 75% of the burn-in and used as the preconditioner
    # from then on, with the step size re-tuned for it in the last 25%.
    window = None
    if s.precondition and num_burnin >= _METRIC_MIN:
        window = (num_burnin * 3 // 20, num_burnin * 3 // 4)
    scale = np.ones((c, d), dtype=dtype)
    count, mean, m2 = 0, np.zeros((c, d)), np.zeros((c, d))  # Welford's running variance
    adapt_from = 0  # the step at which the dual averaging (re)started
    current: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    for t in range(steps):
        eps = np.exp(log_eps)
        idx = st.batch()
        if current is None:
            current = st.evaluate(st.w, idx)
            st.kill(current[3], t)
        w = st.w
        lv, force, pot, _ = current
        st.record(t, lv)
        half_eps = (0.5 * eps)[:, None].astype(dtype)
        cap = _TAME * np.sqrt(eps * d)
        noise = rng.standard_normal((c, d))
        drift = scale * _tamed(-half_eps * scale * force, cap)
        prop = (w + drift + np.sqrt(eps)[:, None] * scale * noise).astype(dtype, copy=False)
        p_lv, p_force, p_pot, p_ok = st.evaluate(prop, idx)
        back = (w - prop) / scale - _tamed(-half_eps * scale * p_force, cap)
        log_ratio = pot - p_pot - _rowdot(back, back) / (2.0 * eps) + 0.5 * _rowdot(noise, noise)
        # A non-finite proposal is rejected; the tuning then shrinks the step.
        prob = np.exp(np.minimum(0.0, np.where(p_ok, log_ratio, -np.inf)))
        take = alive & (rng.random(c) < prob)
        st.w = np.where(take[:, None], prop, w)
        if st.full_batch:
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
            delta = st.w - mean
            mean += delta / count
            m2 += delta * (st.w - mean)
        if window is not None and t + 1 == window[1]:
            # Stan's regularization: shrink toward a small value, so that a
            # coordinate that barely moved does not get a vanishing step.
            var = (count / (count + 5.0)) * (m2 / max(count - 1, 1))
            scale = np.sqrt(var + 1e-3 * 5.0 / (count + 5.0)).astype(dtype)
            mu = np.log(10.0 * np.exp(log_eps))
            h_bar, log_eps_bar, adapt_from = np.zeros(c), np.zeros(c), t + 1
        if t + 1 == num_burnin:
            log_eps = log_eps_bar
    return np.exp(log_eps), accepted / s.num_draws
