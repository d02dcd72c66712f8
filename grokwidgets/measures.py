"""Complexity-like measures of a network's weights, along a training run.

A network that has memorized its training pairs spreads its embedding of the
residues over all frequencies, like noise; one that has grokked modular addition
uses a handful of Fourier frequencies, ``cos(2 pi k a / p)`` and ``sin(2 pi k a /
p)`` for a few ``k``. So the share of the embedding's energy in its top few
frequencies, and the effective number of frequencies it uses, measure how simple
the solution is. In the shipped default run (:mod:`grokwidgets.runs`, weight
decay 1, seed 0) the top-5 share is 0.27 at initialization (noise), 0.31 at
memorization (step 50), and climbs through the plateau while the test accuracy
is still below 1%: 0.45 at step 200. It reaches 0.84 at grokking (step 500) and
levels off at 0.90-0.95; the effective number of frequencies falls from 25 to
5-7 over the same steps. Without weight decay the top-5 share stays near 0.30.

Frequencies are counted in pairs: ``k`` and ``p - k`` carry the same cosine and
sine, so a prime ``p`` has ``(p - 1) / 2`` of them plus the constant (``k = 0``).
The constant component says nothing about which residue is which, so the
concentration measures leave it out.

For one-hot inputs (``embed_dim=None``) there is no shared embedding; use the
per-neuron Fourier purity of the first layer instead: the share of each hidden
unit's (non-constant) energy in its single largest frequency.

For ``"*"`` and ``"/"`` the natural basis is the characters of the multiplicative
group, not these frequencies, so these measures are meant for ``"+"`` and ``"-"``.

All functions are pure numpy and validate their inputs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from grokwidgets._validation import InstanceOf, Integer, InvalidParameterError, validate_params
from grokwidgets.experiment import Run

# The learning coefficient along a run lives in grokwidgets.llc; re-exported here,
# where the other measures along a run are.
from grokwidgets.llc import LLCCurve, llc_curve

__all__ = [
    "LLCCurve",
    "RunMeasures",
    "effective_frequencies",
    "fourier_energy",
    "llc_curve",
    "neuron_purity",
    "run_measures",
    "top_k_fraction",
    "weight_norm",
]

#: Default number of frequencies for :func:`top_k_fraction`.
DEFAULT_K = 5
#: Largest magnitude of an entry the Fourier measures take: energies are sums of
#: squares, which overflow to inf far above it (trained weights are below 100).
MAX_ABS = 1e100


def _check_residue_array(name: str, x: object, min_ndim: int = 2) -> np.ndarray:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimensions (..., p, columns), "
            f"got shape {x.shape}"
        )
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise ValueError(f"{name} must be a real array, got dtype {x.dtype}")
    if x.shape[-2] < 3:
        raise ValueError(f"{name} must have at least 3 residues (axis -2), got shape {x.shape}")
    x = x.astype(np.float64, copy=False)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite, got {np.count_nonzero(~np.isfinite(x))} NaN/inf")
    if x.size and np.max(np.abs(x)) > MAX_ABS:
        raise ValueError(
            f"{name} must have entries of magnitude <= {MAX_ABS:g}, got {np.max(np.abs(x)):.3g}"
        )
    return x


def _column_energy(x: np.ndarray) -> np.ndarray:
    """Energy per frequency 0..p//2 of each column: shape (..., p//2 + 1, columns)."""
    p = x.shape[-2]
    spec = np.fft.rfft(x, axis=-2)
    energy = spec.real**2 + spec.imag**2
    # Frequencies k and p - k are the same cosine/sine: count both (except k = 0
    # and, for even p, k = p/2, which have no partner). Dividing by p makes the
    # energies add up to the sum of squares (Parseval).
    energy[..., 1 : (p + 1) // 2, :] *= 2.0
    return energy / p


def fourier_energy(embedding: np.ndarray) -> np.ndarray:
    """Energy of an embedding per Fourier frequency over the residues.

    Parameters
    ----------
    embedding : ndarray, shape (..., p, d)
        One row per residue ``0 .. p-1``; leading axes (e.g. checkpoints) are kept.

    Returns
    -------
    ndarray, shape (..., p // 2 + 1)
        Energy at frequency ``k = 0 .. p // 2``, summed over the ``d`` columns;
        index 0 is the constant component. The energies add up to
        ``(embedding ** 2).sum()`` over the last two axes.

    Raises
    ------
    TypeError, ValueError
        If ``embedding`` is not a finite real array with at least 3 rows.
    """
    x = _check_residue_array("embedding", embedding)
    return _column_energy(x).sum(axis=-1)


def _shares(energy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-constant energies (..., n) and their total (...); the total may be 0.

    A total below 1e-24 of the whole energy (amplitudes 1e-12 of the constant) is
    the FFT's rounding of a constant input, not structure: it is set to 0.
    """
    e = energy[..., 1:]
    total = e.sum(axis=-1)
    return e, np.where(total > 1e-24 * energy.sum(axis=-1), total, 0.0)


def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    # NaN where the embedding has no non-constant energy at all: no frequency is
    # favoured, so no concentration can be stated (and no division warning).
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _as_result(x: np.ndarray) -> float | np.ndarray:
    return float(x) if x.ndim == 0 else x


@validate_params({"k": Integer()})
def top_k_fraction(embedding: np.ndarray, k: int = DEFAULT_K) -> float | np.ndarray:
    """Share of an embedding's non-constant energy in its ``k`` strongest frequencies.

    1 for an embedding built from at most ``k`` frequencies; a little above
    ``k / ((p - 1) / 2)`` for random noise (p = 53, k = 5, a 53 x 16 Gaussian:
    0.23-0.29 over 100 seeds, median 0.26).

    Parameters
    ----------
    embedding : ndarray, shape (..., p, d)
    k : int, default 5
        Number of frequencies, ``1 <= k <= p // 2``.

    Returns
    -------
    float, or ndarray of shape ``embedding.shape[:-2]``
        In ``[k / (p // 2), 1]``; NaN where the embedding is constant over the residues.
    """
    energy = fourier_energy(embedding)
    n = energy.shape[-1] - 1
    if not 1 <= k <= n:
        raise InvalidParameterError(
            f"k must be in [1, {n}] for p = {embedding.shape[-2]}, got {k!r}"
        )
    e, total = _shares(energy)
    top = np.sort(e, axis=-1)[..., -k:].sum(axis=-1)
    return _as_result(_safe_divide(top, total))


def effective_frequencies(embedding: np.ndarray) -> float | np.ndarray:
    """Effective number of frequencies an embedding uses: exp of the spectral entropy.

    With ``q_k`` the share of the non-constant energy at frequency ``k``, this is
    ``exp(-sum q_k log q_k)``: 1 for a single frequency, ``m`` for ``m`` equally
    strong ones, just below ``p // 2`` for noise (p = 53, a 53 x 16 Gaussian:
    24.7-25.7 of 26 over 100 seeds).

    Parameters
    ----------
    embedding : ndarray, shape (..., p, d)

    Returns
    -------
    float, or ndarray of shape ``embedding.shape[:-2]``
        In ``[1, p // 2]``; NaN where the embedding is constant over the residues.
    """
    e, total = _shares(fourier_energy(embedding))
    q = _safe_divide(e, total[..., None])
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0)
    entropy = -terms.sum(axis=-1)
    return _as_result(np.where(total > 0, np.exp(entropy), np.nan))


def neuron_purity(weights: np.ndarray) -> np.ndarray:
    """Per hidden unit, the share of its non-constant energy in its largest frequency.

    Parameters
    ----------
    weights : ndarray, shape (..., p, hidden)
        A first-layer weight matrix with one row per residue: ``W_a`` or ``W_b``
        for one-hot inputs, ``embed @ W_a`` for a learned embedding.

    Returns
    -------
    ndarray, shape (..., hidden)
        In ``[1 / (p // 2), 1]``: 1 for a unit tuned to one frequency; for
        Gaussian weights at p = 53, median 0.14 (5-95%: 0.10-0.22); NaN for a
        unit constant over the residues.
    """
    x = _check_residue_array("weights", weights)
    e, total = _shares(np.moveaxis(_column_energy(x), -1, -2))
    return _safe_divide(e.max(axis=-1), total)


def weight_norm(params: Mapping[str, np.ndarray] | np.ndarray) -> float:
    """L2 norm of all parameters together (an array, or a mapping of name to array).

    Raises
    ------
    TypeError, ValueError
        For something that is not an array or a non-empty mapping of arrays, or
        for non-finite values.
    """
    if isinstance(params, np.ndarray):
        arrays = [params]
    elif isinstance(params, Mapping) and params:
        arrays = list(params.values())
    else:
        raise TypeError(f"params must be an array or a non-empty mapping of arrays, got {params!r}")
    flat = []
    for x in arrays:
        if not isinstance(x, np.ndarray) or not (
            np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)
        ):
            raise TypeError(
                "params must hold numeric numpy arrays of reals, got "
                + (f"an array of dtype {x.dtype}" if isinstance(x, np.ndarray) else repr(x)[:80])
            )
        x = x.astype(np.float64, copy=False).ravel()
        if not np.all(np.isfinite(x)):
            raise ValueError("params must be finite, got NaN or inf")
        flat.append(x)
    # Scaled by the largest entry, so that huge weights do not overflow the squares.
    scale = max((float(np.max(np.abs(x))) for x in flat if x.size), default=0.0)
    if scale == 0.0:
        return 0.0
    norm = scale * math.sqrt(sum(float(np.dot(x / scale, x / scale)) for x in flat))
    if not math.isfinite(norm):
        raise ValueError(f"params must have a norm below the float range, got one near {norm}")
    return norm


@dataclass(frozen=True, eq=False)
class RunMeasures:
    """The measures at each checkpoint of a run (arrays of length ``len(step)``).

    Attributes
    ----------
    step : ndarray of int64
        The checkpoint steps.
    weight_norm : ndarray
        L2 norm of all parameters.
    spectrum : ndarray, shape (len(step), p // 2 + 1)
        Energy per frequency of the embedding (see below); column 0 is the constant.
    top_k_fraction : ndarray
        Share of the embedding's non-constant energy in its top ``k`` frequencies.
    effective_frequencies : ndarray
        exp of the embedding's spectral entropy.
    purity : ndarray
        Mean per-neuron Fourier purity of the first layer (both inputs), each unit
        weighted by its energy so that units decayed to nothing do not count.
    k : int
        The ``k`` of ``top_k_fraction``.
    embedding : str
        What "the embedding" was: ``"embed"`` (the learned, shared embedding) or
        ``"w_a|w_b"`` (one-hot inputs: the first layer's rows, side by side).
    """

    step: np.ndarray
    weight_norm: np.ndarray
    spectrum: np.ndarray
    top_k_fraction: np.ndarray
    effective_frequencies: np.ndarray
    purity: np.ndarray
    k: int
    embedding: str


@validate_params({"run": InstanceOf(Run, "a grokwidgets.experiment.Run"), "k": Integer()})
def run_measures(run: Run, k: int = DEFAULT_K) -> RunMeasures:
    """All the measures at every checkpoint of ``run``.

    For a learned embedding the spectrum is that of ``embed`` (p x embed_dim); for
    one-hot inputs, of ``W_a`` and ``W_b`` side by side (p x 2 hidden), where the
    per-neuron purity is the better measure. Purity is always computed on the
    per-residue hidden rows (``embed @ W_a`` or ``W_a``, and the same for b).

    Raises
    ------
    TypeError
        If ``run`` is not a :class:`~grokwidgets.experiment.Run`.
    ValueError
        If it has no checkpoints, or for an invalid ``k``.
    """
    if run.checkpoint_steps.size == 0:
        raise ValueError("run must have checkpoints, got none (checkpoint_steps was empty)")
    ck = {name: arr.astype(np.float64) for name, arr in run.checkpoints.items()}
    if "embed" in ck:
        emb, label = ck["embed"], "embed"
        rows = np.concatenate([ck["embed"] @ ck["w_a"], ck["embed"] @ ck["w_b"]], axis=-1)
    else:
        emb = rows = np.concatenate([ck["w_a"], ck["w_b"]], axis=-1)
        label = "w_a|w_b"
    n_ck = run.checkpoint_steps.size
    norms = np.sqrt(sum((x.reshape(n_ck, -1) ** 2).sum(axis=1) for x in ck.values()))
    unit_energy = (rows - rows.mean(axis=-2, keepdims=True)) ** 2
    weights = unit_energy.sum(axis=-2)  # (n_ckpt, units): non-constant energy per unit
    pure = neuron_purity(rows)
    weighted = np.where(np.isnan(pure), 0.0, pure) * weights
    purity = _safe_divide(weighted.sum(axis=-1), weights.sum(axis=-1))
    return RunMeasures(
        step=run.checkpoint_steps.copy(),
        weight_norm=norms,
        spectrum=fourier_energy(emb),
        top_k_fraction=np.atleast_1d(top_k_fraction(emb, k)),
        effective_frequencies=np.atleast_1d(effective_frequencies(emb)),
        purity=purity,
        k=int(k),
        embedding=label,
    )
