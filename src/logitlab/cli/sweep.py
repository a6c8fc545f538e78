"""`logitlab sweep`: the lecture's fit for several learning rates and losses, side by side."""

from __future__ import annotations

import argparse

from ..config import SweepConfig
from ..report.files import check_out_dir, staged_dir
from .common import (
    add_data_options,
    add_output_options,
    add_training_options,
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


def run(args: argparse.Namespace) -> int:
    config = SweepConfig(lecture=lecture_config(args, args.lr[0]), lrs=tuple(args.lr))
    check_out_dir(args.out, args.force)
    from ..records import sweep_rows  # heavy imports only once the input is known good
    from ..report.sweep import write_sweep
    from ..studies.sweep import run_sweep

    sweep = run_sweep(config, progress=not args.quiet)
    with staged_dir(args.out, args.force) as stage:
        names = write_sweep(sweep, stage)
    print(f"{'lr':>8}  {'loss':<5}{'w0':>10}{'w1':>10}{'final loss':>12}")
    for row in sweep_rows(sweep):
        if row["diverged_at"]:
            note = f"  diverged at epoch {row['diverged_at']}"
            print(f"{row['lr']:>8g}  {row['loss']:<5}{note}")
        else:
            print(f"{row['lr']:>8g}  {row['loss']:<5}{row['w0_hat']:>10.4f}"
                  f"{row['w1_hat']:>10.4f}{row['final_loss']:>12.5f}")  # fmt: skip
    print(f"\nWrote {', '.join(names)} to {args.out}/ (engine: {sweep.batch.engine})")
    return 0
