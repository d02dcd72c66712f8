"""Serve the essay with Voila and drive it in Debian's Chromium.

Shared by the browser tests (``tests/browser/conftest.py``) and the benchmarks
(``benchmarks/_voila.py`` loads this file). Everything here cleans up after itself:
the Voila process and the kernels it started are ended by id, bounded in time.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "essay" / "grokking.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
# Playwright's own browser download does not work here: always Debian's Chromium, and
# keep it from phoning home (the network is closed and refuses those hosts).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

# Selectors of the essay's widgets (the contract with grokwidgets.widgets).
FIGURE = "img.gw-figure"
REG_HANDLE = ".gw-regularization .noUi-handle"


def _serving():
    """``grokwidgets.serving``, importable from a source checkout too."""
    try:
        from grokwidgets import serving
    except ImportError:  # not installed: use the checkout this file lives in
        sys.path.insert(0, str(ROOT))
        from grokwidgets import serving
    return serving


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def is_local_url(url: str) -> bool:
    """True for URLs that stay on this machine (or never touch the network)."""
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about", "chrome", "devtools"}:
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


def write_notebook(path: Path, cells: list[tuple[str, str]]) -> Path:
    """Write a notebook of ``(kind, source)`` cells (kind "markdown" or "code") to ``path``.

    For pages other than the essay (the benchmark's floor page, test notebooks).
    """
    out = []
    for i, (kind, source) in enumerate(cells):
        cell: dict[str, Any] = {"cell_type": kind, "id": f"cell-{i}", "metadata": {}}
        cell["source"] = source
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        out.append(cell)
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook = {"cells": out, "metadata": {"kernelspec": kernelspec}, "nbformat": 4}
    notebook["nbformat_minor"] = 5
    path.write_text(json.dumps(notebook))
    return path


class VoilaServer:
    """The essay served by Voila on a free port, as ``python3 tasks.py serve`` does.

    ``preheat=N`` keeps N kernels ready with the notebook already run (as
    ``python3 tasks.py serve --preheat=N`` does). Use as a context manager, or call
    :meth:`start` and :meth:`stop` (idempotent).
    Voila's output goes to ``log_path`` (read it with :meth:`log_tail`).
    ``plain=True`` runs a bare ``python -m voila NOTEBOOK`` in ``cwd`` with the
    caller's environment (no ``grokwidgets.serving`` arguments, no ``JUPYTER_PATH``),
    as a user who runs ``voila`` elsewhere would.
    """

    def __init__(
        self,
        notebook: str | os.PathLike[str] = NOTEBOOK,
        *,
        log_path: str | os.PathLike[str],
        port: int | None = None,
        startup_timeout: float = 60.0,
        extra_args: tuple[str, ...] = (),
        preheat: int = 0,
        cwd: str | os.PathLike[str] = ROOT,
        plain: bool = False,
    ) -> None:
        self.notebook = Path(notebook)
        self.log_path = Path(log_path)
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.extra_args = extra_args
        self.preheat = preheat
        self.cwd = Path(cwd)
        self.plain = plain
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> VoilaServer:
        serving = _serving()
        if not self.notebook.exists():
            raise FileNotFoundError(f"no notebook to serve at {self.notebook}")
        if self.plain:
            cmd = [sys.executable, "-m", "voila", "--no-browser", f"--port={self.port}"]
            cmd += [*self.extra_args, str(self.notebook)]
            env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_")}
        else:
            cmd = serving.voila_command(
                self.notebook,
                self.port,
                python=sys.executable,
                extra=self.extra_args,
                preheat=self.preheat,
            )
            env = serving.voila_env()
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        # A static file answers once Voila listens; "/" would start a kernel.
        probe = self.url + "voila/static/voila.js"
        deadline = time.monotonic() + self.startup_timeout
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"Voila exited with code {self.proc.returncode} before answering:\n"
                    + self.log_tail()
                )
            try:
                with urllib.request.urlopen(probe, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"Voila did not answer at {probe} within {self.startup_timeout:.0f} s:\n"
                    + self.log_tail()
                )
            time.sleep(0.2)

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def stop(self, timeout: float = 15.0) -> None:
        """End Voila (SIGTERM: it shuts its kernels down), then any kernel left over."""
        proc, self.proc = self.proc, None
        if proc is not None:
            children = _children(proc.pid)
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
            _end_processes(children, timeout=5.0)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> VoilaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _children(pid: int) -> list[Any]:
    try:
        import psutil
    except ImportError:
        return []
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _end_processes(procs: list[Any], timeout: float) -> None:
    """Terminate, then kill, the given psutil processes that are still alive."""
    if not procs:
        return
    import psutil

    alive = []
    for p in procs:
        with contextlib.suppress(psutil.Error):
            if p.is_running():
                p.terminate()
                alive.append(p)
    _, still = psutil.wait_procs(alive, timeout=timeout)
    for p in still:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(still, timeout=timeout)


# --------------------------------------------------------------------------- browser


def launch_chromium(playwright: Any, **kw: Any) -> Any:
    """A headless Debian Chromium through Playwright's sync API."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, **kw)


@dataclass
class PageWatch:
    """What a browser context did: console errors, and requests that left the machine.

    :meth:`attach` routes every request of the context: local ones go through,
    any other is aborted (never sent) and recorded in ``external_requests``.
    """

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)

    def attach(self, context: Any) -> PageWatch:
        context.route("**/*", self._route)
        context.on("page", self.watch_page)
        for page in context.pages:
            self.watch_page(page)
        return self

    def _route(self, route: Any) -> None:
        url = route.request.url
        if is_local_url(url):
            route.continue_()
        else:
            self.external_requests.append(url)
            route.abort()

    def watch_page(self, page: Any) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda err: self.page_errors.append(str(err)))
        page.on("requestfailed", self._on_failed)
        page.on("response", self._on_response)
        page.on("websocket", self._on_websocket)

    def _on_console(self, msg: Any) -> None:
        if msg.type == "error":
            loc = msg.location or {}
            self.console_errors.append(f"{msg.text} [{loc.get('url', '')}]")

    def _on_failed(self, request: Any) -> None:
        if is_local_url(request.url):  # external ones are in external_requests already
            self.failed_requests.append(f"{request.url}: {request.failure}")

    def _on_response(self, response: Any) -> None:
        if response.status >= 400:
            self.bad_responses.append(f"{response.status} {response.url}")

    def _on_websocket(self, ws: Any) -> None:
        self.websockets.append(ws.url)
        if not is_local_url(ws.url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)):
            self.external_requests.append(ws.url)


