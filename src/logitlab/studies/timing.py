"""How long a study took, recorded on the record it returns (results files report it)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

Run = TypeVar("Run")


def timed(study: Callable[..., Run]) -> Callable[..., Run]:
    """Wrap run_<study> so its frozen record comes back with `seconds` set to the wall time."""

    @functools.wraps(study)
    def run(*args: Any, **kwargs: Any) -> Run:
        start = time.perf_counter()
        record = study(*args, **kwargs)
        return replace(record, seconds=time.perf_counter() - start)  # type: ignore[type-var]

    return run
