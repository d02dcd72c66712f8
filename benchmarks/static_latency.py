"""The static edition in Chromium: time to first figure, and slider to new pixels.

Builds the site (or takes ``--site DIR``), opens ``index.html`` from file:// in
Debian's headless Chromium, and measures in the page's own clock:

- load: navigation start -> the first figure's first frame decoded; -> the figures on
  the first screen drawn and every StaticFrames table listening (sliders answer, the
  issue's load target); and -> every figure's frame decoded, tables listening;
- slider: for each slider the static edition answers, ArrowRight / ArrowLeft in
  turn; key down (the event's timestamp) -> the first animation frame after the
  figure's new PNG decoded (the ``data-frame`` the figure's view sets then), read
  with ``performance.now()`` in that frame's callback;
- floor: the same key-to-frame measure on a bare page whose range input redraws a
  canvas synchronously, in the same browser and run.

    python3 tasks.py bench static_latency [--site site] [--presses 30] [--loads 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"

#: figure scope and its slider, for each slider the static edition answers.
SLIDERS = {
    "curves weight decay": (".gw-curves", ".gw-curves .gw-weight-decay"),
    "basins regularization": (".gw-landscape", ".gw-landscape-reg"),
    "lab checkpoint": (".gw-lab", ".gw-lab-step"),
    "phase weight decay": (".gw-phase", ".gw-phase"),
    "trust checkpoint": (".gw-trust", ".gw-trust"),
}

INIT_JS = """
window.__gw = {loads: [], key: null, lat: [], src: [], first: new Map()};
document.addEventListener('keydown', (e) => { window.__gw.key = e.timeStamp; }, true);
new MutationObserver((records) => {
    for (const r of records) {
        if (r.attributeName !== 'data-frame') continue;
        const t = performance.now();
        window.__gw.loads.push(t);
        if (!window.__gw.first.has(r.target)) window.__gw.first.set(r.target, t);
        const key = window.__gw.key;
        if (key !== null) {
            window.__gw.key = null;
            const src = r.target.dataset.source || '';  // "cache": the live page's own frames
            requestAnimationFrame(() => {
                window.__gw.lat.push(performance.now() - key);
                window.__gw.src.push(src);
            });
        }
    }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-frame']});
"""

FLOOR_HTML = """<!doctype html><meta charset="utf-8"><title>floor</title>
<input type="range" id="s" min="0" max="100" value="50" autofocus>
<canvas id="c" width="1400" height="800" style="width:700px;height:400px"></canvas>
<script>
window.__gw = {key: null, lat: []};
const c = document.getElementById('c').getContext('2d');
const s = document.getElementById('s');
document.addEventListener('keydown', (e) => { window.__gw.key = e.timeStamp; }, true);
s.addEventListener('input', () => {
  c.clearRect(0, 0, 1400, 800);
  c.beginPath();
  for (let x = 0; x < 1400; x += 4) c.lineTo(x, 400 + 300 * Math.sin(x / 100 + s.value / 10));
  c.stroke();
  const key = window.__gw.key;
  window.__gw.key = null;
  requestAnimationFrame(() => window.__gw.lat.push(performance.now() - key));
});
</script>"""


def _summary(values: list[float]) -> str:
    if not values:
        return "no samples"
    v = sorted(values)
    p95 = v[min(len(v) - 1, round(0.95 * (len(v) - 1)))]
    return f"median {statistics.median(v):6.1f} ms  p95 {p95:6.1f} ms  (n={len(v)})"


def _press(page, handle_css: str, presses: int, key_wait_ms: int = 150) -> list[float]:
    handle = page.locator(f"{handle_css} .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.evaluate("() => { window.__gw.lat = []; }")
    at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    keys = ("ArrowLeft", "ArrowRight") if at_end else ("ArrowRight", "ArrowLeft")
    for i in range(presses):
        page.keyboard.press(keys[i % 2])
        page.wait_for_function(f"() => window.__gw.lat.length >= {i + 1}", timeout=10_000)
        page.wait_for_timeout(key_wait_ms)
    return page.evaluate("() => window.__gw.lat")


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", help="a built site (default: build one in a temp folder)")
    parser.add_argument("--presses", type=int, default=30)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args(argv)

    tmp = tempfile.TemporaryDirectory()
    if args.site:
        site = Path(args.site).resolve()
    else:
        from grokwidgets.static.site import build

        site = Path(tmp.name) / "site"
        build(site)
    (Path(tmp.name) / "floor.html").write_text(FLOOR_HTML, encoding="utf-8")
    url = (site / "index.html").as_uri()
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    print(f"site: {site} ({size / 1e6:.1f} MB)")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        first, screen, every = [], [], []
        for _ in range(args.loads):
            ctx = browser.new_context(
                viewport={"width": 1280, "height": 900}, device_scale_factor=2
            )
            ctx.add_init_script(INIT_JS)
            page = ctx.new_page()
            page.goto(url)
            page.wait_for_function(
                """() => (window.gwStaticFramesReady || 0) > 0 && [...document
                    .querySelectorAll('img.gw-figure')].every(i => +i.dataset.frame >= 1)""",
                timeout=60_000,
            )
            page.wait_for_timeout(300)
            first.append(page.evaluate("() => Math.min(...window.__gw.loads)"))
            # The figures on the first screen (at the top of the page) drawn, and every
            # table listening to its controls.
            screen.append(
                page.evaluate(
                    """() => Math.max(window.gwStaticFramesReady, ...[...document
                        .querySelectorAll('img.gw-figure')]
                        .filter(i => i.getBoundingClientRect().top < innerHeight)
                        .map(i => window.__gw.first.get(i) || Infinity))"""
                )
            )
            every.append(
                page.evaluate(
                    "() => Math.max(Math.max(...window.__gw.loads), window.gwStaticFramesReady)"
                )
            )
            ctx.close()
        print(f"open index.html -> first figure drawn:                {_summary(first)}")
        print(f"open index.html -> first screen drawn, sliders ready: {_summary(screen)}")
        print(f"open index.html -> every figure drawn, sliders ready: {_summary(every)}")

        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=2)
        ctx.add_init_script(INIT_JS)
        page = ctx.new_page()
        page.goto(url)
        page.wait_for_function("() => (window.gwStaticFramesReady || 0) > 0", timeout=60_000)
        page.wait_for_timeout(500)
        everything = []
        for name, (scope, handle) in SLIDERS.items():
            if page.locator(scope).count() == 0:
                print(f"  {name}: not in this essay")
                continue
            lat = _press(page, handle, args.presses)
            everything += lat
            print(f"slider {name:24s} key -> new pixels: {_summary(lat)}")
        print(f"static edition, every slider           key -> new pixels: {_summary(everything)}")
        ctx.close()

        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=2)
        page = ctx.new_page()
        page.goto((Path(tmp.name) / "floor.html").as_uri())
        page.locator("#s").focus()
        floor = []
        for i in range(args.presses):
            page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
            page.wait_for_function(f"() => window.__gw.lat.length >= {i + 1}", timeout=10_000)
            page.wait_for_timeout(150)
        floor = page.evaluate("() => window.__gw.lat")
        print(f"floor: bare page, range input -> canvas   key -> new pixels: {_summary(floor)}")
        ctx.close()
        browser.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
