"""The optional extras (pip install 'logitlab[fast]' ...), and whether each is installed,
asked without importing it: so the budget and the engines' choice cost nothing."""

from __future__ import annotations

import importlib.util
from functools import cache


@cache
def fused_available() -> bool:
    """True when Numba can be imported, so the fused engine can run."""
    return importlib.util.find_spec("numba") is not None


__all__ = ["fused_available"]
