"""The static edition (``python3 tasks.py build``) in Chromium, from file://, no kernel.

The site is built once per session into a temporary folder. Every request that is
not for a file inside that folder is aborted and counted; the count must be 0.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "static" / "node_modules"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not NODE_MODULES.exists():
        pytest.skip("static/node_modules is missing: run `npm ci --ignore-scripts` in static/")
    from grokwidgets.static.site import build

    out = tmp_path_factory.mktemp("static") / "site"
    build(out)
    return out


class StaticPage:
    def __init__(self, context: Any, page: Any, site: Path) -> None:
        self.context, self.page, self.site = context, page, site
        self.foreign: list[str] = []
        self.errors: list[str] = []

    def frame_png(self, selector: str) -> bytes:
        """The PNG bytes an <img class=gw-figure> under ``selector`` shows now."""
        data = self.page.evaluate(
            """async (sel) => {
                const img = document.querySelector(sel + ' img.gw-figure');
                const buf = await (await fetch(img.src)).arrayBuffer();
                return Array.from(new Uint8Array(buf));
            }""",
            selector,
        )
        return bytes(data)

    def digest(self, selector: str) -> str:
        return hashlib.sha1(self.frame_png(selector)).hexdigest()

    def frame_count(self, selector: str) -> int:
        value = self.page.locator(f"{selector} img.gw-figure").first.get_attribute("data-frame")
        return int(value or 0)


def _open(browser: Any, site: Path, **options: Any) -> StaticPage:
    options.setdefault("viewport", {"width": 1280, "height": 900})
    options.setdefault("device_scale_factor", 2)
    context = browser.new_context(**options)
    page = context.new_page()
    sp = StaticPage(context, page, site)
    root = site.resolve()

    def route(r: Any) -> None:
        url = r.request.url
        parsed = urlparse(url)
        inside = parsed.scheme == "file" and Path(unquote(parsed.path)).resolve().is_relative_to(
            root
        )
        if inside or parsed.scheme in ("blob", "data"):
            r.continue_()
        else:
            sp.foreign.append(url)
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda m: sp.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: sp.errors.append(str(e)))
    page.on("requestfailed", lambda r: sp.errors.append(f"failed: {r.url}"))
    page.goto((site / "index.html").as_uri())
    expected = page.evaluate(
        """() => {
            const type = "application/vnd.jupyter.widget-state+json";
            const el = document.querySelector(`script[type="${type}"]`);
            const state = JSON.parse(el.textContent).state;
            return Object.values(state).filter(m => m.state._esm
                && m.state._esm.includes('gwLastKey')).length;
        }"""
    )
    page.wait_for_function(
        """(n) => (window.gwStaticFrames || 0) >= n
            && [...document.querySelectorAll('img.gw-figure')].every(i => +i.dataset.frame >= 1)""",
        arg=expected,
        timeout=60_000,
    )
    return sp


@pytest.fixture(scope="module")
def static_page(browser: Any, site: Path) -> Iterator[StaticPage]:
    sp = _open(browser, site)
    yield sp
    sp.context.close()


def test_site_requests_nothing_outside_its_folder_and_logs_no_error(static_page, site):
    assert static_page.foreign == []
    assert static_page.errors == []
    total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    assert total <= 25e6, f"site is {total / 1e6:.1f} MB"
    for lic in ("embed-amd.LICENSE", "require.LICENSE", "anywidget.LICENSE"):
        assert (site / "static" / lic).stat().st_size > 100


def _slider_key(page: Any, css: str, key: str, times: int = 1) -> None:
    handle = page.locator(f"{css} .noUi-handle, {css} [role=slider]").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    for _ in range(times):
        page.keyboard.press(key)


def _select(page: Any, css: str, index: int) -> None:
    select = page.locator(f"{css} select").first
    select.scroll_into_view_if_needed()
    select.select_option(index=index)


def _toggle(page: Any, css: str, index: int) -> None:
    page.locator(f"{css} button").nth(index).click()


#: figure (a CSS scope holding one FigureImage), and an action on one of its controls.
CONTROLS = {
    "curves weight decay": (
        ".gw-curves",
        lambda p: _slider_key(p, ".gw-curves .gw-weight-decay", "ArrowLeft", 1),
    ),
    # The two figures share a timeline: the curves' slider moves the structure panel.
    "structure follows the curves' weight decay": (
        ".gw-structure",
        lambda p: _slider_key(p, ".gw-curves .gw-weight-decay", "ArrowRight", 1),
    ),
    "singular seed": (".gw-singular", lambda p: _select(p, ".gw-singular-seed", 3)),
    "basins regularization": (
        ".gw-landscape",
        lambda p: _slider_key(p, ".gw-landscape-reg", "ArrowRight", 4),
    ),
    "lab checkpoint": (".gw-lab", lambda p: _slider_key(p, ".gw-lab-step", "ArrowLeft", 3)),
    "lab run choice": (".gw-lab", lambda p: _slider_key(p, ".gw-lab-wd", "ArrowLeft", 2)),
    "complexity run choice": (".gw-complexity", lambda p: _select(p, ".gw-complexity-run", 0)),
    "sweep axis": (".gw-sweep", lambda p: _toggle(p, ".gw-sweep-axis", 1)),
    "phase cell": (".gw-phase", lambda p: _slider_key(p, ".gw-phase", "ArrowLeft", 1)),
    "trust checkpoint": (".gw-trust", lambda p: _slider_key(p, ".gw-trust", "ArrowRight", 1)),
    "trust toy case": (".gw-trust", lambda p: _toggle(p, ".gw-trust .widget-toggle-buttons", 1)),
}


@pytest.mark.parametrize("name", list(CONTROLS))
def test_every_supported_control_changes_its_figure(static_page, name):
    scope, act = CONTROLS[name]
    page = static_page.page
    if page.locator(scope).count() == 0:
        pytest.skip(f"the essay has no {scope} figure")
    before = static_page.digest(scope)
    count = static_page.frame_count(scope)
    act(page)
    page.wait_for_function(
        """([sel, n]) => [...document.querySelectorAll(sel + ' img.gw-figure')]
            .some(i => +i.dataset.frame > n)""",
        arg=[scope, count],
        timeout=10_000,
    )
    page.wait_for_timeout(100)
    assert static_page.digest(scope) != before, f"{name} did not change the figure"
    assert static_page.errors == []


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return np.asarray(im.convert("RGB"), dtype=np.int16)


def _kernel_render(widget: Any, image: Any, setup) -> bytes:
    image.renderer.set_dpr(2.0)
    setup(widget)
    image.draw()
    return image.png


def _sample_states():
    from grokwidgets.widgets import BasinsWidget, ComplexityWidget, SingularityWidget

    def complexity(w):
        w.choice.value = w.choice.options[0][1]

    return {
        "basins regularization 0.2": (
            ".gw-landscape",
            lambda p: _slider_key(p, ".gw-landscape-reg", "ArrowRight", 4),
            BasinsWidget,
            lambda w: w.image,
            lambda w: setattr(w.regularization, "value", 0.2),
        ),
        "singular seed 3": (
            ".gw-singular",
            lambda p: _select(p, ".gw-singular-seed", 3),
            SingularityWidget,
            lambda w: w.image,
            lambda w: setattr(w.seed, "value", 3),
        ),
        "complexity first run": (
            ".gw-complexity",
            lambda p: _select(p, ".gw-complexity-run", 0),
            ComplexityWidget,
            lambda w: w.image,
            complexity,
        ),
    }


@pytest.mark.parametrize("name", list(_sample_states()))
def test_static_frame_matches_the_kernel_render(browser, site, name):
    scope, act, make, image_of, setup = _sample_states()[name]
    sp = _open(browser, site)  # a page of its own: states start from the opening
    try:
        if sp.page.locator(scope).count() == 0:
            pytest.skip(f"the essay has no {scope} figure")
        count = sp.frame_count(scope)
        act(sp.page)
        sp.page.wait_for_function(
            "([s, n]) => +document.querySelector(s + ' img.gw-figure').dataset.frame > n",
            arg=[scope, count],
        )
        sp.page.wait_for_timeout(100)
        shown = _pixels(sp.frame_png(scope))
    finally:
        sp.context.close()
    widget = make()
    try:
        expected = _pixels(_kernel_render(widget, image_of(widget), setup))
    finally:
        widget.close()
    assert shown.shape == expected.shape
    diff = np.abs(shown - expected)
    # Frames are stored as 256-colour PNGs: close, not bit-identical.
    assert diff.mean() < 1.0, f"mean difference {diff.mean():.2f} of 255"
    assert (diff.max(axis=2) > 48).mean() < 0.002


def test_kernel_only_controls_are_disabled_and_say_why(static_page):
    page = static_page.page
    for label in ("Train", "Measure a fresh run"):
        button = page.locator("button", has_text=label).first
        if button.count() == 0:
            continue
        assert button.is_disabled(), label
        assert "live edition" in (button.get_attribute("title") or "")
    notes = page.locator(".gw-static-note").all_inner_texts()
    assert notes and all("live edition" in n for n in notes)
    for css in (".gw-lab", ".gw-complexity"):
        if page.locator(css).count():
            assert "live edition" in page.locator(css).inner_text()


def test_phone_has_no_horizontal_scroll_and_16px_text(browser, site):
    sp = _open(
        browser,
        site,
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )
    try:
        page = sp.page
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"page is {width} px wide at 390"
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')].filter(e =>
                [...e.getClientRects()].some(r => r.width > 0 && r.right > innerWidth + 1)
            ).slice(0, 5).map(e => e.className || e.tagName)"""
        )
        assert wide == []
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('.jp-RenderedMarkdown p')]
                .map(p => parseFloat(getComputedStyle(p).fontSize))"""
        )
        assert sizes and min(sizes) >= 16
        assert sp.foreign == [] and sp.errors == []
    finally:
        sp.context.close()


if os.environ.get("GW_STATIC_SITE"):  # reuse a built site while developing the tests

    @pytest.fixture(scope="session")
    def site() -> Path:
        return Path(os.environ["GW_STATIC_SITE"])
