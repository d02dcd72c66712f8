"""The real training run: dataset, model gradients, AdamW loop, chunking, callbacks."""

import math
import threading
import time

import numpy as np
import pytest
import threadpoolctl
from hypothesis import given, settings
from hypothesis import strategies as st

from grokwidgets import experiment as ex
from grokwidgets.experiment import (
    GROK_ACCURACY,
    MEMORIZATION_ACCURACY,
    Progress,
    Run,
    RunConfig,
    StopTraining,
    Trainer,
    flatten_params,
    init_params,
    make_dataset,
    make_loss_and_grad,
    model_logits,
    single_threaded_blas,
    train,
    unflatten_params,
)

SMALL = {"p": 7, "hidden": 6, "embed_dim": 3}  # tiny model for exact checks
PRIMES = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31]


def _history_equal(r1: Run, r2: Run) -> None:
    for name in ("step", "train_loss", "test_loss", "train_acc", "test_acc", "weight_norm"):
        np.testing.assert_array_equal(getattr(r1.history, name), getattr(r2.history, name))


def _checkpoints_equal(r1: Run, r2: Run) -> None:
    np.testing.assert_array_equal(r1.checkpoint_steps, r2.checkpoint_steps)
    assert r1.checkpoints.keys() == r2.checkpoints.keys()
    for name in r1.checkpoints:
        np.testing.assert_array_equal(r1.checkpoints[name], r2.checkpoints[name])


# --------------------------------------------------------------------------- dataset


@given(p=st.sampled_from(PRIMES), op=st.sampled_from(ex.OPS), frac=st.floats(0.01, 0.99))
@settings(max_examples=60, deadline=None)
def test_dataset_labels_and_split(p, op, frac):
    d = make_dataset(p, op, frac, seed=3)
    n = p * (p - 1) if op == "/" else p * p
    assert d.a.size == d.b.size == d.labels.size == n
    assert np.all((0 <= d.labels) & (d.labels < p))
    # Labels satisfy the defining equation of each op.
    a, b, c = d.a, d.b, d.labels
    if op == "+":
        assert np.all((c - a - b) % p == 0)
    elif op == "-":
        assert np.all((c + b - a) % p == 0)
    elif op == "*":
        assert np.all((c - a * b) % p == 0)
    else:
        assert np.all(b != 0) and np.all((c * b - a) % p == 0)
    # Every pair once; the split is a partition with the requested share.
    assert len(set(zip(a.tolist(), b.tolist(), strict=True))) == n
    both = np.concatenate([d.train_idx, d.test_idx])
    np.testing.assert_array_equal(np.sort(both), np.arange(n))
    assert d.n_train >= 1 and d.n_test >= 1
    assert abs(d.n_train - frac * n) <= 1


def test_split_is_seeded():
    a, b, c = make_dataset(seed=0), make_dataset(seed=0), make_dataset(seed=1)
    np.testing.assert_array_equal(a.train_idx, b.train_idx)
    assert not np.array_equal(a.train_idx, c.train_idx)
    assert a.n_train == round(0.4 * 53 * 53)


