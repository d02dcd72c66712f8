"""Time from request to an interactive essay page: cold kernel, and preheated kernels.

Serves ``essay/grokking.ipynb`` with Voila (as ``python3 tasks.py serve`` does, on a
free port) and loads it in Debian's headless Chromium, each load in a fresh browser
context, one after the other. A load is *interactive* when every ``img.gw-figure``
(at least ``--figures`` of them) has drawn its first frame (``data-frame`` is set)
and the first slider responds: the benchmark then presses ArrowRight on the curves'
regularization handle and waits for the curves to take a new frame. Times are in
the page's own clock, from the start of the navigation.

Modes:

- ``cold``: plain serve. Each request starts a kernel, which runs the notebook
  while Voila streams the page (the first byte comes once the kernel process is
  started; the last once the last cell has run).
- ``preheat``: ``--preheat`` (Voila's ``--preheat_kernel=True --pool_size=N``).
  Voila starts kernels ahead of time and runs the notebook in them; a request
  takes a finished one and gets the rendered page at once, and Voila refills the
  pool (1 s later: ``VoilaKernelManager.fill_delay``). Each load here waits for the
  pool to be full and idle first: a reader who arrives while the refill is still
  running gets a half-run kernel (Voila streams the rest) or, if the pool is
  empty, a cold one.
- ``floor-cold``, ``floor-preheat``: the same two ways, a *floor* page instead of
  the essay: one slider and a readout the kernel rewrites (``FLOOR_CODE``), same
  template, ``voila.json`` and Voila, no grokwidgets. Its time is what Voila's own
  front end (some 100 script and style files, the widget manager, the kernel
  connection) and a kernel round trip cost on this machine, in this run; the
  summary prints the essay against it, as a ratio and as the essay's own share.

Between loads the tab is closed as a reader closes it (its kernel is shut down)
and the benchmark waits until Voila and its kernels are idle, so loads do not
compete with leftovers. The first load after the server starts is a warm-up
(reported apart). Then the kernel side, in plain Python processes (no Voila, no
browser): the kernel's start-up, the notebook's imports, each widget constructor
in the notebook's order and the held first draws after its last cell (as in a
kernel Voila started), median of several fresh processes.

    python3 tasks.py bench page_load [--loads 5] [--modes cold,preheat,floor-cold,floor-preheat]
        [--pool-size 1] [--width 1280] [--dpr 1] [--figures 7] [--kernel-runs 5] [--profile]
        [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _voila import CHROMIUM, NOTEBOOK, PageWatch, VoilaServer, chromium, write_notebook

ROOT = Path(__file__).resolve().parents[1]
# The essay cold and preheated, then the floor page (see FLOOR_CODE) the same two ways.
MODES = ("cold", "preheat", "floor-cold", "floor-preheat")

# Runs in every page before its own scripts: marks when parts of the streamed page
# arrive (Voila sends a cell once the kernel has run it).
MARKS_JS = """(() => {
    const t = window.__gwLoad = {cellAt: {}, wsBytes: 0, wsMessages: 0};
    const obs = new MutationObserver(() => {
        const now = performance.now();
        if (t.config === undefined && document.getElementById('jupyter-config-data')) {
            t.config = now;
        }
        for (const c of document.querySelectorAll('div[cell-index]')) {
            const i = c.getAttribute('cell-index');
            if (!(i in t.cellAt)) t.cellAt[i] = now;
        }
        if (t.firstFigure === undefined && document.querySelector('img.gw-figure')) {
            t.firstFigure = now;
        }
        if (t.firstFigure !== undefined && document.readyState !== 'loading') obs.disconnect();
    });
    obs.observe(document, {childList: true, subtree: true});
    // The kernel's websocket: when it opens, and what arrives before the figures draw.
    const WS = window.WebSocket;
    window.WebSocket = function (...args) {
        const ws = new WS(...args);
        if (String(args[0]).includes('/channels')) {
            t.wsCreated = t.wsCreated ?? performance.now();
            ws.addEventListener('open', () => { t.wsOpen = t.wsOpen ?? performance.now(); });
            ws.addEventListener('message', (e) => {
                t.wsFirst = t.wsFirst ?? performance.now();
                if (t.drawn === undefined) {
                    t.wsMessages += 1;
                    t.wsBytes += e.data.byteLength ?? e.data.length ?? 0;
                    t.wsLast = performance.now();
                }
            });
        }
        return ws;
    };
    window.WebSocket.prototype = WS.prototype;
    Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();"""

# Polled on every animation frame: records when the page first has all its figures drawn.
READY_JS = """(n) => {
    const t = window.__gwLoad;
    const figs = [...document.querySelectorAll('img.gw-figure')];
    const cells = document.getElementById('rendered_cells');
    const ready = figs.length >= n && figs.every(f => f.dataset.frame)
        && cells && cells.style.display !== 'none'
        && document.querySelector('.gw-curves .gw-regularization .noUi-handle') !== null;
    if (ready && t.drawn === undefined) t.drawn = performance.now();
    return ready;
}"""

# Arm a watch on the answer (the curves' figures; the floor page's readout) and focus
# the regularization handle; the benchmark then presses ArrowRight (a real key press)
# and awaits ``__gwAnswer``: the answer changes only once the kernel has handled the
# new value and sent something back.
SLIDER_ARM_JS = """([timeout, answer]) => {
    const t = window.__gwLoad;
    const handle = document.querySelector('.gw-curves .gw-regularization .noUi-handle');
    const targets = [...document.querySelectorAll(answer)];
    const state = (el) => el.dataset.frame ?? el.textContent;
    let before = null;
    window.__gwAnswer = new Promise((resolve) => {
        const obs = new MutationObserver(() => {
            if (before && targets.some((f, i) => state(f) !== before[i])) {
                obs.disconnect();
                t.interactive = performance.now();
                resolve(true);
            }
        });
        for (const f of targets) {
            obs.observe(f, {attributes: true, attributeFilter: ['data-frame'],
                            characterData: true, childList: true, subtree: true});
        }
        // Answers count from the key press on (a figure may redraw on its own before).
        document.addEventListener('keydown', () => {
            if (before) return;
            t.key = performance.now();
            before = targets.map(state);
            setTimeout(() => { obs.disconnect(); resolve(false); }, timeout);
        }, true);
    });
    handle.focus();
}"""

NAV_JS = """() => {
    const n = performance.getEntriesByType('navigation')[0];
    const t = window.__gwLoad;
    return {ttfb: n.responseStart, html: n.responseEnd, dcl: n.domContentLoadedEventEnd,
            load: n.loadEventEnd, config: t.config ?? null, cellAt: t.cellAt,
            lastCell: Math.max(...Object.values(t.cellAt)),
            wsCreated: t.wsCreated ?? null, wsOpen: t.wsOpen ?? null, wsFirst: t.wsFirst ?? null,
            wsLast: t.wsLast ?? null, wsMessages: t.wsMessages, wsBytes: t.wsBytes,
            firstFigure: t.firstFigure ?? null, drawn: t.drawn ?? null,
            key: t.key ?? null, interactive: t.interactive ?? null,
            figures: document.querySelectorAll('img.gw-figure').length};
}"""

# (key, label) in the order a page goes through them.
STAGES = [
    ("ttfb", "first byte (server; cold: + kernel process start)"),
    ("firstCode", "first widget cell arrives (kernel ready + cell run)"),
    ("lastCell", "last cell arrives (notebook executed)"),
    ("dcl", "DOMContentLoaded"),
    ("load", "load event (Voila's JS loaded)"),
    ("wsOpen", "kernel websocket open"),
    ("wsLast", "last kernel message before all figures drew"),
    ("firstFigure", "first figure in the DOM (widgets rendering)"),
    ("drawn", "every figure drawn"),
    ("interactive", "INTERACTIVE: first slider answered"),
]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def line(label: str, values: list[float], unit: str = "s", scale: float = 1e-3) -> str:
    if not values:
        return f"  {label:<54} (not measured)"
    v = [x * scale for x in values]
    return (
        f"  {label:<54} median {statistics.median(v):6.2f} {unit}  p95 {percentile(v, 95):6.2f}"
        f"  min {min(v):6.2f}  max {max(v):6.2f}  (n={len(v)})"
    )


# --------------------------------------------------------------------------- server


def _cpu_seconds(procs: list[Any]) -> float:
    import psutil

    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _kernels(pid: int) -> list[Any]:
    import psutil

    out = []
    for p in psutil.Process(pid).children(recursive=True):
        try:
            if "ipykernel" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.Error:
            pass
    return out


def wait_idle(server: VoilaServer, kernels: int, timeout: float = 90.0) -> float:
    """Wait until Voila runs exactly ``kernels`` kernels and they and Voila are idle.

    Idle: together under 5% of one core for 1.5 s. Returns the seconds waited.
    """
    import psutil

    assert server.proc is not None
    start = time.monotonic()
    root = psutil.Process(server.proc.pid)
    quiet_since = None
    while time.monotonic() - start < timeout:
        procs = [root, *root.children(recursive=True)]
        a = _cpu_seconds(procs)
        time.sleep(0.5)
        busy = (_cpu_seconds(procs) - a) / 0.5
        n = len(_kernels(server.proc.pid))
        if n == kernels and busy < 0.05:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 1.5:
                return time.monotonic() - start
        else:
            quiet_since = None
    raise TimeoutError(
        f"Voila did not settle to {kernels} idle kernel(s) in {timeout:.0f} s "
        f"(has {len(_kernels(server.proc.pid))})"
    )


def first_code_cell(notebook: str) -> str:
    """The ``cell-index`` (1-based) Voila gives the notebook's first code cell."""
    cells = json.loads(Path(notebook).read_text())["cells"]
    return str(next(i for i, c in enumerate(cells, 1) if c["cell_type"] == "code"))


def load_once(
    browser: Any, server: VoilaServer, args: argparse.Namespace, page_kind: PageKind
) -> dict[str, Any]:
    context = browser.new_context(
        viewport={"width": args.width, "height": 900}, device_scale_factor=args.dpr
    )
    try:
        watch = PageWatch().attach(context)
        context.add_init_script(MARKS_JS)
        page = context.new_page()
        import psutil

        psutil.cpu_percent(None)  # system-wide CPU use over this load, from here
        t0 = time.monotonic()
        page.goto(server.url, wait_until="commit", timeout=120_000)
        page.wait_for_function(READY_JS, arg=page_kind.figures, timeout=120_000, polling="raf")
        page.evaluate(SLIDER_ARM_JS, [30_000, page_kind.answer])
        page.keyboard.press("ArrowRight")
        answered = page.evaluate("() => window.__gwAnswer")
        wall = time.monotonic() - t0
        cpu = psutil.cpu_percent(None)
        marks = page.evaluate(NAV_JS)
        marks["wall"] = wall * 1000
        marks["cpu"] = cpu
        marks["firstCode"] = marks["cellAt"].get(first_code_cell(page_kind.notebook))
        marks["answered"] = answered
        marks["external"] = list(watch.external_requests)
        marks["errors"] = watch.console_errors + watch.page_errors
        kernel = page.evaluate(
            "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
        )
        marks["kernelMB"] = _kernel_rss_mb(server, kernel)
        page.close(run_before_unload=True)  # as a tab closes: Voila shuts its kernel down
        marks["beacon"] = _await_shutdown(server, kernel)
    finally:
        context.close()
    return marks


def _kernel_rss_mb(server: VoilaServer, kernel: str) -> float | None:
    """Resident memory of the kernel with id ``kernel`` (MB), None if not found."""
    import psutil

    assert server.proc is not None
    for p in _kernels(server.proc.pid):
        try:
            if kernel in " ".join(p.cmdline()):
                return p.memory_info().rss / 2**20
        except psutil.Error:
            pass
    return None


def _await_shutdown(server: VoilaServer, kernel: str, timeout: float = 10.0) -> bool:
    """Wait for Voila to shut ``kernel`` down (the page's beacon); else ask it ourselves.

    Returns whether the page's own beacon did it.
    """
    import urllib.parse
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if f"Kernel shutdown: {kernel}" in server.log_path.read_text(errors="replace"):
            return True
        time.sleep(0.1)
    token = "0" * 32  # the same double-submit as the page's beacon
    req = urllib.request.Request(
        f"{server.url}voila/api/shutdown/{kernel}",
        data=urllib.parse.urlencode({"_xsrf": token}).encode(),
        headers={"Cookie": f"_xsrf={token}"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10):
        pass
    return False


@dataclass(frozen=True)
class PageKind:
    """A page to load: its notebook, how many figures it draws, what answers a slider."""

    notebook: str
    figures: int
    answer: str  # selector of what changes once the kernel has answered a slider move


# The floor: the least a Voila page with one live control costs, on this machine, in
# this run. One slider and one readout that the kernel rewrites on every move (so a
# move is answered only after a round trip to the kernel, as in the essay), served by
# the same template, voila.json and Voila, with no grokwidgets import.
FLOOR_CODE = """import ipywidgets as widgets

slider = widgets.FloatSlider(description="x")
slider.add_class("gw-regularization")
answer = widgets.HTML("0.00")
answer.add_class("gw-answer")


def _on_value_change(change):
    answer.value = f"{change['new']:.2f}"


slider.observe(_on_value_change, names="value")
box = widgets.VBox([slider, answer])
box.add_class("gw-curves")
box"""


def floor_notebook(folder: Path) -> Path:
    """Write the floor page's notebook into ``folder``; return its path."""
    return write_notebook(
        folder / "floor.ipynb", [("markdown", "# The floor"), ("code", FLOOR_CODE)]
    )


def run_mode(mode: str, browser: Any, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    extra: tuple[str, ...] = ()
    pool = 0
    if mode.startswith("floor"):
        kind = PageKind(str(floor_notebook(tmp)), 0, ".gw-curves .gw-answer")
    else:
        kind = PageKind(args.notebook, args.figures, ".gw-curves img.gw-figure")
    if mode.endswith("preheat"):
        pool = args.pool_size  # grokwidgets.serving --preheat=N
        if args.fill_delay is not None:
            extra += (f"--VoilaKernelManager.fill_delay={args.fill_delay}",)
    server = VoilaServer(
        kind.notebook, log_path=tmp / f"voila-{mode}.log", extra_args=extra, preheat=pool
    )
    t_start = time.monotonic()
    with server:
        listening = time.monotonic() - t_start
        settle = wait_idle(server, pool)
        loads = []
        for i in range(args.loads + 1):
            marks = load_once(browser, server, args, kind)
            marks["index"] = i
            loads.append(marks)
            status = "warm-up" if i == 0 else f"load {i}"
            print(
                f"  [{mode}] {status}: interactive {marks['interactive'] / 1000:.2f} s "
                f"(first byte {marks['ttfb'] / 1000:.2f} s, all drawn "
                f"{(marks['drawn'] or 0) / 1000:.2f} s, {marks['figures']} figures)",
                flush=True,
            )
            wait_idle(server, pool)
        log = server.log_tail(400)
    return {
        "mode": mode,
        "pool_size": pool,
        "server_listening_s": listening,
        "first_settle_s": settle,
        "loads": loads,
        "used_pool": log.count("Using pre-heated kernel"),
        "fill_delay": "" if args.fill_delay is None else f", fill_delay={args.fill_delay:g} s",
    }


# --------------------------------------------------------------------------- kernel side

KERNEL_START = r"""
import json, time
from jupyter_client.manager import KernelManager
t0 = time.perf_counter()
km = KernelManager(kernel_name="python3")
km.start_kernel()
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=60)
dt = time.perf_counter() - t0
kc.stop_channels()
km.shutdown_kernel(now=True)
print(json.dumps({"kernel start (to kernel_info reply)": dt}))
"""

# The notebook's code cells, timed piece by piece (see essay/grokking.ipynb), as in a
# kernel that Voila started: inside a running event loop, VOILA_PREHEAT set (see
# kernel_side), so each figure's first draw is held until the notebook's last cell,
# draw_held_figures(), and is timed there.
NOTEBOOK_CODE = r"""
import asyncio, json, sys, time
out = {}
def timed(name, f):
    t = time.perf_counter(); r = f(); out[name] = time.perf_counter() - t; return r
timed("import numpy, matplotlib", lambda: __import__("matplotlib.figure"))
timed("import ipywidgets, anywidget", lambda: (__import__("ipywidgets"), __import__("anywidget")))
w = timed("import grokwidgets.widgets", lambda: __import__("grokwidgets.widgets", fromlist=["*"]))
from grokwidgets.widgets import canvas

async def held_draws():
    t = time.perf_counter()
    n = w.draw_held_figures()
    while canvas._HELD:
        await asyncio.sleep(0.001)
    await asyncio.sleep(0)
    return n, time.perf_counter() - t

async def page():
    tl = timed("Timeline()", w.Timeline)
    timed("CurvesWidget(timeline)", lambda: w.CurvesWidget(tl))
    timed("StructureWidget(timeline)", lambda: w.StructureWidget(tl))
    timed("SingularityWidget()", w.SingularityWidget)
    timed("BasinsWidget()", w.BasinsWidget)
    timed("LabWidget()", w.LabWidget)
    timed("ComplexityWidget()", w.ComplexityWidget)
    n, dt = await held_draws()
    out[f"first draws after the last cell ({n} figures)"] = dt
    if len(sys.argv) > 1:  # each constructor again, now that every cache is warm
        for name in ("CurvesWidget", "StructureWidget"):
            timed(name + " (again)", lambda: getattr(w, name)(tl))
        for name in ("SingularityWidget", "BasinsWidget", "LabWidget", "ComplexityWidget"):
            timed(name + " (again)", getattr(w, name))
        n, dt = await held_draws()
        out[f"first draws (again, {n} figures)"] = dt

asyncio.run(page())
print(json.dumps(out))
"""

PROFILE_CODE = r"""
import cProfile, pstats, io
prof = cProfile.Profile()
prof.enable()
import grokwidgets.widgets as w
tl = w.Timeline()
w.CurvesWidget(tl); w.StructureWidget(tl); w.SingularityWidget(); w.BasinsWidget()
w.LabWidget(); w.ComplexityWidget()
prof.disable()
s = io.StringIO()
stats = pstats.Stats(prof, stream=s).sort_stats("cumulative")
stats.print_stats(r"grokwidgets", 25)
print(s.getvalue())
"""


def kernel_side(runs: int, profile: bool) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}

    # As Voila marks its kernels (grokwidgets.widgets.canvas then holds first draws).
    env = {**os.environ, "VOILA_PREHEAT": "False"}

    def run(code: str, *argv: str) -> dict[str, float]:
        out = subprocess.run(
            [sys.executable, "-c", code, *argv],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        ).stdout
        return json.loads(out.strip().splitlines()[-1])

    for _ in range(max(1, min(runs, 3))):
        for k, v in run(KERNEL_START).items():
            results.setdefault(k, []).append(v)
    for i in range(runs):
        argv = ("again",) if i == 0 else ()
        t = time.perf_counter()
        timings = run(NOTEBOOK_CODE, *argv)
        total = time.perf_counter() - t
        for k, v in timings.items():
            results.setdefault(k, []).append(v)
        if not argv:
            results.setdefault("whole process (python start to exit)", []).append(total)
    if profile:
        print(
            subprocess.run(
                [sys.executable, "-c", PROFILE_CODE],
                cwd=ROOT,
                text=True,
                capture_output=True,
                check=True,
            ).stdout
        )
    return results


# --------------------------------------------------------------------------- report


def report(mode_result: dict[str, Any]) -> None:
    loads = [m for m in mode_result["loads"] if m["index"] > 0]
    warm = mode_result["loads"][0]
    mode = mode_result["mode"]
    page = "FLOOR page (one slider, no grokwidgets)" if mode.startswith("floor") else "essay"
    title = (
        "cold kernel (plain serve)"
        if mode.endswith("cold")
        else (
            f"preheated kernels (--preheat_kernel=True --pool_size={mode_result['pool_size']}"
            f"{mode_result['fill_delay']}), pool full and idle at each request"
        )
    )
    print(f"\n{page}, {title}: {len(loads)} loads (+1 warm-up)")
    for key, label in STAGES:
        print(line(label, [m[key] for m in loads if m.get(key) is not None]))
    print(line("wall clock, goto() to interactive", [m["wall"] for m in loads]))
    print(
        line(
            "kernel messages before all figures drew (count)",
            [m["wsMessages"] for m in loads],
            unit="",
            scale=1,
        )
    )
    print(
        line(
            "kernel bytes before all figures drew (MB)",
            [m["wsBytes"] for m in loads],
            unit="MB",
            scale=1e-6,
        )
    )
    print(
        line(
            "slider press to new frame",
            [m["interactive"] - m["key"] for m in loads if m.get("interactive") and m.get("key")],
            unit="ms",
            scale=1,
        )
    )
    print(
        line(
            "machine CPU use during a load (all cores, %)",
            [m["cpu"] for m in loads],
            unit="%",
            scale=1,
        )
    )
    print(
        line(
            "the page's kernel, resident memory",
            [m["kernelMB"] for m in loads if m.get("kernelMB")],
            unit="MB",
            scale=1,
        )
    )
    print(f"  warm-up (first load after start): interactive {warm['interactive'] / 1000:.2f} s")
    if mode.endswith("preheat"):
        print(
            f"  requests served from the pool: {mode_result['used_pool']} of "
            f"{len(mode_result['loads'])}; pool first full and idle "
            f"{mode_result['first_settle_s']:.1f} s after Voila listened"
        )
    lost = sum(not m.get("beacon", True) for m in mode_result["loads"])
    if lost:
        print(
            f"  note: {lost} closed tab(s) did not shut their kernel down within 10 s "
            "(the benchmark did)"
        )
    bad = [m for m in mode_result["loads"] if not m["answered"] or m["external"] or m["errors"]]
    for m in bad:
        print(
            f"  note: load {m['index']}: answered={m['answered']} external={m['external']} "
            f"errors={m['errors']}"
        )


def summary(results: list[dict[str, Any]]) -> None:
    """Medians against the targets, and the essay against the floor of this run."""
    med = {
        r["mode"]: statistics.median(m["interactive"] for m in r["loads"] if m["index"] > 0)
        for r in results
        if any(m["index"] > 0 and m.get("interactive") for m in r["loads"])
    }
    print("\nsummary, request to interactive (median):")
    for mode, target in (("cold", 3.0), ("preheat", 1.0)):
        if mode not in med:
            if f"floor-{mode}" in med:
                print(f"  floor page, {mode:<7} {med[f'floor-{mode}'] / 1000:5.2f} s")
            continue
        ours = med[mode] / 1000
        verdict = "met" if ours <= target else "NOT met"
        text = f"  essay, {mode:<7} {ours:5.2f} s   target <= {target:g} s: {verdict}"
        floor = med.get(f"floor-{mode}")
        if floor:
            text += (
                f";  floor page {floor / 1000:5.2f} s, essay/floor {ours * 1000 / floor:.2f}x, "
                f"essay's own share {ours - floor / 1000:+.2f} s"
            )
        print(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=5, help="measured loads per mode (>= 5)")
    ap.add_argument(
        "--modes",
        default=",".join(MODES),
        help="comma-separated, of: " + ", ".join(MODES),
    )
    ap.add_argument("--pool-size", type=int, default=1, help="preheated kernels (preheat mode)")
    ap.add_argument(
        "--fill-delay",
        type=float,
        default=None,
        help="seconds before Voila refills the pool (its default: 1)",
    )
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--dpr", type=float, default=1.0, help="device scale factor")
    ap.add_argument("--figures", type=int, default=7, help="figures a complete page has")
    ap.add_argument(
        "--kernel-runs",
        type=int,
        default=5,
        help="fresh processes timing the notebook's code (0: skip)",
    )
    ap.add_argument(
        "--profile", action="store_true", help="also print a cProfile of the widget constructors"
    )
    ap.add_argument("--notebook", default=str(NOTEBOOK))
    ap.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = ap.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium", file=sys.stderr)
        return 1
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or any(m not in MODES for m in modes):
        ap.error("--modes takes a comma-separated list of " + ", ".join(MODES))

    print(
        f"grokwidgets page load: essay served by Voila, Chromium {args.width}px "
        f"dpr {args.dpr:g}, {args.loads} loads per mode; interactive = all {args.figures} "
        "figures drawn and the regularization slider answered"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="gw-bench-") as tmp, chromium() as (_, browser):
        for mode in modes:
            results.append(run_mode(mode, browser, args, Path(tmp)))
    for r in results:
        report(r)
    summary(results)

    kernel: dict[str, list[float]] = {}
    if args.kernel_runs > 0:
        print(
            f"\nkernel side, in plain Python processes (median of {args.kernel_runs}; "
            "'again' = a second construction in one process, caches warm):"
        )
        kernel = kernel_side(args.kernel_runs, args.profile)
        for k, v in kernel.items():
            print(line(k, [x * 1000 for x in v]))

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "modes": results,
                    "kernel": kernel,
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
