"""Worker processes for `-j N`, and what Ctrl-C does to them.

A terminal sends SIGINT to the whole process group. Workers ignore it, so that only the parent
raises KeyboardInterrupt (one short message instead of a traceback per worker); the parent then
terminates the workers and waits for them before it exits, so none is left behind.
"""

from __future__ import annotations

import signal
import threading
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _hold_sigint():
    if threading.current_thread() is not threading.main_thread():
        return None  # only the main thread may set handlers
    return signal.signal(signal.SIGINT, signal.SIG_IGN)


class Workers:
    """`jobs` forked processes, started when a round first has enough files to share and kept
    for the run's later rounds (each of which would otherwise fork anew); `close` ends them."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self._pool = None

    def map(self, work: Callable[[T], R], items: Sequence[T], chunksize: int) -> list[R]:
        """`[work(item) for item in items]`, in order."""
        if self._pool is None:
            from multiprocessing import get_context

            # fork: workers inherit the loaded rules and API data instead of importing them again.
            self._pool = get_context("fork").Pool(processes=self.jobs, initializer=_ignore_sigint)
        try:
            return list(self._pool.imap(work, items, chunksize=chunksize))
        except BaseException:
            # On Ctrl-C, and on a worker's exception: nothing is left running. A second Ctrl-C
            # (users press it twice) must not cut the clean-up short.
            previous = _hold_sigint()
            try:
                self._pool.terminate()
                self._pool.join()
                self._pool = None
            finally:
                if previous is not None:
                    signal.signal(signal.SIGINT, previous)
            raise

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
            pool.join()


def map_in_processes(work: Callable[[T], R], items: Sequence[T], jobs: int, chunksize: int) -> list[R]:
    """`[work(item) for item in items]` in `jobs` forked processes, in order."""
    workers = Workers(jobs)
    try:
        return workers.map(work, items, chunksize)
    finally:
        workers.close()
