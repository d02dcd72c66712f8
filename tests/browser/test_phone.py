"""The Voila page on a phone (390 x 844, touch): issue 12's phone checks, live edition.

Figures are laid out for the narrow column (FigureImage.column, plots.narrow), not
shrunk: shown at their own size, their smallest text (7.5 pt at 100 dpi) is at least
10 CSS px.
"""

from __future__ import annotations

from typing import Any

import pytest

from ._phone import assert_fits_a_phone, assert_narrow_with_10px_text, drag_and_wait, figures
from ._server import wait_for_settled_frames

pytestmark = pytest.mark.browser


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
    assert_fits_a_phone(phone.page)


def test_figures_take_their_narrow_layout_with_10px_text(phone):
    shown = figures(phone.page)
    assert len(shown) >= 7
    for fig in shown:
        assert_narrow_with_10px_text(fig)
        # Drawn in that layout, for the screen: as many pixels as the phone shows.
        assert abs(fig["natural"] - fig["width"] * fig["dpr"]) <= 2, fig
    assert phone.watch.console_errors == []


def test_sliders_can_be_dragged(phone):
    drag_and_wait(phone.page, ".gw-curves .gw-step", ".gw-curves", by=-80)
