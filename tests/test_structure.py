"""The model-structure panel's numbers."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grokwidgets.curves import learning_curves
from grokwidgets.structure import checkpoint_at, edge_strengths, frequency_shares, network_layout


@given(c=st.floats(0.0, 1.0), kind=st.sampled_from("AB"))
def test_active_connections_follow_complexity(c, kind):
    layout = network_layout(kind)
    s = edge_strengths(layout, c)
    assert s.shape == (len(layout.edges),)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s.sum(), c * len(layout.edges), atol=1e-9)


def test_more_complexity_never_removes_a_connection():
    layout = network_layout("A")
    prev = edge_strengths(layout, 0.0)
    for c in np.linspace(0, 1, 41)[1:]:
        cur = edge_strengths(layout, c)
        assert np.all(cur >= prev)
        prev = cur


def test_type_b_keeps_its_structured_core_after_the_transition():
    layout = network_layout("B")
    b = learning_curves("B", 1.0)
    after = float(b.complexity[-1])
    s = edge_strengths(layout, after)
    # Exactly the core remains, and it is sparse: each output of a layer is fed by
    # at most two units.
    np.testing.assert_array_equal(s > 0.5, layout.core)
    assert layout.core.mean() <= 0.3
    _, counts = np.unique(layout.edges[layout.core, 1], return_counts=True)
    assert counts.max() <= 2
    # Type A has no such core.
    assert not network_layout("A").core.any()


def test_layout_is_seeded():
    a, b = network_layout("A", seed=1), network_layout("A", seed=1)
    np.testing.assert_array_equal(a.rank, b.rank)
    assert not np.array_equal(a.rank, network_layout("A", seed=2).rank)
    assert sorted(a.rank) == list(range(len(a.edges)))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: network_layout("C"), "kind"),
        (lambda: network_layout("A", layers=(3,)), "layers"),
        (lambda: network_layout("A", layers=(3, 1)), "layers"),
        (lambda: network_layout("A", seed=-1), "seed"),
        (lambda: edge_strengths(network_layout("A"), 1.5), "complexity"),
        (lambda: edge_strengths(network_layout("A"), float("nan")), "complexity"),
    ],
)
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# ----------------------------------------------------------------- measured networks


def test_frequency_shares_are_the_checkpoints_fourier_energy():
    from grokwidgets.measures import fourier_energy
    from grokwidgets.runs import load_run

    run = load_run(1.0, 0)
    for step in (0, 4.9, 5, 180, 500, 2999, 3000, 1e9):
        at = checkpoint_at(run, step)
        assert at == run.checkpoint_steps[run.checkpoint_steps <= max(step, 0)].max()
        shares = frequency_shares(run, step)
        energy = fourier_energy(run.params_at(at)["embed"].astype(np.float64))[1:]
        assert shares.step == at and shares.embedding == "embed"
        np.testing.assert_allclose(shares.share, energy / energy.sum(), rtol=1e-12)
        np.testing.assert_array_equal(shares.frequency, np.arange(1, run.config.p // 2 + 1))
        assert not shares.share.flags.writeable
    assert checkpoint_at(run, -3) == 0  # before the first checkpoint: the first


def test_grokking_concentrates_the_embedding_and_memorizing_does_not():
    from grokwidgets.runs import load_run

    grokked = frequency_shares(load_run(1.0, 0), 3000)
    memorized = frequency_shares(load_run(0.0, 0), 3000)
    start = frequency_shares(load_run(1.0, 0), 0)
    assert grokked.top(5) > 0.8
    assert memorized.top(5) < 0.4 and start.top(5) < 0.4


def test_frequency_shares_bad_input():
    from grokwidgets.runs import load_run

    with pytest.raises(TypeError, match="run"):
        frequency_shares("run", 5)
    with pytest.raises(ValueError, match="step"):
        frequency_shares(load_run(1.0, 0), float("nan"))
