"""The lecture's simulated data, the playground's 2-D data sets, and CSV in and out so anyone
can refit the same numbers."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..config import DEFAULT_DATA_SEED, MAX_N, MAX_SEED, DataConfig, check_int, shown
from ..errors import ConfigError, DataError


@dataclass(frozen=True)
class Dataset:
    """A data set: inputs, their success probabilities where known, and 0/1 labels.

    Parameters
    ----------
    x : torch.Tensor
        The inputs, n x d float32.
    pi : torch.Tensor or None
        The success probabilities, n x 1; None when unknown (data read from a file without them).
    y : torch.Tensor
        The labels, n x 1, each 0.0 or 1.0.
    names : tuple of str, default ("x",)
        The names of x's columns (the lecture's one feature is called x).
    """

    x: torch.Tensor
    pi: torch.Tensor | None
    y: torch.Tensor
    names: tuple[str, ...] = ("x",)

    @property
    def n(self) -> int:
        """The number of points (rows of x)."""
        return self.x.shape[0]


def simulate(n: int = 2000, w0: float = -1.0, w1: float = 5.0, seed: int | None = None) -> Dataset:
    """Draw the lecture's data: X = linspace(-1, 1, n), pi = sigmoid(w0 + w1 X), y ~ Ber(pi).

    The draw of y uses its own generator, so the same seed gives the same bytes and the
    global torch RNG is left alone.

    Parameters
    ----------
    n : int, default 2000
        The number of points.
    w0, w1 : float, default -1.0 and 5.0
        The true intercept and slope.
    seed : int, optional
        The seed of y's draw; DataConfig's default when None.

    Returns
    -------
    Dataset
        x (n x 1), pi and y (n x 1), float32.

    Raises
    ------
    ConfigError
        When n, a weight or the seed is outside what DataConfig allows.
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
    """Write columns x,pi,y with every digit of the float32 values (17 significant digits).

    Parameters
    ----------
    data : Dataset
        The data with one feature; pi is left out when None.
    path : str or Path
        The CSV file to write (replaced if it exists).
    """
    columns = [data.x[:, 0], data.pi[:, 0] if data.pi is not None else None, data.y[:, 0]]
    names = [name for name, col in zip(("x", "pi", "y"), columns, strict=True) if col is not None]
    table = np.column_stack([c.double().numpy() for c in columns if c is not None])
    np.savetxt(path, table, delimiter=",", header=",".join(names), comments="", fmt="%.17g")


def load_csv(path: str | Path) -> Dataset:
    """Read a CSV with columns x and y (0/1), and pi if present, as float32 tensors.

    Parameters
    ----------
    path : str or Path
        A file as save_csv writes it: a header naming x, y and optionally pi.

    Returns
    -------
    Dataset
        The columns as n x 1 tensors (pi None when the file has none).

    Raises
    ------
    DataError
        When the file cannot be read, lacks x or y, holds NaN or inf, or y is not 0/1.
    """
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


# --- two features, as TensorFlow Playground draws them --------------------------------------

#: The fewest points a 2-D data set has: XOR's four quadrants, one point each.
MIN_PLANE_N = 4
#: Standard deviations about the centres: blobs at (-1, -1) and (1, 1) overlap a little
#: (a line reaches ~96%), XOR's four at (+-1, +-1) spill over an axis now and then (~3%).
BLOB_SPREAD, XOR_SPREAD = 0.8, 0.45
#: The circles' radii, y = 1 inside and 0 outside, and their spread: the rings barely touch.
CIRCLE_RADII, CIRCLE_SPREAD = (0.7, 1.7), 0.25


def _blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, torch.Tensor | None]:
    """Two Gaussian blobs, y = 0 about (-1, -1) and y = 1 about (1, 1), in turns."""
    y = (np.arange(n) % 2).astype(float)
    noise = np.random.default_rng(seed).standard_normal((n, 2))
    return np.where(y[:, None] == 1, 1.0, -1.0) + BLOB_SPREAD * noise, y, None


def _xor(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, torch.Tensor | None]:
    """Four blobs about (+-1, +-1), the quadrants in turns; y = 1 where exactly one of the
    centre's coordinates is positive."""
    quadrant = np.arange(n) % 4
    signs = np.column_stack((np.where(quadrant % 2, 1.0, -1.0),
                             np.where(quadrant // 2, 1.0, -1.0)))  # fmt: skip
    noise = np.random.default_rng(seed).standard_normal((n, 2))
    return signs + XOR_SPREAD * noise, (signs[:, 0] != signs[:, 1]).astype(float), None


def _circles(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, torch.Tensor | None]:
    """A ring of y = 1 inside a ring of y = 0, in turns, at uniform angles."""
    y = (np.arange(n) % 2).astype(float)
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(y == 1, *CIRCLE_RADII) + CIRCLE_SPREAD * rng.standard_normal(n)
    return np.column_stack((radius * np.cos(angle), radius * np.sin(angle))), y, None


def _noise(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, torch.Tensor | None]:
    """The lecture's draw as x1 (with its pi), and x2 ~ U(-1, 1) from NumPy's generator: a
    stream apart from torch's draw of y, so x2 holds nothing of y."""
    lecture = simulate(n, seed=seed)
    x2 = np.random.default_rng(seed).uniform(-1, 1, n)
    x = np.column_stack((lecture.x[:, 0].double().numpy(), x2))
    return x, lecture.y[:, 0].double().numpy(), lecture.pi


#: The playground's 2-D data sets by name: two Gaussian blobs, XOR, two rings, and the
#: lecture's data with a noise feature.
PLANE_SHAPES = {"blobs": _blobs, "xor": _xor, "circles": _circles, "noise": _noise}


def simulate_plane(shape: str, n: int, seed: int = DEFAULT_DATA_SEED) -> Dataset:
    """Draw n points of one of PLANE_SHAPES: x (n x 2, columns x1 and x2), labels y, and pi
    where it is known (noise). The classes take turns (as balanced as n allows) except in
    noise, whose y is the lecture's draw. The same seed gives the same bytes."""
    if shape not in PLANE_SHAPES:
        raise ConfigError(f"the 2-D data set must be one of {', '.join(PLANE_SHAPES)}, "
                          f"got {shown(shape)}")  # fmt: skip
    n = check_int("n", n, MIN_PLANE_N, MAX_N)
    seed = check_int("seed", seed, 0, MAX_SEED)
    x, y, pi = PLANE_SHAPES[shape](n, seed)
    return Dataset(x=torch.from_numpy(x).float(), pi=pi, y=torch.from_numpy(y[:, None]).float(),
                   names=("x1", "x2"))  # fmt: skip
