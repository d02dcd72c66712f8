"""Precomputed chains for the estimator trust view (``scripts/make_trust.py``).

The network part holds, for every checkpoint of the weight-decay-1 run of the
median seed, the loss traces of the estimate in its shipped LLC curve. The toy
part holds ``w1^2 + w2^4`` (learning coefficient 3/4) estimated with the toy
settings, and with SGLD at a step size far too large and far too small.

>>> from grokwidgets.runs.trust import load_trust
>>> t = load_trust()
>>> float(t["toy_lambda"])
0.75
"""

from __future__ import annotations

import functools
from types import MappingProxyType

from grokwidgets.runs._npz import read_shipped

__all__ = ["TOY_CASES", "TOY_TERMS", "load_trust"]

#: The toy loss of the trust view: ``w1^2 + w2^4`` (exponent rows of ``ToyLoss``).
TOY_TERMS = ((1, 0), (0, 2))
#: How the two bad toy estimates differ from ``TOY_SETTINGS``.
TOY_CASES = MappingProxyType(
    {
        "step too large": {"sampler": "sgld", "epsilon": 0.5, "num_burnin": 0,
                           "num_draws": 600, "num_chains": 8},
        "step too small": {"sampler": "sgld", "epsilon": 1e-6, "num_burnin": 0,
                           "num_draws": 600, "num_chains": 8},
    }
)  # fmt: skip


@functools.cache
def load_trust() -> MappingProxyType:
    """The shipped traces and estimates, as a read-only mapping of arrays."""
    arrays = read_shipped("trust.npz")
    return MappingProxyType(arrays)
