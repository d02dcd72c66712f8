"""The essay as a reading page: layout, controls, keyboard, light and dark.

Four pages, shared with test_page.py where they coincide (see ``open_essay``):
1280 px light (``essay``), 800 px light at device scale factor 2, and 1280 px and
800 px with the browser preferring a dark colour scheme (the server's theme is
"light", which our Voila template reads as "follow the reader").

The slider tests move sliders; they run on the 1280 px dark page and the 800 px
light page, never on ``essay``, whose tests in test_page.py read the figures
as the notebook left them.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from ._server import (
    FIGURE,
    ROOT,
    figure_digests,
    figure_states,
    python_error_text,
    wait_for_settled_frames,
)

pytestmark = pytest.mark.browser

MIN_FIGURES = 7

# (figure widget, slider inside it, key to press, why that key). The key is
# swapped for its opposite when the handle already sits at that end.
SLIDERS = [
    (".gw-curves", "gw-regularization", "ArrowRight", "one step up the log scale"),
    (".gw-curves", "gw-step", "ArrowRight", "the cursor moves along the run"),
    (".gw-structure", "gw-regularization", "ArrowRight", "the same Timeline as the curves"),
    # The measured structure panel shows the checkpoint at or before the cursor, so
    # it redraws when the cursor reaches another checkpoint (End: step 3,000).
    (".gw-structure", "gw-step", "End", "the same Timeline, another checkpoint"),
    (".gw-lab", "gw-lab-wd", "Home", "weight decay 0: a shipped run (1.5, right of 1, has none)"),
    (".gw-lab", "gw-lab-step", "End", "the checkpoint slider starts at the last checkpoint"),
    (".gw-landscape", "gw-landscape-reg", "End", "regularization 1 tilts the landscape"),
]
OPPOSITE = {"ArrowRight": "ArrowLeft", "ArrowLeft": "ArrowRight", "Home": "End", "End": "Home"}

DROPDOWNS = [
    (".gw-singular", "gw-singular-seed"),
    (".gw-landscape", "gw-landscape-seed"),
    (".gw-complexity", "gw-complexity-run"),
]

PAGES = {
    "1280-light": {"width": 1280, "dpr": 1},
    "800-light": {"width": 800, "dpr": 2},
    "1280-dark": {"width": 1280, "dpr": 1, "color_scheme": "dark"},
    "800-dark": {"width": 800, "dpr": 1, "color_scheme": "dark"},
}
# Pages whose sliders the tests here may move (see the module docstring).
INTERACTIVE = ["1280-dark", "800-light"]


@pytest.fixture
def page_of(open_essay: Any) -> Any:
    def _get(name: str) -> Any:
        return open_essay(**PAGES[name])

    return _get


# --------------------------------------------------------------------- helpers

FRAMES_IN_JS = """(sel) => [...document.querySelectorAll(sel + ' img.gw-figure')]
    .map(f => f.dataset.frame ?? null)"""

WAIT_NEW_FRAME_JS = """([sel, old]) => {
    const now = [...document.querySelectorAll(sel + ' img.gw-figure')]
        .map(f => f.dataset.frame ?? null);
    return now.length === old.length && now.some((f, i) => f !== old[i]);
}"""


def _new_frame_after(
    page: Any, container: str, action: Any, control: Any = None, timeout_ms: int = 30_000
) -> None:
    """Run ``action()``; wait for a figure inside ``container`` to take a new frame.

    ``control`` (a locator) is scrolled to the middle of the window first: figures far
    off screen do not redraw until they are scrolled into view (FigureImage.visible).
    """
    if control is not None:
        control.evaluate("e => e.scrollIntoView({block: 'center'})")
    wait_for_settled_frames(page, quiet_ms=400)
    before = page.evaluate(FRAMES_IN_JS, container)
    assert before, f"no figure inside {container}"
    action()
    try:
        page.wait_for_function(WAIT_NEW_FRAME_JS, arg=[container, before], timeout=timeout_ms)
    except Exception as exc:
        raise AssertionError(
            f"no new frame in {container} after the action: {before} -> "
            f"{page.evaluate(FRAMES_IN_JS, container)}"
        ) from exc


def _relative_luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(fg: tuple[float, float, float], bg: tuple[float, float, float]) -> float:
    lf, lb = _relative_luminance(fg), _relative_luminance(bg)
    return (max(lf, lb) + 0.05) / (min(lf, lb) + 0.05)


# Text colour (blended over its background) and the first opaque background behind it.
COLOURS_JS = """(sel) => {
    const parse = (c) => {
        const m = c.match(/rgba?\\(([^)]+)\\)/);
        if (!m) return null;
        const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
        return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const background = (e) => {
        const layers = [];
        for (let n = e; n; n = n.parentElement) {
            const c = parse(getComputedStyle(n).backgroundColor);
            if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
        }
        let out = [255, 255, 255];  // the canvas, if nothing is opaque
        for (const c of layers.reverse()) out = out.map((v, i) => c[i] * c[3] + v * (1 - c[3]));
        return out;
    };
    return [...document.querySelectorAll(sel)].filter(e => e.offsetParent !== null)
        .slice(0, 400).map(e => {
            const bg = background(e);
            const fg = parse(getComputedStyle(e).color);
            const text = fg.slice(0, 3).map((v, i) => v * fg[3] + bg[i] * (1 - fg[3]));
            return {what: e.tagName + '.' + String(e.className).slice(0, 40),
                    text: (e.innerText || '').trim().slice(0, 40), fg: text, bg};
        });
}"""

LINES_JS = """() => [...document.querySelectorAll('#rendered_cells .jp-RenderedMarkdown p')]
    .filter(p => p.offsetParent !== null).map(p => {
        const lh = parseFloat(getComputedStyle(p).lineHeight);
        const lines = Math.round(p.getBoundingClientRect().height / lh);
        return {chars: p.textContent.replace(/\\s+/g, ' ').trim().length, lines,
                width: p.getBoundingClientRect().width};
    })"""

OVERFLOW_JS = """() => {
    const column = document.querySelector('#rendered_cells > div').getBoundingClientRect();
    const doc = document.documentElement;
    const scrollers = [...document.querySelectorAll('*')].filter(e => {
        const o = getComputedStyle(e).overflowX;
        return (o === 'auto' || o === 'scroll') && e.scrollWidth > e.clientWidth + 1;
    }).map(e => `${e.tagName}.${String(e.className).slice(0, 60)}: `
                + `${e.scrollWidth} > ${e.clientWidth}`);
    const sel = '#rendered_cells .jupyter-widgets, #rendered_cells .widget-hbox, '
        + '#rendered_cells .widget-vbox, #rendered_cells img.gw-figure, '
        + '#rendered_cells .jp-RenderedMarkdown > *';
    const outside = [...document.querySelectorAll(sel)].filter(e => e.offsetParent !== null)
        .map(e => ({e, r: e.getBoundingClientRect()}))
        .filter(({r}) => r.width > 0 && (r.left < column.left - 1 || r.right > column.right + 1))
        .map(({e, r}) => `${e.tagName}.${String(e.className).slice(0, 60)}: `
                         + `${Math.round(r.left)}..${Math.round(r.right)}`);
    return {scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth,
            cellsScroll: [document.getElementById('rendered_cells').scrollWidth,
                          document.getElementById('rendered_cells').clientWidth],
            column: [column.left, column.right], scrollers, outside};
}"""


# --------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", list(PAGES))
def test_page_renders_every_figure(page_of: Any, name: str) -> None:
    essay = page_of(name)
    page = essay.page
    figs = page.locator(FIGURE)
    assert figs.count() >= MIN_FIGURES, f"{figs.count()} figures, expected {MIN_FIGURES}"
    states = figure_states(page)
    assert all(s["frame"] for s in states), f"a figure has not drawn: {states}"
    alts = page.evaluate(
        "() => [...document.querySelectorAll('img.gw-figure')].map(f => f.alt.trim())"
    )
    assert all(alts), f"a figure has no alt text: {alts}"
    for sel in (".gw-curves", ".gw-structure", ".gw-lab", ".gw-complexity", ".gw-landscape"):
        assert page.locator(sel).count() >= 1, f"no {sel} on the page"
    text = page.locator("body").inner_text()
    assert not python_error_text(text), python_error_text(text)
    shown = [e.inner_text() for e in page.locator(".gw-error").all() if e.is_visible()]
    assert not [t for t in shown if t.strip()], f"a figure reports an error: {shown}"
    assert essay.watch.external_requests == [], "requests to other hosts (aborted)"
    assert essay.watch.failed_requests == []
    assert essay.watch.bad_responses == []
    assert essay.watch.console_errors == []
    assert essay.watch.page_errors == []


def test_reading_layout(page_of: Any) -> None:
    """One centred column; prose at a readable measure; no notebook chrome."""
    page = page_of("1280-light").page
    column = page.evaluate(
        """() => { const r = document.querySelector('#rendered_cells > div')
                      .getBoundingClientRect(); return [r.left, r.right, window.innerWidth]; }"""
    )
    left, right, inner = column
    assert 600 <= right - left <= 800, f"column width {right - left}"
    assert abs(left - (inner - right)) < 30, f"column not centred: {column}"
    lines = [p for p in page.evaluate(LINES_JS) if p["lines"] >= 3]
    assert len(lines) >= 10
    per_line = sorted(p["chars"] / (p["lines"] - 0.5) for p in lines)
    median = per_line[len(per_line) // 2]
    assert 55 <= median <= 85, f"{median:.0f} characters a line: {per_line}"
    chrome = page.evaluate(
        """() => [...document.querySelectorAll(
                '.jp-InputPrompt, .jp-OutputPrompt, .jp-Collapser, .jp-InputArea-editor')]
                .filter(e => e.offsetParent !== null).length"""
    )
    assert chrome == 0, "notebook prompts or editors are visible"
    title = page.locator("#rendered_cells h1").first
    assert title.is_visible() and "Grokking" in title.inner_text()
    size = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector("
        "'#rendered_cells .jp-RenderedMarkdown p')).fontSize)"
    )
    assert size >= 16, f"prose at {size}px"


@pytest.mark.parametrize("name", ["800-light", "800-dark"])
def test_no_horizontal_overflow_at_800(page_of: Any, name: str) -> None:
    page = page_of(name).page
    wait_for_settled_frames(page)
    fit = page.evaluate(OVERFLOW_JS)
    assert fit["scrollWidth"] <= fit["innerWidth"], f"horizontal scroll: {fit}"
    assert fit["cellsScroll"][0] <= fit["cellsScroll"][1], f"horizontal scroll: {fit}"
    assert fit["scrollers"] == [], f"horizontal scrollbars: {fit}"
    assert fit["outside"] == [], f"wider than the column: {fit}"


@pytest.mark.parametrize("name", ["1280-dark", "800-dark"])
def test_dark_theme_is_readable(page_of: Any, name: str) -> None:
    """The reader prefers dark: dark page, light text, figures on a light card."""
    page = page_of(name).page
    state = page.evaluate(
        """() => ({theme: document.documentElement.dataset.gwTheme,
                   body: document.body.className,
                   light: document.body.dataset.jpThemeLight})"""
    )
    assert state == {"theme": "dark", "body": "jp-Notebook theme-dark", "light": "false"}
    prose = page.evaluate(
        COLOURS_JS,
        "#rendered_cells .jp-RenderedMarkdown p, #rendered_cells .jp-RenderedMarkdown li, "
        "#rendered_cells .jp-RenderedMarkdown h1, #rendered_cells .jp-RenderedMarkdown h2",
    )
    controls = page.evaluate(
        COLOURS_JS,
        "#rendered_cells .widget-label, #rendered_cells .widget-readout, "
        "#rendered_cells .jupyter-button, #rendered_cells select, "
        "#rendered_cells .widget-html-content",
    )
    assert len(prose) > 20 and len(controls) > 10
    page_bg = prose[0]["bg"]
    assert _relative_luminance(page_bg) < 0.05, f"the page is not dark: {page_bg}"
    low = [
        (c["what"], c["text"], round(_contrast(c["fg"], c["bg"]), 1))
        for c in prose
        if _contrast(c["fg"], c["bg"]) < 7
    ]
    assert low == [], f"prose below 7:1 contrast: {low}"
    low = [
        (c["what"], c["text"], round(_contrast(c["fg"], c["bg"]), 1))
        for c in controls
        if c["text"] and _contrast(c["fg"], c["bg"]) < 4.5
    ]
    assert low == [], f"controls below 4.5:1 contrast: {low}"
    cards = page.evaluate(
        """() => [...document.querySelectorAll('.gw-figure-widget')].map(w => {
            const s = getComputedStyle(w);
            return [s.backgroundColor, parseFloat(s.paddingLeft)];
        })"""
    )
    assert len(cards) >= MIN_FIGURES
    assert all(bg == "rgb(255, 255, 255)" and pad >= 4 for bg, pad in cards), cards


def test_light_theme_by_default(page_of: Any) -> None:
    page = page_of("1280-light").page
    assert page.evaluate("document.documentElement.dataset.gwTheme") == "light"
    prose = page.evaluate(COLOURS_JS, "#rendered_cells .jp-RenderedMarkdown p")
    assert _relative_luminance(prose[0]["bg"]) > 0.9
    low = [c["text"] for c in prose if _contrast(c["fg"], c["bg"]) < 4.5]
    assert low == [], f"prose below 4.5:1 contrast: {low}"
    # The dark theme's CSS is there, but only for readers who prefer dark.
    dark_links = page.evaluate(
        """() => [...document.querySelectorAll('link[href*="theme-dark.css"]')]
                 .map(l => l.media)"""
    )
    assert dark_links == ["(prefers-color-scheme: dark)"]


@pytest.mark.parametrize("name", INTERACTIVE)
@pytest.mark.parametrize(
    ("container", "slider", "key", "why"), SLIDERS, ids=[f"{c[1:]}-{s}" for c, s, *_ in SLIDERS]
)
def test_slider_changes_its_figure(
    page_of: Any, name: str, container: str, slider: str, key: str, why: str
) -> None:
    """Focus the slider's handle, press a key: a figure of that widget redraws."""
    essay = page_of(name)
    page = essay.page
    handle = page.locator(f"{container} .{slider} .noUi-handle").first
    assert handle.count() == 1, f"no handle for .{slider} in {container}"
    low, now, high = (
        float(v)
        for v in handle.evaluate(
            "h => ['aria-valuemin', 'aria-valuenow', 'aria-valuemax'].map(a => h.getAttribute(a))"
        )
    )
    at_end = now >= high if key in ("ArrowRight", "End") else now <= low
    if at_end:
        key = OPPOSITE[key]

    def press() -> None:
        handle.focus()
        page.keyboard.press(key)

    value = "h => [h.getAttribute('aria-valuenow'), h.getAttribute('aria-valuetext')]"
    before = handle.evaluate(value)
    _new_frame_after(page, container, press, control=handle)
    # aria-valuenow is rounded to 0.1 (a log slider's exponent); the value text is not.
    assert handle.evaluate(value) != before, f"{key} did not move .{slider} ({why})"
    assert essay.watch.console_errors == []
    assert essay.watch.page_errors == []


