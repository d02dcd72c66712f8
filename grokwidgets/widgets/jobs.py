"""Long work (live training, complexity estimates) off the kernel's main thread.

A :class:`BackgroundJob` runs ``work`` in a daemon thread, so the page stays
responsive, and hands every progress report and the final result back to the
kernel's event loop (``call_soon_threadsafe``), where all widget and figure
updates happen: matplotlib artists are never touched from two threads at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["BackgroundJob", "JobOwner"]

log = logging.getLogger("grokwidgets")


class BackgroundJob:
    """Run ``work(report, stopped)`` in a thread; post its reports to the event loop.

    Parameters
    ----------
    work : callable
        ``work(report, stopped) -> result``. Call ``report(payload)`` to show
        progress; check ``stopped()`` (True after :meth:`stop`) to end early.
    on_progress : callable
        ``on_progress(payload)``, run on the kernel's event loop.
    on_done : callable
        ``on_done(result, error)``, run on the event loop when ``work`` returns
        (``error`` None) or raises (``result`` None).
    name : str
        The thread's name.

    Outside a running event loop (a script, a test) the callbacks run directly
    in the worker thread; :meth:`wait` joins it.
    """

    def __init__(
        self,
        work: Callable[[Callable[[Any], None], Callable[[], bool]], Any],
        *,
        on_progress: Callable[[Any], None],
        on_done: Callable[[Any, BaseException | None], None],
        name: str = "grokwidgets-job",
    ) -> None:
        self._work = work
        self._on_progress = on_progress
        self._on_done = on_done
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the work (does nothing if it is already running)."""
        if self.running:
            return
        self._stop.clear()
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._thread = threading.Thread(target=self._main, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the work to stop at its next check."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the work has finished (for scripts and tests)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        def guarded() -> None:
            try:
                fn(*args)
            except Exception:  # a broken callback must not kill the event loop
                log.exception("error in %s callback", self._name)

        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(guarded)
        else:
            guarded()

    def _main(self) -> None:
        try:
            result = self._work(
                lambda payload: self._post(self._on_progress, payload), self._stop.is_set
            )
        except Exception as exc:
            log.exception("%s failed", self._name)
            self._post(self._on_done, None, exc)
        else:
            self._post(self._on_done, result, None)


class JobOwner:
    """Mixin for a widget that runs one :class:`BackgroundJob` at a time behind a
    Stop button: ``self._job`` is the latest job (or None)."""

    _job: BackgroundJob | None = None

    @property
    def busy(self) -> bool:
        """True while the latest job is still running."""
        return self._job is not None and self._job.running

    def _on_stop_click(self, button=None) -> None:
        if self._job is not None:
            self._job.stop()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the latest job has finished (for scripts and tests)."""
        if self._job is not None:
            self._job.wait(timeout)

    def _end_job(self, timeout: float = 5.0) -> None:
        """Stop the job and wait a little for it (when the widget closes)."""
        self._on_stop_click()
        self.wait(timeout)
