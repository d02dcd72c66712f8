"""Compute the two-basin figure's opening setting ahead of time.

Writes ``grokwidgets/runs/basins_default.npz``: the settled marbles and the sample
paths that :class:`grokwidgets.widgets.BasinsWidget` shows at regularization 0,
seed 0 with its default dynamics, so that a freshly started page's kernel need not
run their 4,500 Langevin steps. Deterministic (seeded); about 0.2 s.
``tests/test_landscape_widget.py`` checks the file against a fresh computation.

    .venv/bin/python scripts/make_basins.py
"""

from __future__ import annotations

from pathlib import Path

from grokwidgets.runs.basins import SHIPPED_DEFAULT, save_default_marbles

OUT = Path(__file__).resolve().parent.parent / "grokwidgets" / "runs" / SHIPPED_DEFAULT


def main() -> None:
    save_default_marbles(OUT)
    print(f"wrote {OUT.relative_to(OUT.parents[2])} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