def wait_for_essay(page: Any, timeout_ms: float = 120_000) -> None:
    """Wait until Voila has run the essay and its figures have drawn a frame."""
    page.wait_for_function(
        """() => {
            const figs = [...document.querySelectorAll('img.gw-figure')];
            return figs.length >= 2
                && figs.every(f => f.getAttribute('src') && f.dataset.frame)
                && document.querySelector('.gw-regularization .noUi-handle') !== null;
        }""",
        timeout=timeout_ms,
    )


def figure_states(page: Any) -> list[dict[str, Any]]:
    """For each ``img.gw-figure``: its frame counter, src length and render time."""
    return page.evaluate(
        """() => [...document.querySelectorAll('img.gw-figure')].map(f => ({
            frame: f.dataset.frame ?? null,
            src_len: (f.getAttribute('src') || '').length,
            render_ms: f.dataset.renderMs ?? null,
        }))"""
    )


def figure_digests(page: Any, container: str = "") -> list[str]:
    """SHA-256 of the bytes behind each figure's src (data:, blob: or http URL).

    ``container``: a CSS selector; only the figures inside it (default: every one).
    """
    return page.evaluate(
        """async (sel) => {
            const out = [];
            for (const f of document.querySelectorAll((sel ? sel + ' ' : '') + 'img.gw-figure')) {
                const buf = await (await fetch(f.currentSrc || f.src)).arrayBuffer();
                const h = await crypto.subtle.digest('SHA-256', buf);
                out.push([...new Uint8Array(h)].map(b => b.toString(16).padStart(2, '0')).join(''));
            }
            return out;
        }""",
        container,
    )


def wait_for_settled_frames(page: Any, quiet_ms: int = 800, timeout_ms: int = 30_000) -> bool:
    """Wait until no figure has taken a new frame for ``quiet_ms``.

    True once settled; False when ``timeout_ms`` passed first (assert on it where a
    timeout must fail the test).
    """
    return page.evaluate(
        """async ([quiet, timeout]) => {
            const read = () => [...document.querySelectorAll('img.gw-figure')]
                .map(f => f.dataset.frame).join(',');
            const t0 = performance.now();
            let last = read(), since = performance.now();
            while (performance.now() - t0 < timeout) {
                await new Promise(r => setTimeout(r, 100));
                const now = read();
                if (now !== last) { last = now; since = performance.now(); }
                else if (performance.now() - since >= quiet) return true;
            }
            return false;
        }""",
        [quiet_ms, timeout_ms],
    )


@contextlib.contextmanager
def chromium() -> Iterator[tuple[Any, Any]]:
    """``(playwright, browser)``; both closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            yield pw, browser
        finally:
            browser.close()


def python_error_text(text: str) -> list[str]:
    """Lines of ``text`` that look like a Python traceback or exception."""
    pat = re.compile(r"Traceback \(most recent call last\)|\b[A-Z]\w*(Error|Exception)\b:")
    return [line for line in text.splitlines() if pat.search(line)]
