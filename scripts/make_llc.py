"""Estimate the local learning coefficient along every shipped run.

Writes ``grokwidgets/runs/llc.json`` (read by :func:`grokwidgets.runs.load_llc`).
Deterministic: the same runs, seed and settings give the same file. About 5-7 s
per run on 2 cores. Run after ``scripts/make_runs.py``:

    .venv/bin/python scripts/make_llc.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from grokwidgets.measures import llc_curve
from grokwidgets.runs import available_runs, load_run

OUT = Path(__file__).resolve().parent.parent / "grokwidgets" / "runs" / "llc.json"
SEED = 0


def main() -> None:
    curves = []
    for config in available_runs():
        start = time.perf_counter()
        curve = llc_curve(load_run(config.weight_decay, config.seed), seed=SEED)
        print(
            f"weight decay {config.weight_decay:g}, seed {config.seed}: "
            f"{len(curve.step)} checkpoints in {time.perf_counter() - start:.1f} s"
        )
        curves.append(
            {
                "weight_decay": config.weight_decay,
                "seed": config.seed,
                "step": curve.step.tolist(),
                "llc": [round(float(x), 3) for x in curve.llc],
                "llc_std": [round(float(x), 3) for x in curve.llc_std],
                "train_loss": [float(f"{x:.6g}") for x in curve.train_loss],
            }
        )
    OUT.write_text(
        json.dumps(
            {"made_by": "scripts/make_llc.py", "settings": curve.settings, "curves": curves},
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
