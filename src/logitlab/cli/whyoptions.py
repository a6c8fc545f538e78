"""Options shared by `logitlab landscape` and `logitlab animate`: data, training, grid."""

from __future__ import annotations

import argparse

from ..config import DEFAULT_DATA_SEED, LECTURE_INIT_SEED, DataConfig, TrainConfig, check_float
from ..errors import ConfigError
from .common import number


def point(text: str) -> tuple[object, object] | str:
    """Parse 'W0,W1' (a point in parameter space); leave anything else for validation."""
    parts = text.split(",")
    return (number(parts[0].strip()), number(parts[1].strip())) if len(parts) == 2 else text


def check_point(name: str, value: object) -> tuple[float, float]:
    """A (w0, w1) pair of finite numbers, or ConfigError."""
    if not isinstance(value, tuple):
        raise ConfigError(f"{name} must be two numbers W0,W1, got {value!r}")
    return check_float(f"{name} w0", value[0]), check_float(f"{name} w1", value[1])


def add_data_and_training(parser: argparse.ArgumentParser, grid_default: int) -> None:
    """The lecture's data and gradient-descent settings, and the landscape grid's size."""
    data = parser.add_argument_group(
        "data: y ~ Bernoulli(sigmoid(w0 + w1 x)), x = linspace(-1, 1, n)"
    )
    data.add_argument(
        "--n", type=number, default=2000, help="number of points (default: %(default)s)"
    )
    data.add_argument(
        "--w0", type=number, default=-1.0, help="true intercept (default: %(default)s)"
    )
    data.add_argument("--w1", type=number, default=5.0, help="true slope (default: %(default)s)")
    data.add_argument(
        "--data-seed",
        type=number,
        default=DEFAULT_DATA_SEED,
        help="seed of the draw of y (default: %(default)s)",
    )
    train = parser.add_argument_group("training: full-batch SGD, BCE and MSE from the same start")
    train.add_argument(
        "--lr", type=number, default=0.05, help="learning rate (default: %(default)s)"
    )
    train.add_argument(
        "--epochs", type=number, default=10_000, help="epochs of each fit (default: %(default)s)"
    )
    train.add_argument(
        "--init-seed",
        type=number,
        default=LECTURE_INIT_SEED,
        help="torch.manual_seed of the starting net (default: %(default)s, the "
        "lecture's: w0 = -0.8470, w1 = -0.3467)",
    )
    train.add_argument(
        "--grid",
        type=number,
        default=grid_default,
        help="landscape grid points per axis (default: %(default)s)",
    )


def configs_from(args: argparse.Namespace) -> tuple[DataConfig, TrainConfig]:
    """Validate the shared options (ConfigError on the first bad one)."""
    data = DataConfig(n=args.n, w0=args.w0, w1=args.w1, seed=args.data_seed)
    train = TrainConfig(lr=args.lr, epochs=args.epochs, init_seed=args.init_seed)
    return data, train
