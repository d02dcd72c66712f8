"""The essay as a reader gets it: served by Voila, driven in Chromium.

One Voila server for the session; the shared 1280 px page (``essay``) is rendered
once. The keyboard test moves the slider, so it comes last in this file.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ._server import (
    FIGURE,
    REG_HANDLE,
    figure_digests,
    figure_states,
    is_local_url,
    python_error_text,
    wait_for_settled_frames,
)

pytestmark = pytest.mark.browser

CONTROLS = [
    ".gw-regularization",
    ".gw-step",
    ".gw-toggle-complexity",
    ".gw-toggle-a",
    ".gw-toggle-b",
]

SHARPNESS_JS = """() => {
    const dpr = window.devicePixelRatio;
    return [...document.querySelectorAll('img.gw-figure')].map(f => ({
        alt: f.alt, dpr,
        naturalWidth: f.naturalWidth, naturalHeight: f.naturalHeight,
        clientWidth: f.clientWidth, clientHeight: f.clientHeight,
        wantWidth: Math.round(f.clientWidth * dpr), wantHeight: Math.round(f.clientHeight * dpr),
    }));
}"""

FIT_JS = """() => {
    const doc = document.documentElement;
    // Voila's lab shell scrolls inside #rendered_cells, not the document: look at
    // every element that would show a horizontal scrollbar.
    const scrollers = [...document.querySelectorAll('*')].filter(e => {
        const o = getComputedStyle(e).overflowX;
        return (o === 'auto' || o === 'scroll') && e.scrollWidth > e.clientWidth + 1;
    }).map(e => `${e.tagName}#${e.id}.${String(e.className).slice(0, 60)}: `
                + `${e.scrollWidth} > ${e.clientWidth}`);
    return {
        scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth, scrollers,
        figures: [...document.querySelectorAll('img.gw-figure')].map(f => {
            const r = f.getBoundingClientRect();
            const c = (f.closest('.jp-Cell') || document.body).getBoundingClientRect();
            return {alt: f.alt.slice(0, 40), left: r.left, right: r.right,
                    column: [c.left, c.right]};
        }),
    };
}"""


def _unsharp(figs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        f
        for f in figs
        if f["naturalWidth"] == 0
        or abs(f["naturalWidth"] - f["wantWidth"]) > 1
        or abs(f["naturalHeight"] - f["wantHeight"]) > 1
    ]


def _assert_sharp(page: Any, timeout_s: float = 20.0) -> None:
    """Each figure's PNG has exactly as many pixels as its CSS box has device pixels."""
    deadline = page.evaluate("performance.now()") + timeout_s * 1000
    while True:
        figs = page.evaluate(SHARPNESS_JS)
        bad = _unsharp(figs)
        if not bad or page.evaluate("performance.now()") > deadline:
            break
        page.wait_for_timeout(250)  # the kernel may still be redrawing for a new size
    assert len(figs) >= 2
    assert not bad, f"figures not drawn at device resolution (upscaled or blurred): {bad}"


def _assert_fits(page: Any) -> None:
    fit = page.evaluate(FIT_JS)
    assert fit["scrollWidth"] <= fit["innerWidth"], f"horizontal scroll: {fit}"
    assert fit["scrollers"] == [], f"horizontal scrollbars: {fit}"
    for f in fit["figures"]:
        left, right = f["column"]
        assert f["left"] >= left - 1 and f["right"] <= right + 1, f"figure overflows: {fit}"


def test_widgets_render(essay: Any) -> None:
    page = essay.page
    figs = page.locator(FIGURE)
    assert figs.count() >= 2
    for i in range(figs.count()):
        fig = figs.nth(i)
        assert fig.get_attribute("src"), f"figure {i} has no src"
        assert fig.get_attribute("alt"), f"figure {i} has no alt text"
        assert fig.evaluate("f => f.complete && f.naturalWidth > 0"), f"figure {i} not decoded"
        assert fig.is_visible()
    for sel in CONTROLS:
        assert page.locator(sel).count() >= 1, f"no control {sel!r} on the page"
    assert page.locator(REG_HANDLE).count() >= 1
    assert page.locator(".gw-step .noUi-handle").count() >= 1
    # ipywidgets' Play is a row of icon buttons; the first one plays.
    assert page.locator(".widget-play button, .jupyter-widgets.widget-play").count() >= 1, (
        "no Play button"
    )


