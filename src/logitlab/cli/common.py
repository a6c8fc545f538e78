"""What every subcommand shares: one-line errors, lenient parsing, the common options, their
translation into settings dataclasses (which do all the checking), and the study commands'
one skeleton (run_study)."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from ..config import (
    DEFAULT_DATA_SEED,
    DataConfig,
    LectureConfig,
    ModelOptions,
    SweepConfig,
    TrainConfig,
    check_formats,
    check_point,
)
from ..errors import ConfigError
from ..report.staging import MARKER, check_out_dir, staged_dir

if TYPE_CHECKING:
    from ..budget import Estimate
    from ..data.tables import TableFormat

#: A value that starts with "-" as numbers do: -1e3, -.5, -inf, -nan, -5,3 (a point), -1,-2.
NEGATIVE_VALUE = re.compile(r"-(\d|\.\d|inf|nan)", re.IGNORECASE)


def glue_negative_values(argv: Sequence[str]) -> list[str]:
    """Join '--option -1e3' into '--option=-1e3', so a negative value reads as typed.

    argparse takes any word starting with "-" for an option unless it matches its own
    negative-number pattern, which misses -1e3, -inf and -5,3; with '=' the value is the
    option's whatever it looks like. Words after a bare '--' are left alone.
    """
    out: list[str] = []
    for word in argv:
        previous = out[-1] if out else ""
        if (
            previous.startswith("--")
            and len(previous) > 2
            and "=" not in previous
            and NEGATIVE_VALUE.match(word)
            and "--" not in out
        ):
            out[-1] = f"{previous}={word}"
        else:
            out.append(word)
    return out


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit code 2, and an option's
    value may be negative as typed (--w0 -1e3, --start -5,3)."""

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        words = sys.argv[1:] if args is None else args
        return super().parse_known_args(glue_negative_values(words), namespace)

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def number(text: str) -> int | float | str:
    """Parse an int or float; leave anything else as text so config validation names it."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def number_list(text: str) -> list[int | float | str]:
    """Parse a comma-separated list of numbers, e.g. '0.01,0.05,0.1'."""
    return [number(item.strip()) for item in text.split(",")]


def point(text: str) -> tuple[int | float | str, ...] | str:
    """Parse 'W0,W1' (a point in parameter space); leave anything else for validation."""
    parts = text.split(",")
    return tuple(number(part.strip()) for part in parts) if len(parts) > 1 else text


def add_output_options(
    parser: argparse.ArgumentParser,
    default_out: str,
    progress: str = "no progress bars (default: show them)",
) -> None:
    """--out, --force and --quiet (its help `progress`), the same on every command that
    writes a folder."""
    parser.add_argument(
        "--out",
        default=default_out,
        metavar="DIR",
        help="folder to write (default: %(default)s); built beside it and moved into place",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help=f"replace DIR if it is a folder logitlab wrote (it holds a {MARKER} file), in one "
        "step once the run is done; never an input, a file or another folder (default: refuse "
        "a non-empty DIR)",
    )
    parser.add_argument("--quiet", action="store_true", help=progress)


#: Set to 1, a command's progress lines show on a pipe too, and for a short run.
PROGRESS_ENV = "LOGITLAB_PROGRESS"


class ProgressLines:
    """What a long command is doing, one line a stage on stderr, led by the seconds since
    it started ('   12.3 s  MLE, Newton iteration 2: ...'), written by tqdm.write so that a
    progress bar below stays whole. Unless --quiet, show(long) turns them on when stderr is a
    terminal, when the run is long (the runs whose cost is announced) or when
    LOGITLAB_PROGRESS=1 asks: a short run piped or logged prints its result alone."""

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.on, self.start = quiet, False, time.monotonic()

    def show(self, long: bool = False) -> None:
        """Decide, once the run's cost is known (`long`), whether the lines are shown."""
        asked = os.environ.get(PROGRESS_ENV) == "1"
        self.on = not self.quiet and (long or asked or sys.stderr.isatty())

    @property
    def lines(self) -> Callable[[str], None] | None:
        """The callable that says a line, for the layers below, or None when not shown."""
        return self if self.on else None

    def __call__(self, words: str) -> None:
        if self.on:
            from tqdm import tqdm

            tqdm.write(f"{time.monotonic() - self.start:8.1f} s  {words}", file=sys.stderr)