@pytest.mark.parametrize(("container", "dropdown"), DROPDOWNS)
def test_dropdown_changes_its_figure(page_of: Any, container: str, dropdown: str) -> None:
    page = page_of("1280-dark").page
    select = page.locator(f"{container} .{dropdown} select").first
    options = select.evaluate("s => [...s.options].map(o => o.value)")
    current = select.input_value()
    other = next(v for v in options if v != current)
    essay = page_of("1280-dark")
    errors_before = list(essay.watch.console_errors)
    select.evaluate("e => e.scrollIntoView({block: 'center'})")
    assert wait_for_settled_frames(page, quiet_ms=400), f"{container} never settled"
    before = figure_digests(page, container)
    _new_frame_after(page, container, lambda: select.select_option(other), control=select)
    assert wait_for_settled_frames(page, quiet_ms=400), f"{container} never settled"
    after = figure_digests(page, container)
    # New pixels, not only a new frame counter.
    assert after != before, f"{dropdown} = {other!r} left {container}'s pixels unchanged"
    _new_frame_after(page, container, lambda: select.select_option(current), control=select)
    assert essay.watch.console_errors == errors_before
    assert essay.watch.page_errors == []


def test_toggle_from_keyboard(page_of: Any) -> None:
    page = page_of("1280-dark").page
    toggle = page.locator(".gw-curves .gw-toggle-complexity").first
    pressed = toggle.evaluate("b => b.classList.contains('mod-active')")

    def press() -> None:
        toggle.focus()
        page.keyboard.press("Space")

    _new_frame_after(page, ".gw-curves", press, control=toggle)
    assert toggle.evaluate("b => b.classList.contains('mod-active')") != pressed
    _new_frame_after(page, ".gw-curves", press, control=toggle)  # and back
    assert toggle.evaluate("b => b.classList.contains('mod-active')") == pressed


