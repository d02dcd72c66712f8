"""The live page shows a frame it has seen again at once, before the kernel answers
(FigureImage.cache_by): issue 12's "states whose frames are known show without a
kernel round trip", for visited states."""

from __future__ import annotations

from typing import Any

import pytest

from ._server import figure_digests, wait_for_settled_frames

pytestmark = pytest.mark.browser

RECORD_JS = """(sel) => {
    const img = document.querySelector(sel + ' img.gw-figure');
    window.gwSources = [];
    new MutationObserver(() => window.gwSources.push(img.dataset.source))
        .observe(img, { attributes: true, attributeFilter: ['data-frame'] });
}"""


def _press(page: Any, css: str, key: str) -> None:
    handle = page.locator(f"{css} .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press(key)


@pytest.mark.parametrize(
    ("figure", "slider", "away", "back"),
    [
        (".gw-curves", ".gw-curves .gw-step", "ArrowLeft", "ArrowRight"),  # starts at the end
        (".gw-landscape", ".gw-landscape-reg", "ArrowRight", "ArrowLeft"),  # starts at 0
    ],
)
def test_a_state_seen_before_shows_from_the_page_first(open_essay, figure, slider, away, back):
    essay = open_essay(fresh=True)
    page = essay.page
    try:
        if page.locator(figure).count() == 0:
            pytest.skip(f"the essay has no {figure} figure")
        wait_for_settled_frames(page)
        opening = figure_digests(page, figure)
        page.evaluate(RECORD_JS, figure)
        _press(page, slider, away)  # a new state: the kernel draws it
        page.wait_for_function("() => window.gwSources.includes('kernel')", timeout=20_000)
        wait_for_settled_frames(page)
        assert figure_digests(page, figure) != opening
        page.evaluate("() => { window.gwSources = []; }")
        _press(page, slider, back)  # back to the opening state, seen before
        page.wait_for_function("() => window.gwSources.length > 0", timeout=20_000)
        assert page.evaluate("() => window.gwSources[0]") == "cache"
        wait_for_settled_frames(page)
        # The kernel's own frame of that state follows, and looks the same.
        assert figure_digests(page, figure) == opening
        assert essay.watch.console_errors == []
    finally:
        essay.context.close()
