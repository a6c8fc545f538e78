"""`logitlab lecture`: the week-5 lecture reproduced into one folder with a report."""

from __future__ import annotations

import argparse

from .common import (
    Study,
    add_data_options,
    add_format_option,
    add_output_options,
    add_training_options,
    lecture_config,
    run_study,
)

NAME = "lecture"
HELP = (
    "Reproduce the week-5 lecture: simulate the data, draw the network, train with BCE "
    "(and MSE, the homework) and write figures, data, results.json and report.html."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_options(parser)
    add_training_options(parser)
    add_output_options(parser, default_out="logitlab-lecture")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    return run_study(args, lecture_config, study)


def study(args: argparse.Namespace) -> Study:
    from ..records import to_record
    from ..report.lecture import parameter_rows, write_lecture
    from ..report.writers import require_dot
    from ..studies.lecture import run_lecture

    def show(config: object, run: object, names: list[str]) -> None:
        print_summary(parameter_rows(to_record(run)), args.out, names)

    return Study(run=run_lecture, write=lambda run, stage, formats: write_lecture(
        run, stage, formats=formats), show=show, ready=require_dot, drawing=True)  # fmt: skip


def print_summary(rows: list[list[object]], out: str, names: list[str]) -> None:
    """The parameter table and where the files went."""
    print(f"{'':<22}{'w0':>10}{'w1':>10}")
    for label, w0, w1 in rows:
        print(f"{label:<22}{w0:>10.4f}{w1:>10.4f}")
    print(f"\nWrote {len(names)} files to {out}/: {', '.join(names)}")
    print(f"Report: {out}/report.html")
