"""A long classroom session in one kernel: thousands of slider moves, then live training.

Builds every widget that :mod:`grokwidgets.widgets` exports once, as the essay does
(the figure widgets share one ``Timeline``), and moves their controls in turn:
widget after widget, control after control, each to a new valid value, inside an
asyncio event loop so that redraws are deferred and coalesced as in a kernel. It
measures, after ``gc.collect()``:

- matplotlib figures alive (``matplotlib.figure.Figure`` instances the garbage
  collector tracks, and ``plt.get_fignums()``) before and after: target 0 leaked;
- resident memory (psutil RSS) before and after: target <= 10 MB growth;
- the time per move (p50 / p95 / max), the frames drawn, and errors shown.

Then a live training run in ``LabWidget`` is stopped about halfway and started
again: the widget must end consistent (the run on screen is the finished run,
bit-identical to a fresh ``Trainer``; buttons and controls re-enabled; no
training thread left). Train / Measure buttons are never pressed during the moves.

    python3 tasks.py bench soak [--moves 5000] [--live-steps 1500] [--json FILE]

Prints numbers and exits 0 (the verdict lines say PASS / FAIL against the targets).
``tests/test_soak.py`` runs a shorter version with asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # a source checkout without the package installed
    sys.path.insert(0, str(ROOT))

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import grokwidgets.widgets as gw  # noqa: E402
from grokwidgets.widgets.canvas import ErrorBox, FigureImage  # noqa: E402

TARGET_RSS_MB = 10.0
TARGET_LEAKED_FIGURES = 0

# --------------------------------------------------------------------------- widgets

#: Buttons never pressed here (they start long background work).
_DISPLAY_ONLY = (
    widgets.HTML,
    widgets.HTMLMath,
    widgets.Label,
    widgets.Valid,
    widgets.IntProgress,
    widgets.FloatProgress,
    widgets.Output,
)


def descendants(w: Any) -> Iterator[Any]:
    yield w
    for child in getattr(w, "children", ()) or ():
        yield from descendants(child)


def build_widgets() -> tuple[Any, dict[str, Any]]:
    """Every exported widget, built once; the Timeline views share one Timeline."""
    import inspect

    timeline = gw.Timeline()
    made: dict[str, Any] = {}
    for name in gw.__all__:
        cls = getattr(gw, name)
        skip = ("Timeline", "TimelineControls", "FigureImage", "Moment")
        if not isinstance(cls, type) or name in skip:
            continue  # FigureImage and TimelineControls live inside the others
        params = inspect.signature(cls).parameters
        made[name] = cls(timeline) if "timeline" in params else cls()
    # As in the essay: one Moment over the figures built above (links to a moment).
    made["Moment"] = gw.Moment.latest()
    return timeline, made


@dataclass
class Control:
    label: str
    widget: Any
    values: list[Any]  # valid values, visited in turn
    position: int = 0

    def next_value(self) -> Any:
        current = self.widget.value
        for _ in range(len(self.values)):
            self.position = (self.position + 1) % len(self.values)
            value = self.values[self.position]
            if value != current:
                return value
        return current


def _values(w: Any) -> list[Any] | None:
    """A cycle of valid values for a control, or None for controls not moved here."""
    if isinstance(w, widgets.FloatLogSlider):
        return [float(w.base**e) for e in np.linspace(w.min, w.max, 23)]
    if isinstance(w, widgets.FloatSlider | widgets.BoundedFloatText):
        return [float(v) for v in np.linspace(w.min, w.max, 13)]
    if isinstance(w, widgets.Play):
        return list(range(w.min, w.max + 1, max(1, (w.max - w.min) // 17)))
    if isinstance(w, widgets.IntSlider):
        return list(range(w.min, w.max + 1)) or [w.min]
    if isinstance(w, widgets.BoundedIntText):
        return list(range(w.min, min(w.min + 8, w.max) + 1))
    if isinstance(w, widgets.SelectionSlider | widgets.Dropdown | widgets.Select):
        return list(w._options_values)
    if isinstance(w, widgets.ToggleButton | widgets.Checkbox):
        return [True, False]
    return None


def collect_controls(made: dict[str, Any]) -> list[Control]:
    """Every movable control under every widget, interleaved widget by widget."""
    per_widget: list[list[Control]] = []
    for name, root in made.items():
        controls, seen = [], set()
        for w in descendants(root):
            if id(w) in seen or isinstance(w, (*_DISPLAY_ONLY, FigureImage)):
                continue
            seen.add(id(w))
            if not isinstance(w, widgets.ValueWidget):
                continue
            values = _values(w)
            if values and len(values) > 1:
                desc = getattr(w, "description", "") or type(w).__name__
                controls.append(Control(f"{name}/{desc}", w, values))
        per_widget.append(controls)
    # Round robin: widget 1 control 1, widget 2 control 1, ..., widget 1 control 2, ...
    out: list[Control] = []
    for i in range(max(len(c) for c in per_widget)):
        for controls in per_widget:
            if controls:
                out.append(controls[i % len(controls)])
    return out


def figures_alive() -> int:
    gc.collect()
    return sum(isinstance(o, Figure) for o in gc.get_objects())


def rss_mb() -> float:
    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


def frames_drawn(made: dict[str, Any]) -> int:
    return sum(img.frames for root in made.values() for img in descendants(root)
               if isinstance(img, FigureImage))  # fmt: skip


def errors_shown(made: dict[str, Any]) -> list[str]:
    return [
        box.value
        for root in made.values()
        for box in descendants(root)
        if isinstance(box, ErrorBox) and box.value
    ]


# --------------------------------------------------------------------------- moves


@dataclass
class SoakResult:
    moves: int
    values: str
    rss_built_mb: float
    controls: int
    warmup: int
    widgets: list[str]
    figures_before: int
    figures_after: int
    fignums_before: list[int]
    fignums_after: list[int]
    rss_before_mb: float
    rss_after_mb: float
    rss_peak_mb: float
    frames: int
    move_ms_p50: float
    move_ms_p95: float
    move_ms_max: float
    wall_s: float
    errors: list[str] = field(default_factory=list)
    rss_trace_mb: list[float] = field(default_factory=list)

    @property
    def leaked_figures(self) -> int:
        return self.figures_after - self.figures_before

    @property
    def rss_growth_mb(self) -> float:
        return self.rss_after_mb - self.rss_before_mb


async def _move(controls: list[Control], count: int, times: list[float], start: int = 0) -> None:
    for i in range(count):
        control = controls[(start + i) % len(controls)]
        t0 = time.perf_counter()
        control.widget.value = control.next_value()
        # One pass of the event loop: the deferred redraw happens here, as in a kernel
        # between two slider messages.
        await asyncio.sleep(0)
        times.append((time.perf_counter() - t0) * 1e3)


def soak(
    moves: int = 5000,
    *,
    values: str = "all",
    warmup: int | None = None,
    trace_every: int = 500,
) -> SoakResult:
    """Build the widgets, warm up, then ``moves`` control changes; measure.

    ``values="all"``: each control cycles through its whole range (a reader
    exploring: per-setting caches fill up). ``values="two"``: each control goes back
    and forth between two values (after the warm-up nothing new is computed, so any
    growth is a leak, not a cache).
    """
    _, made = build_widgets()
    rss_built = rss_mb()
    controls = collect_controls(made)
    unique = list({id(c): c for c in controls}.values())
    if values == "two":
        for c in unique:
            c.values = c.values[:2]
    every_value = sum(len(c.values) for c in unique)
    # Warm-up: every value of every control once, then round-robin moves, so that
    # the caches (fonts, text layout, numpy workspaces, shipped runs, per-setting
    # results) have filled before we measure.
    if warmup is None:
        warmup = every_value + (1000 if values == "all" else 4 * len(controls))

    async def run() -> SoakResult:
        await _move(unique, every_value, [])
        await _move(controls, max(0, warmup - every_value), [])
        fig_before, nums_before, rss_before = figures_alive(), plt.get_fignums(), rss_mb()
        frames0 = frames_drawn(made)
        times: list[float] = []
        trace = [rss_before]
        t0 = time.perf_counter()
        done = 0
        while done < moves:
            chunk = min(trace_every, moves - done)
            await _move(controls, chunk, times, start=warmup + done)
            done += chunk
            trace.append(psutil.Process().memory_info().rss / 2**20)
        wall = time.perf_counter() - t0
        await asyncio.sleep(0)
        rss_after = rss_mb()
        result = SoakResult(
            moves=moves,
            values=values,
            rss_built_mb=rss_built,
            controls=len(unique),
            warmup=warmup,
            widgets=list(made),
            figures_before=fig_before,
            figures_after=figures_alive(),
            fignums_before=nums_before,
            fignums_after=plt.get_fignums(),
            rss_before_mb=rss_before,
            rss_after_mb=rss_after,
            rss_peak_mb=max(trace),
            frames=frames_drawn(made) - frames0,
            move_ms_p50=statistics.median(times),
            move_ms_p95=float(np.percentile(times, 95)),
            move_ms_max=max(times),
            wall_s=wall,
            errors=errors_shown(made),
            rss_trace_mb=[round(x, 1) for x in trace],
        )
        for w in made.values():
            w.close()
        return result

    return asyncio.run(run())


# --------------------------------------------------------------------------- live training


@dataclass
class StopRestartResult:
    live_steps: int
    stopped_at: int
    stop_status: str
    final_step: int
    problems: list[str]
    seconds: float

    @property
    def consistent(self) -> bool:
        return not self.problems


def _check_lab_shows(lab: Any, run: Any, problems: list[str], when: str) -> None:
    art = lab.history_artists
    if not np.array_equal(art.test_acc.get_xdata(), run.history.step):
        problems.append(f"{when}: the curves' steps are not the run's")
    if not np.array_equal(art.test_acc.get_ydata(), run.history.test_acc):
        problems.append(f"{when}: the test accuracy drawn is not the run's")
    if lab.checkpoint.max != len(run.checkpoint_steps) - 1:
        problems.append(
            f"{when}: checkpoint slider max {lab.checkpoint.max}, run has "
            f"{len(run.checkpoint_steps)} checkpoints"
        )
    if lab.training:
        problems.append(f"{when}: still training")
    if lab.train_button.disabled or not lab.stop_button.disabled:
        problems.append(f"{when}: buttons not reset (train disabled / stop enabled)")
    if lab.weight_decay.disabled:
        problems.append(f"{when}: settings still disabled")
    if lab.errors.value:
        problems.append(f"{when}: error shown: {lab.errors.value}")
    for img in (lab.history_image, lab.weights_image):
        if not img.png.startswith(b"\x89PNG"):
            problems.append(f"{when}: a figure has no PNG frame")


def stop_and_restart(live_steps: int = 1500, timeout: float = 300.0) -> StopRestartResult:
    """Train live, press Stop about halfway, press Train again; check the widget."""
    from grokwidgets.experiment import Trainer

    problems: list[str] = []
    lab = gw.LabWidget(live_steps=live_steps)
    threads_before = {t.ident for t in threading.enumerate()}
    t_start = time.perf_counter()

    async def run() -> tuple[int, str, int]:
        # An unshipped setting, so Train trains for real.
        unshipped = [v for _, v in lab.weight_decay._options_full
                     if lab._shipped.get((v, 0.4, "+", 0)) is None]  # fmt: skip
        lab.weight_decay.value = unshipped[-1]
        lab.train_button.click()
        deadline = time.monotonic() + timeout

        def trained() -> int:  # the progress bar updates 4 times a second; the trainer
            trainer = getattr(lab, "_trainer", None)  # knows every step
            return trainer.step_count if trainer is not None else lab.progress.value

        while trained() < live_steps // 2 and lab.training:
            if time.monotonic() > deadline:
                problems.append("first run: no progress to halfway within the timeout")
                break
            await asyncio.sleep(0.02)
        lab.stop_button.click()
        while lab.training and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)  # the worker's last posts run on this loop
        stopped = lab.run
        if stopped is None:
            problems.append("after Stop: no run on screen")
            return -1, lab.status.value, -1
        if not stopped.stopped_early or stopped.step >= live_steps:
            problems.append(f"after Stop: run at step {stopped.step}, not stopped early")
        if "Stopped at step" not in lab.status.value:
            problems.append(f"after Stop: status says {lab.status.value!r}")
        _check_lab_shows(lab, stopped, problems, "after Stop")
        stopped_at, status = stopped.step, lab.status.value

        lab.train_button.click()
        while lab.training and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.05)
        final = lab.run
        if final is None or final.step != live_steps or final.stopped_early:
            problems.append(f"after restart: run {final and final.step} of {live_steps}")
            return stopped_at, status, -1 if final is None else final.step
        _check_lab_shows(lab, final, problems, "after restart")
        if lab.progress.value != live_steps:
            problems.append(f"after restart: progress {lab.progress.value} of {live_steps}")
        expected = Trainer.from_config(lab.config())
        expected.step(live_steps)
        if not np.array_equal(final.history.test_acc, expected.run.history.test_acc):
            problems.append("after restart: the run differs from a fresh Trainer's")
        return stopped_at, status, final.step

    try:
        stopped_at, status, final_step = asyncio.run(run())
    finally:
        lab.close()
    time.sleep(0.1)
    leftover = [
        t.name
        for t in threading.enumerate()
        if t.ident not in threads_before and t.is_alive() and "grokwidgets" in t.name
    ]
    if leftover:
        problems.append(f"training threads left running: {leftover}")
    return StopRestartResult(
        live_steps=live_steps,
        stopped_at=stopped_at,
        stop_status=status,
        final_step=final_step,
        problems=problems,
        seconds=time.perf_counter() - t_start,
    )


# --------------------------------------------------------------------------- main


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=5000)
    parser.add_argument("--live-steps", type=int, default=1500)
    parser.add_argument(
        "--values",
        choices=("all", "two"),
        default="all",
        help="each control cycles through its whole range (default), or two values",
    )
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args(argv)

    print(
        f"soak: {args.moves} control moves across every widget, one process "
        f"({'every value of every control' if args.values == 'all' else 'two values each'})",
        flush=True,
    )
    r = soak(args.moves, values=args.values)
    print(
        f"  widgets: {', '.join(r.widgets)}  ({r.controls} controls, round robin; "
        f"{r.warmup} warm-up moves first: every value of every control once, then "
        "round robin)"
    )
    figures_ok = r.leaked_figures <= TARGET_LEAKED_FIGURES and not r.fignums_after
    print(f"  moves: {r.moves} in {r.wall_s:.1f} s; frames drawn: {r.frames}")
    print(
        f"  time per move: p50 {r.move_ms_p50:.1f} ms, p95 {r.move_ms_p95:.1f} ms, "
        f"max {r.move_ms_max:.0f} ms"
    )
    print(
        f"  matplotlib figures alive: {r.figures_before} before, {r.figures_after} after "
        f"(leaked {r.leaked_figures}); plt.get_fignums(): {r.fignums_before} -> "
        f"{r.fignums_after}  [{_verdict(figures_ok)}]"
    )
    print(
        f"  RSS: {r.rss_before_mb:.1f} MB -> {r.rss_after_mb:.1f} MB (growth "
        f"{r.rss_growth_mb:+.1f} MB, peak {r.rss_peak_mb:.1f} MB; target <= "
        f"{TARGET_RSS_MB:g} MB)  [{_verdict(r.rss_growth_mb <= TARGET_RSS_MB)}]"
    )
    print(f"  RSS every 500 moves (MB): {r.rss_trace_mb}")
    print(f"  RSS right after building the widgets: {r.rss_built_mb:.1f} MB")
    print(f"  errors shown: {len(r.errors)}{'' if not r.errors else ': ' + r.errors[0][:200]}")

    print(f"live training: {args.live_steps} steps, Stop about halfway, Train again", flush=True)
    s = stop_and_restart(args.live_steps)
    print(
        f"  stopped at step {s.stopped_at}; restarted and finished at step {s.final_step}; "
        f"{s.seconds:.1f} s  [{_verdict(s.consistent)}]"
    )
    for problem in s.problems:
        print(f"  problem: {problem}")
    if args.json:
        out = {
            "soak": {**asdict(r), "leaked_figures": r.leaked_figures,
                     "rss_growth_mb": r.rss_growth_mb},
            "stop_restart": {**asdict(s), "consistent": s.consistent},
        }  # fmt: skip
        args.json.write_text(json.dumps(out, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
