"""`logitlab montecarlo`: the sampling distribution of (ŵ0, ŵ1) over fresh data sets."""

from __future__ import annotations

import argparse

from ..config import MonteCarloConfig, check_formats
from ..report.staging import check_out_dir, staged_dir
from .common import (
    add_data_options,
    add_format_option,
    add_output_options,
    add_training_options,
    check_budget,
    lecture_config,
    number,
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
    config = MonteCarloConfig(lecture=lecture_config(args), reps=args.reps)
    formats = check_formats(args.format)
    check_out_dir(args.out, args.force, inputs=())
    check_budget(config)
    from ..report.montecarlo import write_montecarlo  # heavy imports, input known good
    from ..studies.montecarlo import findings, run_montecarlo

    study = run_montecarlo(config, progress=not args.quiet)
    with staged_dir(args.out, args.force) as stage:
        names = write_montecarlo(study, stage, formats=formats)
    print(f"{config.reps} reps; estimate: mean, bias, sd, RMSE against the truth, MLE's SE")
    for loss, stats in study.summary().items():
        for param in ("w0", "w1"):
            s = stats[param]
            print(f"  {loss.upper()} {param}: mean {s['mean']:.4f}  bias {s['bias']:+.4f}  "
                  f"sd {s['sd']:.4f}  RMSE {s['rmse']:.4f}  MLE SE {s['mle_se']:.4f}")  # fmt: skip
        if stats["diverged"]:
            print(f"  {loss.upper()}: {stats['diverged']} fits diverged (see montecarlo.csv)")
    print()
    for sentence in findings(study):
        print(sentence)
    print(f"\nWrote {', '.join(names)} to {args.out}/ (engine: {study.batch.engine})")
    return 0
