"""BLAS limited to one thread, process-wide and re-entrant: :func:`single_threaded_blas`."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import threadpoolctl

__all__ = ["single_threaded_blas"]


class _BlasState:
    """The process's one BLAS limit: how deeply blocks nest, and what to restore."""

    def __init__(self) -> None:
        self.depth = 0
        # threadpoolctl has no type hints: its objects are Any to mypy.
        self.controller: threadpoolctl.ThreadpoolController | None = None
        self.limiter: threadpoolctl._ThreadpoolLimiter | None = None


_BLAS_LOCK = threading.Lock()
_BLAS_STATE = _BlasState()


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Limit BLAS to one thread inside the block.

    The matrices here are small (about 1100 x 128 x 53). When the machine's other
    core was idle, two BLAS threads made a training step about 1.2x faster; when
    it was busy with another process, about 10x slower (median 21.6 ms against
    1.8 ms per step, 2-core machine). One thread is the safe choice on a laptop
    that also runs a browser, and it makes runs reproducible: the thread count
    changes the summation order and so the last bits of every step.

    The limit is process-wide (BLAS has one thread pool) and re-entrant: nested or
    concurrent blocks cost about 1 us, the outermost ~20 us to set and restore.
    :func:`train`, :class:`Trainer` and the function from
    :func:`make_loss_and_grad` use it themselves.
    """
    state = _BLAS_STATE
    with _BLAS_LOCK:
        if state.depth == 0:
            state.limiter = _limit_blas()
        state.depth += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            state.depth -= 1
            if state.depth == 0 and state.limiter is not None:
                state.limiter.restore_original_limits()
                state.limiter = None


def _limit_blas() -> threadpoolctl._ThreadpoolLimiter:
    if _BLAS_STATE.controller is None:
        # Finding the loaded BLAS libraries walks the process's shared objects
        # (about a millisecond); do it once.
        _BLAS_STATE.controller = threadpoolctl.ThreadpoolController()
    return _BLAS_STATE.controller.limit(limits=1, user_api="blas")
