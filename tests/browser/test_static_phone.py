"""The static edition on a phone (390 x 844, touch), from file://: issue 12's phone checks.

The site records every figure twice: in its wide layout and in its narrow one (the
layout a phone's column gets on the live page, grokwidgets.plots.narrow). A page
loads only the frames of the layout its column takes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ._phone import (
    PHONE,
    assert_fits_a_phone,
    assert_narrow_with_10px_text,
    drag_and_wait,
    figures,
)
from .test_static import _open, _slider_key, check_matches_kernel

pytestmark = pytest.mark.browser

#: Every figure of the essay in its narrow layout: 360 CSS px wide, drawn at 2x.
NARROW = """() => {
    const imgs = [...document.querySelectorAll('img.gw-figure')];
    return imgs.length >= 7 && imgs.every(i => i.complete
        && +i.getAttribute('width') <= 380 && i.naturalWidth === 2 * i.getAttribute('width'));
}"""


@pytest.fixture(scope="module")
def phone(browser: Any, site: Path) -> Any:
    sp = _open(browser, site, **PHONE)
    sp.page.wait_for_function(NARROW, timeout=60_000)
    yield sp
    sp.context.close()


def _tables(site: Path) -> dict[str, str]:
    """Each frame script of the site -> the layout of the table it holds."""
    html = (site / "index.html").read_text(encoding="utf-8")
    raw = re.search(
        r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', html, re.S
    )
    assert raw is not None
    state = json.loads(raw.group(1))["state"]
    return {
        m["state"]["frames_src"]: m["state"].get("layout", "")
        for m in state.values()
        if m["state"].get("frames_src")
    }


def _needed(site: Path, layout: str) -> set[str]:
    """The scripts a page in ``layout`` needs: its tables', and those they borrow from."""
    tables = _tables(site)
    own = {src for src, lay in tables.items() if lay in (layout, "")}
    borrowed = set()
    for src in own:
        text = (site / src).read_text(encoding="utf-8")
        body = json.loads(text[text.index("] = ") + 4 :].rstrip().rstrip(";"))
        borrowed |= {f[0] for f in body["frames"] if isinstance(f, list)}
    return own | borrowed


def _loaded(page: Any) -> set[str]:
    return set(page.evaluate("() => [...(window.gwFrameLoads || new Map()).keys()]"))


def test_no_horizontal_scroll_16px_text_and_buttons_on_screen(phone):
    assert_fits_a_phone(phone.page)
    assert phone.foreign == [] and phone.errors == []


def test_figures_show_their_narrow_frames_with_10px_text(phone, site):
    shown = figures(phone.page)
    assert len(shown) >= 7
    for fig in shown:
        assert_narrow_with_10px_text(fig)
        # Recorded at device pixel ratio 2 for that layout.
        assert fig["natural"] == 2 * fig["width"], fig
    # Only the narrow layout's frames were loaded (not the wide ones, as large again).
    loaded = _loaded(phone.page)
    assert loaded, "no frame table loaded"
    assert loaded <= _needed(site, "narrow"), loaded - _needed(site, "narrow")


def test_a_dragged_slider_moves_its_narrow_figure(phone):
    page = phone.page
    for scope, slider in ((".gw-curves", ".gw-curves .gw-step"), (".gw-lab", ".gw-lab-step")):
        drag_and_wait(page, slider, scope)
        width = page.locator(f"{scope} img.gw-figure").first.get_attribute("width")
        assert int(width or 0) <= 380
    # Keys work as on the wide page.
    _slider_key(page, ".gw-landscape-reg", "ArrowRight", 2)
    page.wait_for_timeout(300)
    assert page.evaluate(NARROW)
    assert phone.errors == []


@pytest.mark.parametrize("name", ["trust toy case", "basins regularization 0.2"])
def test_narrow_frame_matches_the_kernel_narrow_render(browser, site, name):
    from grokwidgets.plots.narrow import NARROW_WIDTH

    check_matches_kernel(
        browser, site, name, column=NARROW_WIDTH, **{**PHONE, "device_scale_factor": 2}
    )


def test_a_desktop_page_loads_only_the_wide_frames(browser, site):
    sp = _open(browser, site)
    try:
        sp.page.wait_for_function(
            "() => (window.gwStaticFramesLoaded || 0) >= (window.gwStaticFramesWanted || 1)",
            timeout=60_000,
        )
        loaded = _loaded(sp.page)
        assert loaded and loaded <= _needed(site, "wide"), loaded - _needed(site, "wide")
        widths = sp.page.evaluate(
            "() => [...document.querySelectorAll('img.gw-figure')]"
            ".map(i => +i.getAttribute('width'))"
        )
        assert min(widths) >= 600, widths
    finally:
        sp.context.close()


def test_a_page_resized_across_the_narrow_line_changes_layout_and_back(browser, site):
    """A window narrowed (a tablet turned) takes the narrow frames, in the state its
    controls show; widened again, the wide ones."""
    sp = _open(browser, site)
    page = sp.page
    try:
        page.wait_for_function(
            "() => (window.gwStaticFramesLoaded || 0) >= (window.gwStaticFramesWanted || 1)",
            timeout=60_000,
        )
        _slider_key(page, ".gw-landscape-reg", "ArrowRight", 3)  # a state not the opening
        page.wait_for_timeout(300)
        before = sp.digest(".gw-landscape")
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_function(NARROW, timeout=30_000)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        value = page.locator(".gw-landscape-reg .noUi-handle").first.get_attribute("aria-valuenow")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.wait_for_function(
            """() => [...document.querySelectorAll('img.gw-figure')].every(i => i.complete
                && +i.getAttribute('width') >= 600
                && i.naturalWidth === 2 * i.getAttribute('width'))""",
            timeout=30_000,
        )
        page.wait_for_timeout(300)
        # The controls kept their values through both changes, and the figure shows
        # their state again: the same frame as before.
        handle = page.locator(".gw-landscape-reg .noUi-handle").first
        assert handle.get_attribute("aria-valuenow") == value
        assert sp.digest(".gw-landscape") == before
        assert sp.errors == []
    finally:
        sp.context.close()
