"""`logitlab landscape`: why BCE and not MSE, in figures and numbers."""

from __future__ import annotations

import argparse

from ..config import PLATEAU_START, LandscapeConfig
from .common import (
    Study,
    add_data_options,
    add_format_option,
    add_grid_option,
    add_output_options,
    add_training_options,
    data_config,
    lecture_training,
    point,
    run_study,
)

NAME = "landscape"
HELP = (
    "Why BCE and not MSE: the maximum-likelihood reference, both loss landscapes with their "
    "gradient-descent paths, curvature, convergence to the MLE and the MSE plateau."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_options(parser)
    add_grid_option(add_training_options(parser, loss=False), default=121)
    parser.add_argument(
        "--plateau-start",
        type=point,
        default=",".join(f"{v:g}" for v in PLATEAU_START),
        metavar="W0,W1",
        help="far start where the sigmoid saturates and MSE stalls (default: %(default)s)",
    )
    add_output_options(parser, default_out="logitlab-landscape")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    return run_study(args, settings, study)


def settings(args: argparse.Namespace) -> LandscapeConfig:
    return LandscapeConfig(
        data=data_config(args),
        train=lecture_training(args),
        plateau_start=args.plateau_start,
        grid_size=args.grid,
    )


def study(args: argparse.Namespace) -> Study:
    from ..records import to_record
    from ..report.why import write_landscape
    from ..studies.why import run_landscape

    def show(config: object, why: object, names: list[str]) -> None:
        print_summary(to_record(why), why.mle.summary())
        print(f"\nWrote {len(names)} files to {args.out}/")

    return Study(run=run_landscape, write=lambda why, stage, formats: write_landscape(
        why, stage, formats=formats), show=show)  # fmt: skip


def print_summary(summary: dict, mle_table: str) -> None:
    """The MLE table, where each loss ended, the epochs to the MLE and the plateau."""
    print(mle_table)
    lecture, plateau = summary["lecture_start"], summary["plateau_start"]
    epochs = summary["epochs"]
    print(f"\nAfter {epochs:,} epochs from the lecture's start {fmt(lecture['start'])}:")
    for loss in ("bce", "mse"):
        end, reach = lecture[loss], summary["epochs_to_mle"][loss]
        within = ", ".join(
            f"{tol}: {reach[tol] if reach[tol] is not None else 'not reached'}" for tol in reach
        )
        print(
            f"  {loss.upper()}  w0 = {end['w0']:.4f}, w1 = {end['w1']:.4f}, "
            f"|w - MLE| = {end['distance_to_mle']:.2g}; epochs to within {within}"
        )
    floor = summary["mse_minimum"]
    print(
        f"  MSE's own minimum: w0 = {floor['w0']:.4f}, w1 = {floor['w1']:.4f}, "
        f"|w - MLE| = {floor['distance_to_mle']:.3g}"
    )
    print(f"From the plateau start {fmt(plateau['start'])}:")
    for loss in ("bce", "mse"):
        end = plateau[loss]
        print(
            f"  {loss.upper()}  largest |gradient| {end['max_grad_norm']:.2g}, "
            f"ends at w0 = {end['w0']:.4f}, w1 = {end['w1']:.4f}, "
            f"|w - MLE| = {end['distance_to_mle']:.3g}"
        )
    eig = summary["min_hessian_eigenvalue"]
    print(f"Smallest Hessian eigenvalue on the grid: BCE {eig['bce']:.2g}, MSE {eig['mse']:.2g}")


def fmt(pair: list[float]) -> str:
    return f"({pair[0]:.4g}, {pair[1]:.4g})"
