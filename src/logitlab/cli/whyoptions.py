"""Options shared by `logitlab landscape` and `logitlab animate`: data, training, grid."""

from __future__ import annotations

import argparse

from ..config import DataConfig, TrainConfig, check_float, check_int
from ..errors import ConfigError
from .common import add_data_options, add_training_options, data_config, number, train_config


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
    add_data_options(parser)
    train = add_training_options(parser, loss=False)
    train.add_argument(
        "--grid",
        type=number,
        default=grid_default,
        help="landscape grid points per axis (default: %(default)s)",
    )


def configs_from(args: argparse.Namespace) -> tuple[DataConfig, TrainConfig, int]:
    """Validate the shared options: data, training and grid size (ConfigError on the first bad
    one)."""
    return data_config(args), train_config(args), check_int("grid size", args.grid, 3)
