"""The one timer of the benchmarks: the machine is shared, so a figure is the best of a few
runs (the least disturbed one), not their mean."""

from __future__ import annotations

import time
from collections.abc import Callable


def best(work: Callable[[], object], repeats: int) -> tuple[float, object]:
    """The shortest wall time of `repeats` calls of work(), in seconds, and the last answer."""
    times, answer = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        answer = work()
        times.append(time.perf_counter() - start)
    return min(times), answer
