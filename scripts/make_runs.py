#!/usr/bin/env python3
"""Train the runs shipped in ``grokwidgets/runs/`` and write them there.

    .venv/bin/python scripts/make_runs.py          # (re)write the files
    .venv/bin/python scripts/make_runs.py --check  # retrain; fail if a file would change

Deterministic: training is seeded and single-threaded, and the .npz files are
written with fixed zip timestamps, so a rerun on the same kind of machine gives
the same bytes. (Another BLAS kernel, e.g. on a CPU without AVX-512, rounds some
sums differently and so gives a slightly different run; ``--check`` says so.)

What is shipped (all at the defaults of :func:`grokwidgets.experiment.train`
apart from weight decay and seed): a weight-decay sweep at seed 0, seeds 1 and 2
at the default weight decay, and, for every weight decay of the seed sweep
(``scripts/make_sweep.py``, run first), the seed with the median grok step.
Checkpoints are at near-geometric steps: grokking time scales like 1 / weight
decay, so geometric spacing gives every run of the sweep about the same number of
checkpoints through its transition.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grokwidgets.experiment import DEFAULT_STEPS, Run, train  # noqa: E402
from grokwidgets.runs import _blas_kernel  # noqa: E402
from grokwidgets.runs._npz import npz_bytes  # noqa: E402
from grokwidgets.runs.sweep import load_sweep, median_seed  # noqa: E402

OUT = ROOT / "grokwidgets" / "runs"
SWEEP_WEIGHT_DECAYS = (0.0, 0.3, 0.5, 1.0, 2.0)
DEFAULT_WEIGHT_DECAY = 1.0
SEEDS = (0, 1, 2)
CHECKPOINT_STEPS = (
    0, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 400, 500, 600, 800,
    1000, 1250, 1500, 2000, 2500, 3000,
)  # fmt: skip


def shipped_configs() -> list[tuple[float, int]]:
    """(weight_decay, seed) of every shipped run.

    Seed 0 of the original sweep, seeds 1 and 2 at the default weight decay, and
    the median-grok-step seed of every weight decay of ``sweep.npz`` (written by
    ``scripts/make_sweep.py``, which must run first): the runs the measured
    figures show.
    """
    runs = [(wd, 0) for wd in SWEEP_WEIGHT_DECAYS]
    runs += [(DEFAULT_WEIGHT_DECAY, s) for s in SEEDS if s != 0]
    runs += [(wd, median_seed(wd)) for wd in load_sweep().sweep_weight_decays()]
    return sorted(set(runs))


def file_name(weight_decay: float, seed: int) -> str:
    return f"wd{weight_decay:g}_seed{seed}.npz"


def run_arrays(run: Run) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {
        "config": np.array(json.dumps(run.config.to_dict(), sort_keys=True)),
        "step": np.array(run.step, dtype=np.int64),
        "checkpoint_steps": run.checkpoint_steps,
    }
    for name in ("step", "train_loss", "test_loss", "train_acc", "test_acc", "weight_norm"):
        arrays[f"history/{name}"] = getattr(run.history, name)
    for name, x in run.checkpoints.items():
        # float16 keeps ~3 significant digits: heatmaps and the Fourier measures do
        # not change visibly, and the files are half the size.
        if np.abs(x).max() >= np.finfo(np.float16).max:
            raise OverflowError(f"checkpoint {name} does not fit in float16")
        arrays[f"checkpoints/{name}"] = x.astype(np.float16)
    return arrays


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="retrain and compare, write nothing")
    args = parser.parse_args(argv)

    files: dict[str, bytes] = {}
    entries = []
    for wd, seed in shipped_configs():
        t0 = time.perf_counter()
        run = train(
            weight_decay=wd, seed=seed, steps=DEFAULT_STEPS, checkpoint_steps=CHECKPOINT_STEPS
        )
        name = file_name(wd, seed)
        files[name] = npz_bytes(run_arrays(run))
        entries.append(
            {
                "file": name,
                "config": run.config.to_dict(),
                "memorization_step": run.memorization_step,
                "grok_step": run.grok_step,
            }
        )
        print(
            f"weight_decay={wd:<4g} seed={seed}: memorized at {run.memorization_step}, "
            f"grokked at {run.grok_step}  ({time.perf_counter() - t0:.1f} s, "
            f"{len(files[name]) / 1024:.0f} KiB)",
            flush=True,
        )
    index = {
        "format": 1,
        "made_by": "scripts/make_runs.py",
        # The bits of a run depend on the BLAS kernel (summation order); recorded so
        # a test can tell "data is stale" from "this CPU rounds differently".
        "blas": _blas_kernel(),
        "numpy": np.__version__,
        "python": platform.python_version(),
        "runs": entries,
    }
    files["index.json"] = (json.dumps(index, indent=1, sort_keys=True) + "\n").encode()

    total = sum(len(b) for b in files.values())
    print(f"{len(files)} files, {total / 1024**2:.2f} MiB in all")
    if args.check:
        # Compare the runs, not the versions recorded alongside them.
        changed = [
            n
            for n, b in files.items()
            if n != "index.json" and (not (OUT / n).exists() or (OUT / n).read_bytes() != b)
        ]
        old = OUT / "index.json"
        if not old.exists() or json.loads(old.read_text())["runs"] != index["runs"]:
            changed.append("index.json")
        if changed:
            print("would change: " + ", ".join(changed), file=sys.stderr)
            return 1
        print("shipped runs are up to date")
        return 0
    # Only run files: the directory also holds the sweep, the basins and the trust view.
    for stale in OUT.glob("wd*_seed*.npz"):
        if stale.name not in files:
            stale.unlink()
    for name, data in files.items():
        (OUT / name).write_bytes(data)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
