"""Checks at the edge of every fit: a design matrix, labels and feature names the model can use."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..errors import DataError
from ..result import default_names


def as_design(x: object, name: str = "X") -> torch.Tensor:
    """Check a design matrix (n x d array or tensor; a 1-D input is one feature) -> float32."""
    return torch.from_numpy(design_array(x, name)).float()


def design_array(x: object, name: str = "X") -> np.ndarray:
    """as_design's checks, kept in float64 for exact statistics (the MLE reference)."""
    try:
        array = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a numeric array or tensor") from None
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 1:
        raise DataError(f"{name} must be an n x d array with n, d >= 1, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise DataError(f"{name} contains NaN or infinite values")
    return array


def as_labels(y: object, n: int) -> torch.Tensor:
    """Check labels: n values, each 0 or 1 -> float32 column n x 1."""
    return torch.from_numpy(label_array(y, n)).float().reshape(n, 1)


def label_array(y: object, n: int) -> np.ndarray:
    """as_labels' checks, as a float64 vector of length n."""
    try:
        array = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y, dtype=float)
    except (TypeError, ValueError):
        raise DataError("y must be a numeric array of 0/1 labels") from None
    array = array.reshape(-1) if array.ndim == 2 and 1 in array.shape else array
    if array.ndim != 1 or array.shape[0] != n:
        raise DataError(f"y must hold one label per row of X ({n}), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise DataError("y contains NaN or infinite values")
    if not np.all((array == 0) | (array == 1)):
        raise DataError("y must hold only 0 and 1")
    return array


def check_names(names: Sequence[str] | None, d: int) -> tuple[str, ...]:
    """d distinct feature names (default x1, ..., xd)."""
    if names is None:
        return default_names(d)
    if isinstance(names, str):
        names = (names,)
    names = tuple(str(name) for name in names)
    if len(names) != d:
        raise DataError(f"names must give one name per feature ({d}), got {len(names)}")
    if len(set(names)) != d:
        raise DataError(f"feature names must differ from each other, got {names}")
    return names
