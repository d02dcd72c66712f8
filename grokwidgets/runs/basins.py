"""The two-basin figure's opening marbles, shipped (``basins_default.npz``).

Written by ``scripts/make_basins.py`` (:func:`save_default_marbles`), read by
:func:`load_default_marbles`; the dynamics are :mod:`grokwidgets.basins`.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from grokwidgets.basins import (
    DEFAULT_MARBLES,
    DEFAULT_N_PATHS,
    DEFAULT_STEPS,
    DEFAULT_TEMPERATURE,
    basin_marbles,
)
from grokwidgets.landscape import Settled, Trajectory

__all__ = ["SHIPPED_DEFAULT", "load_default_marbles", "save_default_marbles"]

#: The widget opens at regularization 0, seed 0: that setting's marbles and paths are
#: computed ahead (scripts/make_basins.py; tests/test_landscape_widget.py checks them
#: against a fresh computation). Their 4,500 Langevin steps took 0.2 s of every
#: freshly started page's kernel, before the page could start in the browser.
SHIPPED_DEFAULT = "basins_default.npz"


def load_default_marbles() -> tuple[Settled, Trajectory]:
    """The opening setting's settled marbles and sample paths, read-only."""
    with resources.files("grokwidgets.runs").joinpath(SHIPPED_DEFAULT).open("rb") as f:
        data = dict(np.load(f))
    for arr in data.values():
        arr.flags.writeable = False
    settled = Settled(
        data["start"], data["final"], data["in_simple"], float(data["in_simple"].mean())
    )
    return settled, Trajectory(data["positions"], data["values"])


def save_default_marbles(path) -> None:
    """Compute the default setting's marbles and paths and write them to ``path``."""
    settled, paths = basin_marbles(
        0.0,
        0,
        n_marbles=DEFAULT_MARBLES,
        steps=DEFAULT_STEPS,
        temperature=DEFAULT_TEMPERATURE,
        n_paths=DEFAULT_N_PATHS,
    )
    assert paths is not None
    np.savez_compressed(
        path,
        start=settled.start,
        final=settled.final,
        in_simple=settled.in_simple,
        positions=paths.positions,
        values=paths.values,
    )
