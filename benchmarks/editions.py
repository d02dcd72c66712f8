"""Both editions side by side, every slider: key press to new pixels, in one run.

Serves the essay with Voila (as ``python3 tasks.py serve`` does, on a free port) and
opens the static site (built into a temp folder, or ``--site DIR``) from file://, in
the same headless Chromium. In each edition it finds every enabled slider of the
page, focuses its handle and presses ArrowRight / ArrowLeft in turn (so the value
stays in range). Each press is timed in the page's own clock, as
``static_latency.py`` does: key down (the event's timestamp) -> the first animation
frame after a figure's new PNG has decoded (the ``data-frame`` its view sets then).
A press after which no figure takes a new frame within ``--wait-ms`` (a step that
stays on the same checkpoint, say) counts as "no new frame", not as a time.

It also prints the floor: the same measure on a bare page whose range input redraws
a canvas synchronously, in the same browser and run (what the driver itself costs).

    python3 tasks.py bench editions [--presses 20] [--site DIR] [--json FILE]

Targets (issue 12): static edition median <= 16.7 ms and p95 <= 25 ms on every
slider; the Voila page p95 <= 33 ms on every slider.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from _voila import (
    CHROMIUM,
    NOTEBOOK,
    PageWatch,
    VoilaServer,
    chromium,
    wait_for_essay,
    wait_for_settled_frames,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from static_latency import FLOOR_HTML, INIT_JS

# Every slider handle of the page that a reader can move, with a readable name: the
# figure's first gw-* class (its box) and the slider's description.
SLIDERS_JS = """() => {
    const out = [];
    const handles = [...document.querySelectorAll('.widget-slider .noUi-handle')];
    handles.forEach((h, i) => {
        const slider = h.closest('.widget-slider');
        if (!slider || slider.classList.contains('mod-disabled')) return;
        if (h.closest('[disabled]') || slider.querySelector('[disabled]')) return;
        if (h.getAttribute('aria-disabled') === 'true') return;
        const r = h.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) return;
        let box = slider, figure = '';
        while (box && box !== document.body) {
            const c = [...box.classList].find(
                (k) => k.startsWith('gw-') && !k.startsWith('gw-kernel') && k !== 'gw-figure');
            if (c && box.querySelector('img.gw-figure')) { figure = c; break; }
            box = box.parentElement;
        }
        const label = slider.querySelector('.widget-label');
        h.dataset.gwBench = String(i);
        out.push({index: i, figure, label: label ? label.textContent.trim() : ''});
    });
    return out;
}"""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def summary(values: list[float]) -> str:
    if not values:
        return "no new frame"
    return (
        f"median {statistics.median(values):6.1f} ms  p95 {percentile(values, 95):6.1f} ms"
        f"  (n={len(values)})"
    )


#: Latencies of presses answered by the live page's frame cache (FigureImage.cache_by).
cached: list[float] = []


def press_every_slider(page, presses: int, wait_ms: int, settle_ms: int) -> dict:
    """{slider name: (latencies in ms, presses with no new frame)} for one page."""
    results: dict[str, tuple[list[float], int]] = {}
    for s in page.evaluate(SLIDERS_JS):
        name = f"{s['figure'] or '?'} / {s['label'] or 'slider'}"
        while name in results:
            name += "'"
        handle = page.locator(f"[data-gw-bench='{s['index']}']")
        handle.scroll_into_view_if_needed()
        handle.focus()
        page.wait_for_timeout(settle_ms)
        now, top = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
        keys = ("ArrowLeft", "ArrowRight") if now == top else ("ArrowRight", "ArrowLeft")
        lat: list[float] = []
        misses = 0
        for i in range(presses):
            page.evaluate(
                "() => { window.__gw.lat = []; window.__gw.src = []; window.__gw.key = null; }"
            )
            page.keyboard.press(keys[i % 2])
            try:
                page.wait_for_function("() => window.__gw.lat.length > 0", timeout=wait_ms)
                ms, src = page.evaluate("() => [window.__gw.lat[0], window.__gw.src[0]]")
                lat.append(ms)
                if src == "cache":  # a state seen before, shown by the live page itself
                    cached.append(ms)
            except PlaywrightTimeout:  # no figure took a new frame: a miss, not a time
                misses += 1
            page.wait_for_timeout(settle_ms)
        results[name] = (lat, misses)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presses", type=int, default=20, help="key presses per slider")
    ap.add_argument("--site", type=Path, help="a built site (default: build one)")
    ap.add_argument("--wait-ms", type=int, default=3000, help="longest wait for a frame")
    ap.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = ap.parse_args(argv)
    if args.presses < 1:
        ap.error(f"argument --presses: must be at least 1, got {args.presses}")
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory(prefix="gw-editions-") as tmp:
        site = args.site.resolve() if args.site else None
        if site is None:
            from grokwidgets.static.site import build

            site = Path(tmp) / "site"
            build(site)
        (Path(tmp) / "floor.html").write_text(FLOOR_HTML, encoding="utf-8")
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        results: dict[str, dict] = {}
        server = VoilaServer(str(NOTEBOOK), log_path=Path(tmp) / "voila.log")
        with server, chromium() as (_, browser):
            for edition, url in (
                ("static", (site / "index.html").as_uri()),
                ("voila", server.url),
            ):
                ctx = browser.new_context(
                    viewport={"width": 1280, "height": 900}, device_scale_factor=2
                )
                ctx.add_init_script(INIT_JS)
                page = ctx.new_page()
                watch = PageWatch()  # console errors only: file:// is not a host to route
                watch.watch_page(page)
                page.goto(url, timeout=120_000)
                if edition == "static":
                    page.wait_for_function(
                        "() => (window.gwStaticFrames || 0) > 0 && (window.gwStaticFramesLoaded"
                        " || 0) >= (window.gwStaticFramesWanted || 1)",
                        timeout=120_000,
                    )
                else:
                    wait_for_essay(page)
                    wait_for_settled_frames(page)
                settle = 150 if edition == "static" else 400
                results[edition] = press_every_slider(page, args.presses, args.wait_ms, settle)
                if watch.console_errors or watch.page_errors:
                    print(f"note: {edition} console errors: {watch.console_errors[:3]}")
                ctx.close()
            ctx = browser.new_context(viewport={"width": 1280, "height": 900})
            page = ctx.new_page()
            page.goto((Path(tmp) / "floor.html").as_uri())
            page.locator("#s").focus()
            for i in range(args.presses):
                page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
                page.wait_for_function(f"() => window.__gw.lat.length >= {i + 1}")
                page.wait_for_timeout(100)
            floor = page.evaluate("() => window.__gw.lat")
            ctx.close()

    print(f"Chromium 1280x900 dpr 2; {args.presses} presses per slider; site {size / 1e6:.1f} MB")
    for edition, target in (("static", "median <= 16.7, p95 <= 25"), ("voila", "p95 <= 33")):
        every: list[float] = []
        print(f"\n{edition} edition (target {target} ms), key -> new pixels:")
        for name, (lat, misses) in results[edition].items():
            every += lat
            extra = f", {misses} without a new frame" if misses else ""
            print(f"  {name:48s} {summary(lat)}{extra}")
        print(f"  {'every slider':48s} {summary(every)}")
        if edition == "voila" and cached:
            # Presses alternate, so most return to a state the page has already seen.
            rest = list(every)
            for ms in cached:
                rest.remove(ms)
            print(f"  {'  shown from the page (a state seen before)':48s} {summary(cached)}")
            print(f"  {'  drawn by the kernel (a new state)':48s} {summary(rest)}")
    print(f"\nfloor: bare page, range input -> canvas          {summary(floor)}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "floor": floor}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
