"""The lecture's simulated data, and CSV in and out so anyone can refit the same numbers."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..config import DataConfig
from ..errors import DataError


@dataclass(frozen=True)
class Dataset:
    """Inputs x (n x d), success probabilities pi (n x 1, None when unknown), labels y (n x 1),
    and the names of x's columns (the lecture's one feature is called x)."""

    x: torch.Tensor
    pi: torch.Tensor | None
    y: torch.Tensor
    names: tuple[str, ...] = ("x",)

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
