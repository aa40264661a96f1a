"""A small worker pool for the slow password work (argon2: 0.1–0.4 s and 64 MiB each).

Password checks run here, never while the store lock is held: the lock is taken only for
the reads and writes around them. The pool bounds how many run at once (``workers``, so a
crowd of guessers cannot take every core) and how many may wait (``max_waiting``; beyond
that a login is refused with :class:`~khazar.errors.Unavailable`, 503, instead of queueing
without end and holding memory for each). On Linux the workers run at the idle scheduling
class (``SCHED_IDLE``; argon2's own lane threads inherit it): they take the cores only
when the requests, the feed and detection leave them free.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from khazar.errors import Unavailable

__all__ = ["PasswordWorkers"]

T = TypeVar("T")


def _lowest_priority() -> None:
    """This thread (and the threads it starts) yield the CPU to everything else."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not permitted
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


class PasswordWorkers:
    """Runs password hashing and verification on ``workers`` threads of its own."""

    def __init__(self, workers: int = 1, max_waiting: int = 32) -> None:
        if workers < 1 or max_waiting < 0:
            raise ValueError(f"workers must be >= 1 and max_waiting >= 0, got "
                             f"{workers}, {max_waiting}")
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="khazar-pw",
                                        initializer=_lowest_priority)
        self._slots = threading.BoundedSemaphore(workers + max_waiting)

    def run(self, fn: Callable[[], T]) -> T:
        """``fn()`` on a worker, waiting for its result; :class:`Unavailable` when
        ``workers + max_waiting`` calls are already in progress."""
        if not self._slots.acquire(blocking=False):
            raise Unavailable(
                "too many password checks in progress; try again in a few seconds"
            )
        try:
            return self._pool.submit(fn).result()
        finally:
            self._slots.release()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
