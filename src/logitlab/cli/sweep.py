"""`logitlab sweep`: the lecture's fit for several learning rates and losses, side by side."""

from __future__ import annotations

import argparse

from ..config import LECTURE_INIT_SEED, DataConfig, LectureConfig
from ..output import check_out_dir, staged_dir
from .common import add_data_options, add_engine_option, add_output_options, number, number_list

NAME = "sweep"
HELP = (
    "Fit the lecture's data once per learning rate and loss (all at once, over the cores) "
    "and write sweep.csv, sweep.json and sweep.png: final w0, w1 and loss against the lr."
)


def add_training_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """--loss, --epochs, --init-seed and --engine, shared with `logitlab montecarlo`."""
    group = parser.add_argument_group("training: SGD on the full batch, from the lecture's net")
    group.add_argument(
        "--loss",
        default="both",
        metavar="{bce,mse,both}",
        help="loss(es) to train with; all start from the same net (default: %(default)s)",
    )
    group.add_argument(
        "--epochs", type=number, default=10_000, help="full-batch epochs (default: %(default)s)"
    )
    group.add_argument(
        "--init-seed",
        type=number,
        default=LECTURE_INIT_SEED,
        help="torch.manual_seed for the initial weights (default: %(default)s, the lecture's)",
    )
    add_engine_option(group)
    return group


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_options(parser, "seed of the draw of y")
    group = add_training_options(parser)
    group.add_argument(
        "--lr",
        type=number_list,
        default=[0.01, 0.05, 0.1, 0.5, 1],
        metavar="LR[,LR...]",
        help="comma-separated learning rates, each > 0 (default: 0.01,0.05,0.1,0.5,1)",
    )
    add_output_options(parser, default_out="logitlab-sweep")


def lecture_config(args: argparse.Namespace, lr: object) -> LectureConfig:
    """The data and training options as a LectureConfig (ConfigError on the first bad one)."""
    data = DataConfig(n=args.n, w0=args.w0, w1=args.w1, seed=args.data_seed)
    return LectureConfig(
        data=data,
        losses=args.loss,
        lr=lr,
        epochs=args.epochs,
        init_seed=args.init_seed,
        engine=args.engine,
    )


def run(args: argparse.Namespace) -> int:
    from ..sweep import SweepConfig, run_sweep, write_sweep

    config = SweepConfig(lecture=lecture_config(args, args.lr[0]), lrs=tuple(args.lr))
    check_out_dir(args.out, args.force)
    sweep = run_sweep(config, progress=not args.quiet)
    with staged_dir(args.out, args.force) as stage:
        names = write_sweep(sweep, stage)
    print(f"{'lr':>8}  {'loss':<5}{'w0':>10}{'w1':>10}{'final loss':>12}")
    for row in sweep.rows():
        if row["diverged_at"]:
            note = f"  diverged at epoch {row['diverged_at']}"
            print(f"{row['lr']:>8g}  {row['loss']:<5}{note}")
        else:
            print(f"{row['lr']:>8g}  {row['loss']:<5}{row['w0_hat']:>10.4f}"
                  f"{row['w1_hat']:>10.4f}{row['final_loss']:>12.5f}")  # fmt: skip
    print(f"\nWrote {', '.join(names)} to {args.out}/ (engine: {sweep.batch.engine})")
    return 0
