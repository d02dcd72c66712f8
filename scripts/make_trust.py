#!/usr/bin/env python3
"""Precompute the estimator trust view: chains' traces on the network and on a toy.

    .venv/bin/python scripts/make_trust.py     # writes grokwidgets/runs/trust.npz (~1 min)

Network: the weight-decay-1 run of the median seed (shipped with its checkpoints),
at each checkpoint, the traces of the estimate :func:`grokwidgets.llc.llc_curve`
keeps (same seeds, so the numbers equal the shipped LLC curve). Toy:
``w1^2 + w2^4`` (lambda = 3/4) estimated three ways: with ``TOY_SETTINGS``
(MALA), with SGLD at a step 500x too large (it diverges), and with SGLD at a step
too small to settle in its draws. Deterministic (seeded).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grokwidgets.experiment import (  # noqa: E402
    flatten_params,
    make_loss_and_grad,
    model_logits,
    single_threaded_blas,
)
from grokwidgets.llc import estimate_at  # noqa: E402
from grokwidgets.runs import load_run, median_seed  # noqa: E402
from grokwidgets.runs._npz import npz_bytes  # noqa: E402
from grokwidgets.runs.trust import TOY_CASES, TOY_TERMS  # noqa: E402
from grokwidgets.slt import TOY_SETTINGS, ToyLoss, estimate_llc  # noqa: E402

OUT = ROOT / "grokwidgets" / "runs" / "trust.npz"
KEEP_CHAINS = 4  # toy traces shipped per case
KEEP_DRAWS = 600


def network(arrays: dict) -> None:
    seed = median_seed(1.0)
    run = load_run(1.0, seed)
    lg = make_loss_and_grad(run)
    data = run.config.dataset()
    a, b, y = (x[data.train_idx] for x in (data.a, data.b, data.labels))
    children = np.random.SeedSequence(0).spawn(len(run.checkpoint_steps))  # as llc_curve
    steps = run.checkpoint_steps
    traces = np.full((steps.size - 1, 2, KEEP_DRAWS), np.nan)
    keys = ("llc", "init_loss", "valid", "epsilon")
    out = {k: [] for k in keys}
    reasons = []
    with single_threaded_blas():
        for i, step in enumerate(steps[1:]):
            params = run.params_at(int(step))
            w = flatten_params(params, run.config).astype(np.float32)
            acc = float(np.mean(model_logits(params, run.config, a, b).argmax(axis=1) == y))
            est = estimate_at(lg, w, p=run.config.p, train_acc=acc, rng=children[i + 1])
            tr = est.loss_traces[:, :KEEP_DRAWS]
            traces[i, :, : tr.shape[1]] = tr
            for k, v in zip(keys, (est.llc, est.init_loss, est.valid, est.settings.epsilon),
                            strict=True):  # fmt: skip
                out[k].append(v)
            reasons.append("; ".join(est.reasons))
    arrays.update(
        net_seed=np.array(seed),
        net_step=steps[1:],
        net_traces=traces,
        net_llc=np.array(out["llc"]),
        net_init_loss=np.array(out["init_loss"]),
        net_valid=np.array(out["valid"]),
        net_epsilon=np.array(out["epsilon"]),
        net_reasons=np.array(reasons),
        net_nbeta=np.array(est.settings.nbeta),
    )


def toy(arrays: dict) -> None:
    loss = ToyLoss(TOY_TERMS)
    cases = {
        "calibrated": dict(TOY_SETTINGS),
        "step too large": {**TOY_SETTINGS, **TOY_CASES["step too large"]},
        "step too small": {**TOY_SETTINGS, **TOY_CASES["step too small"]},
    }
    llc, valid, reasons, traces = [], [], [], []
    import warnings

    for k, (_name, settings) in enumerate(cases.items()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = estimate_llc(
                loss.loss_and_grad, np.zeros(loss.d), 100, rng=np.random.default_rng(k), **settings
            )
        tr = np.full((KEEP_CHAINS, KEEP_DRAWS), np.nan)
        got = est.loss_traces[:KEEP_CHAINS, :KEEP_DRAWS]
        tr[: got.shape[0], : got.shape[1]] = got
        traces.append(tr)
        llc.append(est.llc)
        valid.append(est.valid)
        reasons.append("; ".join(est.reasons))
    arrays.update(
        toy_cases=np.array(list(cases)),
        toy_llc=np.array(llc),
        toy_valid=np.array(valid),
        toy_reasons=np.array(reasons),
        toy_traces=np.array(traces),
        toy_lambda=np.array(loss.learning_coefficient),
        toy_nbeta=np.array(TOY_SETTINGS["nbeta"]),
    )


def main() -> int:
    t0 = time.perf_counter()
    arrays: dict = {}
    network(arrays)
    toy(arrays)
    data = npz_bytes(arrays)
    OUT.write_bytes(data)
    print(f"wrote {OUT} ({len(data) / 1024:.0f} KiB) in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
