"""Many readers at once: 30 pages on one Voila server, on this machine only.

Serves the essay with Voila on a free loopback port (``tests/browser/_server.py``,
as ``python3 tasks.py serve`` does), opens ``--readers`` pages in one headless
Chromium (a browser context each: separate cookies, separate kernels), at most
``--concurrency`` of them loading at a time, and keeps every page open to the end,
so that at the end all readers are on the page together. Each page:

1. waits until interactive: the first ``img.gw-figure[data-frame]`` is present
   (a figure has drawn its first frame) and the regularization slider is there;
2. moves the regularization slider: focuses ``.gw-regularization .noUi-handle``,
   presses ArrowRight (ArrowLeft at the top of the range) and waits for that
   page's first ``img.gw-figure`` to take a new ``data-frame``.

Both times are measured in the page's own clock (time to interactive from the
navigation start; slider response from the key down). Once all pages are open it
reports p50 / p95 of both, the resident memory of every kernel (psutil: the
``ipykernel`` child processes of the Voila server; median and max, at the end and
the most seen while loading), the Voila server's own RSS, and the failures: pages
that did not become interactive or whose slider did not answer in time (target:
0 failures, <= 150 MB per kernel). A hard limit (``--time-limit``, 15 min) ends the
run whatever happens: what was not done counts as a failure, and it reports.

``--culling`` instead checks Voila's idle-kernel culling with small timeouts given
on the command line (``--MappingKernelManager.cull_idle_timeout=10
--MappingKernelManager.cull_interval=2``): a page closed without its unload beacon
leaves a kernel that must be culled; a page still open (connected, idle) must keep
its kernel and still answer its slider after the timeout; a page closed normally
shuts its kernel down at once (Voila's ``beforeunload`` beacon).

    python3 tasks.py bench load [--readers 30] [--concurrency 4] [--time-limit 900]
    python3 tasks.py bench load --culling [--cull-timeout 10] [--cull-interval 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
from _voila import CHROMIUM, NOTEBOOK, REG_HANDLE, PageWatch, VoilaServer, chromium

ROOT = Path(__file__).resolve().parents[1]
TARGET_KERNEL_MB = 150.0

# Installed before any page script: records when the page became interactive, and
# arms a one-shot measurement of the slider's response.
INIT_JS = """(() => {
    const gw = window.__gwLoad = {interactive: null, keyAt: null, response: null};
    const poll = setInterval(() => {
        if (document.querySelector('img.gw-figure[data-frame]')
                && document.querySelector('.gw-regularization .noUi-handle')) {
            gw.interactive = performance.now();
            clearInterval(poll);
        }
    }, 25);
    gw.arm = () => {
        const img = document.querySelector('img.gw-figure');
        const before = img.dataset.frame;
        gw.keyAt = null; gw.response = null;
        document.addEventListener('keydown', () => {
            if (gw.keyAt === null) gw.keyAt = performance.now();
        }, {capture: true, once: true});
        const obs = new MutationObserver(() => {
            if (img.dataset.frame !== before && gw.keyAt !== null && gw.response === null) {
                gw.response = performance.now() - gw.keyAt;
                obs.disconnect();
            }
        });
        obs.observe(img, {attributes: true, attributeFilter: ['data-frame']});
    };
})();"""

STATE_JS = "() => window.__gwLoad ? [window.__gwLoad.interactive, window.__gwLoad.response] : null"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def kernel_processes(server: VoilaServer) -> list[psutil.Process]:
    """The ipykernel processes Voila started (children of the server process)."""
    if server.proc is None:
        return []
    try:
        children = psutil.Process(server.proc.pid).children(recursive=True)
    except psutil.Error:
        return []
    out = []
    for p in children:
        try:
            if any("ipykernel" in part for part in p.cmdline()):
                out.append(p)
        except psutil.Error:
            continue
    return out


def kernel_rss_mb(server: VoilaServer) -> dict[int, float]:
    out = {}
    for p in kernel_processes(server):
        try:
            out[p.pid] = p.memory_info().rss / 2**20
        except psutil.Error:
            continue
    return out


def server_rss_mb(server: VoilaServer) -> float:
    try:
        return psutil.Process(server.proc.pid).memory_info().rss / 2**20  # type: ignore[union-attr]
    except (psutil.Error, AttributeError):
        return math.nan


@dataclass
class Reader:
    index: int
    context: Any = None
    page: Any = None
    watch: PageWatch = field(default_factory=PageWatch)
    opened_at: float = math.nan  # monotonic, when goto was issued
    interactive_ms: float | None = None  # page clock, from navigation start
    pressed_at: float = math.nan
    response_ms: float | None = None
    failure: str | None = None

    @property
    def loading(self) -> bool:
        return self.page is not None and self.interactive_ms is None and self.failure is None


def _state(reader: Reader) -> tuple[float | None, float | None] | None:
    try:
        got = reader.page.evaluate(STATE_JS)
    except Exception as exc:  # a crashed or closed page
        reader.failure = reader.failure or f"page gone: {str(exc)[:120]}"
        return None
    return None if got is None else (got[0], got[1])


def _open(browser: Any, server: VoilaServer, reader: Reader) -> None:
    reader.context = browser.new_context(viewport={"width": 1280, "height": 900})
    reader.context.add_init_script(INIT_JS)
    reader.page = reader.context.new_page()
    reader.watch.watch_page(reader.page)
    reader.opened_at = time.monotonic()
    try:
        reader.page.goto(server.url, wait_until="commit", timeout=60_000)
    except Exception as exc:
        reader.failure = f"goto failed: {str(exc)[:160]}"


def _press(reader: Reader) -> None:
    page = reader.page
    try:
        page.evaluate("() => window.__gwLoad.arm()")
        handle = page.locator(REG_HANDLE).first
        now, top = handle.evaluate(
            "h => [h.getAttribute('aria-valuenow'), h.getAttribute('aria-valuemax')]"
        )
        at_max = now is not None and top is not None and float(now) >= float(top)
        handle.focus(timeout=10_000)
        page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
        reader.pressed_at = time.monotonic()
    except Exception as exc:
        reader.failure = f"could not move the slider: {str(exc)[:160]}"


@dataclass
class LoadResult:
    readers: int
    concurrency: int
    open_at_end: int
    kernels_at_end: int
    interactive_ms: list[float]
    response_ms: list[float]
    kernel_rss_end_mb: list[float]
    kernel_rss_peak_mb: list[float]
    server_rss_mb: float
    failures: list[str]
    page_errors: list[str]
    wall_s: float
    timed_out: bool


def run_load(
    readers: int = 30,
    concurrency: int = 4,
    time_limit: float = 900.0,
    page_timeout: float = 300.0,
    response_timeout: float = 60.0,
    notebook: Path = NOTEBOOK,
    extra_args: tuple[str, ...] = (),
    preheat: int = 0,
    log=print,
) -> LoadResult:
    t0 = time.monotonic()
    deadline = t0 + time_limit
    peak: dict[int, float] = {}
    timed_out = False
    with tempfile.TemporaryDirectory(prefix="gw-load-") as tmp:
        kw = {"preheat": preheat} if preheat else {}  # (a helper without preheat: 0 only)
        server = VoilaServer(
            notebook, log_path=Path(tmp) / "voila.log", extra_args=extra_args, **kw
        )
        with server, chromium() as (_, browser):
            log(f"  Voila at {server.url} (pid {server.proc.pid}); Chromium started")
            if preheat:  # let the pool fill before the first reader comes
                end = time.monotonic() + 180
                while len(kernel_processes(server)) < preheat and time.monotonic() < end:
                    time.sleep(0.5)
                time.sleep(5.0)
                log(f"  {len(kernel_processes(server))} preheated kernels ready")
            pool = [Reader(i) for i in range(readers)]
            waiting = list(pool)
            last_log = 0.0
            while True:
                now = time.monotonic()
                if now > deadline:
                    timed_out = True
                    break
                # Start pages while fewer than `concurrency` are loading.
                while waiting and sum(r.loading for r in pool) < concurrency:
                    _open(browser, server, waiting.pop(0))
                active = [r for r in pool if r.page is not None and r.failure is None]
                for r in active:
                    if r.interactive_ms is not None and r.response_ms is not None:
                        continue
                    state = _state(r)
                    if state is None:
                        if r.interactive_ms is None and now - r.opened_at > page_timeout:
                            r.failure = f"not interactive within {page_timeout:.0f} s"
                        continue
                    interactive, response = state
                    if r.interactive_ms is None:
                        if interactive is not None:
                            r.interactive_ms = float(interactive)
                            _press(r)
                        elif now - r.opened_at > page_timeout:
                            r.failure = f"not interactive within {page_timeout:.0f} s"
                    elif response is not None:
                        r.response_ms = float(response)
                    elif now - r.pressed_at > response_timeout:
                        r.failure = f"slider gave no new frame within {response_timeout:.0f} s"
                for pid, mb in kernel_rss_mb(server).items():
                    peak[pid] = max(peak.get(pid, 0.0), mb)
                done = [r for r in pool if r.response_ms is not None or r.failure is not None]
                if now - last_log > 15:
                    last_log = now
                    log(
                        f"  t={now - t0:5.0f} s: {sum(r.interactive_ms is not None for r in pool)}"
                        f" interactive, {sum(r.response_ms is not None for r in pool)} answered, "
                        f"{sum(r.failure is not None for r in pool)} failed, "
                        f"{len(kernel_processes(server))} kernels"
                    )
                if len(done) == readers and not waiting:
                    break
                # Let Playwright dispatch page events while we wait (not time.sleep).
                if active:
                    active[0].page.wait_for_timeout(100)
                else:
                    time.sleep(0.1)
            # Everyone is (or was meant to be) on the page now: measure together.
            time.sleep(2.0)
            end_rss = kernel_rss_mb(server)
            for pid, mb in end_rss.items():
                peak[pid] = max(peak.get(pid, 0.0), mb)
            srv_rss = server_rss_mb(server)
            open_at_end = 0
            for r in pool:
                if r.page is not None and r.failure is None:
                    try:
                        r.page.evaluate("() => 1")
                        open_at_end += 1
                    except Exception:
                        r.failure = "page gone at the end"
            for r in pool:
                if r.failure is None and r.response_ms is None:
                    r.failure = "not finished before the time limit"
            failures = [f"reader {r.index}: {r.failure}" for r in pool if r.failure]
            page_errors = [
                f"reader {r.index}: {e[:200]}"
                for r in pool
                for e in (*r.watch.page_errors, *r.watch.console_errors)
            ]
            for r in pool:
                if r.context is not None:
                    try:
                        r.context.close()
                    except Exception:
                        pass
    return LoadResult(
        readers=readers,
        concurrency=concurrency,
        open_at_end=open_at_end,
        kernels_at_end=len(end_rss),
        interactive_ms=[r.interactive_ms for r in pool if r.interactive_ms is not None],
        response_ms=[r.response_ms for r in pool if r.response_ms is not None],
        kernel_rss_end_mb=sorted(end_rss.values()),
        kernel_rss_peak_mb=sorted(peak.values()),
        server_rss_mb=srv_rss,
        failures=failures,
        page_errors=page_errors,
        wall_s=time.monotonic() - t0,
        timed_out=timed_out,
    )


# --------------------------------------------------------------------------- culling


@dataclass
class CullingResult:
    args: list[str]
    kernels_open: int
    beacon_shutdown_s: float | None  # page closed normally: kernel gone after
    abandoned_culled_s: float | None  # page closed without beacon: kernel culled after
    connected_kept: bool  # the open page's kernel survived past the timeout
    connected_answers: bool  # ... and its slider still answers
    cull_log_lines: list[str]
    problems: list[str]


def _wait_interactive(reader: Reader, timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        state = _state(reader)
        if state and state[0] is not None:
            reader.interactive_ms = float(state[0])
            return
        reader.page.wait_for_timeout(100)
    reader.failure = "not interactive"


def _pid_gone_after(pid: int, start: float, timeout: float, pump: Any) -> float | None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return time.monotonic() - start
        except psutil.NoSuchProcess:
            return time.monotonic() - start
        pump()
    return None


def _secs(value: float | None) -> str:
    return "never (within the wait)" if value is None else f"{value:.1f} s"


def run_culling(
    cull_timeout: int = 10, cull_interval: int = 2, notebook: Path = NOTEBOOK, log=print
) -> CullingResult:
    args = [
        f"--MappingKernelManager.cull_idle_timeout={cull_timeout}",
        f"--MappingKernelManager.cull_interval={cull_interval}",
        "--MappingKernelManager.cull_connected=False",
    ]
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gw-cull-") as tmp:
        log_path = Path(tmp) / "voila.log"
        server = VoilaServer(notebook, log_path=log_path, extra_args=tuple(args))
        with server, chromium() as (_, browser):
            log(f"  Voila at {server.url} with {' '.join(args)}")
            readers = [Reader(i) for i in range(3)]
            known: set[int] = set()
            pids: dict[int, int] = {}
            for r in readers:  # one at a time, so each kernel is known to be its page's
                _open(browser, server, r)
                _wait_interactive(r, 240)
                if r.failure:
                    problems.append(f"reader {r.index}: {r.failure}")
                new = {p.pid for p in kernel_processes(server)} - known
                if len(new) != 1:
                    problems.append(f"reader {r.index}: {len(new)} new kernels")
                pids[r.index] = min(new) if new else -1
                known |= new
            keeper, abandoned, leaver = readers
            kernels_open = len(kernel_processes(server))
            log(f"  {kernels_open} kernels for 3 open pages: {pids}")
            pump = keeper.page.wait_for_timeout

            # A reader who closes the tab: Voila's beforeunload beacon shuts the kernel down.
            t = time.monotonic()
            leaver.page.close(run_before_unload=True)
            beacon_s = _pid_gone_after(pids[leaver.index], t, 20, lambda: pump(200))
            log(f"  closed normally: kernel gone after {_secs(beacon_s)}")

            # A reader whose browser vanished (crash, lid closed, network gone): no beacon.
            # It moves its slider first, so its kernel was active just before: culling
            # counts idle time from the kernel's last activity, not from the disconnect.
            _press(abandoned)
            end = time.monotonic() + 60
            while time.monotonic() < end and not (_state(abandoned) or (0, None))[1]:
                pump(50)
            t = time.monotonic()
            abandoned.context.close()
            abandoned.context = None
            limit = cull_timeout + 3 * cull_interval + 15
            culled_s = _pid_gone_after(pids[abandoned.index], t, limit, lambda: pump(200))
            log(
                f"  abandoned without a beacon, {cull_timeout} s after its last activity: "
                f"kernel culled after {_secs(culled_s)}"
            )

            # The reader still on the page, idle all this time: kernel kept, page alive.
            pump(1000 * max(0.0, cull_timeout + 2 * cull_interval - (time.monotonic() - t)))
            kept = psutil.pid_exists(pids[keeper.index])
            _press(keeper)
            answers = False
            end = time.monotonic() + 60
            while time.monotonic() < end and not keeper.failure:
                state = _state(keeper)
                if state and state[1] is not None:
                    answers = True
                    keeper.response_ms = float(state[1])
                    break
                pump(100)
            answer = f"answers in {keeper.response_ms:.0f} ms" if answers else "does NOT answer"
            log(
                f"  connected, idle for {cull_timeout + 2 * cull_interval} s or more: kernel "
                f"{'kept' if kept else 'CULLED'}; slider {answer}"
            )
            if beacon_s is None:
                problems.append("a page closed normally left its kernel running")
            if culled_s is None:
                problems.append(f"an abandoned kernel was not culled within {limit} s")
            if not kept or not answers:
                problems.append("an open, idle page lost its kernel")
            for r in readers:
                if r.context is not None:
                    try:
                        r.context.close()
                    except Exception:
                        pass
        text = log_path.read_text(errors="replace")
    cull_lines = [line.strip()[:200] for line in text.splitlines() if re.search("(?i)cull", line)]
    return CullingResult(
        args=args,
        kernels_open=kernels_open,
        beacon_shutdown_s=beacon_s,
        abandoned_culled_s=culled_s,
        connected_kept=kept,
        connected_answers=answers,
        cull_log_lines=cull_lines,
        problems=problems,
    )


def configured_culling() -> dict[str, object]:
    """The culling settings in the repository's voila.json (what `serve` uses)."""
    try:
        config = json.loads((ROOT / "voila.json").read_text())
    except (OSError, ValueError):
        return {}
    out = {}
    for section, values in config.items():
        if section.endswith("KernelManager") and isinstance(values, dict):
            out.update({f"{section}.{k}": v for k, v in values.items() if "cull" in k})
    return out


