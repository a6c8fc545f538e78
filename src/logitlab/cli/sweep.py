"""`logitlab sweep`: the lecture's fit for several learning rates, optimizers, batch sizes and
losses, side by side."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..config import SweepConfig
from .common import (
    Study,
    add_data_options,
    add_format_option,
    add_output_options,
    add_training_options,
    lecture_config,
    run_study,
)

NAME = "sweep"
HELP = (
    "Fit the lecture's data once per learning rate, optimizer, batch size and loss (all at "
    "once, over the cores) and write sweep.csv, sweep.json and sweep.png: final w0, w1 and "
    "loss against the lr."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_options(parser)
    add_training_options(parser, grid=True)
    add_output_options(parser, default_out="logitlab-sweep")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    return run_study(args, settings, study)


def settings(args: argparse.Namespace) -> SweepConfig:
    # The lecture's template takes each list's first value; SweepConfig checks every one.
    template = lecture_config(
        args, lr=args.lr[0], optimizer=args.optimizer[0], batch_size=args.batch_size[0]
    )
    return SweepConfig(
        lecture=template,
        lrs=tuple(args.lr),
        optimizers=tuple(args.optimizer),
        batch_sizes=tuple(args.batch_size),
    )


def study(args: argparse.Namespace) -> Study:
    from ..records import sweep_rows
    from ..report.sweep import write_sweep
    from ..studies.sweep import run_sweep

    def show(config: SweepConfig, sweep: object, names: list[str]) -> None:
        swept = [key for key, values in (("optimizer", config.optimizers),
                 ("batch_size", config.batch_sizes)) if len(values) > 1]  # fmt: skip
        print_table(sweep_rows(sweep), sweep.batch.tol, swept)
        print(f"\nWrote {', '.join(names)} to {args.out}/ (engine: {sweep.batch.engine})")

    return Study(run=run_sweep, write=lambda sweep, stage, formats: write_sweep(
        sweep, stage, formats=formats), show=show)  # fmt: skip


def print_table(rows: list[dict], tol: float, swept: Sequence[str] = ()) -> None:
    """One line per fit, led by the `swept` columns (optimizer, batch_size) when the sweep
    varies them; %.5g in 12 characters always fits, so columns never run together."""
    heads = {"optimizer": "optimizer", "batch_size": "batch"}
    print(f"{''.join(f'{heads[key]:<10}' for key in swept)}{'lr':>12}  {'loss':<5}{'w0':>12}"
          f"{'w1':>12}{'final loss':>12}{'|grad|':>12}  verdict")  # fmt: skip
    for row in rows:
        lead = "".join(f"{row[key]!s:<10}" for key in swept)
        if row["diverged_at"]:
            print(f"{lead}{row['lr']:>12.5g}  {row['loss']:<5}{'':>48}  diverged at epoch "
                  f"{row['diverged_at']}")  # fmt: skip
            continue
        numbers = (row[key] for key in ("w0_hat", "w1_hat", "final_loss", "grad_norm"))
        print(f"{lead}{row['lr']:>12.5g}  {row['loss']:<5}"
              f"{''.join(f'{v:>12.5g}' for v in numbers)}  {row['verdict']}")  # fmt: skip
    print(f"converged: |grad| of the mean loss <= {tol:g} and the loss never rose")
