#!/usr/bin/env python3
"""How fast the numpy trainer is, against the same model in PyTorch, and a full run's wall time.

    .venv/bin/python benchmarks/train_speed.py [--repeats 7] [--steps 200]

1. Training steps per second of :class:`grokwidgets.experiment.Trainer` and of an
   equivalent PyTorch CPU implementation (same sizes, float32, full batch, AdamW
   with the same betas, lr and weight decay, autograd for the backward pass, the
   same evaluation on the test set every 10 steps), in the same process. The two
   are timed in alternation, ``--repeats`` times each, and the medians compared,
   so a burst of load from other processes hits both alike. PyTorch is timed with
   one thread (as the numpy trainer uses) and with its default thread count.
   Skipped, with a note, when torch is not installed.
2. Wall time of one run at the default settings, from the call to :func:`train`
   until it has grokked (a callback stops it at test accuracy >= 95%), including
   the evaluations; and of the full default run (3000 steps). Medians over repeats.
3. Time of one call of the :func:`make_loss_and_grad` function on a minibatch of
   256 (the SGLD learning-coefficient estimator calls it thousands of times).

Prints a report and exits 0. Timings on a shared machine are noisy: compare the
medians, and rerun when the spread (min..max) is wide.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grokwidgets.experiment import (
    BETAS,
    EPS,
    GROK_ACCURACY,
    RunConfig,
    Trainer,
    flatten_params,
    init_params,
    make_loss_and_grad,
    train,
)


def numpy_steps_per_second(trainer: Trainer, steps: int) -> float:
    t0 = time.perf_counter()
    done = trainer.step(steps)
    return done / (time.perf_counter() - t0)


class TorchTrainer:
    """The same model, data, initialization and optimizer, in PyTorch."""

    def __init__(self, config: RunConfig, torch_module) -> None:
        torch = self.torch = torch_module
        self.config = config
        data = config.dataset()
        as_t = torch.from_numpy
        self.train = [as_t(x[data.train_idx].copy()) for x in (data.a, data.b, data.labels)]
        self.test = [as_t(x[data.test_idx].copy()) for x in (data.a, data.b, data.labels)]
        self.params = {
            k: torch.nn.Parameter(as_t(v.copy())) for k, v in init_params(config).items()
        }
        self.opt = torch.optim.AdamW(
            self.params.values(),
            lr=config.lr,
            betas=BETAS,
            eps=EPS,
            weight_decay=config.weight_decay,
        )
        self.t = 0

    def _loss(self, a, b, y):
        P = self.params
        h = (P["embed"] @ P["w_a"])[a] + (P["embed"] @ P["w_b"])[b]
        logits = (h * h) @ P["w_out"]
        return self.torch.nn.functional.cross_entropy(logits, y), logits

    def step(self, n: int) -> int:
        torch = self.torch
        for _ in range(n):
            loss, logits = self._loss(*self.train)
            if self.t % self.config.eval_every == 0:
                with torch.no_grad():
                    _ = (logits.argmax(1) == self.train[2]).float().mean().item(), loss.item()
                    test_loss, test_logits = self._loss(*self.test)
                    _ = (test_logits.argmax(1) == self.test[2]).float().mean().item()
                    _ = test_loss.item()
                    _ = torch.sqrt(sum((p * p).sum() for p in self.params.values())).item()
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.t += 1
        return n

    def steps_per_second(self, steps: int) -> float:
        t0 = time.perf_counter()
        self.step(steps)
        return steps / (time.perf_counter() - t0)


def spread(xs: list[float]) -> str:
    return f"median {statistics.median(xs):7.1f}  (min {min(xs):.1f}, max {max(xs):.1f})"


def compare_with_torch(repeats: int, steps: int) -> None:
    print("\n== 1. steps/second, numpy trainer vs PyTorch (p=53, hidden 128, embed 16) ==")
    try:
        import torch
    except ImportError:
        print("torch is not installed: skipping the comparison.")
        print("(to measure it: .venv/bin/pip install torch==2.13.0, a CPU build)")
        return
    default_threads = torch.get_num_threads()
    config = RunConfig(steps=10**9)  # never reaches the budget
    np_trainer = Trainer.from_config(config, checkpoint_steps=[])
    torch_trainer = TorchTrainer(config, torch)
    # Warm up both (allocations, BLAS and torch kernels, lazy imports).
    np_trainer.step(50)
    torch_trainer.step(50)
    results: dict[str, list[float]] = {"numpy": [], "torch 1 thread": [], "torch default": []}
    for _ in range(repeats):
        results["numpy"].append(numpy_steps_per_second(np_trainer, steps))
        torch.set_num_threads(1)
        results["torch 1 thread"].append(torch_trainer.steps_per_second(steps))
        torch.set_num_threads(default_threads)
        results["torch default"].append(torch_trainer.steps_per_second(steps))
    print(
        f"torch {torch.__version__}, default threads {default_threads}; os.cpu_count() = "
        f"{os.cpu_count()}; {repeats} alternating repeats of {steps} steps"
    )
    for name, xs in results.items():
        label = name if name != "torch default" else f"torch {default_threads} threads"
        print(f"  {label:<16} steps/s {spread(xs)}")
    numpy_median = statistics.median(results["numpy"])
    for name in ("torch 1 thread", "torch default"):
        ratio = numpy_median / statistics.median(results[name])
        print(f"  ratio numpy / {name}: {ratio:.2f}")
    # Same model, same init: the two should agree on the loss at the start.
    check = RunConfig(steps=1)
    a = train(**check.to_dict(), checkpoint_steps=[]).history.train_loss[0]
    twin = TorchTrainer(check, torch)
    b = twin._loss(*twin.train)[0].item()
    print(f"  (same model check: initial train loss numpy {a:.6f}, torch {b:.6f})")


def full_run_time(repeats: int) -> None:
    print("\n== 2. wall time of one run at the default settings ==")
    to_grok, full, grok_steps = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run = train(callback=lambda pr: pr.test_acc < GROK_ACCURACY)
        to_grok.append(time.perf_counter() - t0)
        grok_steps.append(run.grok_step)
    for _ in range(max(1, repeats // 2)):
        t0 = time.perf_counter()
        train()
        full.append(time.perf_counter() - t0)
    print(f"  call to grokked (step {grok_steps[0]}), s: {spread(to_grok)}")
    print(f"  full default run (3000 steps), s:   {spread(full)}")
    ok = statistics.median(to_grok) <= 10.0
    print(f"  target <= 10 s to grokked: {'met' if ok else 'NOT met'}")


def loss_and_grad_time(repeats: int) -> None:
    print("\n== 3. make_loss_and_grad: one minibatch of 256 (what an SGLD step calls) ==")
    run = train(steps=200, checkpoint_steps=[200])
    lg = make_loss_and_grad(run)
    w = flatten_params(run.final_params, run.config)
    rng = np.random.default_rng(0)
    batches = [rng.choice(lg.n_train, 256, replace=False) for _ in range(200)]
    for name, wv in (("float32", w), ("float64", w.astype(np.float64))):
        per_call = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for idx in batches:
                lg(wv, idx)
            per_call.append((time.perf_counter() - t0) / len(batches) * 1e6)
        print(f"  {name} w, us per call: {spread(per_call)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=200, help="steps per timed repeat")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"train_speed benchmark (load average {load:.2f} at start)")
    compare_with_torch(args.repeats, args.steps)
    full_run_time(args.repeats)
    loss_and_grad_time(args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
