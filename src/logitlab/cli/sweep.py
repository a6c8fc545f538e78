"""`logitlab sweep`: the lecture's fit for several learning rates and losses, side by side."""

from __future__ import annotations

import argparse

from ..config import SweepConfig, check_formats
from ..report.files import check_out_dir, staged_dir
from .common import (
    add_data_options,
    add_format_option,
    add_output_options,
    add_training_options,
    check_budget,
    lecture_config,
    number_list,
)

NAME = "sweep"
HELP = (
    "Fit the lecture's data once per learning rate and loss (all at once, over the cores) "
    "and write sweep.csv, sweep.json and sweep.png: final w0, w1 and loss against the lr."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_options(parser)
    group = add_training_options(parser, lr=False)
    group.add_argument(
        "--lr",
        type=number_list,
        default=[0.01, 0.05, 0.1, 0.5, 1],
        metavar="LR[,LR...]",
        help="comma-separated learning rates, each > 0 (default: 0.01,0.05,0.1,0.5,1)",
    )
    add_output_options(parser, default_out="logitlab-sweep")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    first = args.lr[0] if args.lr else None  # an empty list is refused by SweepConfig
    config = SweepConfig(lecture=lecture_config(args, first), lrs=tuple(args.lr))
    formats = check_formats(args.format)
    check_out_dir(args.out, args.force)
    check_budget(config)
    from ..records import sweep_rows  # heavy imports only once the input is known good
    from ..report.sweep import write_sweep
    from ..studies.sweep import run_sweep

    sweep = run_sweep(config, progress=not args.quiet)
    with staged_dir(args.out, args.force) as stage:
        names = write_sweep(sweep, stage, formats=formats)
    print_table(sweep_rows(sweep), sweep.batch.tol)
    print(f"\nWrote {', '.join(names)} to {args.out}/ (engine: {sweep.batch.engine})")
    return 0


def print_table(rows: list[dict], tol: float) -> None:
    """One line per fit; %.5g in 12 characters always fits, so columns never run together."""
    print(f"{'lr':>12}  {'loss':<5}{'w0':>12}{'w1':>12}{'final loss':>12}{'|grad|':>12}  verdict")
    for row in rows:
        if row["diverged_at"]:
            print(f"{row['lr']:>12.5g}  {row['loss']:<5}{'':>48}  diverged at epoch "
                  f"{row['diverged_at']}")  # fmt: skip
            continue
        numbers = (row[key] for key in ("w0_hat", "w1_hat", "final_loss", "grad_norm"))
        print(f"{row['lr']:>12.5g}  {row['loss']:<5}{''.join(f'{v:>12.5g}' for v in numbers)}"
              f"  {row['verdict']}")  # fmt: skip
    print(f"converged: |grad| of the mean loss <= {tol:g} and the loss never rose")