def test_dataset_arrays_are_read_only():
    d = make_dataset(7)
    with pytest.raises(ValueError, match="read-only"):
        d.labels[0] = 1


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"p": 12}, ValueError, r"p must be a prime >= 3, got 12"),
        ({"p": 2}, ValueError, r"p must be a prime >= 3, got 2"),
        ({"p": 1}, ValueError, r"p must be a prime >= 3, got 1"),
        ({"p": 53.0}, TypeError, r"p must be an int, got 53.0"),
        ({"p": True}, TypeError, r"p must be an int, got True"),
        ({"op": "^"}, ValueError, r"op must be one of .*got '\^'"),
        ({"op": None}, ValueError, r"op must be one of .*got None"),
        ({"train_fraction": 0.0}, ValueError, r"train_fraction must be in \(0, 1\), got 0.0"),
        ({"train_fraction": 1}, ValueError, r"train_fraction must be in \(0, 1\), got 1"),
        ({"train_fraction": -0.2}, ValueError, r"train_fraction must be in \(0, 1\), got -0.2"),
        ({"train_fraction": math.nan}, ValueError, r"train_fraction must be finite, got nan"),
        ({"train_fraction": "0.4"}, TypeError, r"train_fraction must be a real number"),
        ({"weight_decay": -1.0}, ValueError, r"weight_decay must be >= 0, got -1.0"),
        ({"weight_decay": math.nan}, ValueError, r"weight_decay must be finite, got nan"),
        ({"weight_decay": math.inf}, ValueError, r"weight_decay must be finite, got inf"),
        ({"weight_decay": 200.0}, ValueError, r"lr \* weight_decay must be < 1"),
        ({"lr": 0.0}, ValueError, r"lr must be > 0, got 0.0"),
        ({"lr": -1e-3}, ValueError, r"lr must be > 0, got -0.001"),
        ({"hidden": 0}, ValueError, r"hidden must be an int >= 1, got 0"),
        ({"embed_dim": 0}, ValueError, r"embed_dim must be an int >= 1, got 0"),
        ({"steps": 0}, ValueError, r"steps must be an int >= 1, got 0"),
        ({"steps": -5}, ValueError, r"steps must be an int >= 1, got -5"),
        ({"steps": 10.5}, TypeError, r"steps must be an int, got 10.5"),
        ({"seed": -1}, ValueError, r"seed must be an int >= 0, got -1"),
        ({"seed": 1.0}, TypeError, r"seed must be an int, got 1.0"),
        ({"eval_every": 0}, ValueError, r"eval_every must be an int >= 1, got 0"),
        ({"checkpoint_steps": [5, 11]}, ValueError, r"checkpoint_steps must lie in \[0, 10\]"),
        ({"checkpoint_steps": [-1]}, ValueError, r"checkpoint_steps must lie in \[0, 10\]"),
        ({"checkpoint_steps": [1.5]}, ValueError, r"checkpoint_steps must be a 1-D sequence"),
        ({"checkpoint_steps": 5}, TypeError, r"checkpoint_steps must be None or a sequence"),
        ({"callback": "stop"}, TypeError, r"callback must be callable or None, got 'stop'"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(kwargs, exc, match):
    kwargs = {"steps": 10, **kwargs}
    with pytest.raises(exc, match=match):
        train(**kwargs)


def test_bad_dataset_arguments():
    with pytest.raises(ValueError, match="p must be a prime >= 3, got 9"):
        make_dataset(9)
    with pytest.raises(ValueError, match="seed must be an int >= 0, got -3"):
        make_dataset(seed=-3)


def test_trainer_step_rejects_bad_n():
    t = Trainer(steps=5, **SMALL)
    with pytest.raises(ValueError, match="n must be an int >= 1, got 0"):
        t.step(0)
    with pytest.raises(TypeError, match=r"n must be an int, got 2\.0"):
        t.step(2.0)


# --------------------------------------------------------------------------- parameters


@given(
    p=st.sampled_from(PRIMES),
    hidden=st.integers(1, 9),
    embed=st.one_of(st.none(), st.integers(1, 5)),
)
@settings(max_examples=30, deadline=None)
def test_flatten_unflatten_round_trip(p, hidden, embed):
    cfg = RunConfig(p=p, hidden=hidden, embed_dim=embed)
    params = init_params(cfg)
    assert {k: v.shape for k, v in params.items()} == cfg.param_shapes
    assert all(v.dtype == np.float32 for v in params.values())
    w = flatten_params(params, cfg)
    assert w.shape == (cfg.n_params,) and w.dtype == np.float32
    back = unflatten_params(w, cfg)
    for name, x in params.items():
        np.testing.assert_array_equal(back[name], x)
    # Views, not copies: the SGLD sampler relies on the flat vector being the truth.
    back["w_out"][0, 0] = 123.0
    assert w[cfg.n_params - cfg.hidden * p] == 123.0


def test_flatten_rejects_wrong_params():
    cfg = RunConfig(**SMALL)
    params = init_params(cfg)
    with pytest.raises(ValueError, match=r"params\['w_a'\] must have shape \(3, 6\)"):
        flatten_params({**params, "w_a": np.zeros((2, 6))}, cfg)
    with pytest.raises(ValueError, match="params must have keys"):
        flatten_params({"w_a": params["w_a"]}, cfg)
    with pytest.raises(ValueError, match="w must be a 1-D array of length"):
        unflatten_params(np.zeros(5), cfg)


# --------------------------------------------------------------------------- gradients


def _loss64(cfg, data, w, idx):
    # Independent reference: the model written out directly in float64.
    v = {k: x.astype(np.float64) for k, x in unflatten_params(w, cfg).items()}
    a, b, y = (x[data.train_idx][idx] for x in (data.a, data.b, data.labels))
    if cfg.embed_dim is None:
        h = v["w_a"][a] + v["w_b"][b]
    else:
        h = v["embed"][a] @ v["w_a"] + v["embed"][b] @ v["w_b"]
    logits = (h**2) @ v["w_out"]
    logits = logits - logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


@pytest.mark.parametrize("embed_dim", [3, None])
@pytest.mark.parametrize("op", ["+", "/"])
def test_gradient_matches_finite_differences(embed_dim, op):
    cfg = RunConfig(p=7, op=op, hidden=6, embed_dim=embed_dim, seed=4)
    data = cfg.dataset()
    lg = make_loss_and_grad(cfg)
    w = flatten_params(init_params(cfg), cfg).astype(np.float64) * 0.7
    idx = np.array([0, 3, 3, 5, 1, data.n_train - 1])  # repeats count twice
    loss, grad = lg(w, idx)
    assert grad.dtype == np.float64 and grad.shape == w.shape
    assert loss == pytest.approx(_loss64(cfg, data, w, idx), rel=1e-12)
    eps = 1e-6
    numeric = np.empty_like(w)
    for i in range(w.size):
        e = np.zeros_like(w)
        e[i] = eps
        numeric[i] = (lg(w + e, idx)[0] - lg(w - e, idx)[0]) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_float32_gradient_agrees_with_float64_at_default_size():
    run = train(steps=20, checkpoint_steps=[20])
    lg = make_loss_and_grad(run)
    w32 = flatten_params(run.final_params, run.config)
    idx = np.random.default_rng(0).choice(lg.n_train, 256, replace=False)
    loss32, g32 = lg(w32, idx)
    loss64, g64 = lg(w32.astype(np.float64), idx)
    assert g32.dtype == np.float32
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-5 * np.abs(g64).max())
    # A directional finite difference at the real size, in float64.
    d = np.random.default_rng(1).standard_normal(w32.size)
    d /= np.linalg.norm(d)
    w64 = w32.astype(np.float64)
    eps = 1e-5
    fd = (lg(w64 + eps * d, idx)[0] - lg(w64 - eps * d, idx)[0]) / (2 * eps)
    assert fd == pytest.approx(float(g64 @ d), rel=1e-5)


