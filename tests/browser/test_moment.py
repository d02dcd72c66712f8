"""Links to a moment, in both editions: the address records the figure last moved and
its controls; opening such a link restores them and scrolls to the figure.

The Voila page is served once per session (``voila_server``); each test here opens
pages of its own, so shared pages keep their state. The static edition is the
session's one build (``site``), opened from file:// with every other request aborted.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest

from ._server import PageWatch, figure_digests, wait_for_essay, wait_for_settled_frames
from .test_static import _open

pytestmark = pytest.mark.browser

#: A figure and what a link to it restores, per edition. On the Voila page every
#: control works; in the static edition the measured weight-decay slider moves the
#: central figure and the structure panel in every build, the step cursor where the
#: build recorded frames for it.
VOILA_LINK = "#structure?weight_decay=0.5&step=501.187"
STATIC_LINK = "#curves?weight_decay=0.5"


def _link(page: Any) -> tuple[str, dict[str, str]]:
    """The figure the address names and its controls' values."""
    text = page.evaluate("() => decodeURIComponent(location.hash)").lstrip("#")
    name, _, query = text.partition("?")
    return name, {k: v[-1] for k, v in parse_qs(query).items()}


def _readout(page: Any, figure: str, control: str) -> str:
    return page.locator(f".gw-moment-{figure} {control} .widget-readout").first.inner_text()


def _in_view(page: Any, figure: str) -> dict[str, float]:
    return page.evaluate(
        """(css) => {
            const r = document.querySelector(css).getBoundingClientRect();
            return {top: r.top, bottom: r.bottom, height: innerHeight};
        }""",
        f".gw-moment-{figure}",
    )


def _assert_scrolled_into_view(page: Any, opening: Any, figure: str) -> None:
    """``figure`` is at the top of the view on ``page``, and below it on ``opening``
    (the page scrolled to it; Voila's scrolling element is not the window)."""
    was, box = _in_view(opening, figure), _in_view(page, figure)
    assert was["top"] >= was["height"] / 2, f"{figure} is in view unscrolled: {was}"
    assert -2 <= box["top"] < box["height"] / 2, f"{figure} is not in view: {box}"


def _press(page: Any, figure: str, control: str, key: str) -> None:
    handle = page.locator(f".gw-moment-{figure} {control} .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    page.keyboard.press(key)


def _wait_restored(page: Any, figure: str) -> None:
    page.wait_for_function(
        "(f) => document.documentElement.dataset.gwMomentRestored === f",
        arg=figure,
        timeout=60_000,
    )


# --------------------------------------------------------------------------- Voila


def _voila_page(browser: Any, server: Any, fragment: str = "") -> tuple[Any, Any, PageWatch]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watch = PageWatch().attach(context)
    page = context.new_page()
    page.goto(server.url + fragment, wait_until="load", timeout=120_000)
    try:
        wait_for_essay(page)
    except Exception as exc:
        context.close()
        raise AssertionError(
            f"the essay did not render: {exc}\nconsole errors: {watch.console_errors}\n"
            f"page errors: {watch.page_errors}\nVoila log:\n{server.log_tail()}"
        ) from exc
    return context, page, watch


@pytest.fixture(scope="module")
def voila_opening(browser, voila_server):
    """A Voila page opened with no link: its figures as the essay opens them."""
    context, page, watch = _voila_page(browser, voila_server)
    assert wait_for_settled_frames(page), "the opening page's figures never settled"
    yield page, watch
    context.close()


def test_voila_link_restores_the_figure_and_scrolls_to_it(browser, voila_server, voila_opening):
    opening, _ = voila_opening
    before = figure_digests(opening, ".gw-moment-structure")
    assert _readout(opening, "structure", ".gw-weight-decay") == "1"
    context, page, watch = _voila_page(browser, voila_server, VOILA_LINK)
    try:
        _wait_restored(page, "structure")
        page.wait_for_function(
            """() => {
                const q = (s) => document.querySelector(
                    `.gw-moment-structure ${s} .widget-readout`)?.innerText;
                return q('.gw-weight-decay') === '0.5' && q('.gw-step') === '501';
            }""",
            timeout=30_000,
        )
        assert wait_for_settled_frames(page), "the linked page's figures never settled"
        assert figure_digests(page, ".gw-moment-structure") != before
        # The curves share the timeline: they moved too, but the link is the structure's.
        assert _readout(page, "curves", ".gw-weight-decay") == "0.5"
        assert _link(page)[0] == "structure"
        _assert_scrolled_into_view(page, opening, "structure")
        assert watch.console_errors == [] and watch.page_errors == []
    finally:
        context.close()


def test_voila_moving_a_control_writes_the_link_of_that_figure_only(voila_opening):
    page, watch = voila_opening
    length = page.evaluate("() => history.length")
    _press(page, "curves", ".gw-weight-decay", "ArrowLeft")
    page.wait_for_function("() => location.hash.startsWith('#curves')", timeout=10_000)
    shown = _readout(page, "curves", ".gw-weight-decay")
    name, values = _link(page)
    assert (name, values.get("weight_decay")) == ("curves", shown)
    # The structure panel followed the shared timeline and did not take the link.
    page.wait_for_function(
        "(v) => document.querySelector('.gw-moment-structure .gw-weight-decay "
        ".widget-readout').innerText === v",
        arg=shown,
    )
    page.wait_for_timeout(500)
    assert _link(page)[0] == "curves"
    _press(page, "structure", ".gw-step", "Home")  # the page opens at the end
    page.wait_for_function("() => location.hash.startsWith('#structure')", timeout=10_000)
    name, values = _link(page)
    assert values.get("step") == page.evaluate(
        "() => document.querySelector('.gw-moment-structure .gw-step .widget-readout')"
        ".innerText.replace(/,/g, '')"
    )
    assert values.get("weight_decay") == shown
    assert page.evaluate("() => history.length") == length, "the link added history entries"
    assert watch.console_errors == [] and watch.page_errors == []


# --------------------------------------------------------------------------- static


def _static_at(browser: Any, site: Any, fragment: str) -> Any:
    """The static page opened (loaded, not only scrolled) at ``fragment``: a second
    tab of a context :func:`_open` set up (every request outside the site aborted)."""
    sp = _open(browser, site)
    page, errors = sp.context.new_page(), []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    page.goto((site / "index.html").as_uri() + fragment)
    sp.page.close()
    sp.page, sp.errors = page, errors
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.gw-figure')].every(i => +i.dataset.frame >= 1)",
        timeout=60_000,
    )
    return sp


