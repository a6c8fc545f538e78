"""`logitlab datasets`: the data sets that ship inside installed packages, one line each."""

from __future__ import annotations

import argparse

NAME = "datasets"
HELP = "List the data sets `logitlab fit --dataset NAME` can use (no download), one per line."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options."""


def run(args: argparse.Namespace) -> int:
    from ..data.datasets import dataset_lines

    for line in dataset_lines():
        print(line)
    return 0