def add_data_options(
    parser: argparse.ArgumentParser, seed_help: str = "seed of the draw of y"
) -> None:
    """--n, --w0, --w1 and --data-seed: the lecture's simulated data."""
    group = parser.add_argument_group(
        "data: y ~ Bernoulli(sigmoid(w0 + w1 x)), x = linspace(-1, 1, n)"
    )
    group.add_argument(
        "--n", type=number, default=2000, help="number of points (default: %(default)s)"
    )
    group.add_argument(
        "--w0", type=number, default=-1.0, help="true intercept (default: %(default)s)"
    )
    group.add_argument("--w1", type=number, default=5.0, help="true slope (default: %(default)s)")
    group.add_argument(
        "--data-seed",
        type=number,
        default=DEFAULT_DATA_SEED,
        help=f"{seed_help} (default: %(default)s)",
    )


def add_engine_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """--engine: who computes the gradient descent (the same math either way)."""
    parser.add_argument(
        "--engine",
        default="auto",
        metavar="{auto,eager,fused}",
        help="eager: the lecture's torch loop; fused: compiled with numba, ~100x faster; "
        "auto: fused if numba is installed, else eager (default: %(default)s)",
    )


def batch_size(text: str) -> int | float | str | None:
    """Parse a batch size: 'full' (the whole data set, one step an epoch) is None, else a
    number; anything else stays text for the settings to refuse."""
    return None if text.strip().lower() == "full" else number(text)


def listed(parse: Callable[[str], object]) -> Callable[[str], list[object]]:
    """A parser of comma-separated values, each read by `parse` ('sgd,adam', 'full,32')."""

    def parse_list(text: str) -> list[object]:
        return [parse(item.strip()) for item in text.split(",")]

    return parse_list


#: TrainConfig's defaults, shown in --help: the one source of every default below.
DEFAULT_TRAINING = TrainConfig()
#: A sweep's learning rates unless told otherwise.
SWEEP_LRS = SweepConfig.lrs


#: --start on the lecture's one-feature problem.
LECTURE_START = (
    "W0,W1",
    "start every fit here instead, e.g. 12,-10 for the MSE plateau "
    "(default: the initial net of --init-seed)",
)


