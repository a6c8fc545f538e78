"""What every subcommand shares: one-line errors, lenient number parsing, common options."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from ..config import DEFAULT_DATA_SEED


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def number(text: str) -> int | float | str:
    """Parse an int or float; leave anything else as text so config validation names it."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def number_list(text: str) -> list[int | float | str]:
    """Parse a comma-separated list of numbers, e.g. '0.01,0.05,0.1'."""
    return [number(item.strip()) for item in text.split(",")]


def add_output_options(parser: argparse.ArgumentParser, default_out: str) -> None:
    """--out, --force and --quiet, the same on every command that writes a folder."""
    parser.add_argument(
        "--out",
        default=default_out,
        metavar="DIR",
        help="folder to write (default: %(default)s); built beside it and moved into place",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace DIR if it exists and is not empty (default: refuse)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bars (default: show them)"
    )


def add_data_options(parser: argparse.ArgumentParser, seed_help: str) -> None:
    """--n, --w0, --w1 and --data-seed: the lecture's simulated data."""
    group = parser.add_argument_group(
        "data: y ~ Bernoulli(sigmoid(w0 + w1 x)), x = linspace(-1, 1, n)"
    )
    group.add_argument("--n", type=number, default=2000, help="points (default: %(default)s)")
    group.add_argument(
        "--w0", type=number, default=-1.0, help="true intercept (default: %(default)s)"
    )
    group.add_argument("--w1", type=number, default=5.0, help="true slope (default: %(default)s)")
    group.add_argument(
        "--data-seed",
        type=number,
        default=DEFAULT_DATA_SEED,
        help=f"{seed_help} (default: %(default)s, the lecture's)",
    )


def add_engine_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """--engine: who computes the gradient descent (the same math either way)."""
    parser.add_argument(
        "--engine",
        default="auto",
        metavar="{auto,eager,fused}",
        help="eager: the lecture's torch loop; fused: compiled with numba, ~100x faster; "
        "auto: fused if numba is installed, else eager (default: %(default)s)",
    )
