"""`logitlab optimizers`: does Adam rescue MSE? The course's week-6 experiment in one folder."""

from __future__ import annotations

import argparse

from ..config import OptimizersConfig
from .common import (
    Study,
    add_data_options,
    add_engine_option,
    add_format_option,
    add_grid_option,
    add_output_options,
    data_config,
    number,
    number_list,
    point,
    run_study,
)

NAME = "optimizers"
HELP = (
    "Does Adam rescue MSE? SGD against Adam, BCE against MSE, from a near and a far start "
    "(the course's week-6 experiment): where each descent ends against the MLE, the paths "
    "on both landscapes, films, mini-batches against the full batch in epochs and seconds, "
    "and the conclusion from the numbers."
)
#: The course's draw (torch.manual_seed(1)) and starts.
DEFAULT_DATA_SEED = 1
DEFAULT_STARTS = "-3,-1;-10,-1"


def points(text: str) -> list[object]:
    """Parse 'W0,W1;W0,W1' (points in parameter space); validation names what is wrong."""
    return [point(part.strip()) for part in text.split(";")]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_options(parser, seed_help="seed of the draw of y (1: the course's)")
    parser.set_defaults(data_seed=DEFAULT_DATA_SEED)
    group = parser.add_argument_group("the descents: SGD and Adam, BCE and MSE, from each start")
    group.add_argument(
        "--starts",
        type=points,
        default=DEFAULT_STARTS,
        metavar="W0,W1;W0,W1",
        help="starting points, 1 to 4, separated by ';'; the last is the far one the films "
        "and the mini-batches start from (default: %(default)s)",
    )
    group.add_argument(
        "--lr", type=number, default=0.05, help="learning rate of every descent "
        "(default: %(default)s)"
    )  # fmt: skip
    group.add_argument(
        "--epochs", type=number, default=1000, help="epochs of every descent "
        "(default: %(default)s)"
    )  # fmt: skip
    group.add_argument(
        "--batch-sizes",
        type=number_list,
        default="1024,256,32",
        metavar="B[,B]",
        help="mini-batch sizes run with Adam from the far start beside the full batch "
        "(default: %(default)s)",
    )
    group.add_argument(
        "--shuffle-seed",
        type=number,
        default=0,
        help="seed of the mini-batches' shuffling (default: %(default)s)",
    )
    add_engine_option(group)
    add_grid_option(group, default=81)
    film = parser.add_argument_group("films: both losses from the far start, one per optimizer")
    film.add_argument(
        "--frames",
        type=number,
        default=80,
        help="frames in each film, spread over the epochs, denser early (default: %(default)s)",
    )
    film.add_argument(
        "--fps", type=number, default=20, help="frames per second (default: %(default)s)"
    )
    add_output_options(parser, default_out="logitlab-optimizers")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    return run_study(args, settings, study)


def settings(args: argparse.Namespace) -> OptimizersConfig:
    return OptimizersConfig(
        data=data_config(args),
        starts=args.starts,
        lr=args.lr,
        epochs=args.epochs,
        engine=args.engine,
        batch_sizes=args.batch_sizes,
        shuffle_seed=args.shuffle_seed,
        frames=args.frames,
        fps=args.fps,
        grid_size=args.grid,
    )


def study(args: argparse.Namespace) -> Study:
    from ..report.animation import media
    from ..report.optimizers import write_optimizers
    from ..studies.optimizers import conclusion, run_optimizers

    def write(study: object, stage: object, formats: tuple[str, ...]) -> list[str]:
        return write_optimizers(study, stage, formats=formats, progress=not args.quiet)

    def show(config: object, study: object, names: list[str]) -> None:
        print_table(study)
        print()
        for paragraph in conclusion(study):
            print(paragraph, end="\n\n")
        print(f"Wrote {len(names)} files to {args.out}/")

    # media(): a missing Pillow or ffmpeg is reported before any training
    return Study(run=run_optimizers, write=write, show=show, ready=media)


def print_table(study: object) -> None:
    """Where each descent ended: one line each, with its distance to the MLE and outcome."""
    from ..records import optimizer_rows

    print(f"{'start':>12} {'optimizer':>9} {'loss':>4} {'w0':>9} {'w1':>9} "
          f"{'to MLE (SE)':>11}  outcome")  # fmt: skip
    for row in optimizer_rows(study):
        start = f"({row['start_w0']:g}, {row['start_w1']:g})"
        arrived = row["epochs_to_arrive"]
        when = f" after {arrived:,} epochs" if arrived is not None else ""
        print(
            f"{start:>12} {row['optimizer']:>9} {row['loss']:>4} {row['w0']:>9.4f} "
            f"{row['w1']:>9.4f} {row['distance_to_mle_se']:>11.3g}  {row['outcome']}{when}"
        )