CONTROLS_JS = """() => {
    const sel = '#rendered_cells .noUi-handle, #rendered_cells button, '
        + '#rendered_cells select, #rendered_cells input, #rendered_cells textarea';
    return [...document.querySelectorAll(sel)]
        .filter(e => e.offsetParent !== null && !e.disabled)
        .map((e, i) => {
            e.dataset.gwTab = String(i);
            const w = e.closest('[class*="gw-"]');
            return `${i}: ${e.tagName}.${String(e.className).slice(0, 30)} in `
                   + (w ? (String(w.className).match(/gw-[\\w-]+/g) || []).join(' ') : '?');
        });
}"""


@pytest.mark.parametrize("name", ["1280-light", "800-light"])
def test_every_control_reachable_by_tab(page_of: Any, name: str) -> None:
    """Tab from the top of the page reaches every enabled slider, button, dropdown, input."""
    page = page_of(name).page
    controls = page.evaluate(CONTROLS_JS)
    assert len(controls) >= 20, controls
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    reached: list[str] = []
    for _ in range(len(controls) * 3 + 40):
        page.keyboard.press("Tab")
        tab = page.evaluate("() => document.activeElement?.dataset?.gwTab ?? null")
        if tab is not None:
            if reached and tab == reached[0]:
                break  # wrapped around
            reached.append(tab)
    missing = [c for c in controls if c.split(":")[0] not in reached]
    assert missing == [], f"not reachable with Tab: {missing}"
    # Tab follows the reading order (from wherever the focus was: a cycle).
    order = [int(t) for t in reached]
    start = order.index(min(order))
    order = order[start:] + order[:start]
    assert order == sorted(order), f"Tab order is not the reading order: {order}"