def test_no_error_on_page(essay: Any) -> None:
    page = essay.page
    text = page.locator("body").inner_text()
    assert not python_error_text(text), f"error text on the page: {python_error_text(text)}"
    assert page.locator(".jp-OutputArea-output[data-mime-type*=error]").count() == 0
    assert page.locator('[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0
    shown = [e.inner_text() for e in page.locator(".gw-error").all() if e.is_visible()]
    assert not [t for t in shown if t.strip()], f"a figure reports an error: {shown}"
    assert essay.watch.page_errors == []
    assert essay.watch.console_errors == []


def test_page_stays_on_its_server(essay: Any) -> None:
    watch = essay.watch
    assert watch.external_requests == [], "requests to other hosts (aborted by the test)"
    assert watch.failed_requests == []
    assert watch.bad_responses == []
    assert watch.websockets, "the page opened no kernel websocket"
    # Nothing in the DOM points elsewhere either (stylesheets, scripts, images, fonts).
    urls = essay.page.evaluate(
        """() => [...document.querySelectorAll('link[href], script[src], img[src], iframe[src]')]
                 .map(e => e.href || e.src)"""
    )
    assert [u for u in urls if not is_local_url(u)] == []
    # ...nor do inline scripts load code from elsewhere (as nbconvert's Mermaid loader
    # does from cdnjs when a page has a diagram; our Voila template drops it).
    inline = essay.page.evaluate(
        "() => [...document.querySelectorAll('script:not([src])')].map(s => s.textContent)"
    )
    remote = re.compile(r"""(?:import|fetch)\s*\(\s*["'](?:https?:)?//""")
    assert [m.group(0) for js in inline for m in remote.finditer(js)] == []


@pytest.mark.parametrize(("width", "dpr"), [(1280, 1), (800, 2)], ids=["1280px-dpr1", "800px-dpr2"])
def test_figures_sharp_and_fit(essay: Any, open_essay: Any, width: int, dpr: int) -> None:
    if (width, dpr) == (1280, 1):
        target = essay
    else:
        target = open_essay(width=width, dpr=dpr)
    page = target.page
    assert page.evaluate("window.devicePixelRatio") == dpr
    _assert_sharp(page)
    _assert_fits(page)
    assert target.watch.external_requests == []
    assert target.watch.console_errors == []


def test_figures_follow_a_narrower_window(essay: Any) -> None:
    page = essay.page
    try:
        page.set_viewport_size({"width": 800, "height": 900})
        wait_for_settled_frames(page)
        _assert_sharp(page)
        _assert_fits(page)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
        wait_for_settled_frames(page)


def test_keyboard_moves_regularization(essay: Any) -> None:
    """Focus the regularization handle, press an arrow key: the figure redraws."""
    page = essay.page
    wait_for_settled_frames(page)
    before = figure_states(page)
    digests_before = figure_digests(page)
    slider = page.locator(".gw-regularization").first
    readout = slider.locator(".widget-readout")
    value_before = readout.inner_text() if readout.count() else None

    handle = slider.locator(".noUi-handle")
    now, top = handle.evaluate(
        "h => [h.getAttribute('aria-valuenow'), h.getAttribute('aria-valuemax')]"
    )
    key = "ArrowLeft" if now is not None and float(now) >= float(top) else "ArrowRight"
    handle.focus()
    for _ in range(3):
        page.keyboard.press(key)

    frames_before = [s["frame"] for s in before]
    page.wait_for_function(
        """(old) => [...document.querySelectorAll('img.gw-figure')]
                    .some((f, i) => f.dataset.frame !== old[i])""",
        arg=frames_before,
        timeout=30_000,
    )
    wait_for_settled_frames(page)
    after = figure_states(page)
    digests_after = figure_digests(page)

    changed = [
        i for i, (b, a) in enumerate(zip(before, after, strict=True)) if b["frame"] != a["frame"]
    ]
    assert changed, f"no figure took a new frame: {before} -> {after}"
    assert any(digests_before[i] != digests_after[i] for i in changed), (
        "the figure took a new frame with the same pixels"
    )
    if value_before is not None:
        assert readout.inner_text() != value_before, "the slider's value did not change"
    assert essay.watch.console_errors == []
    assert essay.watch.page_errors == []


def test_a_notebook_without_draw_held_figures_still_draws(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Under Voila first draws are held for the last cell; a view with no frame asks."""
    from ._server import (
        PageWatch,
        VoilaServer,
        figure_digests,
        wait_for_settled_frames,
        write_notebook,
    )

    folder = tmp_path_factory.mktemp("held")
    code = "from grokwidgets.widgets import CurvesWidget, Timeline\n\nCurvesWidget(Timeline())"
    path = write_notebook(folder / "held.ipynb", [("code", code)])
    with VoilaServer(path, log_path=folder / "voila.log") as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        watch = PageWatch().attach(context)
        try:
            page = context.new_page()
            page.goto(server.url, timeout=120_000)
            page.wait_for_function(  # raises on timeout
                "() => [...document.querySelectorAll('img.gw-figure')]"
                ".some(f => f.dataset.frame && f.naturalWidth > 0)",
                timeout=60_000,
            )
            assert wait_for_settled_frames(page), "the figure kept redrawing for 30 s"
            first = figure_digests(page)
            assert len(first) == 1 and all(first), first
            # A real drawing, not a blank frame: many distinct colours in its pixels.
            colours = page.evaluate(
                """() => {
                    const f = document.querySelector('img.gw-figure');
                    const c = document.createElement('canvas');
                    c.width = f.naturalWidth; c.height = f.naturalHeight;
                    const ctx = c.getContext('2d'); ctx.drawImage(f, 0, 0);
                    const d = ctx.getImageData(0, 0, c.width, c.height).data;
                    const seen = new Set();
                    for (let i = 0; i < d.length; i += 4) {
                        seen.add(d[i] << 16 | d[i + 1] << 8 | d[i + 2]);
                    }
                    return seen.size;
                }"""
            )
            assert colours >= 20, f"the figure looks blank ({colours} colours)"
            assert figure_digests(page) == first, "the settled figure changed its pixels"
            assert watch.console_errors == [] and watch.page_errors == [], watch
            page.close(run_before_unload=True)
        finally:
            context.close()