def test_loss_and_grad_full_batch_equals_training_loss():
    run = train(steps=1, checkpoint_steps=[0])
    lg = make_loss_and_grad(run)
    w = flatten_params(run.params_at(0), run.config)
    w_before = w.copy()
    loss, _ = lg(w, np.arange(lg.n_train))
    assert loss == pytest.approx(run.history.train_loss[0], rel=1e-6)
    np.testing.assert_array_equal(w, w_before)  # w is not modified


def test_loss_and_grad_rejects_bad_input():
    lg = make_loss_and_grad(RunConfig(**SMALL))
    w = flatten_params(init_params(RunConfig(**SMALL)), RunConfig(**SMALL))
    with pytest.raises(ValueError, match=r"idx must lie in \[0, 20\), got range \[0, 20\]"):
        lg(w, np.array([0, 20]))
    with pytest.raises(ValueError, match="idx must be a non-empty 1-D integer array"):
        lg(w, np.array([0.5]))
    with pytest.raises(ValueError, match="w must be a 1-D array of length"):
        lg(w[:-1], np.array([0]))
    with pytest.raises(ValueError, match="w must be float32 or float64"):
        lg(w.astype(np.float16), np.array([0]))
    with pytest.raises(TypeError, match="config must be a RunConfig or Run"):
        make_loss_and_grad({"p": 7})


def test_model_logits_match_history_accuracy():
    run = train(steps=30, checkpoint_steps=[30], eval_every=30)
    data = run.config.dataset()
    logits = model_logits(run.final_params, run.config, data.a, data.b)
    assert logits.shape == (data.a.size, 53)
    correct = logits.argmax(axis=1) == data.labels
    assert correct[data.test_idx].mean() == pytest.approx(run.history.test_acc[-1])
    assert correct[data.train_idx].mean() == pytest.approx(run.history.train_acc[-1])
    with pytest.raises(ValueError, match=r"a must hold residues in \[0, 53\)"):
        model_logits(run.final_params, run.config, np.array([53]), np.array([0]))


