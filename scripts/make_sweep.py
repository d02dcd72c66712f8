#!/usr/bin/env python3
"""Train the seed sweep and the phase diagram shipped in ``grokwidgets/runs/sweep.npz``.

    .venv/bin/python scripts/make_sweep.py            # (re)write sweep.npz (about 14 min, 2 cores)
    .venv/bin/python scripts/make_sweep.py --check    # retrain a sample; fail if it differs

Every run uses the defaults of :func:`grokwidgets.experiment.train` (p = 53,
addition, lr 1e-2, hidden 128, embedding 16, 3,000 steps, evaluated every 10)
apart from weight decay, train fraction and seed:

- the weight-decay sweep: train fraction 0.4, weight decay in :data:`SWEEP_WEIGHT_DECAYS`,
  seeds 0-7;
- the phase diagram: weight decay in :data:`PHASE_WEIGHT_DECAYS` x train fraction in
  :data:`PHASE_TRAIN_FRACTIONS`, seeds 0-3 (the cells at 0.4 share runs with the sweep).

For the sweep's runs the script also keeps the parameters at the first evaluation
where the training loss falls to each of :data:`MATCHED_LOSSES`, and measures the
learning coefficient there with its diagnostics (the equal-training-loss comparison
in :mod:`grokwidgets.evidence`). Only the summaries are shipped: every run's metrics
at every evaluation (float32), its memorization and grok steps, and the matched-loss
estimates; no parameters.

Measured on this project's 2-core machine, shared with other work: training the
216 runs took 686 s on 2 worker processes, the 288 matched-loss estimates 118-260 s.
The rest of the shipped data follows from it: ``make_runs.py`` (about 2 min),
``make_llc.py`` (6 min) and ``make_trust.py`` (15 s), about 22 min in all.

Deterministic: training is seeded and single-threaded, each LLC estimate has its
own seed, and the file is written with fixed zip timestamps, so a rerun on the same
BLAS kernel gives the same bytes (``--check`` compares a sample of runs).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grokwidgets.experiment import (  # noqa: E402
    DEFAULT_STEPS,
    RunConfig,
    Trainer,
    flatten_params,
    make_loss_and_grad,
    model_logits,
    single_threaded_blas,
    unflatten_params,
)
from grokwidgets.llc import estimate_at  # noqa: E402
from grokwidgets.runs import _blas_kernel  # noqa: E402
from grokwidgets.runs._npz import npz_bytes  # noqa: E402

OUT = ROOT / "grokwidgets" / "runs" / "sweep.npz"
CACHE = ROOT / "scripts" / ".cache"
SWEEP_WEIGHT_DECAYS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0)
SWEEP_SEEDS = tuple(range(8))
SWEEP_TRAIN_FRACTION = 0.4
PHASE_WEIGHT_DECAYS = (0.0, 0.1, 0.3, 0.5, 1.0, 2.0, 3.0)
PHASE_TRAIN_FRACTIONS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
PHASE_SEEDS = tuple(range(4))
#: Training losses at which the sweep's runs are compared (their LLC at the first
#: evaluation at or below each).
MATCHED_LOSSES = (1e-2, 3e-3, 1e-3, 3e-4)
METRICS = ("train_loss", "test_loss", "train_acc", "test_acc")


def grid() -> list[tuple[float, float, int]]:
    """(weight_decay, train_fraction, seed) of every run, sweep first, no duplicates."""
    rows = [(wd, SWEEP_TRAIN_FRACTION, s) for wd in SWEEP_WEIGHT_DECAYS for s in SWEEP_SEEDS]
    for wd in PHASE_WEIGHT_DECAYS:
        for f in PHASE_TRAIN_FRACTIONS:
            rows += [(wd, f, s) for s in PHASE_SEEDS if (wd, f, s) not in rows]
    return rows


def train_one(row: tuple[float, float, int]) -> dict:
    """Train one run; keep its metrics and, for sweep runs, the matched-loss parameters."""
    wd, frac, seed = row
    t0 = time.perf_counter()
    trainer = Trainer(
        weight_decay=wd, train_fraction=frac, seed=seed, steps=DEFAULT_STEPS, checkpoint_steps=[]
    )
    matched = frac == SWEEP_TRAIN_FRACTION and wd in SWEEP_WEIGHT_DECAYS
    caught: dict[int, tuple[int, np.ndarray, float]] = {}

    def callback(progress) -> None:
        if not matched:
            return
        for j, level in enumerate(MATCHED_LOSSES):
            if j not in caught and progress.train_loss <= level:
                w = flatten_params(trainer.params, trainer.config).astype(np.float32)
                caught[j] = (progress.step, w, progress.test_acc)

    trainer.step(DEFAULT_STEPS, callback)
    run = trainer.run
    h = run.history
    return {
        "row": row,
        "metrics": {k: np.asarray(getattr(h, k), dtype=np.float32) for k in METRICS},
        "steps": np.asarray(h.step, dtype=np.int64),
        "memorization_step": run.memorization_step,
        "grok_step": run.grok_step,
        "caught": caught,
        "seconds": time.perf_counter() - t0,
    }


def train_all(rows, jobs: int) -> list[dict]:
    out = []
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")  # no forked BLAS state
    with ctx.Pool(jobs) as pool:
        for i, res in enumerate(pool.imap(train_one, rows, chunksize=1)):
            out.append(res)
            wd, frac, seed = res["row"]
            print(
                f"[{i + 1}/{len(rows)}] wd={wd:<4g} frac={frac:<4g} seed={seed}: "
                f"memorized {res['memorization_step']}, grokked {res['grok_step']} "
                f"({res['seconds']:.1f} s; {time.perf_counter() - t0:.0f} s so far)",
                flush=True,
            )
    return out


def _nan(x: int | None) -> float:
    return np.nan if x is None else float(x)


def summary_arrays(results: list[dict]) -> dict[str, np.ndarray]:
    rows = np.array([r["row"] for r in results], dtype=np.float64)
    arrays: dict[str, np.ndarray] = {
        "weight_decay": rows[:, 0],
        "train_fraction": rows[:, 1],
        "seed": rows[:, 2].astype(np.int64),
        "memorization_step": np.array([_nan(r["memorization_step"]) for r in results]),
        "grok_step": np.array([_nan(r["grok_step"]) for r in results]),
        "steps": results[0]["steps"],
        "budget": np.array(DEFAULT_STEPS),
    }
    for k in METRICS:
        arrays[k] = np.stack([r["metrics"][k] for r in results])
    return arrays


def save_cache(results: list[dict]) -> None:
    """The matched-loss parameters (not shipped), so the LLC stage can rerun alone."""
    CACHE.mkdir(exist_ok=True)
    arrays = summary_arrays(results)
    for i, r in enumerate(results):
        for j, (step, w, test_acc) in r["caught"].items():
            arrays[f"w/{i}/{j}"] = w
            arrays[f"at/{i}/{j}"] = np.array([step, test_acc])
    (CACHE / "sweep_stage1.npz").write_bytes(npz_bytes(arrays))


def llc_one(job: tuple[int, int, tuple[float, float, int], np.ndarray]) -> dict:
    """The LLC (with diagnostics) at one matched-loss checkpoint of one sweep run."""
    i, j, (wd, frac, seed), w = job
    config = RunConfig(weight_decay=wd, train_fraction=frac, seed=seed)
    loss_and_grad = make_loss_and_grad(config)
    data = config.dataset()
    idx = data.train_idx
    with single_threaded_blas():
        logits = model_logits(unflatten_params(w, config), config, data.a[idx], data.b[idx])
        acc = float(np.mean(logits.argmax(axis=1) == data.labels[idx]))
        # One seed per (run, level), from the run's settings: the same estimate
        # whichever order the jobs run in.
        rng = np.random.SeedSequence([round(wd * 1000), round(frac * 1000), seed, j])
        est = estimate_at(loss_and_grad, w, p=config.p, train_acc=acc, rng=rng)
    return {
        "i": i,
        "j": j,
        "llc": est.llc,
        "llc_std": est.llc_std,
        "excess_loss": est.excess_loss,
        "valid": est.valid,
        "reasons": "; ".join(est.reasons),
    }


def llc_all(cache: dict[str, np.ndarray], rows, jobs: int) -> dict[str, np.ndarray]:
    r, levels = len(rows), len(MATCHED_LOSSES)
    out = {
        "matched_loss": np.array(MATCHED_LOSSES),
        "matched_step": np.full((r, levels), np.nan),
        "matched_train_loss": np.full((r, levels), np.nan),
        "matched_test_acc": np.full((r, levels), np.nan),
        "matched_llc": np.full((r, levels), np.nan),
        "matched_llc_std": np.full((r, levels), np.nan),
        "matched_excess_loss": np.full((r, levels), np.nan),
        "matched_valid": np.zeros((r, levels), dtype=bool),
    }
    reasons = np.full((r, levels), "", dtype=object)
    work = []
    steps = cache["steps"]
    for i, row in enumerate(rows):
        for j in range(levels):
            key = f"w/{i}/{j}"
            if key in cache:
                step, test_acc = cache[f"at/{i}/{j}"]
                out["matched_step"][i, j] = step
                out["matched_test_acc"][i, j] = test_acc
                k = int(np.searchsorted(steps, step))
                out["matched_train_loss"][i, j] = cache["train_loss"][i, k]
                work.append((i, j, row, cache[key]))
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(jobs) as pool:
        for n, res in enumerate(pool.imap_unordered(llc_one, work, chunksize=4)):
            i, j = res["i"], res["j"]
            for k in ("llc", "llc_std", "excess_loss"):
                out[f"matched_{k}"][i, j] = res[k]
            out["matched_valid"][i, j] = res["valid"]
            reasons[i, j] = res["reasons"]
            if (n + 1) % 40 == 0:
                print(f"  LLC {n + 1}/{len(work)} ({time.perf_counter() - t0:.0f} s)", flush=True)
    out["matched_reasons"] = reasons.astype(str)
    print(f"{len(work)} matched-loss estimates in {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def shipped_bytes(cache: dict[str, np.ndarray], matched: dict[str, np.ndarray]) -> bytes:
    arrays = {k: cache[k] for k in ("weight_decay", "train_fraction", "seed",
                                    "memorization_step", "grok_step", "steps", "budget",
                                    *METRICS)}  # fmt: skip
    arrays.update(matched)
    arrays["info"] = np.array(
        json.dumps(
            {
                "made_by": "scripts/make_sweep.py",
                "blas": _blas_kernel(),
                "numpy": np.__version__,
                "python": platform.python_version(),
                "config": RunConfig().to_dict(),
            },
            sort_keys=True,
        )
    )
    return npz_bytes(arrays)


def check(rows, jobs: int) -> int:
    """Retrain a sample of the shipped runs and compare them with the shipped summaries."""
    with np.load(OUT, allow_pickle=False) as data:
        shipped = {k: data[k] for k in data.files}
    same_blas = json.loads(str(shipped["info"]))["blas"] == _blas_kernel()
    sample = list(range(0, len(rows), max(1, len(rows) // 6)))[:6]
    results = train_all([rows[i] for i in sample], jobs)
    bad = []
    for i, res in zip(sample, results, strict=True):
        for k in METRICS:
            a, b = res["metrics"][k], shipped[k][i]
            ok = np.array_equal(a, b) if same_blas else np.allclose(a, b, rtol=0.05, atol=0.02)
            if not ok:
                bad.append(f"row {i} {rows[i]}: {k}")
        for k in ("memorization_step", "grok_step"):
            got, want = _nan(res[k]), shipped[k][i]
            if not (got == want or (np.isnan(got) and np.isnan(want))):
                tol = 0 if same_blas else 50
                if not abs(got - want) <= tol:
                    bad.append(f"row {i} {rows[i]}: {k} {got} != {want}")
    if bad:
        print("differs: " + "; ".join(bad), file=sys.stderr)
        return 1
    kind = "bit for bit" if same_blas else "within tolerance (another BLAS kernel)"
    print(f"{len(sample)} retrained runs match the shipped sweep {kind}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--stage", choices=("all", "train", "llc"), default="all")
    parser.add_argument("--check", action="store_true", help="retrain a sample and compare")
    args = parser.parse_args(argv)
    rows = grid()
    if args.check:
        return check(rows, args.jobs)
    t0 = time.perf_counter()
    if args.stage in ("all", "train"):
        results = train_all(rows, args.jobs)
        print(f"trained {len(rows)} runs in {time.perf_counter() - t0:.0f} s", flush=True)
        save_cache(results)
    if args.stage in ("all", "llc"):
        with np.load(CACHE / "sweep_stage1.npz", allow_pickle=False) as data:
            cache = {k: data[k] for k in data.files}
        matched = llc_all(cache, rows, args.jobs)
        data_bytes = shipped_bytes(cache, matched)
        OUT.write_bytes(data_bytes)
        print(f"wrote {OUT} ({len(data_bytes) / 1024:.0f} KiB) in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
