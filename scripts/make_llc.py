"""Estimate the local learning coefficient along every shipped run.

Writes ``grokwidgets/runs/llc.json`` (read by :func:`grokwidgets.runs.load_llc`):
per checkpoint the estimate, its spread across chains, the diagnostics of
:mod:`grokwidgets.llc_checks` (excess loss, split R-hat, the step size after
calibration, training loss and accuracy) and whether it is valid, with the reasons
when not. Deterministic: the same runs, seed and settings give the same file. Run
after ``scripts/make_runs.py``:

    .venv/bin/python scripts/make_llc.py
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from grokwidgets.llc import llc_curve
from grokwidgets.runs import available_runs, load_run

OUT = Path(__file__).resolve().parent.parent / "grokwidgets" / "runs" / "llc.json"
SEED = 0


def _num(x: float, digits: int) -> float | None:
    return None if not math.isfinite(x) else float(f"{x:.{digits}g}")


def main() -> None:
    curves = []
    t_all = time.perf_counter()
    for config in available_runs():
        start = time.perf_counter()
        curve = llc_curve(load_run(config.weight_decay, config.seed), seed=SEED)
        print(
            f"weight decay {config.weight_decay:g}, seed {config.seed}: "
            f"{len(curve.step)} checkpoints in {time.perf_counter() - start:.1f} s, "
            f"{int(curve.valid.sum())} valid",
            flush=True,
        )
        curves.append(
            {
                "weight_decay": config.weight_decay,
                "seed": config.seed,
                "step": curve.step.tolist(),
                "llc": [_num(x, 6) for x in curve.llc],
                "llc_std": [_num(x, 4) for x in curve.llc_std],
                "train_loss": [_num(x, 6) for x in curve.train_loss],
                "train_acc": [_num(x, 6) for x in curve.train_acc],
                "excess_loss": [_num(x, 4) for x in curve.excess_loss],
                "rhat": [_num(x, 4) for x in curve.rhat],
                "epsilon": [_num(x, 3) for x in curve.epsilon],
                "valid": curve.valid.tolist(),
                "reasons": list(curve.reasons),
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
    print(f"wrote {OUT} ({time.perf_counter() - t_all:.0f} s)")


if __name__ == "__main__":
    main()
