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
connections follow complexity exactly. The diagram is an illustration of the drawn
model only: a count of connections is not what the learning coefficient measures.

What the panel shows of the *measured* runs is :func:`frequency_shares`: how a
shipped network's embedding spreads its energy over the Fourier frequencies of the
residues, at the last checkpoint at or before a step (see
:mod:`grokwidgets.measures`). A memorizing network spreads it over all of them; a
grokked one puts most of it in a few.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from grokwidgets.experiment import Run
from grokwidgets.measures import fourier_energy

__all__ = [
    "FrequencyShares",
    "NetworkLayout",
    "edge_strengths",
    "frequency_shares",
    "network_layout",
]

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


@dataclass(frozen=True, eq=False)
class FrequencyShares:
    """A network's embedding energy per Fourier frequency at one checkpoint.

    Attributes
    ----------
    step : int
        The checkpoint's step (the last one at or before the step asked for).
    frequency : ndarray of int, shape (p // 2,)
        Frequencies ``k = 1 .. p // 2`` (k and p - k counted together).
    share : ndarray of float, shape (p // 2,)
        Share of the embedding's non-constant energy at each frequency (sums to 1).
    embedding : str
        ``"embed"`` (the learned embedding) or ``"w_a|w_b"`` (one-hot inputs: the
        first layer's rows, as :func:`grokwidgets.measures.run_measures` does).
    """

    step: int
    frequency: np.ndarray
    share: np.ndarray
    embedding: str

    def top(self, k: int = 5) -> float:
        """Share of the energy in the ``k`` strongest frequencies."""
        return float(np.sort(self.share)[::-1][:k].sum())


def checkpoint_at(run: Run, step: float) -> int:
    """The last checkpoint step of ``run`` at or before ``step`` (the first, if before it)."""
    if not isinstance(run, Run):
        raise TypeError(f"run must be a grokwidgets.experiment.Run, got {type(run).__name__}")
    if isinstance(step, bool) or not isinstance(step, numbers.Real) or step != step:
        raise ValueError(f"step must be a real number, got {step!r}")
    steps = run.checkpoint_steps
    if steps.size == 0:
        raise ValueError("run must have checkpoints, got none")
    i = int(np.searchsorted(steps, float(step), side="right")) - 1
    return int(steps[max(i, 0)])


def frequency_shares(run: Run, step: float) -> FrequencyShares:
    """How ``run``'s embedding spreads its energy over frequencies at ``step``.

    Reads the last checkpoint at or before ``step`` (:func:`checkpoint_at`) and
    takes :func:`grokwidgets.measures.fourier_energy` of its embedding, leaving
    out the constant component.

    Examples
    --------
    >>> from grokwidgets.runs import load_run
    >>> late = frequency_shares(load_run(1.0, 0), 3000)
    >>> late.step, len(late.share), round(float(late.share.sum()), 6)
    (3000, 26, 1.0)
    """
    at = checkpoint_at(run, step)
    params = run.params_at(at)
    if "embed" in params:
        emb, label = params["embed"].astype(np.float64), "embed"
    else:
        emb = np.concatenate([params["w_a"], params["w_b"]], axis=-1).astype(np.float64)
        label = "w_a|w_b"
    energy = fourier_energy(emb)[1:]
    total = energy.sum()
    share = energy / total if total > 0 else np.full(energy.shape, 1.0 / energy.size)
    share.flags.writeable = False
    freq = np.arange(1, energy.size + 1)
    freq.flags.writeable = False
    return FrequencyShares(at, freq, share, label)
