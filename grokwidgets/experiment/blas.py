"""BLAS limited to one thread, process-wide and re-entrant: :func:`single_threaded_blas`."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import threadpoolctl

_BLAS_LOCK = threading.Lock()
_BLAS_STATE: dict[str, object] = {"depth": 0, "controller": None, "limiter": None}


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
    with _BLAS_LOCK:
        if _BLAS_STATE["depth"] == 0:
            _BLAS_STATE["limiter"] = _limit_blas()
        _BLAS_STATE["depth"] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_STATE["depth"] -= 1
            limiter = _BLAS_STATE["limiter"]
            if _BLAS_STATE["depth"] == 0 and limiter is not None:
                limiter.restore_original_limits()
                _BLAS_STATE["limiter"] = None


def _limit_blas() -> threadpoolctl._ThreadpoolLimiter:
    if _BLAS_STATE["controller"] is None:
        # Finding the loaded BLAS libraries walks the process's shared objects
        # (about a millisecond); do it once.
        _BLAS_STATE["controller"] = threadpoolctl.ThreadpoolController()
    return _BLAS_STATE["controller"].limit(limits=1, user_api="blas")
