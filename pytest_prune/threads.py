"""torch's intra-op thread count for the duration of a check, restored afterwards.

On a loaded 2-core machine torch's default of one thread per core made a 78 k-parameter CNN
check take 5-15 s instead of about 1 s with one thread; the count used goes into the report.
"""
from __future__ import annotations

import contextlib
from typing import Iterator, Optional


@contextlib.contextmanager
def torch_threads(n: Optional[int]) -> Iterator[int]:
    import torch

    before = torch.get_num_threads()
    if n is None or n == before:
        yield before
        return
    torch.set_num_threads(n)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
