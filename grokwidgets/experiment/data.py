"""The dataset: every pair of residues mod a prime, labelled, split at random."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from grokwidgets._validation import Constraint, Integer, Options, Real, readonly, validate_params

#: The operations the dataset can be built from.
OPS = ("+", "-", "*", "/")
#: Largest modulus: the dataset has p * p pairs.
MAX_P = 1000


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    return all(n % k for k in range(2, math.isqrt(n) + 1))


class Prime(Constraint):
    """A prime in ``[3, high]``."""

    def __init__(self, high: int):
        self.high = high
        self._int = Integer()

    def check(self, name: str, value: object) -> int:
        p = self._int.check(name, value)
        # The bound first: testing a huge p for primality would take forever.
        if p > self.high:
            raise self.fail(name, f"a prime <= {self.high}", value)
        if p < 3 or not _is_prime(p):
            raise self.fail(name, "a prime >= 3", value)
        return p

    def invalid_values(self) -> list[object]:
        return [*self._int.invalid_values(), 2, 9, self.high + 1, 10**400]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Every pair of residues with its label, split into training and test sets.

    Attributes
    ----------
    p : int
        The prime modulus.
    op : str
        One of :data:`OPS`.
    a, b : ndarray of int64, shape (n,)
        The two operands of every pair (for ``"/"``, pairs with ``b == 0`` are
        left out, so ``n = p * (p - 1)``; otherwise ``n = p * p``).
    labels : ndarray of int64, shape (n,)
        ``(a op b) mod p``.
    train_idx, test_idx : ndarray of int64
        Disjoint indices into the pairs, together covering all of them; both sorted.
    """

    p: int
    op: str
    a: np.ndarray
    b: np.ndarray
    labels: np.ndarray
    train_idx: np.ndarray
    test_idx: np.ndarray

    @property
    def n_train(self) -> int:
        """Number of training pairs."""
        return int(self.train_idx.size)

    @property
    def n_test(self) -> int:
        """Number of test pairs."""
        return int(self.test_idx.size)


@validate_params(
    {
        "p": Prime(MAX_P),
        "op": Options(OPS),
        "train_fraction": Real(gt=0, lt=1),
        "seed": Integer(0),
    }
)
def make_dataset(p: int = 53, op: str = "+", train_fraction: float = 0.4, seed: int = 0) -> Dataset:
    """All pairs ``(a, b)`` mod ``p`` labelled ``(a op b) mod p``, split at random.

    Parameters
    ----------
    p : int, default 53
        A prime in [3, :data:`MAX_P`].
    op : {"+", "-", "*", "/"}, default "+"
        The operation; ``"/"`` is ``a * b^{-1} mod p`` and leaves out ``b == 0``.
    train_fraction : float, default 0.4
        Share of the pairs in the training set, in (0, 1); the count is rounded and
        both sets keep at least one pair.
    seed : int, default 0
        Seeds the split (the same seed as :func:`train` gives the same split).

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError, TypeError
        For a ``p`` that is not a prime >= 3, an unknown ``op``, a fraction outside
        (0, 1) or a negative seed.
    """
    a, b = np.divmod(np.arange(p * p, dtype=np.int64), p)
    if op == "/":
        keep = b != 0
        a, b = a[keep], b[keep]
    if op == "+":
        labels = (a + b) % p
    elif op == "-":
        labels = (a - b) % p
    elif op == "*":
        labels = (a * b) % p
    else:
        inverse = np.array([0] + [pow(int(x), -1, p) for x in range(1, p)], dtype=np.int64)
        labels = (a * inverse[b]) % p
    n = a.size
    n_train = min(max(round(train_fraction * n), 1), n - 1)
    split_rng, _ = rngs(seed)
    perm = split_rng.permutation(n)
    return Dataset(
        p=p,
        op=op,
        a=readonly(a),
        b=readonly(b),
        labels=readonly(labels),
        train_idx=readonly(np.sort(perm[:n_train])),
        test_idx=readonly(np.sort(perm[n_train:])),
    )


def rngs(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent streams for the split and the initialization.

    So that changing one (say, another init scheme) never changes the other.
    """
    split_ss, init_ss = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(split_ss), np.random.default_rng(init_ss)
