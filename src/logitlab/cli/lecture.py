"""`logitlab lecture`: the week-5 lecture reproduced into one folder with a report."""

from __future__ import annotations

import argparse
import sys

from ..config import check_formats
from ..report.staging import check_out_dir, staged_dir
from ..report.writers import require_dot
from .common import (
    add_data_options,
    add_format_option,
    add_output_options,
    add_training_options,
    check_budget,
    lecture_config,
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
    config = lecture_config(args)
    formats = check_formats(args.format)
    check_out_dir(args.out, args.force, inputs=())
    check_budget(config)
    from ..records import to_record  # heavy imports only once the input is known good
    from ..report.lecture import parameter_rows, write_lecture
    from ..studies.lecture import run_lecture

    require_dot()
    lecture_run = run_lecture(config, progress=not args.quiet)
    if not args.quiet:
        print("Drawing the figures and writing the report ...", file=sys.stderr, flush=True)
    with staged_dir(args.out, args.force) as stage:
        names = write_lecture(lecture_run, stage, formats=formats)
    print_summary(parameter_rows(to_record(lecture_run)), args.out, names)
    return 0


def print_summary(rows: list[list[object]], out: str, names: list[str]) -> None:
    """The parameter table and where the files went."""
    print(f"{'':<22}{'w0':>10}{'w1':>10}")
    for label, w0, w1 in rows:
        print(f"{label:<22}{w0:>10.4f}{w1:>10.4f}")
    print(f"\nWrote {len(names)} files to {out}/: {', '.join(names)}")
    print(f"Report: {out}/report.html")
