"""The `logitlab` command: parse, validate, call the library, print. No logic of its own."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

from .. import __version__
from ..errors import LogitlabError
from ..stopping import Terminated, terminate_gracefully
from . import (
    animate,
    compare,
    datasets,
    digits,
    fit,
    landscape,
    lecture,
    montecarlo,
    optimizers,
    predict,
    serve,
    sweep,
)
from .common import OneLineParser

#: Each command module has NAME, HELP, add_arguments(parser) and run(args) -> int.
COMMANDS = [
    lecture,
    landscape,
    animate,
    sweep,
    montecarlo,
    optimizers,
    digits,
    fit,
    compare,
    predict,
    datasets,
    serve,
]


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
    """Entry point: a LogitlabError becomes one line on stderr and its exit code; Ctrl-C,
    SIGTERM and SIGHUP stop the run cleanly (no half-written folder) with 128 + the signal.

    As the command itself (argv None: the process's own arguments) a stopped run then ends
    the process at once: every cleanup has run, and the interpreter's own shutdown (torch's
    modules unloading) takes seconds on a loaded machine, past the second a stop may take."""
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(words)
    args.argv = words  # the command as typed, for one that starts itself again (fit --workers)
    try:
        with terminate_gracefully(), one_line_warnings(args.command):
            return args.run(args)
    except LogitlabError as exc:
        line = "\\n".join(str(exc).splitlines())  # a value's line break (a column's name) escaped
        sys.stderr.write(f"logitlab {args.command}: error: {line}\n")
        return exc.exit_code
    except Terminated as exc:
        code = _stopped(exc, f"terminated ({exc.name})", exc.code)
    except KeyboardInterrupt as exc:
        code = _stopped(exc, "interrupted", 130)
    if argv is None:
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):  # a closed pipe or file
                stream.flush()
        os._exit(code)
    return code


@contextmanager
def one_line_warnings(command: str) -> Iterator[None]:
    """Show a warning as one line, 'logitlab COMMAND: warning: ...', not Python's two.
    NumPy's floating-point notes ('overflow encountered in exp') are not for the user: the
    infinities and NaN they announce are judged where they matter (divergence, undefined
    statistics), so they are dropped."""
    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        sys.stderr.write(f"logitlab {command}: warning: {message}\n")

    warnings.showwarning = show
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", r".* encountered in ", RuntimeWarning)
            yield
    finally:
        warnings.showwarning = shown


def _stopped(exc: BaseException, what: str, code: int) -> int:
    """One line for a stopped run, unless it was said already (`said`: the worker that
    speaks for a run of local workers said it, cli.workers). A signal that came while a
    folder was being moved into place is delivered after the move, so then the folder is
    there, whole."""
    written = getattr(exc, "output_written", None)
    done = f"output folder {written} was written first" if written else "nothing was written"
    if not getattr(exc, "said", False):
        sys.stderr.write(f"logitlab: {what}; {done}\n")
    return code
