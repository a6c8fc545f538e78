"""`logitlab animate`: the fitting process as a GIF and an MP4, BCE and MSE side by side."""

from __future__ import annotations

import argparse

from ..config import check_float
from ..output import check_out_dir, staged_dir
from .common import add_output_options, number
from .whyoptions import add_data_and_training, check_point, configs_from, point

NAME = "animate"
HELP = (
    "Film gradient descent with BCE and with MSE from the same start: the fitted curve over "
    "the data, and the path over each loss landscape (fitting.gif and fitting.mp4)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_and_training(parser, grid_default=61)
    film = parser.add_argument_group("film")
    film.add_argument(
        "--frames",
        type=number,
        default=120,
        help="frames in the film, spread over the epochs, denser early (default: %(default)s)",
    )
    film.add_argument(
        "--fps", type=number, default=20, help="frames per second (default: %(default)s)"
    )
    film.add_argument(
        "--start",
        type=point,
        default=None,
        metavar="W0,W1",
        help="starting parameters of both fits, e.g. 12,-10 for the MSE plateau "
        "(default: the lecture's initial net)",
    )
    add_output_options(parser, default_out="logitlab-animation")


def run(args: argparse.Namespace) -> int:
    data_cfg, train_cfg, grid_size = configs_from(args)
    fps = check_float("fps", args.fps, positive=True)
    start = None if args.start is None else check_point("--start", args.start)
    check_out_dir(args.out, args.force)
    from ..animate import frame_epochs, make_scene, media, write_film  # heavy imports
    from ..data import simulate_from

    frames = len(frame_epochs(train_cfg.epochs, args.frames))  # checks 2 <= frames <= epochs+1
    media()  # a missing Pillow or ffmpeg is reported before any training
    scene = make_scene(
        simulate_from(data_cfg),
        [data_cfg.w0, data_cfg.w1],
        train_cfg,
        start=start,
        grid_size=grid_size,
        progress=not args.quiet,
    )
    with staged_dir(args.out, args.force) as stage:
        film = write_film(scene, stage, frames=frames, fps=fps, progress=not args.quiet)
    print(
        f"Wrote {args.out}/{film.gif.name} and {args.out}/{film.mp4.name}: {film.frames} "
        f"frames at {film.fps:g} fps"
    )
    print(
        f"{film.render_seconds_per_frame:.3f} s per frame to draw, "
        f"{film.seconds_per_frame:.3f} s per frame with encoding"
    )
    return 0