ACCESSIBLE_NAME_JS = """() => {
    const name = (e) => {
        const by = e.getAttribute('aria-labelledby');
        if (by) return by.split(/\\s+/).map(id => document.getElementById(id)?.textContent || '')
                        .join(' ').trim();
        if (e.getAttribute('aria-label')) return e.getAttribute('aria-label').trim();
        if (e.labels && e.labels.length) {
            return [...e.labels].map(l => l.textContent).join(' ').trim();
        }
        const t = (e.innerText || '').trim();
        return t || (e.getAttribute('title') || '').trim();
    };
    const sel = '#rendered_cells button, #rendered_cells .noUi-handle, #rendered_cells select, '
        + '#rendered_cells input';
    const where = (e) => (e.closest('[class*="gw-"]')?.className.match(/gw-[\\w-]+/g) || []);
    return [...document.querySelectorAll(sel)].filter(e => e.offsetParent !== null)
        .map(e => ({what: e.tagName + '.' + String(e.className).slice(0, 40),
                    in: where(e).join(' '), name: name(e)}));
}"""


def test_controls_have_accessible_names(page_of: Any) -> None:
    page = page_of("1280-light").page
    page.wait_for_function(
        "() => [...document.querySelectorAll('.widget-play button')].every(b => b.ariaLabel)",
        timeout=10_000,
    )
    named = page.evaluate(ACCESSIBLE_NAME_JS)
    assert len(named) >= 20
    assert [n for n in named if not n["name"]] == [], "controls without a name"
    # The browser's own accessibility tree agrees: no unnamed button or slider.
    tree = page.locator("#rendered_cells").aria_snapshot()
    unnamed = [
        line.strip()
        for line in tree.splitlines()
        if re.fullmatch(r'- (button|slider|combobox|img)( "")?(:.*)?( \[.*\])?', line.strip())
    ]
    assert unnamed == [], f"unnamed in the accessibility tree: {unnamed}"
    # Log sliders announce their value as shown, not as its exponent.
    text = page.locator(".gw-curves .gw-regularization .noUi-handle").first.get_attribute(
        "aria-valuetext"
    )
    readout = page.locator(".gw-curves .gw-regularization .widget-readout").first.inner_text()
    assert text == readout.strip()
    # The checkpoint slider has no readout: it says the step its label shows, not its index.
    step = page.locator(".gw-lab .gw-valuetext").first.inner_text().strip()
    assert re.fullmatch(r"step \d+", step), step
    page.wait_for_function(
        """(step) => document.querySelector('.gw-lab .gw-lab-step .noUi-handle')
                       ?.getAttribute('aria-valuetext') === step""",
        arg=step,
        timeout=10_000,
    )