@pytest.fixture(scope="module")
def static_opening(browser, site):
    sp = _open(browser, site)
    yield sp
    sp.context.close()


def test_static_link_restores_the_figure_and_scrolls_to_it(browser, site, static_opening):
    before = static_opening.digest(".gw-moment-curves")
    before_structure = static_opening.digest(".gw-moment-structure")
    assert _readout(static_opening.page, "curves", ".gw-weight-decay") == "1"
    sp = _static_at(browser, site, STATIC_LINK)
    try:
        page = sp.page
        _wait_restored(page, "curves")
        assert _readout(page, "curves", ".gw-weight-decay") == "0.5"
        # StaticFrames picked the recorded row (it marks the key it applied).
        page.wait_for_function("() => document.documentElement.dataset.gwLastKey !== undefined")
        page.wait_for_timeout(200)
        assert sp.digest(".gw-moment-curves") != before, "the link did not change the figure"
        # The structure panel shares the timeline: its recorded frame follows.
        assert _readout(page, "structure", ".gw-weight-decay") == "0.5"
        assert sp.digest(".gw-moment-structure") != before_structure
        _assert_scrolled_into_view(page, static_opening.page, "curves")
        assert _link(page) == ("curves", {"weight_decay": "0.5"})
        assert sp.errors == [] and sp.foreign == []
    finally:
        sp.context.close()


def test_static_link_restores_the_step_cursor_where_it_has_frames(browser, site, static_opening):
    page = static_opening.page
    step = page.locator(".gw-moment-curves .gw-step .noUi-target").first
    if step.count() == 0 or step.get_attribute("disabled") is not None:
        pytest.skip("this build records no frames for the step cursor")
    before = static_opening.digest(".gw-moment-curves")
    assert _readout(page, "curves", ".gw-step") == "3,000"
    sp = _static_at(browser, site, "#curves?step=501.187")
    try:
        _wait_restored(sp.page, "curves")
        assert _readout(sp.page, "curves", ".gw-step") == "501"
        sp.page.wait_for_timeout(300)
        assert sp.digest(".gw-moment-curves") != before, "the step link did not move the figure"
        _assert_scrolled_into_view(sp.page, page, "curves")
        assert sp.errors == [] and sp.foreign == []
    finally:
        sp.context.close()


def test_static_link_with_unknown_names_or_values_is_ignored(browser, site, static_opening):
    before = static_opening.digest(".gw-moment-curves")
    for fragment in ("#curves?weight_decay=banana&nosuch=3&step=-1", "#nosuch?step=500"):
        sp = _static_at(browser, site, fragment)
        try:
            page = sp.page
            if fragment.startswith("#curves"):
                _wait_restored(page, "curves")
            else:
                page.wait_for_timeout(500)
            assert _readout(page, "curves", ".gw-weight-decay") == "1"
            assert sp.digest(".gw-moment-curves") == before
            assert sp.errors == [] and sp.foreign == [], fragment
        finally:
            sp.context.close()


def test_static_moving_a_control_writes_the_link_of_that_figure_only(static_opening):
    page = static_opening.page
    length = page.evaluate("() => history.length")
    _press(page, "structure", ".gw-weight-decay", "ArrowRight")
    page.wait_for_function("() => location.hash.startsWith('#structure')", timeout=10_000)
    shown = _readout(page, "structure", ".gw-weight-decay")
    assert shown != "1"
    assert _link(page) == ("structure", {"weight_decay": shown})
    # The curves' slider follows from the frame table; the link stays the structure's.
    assert _readout(page, "curves", ".gw-weight-decay") == shown
    page.wait_for_timeout(300)
    assert _link(page)[0] == "structure"
    _press(page, "curves", ".gw-weight-decay", "ArrowLeft")
    page.wait_for_function("() => location.hash.startsWith('#curves')", timeout=10_000)
    assert _link(page)[0] == "curves"
    assert page.evaluate("() => history.length") == length, "the link added history entries"
    assert static_opening.errors == [] and static_opening.foreign == []