def add_training_options(
    parser: argparse.ArgumentParser,
    *,
    loss: bool = True,
    lr: bool = True,
    grid: bool = False,
    start: tuple[str, str] = LECTURE_START,
    tol: float | None = None,
) -> argparse._ArgumentGroup:
    """The training options every command that trains shares, in one group: --loss, --lr,
    --epochs, --init-seed, --tol, --engine, the optimizer (--optimizer, --momentum,
    --nesterov, --betas, --eps), the mini-batches (--batch-size, --shuffle-seed) and --start.
    Read them back with training_config(). Returns the group, for a command's own options.

    A command that trains both losses always leaves out --loss; one with its own learning
    rate leaves out --lr. grid=True (a sweep): --lr, --optimizer and --batch-size take
    comma-separated lists, one fit per combination. `start` is --start's (metavar, help);
    `tol` --tol's default (None: every epoch, the lecture's way).
    """
    train = DEFAULT_TRAINING
    group = parser.add_argument_group(
        "training (default: the lecture's plain SGD on the full batch, from its net)"
    )
    several = " (comma-separated: one fit per combination)" if grid else ""
    if loss:
        group.add_argument(
            "--loss",
            default="both",
            metavar="{bce,mse,both}",
            help="loss(es) to train with; all start from the same net (default: %(default)s)",
        )
    if lr:
        group.add_argument(
            *(("--lr", "--lrs") if grid else ("--lr",)),
            type=number_list if grid else number,
            default=list(SWEEP_LRS) if grid else train.lr,
            metavar="LR[,LR...]" if grid else "LR",
            help=f"learning rate, > 0{several} (default: "
            f"{','.join(f'{v:g}' for v in SWEEP_LRS) if grid else '%(default)s'})",
        )
    group.add_argument(
        "--epochs",
        type=number,
        default=train.epochs,
        help="passes over the data (default: %(default)s)",
    )
    group.add_argument(
        "--init-seed",
        type=number,
        default=train.init_seed,
        help="torch.manual_seed for the initial weights (default: %(default)s, the lecture's: "
        "w0 = -0.8470, w1 = -0.3467)",
    )
    group.add_argument(
        "--start",
        type=point,
        default=None,
        metavar=start[0],
        help=start[1],
    )
    stops = (
        "run every epoch, verdict at 1e-4"
        if tol is None
        else f"{tol:g}, the norm at which the verdict calls a descent converged: it stops there"
    )
    group.add_argument(
        "--tol",
        type=number,
        default=tol,
        help="stop a fit once the gradient norm of its mean loss is at most TOL; the "
        f"convergence verdict then uses TOL; 0 runs every epoch (default: {stops})",
    )
    add_engine_option(group)
    group.add_argument(
        *(("--optimizer", "--optimizers") if grid else ("--optimizer",)),
        type=listed(str.strip) if grid else str,
        default=[train.optimizer] if grid else train.optimizer,
        metavar="OPT[,OPT...]" if grid else "{sgd,momentum,adam}",
        help="torch.optim's update with gradient g, one of sgd: w -= lr g (the lecture's); "
        "momentum: SGD(momentum=B), v = B v + g, w -= lr v; adam: Adam(betas, eps)"
        f"{several} (default: {train.optimizer})",
    )
    group.add_argument(
        "--momentum",
        type=number,
        default=None,
        metavar="B",
        help="momentum's B in v = B v + g, from 0 up to (not incl.) 1; for --optimizer "
        f"momentum (default: {train.momentum:g})",
    )
    group.add_argument(
        "--nesterov",
        action="store_true",
        help="Nesterov momentum, SGD(nesterov=True): step along g + B v; for --optimizer "
        "momentum (default: off)",
    )
    group.add_argument(
        "--betas",
        type=point,
        default=None,
        metavar="B1,B2",
        help="Adam's decay rates of its running means of g and g**2, each from 0 up to "
        f"(not incl.) 1 (default: {','.join(f'{v:g}' for v in train.betas)})",
    )
    group.add_argument(
        "--eps",
        type=number,
        default=None,
        metavar="E",
        help=f"Adam's E > 0 in w -= lr m_hat / (sqrt(v_hat) + E) (default: {train.eps:g})",
    )
    group.add_argument(
        *(("--batch-size", "--batch-sizes") if grid else ("--batch-size",)),
        type=listed(batch_size) if grid else batch_size,
        default=[None] if grid else None,
        metavar="B[,B...]" if grid else "B",
        help="points per step, from 1 to n, drawn as DataLoader(shuffle=True) draws them; "
        f"full: all n, one step an epoch (the lecture's){several} (default: full)",
    )
    group.add_argument(
        "--shuffle-seed",
        type=number,
        default=None,
        metavar="S",
        help="seed of the torch.Generator that shuffles the points each epoch, for "
        f"mini-batches (default: {train.shuffle_seed})",
    )
    return group


def add_format_option(parser: argparse.ArgumentParser) -> None:
    """--format: the figures also as SVG or PDF, for slides (PNG always: reports embed it)."""
    parser.add_argument(
        "--format",
        default="png",
        metavar="FMT[,FMT]",
        help="figure formats, some of png, svg, pdf; PNG is always written, the others "
        "beside it under the same names (default: %(default)s)",
    )


def add_table_options(parser: argparse.ArgumentParser) -> None:
    """--sep, --decimal and --sheet: how a table file is written where its extension does
    not say it all (data.tables.TableFormat)."""
    group = parser.add_argument_group("how the table file is written")
    group.add_argument(
        "--sep",
        metavar="CHAR",
        help="the delimiter of a text table: ',', ';', tab ... (default: sniffed from its "
        "first lines, and named in the output when it is not the file type's own)",
    )
    group.add_argument(
        "--decimal",
        metavar="{.,,}",
        help="the decimal mark of a text table's numbers, '.' or ',' (default: sniffed)",
    )
    group.add_argument(
        "--sheet",
        metavar="NAME|N",
        help="the sheet of an .xlsx workbook, by name or number from 1 (default: the first)",
    )