def test_theme_and_template_not_taken_from_the_url() -> None:
    """voila.json: no ?theme= (Voila writes it unescaped into <body>) nor ?template=."""
    config = json.loads((ROOT / "voila.json").read_text())["VoilaConfiguration"]
    assert config["allow_theme_override"] == "NO"
    assert config["allow_template_override"] == "NO"
    assert config["theme"] == "light"  # "follow the reader" in our template


def test_closing_the_tab_shuts_its_kernel_down(page_of: Any) -> None:
    """Voila's beacon to voila/api/shutdown needs an _xsrf cookie, which our template sets."""
    essay = page_of("800-dark")
    kernel = essay.kernel_id()
    assert re.fullmatch(r"[0-9a-f-]{36}", kernel)
    cookie = essay.page.evaluate("document.cookie")
    assert re.search(r"(^|;\s*)_xsrf=[0-9a-f]{32}", cookie), cookie
    essay.close_tab()
    deadline = time.monotonic() + 15
    log = ""
    while time.monotonic() < deadline:
        log = essay.server.log_path.read_text(errors="replace")
        if f"Kernel shutdown: {kernel}" in log:
            break
        time.sleep(0.2)
    assert f"Kernel shutdown: {kernel}" in log, "the kernel outlived its tab:\n" + "\n".join(
        line for line in log.splitlines() if "shutdown" in line or "403" in line
    )


