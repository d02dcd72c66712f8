"""Issue 11 on the page: the central figure opens on the measured runs, and its switch works."""

from __future__ import annotations

from typing import Any

import pytest

from ._server import figure_digests, python_error_text, wait_for_settled_frames

pytestmark = pytest.mark.browser

ACTIVE = ".gw-curves .gw-source button.mod-active"


@pytest.mark.parametrize("width", [1280, 800])
def test_measured_on_load_and_the_switch_redraws(open_essay: Any, width: int) -> None:
    essay = open_essay(width=width)
    page = essay.page
    assert page.inner_text(ACTIVE).strip() == "Measured runs"
    assert wait_for_settled_frames(page), "figures kept redrawing"
    before = figure_digests(page, ".gw-curves")
    assert before, "no curves figure on the page"
    page.click(".gw-curves .gw-source button:has-text('Drawn model')")
    page.wait_for_function(
        "(old) => { const f = document.querySelector('.gw-curves img.gw-figure');"
        " return f && f.dataset.frame !== old; }",
        arg=page.eval_on_selector(".gw-curves img.gw-figure", "f => f.dataset.frame"),
        timeout=30_000,
    )
    assert wait_for_settled_frames(page), "figures kept redrawing"
    assert page.inner_text(ACTIVE).strip() == "Drawn model"
    assert figure_digests(page, ".gw-curves") != before
    page.click(".gw-curves .gw-source button:has-text('Measured runs')")
    assert wait_for_settled_frames(page)
    assert page.inner_text(ACTIVE).strip() == "Measured runs"
    assert python_error_text(page.inner_text("body")) == []
    assert essay.watch.console_errors == []
