"""A wall-clock limit for a check.

Torch-Pruning can loop for ever while grouping some graphs (1.6.1 on transformers 5.x
LLaMA is one); a test should fail with a diagnosis instead of hanging CI.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator, List, Optional


class TimeLimitExceeded(BaseException):
    # BaseException: Torch-Pruning and our stage wrappers catch Exception, and this must get through.
    pass


@contextlib.contextmanager
def time_limit(seconds: Optional[float], phase: List[str]) -> Iterator[None]:
    """SIGALRM-based, so only on the main thread of a Unix process, and never over another timer
    (pytest-timeout uses the same signal); elsewhere the check runs unlimited."""
    usable = (
        seconds is not None
        and seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    if not usable:
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise TimeLimitExceeded(f"still {phase[-1] if phase else 'running'} after {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