def add_model_options(group: argparse._ArgumentGroup) -> None:
    """The model's options beside its formula, the same on every command that fits a table:
    --positive, --missing, --weights, --trials and --max-levels (read back by
    model_options)."""
    group.add_argument(
        "--positive", metavar="VALUE", help="the target value that counts as success "
        "(default: the larger of its two values, or a data set's own)"
    )  # fmt: skip
    group.add_argument(
        "--missing",
        default="drop",
        metavar="{drop,error}",
        help="rows with a missing value in a used column: drop and count them, or refuse "
        "(default: %(default)s)",
    )
    group.add_argument(
        "--weights",
        metavar="COL",
        help="frequency weights: each row counts as COL's number of rows (whole numbers >= 0, "
        "as Stata's fweight); nobs is their sum and every statistic the expanded rows'",
    )
    group.add_argument(
        "--trials",
        metavar="COL",
        help="grouped binomial rows: the target counts successes out of COL's trials (whole "
        "numbers, 0 <= successes <= trials, trials >= 1), as R's cbind(successes, failures); "
        "the summary adds R's deviance table (df = rows - coefficients)",
    )
    group.add_argument(
        "--max-levels",
        type=number,
        default=50,
        help="most levels a categorical column may have (default: %(default)s)",
    )


def model_options(args: argparse.Namespace, **chosen: object) -> ModelOptions:
    """add_model_options' values as ModelOptions (checked there), with the fields the
    command sets itself (`chosen`: formula, target, features)."""
    return ModelOptions(positive=args.positive, missing=args.missing, max_levels=args.max_levels,
                        weights=args.weights, trials=args.trials, **chosen)  # fmt: skip


def given_format(args: argparse.Namespace) -> TableFormat:
    """--sep, --decimal and --sheet as a TableFormat (--sep tab, or \\t, for a tab)."""
    from ..data.tables import TableFormat

    sep = "\t" if args.sep in ("tab", "\\t") else args.sep
    return TableFormat(sep=sep, decimal=args.decimal, sheet=args.sheet)


def read_format(args: argparse.Namespace) -> TableFormat:
    """given_format with what it leaves open found from DATA (data.tables.table_format; a
    pipe's as it is read, since it is read once), and a guess that is not the file type's
    own said in one line: "read t.csv as ';'-separated with ',' decimals"."""
    from ..data.tables import format_words, is_pipe, table_format

    given = given_format(args)
    if is_pipe(args.data):
        return given
    used = table_format(args.data, given)
    if (words := format_words(args.data, given, used)) is not None:
        print(words, flush=True)
    return used


def add_grid_option(group: argparse._ArgumentGroup, default: int) -> None:
    """--grid: points per axis of the loss-landscape grid."""
    group.add_argument(
        "--grid",
        type=number,
        default=default,
        help="landscape grid points per axis (default: %(default)s)",
    )


@dataclass(frozen=True)
class Study:
    """A study command's parts for run_study, built once its settings passed (so the heavy
    modules they come from are imported only then): `run(config, progress=...)` computes the
    study's record; `write(record, folder, formats)` writes the output folder and returns what
    it wrote; `show(config, record, written)` prints the summary; `ready()` checks, before
    any work, a tool the writing will need (Graphviz, Pillow and ffmpeg); `drawing` says
    "Drawing the figures ..." before a long write."""

    run: Callable[..., object]
    write: Callable[[object, Path, tuple[str, ...]], object]
    show: Callable[[object, object, object], None]
    ready: Callable[[], None] = lambda: None
    drawing: bool = False


