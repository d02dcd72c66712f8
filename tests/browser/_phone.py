"""Checks both editions' phone tests share (issue 12, point 4): 390 x 844, touch."""

from __future__ import annotations

from typing import Any

#: The narrow layout's smallest text, in CSS px at 1:1 (plots.narrow.MIN_POINTS).
SMALLEST_TEXT_PX = 7.5 * 100 / 72
#: A phone, as Playwright's browser context options.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def assert_fits_a_phone(page: Any) -> None:
    """No horizontal scrolling, no element past the right edge (the PNG/SVG buttons
    included), and body text of 16 px or more."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"page is {width} px wide at 390"
    past = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e =>
            [...e.getClientRects()].some(r => r.width > 0 && r.right > innerWidth + 1)
        ).slice(0, 5).map(e => e.className || e.tagName)"""
    )
    assert past == [], f"past the right edge: {past}"
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


def figures(page: Any) -> list[dict]:
    """Each figure's layout width (CSS px), its image's own pixels and its width on screen."""
    return page.evaluate(
        """() => [...document.querySelectorAll('img.gw-figure')].map(i => ({
            width: +i.getAttribute('width'), natural: i.naturalWidth,
            shown: i.getBoundingClientRect().width, dpr: devicePixelRatio,
        }))"""
    )


def assert_narrow_with_10px_text(fig: dict) -> None:
    """``fig`` (from :func:`figures`) is in the narrow layout, its text 10 CSS px or more."""
    assert fig["width"] <= 380, fig  # the narrow layout (360 CSS px), not 700
    assert SMALLEST_TEXT_PX * fig["shown"] / fig["width"] >= 10, fig


def drag_and_wait(page: Any, slider: str, figure: str, by: float = -60) -> None:
    """Drag ``slider``'s handle ``by`` CSS px, as a finger would, and wait until the first
    figure under ``figure`` shows a new frame."""
    handle = page.locator(f"{slider} .noUi-handle").first
    handle.scroll_into_view_if_needed()
    frame = page.locator(f"{figure} img.gw-figure").first
    before = int(frame.get_attribute("data-frame") or 0)
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + by, y, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "([sel, n]) => +document.querySelector(sel).dataset.frame > n",
        arg=[f"{figure} img.gw-figure", before],
        timeout=15_000,
    )
