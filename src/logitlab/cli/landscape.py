"""`logitlab landscape`: why BCE and not MSE, in figures and numbers."""

from __future__ import annotations

import argparse

from ..landscape import PLATEAU_START
from ..output import check_out_dir, save_figure, staged_dir, write_json
from .common import add_output_options
from .whyoptions import add_data_and_training, check_point, configs_from, point

NAME = "landscape"
HELP = (
    "Why BCE and not MSE: the maximum-likelihood reference, both loss landscapes with their "
    "gradient-descent paths, curvature, convergence to the MLE and the MSE plateau."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_and_training(parser, grid_default=121)
    parser.add_argument(
        "--plateau-start",
        type=point,
        default=",".join(f"{v:g}" for v in PLATEAU_START),
        metavar="W0,W1",
        help="far start where the sigmoid saturates and MSE stalls (default: %(default)s)",
    )
    add_output_options(parser, default_out="logitlab-landscape")


def run(args: argparse.Namespace) -> int:
    data_cfg, train_cfg, grid_size = configs_from(args)
    plateau_start = check_point("--plateau-start", args.plateau_start)
    check_out_dir(args.out, args.force)
    from ..data import simulate_from  # heavy imports only once the input is known good
    from ..why import analyse
    from ..whyplots import FIGURES

    why = analyse(
        simulate_from(data_cfg),
        [data_cfg.w0, data_cfg.w1],
        train_cfg,
        plateau_start=plateau_start,
        grid_size=grid_size,
        progress=not args.quiet,
    )
    summary = why.summary()
    with staged_dir(args.out, args.force) as stage:
        for name, (figure, _caption) in FIGURES.items():
            save_figure(figure(why), stage / name)
        (stage / "mle_summary.txt").write_text(why.mle.summary() + "\n")
        write_json(summary, stage / "landscape.json")
    print_summary(summary, why.mle.summary())
    print(f"\nWrote {len(FIGURES) + 2} files to {args.out}/")
    return 0


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