# --------------------------------------------------------------------- serving


def test_culling_configured_in_voila_json(page_of: Any) -> None:
    """voila.json's idle-kernel culling reaches Voila's kernel manager."""
    config = json.loads((ROOT / "voila.json").read_text()).get("MappingKernelManager", {})
    timeout = config.get("cull_idle_timeout", 0)
    # The README promises 600 s idle / checked every 60 s: losing them is a failure.
    assert timeout == 600, f"voila.json's cull_idle_timeout is {timeout!r}, README says 600"
    interval = config.get("cull_interval", 300)
    assert interval == 60, f"voila.json's cull_interval is {interval!r}, README says 60"
    server = page_of("1280-light").server  # the culler starts with the first kernel
    expected = f"Culling kernels with idle durations > {timeout} seconds at {interval} second"
    assert expected in server.log_path.read_text(errors="replace"), server.log_tail()


def test_preheat_arguments() -> None:
    from grokwidgets import serving

    assert serving.preheat_args(0) == []
    assert serving.preheat_args(2) == ["--preheat_kernel=True", "--pool_size=2"]
    cmd = serving.voila_command(preheat=3, extra=["--debug"])
    assert cmd[-4:] == ["--preheat_kernel=True", "--pool_size=3", "--debug", serving.NOTEBOOK]
    with pytest.raises(ValueError):
        serving.preheat_args(-1)


