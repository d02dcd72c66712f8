"""Fourier concentration, effective frequencies, neuron purity and weight norm."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grokwidgets.experiment import GROK_ACCURACY, train
from grokwidgets.measures import (
    RunMeasures,
    effective_frequencies,
    fourier_energy,
    neuron_purity,
    run_measures,
    top_k_fraction,
    weight_norm,
)

P = 53
PRIMES = [3, 5, 7, 11, 13, 31, 53, 97]


def waves(p: int, freqs, d: int = 16, seed: int = 0) -> np.ndarray:
    """An embedding built from the given frequencies only (random phases and weights)."""
    rng = np.random.default_rng(seed)
    x = np.arange(p)[:, None]
    out = np.zeros((p, d))
    for k in freqs:
        phase = rng.uniform(0, 2 * np.pi, d)
        out += rng.uniform(0.5, 2.0, d) * np.cos(2 * np.pi * k * x / p + phase)
    return out


def noise(p: int = P, d: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((p, d))


arrays = st.sampled_from(PRIMES).flatmap(
    lambda p: hnp.arrays(
        np.float64,
        st.tuples(st.just(p), st.integers(1, 6)),
        elements=st.floats(-10, 10, allow_nan=False, width=32),
    )
)


@given(x=arrays)
@settings(max_examples=60, deadline=None)
def test_energies_add_up_to_the_sum_of_squares(x):
    e = fourier_energy(x)
    assert e.shape == (x.shape[0] // 2 + 1,)
    assert np.all(e >= -1e-9)
    assert e.sum() == pytest.approx((x**2).sum(), rel=1e-9, abs=1e-9)


@given(x=arrays, shift=st.integers(0, 200))
@settings(max_examples=40, deadline=None)
def test_relabelling_residues_by_a_shift_changes_nothing(x, shift):
    # a -> a + c permutes the residues but keeps every frequency's energy.
    np.testing.assert_allclose(
        fourier_energy(np.roll(x, shift, axis=0)), fourier_energy(x), rtol=1e-9, atol=1e-9
    )


@pytest.mark.parametrize("k", [1, 3, 8])
def test_one_frequency_is_fully_concentrated(k):
    emb = waves(P, [k])
    e = fourier_energy(emb)
    assert np.argmax(e) == k
    assert top_k_fraction(emb, k=1) == pytest.approx(1.0, abs=1e-12)
    assert top_k_fraction(emb) == pytest.approx(1.0, abs=1e-12)
    assert effective_frequencies(emb) == pytest.approx(1.0, abs=1e-9)


def test_five_frequencies_fill_the_top_five_exactly():
    emb = waves(P, [2, 7, 11, 19, 25])
    assert top_k_fraction(emb, k=5) == pytest.approx(1.0, abs=1e-12)
    assert top_k_fraction(emb, k=4) < 0.95
    assert 1.0 < effective_frequencies(emb) <= 5.0 + 1e-9


def test_two_equal_frequencies_count_as_two():
    x = np.arange(P)[:, None]
    emb = np.hstack([np.cos(2 * np.pi * 3 * x / P), np.sin(2 * np.pi * 10 * x / P)])
    assert effective_frequencies(emb) == pytest.approx(2.0, rel=1e-9)
    assert top_k_fraction(emb, k=1) == pytest.approx(0.5, rel=1e-9)


def test_noise_is_spread_over_all_frequencies():
    # Measured once to pin the scale: random embeddings sit near the top of the range.
    tops = [top_k_fraction(noise(seed=s)) for s in range(10)]
    effs = [effective_frequencies(noise(seed=s)) for s in range(10)]
    assert max(tops) < 0.35
    assert min(effs) > 22.0 and max(effs) < 26.0  # 26 frequencies at p = 53


def test_the_constant_component_is_ignored():
    emb = waves(P, [4, 9])
    shifted = emb + np.random.default_rng(1).normal(size=(1, emb.shape[1])) * 5
    assert top_k_fraction(shifted, 2) == pytest.approx(top_k_fraction(emb, 2), rel=1e-12)
    assert effective_frequencies(shifted) == pytest.approx(effective_frequencies(emb), rel=1e-9)


def test_constant_embedding_gives_nan_without_warning():
    const = np.ones((P, 4))
    assert math.isnan(top_k_fraction(const))
    assert math.isnan(effective_frequencies(const))
    assert np.all(np.isnan(neuron_purity(const)))


def test_leading_axes_are_kept():
    stack = np.stack([waves(P, [3]), noise()])
    assert fourier_energy(stack).shape == (2, 27)
    tops = top_k_fraction(stack)
    assert tops.shape == (2,)
    assert tops[0] == pytest.approx(1.0) and tops[1] < 0.35
    assert effective_frequencies(stack).shape == (2,)


def test_neuron_purity():
    x = np.arange(P)[:, None]
    freqs = np.array([1, 5, 5, 26])
    tuned = np.cos(2 * np.pi * freqs * x / P + np.array([0.0, 1.0, 2.0, 3.0]))
    np.testing.assert_allclose(neuron_purity(tuned), 1.0, atol=1e-12)
    purity = neuron_purity(noise(d=500))
    assert purity.shape == (500,)
    assert 0.10 < np.median(purity) < 0.25  # the largest of 26 random shares
    assert np.all(purity >= 1 / 26 - 1e-12) and np.all(purity <= 1)
    assert neuron_purity(np.stack([tuned, tuned])).shape == (2, 4)


def test_weight_norm():
    params = {"a": np.full((2, 2), 1.0, np.float32), "b": np.array([3.0, 4.0])}
    assert weight_norm(params) == pytest.approx(math.sqrt(4 + 25))
    assert weight_norm(np.array([3.0, 4.0])) == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: fourier_energy([[1.0, 2.0]] * 5), TypeError, "embedding must be a numpy array"),
        (lambda: fourier_energy(np.zeros(7)), ValueError, r"at least 2 dimensions .* got shape"),
        (lambda: fourier_energy(np.zeros((2, 3))), ValueError, "at least 3 residues"),
        (lambda: fourier_energy(np.full((5, 2), np.nan)), ValueError, "embedding must be finite"),
        (lambda: fourier_energy(np.zeros((5, 2), bool)), ValueError, "must be a real array"),
        (lambda: top_k_fraction(noise(), k=0), ValueError, r"k must be in \[1, 26\] .* got 0"),
        (lambda: top_k_fraction(noise(), k=27), ValueError, r"k must be in \[1, 26\] .* got 27"),
        (lambda: top_k_fraction(noise(), k=True), TypeError, "k must be an int, got True"),
        (lambda: top_k_fraction(noise(), k=2.0), TypeError, "k must be an int, got 2.0"),
        (lambda: neuron_purity(np.zeros(4)), ValueError, "weights must have at least 2"),
        (lambda: weight_norm({}), TypeError, "params must be an array or a non-empty mapping"),
        (lambda: weight_norm({"a": [1.0]}), TypeError, "params must hold numeric numpy arrays"),
        (lambda: weight_norm(np.array([np.inf])), ValueError, "params must be finite"),
        (lambda: run_measures("run"), TypeError, "run must be a grokwidgets.experiment.Run"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_run_measures_need_checkpoints():
    run = train(steps=2, checkpoint_steps=[])
    with pytest.raises(ValueError, match="run must have checkpoints"):
        run_measures(run)


def test_one_hot_run_concentrates_in_neuron_purity():
    # One-hot inputs: no shared embedding; the first layer's units become pure tones.
    run = train(embed_dim=None, steps=1200, checkpoint_steps=[0, 1200])
    assert run.history.test_acc[-1] >= GROK_ACCURACY
    m = run_measures(run)
    assert isinstance(m, RunMeasures) and m.embedding == "w_a|w_b"
    assert m.spectrum.shape == (2, 27)
    assert m.purity[0] < 0.2 < 0.8 < m.purity[-1]
    w = np.concatenate([run.final_params["w_a"], run.final_params["w_b"]], axis=1)
    assert m.top_k_fraction[-1] == pytest.approx(top_k_fraction(w))