# --------------------------------------------------------------------------- the run


def test_run_fields_and_history():
    run = train(steps=25, eval_every=10, checkpoint_steps=[0, 7, 25])
    h = run.history
    np.testing.assert_array_equal(h.step, [0, 10, 20, 25])  # every 10 and the last step
    for name in ("train_loss", "test_loss", "train_acc", "test_acc", "weight_norm"):
        arr = getattr(h, name)
        assert arr.dtype == np.float64 and arr.shape == (4,) and np.all(np.isfinite(arr))
    assert h.train_loss[0] == pytest.approx(math.log(53), rel=0.05)  # chance at init
    np.testing.assert_array_equal(run.checkpoint_steps, [0, 7, 25])
    assert run.checkpoints["w_out"].shape == (3, 128, 53)
    assert all(x.dtype == np.float32 for x in run.checkpoints.values())
    w = flatten_params(run.params_at(25), run.config)
    assert h.weight_norm[-1] == pytest.approx(np.linalg.norm(w.astype(np.float64)), rel=1e-6)
    assert run.step == 25 and not run.stopped_early
    with pytest.raises(ValueError, match=r"step must be one of the checkpoint steps \[0, 7, 25\]"):
        run.params_at(8)
    with pytest.raises(AttributeError):
        run.step = 3
    with pytest.raises(ValueError, match="read-only"):
        run.history.test_acc[0] = 1.0


def test_default_checkpoints_span_the_run():
    steps = ex.default_checkpoint_steps(3000)
    assert steps[0] == 0 and steps[-1] == 3000 and 30 <= steps.size <= 40
    assert np.all(np.diff(steps) > 0)
    assert steps[steps < 100].size >= 8  # the fast memorization phase is sampled too


def test_same_seed_same_run_bit_for_bit():
    r1 = train(steps=120, seed=5, checkpoint_steps=[0, 60, 120])
    r2 = train(steps=120, seed=5, checkpoint_steps=[0, 60, 120])
    _history_equal(r1, r2)
    _checkpoints_equal(r1, r2)
    r3 = train(steps=120, seed=6, checkpoint_steps=[0, 60, 120])
    assert not np.array_equal(r1.history.test_loss, r3.history.test_loss)


def test_chunked_trainer_equals_train():
    whole = train(steps=95, checkpoint_steps=[0, 13, 50, 95])
    t = Trainer(steps=95, checkpoint_steps=[0, 13, 50, 95])
    assert t.step(13) == 13
    assert t.run.checkpoint_steps.tolist() == [0, 13] and t.run.history.step[-1] == 10
    assert t.step(1) + t.step(36) == 37
    assert t.step(1000) == 45 and t.finished  # stops at the budget
    assert t.step(5) == 0
    _history_equal(whole, t.run)
    _checkpoints_equal(whole, t.run)
    np.testing.assert_array_equal(t.params["w_out"], whole.final_params["w_out"])
    assert t.run.config == whole.config


def test_callback_sees_progress_and_stops_training():
    seen = []

    def stop_at_40(progress):
        seen.append(progress)
        return progress.step < 40

    run = train(steps=100, callback=stop_at_40, checkpoint_steps=[])
    assert [p.step for p in seen] == [0, 10, 20, 30, 40]
    assert isinstance(seen[0], Progress) and seen[0].steps == 100
    assert run.step == 40 and run.stopped_early
    assert run.history.step[-1] == 40
    assert seen[-1].test_acc == run.history.test_acc[-1]
    assert seen[-1].weight_norm == run.history.weight_norm[-1]

    def raise_at_20(progress):
        if progress.step == 20:
            raise StopTraining
        # returning None (no opinion) carries on

    run = train(steps=100, callback=raise_at_20, checkpoint_steps=[])
    assert run.step == 20 and run.stopped_early and len(run.history) == 3


def test_other_exceptions_from_the_callback_propagate():
    def broken(progress):
        raise KeyError("bug in the widget")

    with pytest.raises(KeyError, match="bug in the widget"):
        train(steps=10, callback=broken)


