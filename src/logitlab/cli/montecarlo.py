"""`logitlab montecarlo`: the sampling distribution of (ŵ0, ŵ1) over fresh data sets."""

from __future__ import annotations

import argparse

from ..config import MonteCarloConfig
from .common import (
    Study,
    add_data_options,
    add_format_option,
    add_output_options,
    add_training_options,
    lecture_config,
    number,
    run_study,
)

NAME = "montecarlo"
HELP = (
    "Draw --reps data sets from the lecture's model, fit each with BCE and MSE, and report "
    "the sampling distribution of (w0, w1): montecarlo.csv/json, histograms and report.html."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reps", type=number, default=1000, help="number of data sets (default: %(default)s)"
    )
    add_data_options(parser, "base seed: rep r draws y with seed data-seed + r")
    add_training_options(parser)
    add_output_options(parser, default_out="logitlab-montecarlo")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    return run_study(args, settings, study)


def settings(args: argparse.Namespace) -> MonteCarloConfig:
    return MonteCarloConfig(lecture=lecture_config(args), reps=args.reps)


def study(args: argparse.Namespace) -> Study:
    from ..report.montecarlo import write_montecarlo
    from ..studies.montecarlo import findings, run_montecarlo

    def show(config: MonteCarloConfig, study: object, names: list[str]) -> None:
        print_summary(study, config.reps, findings(study))
        print(f"\nWrote {', '.join(names)} to {args.out}/ (engine: {study.batch.engine})")

    return Study(run=run_montecarlo, write=lambda study, stage, formats: write_montecarlo(
        study, stage, formats=formats), show=show)  # fmt: skip


def print_summary(study: object, reps: int, sentences: list[str]) -> None:
    """Each loss's estimates against the truth and the MLE's SE, then the findings."""
    print(f"{reps} reps; estimate: mean, bias, sd, RMSE against the truth, MLE's SE")
    for loss, stats in study.summary().items():
        for param in ("w0", "w1"):
            s = stats[param]
            print(f"  {loss.upper()} {param}: mean {s['mean']:.4f}  bias {s['bias']:+.4f}  "
                  f"sd {s['sd']:.4f}  RMSE {s['rmse']:.4f}  MLE SE {s['mle_se']:.4f}")  # fmt: skip
        if stats["diverged"]:
            print(f"  {loss.upper()}: {stats['diverged']} fits diverged (see montecarlo.csv)")
    print()
    for sentence in sentences:
        print(sentence)
