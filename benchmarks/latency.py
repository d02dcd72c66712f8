"""Slider-to-new-pixels latency of the essay, measured in a real browser.

Serves ``essay/grokking.ipynb`` with Voila (as ``python3 tasks.py serve`` does, on a
free port), opens it in Debian's headless Chromium, focuses the regularization
slider's handle and presses ArrowRight / ArrowLeft in turn (so the value stays in
range), waiting for the figures after each press. For each press it measures, in
the page's own clock:

- first frame: key down -> the first figure's ``data-frame`` changes (the widget
  sets it after the new PNG has decoded, so this is "slider to new pixels");
- all frames: key down -> the last figure that redraws for this press has done so;
- kernel render: the ``data-render-ms`` the widget reports for the new frames
  (time spent drawing in the kernel), when the page exposes it.

    python3 tasks.py bench latency [--presses 40] [--width 1280] [--dpr 1] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _voila import (
    CHROMIUM,
    NOTEBOOK,
    REG_HANDLE,
    PageWatch,
    VoilaServer,
    chromium,
    wait_for_essay,
    wait_for_settled_frames,
)

INSTRUMENT_JS = """() => {
    if (window.__gwBench) return;
    const gw = window.__gwBench = {key: null, frames: []};
    document.addEventListener('keydown', () => { gw.key = performance.now(); }, true);
    const figures = [...document.querySelectorAll('img.gw-figure')];
    const obs = new MutationObserver((records) => {
        const t = performance.now();
        for (const r of records) {
            gw.frames.push({t, figure: figures.indexOf(r.target),
                            renderMs: r.target.dataset.renderMs ?? null});
        }
    });
    for (const f of figures) obs.observe(f, {attributes: true, attributeFilter: ['data-frame']});
}"""

# Wait for the first new frame after the key press, then until no figure has taken
# a new frame for `quiet` ms; return what happened.
COLLECT_JS = """async ([timeout, quiet]) => {
    const gw = window.__gwBench;
    const t0 = performance.now();
    while (gw.frames.length === 0) {
        if (performance.now() - t0 > timeout) return {key: gw.key, frames: [], timedOut: true};
        await new Promise(r => setTimeout(r, 5));
    }
    let n = gw.frames.length, since = performance.now();
    while (performance.now() - since < quiet) {
        await new Promise(r => setTimeout(r, 10));
        if (gw.frames.length !== n) { n = gw.frames.length; since = performance.now(); }
    }
    return {key: gw.key, frames: gw.frames.slice(), timedOut: false};
}"""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<44} (not measured)"
    return (
        f"{name:<44} median {statistics.median(values):7.1f} ms   "
        f"p95 {percentile(values, 95):7.1f} ms   "
        f"min {min(values):7.1f}   max {max(values):7.1f}   (n={len(values)})"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presses", type=int, default=40, help="measured key presses (>= 30)")
    ap.add_argument("--warmup", type=int, default=3, help="unmeasured presses first")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--dpr", type=float, default=1.0, help="device scale factor")
    ap.add_argument(
        "--quiet-ms", type=int, default=300, help="no new frame for this long ends one press"
    )
    ap.add_argument("--notebook", default=str(NOTEBOOK))
    ap.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = ap.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium", file=sys.stderr)
        return 1

    first_ms: list[float] = []
    all_ms: list[float] = []
    render_ms: list[float] = []
    figures_per_press: list[int] = []
    timeouts = 0

    with tempfile.TemporaryDirectory(prefix="gw-bench-") as tmp:
        t_start = time.monotonic()
        server = VoilaServer(args.notebook, log_path=Path(tmp) / "voila.log")
        with server, chromium() as (_, browser):
            context = browser.new_context(
                viewport={"width": args.width, "height": 900}, device_scale_factor=args.dpr
            )
            try:
                watch = PageWatch().attach(context)
                page = context.new_page()
                page.goto(server.url, timeout=120_000)
                wait_for_essay(page)
                load_s = time.monotonic() - t_start
                wait_for_settled_frames(page)
                page.evaluate(INSTRUMENT_JS)

                handle = page.locator(REG_HANDLE).first
                aria = handle.evaluate(
                    "h => [h.getAttribute('aria-valuenow'), h.getAttribute('aria-valuemax')]"
                )
                at_max = aria[0] is not None and float(aria[0]) >= float(aria[1])
                handle.focus()
                keys = ["ArrowLeft", "ArrowRight"] if at_max else ["ArrowRight", "ArrowLeft"]

                for i in range(args.warmup + args.presses):
                    page.evaluate("() => { window.__gwBench.frames = []; }")
                    page.keyboard.press(keys[i % 2])
                    got = page.evaluate(COLLECT_JS, [30_000, args.quiet_ms])
                    if got["timedOut"] or got["key"] is None:
                        timeouts += 1
                        continue
                    if i < args.warmup:
                        continue
                    times = [f["t"] - got["key"] for f in got["frames"]]
                    first_ms.append(min(times))
                    all_ms.append(max(times))
                    figures_per_press.append(len({f["figure"] for f in got["frames"]}))
                    render_ms.extend(
                        float(f["renderMs"])
                        for f in got["frames"]
                        if f["renderMs"] not in (None, "", "undefined")
                    )
                n_figures = page.locator("img.gw-figure").count()
            finally:
                context.close()

    print(
        f"grokwidgets latency: essay served by Voila, Chromium {args.width}px "
        f"dpr {args.dpr:g}; page ready in {load_s:.1f} s; {n_figures} figures"
    )
    print(
        f"regularization slider: {len(first_ms)} measured key presses "
        f"(+{args.warmup} warm-up), {timeouts} without a new frame within 30 s"
    )
    if figures_per_press:
        print(f"figures redrawn per press: median {statistics.median(figures_per_press):g}")
    print(summary("slider to new pixels (first figure)", first_ms))
    print(summary("slider to new pixels (all figures)", all_ms))
    print(summary("in-kernel render per frame (data-render-ms)", render_ms))
    if watch.external_requests:
        print(f"note: the page tried other hosts: {watch.external_requests}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "width": args.width,
                    "dpr": args.dpr,
                    "figures": n_figures,
                    "first_frame_ms": first_ms,
                    "all_frames_ms": all_ms,
                    "render_ms": render_ms,
                    "timeouts": timeouts,
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
