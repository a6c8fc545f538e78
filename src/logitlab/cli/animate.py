"""`logitlab animate`: the fitting process as a GIF and an MP4, BCE and MSE side by side."""

from __future__ import annotations

import argparse

from ..config import AnimationConfig
from .common import (
    Study,
    add_data_options,
    add_grid_option,
    add_output_options,
    add_training_options,
    data_config,
    lecture_training,
    number,
    run_study,
)

NAME = "animate"
HELP = (
    "Film gradient descent with BCE and with MSE from the same start: the fitted curve over "
    "the data, and the path over each loss landscape (fitting.gif and fitting.mp4)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_options(parser)
    add_grid_option(add_training_options(parser, loss=False), default=61)
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
    add_output_options(parser, default_out="logitlab-animation")


def run(args: argparse.Namespace) -> int:
    return run_study(args, settings, study, figures=False)


def settings(args: argparse.Namespace) -> AnimationConfig:
    return AnimationConfig(
        data=data_config(args),
        train=lecture_training(args),  # --start is its init, the start of both fits
        frames=args.frames,
        fps=args.fps,
        grid_size=args.grid,
    )


def study(args: argparse.Namespace) -> Study:
    from ..report.animation import media, write_animation, write_settings
    from ..studies.animation import run_animation

    def write(animation: object, stage: object, formats: object) -> tuple:
        film = write_animation(animation, stage, progress=not args.quiet)
        return film, write_settings(animation, stage)

    def show(config: object, animation: object, written: tuple) -> None:
        film, settings = written
        print(
            f"Wrote {args.out}/{film.gif.name} and {args.out}/{film.mp4.name}: {film.frames} "
            f"frames at {film.fps:g} fps; the settings in {args.out}/{settings}"
        )
        print(
            f"{film.render_seconds_per_frame:.3f} s per frame to draw, "
            f"{film.seconds_per_frame:.3f} s per frame with encoding"
        )

    # media(): a missing Pillow or ffmpeg is reported before any training
    return Study(run=run_animation, write=write, show=show, ready=media)
