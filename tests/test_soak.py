"""A long session in one kernel leaks neither figures nor memory; Stop and Train again work.

A shorter run of ``benchmarks/soak.py`` (which see): every exported widget built
once, 500 control moves round robin across all of them in an asyncio loop (so
redraws are deferred and coalesced as in a kernel), then a live training run
stopped halfway and started again.

The moves go back and forth between two values per control (``values="two"``):
after the warm-up nothing new is computed or cached, so memory that still grows is
a leak. (The benchmark's default, every value of every control, also fills the
per-setting caches; see its output.)

The memory bound: over 500 such moves RSS changed by -0.5 to +0.6 MB (four runs
on a shared 2-core machine), and samples taken every 100 moves wandered within
about 2.5 MB of each other (allocator noise). 8 MB over 500 moves is 16 KB per
move: a leaked PNG frame, figure or array per move would cross it; noise does not.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

RSS_BOUND_MB = 8.0
MOVES = 500


def _load_soak():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "soak.py"
    name = "grokwidgets_bench_soak"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


soak = _load_soak()


def test_long_session_leaks_no_figures_and_little_memory():
    r = soak.soak(MOVES, values="two", trace_every=100)
    summary = (
        f"{r.moves} moves over {r.controls} controls of {r.widgets}: figures "
        f"{r.figures_before} -> {r.figures_after}, RSS {r.rss_before_mb:.1f} -> "
        f"{r.rss_after_mb:.1f} MB (trace {r.rss_trace_mb}), p50 {r.move_ms_p50:.1f} ms"
    )
    print(summary)
    assert r.controls >= 10, f"too few controls found to soak: {summary}"
    assert r.frames >= MOVES // 2, f"the moves did not redraw: {r.frames} frames; {summary}"
    assert r.leaked_figures == 0, summary
    assert r.fignums_after == [], f"pyplot figures opened: {r.fignums_after}"
    assert not r.errors, f"errors shown during the session: {r.errors[:3]}"
    assert r.rss_growth_mb <= RSS_BOUND_MB, summary


def test_stop_halfway_then_train_again_leaves_the_lab_consistent():
    s = soak.stop_and_restart(live_steps=600, timeout=120)
    assert s.consistent, s.problems
    assert 0 < s.stopped_at < 600 and s.final_step == 600
    assert "Stopped at step" in s.stop_status
