"""Run libcst work that may recurse deeply: first normally, then once more with room for it.

Deep but valid code (a 2,900-term sum) overflows Python's default recursion limit in libcst's
visitors. The retry runs in a thread with a large stack and a high recursion limit, which are
restored afterwards.
"""

from __future__ import annotations

import sys
import threading
from typing import Callable, TypeVar

T = TypeVar("T")

DEEP_STACK_BYTES = 512 * 1024 * 1024
DEEP_RECURSION_LIMIT = 200_000


def with_deep_stack(work: Callable[[], T]) -> T:
    try:
        return work()
    except RecursionError:
        pass
    outcome: list[T] = []
    failure: list[BaseException] = []

    def deep() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed back to the caller's thread
            failure.append(exc)

    previous_stack = threading.stack_size(DEEP_STACK_BYTES)
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(DEEP_RECURSION_LIMIT)
    try:
        thread = threading.Thread(target=deep, name="prunelint-deep")
        thread.start()
        thread.join()
    finally:
        sys.setrecursionlimit(previous_limit)
        threading.stack_size(previous_stack)
    if failure:
        raise failure[0]
    return outcome[0]
