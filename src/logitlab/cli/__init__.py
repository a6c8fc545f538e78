"""The `logitlab` command: parse, validate, call the library, print. No logic of its own."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import LogitlabError
from . import animate, landscape, lecture, montecarlo, sweep
from .common import OneLineParser

#: Each command module has NAME, HELP, add_arguments(parser) and run(args) -> int.
COMMANDS = [lecture, landscape, animate, sweep, montecarlo]


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="logitlab",
        description="Learn, teach and run logistic regression with PyTorch "
        "(the week-5 lecture: y ~ Ber(sigmoid(w0 + w1 x)), fitted by gradient descent).",
    )
    parser.add_argument("--version", action="version", version=f"logitlab {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        sub = subparsers.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: a LogitlabError becomes one line on stderr and its exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except LogitlabError as exc:
        sys.stderr.write(f"logitlab {args.command}: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("logitlab: interrupted; nothing was written\n")
        return 130
