#!/usr/bin/env python3
"""What a local-learning-coefficient estimate costs, on toy models and the real network.

    .venv/bin/python benchmarks/llc_cost.py [--repeats 5] [--no-train] [--skip-real]

1. Toy models (:class:`grokwidgets.slt.ToyLoss`): one :func:`estimate_llc` call at
   :data:`grokwidgets.slt.TOY_SETTINGS` (MALA, 128 vectorized chains x 7,000 steps)
   on ``w1^2 + w2^4`` and ``w1^2 w2^4``; and the sampler's own cost at the real
   network's settings and size (SGLD, 2 chains x 200 draws, 11,728 float32
   parameters) on a quadratic whose loss costs next to nothing.
2. The real network (:mod:`grokwidgets.experiment`), at the defaults of
   :func:`estimate_llc` (SGLD, nbeta = n / log n, gamma 100, epsilon 1e-3, 2 chains
   x 200 draws, minibatches of 256), float32 checkpoints, inside
   ``single_threaded_blas()``: one checkpoint (median of ``--repeats``, and the
   share of that time spent in the model's loss and gradient), and the whole LLC
   curve over every checkpoint of the shipped default run (weight decay 1, seed 0)
   and of a freshly trained default run (unless ``--no-train``). Targets on 2
   shared cores: <= 0.5 s per checkpoint, <= 20 s per curve.

Prints a report and exits 0. Timings on a shared machine are noisy: compare the
medians, and rerun when the spread (min..max) is wide.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grokwidgets.slt import TOY_SETTINGS, ToyLoss, estimate_llc


def timed(fn, repeats: int) -> tuple[float, float, float, object]:
    """Median, min and max seconds of ``fn()`` over ``repeats`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times), out


def toy_section(repeats: int) -> None:
    print("== Toy models ==")
    for name, exponents in (("w1^2 + w2^4", [[1, 0], [0, 2]]), ("w1^2 w2^4", [[1, 2]])):
        toy = ToyLoss(exponents)
        med, lo, hi, est = timed(
            lambda toy=toy: estimate_llc(
                toy.loss_and_grad,
                np.zeros(toy.d),
                100,
                **TOY_SETTINGS,
                rng=np.random.default_rng(0),
            ),
            max(1, repeats // 2),
        )
        s = est.settings
        chain_steps = s.num_chains * (s.num_draws + s.num_burnin)
        print(
            f"  {name:12s} TOY_SETTINGS: {med:.2f} s per call ({lo:.2f}..{hi:.2f}); "
            f"{chain_steps / med:,.0f} chain-steps/s; lambda_hat = {est.llc:.4f} "
            f"± {est.llc_se:.4f} (true {toy.learning_coefficient})"
        )
    # The sampler alone at the real network's size: a quadratic whose loss and
    # gradient cost ~20 us, so the time is SGLD's own (noise, updates, minibatches).
    d = 11_728

    def bowl(w, idx):
        return 0.5 * float(w @ w), w.copy()

    med, lo, hi, est = timed(
        lambda: estimate_llc(bowl, np.zeros(d, np.float32), 1124, rng=np.random.default_rng(0)),
        repeats,
    )
    steps = est.settings.num_chains * est.settings.num_draws
    print(
        f"  sampler alone (estimate_llc defaults, d = {d}, float32, trivial loss): "
        f"{med * 1e3:.0f} ms per call ({lo * 1e3:.0f}..{hi * 1e3:.0f}); {steps / med:,.0f} draws/s"
    )


def real_section(repeats: int, train_fresh: bool) -> None:
    print("== The real network ==")
    try:
        from grokwidgets import experiment
    except ImportError as exc:
        print(f"  skipped: grokwidgets.experiment is not importable ({exc})")
        return
    runs = []
    try:
        from grokwidgets.runs import load_run

        runs.append(("shipped default run (wd 1, seed 0)", load_run(weight_decay=1.0, seed=0)))
    except ImportError as exc:
        print(f"  (no shipped runs: {exc})")
    if train_fresh:
        t0 = time.perf_counter()
        fresh = experiment.train()
        print(f"  trained a default run in {time.perf_counter() - t0:.1f} s")
        runs.append(("freshly trained default run", fresh))
    if not runs:
        print("  skipped: no run to measure")
        return

    label, run = runs[0]
    lg = experiment.make_loss_and_grad(run)
    n = lg.n_train
    in_model = [0.0]

    def counted(w, idx):
        t0 = time.perf_counter()
        out = lg(w, idx)
        in_model[0] += time.perf_counter() - t0
        return out

    w = experiment.flatten_params(run.final_params, run.config)
    print(f"  n = {n} training pairs, d = {w.size} parameters, w dtype {w.dtype}")
    with experiment.single_threaded_blas():
        med, lo, hi, est = timed(
            lambda: estimate_llc(counted, w, n, rng=np.random.default_rng(0)), repeats
        )
    share = in_model[0] / (repeats * med)
    draws = est.settings.num_chains * est.settings.num_draws
    print(
        f"  one checkpoint (final, {label}): {med:.3f} s median ({lo:.3f}..{hi:.3f}), "
        f"{draws / med:,.0f} draws/s, ~{share:.0%} inside loss_and_grad; "
        f"target <= 0.5 s"
    )

    from grokwidgets.llc import llc_curve

    for label, run in runs:
        times: list[float] = []
        last = [time.perf_counter()]

        def tick(done, total, times=times, last=last):
            now = time.perf_counter()
            times.append(now - last[0])
            last[0] = now

        t0 = time.perf_counter()
        curve = llc_curve(run, progress=tick)
        total = time.perf_counter() - t0
        print(
            f"  whole curve with diagnostics and calibration, {label}: {len(curve.step)} "
            f"checkpoints in {total:.1f} s (median {statistics.median(times):.2f} s per "
            f"checkpoint, max {max(times):.2f} s); {int(curve.valid.sum())} valid; "
            "target <= 0.5 s per checkpoint, <= 20 s per curve"
        )
        for i, step in enumerate(curve.step):
            flag = "valid" if curve.valid[i] else "FLAGGED " + curve.reasons[i][:70]
            print(
                f"    step {step:5d}  llc {curve.llc[i]:8.2f}  eps {curve.epsilon[i]:.0e}  "
                f"train loss {curve.train_loss[i]:.2e}  {times[i]:.2f} s  {flag}"
            )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timing repeats (default 5)")
    parser.add_argument("--no-train", action="store_true", help="skip the freshly trained run")
    parser.add_argument("--skip-real", action="store_true", help="only the toy models")
    args = parser.parse_args(argv)
    toy_section(args.repeats)
    if not args.skip_real:
        real_section(args.repeats, train_fresh=not args.no_train)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