def run_study(
    args: argparse.Namespace,
    settings: Callable[[argparse.Namespace], object],
    study: Callable[[argparse.Namespace], Study],
    *,
    figures: bool = True,
) -> int:
    """The seven study commands' one way: parse (argparse has) -> settings -> budget check ->
    study -> report -> print. Every check (the settings, --format when the command draws
    `figures`, the output folder, the budget) comes before any import or work, so a mistake
    costs no time; the folder is written whole or not at all (staged_dir)."""
    config = settings(args)
    formats = check_formats(args.format) if figures else ()
    check_out_dir(args.out, args.force, inputs=())
    check_budget(config)
    parts = study(args)
    parts.ready()
    record = parts.run(config, progress=not args.quiet)
    if parts.drawing and not args.quiet:
        print("Drawing the figures and writing the report ...", file=sys.stderr, flush=True)
    with staged_dir(args.out, args.force) as stage:
        written = parts.write(record, stage, formats)
    parts.show(config, record, written)
    return 0


def check_budget(config: object) -> None:
    """Refuse a run that cannot fit in memory or time (ConfigError with the estimate and the
    limit); say what a long or large one will cost, in one line on stderr, before it starts."""
    from ..budget import check_study

    announce(check_study(config))


def announce(cost: Estimate) -> None:
    """Say what a long or large run will cost, in one line on stderr, before it starts."""
    if cost.long:
        sys.stderr.write(f"this run: {cost} (estimated)\n")
        sys.stderr.flush()


def data_config(args: argparse.Namespace) -> DataConfig:
    """The data options, validated (ConfigError on the first bad one)."""
    return DataConfig(n=args.n, w0=args.w0, w1=args.w1, seed=args.data_seed)


def training_config(args: argparse.Namespace, **chosen: object) -> TrainConfig:
    """The training options as a TrainConfig, validated there (ConfigError on the first bad
    one), and no option typed for an optimizer or batching the run does not use; `chosen`
    sets fields the command decides itself (loss, or one lr of a sweep)."""
    given = {
        "momentum": args.momentum,
        "betas": args.betas,
        "eps": args.eps,
        "shuffle_seed": args.shuffle_seed,
    }
    settings = {
        "lr": args.lr,
        "epochs": args.epochs,
        "init_seed": args.init_seed,
        "engine": args.engine,
        "tol": None if args.tol == 0 else args.tol,  # 0: every epoch
        "optimizer": args.optimizer,
        "nesterov": args.nesterov,
        "batch_size": args.batch_size,
        "init": args.start,
    } | {name: value for name, value in given.items() if value is not None}
    config = TrainConfig(**(settings | chosen))  # bad values first, in the config's words
    _refuse_unused(args)
    return config


def _refuse_unused(args: argparse.Namespace) -> None:
    """A setting typed for an optimizer (or for mini-batches) the run does not use is a
    mistake to say, not to ignore: `--momentum 0.5` alone would otherwise run plain SGD."""
    optimizers = set(_listed(args.optimizer))
    batched = any(size not in (None, "full") for size in _listed(args.batch_size))
    rules = [
        ("--momentum", args.momentum is not None, "momentum" in optimizers, "--optimizer momentum"),
        ("--nesterov", args.nesterov, "momentum" in optimizers, "--optimizer momentum"),
        ("--betas", args.betas is not None, "adam" in optimizers, "--optimizer adam"),
        ("--eps", args.eps is not None, "adam" in optimizers, "--optimizer adam"),
        ("--shuffle-seed", args.shuffle_seed is not None, batched, "a --batch-size"),
    ]
    for option, given, used, needs in rules:
        if given and not used:
            raise ConfigError(f"{option} has no effect without {needs}; add it or drop {option}")


def _listed(value: object) -> list:
    """An option's value as a list (a sweep's options hold lists)."""
    return list(value) if isinstance(value, list | tuple) else [value]


def lecture_training(args: argparse.Namespace, **chosen: object) -> TrainConfig:
    """training_config for the lecture's one feature on [-1, 1]: --start is a point (w0, w1),
    checked as one (its own one-line error, naming the start)."""
    start = None if args.start is None else check_point("start", args.start)
    return training_config(args, init=start, **chosen)


def lecture_config(args: argparse.Namespace, **chosen: object) -> LectureConfig:
    """The data and training options as a LectureConfig; `chosen` as in training_config."""
    return LectureConfig(
        data=data_config(args), losses=args.loss, training=lecture_training(args, **chosen)
    )