def test_stopped_trainer_resumes_to_the_same_run():
    t = Trainer(steps=60, checkpoint_steps=[0, 60])
    assert t.step(60, callback=lambda pr: pr.step != 30) == 30
    assert t.run.stopped_early
    assert t.step(100) == 30
    assert not t.run.stopped_early
    whole = train(steps=60, checkpoint_steps=[0, 60])
    _history_equal(whole, t.run)
    _checkpoints_equal(whole, t.run)


def test_snapshots_from_another_thread_are_consistent():
    t = Trainer(steps=200, checkpoint_steps=[])
    worker = threading.Thread(target=t.step, args=(200,))
    worker.start()
    snapshots = []
    while worker.is_alive():
        snapshots.append(t.run)
        time.sleep(0.002)  # a widget redraws a few times a second, not in a busy loop
    worker.join()
    snapshots.append(t.run)
    for s in snapshots:
        h = s.history
        assert len({len(getattr(h, k)) for k in ("step", "test_acc", "weight_norm")}) == 1
        assert s.step >= (h.step[-1] if len(h) else 0)
    assert snapshots[-1].step == 200


def test_blas_limit_is_scoped_and_reentrant():
    def blas_threads():
        return [
            i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"
        ]

    before = blas_threads()
    with single_threaded_blas():
        assert all(n == 1 for n in blas_threads())
        with single_threaded_blas():
            assert all(n == 1 for n in blas_threads())
        assert all(n == 1 for n in blas_threads())
    assert blas_threads() == before


# --------------------------------------------------------------------------- grokking, live


def test_live_run_memorizes_first_then_groks():
    # A seed that is not shipped: the behaviour is the model's, not the data files'.
    run = train(seed=7, checkpoint_steps=[], callback=lambda pr: pr.test_acc < GROK_ACCURACY)
    h = run.history
    mem = np.flatnonzero(h.train_acc >= MEMORIZATION_ACCURACY)[0]
    assert h.step[mem] == run.memorization_step <= 200
    assert h.test_acc[mem] <= 0.20
    assert run.grok_step is not None and run.grok_step >= 2 * run.memorization_step
    assert run.stopped_early and run.step == run.grok_step


def test_one_hot_inputs_grok_too():
    run = train(
        embed_dim=None,
        steps=1500,
        checkpoint_steps=[],
        callback=lambda pr: pr.test_acc < GROK_ACCURACY,
    )
    assert run.config.param_shapes == {"w_a": (53, 128), "w_b": (53, 128), "w_out": (128, 53)}
    assert run.memorization_step is not None and run.grok_step is not None
    assert run.grok_step >= 5 * run.memorization_step


# --------------------------------------------------------------------------- one source


def test_train_and_trainer_take_runconfigs_settings():
    # RunConfig is the one place the settings are written: train's and Trainer's
    # signatures come from its fields, with the old positional order and embed_dim
    # keyword-only.
    import dataclasses
    import inspect

    fields = {f.name: f.default for f in dataclasses.fields(RunConfig)}
    for fn, extra in ((train, ["checkpoint_steps", "callback"]), (Trainer, ["checkpoint_steps"])):
        params = inspect.signature(fn).parameters
        assert list(params) == [
            *("p", "op", "train_fraction", "weight_decay", "lr", "hidden", "steps"),
            *("seed", "eval_every", *extra, "embed_dim"),
        ]
        assert {k: params[k].default for k in fields} == fields
        assert params["embed_dim"].kind is inspect.Parameter.KEYWORD_ONLY
    # Positional calls keep their meaning, and unknown settings are a TypeError.
    t = Trainer(7, "+", 0.4, 1.0, 1e-2, 8, 5, 3, 1, None, embed_dim=4)
    assert t.config == RunConfig(p=7, hidden=8, steps=5, seed=3, eval_every=1, embed_dim=4)
    with pytest.raises(TypeError, match="width"):
        train(width=3)
    assert "train_fraction : float, default 0.4" in train.__doc__


def test_errors_are_one_class_that_is_both_value_and_type_error():
    from grokwidgets._validation import InvalidParameterError

    for bad in ({"lr": 0.0}, {"steps": 1.5}, {"op": "^"}):
        with pytest.raises(InvalidParameterError) as info:
            RunConfig(**bad)
        assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
