"""Checks at the edge of every fit: a design matrix, labels and feature names the model can use."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..config import FLOAT32_MAX
from ..errors import DataError
from ..result import default_names


def as_design(x: object, name: str = "X") -> torch.Tensor:
    """Check a design matrix (n x d array or tensor; a 1-D input is one feature) -> float32
    (a copy, so a read-only input is fine)."""
    return torch.tensor(design_array(x, name), dtype=torch.float32)


def numeric_array(value: object, name: str, what: str) -> np.ndarray:
    """Any array-like (list, NumPy array, tensor on any device) as float64, or DataError
    saying `name` must be `what` (ragged lists, text, complex or huge Python ints)."""
    try:
        data = value.detach().cpu() if isinstance(value, torch.Tensor) else value
        return np.asarray(data, dtype=float)
    except (TypeError, ValueError, OverflowError, RuntimeError):
        raise DataError(f"{name} must be {what}") from None


def design_array(x: object, name: str = "X") -> np.ndarray:
    """as_design's checks, kept in float64 for exact statistics (the MLE reference). Values
    must be finite and within float32's range, which every engine computes in."""
    array = numeric_array(x, name, "a numeric array or tensor (n x d, or n for one feature)")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 1:
        raise DataError(f"{name} must be an n x d array with n, d >= 1, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise DataError(f"{name} contains NaN or infinite values")
    if np.abs(array).max() > FLOAT32_MAX:
        raise DataError(
            f"{name} holds values beyond float32's range (|value| <= {FLOAT32_MAX:.8g}), "
            f"up to {np.abs(array).max():.4g}"
        )
    return array


def as_labels(y: object, n: int) -> torch.Tensor:
    """Check labels: n values, each 0 or 1 -> float32 column n x 1 (a copy: the caller's
    array may be read-only, as pandas and statsmodels hand them out)."""
    return torch.tensor(label_array(y, n), dtype=torch.float32).reshape(n, 1)


def label_array(y: object, n: int) -> np.ndarray:
    """as_labels' checks, as a float64 vector of length n."""
    array = numeric_array(y, "y", "a numeric array of 0/1 labels")
    array = array.reshape(-1) if array.ndim == 2 and 1 in array.shape else array
    if array.ndim != 1 or array.shape[0] != n:
        raise DataError(f"y must hold one label per row of X ({n}), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise DataError("y contains NaN or infinite values")
    other = np.unique(array[(array != 0) & (array != 1)])
    if len(other):
        shown = ", ".join(f"{v:g}" for v in other[:3]) + (", ..." if len(other) > 3 else "")
        raise DataError(f"y must hold only 0 and 1, got {shown}")
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
