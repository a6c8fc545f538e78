"""The lecture's simulated data, and CSV in and out so anyone can refit the same numbers."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .config import DataConfig
from .errors import DataError


@dataclass(frozen=True)
class Dataset:
    """Inputs x (n x 1), success probabilities pi (n x 1, None when unknown), labels y (n x 1)."""

    x: torch.Tensor
    pi: torch.Tensor | None
    y: torch.Tensor

    @property
    def n(self) -> int:
        return self.x.shape[0]


def simulate(n: int = 2000, w0: float = -1.0, w1: float = 5.0, seed: int | None = None) -> Dataset:
    """Draw the lecture's data: X = linspace(-1, 1, n), pi = sigmoid(w0 + w1 X), y ~ Ber(pi).

    The draw of y uses its own generator, so the same seed gives the same bytes and the
    global torch RNG is left alone.
    """
    cfg = DataConfig(n=n, w0=w0, w1=w1, **({} if seed is None else {"seed": seed}))
    x = torch.linspace(-1, 1, cfg.n).reshape(cfg.n, 1)
    u = cfg.w0 + cfg.w1 * x
    pi = torch.sigmoid(u)
    generator = torch.Generator().manual_seed(cfg.seed)
    y = torch.bernoulli(pi, generator=generator)
    return Dataset(x=x, pi=pi, y=y)


def simulate_from(cfg: DataConfig) -> Dataset:
    """simulate() driven by a DataConfig."""
    return simulate(cfg.n, cfg.w0, cfg.w1, cfg.seed)


def save_csv(data: Dataset, path: str | Path) -> None:
    """Write columns x,pi,y with every digit of the float32 values (17 significant digits)."""
    columns = [data.x[:, 0], data.pi[:, 0] if data.pi is not None else None, data.y[:, 0]]
    names = [name for name, col in zip(("x", "pi", "y"), columns, strict=True) if col is not None]
    table = np.column_stack([c.double().numpy() for c in columns if c is not None])
    np.savetxt(path, table, delimiter=",", header=",".join(names), comments="", fmt="%.17g")


def load_csv(path: str | Path) -> Dataset:
    """Read a CSV with columns x and y (0/1), and pi if present, as float32 tensors."""
    path = Path(path)
    try:
        with path.open(newline="") as handle:
            header = next(csv.reader(handle), [])
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    header = [h.strip() for h in header]
    if "x" not in header or "y" not in header or len(header) != table.shape[1]:
        raise DataError(f"{path} must have a header with columns x and y (and optionally pi)")
    if not np.all(np.isfinite(table)):
        raise DataError(f"{path} contains NaN or infinite values")
    column = {name: torch.from_numpy(table[:, [i]]).float() for i, name in enumerate(header)}
    y = column["y"]
    if not torch.all((y == 0) | (y == 1)):
        raise DataError(f"column y of {path} must hold only 0 and 1")
    return Dataset(x=column["x"], pi=column.get("pi"), y=y)


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
