"""Numbers behind the model-structure panel: which connections of a small network
are active at a given complexity.

The panel draws two toy networks. Both have the same possible connections; the
complexity of the curve model (:mod:`grokwidgets.curves`) at the current step says
what share of them are in use. They differ in *which* connections come and go:

- Type A accumulates connections in no particular order (a lookup table grows one
  arbitrary entry at a time), so at high complexity it is a dense tangle;
- Type B, after its transition, keeps only a small structured core: each hidden unit
  reads two inputs and feeds two outputs in a regular pattern (the few "frequencies"
  a grokked modular-arithmetic network uses), and drops everything else.

Connections are ranked once; at complexity ``c`` the first ``c * E`` of ``E``
connections are on (the next one partly), so the count and total weight of active
connections follow complexity exactly.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

__all__ = ["NetworkLayout", "edge_strengths", "network_layout"]

DEFAULT_LAYERS = (6, 8, 5)


@dataclass(frozen=True, eq=False)
class NetworkLayout:
    """A layered network's nodes, possible connections and their ranking.

    Attributes
    ----------
    kind : {"A", "B"}
    layers : tuple of int
        Nodes per layer, input first.
    nodes : ndarray, shape (N, 2)
        Node positions in the unit square (x = layer, y = position in layer).
    edges : ndarray of int, shape (E, 2)
        Node indices (from, to) of every possible connection.
    rank : ndarray of int, shape (E,)
        Order in which connections switch on as complexity grows (0 first).
    core : ndarray of bool, shape (E,)
        The structured connections a Type B network keeps after its transition
        (all False for Type A).
    """

    kind: str
    layers: tuple[int, ...]
    nodes: np.ndarray
    edges: np.ndarray
    rank: np.ndarray
    core: np.ndarray


def _check_kind(kind: object) -> str:
    if not isinstance(kind, str) or kind not in ("A", "B"):
        raise ValueError(f'kind must be "A" or "B", got {kind!r}')
    return str(kind)


def network_layout(
    kind: str, layers: tuple[int, ...] = DEFAULT_LAYERS, seed: int = 0
) -> NetworkLayout:
    """Build the toy network for one panel.

    Parameters
    ----------
    kind : {"A", "B"}
    layers : tuple of int, default (6, 8, 5)
        At least two layers of 2 to 64 nodes.
    seed : int, default 0
        Seeds the (arbitrary) order in which non-core connections appear.
    """
    kind = _check_kind(kind)
    if (
        not isinstance(layers, tuple | list)
        or len(layers) < 2
        or any(
            isinstance(n, bool) or not isinstance(n, numbers.Integral) or not 2 <= n <= 64
            for n in layers
        )
    ):
        raise ValueError(f"layers must be a tuple of >= 2 ints in [2, 64], got {layers!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    layers = tuple(int(n) for n in layers)
    rng = np.random.default_rng(int(seed))

    offsets = np.cumsum((0, *layers))
    xs = np.linspace(0.0, 1.0, len(layers))
    nodes = np.concatenate(
        [
            np.column_stack([np.full(n, x), np.linspace(0.1, 0.9, n) if n > 1 else [0.5]])
            for n, x in zip(layers, xs, strict=True)
        ]
    )
    edges, core = [], []
    for li in range(len(layers) - 1):
        n_in, n_out = layers[li], layers[li + 1]
        for i in range(n_in):
            for j in range(n_out):
                edges.append((offsets[li] + i, offsets[li + 1] + j))
                # Core pattern: unit j links to the two units nearest its own position,
                # a sparse banded structure that reads as "a few clean pathways".
                centre = j * (n_in - 1) / max(n_out - 1, 1)
                core.append(kind == "B" and abs(i - centre) < 1.0)
    edges_arr = np.asarray(edges, dtype=np.int64)
    core_arr = np.asarray(core, dtype=bool)
    # Core connections switch on first (and so are the last to go), the rest in a
    # seeded arbitrary order.
    keys = rng.permutation(len(edges_arr)) + np.where(core_arr, -len(edges_arr), 0)
    rank = np.empty(len(edges_arr), dtype=np.int64)
    rank[np.argsort(keys, kind="stable")] = np.arange(len(edges_arr))
    return NetworkLayout(kind, layers, nodes, edges_arr, rank, core_arr)


def edge_strengths(layout: NetworkLayout, complexity: float) -> np.ndarray:
    """Strength in [0, 1] of every connection at ``complexity`` in [0, 1].

    The first ``complexity * E`` connections by rank are fully on, the next one is
    partly on, the rest are off; so ``strengths.sum() == complexity * E``.
    """
    if not isinstance(layout, NetworkLayout):
        raise TypeError(f"layout must be a NetworkLayout, got {type(layout).__name__}")
    if isinstance(complexity, bool) or not isinstance(complexity, numbers.Real):
        raise ValueError(f"complexity must be a real number in [0, 1], got {complexity!r}")
    try:
        c = float(complexity)
    except OverflowError:  # an int beyond the float range
        c = float("inf")
    if not 0.0 <= c <= 1.0:
        raise ValueError(f"complexity must be in [0, 1], got {complexity!r}")
    return np.clip(c * len(layout.rank) - layout.rank, 0.0, 1.0)
