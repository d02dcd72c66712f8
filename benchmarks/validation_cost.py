"""What argument checking costs: training steps/s, a toy LLC estimate, one checked call.

``.venv/bin/python benchmarks/validation_cost.py [--baseline REV]``. Prints medians
of several repeats:

- training steps per second (``Trainer.step`` at the defaults, 300 steps a repeat);
- one ``estimate_llc`` on a :class:`~grokwidgets.slt.ToyLoss` with MALA
  (``ToyLoss.loss_and_grad`` is called once per chain step there);
- the cost of the checks of one call of a decorated function: the decorated call
  minus the undecorated body (``__wrapped__``).

With ``--baseline REV`` (a git revision whose ``grokwidgets/experiment.py`` and
``grokwidgets/slt.py`` were single modules, e.g. 226fef4, before the checks moved
to ``grokwidgets/_validation.py``) the old modules are loaded beside the new ones
and the two are timed in turn, repeat by repeat, so that a busy machine slows both
alike.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from grokwidgets import experiment, slt
from grokwidgets.slt import default_nbeta

ROOT = Path(__file__).resolve().parents[1]


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _train_once(exp, steps: int = 300):
    trainer = exp.Trainer(steps=steps + 20)
    trainer.step(20)  # warm the work arrays
    return lambda: trainer.step(steps)


def _toy_once(slt_module):
    toy = slt_module.ToyLoss([[1, 0], [0, 2]])

    def once():
        slt_module.estimate_llc(
            toy.loss_and_grad, [0.0, 0.0], 100, nbeta=1e4, gamma=0.1, sampler="mala",
            num_chains=8, num_draws=1000, num_burnin=500, batch_size=None,
            rng=np.random.default_rng(0),
        )  # fmt: skip

    return once


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def compare(versions: dict[str, tuple], repeats: int) -> None:
    """Median steps/s and toy-estimate time per version, timed in turn (order alternating)."""
    train_t: dict[str, list[float]] = {k: [] for k in versions}
    toy_t: dict[str, list[float]] = {k: [] for k in versions}
    order = list(versions)
    for _ in range(repeats):
        order.reverse()  # neither version always goes first
        for name in order:
            exp, slt_module = versions[name]
            train_t[name].append(_timed(_train_once(exp)))
            toy_t[name].append(_timed(_toy_once(slt_module)))
    for name in versions:
        tr, toy = statistics.median(train_t[name]), statistics.median(toy_t[name])
        print(
            f"{name:>9}: training {300 / tr:.0f} steps/s (median of {repeats} x 300 steps); "
            f"toy LLC estimate (MALA, 8 chains x 1500 steps) {toy:.3f} s"
        )


def _load(rev: str, path: str, name: str):
    text = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    file = Path(tempfile.mkdtemp()) / f"{name}.py"
    file.write_text(text)
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def checked_call_cost(calls: int = 200_000) -> tuple[float, float]:
    raw = getattr(default_nbeta, "__wrapped__", None)
    per_call = []
    for fn in (default_nbeta, raw):
        if fn is None:
            per_call.append(float("nan"))
            continue
        best = min(_median_time(lambda f=fn: [f(1000) for _ in range(calls)], 1) for _ in range(5))
        per_call.append(best / calls)
    return per_call[0], per_call[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="git revision to compare with (e.g. 226fef4)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    versions = {"now": (experiment, slt)}
    if args.baseline:
        versions["baseline"] = (
            _load(args.baseline, "grokwidgets/experiment.py", "baseline_experiment"),
            _load(args.baseline, "grokwidgets/slt.py", "baseline_slt"),
        )
    compare(versions, args.repeats)
    checked, raw = checked_call_cost()
    print(
        f"default_nbeta(1000): {checked * 1e6:.2f} us checked, {raw * 1e6:.2f} us unchecked "
        f"body: the checks cost {(checked - raw) * 1e6:.2f} us a call"
    )


if __name__ == "__main__":
    main()
