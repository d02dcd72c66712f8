"""Toy losses with a known learning coefficient, for validating the LLC estimator.

:class:`ToyLoss` is a sum of monomials in even powers; its learning coefficient at
the minimum follows in closed form. :func:`grokwidgets.slt.estimate_llc` with
:data:`grokwidgets.slt.TOY_SETTINGS` recovers it (``tests/test_slt.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from grokwidgets._validation import Integer, as_float_array, readonly, validate_params

__all__ = ["ToyLoss"]


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
        object.__setattr__(self, "exponents", readonly(e.astype(np.int64)))

    @classmethod
    @validate_params({"d": Integer(1)})
    def regular(cls, d: int) -> ToyLoss:
        """``K(w) = |w|^2`` in ``d`` dimensions: a regular minimum, ``lambda = d / 2``."""
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
        arr = as_float_array("w", w, what)
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

    def loss_and_grad(
        self, w: np.ndarray, idx: np.ndarray
    ) -> tuple[float | np.ndarray, np.ndarray]:
        """The mean loss over samples ``idx`` (always ``K(w)``) and its gradient.

        The signature :func:`estimate_llc` expects; ``idx`` is ignored because every
        sample has the same loss. ``w`` may also be a stack of shape ``(m, d)``: the
        loss is then an array of shape ``(m,)`` and the gradient ``(m, d)``, for
        ``estimate_llc(..., vectorized=True)``.

        Raises
        ------
        TypeError, ValueError
            For a ``w`` of the wrong shape or with NaN or inf, or so large that the
            loss or gradient overflows. :func:`~grokwidgets.slt.estimate_llc` calls
            :meth:`sampler_loss_and_grad` instead, which checks only the shape: a
            chain that diverges gets inf or NaN, which the estimator reports.
        """
        arr = self._check_w(w, stack=True)
        with np.errstate(all="ignore"):
            value, grad = self._loss_and_grad(arr)
        if not (np.all(np.isfinite(value)) and np.all(np.isfinite(grad))):
            raise ValueError(f"w too large: K(w) or its gradient overflows, got {w!r}")
        return value, grad

    def sampler_loss_and_grad(
        self, w: np.ndarray, idx: np.ndarray
    ) -> tuple[float | np.ndarray, np.ndarray]:
        """:meth:`loss_and_grad` checking only the shape of ``w``, for a sampler.

        :func:`~grokwidgets.slt.estimate_llc` calls it (~10^4 times an estimate)
        when given ``toy.loss_and_grad``, under ``np.errstate(all="ignore")``: a
        chain that diverges gets inf or NaN here rather than an error, and the
        estimator reports it (an :class:`~grokwidgets.slt.LLCWarning`).
        """
        return self._loss_and_grad(self._check_w(w, stack=True, finite=False))

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
