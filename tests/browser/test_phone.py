"""The Voila page on a phone (390 x 844, touch): issue 12's phone checks, live edition.

Figures are laid out for the narrow column (FigureImage.column, plots.narrow), not
shrunk: shown at their own size, their smallest text (7.5 pt at 100 dpi) is at least
10 CSS px.
"""

from __future__ import annotations

from typing import Any

import pytest

from ._server import wait_for_settled_frames

pytestmark = pytest.mark.browser

#: The narrow layout's smallest text, in CSS px at 1:1 (plots.narrow.MIN_POINTS).
SMALLEST_TEXT_PX = 7.5 * 100 / 72


@pytest.fixture(scope="module")
def phone(open_essay: Any) -> Any:
    essay = open_essay(width=390, height=844, dpr=3, mobile=True)
    page = essay.page
    # Every figure reports its column and is redrawn in its narrow layout.
    page.wait_for_function(
        """() => {
            const imgs = [...document.querySelectorAll('img.gw-figure')];
            return imgs.length >= 7 && imgs.every(i => +i.getAttribute('width') <= 380
                && i.naturalWidth > 0 && i.naturalWidth <= 380 * devicePixelRatio);
        }""",
        timeout=60_000,
    )
    wait_for_settled_frames(page)
    return essay


def test_no_horizontal_scroll_and_16px_body_text(phone):
    page = phone.page
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('.jp-RenderedMarkdown p')]
            .map(p => parseFloat(getComputedStyle(p).fontSize))"""
    )
    assert sizes and min(sizes) >= 16
    cut = page.evaluate(
        """() => [...document.querySelectorAll('.gw-save')]
            .filter(b => b.getBoundingClientRect().right > innerWidth + 1).length"""
    )
    assert cut == 0, "a PNG/SVG button runs past the right edge"


def test_figures_take_their_narrow_layout_with_10px_text(phone):
    shown = phone.page.evaluate(
        """() => [...document.querySelectorAll('img.gw-figure')].map(i => ({
            width: +i.getAttribute('width'), natural: i.naturalWidth,
            shown: i.getBoundingClientRect().width, dpr: devicePixelRatio,
        }))"""
    )
    assert len(shown) >= 7
    for fig in shown:
        assert fig["width"] <= 380, fig  # the narrow layout (360 CSS px), not 700
        scale = fig["shown"] / fig["width"]
        assert SMALLEST_TEXT_PX * scale >= 10, fig
        # Drawn in that layout, for the screen: as many pixels as the phone shows.
        assert abs(fig["natural"] - fig["width"] * fig["dpr"]) <= 2, fig
    assert phone.watch.console_errors == []


def test_sliders_can_be_dragged(phone):
    page = phone.page
    handle = page.locator(".gw-curves .gw-step .noUi-handle").first
    handle.scroll_into_view_if_needed()
    frame = page.locator(".gw-curves img.gw-figure").first
    before = int(frame.get_attribute("data-frame") or 0)
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 80, y, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "([sel, n]) => +document.querySelector(sel).dataset.frame > n",
        arg=[".gw-curves img.gw-figure", before],
        timeout=15_000,
    )
