"""Fixtures for the browser tests: one Voila server per session, Debian's Chromium.

Every test module here sets ``pytestmark = pytest.mark.browser``. Tests that drive
the page are skipped when /usr/bin/chromium is missing (``python3 tasks.py test``
installs it when it can), except in CI (``CI=true``), where they fail; the
plain-HTTP checks of the server still run. Set
``GW_BROWSER_NOTEBOOK=path.ipynb`` to point the tests at another notebook.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ._server import (
    CHROMIUM,
    NOTEBOOK,
    PageWatch,
    VoilaServer,
    launch_chromium,
    wait_for_essay,
)


@pytest.fixture(scope="session")
def chromium_available() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() in {"true", "1", "yes"}:
            # In CI a missing browser must fail the run, not skip the page's tests
            # (the kernel-security checks among them) and stay green.
            pytest.fail(f"{CHROMIUM} is missing and CI is set: install Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium: apt-get install chromium)")


@pytest.fixture(scope="session")
def voila_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoilaServer]:
    """The essay served by Voila on a free port, for the whole session.

    Needs no browser: the HTTP checks in test_security.py run without Chromium.
    """
    notebook = Path(os.environ.get("GW_BROWSER_NOTEBOOK", NOTEBOOK))
    if not notebook.exists():
        pytest.fail(f"the essay notebook {notebook} does not exist")
    log = tmp_path_factory.mktemp("voila") / "voila.log"
    server = VoilaServer(notebook, log_path=log)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The static edition, built once per session (``GW_STATIC_SITE=path`` reuses a
    built site while developing the tests)."""
    if os.environ.get("GW_STATIC_SITE"):
        return Path(os.environ["GW_STATIC_SITE"])
    root = Path(__file__).resolve().parents[2]
    if not (root / "static" / "node_modules").exists():
        pytest.skip("static/node_modules is missing: run `npm ci --ignore-scripts` in static/")
    from grokwidgets.static.site import build

    out = tmp_path_factory.mktemp("static") / "site"
    build(out)
    return out


@pytest.fixture(scope="session")
def browser(chromium_available: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch_chromium(pw)
        try:
            yield b
        finally:
            b.close()


class EssayPage:
    """A browser context + page on the essay, with what it did recorded in ``watch``."""

    def __init__(self, context: Any, page: Any, watch: PageWatch, server: VoilaServer) -> None:
        self.context = context
        self.page = page
        self.watch = watch
        self.server = server
        self.closed = False

    def kernel_id(self) -> str:
        """The id of the kernel Voila started for this page."""
        return self.page.evaluate(
            "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
        )

    def close_tab(self) -> None:
        """Close the page as a reader closes a tab (``beforeunload`` handlers run)."""
        if not self.closed:
            self.closed = True
            self.page.close(run_before_unload=True)

    def close(self) -> None:
        self.closed = True
        self.context.close()


OpenEssay = Callable[..., EssayPage]


@pytest.fixture(scope="session")
def open_essay(browser: Any, voila_server: VoilaServer) -> Iterator[OpenEssay]:
    """``open_essay(width=1280, dpr=1, color_scheme=None, mobile=False)``: a page on the
    essay, rendered (``mobile``: a phone's touch screen and viewport).

    Opening runs the notebook on a new kernel (a few seconds), so pages are shared:
    the same arguments give the same page, for the whole session (tests that use a
    shared page must not assume its sliders are where the notebook put them). Pass
    ``fresh=True`` for a page of one's own. ``color_scheme`` ("light" or "dark")
    is what the browser reports as the reader's preference. Contexts are closed at
    the end of the session.
    """
    opened: list[EssayPage] = []
    shared: dict[tuple, EssayPage] = {}

    def _open(
        width: int = 1280,
        height: int = 900,
        dpr: float = 1,
        color_scheme: str | None = None,
        fresh: bool = False,
        mobile: bool = False,
    ) -> EssayPage:
        key = (width, height, dpr, color_scheme, mobile)
        if not fresh and key in shared and not shared[key].closed:
            return shared[key]
        options: dict[str, Any] = {
            "viewport": {"width": width, "height": height},
            "device_scale_factor": dpr,
        }
        if color_scheme is not None:
            options["color_scheme"] = color_scheme
        if mobile:  # a phone: touch, and the page laid out for the device width
            options.update(is_mobile=True, has_touch=True)
        context = browser.new_context(**options)
        watch = PageWatch().attach(context)
        page = context.new_page()
        essay = EssayPage(context, page, watch, voila_server)
        opened.append(essay)
        page.goto(voila_server.url, wait_until="load", timeout=120_000)
        try:
            wait_for_essay(page)
        except Exception as exc:
            raise AssertionError(
                f"the essay did not render: {exc}\nconsole errors: {watch.console_errors}\n"
                f"page errors: {watch.page_errors}\nVoila log:\n{voila_server.log_tail()}"
            ) from exc
        if not fresh:
            shared[key] = essay
        return essay

    yield _open
    for essay in opened:
        essay.close()


@pytest.fixture(scope="session")
def essay(open_essay: OpenEssay) -> EssayPage:
    """The essay at 1280 px, device scale factor 1, light, shared by the tests of a session."""
    return open_essay(width=1280, dpr=1)
