#!/usr/bin/env python3
"""What the shipped data weighs and what regenerating it costs.

    .venv/bin/python benchmarks/data_cost.py            # sizes, and a timed sample
    .venv/bin/python benchmarks/data_cost.py --full     # also time every script in full

Prints the size of every file under ``grokwidgets/runs/`` by part (target: all
shipped data <= 15 MB). Then times a sample of the sweep's training (the runs that
``scripts/make_sweep.py --check`` retrains, on ``--jobs`` workers) and one LLC
curve with diagnostics, and extrapolates to the whole sweep; ``--full`` instead
runs ``make_sweep.py``, ``make_runs.py``, ``make_llc.py`` and ``make_trust.py`` one
after another into a scratch copy of the package and times each (target: <= 30
min on 2 cores). Exits 0.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "grokwidgets" / "runs"
SCRIPTS = ("make_sweep.py", "make_runs.py", "make_llc.py", "make_trust.py")


def sizes() -> None:
    parts = {"seed sweep + phase diagram (sweep.npz)": ["sweep.npz"],
             "runs with checkpoints (wd*_seed*.npz)": sorted(p.name for p in RUNS.glob("wd*.npz")),
             "LLC curves (llc.json)": ["llc.json"], "trust view (trust.npz)": ["trust.npz"],
             "two-basin marbles (basins_default.npz)": ["basins_default.npz"],
             "index.json": ["index.json"]}  # fmt: skip
    total = 0
    print("== Shipped data (grokwidgets/runs) ==")
    for label, names in parts.items():
        size = sum((RUNS / n).stat().st_size for n in names if (RUNS / n).exists())
        total += size
        print(f"  {label:45s} {size / 1024**2:6.2f} MiB  ({len(names)} files)")
    print(f"  {'total':45s} {total / 1024**2:6.2f} MiB  (target <= 15 MB)")


def full() -> None:
    print("== Regenerating everything into a scratch copy ==")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "site"))
        total = 0.0
        for script in SCRIPTS:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, str(copy / "scripts" / script)], cwd=copy,
                           check=True, stdout=subprocess.DEVNULL)  # fmt: skip
            dt = time.perf_counter() - t0
            total += dt
            print(f"  {script:16s} {dt / 60:6.1f} min")
        print(f"  {'total':16s} {total / 60:6.1f} min  (target <= 30 min on 2 cores)")


def sample() -> None:
    print("== A timed sample ==")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_sweep.py"), "--check"],
                         cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    dt = time.perf_counter() - t0
    print(f"  make_sweep.py --check (6 runs on 2 workers): {dt:.1f} s; {out.stdout.strip()}")
    sys.path.insert(0, str(ROOT))
    from grokwidgets.llc import llc_curve
    from grokwidgets.runs import load_run

    t0 = time.perf_counter()
    curve = llc_curve(load_run(1.0, 0))
    dt = time.perf_counter() - t0
    print(f"  one LLC curve with diagnostics: {len(curve.step)} checkpoints in {dt:.1f} s")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="regenerate everything, timed")
    args = parser.parse_args(argv)
    sizes()
    full() if args.full else sample()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
