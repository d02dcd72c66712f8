"""The static edition (``python3 tasks.py build``) in Chromium, from file://, no kernel.

The site is built once per session into a temporary folder. Every request that is
not for a file inside that folder is aborted and counted; the count must be 0.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


class StaticPage:
    def __init__(self, context: Any, page: Any, site: Path) -> None:
        self.context, self.page, self.site = context, page, site
        self.foreign: list[str] = []
        self.errors: list[str] = []

    def frame_png(self, selector: str) -> bytes:
        """The image bytes (PNG, or the static edition's WebP) an <img class=gw-figure>
        under ``selector`` shows now."""
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
        """What the figure under ``selector`` shows: its frame and the layers drawn
        over it (the central figure is composed of parts in this edition)."""
        composed = self.page.evaluate(
            """(sel) => {
                const c = document.querySelector(sel + ' canvas.gw-figure-composed');
                return c && c.style.display !== 'none' ? c.toDataURL() : '';
            }""",
            selector,
        )
        return hashlib.sha1(self.frame_png(selector) + composed.encode()).hexdigest()

    def composite(self, selector: str) -> bytes:
        """A screenshot of the figure as composed on screen (PNG, device pixels)."""
        # The frame's box and 2 CSS px around it (a box at a fractional place is
        # rounded by the screenshot): the layers drawn over it are in the shot too. In
        # page coordinates, as a full-page shot: a figure may be taller than the screen.
        img = self.page.locator(f"{selector} img.gw-figure").first
        img.scroll_into_view_if_needed()
        box = img.bounding_box()
        sx, sy = self.page.evaluate("() => [scrollX, scrollY]")
        clip = {
            "x": box["x"] + sx - 2,
            "y": box["y"] + sy - 2,
            "width": box["width"] + 4,
            "height": box["height"] + 4,
        }
        return self.page.screenshot(clip=clip, full_page=True)

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


def _play(page: Any, css: str) -> None:
    """Press Play, let it run a few frames, and stop it."""
    play = page.locator(f"{css} .gw-play button").first
    play.scroll_into_view_if_needed()
    play.click()
    page.wait_for_timeout(600)
    page.locator(f"{css} .gw-play button").nth(1).click()  # pause


#: figure (a CSS scope holding one FigureImage), and an action on one of its controls.
CONTROLS = {
    "curves weight decay": (
        ".gw-curves",
        lambda p: _slider_key(p, ".gw-curves .gw-weight-decay", "ArrowLeft", 1),
    ),
    "curves step cursor": (
        ".gw-curves",
        lambda p: _slider_key(p, ".gw-curves .gw-step", "ArrowLeft", 3),
    ),
    "curves play": (".gw-curves", lambda p: _play(p, ".gw-curves")),
    "curves complexity toggle": (
        ".gw-curves",
        lambda p: p.locator(".gw-toggle-complexity").first.click(),
    ),
    "curves type A toggle": (".gw-curves", lambda p: p.locator(".gw-toggle-a").first.click()),
    # A shown again, B hidden: later cases still have curves to move.
    "curves type B toggle": (
        ".gw-curves",
        lambda p: (
            p.locator(".gw-toggle-a").first.click(),
            p.locator(".gw-toggle-b").first.click(),
        ),
    ),
    "structure follows the curves' step": (
        ".gw-structure",
        lambda p: _slider_key(p, ".gw-curves .gw-step", "End", 1),
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
    # Last (the page is shared): the drawn model, then back to the measured runs.
    "curves drawn model": (".gw-curves", lambda p: _toggle(p, ".gw-curves .gw-source", 1)),
    "curves drawn regularization": (
        ".gw-curves",
        lambda p: _slider_key(p, ".gw-curves .gw-regularization", "ArrowLeft", 2),
    ),
    "structure follows the drawn source": (
        ".gw-structure",
        lambda p: _slider_key(p, ".gw-curves .gw-step", "Home", 1),
    ),
    "curves back to the measured runs": (
        ".gw-curves",
        lambda p: _toggle(p, ".gw-curves .gw-source", 0),
    ),
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


def _best_match(shot: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """|shot - expected| where the frame sits in the shot (within its margin)."""
    h, w, _ = expected.shape
    offsets = [
        (dy, dx) for dy in range(shot.shape[0] - h + 1) for dx in range(shot.shape[1] - w + 1)
    ]
    assert offsets, f"shot {shot.shape} is smaller than the frame {expected.shape}"
    dy, dx = min(
        offsets, key=lambda o: np.abs(shot[o[0] : o[0] + h, o[1] : o[1] + w] - expected).mean()
    )
    return np.abs(shot[dy : dy + h, dx : dx + w] - expected)


def _sample_states():
    from grokwidgets.widgets import BasinsWidget, ComplexityWidget, SingularityWidget
    from grokwidgets.widgets.evidence import EstimatorTrustWidget, PhaseDiagramWidget

    def complexity(w):
        w.choice.value = w.choice.options[0][1]

    def phase(w):
        w.weight_decay.index -= 1

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
        # Composed from parts (a panel per control, a cursor): see frames.Plan.sprites.
        "trust toy case": (
            ".gw-trust",
            lambda p: _toggle(p, ".gw-trust .widget-toggle-buttons", 1),
            EstimatorTrustWidget,
            lambda w: w.image,
            lambda w: setattr(w.case, "value", w.case.options[1]),
        ),
        "phase cell": (
            ".gw-phase",
            lambda p: _slider_key(p, ".gw-phase", "ArrowLeft", 1),
            PhaseDiagramWidget,
            lambda w: w.image,
            phase,
        ),
    }


def check_matches_kernel(browser, site, name, column=0, **options):
    """Open the site (``options`` for the browser context), move ``name``'s control,
    and compare the figure on screen with the kernel's render of that state drawn for
    a ``column`` that wide (0: the wide layout)."""
    scope, act, make, image_of, setup = _sample_states()[name]
    sp = _open(browser, site, **options)  # a page of its own: states start from the opening
    try:
        if sp.page.locator(scope).count() == 0:
            pytest.skip(f"the essay has no {scope} figure")
        count = sp.frame_count(scope)
        act(sp.page)
        sp.page.wait_for_function(
            "([s, n]) => +document.querySelector(s + ' img.gw-figure').dataset.frame > n",
            arg=[scope, count],
        )
        sp.page.wait_for_timeout(250)
        shot = _pixels(sp.composite(scope))  # the frame with any parts drawn over it
        assert sp.errors == []
    finally:
        sp.context.close()
    widget = make()
    try:
        image = image_of(widget)
        image.renderer.set_dpr(2.0)  # as a page does: its dpr reported, then its column
        image.column = column
        expected = _pixels(_kernel_render(widget, image, setup))
    finally:
        widget.close()
    diff = _best_match(shot, expected)
    # Frames are stored with 64 or 256 colours: close, not bit-identical.
    assert diff.mean() < 1.0, f"mean difference {diff.mean():.2f} of 255"
    assert (diff.max(axis=2) > 48).mean() < 0.002


@pytest.mark.parametrize("name", list(_sample_states()))
def test_static_frame_matches_the_kernel_render(browser, site, name):
    check_matches_kernel(browser, site, name)


@pytest.mark.parametrize(
    ("name", "act"),
    [
        ("step cursor", lambda p: _slider_key(p, ".gw-curves .gw-step", "ArrowLeft", 9)),
        (
            "drawn, regularization and toggles",
            lambda p: (
                _toggle(p, ".gw-curves .gw-source", 1),
                _slider_key(p, ".gw-curves .gw-regularization", "ArrowLeft", 1),
                _slider_key(p, ".gw-curves .gw-step", "ArrowLeft", 12),
                p.locator(".gw-toggle-complexity").first.click(),
            ),
        ),
    ],
)
def test_composed_central_figure_matches_the_kernel_render(browser, site, name, act):
    """The parts the page composes look like the kernel's one frame of that state."""
    from grokwidgets.static.timeline import reg_stops, step_stops
    from grokwidgets.widgets import CurvesWidget
    from grokwidgets.widgets.timeline import measured_stops

    sp = _open(browser, site)
    try:
        count = sp.frame_count(".gw-curves")
        act(sp.page)
        sp.page.wait_for_function(
            "([s, n]) => +document.querySelector(s + ' img.gw-figure').dataset.frame > n",
            arg=[".gw-curves", count],
        )
        # Every key press has been answered: the state and the frame count hold still.
        state = (
            "() => [document.documentElement.dataset.gwLastKey, "
            "document.querySelector('.gw-curves img.gw-figure').dataset.frame]"
        )
        seen = None
        for _ in range(40):
            sp.page.wait_for_timeout(250)
            now = sp.page.evaluate(state)
            if now == seen:
                break
            seen = now
        key = seen[0]
        complexity = sp.page.locator(".gw-toggle-complexity").first.get_attribute("class")
        shot = _pixels(sp.composite(".gw-curves"))
        assert sp.page.evaluate(state) == seen, "the figure changed while it was photographed"
        assert sp.errors == []
    finally:
        sp.context.close()
    source, ri, si = key.removeprefix("timeline:").split("|")
    widget = CurvesWidget(source=source)
    try:
        t = widget.timeline
        t.regularization = (measured_stops() if source == "measured" else reg_stops())[int(ri)]
        t.step = step_stops(t.horizon)[int(si)]
        widget.show_complexity.value = "mod-active" in (complexity or "")
        expected = _pixels(_kernel_render(widget, widget.image, lambda w: None))
    finally:
        widget.close()
    diff = _best_match(shot, expected)
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
