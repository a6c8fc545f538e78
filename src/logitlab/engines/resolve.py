"""Which engine runs: 'auto' resolves to fused when Numba is installed, else eager.

Light (no Numba, no torch), so choosing an engine costs nothing.
"""

from __future__ import annotations

import warnings

from ..config import check_engine
from ..errors import ConfigError
from ..extras import fused_available

_warned: list[bool] = []


def resolve_engine(engine: str) -> str:
    """Turn an engine name into the one that will run: 'eager' or 'fused'.

    'auto' falls back to eager without Numba, with one warning per process; asking for
    'fused' without Numba is an error that says how to get it.
    """
    engine = check_engine(engine)
    if engine == "eager":
        return "eager"
    if fused_available():
        return "fused"
    if engine == "fused":
        raise ConfigError("engine fused needs numba: pip install 'logitlab[fast]'")
    if not _warned:
        _warned.append(True)
        warnings.warn(
            "numba is not installed, so engine auto uses the (slow) eager engine; "
            "pip install 'logitlab[fast]' for the fused one",
            RuntimeWarning,
            stacklevel=3,
        )
    return "eager"
