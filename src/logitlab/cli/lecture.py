"""`logitlab lecture`: the week-5 lecture reproduced into one folder with a report."""

from __future__ import annotations

import argparse

from ..config import DEFAULT_DATA_SEED, LECTURE_INIT_SEED, DataConfig, LectureConfig
from ..output import check_out_dir, staged_dir
from .common import add_engine_option, add_output_options, number

NAME = "lecture"
HELP = (
    "Reproduce the week-5 lecture: simulate the data, draw the network, train with BCE "
    "(and MSE, the homework) and write figures, data, results.json and report.html."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    data = parser.add_argument_group(
        "data: y ~ Bernoulli(sigmoid(w0 + w1 x)), x = linspace(-1, 1, n)"
    )
    data.add_argument(
        "--n", type=number, default=2000, help="number of points (default: %(default)s)"
    )
    data.add_argument(
        "--w0", type=number, default=-1.0, help="true intercept (default: %(default)s)"
    )
    data.add_argument("--w1", type=number, default=5.0, help="true slope (default: %(default)s)")
    data.add_argument(
        "--data-seed",
        type=number,
        default=DEFAULT_DATA_SEED,
        help="seed of the draw of y (default: %(default)s)",
    )
    train = parser.add_argument_group("training: SGD on the full batch, the lecture's four steps")
    train.add_argument(
        "--loss",
        default="both",
        metavar="{bce,mse,both}",
        help="loss(es) to train with; both start from the same net (default: %(default)s)",
    )
    train.add_argument(
        "--lr", type=number, default=0.05, help="learning rate (default: %(default)s)"
    )
    train.add_argument(
        "--epochs", type=number, default=10_000, help="full-batch epochs (default: %(default)s)"
    )
    train.add_argument(
        "--init-seed",
        type=number,
        default=LECTURE_INIT_SEED,
        help="torch.manual_seed for the network's initial weights "
        "(default: %(default)s, the lecture's)",
    )
    add_engine_option(train)
    add_output_options(parser, default_out="logitlab-lecture")


def config_from(args: argparse.Namespace) -> LectureConfig:
    """Validate every option into a LectureConfig (ConfigError on the first bad one)."""
    data = DataConfig(n=args.n, w0=args.w0, w1=args.w1, seed=args.data_seed)
    return LectureConfig(
        data=data,
        losses=args.loss,
        lr=args.lr,
        epochs=args.epochs,
        init_seed=args.init_seed,
        engine=args.engine,
    )


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    check_out_dir(args.out, args.force)
    from ..diagram import require_dot  # heavy imports only once the input is known good
    from ..lecture import run_lecture
    from ..report import parameter_rows, results_dict, write_outputs

    require_dot()
    lecture_run = run_lecture(config, progress=not args.quiet)
    results = results_dict(lecture_run)
    with staged_dir(args.out, args.force) as stage:
        written = write_outputs(lecture_run, results, stage)
    print_summary(parameter_rows(results), args.out, sorted(written))
    return 0


def print_summary(rows: list[list[object]], out: str, names: list[str]) -> None:
    """The parameter table and where the files went."""
    print(f"{'':<22}{'w0':>10}{'w1':>10}")
    for label, w0, w1 in rows:
        print(f"{label:<22}{w0:>10.4f}{w1:>10.4f}")
    print(f"\nWrote {len(names)} files to {out}/: {', '.join(names)}")
    print(f"Report: {out}/report.html")