@pytest.fixture(scope="module")
def preheated_server(chromium_available: None, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from ._server import VoilaServer

    log = tmp_path_factory.mktemp("voila-preheat") / "voila.log"
    with VoilaServer(log_path=log, preheat=1) as server:
        yield server


def test_preheated_kernel_serves_the_page(browser: Any, preheated_server: Any) -> None:
    """``serve --preheat``: the page comes from the pool, renders and answers its sliders."""
    from ._server import PageWatch, wait_for_essay

    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    try:
        watch = PageWatch().attach(context)
        page = context.new_page()
        page.goto(preheated_server.url, timeout=120_000)
        wait_for_essay(page)
        assert "Using pre-heated kernel" in preheated_server.log_path.read_text()
        assert page.locator(FIGURE).count() >= MIN_FIGURES
        # Rendered before any reader came: the reader's colour scheme still applies.
        assert page.evaluate("document.documentElement.dataset.gwTheme") == "dark"
        handle = page.locator(".gw-curves .gw-regularization .noUi-handle").first

        def press() -> None:
            handle.focus()
            page.keyboard.press("ArrowRight")

        _new_frame_after(page, ".gw-curves", press, control=handle)
        assert watch.console_errors == [] and watch.page_errors == []
        assert watch.external_requests == []
        page.close(run_before_unload=True)
    finally:
        context.close()


def test_theme_arguments() -> None:
    from grokwidgets import serving

    assert serving.theme_args("auto") == []
    assert serving.theme_args("dark") == ["--VoilaConfiguration.theme=dark"]
    (light,) = serving.theme_args("light")
    assert light.startswith("--VoilaConfiguration.extension_config=")
    assert json.loads(light.split("=", 1)[1]) == {"grokwidgets": {"theme": "light"}}
    assert serving.voila_command(theme="dark")[-2:] == [
        "--VoilaConfiguration.theme=dark",
        serving.NOTEBOOK,
    ]
    with pytest.raises(ValueError, match="theme must be one of auto, light, dark, got 'blue'"):
        serving.theme_args("blue")
    with pytest.raises(SystemExit) as refused:  # argparse: exit 2 before Voila starts
        serving.main(["--theme=blue"])
    assert refused.value.code == 2


def test_theme_light_ignores_the_readers_dark_preference(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``serve --theme=light`` (a projector): light even for a reader who prefers dark."""
    from grokwidgets import serving

    from ._server import PageWatch, VoilaServer, wait_for_essay

    log = tmp_path_factory.mktemp("voila-light") / "voila.log"
    with VoilaServer(log_path=log, extra_args=tuple(serving.theme_args("light"))) as server:
        context = browser.new_context(viewport={"width": 800, "height": 900}, color_scheme="dark")
        try:
            watch = PageWatch().attach(context)
            page = context.new_page()
            page.goto(server.url, timeout=120_000)
            wait_for_essay(page)
            state = page.evaluate(
                """() => ({theme: document.documentElement.dataset.gwTheme,
                           body: document.body.className,
                           light: document.body.dataset.jpThemeLight,
                           darkCss: document.querySelectorAll('link[href*="theme-dark.css"]')
                               .length,
                           scheme: document.querySelector('meta[name="color-scheme"]')
                               .content})"""
            )
            assert state == {
                "theme": "light",
                "body": "jp-Notebook theme-light",
                "light": "true",
                "darkCss": 0,
                "scheme": "light",
            }
            prose = page.evaluate(COLOURS_JS, "#rendered_cells .jp-RenderedMarkdown p")
            assert _relative_luminance(prose[0]["bg"]) > 0.9
            assert watch.console_errors == [] and watch.page_errors == []
            page.close(run_before_unload=True)
        finally:
            context.close()
