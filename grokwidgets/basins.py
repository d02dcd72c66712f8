"""The two-basin figure's marble dynamics: which basin marbles settle in, per setting.

Model layer (numpy only): what :class:`grokwidgets.widgets.BasinsWidget` shows is
computed here, and ``scripts/make_basins.py`` and :mod:`grokwidgets.runs.basins` ship
the opening setting's result. ``SWEEP_COUNTS`` is the sweep panel's table, checked
against :func:`basin_sweep` by ``tests/test_landscape_widget.py``.
"""

from __future__ import annotations

import functools

import numpy as np

from grokwidgets.landscape import Settled, Trajectory, TwoBasin, run_marble, settle

__all__ = [
    "DEFAULT_MARBLES",
    "DEFAULT_N_PATHS",
    "DEFAULT_STEPS",
    "DEFAULT_TEMPERATURE",
    "SPREAD",
    "STEP_SIZE",
    "SWEEP_COUNTS",
    "SWEEP_REGULARIZATIONS",
    "SWEEP_SEEDS",
    "basin_marbles",
    "basin_sweep",
    "settle_marbles",
    "sweep_fractions",
]

#: Marble dynamics of the two-basin figure (see :func:`grokwidgets.landscape.settle`).
SPREAD = 0.1
STEP_SIZE = 0.02
DEFAULT_MARBLES = 400
DEFAULT_STEPS = 2000
DEFAULT_TEMPERATURE = 0.05
#: Sample paths drawn at the opening setting (and shipped with it).
DEFAULT_N_PATHS = 5

#: The sweep panel's grid: the slider's own stops, so its marker lands on a line.
SWEEP_REGULARIZATIONS = tuple(round(0.05 * i, 2) for i in range(21))
SWEEP_SEEDS = (0, 1, 2)
# Marbles (of 400) ending in the simple basin at each of SWEEP_REGULARIZATIONS, for
# each of SWEEP_SEEDS, with the default dynamics: basin_sweep() recomputes this
# (about 6-9 s here, too slow to redo whenever the essay's page opens) and
# tests/test_landscape_widget.py checks entries against it.
SWEEP_COUNTS = (
    (0, 0, 0, 0, 0, 1, 5, 8, 23, 51, 109, 224, 333, 394, 400, 400, 400, 400, 400, 400, 400),
    (0, 0, 0, 0, 0, 1, 1, 10, 23, 56, 121, 229, 341, 393, 400, 400, 400, 400, 400, 400, 400),
    (0, 0, 0, 0, 0, 0, 1, 6, 26, 50, 117, 218, 333, 394, 400, 400, 400, 400, 400, 400, 400),
)


def settle_marbles(
    regularization: float, seed: int, *, n_marbles: int, steps: int, temperature: float
) -> Settled:
    """Marbles started at the complex basin's point, settled with the figure's dynamics."""
    potential = TwoBasin(regularization=regularization)
    return settle(
        potential,
        potential.complex_point,
        n_marbles=n_marbles,
        spread=SPREAD,
        steps=steps,
        step_size=STEP_SIZE,
        temperature=temperature,
        rng=np.random.default_rng(seed),
    )


def basin_marbles(
    regularization: float,
    seed: int,
    *,
    n_marbles: int,
    steps: int,
    temperature: float,
    n_paths: int,
) -> tuple[Settled, Trajectory | None]:
    """What BasinsWidget.compute documents: the settled marbles and ``n_paths`` paths."""
    settled = settle_marbles(
        regularization, seed, n_marbles=n_marbles, steps=steps, temperature=temperature
    )
    paths = None
    if n_paths:
        paths = run_marble(
            TwoBasin(regularization=regularization),
            settled.start[:n_paths],
            steps=steps,
            step_size=STEP_SIZE,
            temperature=temperature,
            rng=np.random.default_rng([seed, 1]),
        )
    return settled, paths


def basin_sweep(
    regularizations=SWEEP_REGULARIZATIONS,
    seeds=SWEEP_SEEDS,
    *,
    n_marbles: int = DEFAULT_MARBLES,
    steps: int = DEFAULT_STEPS,
    temperature: float = DEFAULT_TEMPERATURE,
) -> np.ndarray:
    """Fraction of marbles from the complex basin that settle in the simple one.

    Returns an array of shape ``(len(seeds), len(regularizations))``; each entry is
    :func:`~grokwidgets.landscape.settle` with ``rng=np.random.default_rng(seed)``,
    exactly what :class:`grokwidgets.widgets.BasinsWidget` shows at that slider value and seed.
    """
    return np.array(
        [
            [
                settle_marbles(
                    float(r), int(seed), n_marbles=n_marbles, steps=steps, temperature=temperature
                ).fraction_simple
                for r in regularizations
            ]
            for seed in seeds
        ]
    )


@functools.lru_cache(maxsize=8)
def sweep_fractions(n_marbles: int, steps: int, temperature: float) -> np.ndarray:
    """The sweep panel's fractions: the stored table for the default dynamics; any
    other dynamics computed once per process (and cached), read-only."""
    if (n_marbles, steps, temperature) == (DEFAULT_MARBLES, DEFAULT_STEPS, DEFAULT_TEMPERATURE):
        out = np.array(SWEEP_COUNTS, dtype=float) / DEFAULT_MARBLES
    else:
        out = basin_sweep(n_marbles=n_marbles, steps=steps, temperature=temperature)
    out.flags.writeable = False
    return out