# --------------------------------------------------------------------------- main


def _watchdog(seconds: float) -> threading.Timer:
    """Past ``seconds``, end this script's own child processes (Voila, its kernels,
    Chromium) by pid and exit: the run stops by itself even if a call hangs."""

    def fire() -> None:
        print(f"load: hard time limit of {seconds:.0f} s passed; stopping", flush=True)
        children = psutil.Process().children(recursive=True)
        for child in children:
            try:
                child.terminate()
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(children, timeout=10)
        for child in alive:
            try:
                child.kill()
            except psutil.Error:
                pass
        os._exit(3)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--readers", type=int, default=30)
    ap.add_argument("--concurrency", type=int, default=4, help="pages loading at once")
    ap.add_argument("--time-limit", type=float, default=900.0, help="seconds, whole run")
    ap.add_argument("--page-timeout", type=float, default=300.0)
    ap.add_argument("--notebook", type=Path, default=NOTEBOOK)
    ap.add_argument(
        "--preheat", type=int, default=0, help="Voila keeps this many kernels ready (pool)"
    )
    ap.add_argument("--culling", action="store_true", help="check idle-kernel culling instead")
    ap.add_argument("--cull-timeout", type=int, default=10)
    ap.add_argument("--cull-interval", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium", file=sys.stderr)
        return 1
    # The loop below honours --time-limit; this is the backstop for a call that hangs
    # (server start, browser launch and clean-up come on top: 3 minutes' grace).
    _watchdog((600 if args.culling else args.time_limit) + 180)

    if args.culling:
        print("idle-kernel culling, with small timeouts on the command line", flush=True)
        c = run_culling(args.cull_timeout, args.cull_interval, args.notebook)
        print(f"  culling log lines: {len(c.cull_log_lines)}")
        for line in c.cull_log_lines[:8]:
            print(f"    {line}")
        print(f"  problems: {c.problems or 'none'}  [{'PASS' if not c.problems else 'FAIL'}]")
        if args.json:
            args.json.write_text(json.dumps(asdict(c), indent=1))
        return 0

    culling = configured_culling()
    print(
        f"load: {args.readers} readers, {args.concurrency} loading at once, one Chromium, "
        f"loopback; time limit {args.time_limit:.0f} s"
        + (f"; {args.preheat} preheated kernels" if args.preheat else ""),
        flush=True,
    )
    print(f"  culling configured in voila.json: {culling or 'none'}")
    r = run_load(
        args.readers,
        args.concurrency,
        args.time_limit,
        args.page_timeout,
        notebook=args.notebook,
        preheat=args.preheat,
    )
    ok_mem = bool(r.kernel_rss_end_mb) and max(r.kernel_rss_end_mb) <= TARGET_KERNEL_MB
    print(
        f"  done in {r.wall_s:.0f} s{' (TIME LIMIT REACHED)' if r.timed_out else ''}; "
        f"pages open at the end: {r.open_at_end}; kernels at the end: {r.kernels_at_end}"
    )
    print(
        f"  time to interactive: p50 {percentile(r.interactive_ms, 50) / 1e3:.1f} s, "
        f"p95 {percentile(r.interactive_ms, 95) / 1e3:.1f} s, max "
        f"{max(r.interactive_ms, default=math.nan) / 1e3:.1f} s (n={len(r.interactive_ms)})"
    )
    print(
        f"  slider response: p50 {percentile(r.response_ms, 50):.0f} ms, "
        f"p95 {percentile(r.response_ms, 95):.0f} ms, max "
        f"{max(r.response_ms, default=math.nan):.0f} ms (n={len(r.response_ms)})"
    )
    if r.kernel_rss_end_mb:
        print(
            f"  kernel RSS at the end: median {statistics.median(r.kernel_rss_end_mb):.0f} MB, "
            f"max {max(r.kernel_rss_end_mb):.0f} MB (n={len(r.kernel_rss_end_mb)}); most seen "
            f"while loading: {max(r.kernel_rss_peak_mb):.0f} MB; target <= "
            f"{TARGET_KERNEL_MB:.0f} MB  [{'PASS' if ok_mem else 'FAIL'}]"
        )
    print(f"  Voila server RSS: {r.server_rss_mb:.0f} MB")
    print(f"  failures: {len(r.failures)}  [{'PASS' if not r.failures else 'FAIL'}]")
    for f in r.failures[:10]:
        print(f"    {f}")
    print(f"  page/console errors: {len(r.page_errors)}")
    for e in r.page_errors[:5]:
        print(f"    {e}")
    if args.json:
        args.json.write_text(json.dumps(asdict(r), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
