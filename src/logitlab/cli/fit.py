"""`logitlab fit`: a table (or a shipped data set) to a fitted, checked, explained logistic
regression in one folder: report.html, results.json, coefficients.csv, predictions.csv,
model.json and the figures.

A table too big for memory is read in shares (studies.sharded): DATA a folder of files, or
--chunk-rows (one process streaming from disk), or several workers (--workers K starts K
local ones; torchrun starts them on one machine or many). Every worker runs this same
command and computes the same fit; only rank 0 checks and writes the output folder and
prints, and the workers agree on that check, so a refused folder is one error on all."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import (
    DEFAULT_FOLDS,
    L1_RATIOS,
    MAX_INT64,
    FitSettings,
    ModelOptions,
    check_formats,
    check_int,
    check_losses,
)
from ..errors import ConfigError, LogitlabError
from ..report.staging import check_out_dir, staged_dir
from ..result import GRAD_TOL
from .common import (
    DEFAULT_TRAINING,
    PROGRESS_ENV,
    ProgressLines,
    add_format_option,
    add_model_options,
    add_output_options,
    add_table_options,
    add_training_options,
    announce,
    model_options,
    number,
    read_format,
    training_config,
)

if TYPE_CHECKING:
    import pandas

    from ..data.design import ModelSpec
    from ..studies.fit import TableFit
    from ..studies.multiclass import MulticlassFit

NAME = "fit"
HELP = (
    "Fit a logistic regression to a table (CSV, TSV, Parquet) or a shipped data set: the "
    "maximum-likelihood fit with its statistics, gradient descent beside it, and how well it "
    "predicts held-out rows; writes report.html, results.json, CSVs and model.json. A folder "
    "of Parquet/CSV files, --chunk-rows or --workers: the table is read in shares, in chunks."
)
#: --loss unless given: a descent beside the MLE in memory; on shards, the MLE only.
DEFAULT_LOSS = "bce"
#: The default descent runs only when estimated under this; a longer one must be asked for
#: (--loss), since a data tool's answer is the MLE and the descent is the lesson's comparison.
DEFAULT_DESCENT_SECONDS = 2.0


#: --start on a table: the descent runs on standardised columns.
TABLE_START = (
    "A,B1,...,BD",
    "start the descents here instead, on the standardised columns: the intercept, then one "
    "number per design column (D columns need D+1 numbers, in the order of the MLE's table) "
    "(default: the initial net of --init-seed)",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "data",
        nargs="?",
        metavar="DATA",
        help="a CSV, TSV or Parquet file, or a folder of Parquet (or CSV) files read in shares",
    )
    parser.add_argument(
        "--dataset", metavar="NAME", help="a shipped data set instead of DATA (logitlab datasets)"
    )
    model = parser.add_argument_group("the model")
    model.add_argument(
        "--formula",
        help="a Wilkinson formula, target on the left: 'GRADE ~ GPA + TUCE + C(PSI)' "
        "(default: a data set's own; a file needs --formula or --target)",
    )
    model.add_argument("--target", metavar="COL", help="the target column (instead of --formula)")
    model.add_argument(
        "--features",
        metavar="A,B,C",
        help="with --target: the feature columns (default: all others)",
    )
    add_model_options(model)
    model.add_argument(
        "--baseline", metavar="LEVEL", help="a target of three values or more is fitted as a "
        "multinomial logit, one equation per other value against this one (default: the first "
        "value in sorted order)"
    )  # fmt: skip
    split = parser.add_argument_group("held-out rows")
    split.add_argument(
        "--test-size",
        type=number,
        default=None,
        help="share of rows held out, stratified by the target, e.g. 0.2 (default: none)",
    )
    split.add_argument(
        "--split-seed", type=number, default=None, help="seed of the split (default: 0)"
    )
    split.add_argument(
        "--threshold",
        type=number,
        default=0.5,
        metavar="T",
        help="a row is predicted 1 when its probability is above T (0 < T < 1), in the metrics "
        "and predictions.csv; the report's ROC section also marks the threshold that "
        "maximises Youden's J (default: %(default)s)",
    )
    group = add_training_options(parser, loss=False, lr=False, start=TABLE_START,
                                 tol=GRAD_TOL)  # fmt: skip
    group.add_argument(
        "--loss",
        default=None,
        metavar="{bce,mse,both}",
        help=f"gradient descent beside the MLE on this loss, or both (default: {DEFAULT_LOSS}; "
        "on a table read in shares: none, the MLE only); a target of three values or more "
        "takes bce alone, softmax regression's cross-entropy, its equations W_k - W_baseline",
    )
    group.add_argument(
        "--lr",
        type=number,
        default="auto",
        help="learning rate; auto: 1/L, L the largest curvature of the loss on the standardised "
        f"columns, for sgd and momentum (adam keeps {DEFAULT_TRAINING.lr:g}) "
        "(default: %(default)s)",
    )
    errors = parser.add_argument_group("standard errors and intervals")
    errors.add_argument(
        "--cov",
        default="nonrobust",
        metavar="TYPE",
        help="the MLE's covariance, which its SE, z, p, intervals, odds ratios, marginal "
        "effects and Wald tests use (likelihood-ratio statistics do not): nonrobust, the "
        "inverse Fisher information B = (X'WX)^-1; hc0, B M B with M = sum s_i s_i', "
        "s_i = x_i (y_i - p_i); robust, Stata's vce(robust): n/(n-1) x HC0; hc1, R sandwich's "
        "for a GLM: n/(n-k) x HC0; hc2 and hc3, each s_i s_i' divided by 1 - h_i or "
        "(1 - h_i)^2, h_i the GLM hat value; cluster:COL, Stata's vce(cluster COL): G/(G-1) x "
        "B (sum_g S_g S_g') B, S_g the scores summed over the G values of column COL "
        "(statsmodels' default adds (n-1)/(n-k)) (default: %(default)s)",
    )
    errors.add_argument(
        "--firth",
        action="store_true",
        help="Firth's penalized likelihood instead of the MLE, as R's logistf: maximises the "
        "log-likelihood + 1/2 log det(X'WX), finite when the classes separate; SE as "
        "logistf's since 1.24.1, from the augmented data's information (X'W(1 + h)X)^-1, h "
        "the hat values; p-values from penalized likelihood-ratio tests and profile penalized-"
        "likelihood intervals, a coefficient at a time for at most a minute (the ones left "
        "get Wald's, named in the output; each takes 1-3 times the fit's passes over the "
        "rows); --weights and --trials count a row as its expanded 0/1 rows, as logistf's "
        "weights; in memory or in shares (--chunk-rows, --workers, a folder: the same "
        "numbers, each iteration two passes over the shares, the profiles' minute as in "
        "memory); no descent beside it unless --loss; without --cov",
    )
    errors.add_argument(
        "--conf-level",
        type=number,
        default=0.95,
        metavar="L",
        help="confidence level of every interval: coefficients, odds ratios, marginal effects "
        "and the figures' bands, 0 < L < 1, as Stata's level() (default: %(default)s)",
    )
    penalty = parser.add_argument_group("penalized fits (glmnet's scaling)")
    penalty.add_argument(
        "--penalty",
        choices=tuple(L1_RATIOS),
        default=None,
        help="minimise the mean log-loss + lambda x ((1 - A)/2 sum b^2 + A sum |b|), b the "
        "slopes of the columns standardized by their population SD (the intercept free), "
        "coefficients reported on the original scale, as glmnet: l2 (A = 0), l1 (A = 1) or "
        "elasticnet (A = --l1-ratio); the report shows the coefficients, the objective and "
        "the nonzero count, and no SE, p-values or intervals (a penalized estimate has no "
        "honest ones); no descent beside it unless --loss; with --weights or --trials the "
        "mean is over the sum of the weights or trials (a row counts as its expanded 0/1 "
        "rows; glmnet's weights, rescaled to a fixed sum, give the same mean); in memory or "
        "in shares (--chunk-rows, --workers, a folder: the same numbers, each step a pass "
        "over the shares, at a number --lambda); without --firth or --cov",
    )
    penalty.add_argument(
        "--lambda",
        dest="lam",
        type=number,
        default=None,
        metavar="L",
        help="the penalty's weight, L >= 0; cv: lambda_min of cv.glmnet, the mean held-out "
        "log-loss of --folds folds (drawn with --split-seed; a row stays in one fold, so a "
        "grouped or weighted row is not split, and each fold's log-loss is its mean over "
        "its weights or trials) along glmnet's path of 100 "
        "lambdas from the smallest that zeroes every slope down to 1e-4 of it (1e-2 when "
        "there are fewer rows than columns); lambda_1se shown too, and the path figure "
        "(path.png); cv in memory only (its 11 paths take some 4,000 passes)",
    )
    penalty.add_argument(
        "--l1-ratio",
        type=number,
        default=None,
        metavar="A",
        help=f"elasticnet's mix A of l1 in [0, 1] (default: {L1_RATIOS['elasticnet']:g})",
    )
    penalty.add_argument(
        "--folds",
        type=number,
        default=DEFAULT_FOLDS,
        metavar="K",
        help="folds of --lambda cv's cross-validation (default: %(default)s, as cv.glmnet)",
    )
    shards = parser.add_argument_group("a table read in shares")
    shards.add_argument(
        "--chunk-rows",
        type=number,
        default=None,
        metavar="N",
        help="rows read at a time; on one file, streams it from disk instead of reading it "
        "whole (default: 1,000,000)",
    )
    shards.add_argument(
        "--workers",
        type=number,
        default=1,
        metavar="K",
        help="start K local workers, each fitting its share of DATA (under torchrun: its "
        "workers instead) (default: %(default)s)",
    )
    add_table_options(parser)
    add_output_options(
        parser,
        default_out="logitlab-fit",
        progress="no progress lines (default: a line a stage on stderr, one a Newton iteration, "
        f"when stderr is a terminal, the fit is long, or {PROGRESS_ENV}=1 is set)",
    )
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    from ..engines import collective
    from .workers import MAX_WORKERS

    formats = check_formats(args.format)
    workers = check_int("workers", args.workers, 1, MAX_WORKERS)
    if args.chunk_rows is not None:
        check_int("chunk_rows", args.chunk_rows, 1, MAX_INT64)
    launched = collective.launched()
    if launched:
        with _rank_0_speaks():
            if workers > 1:
                raise ConfigError(
                    "--workers starts local workers; under torchrun the workers are "
                    "torchrun's (--nproc-per-node): drop --workers"
                )
            return _run_sharded(args, formats, workers, launched)
    if workers > 1 or args.chunk_rows is not None or _folder(args.data):
        return _run_sharded(args, formats, workers, launched)
    # Firth's fit has no descent by default: the descent minimises the unpenalized log-loss
    # nor has a penalized fit: the descent minimises the unpenalized log-loss
    quiet = (args.firth or args.penalty is not None) and args.loss is None
    losses = () if quiet else check_losses(args.loss or DEFAULT_LOSS)
    settings = fit_settings(args, losses)
    if (args.data is None) == (args.dataset is None):
        raise ConfigError("give a table file (DATA) or a shipped data set (--dataset), one of them")
    check_out_dir(args.out, args.force, inputs=[] if args.data is None else [args.data])
    progress = ProgressLines(args.quiet)
    frame, settings = _table(args, settings, progress)
    from ..report.fit import write_fit  # heavy imports once the table is read (its lines first)
    from ..studies.fit import fit_table
    from ..studies.multiclass import is_multiclass

    if not isinstance(frame, str) and is_multiclass(frame, settings.model):
        return _run_multiclass(args, frame, settings, formats, progress)
    fitted = fit_table(frame, settings, progress=progress.lines)
    if args.data is not None:
        fitted = replace(fitted, source=f"file {args.data}")
    with staged_dir(args.out, args.force) as stage:
        names = write_fit(fitted, stage, formats=formats, progress=progress.lines)
        progress(f"moving the report into {args.out}/")
    print_summary(fitted, args.out, names)
    return 0


def _run_multiclass(args: argparse.Namespace, frame: pandas.DataFrame, settings: FitSettings,
                    formats: list[str], progress: ProgressLines) -> int:  # fmt: skip
    """A target of three values or more: the multinomial fit, its files and its summary. The
    default descent is checked again as softmax regression on K classes, and the fit's
    estimate (the multinomial MLE, the softmax descent) against the limits."""
    from .. import budget
    from ..studies.multiclass import fit_multiclass, target_column

    classes = frame[target_column(frame, settings.model)].nunique()
    settings, skipped = _default_descent(args, settings, len(frame), frame.shape[1], classes)
    budget.check(budget.table(len(frame), 0, frame.shape[1], settings.train,
                              len(settings.losses), classes=classes),
                 "this fit", budget.FEWER_TABLE)  # fmt: skip
    sys.stderr.write(skipped)
    _write_multiclass(args, fit_multiclass(frame, settings, progress.lines), formats, progress)
    return 0


def _write_multiclass(args: argparse.Namespace, fitted: MulticlassFit, formats: list[str],
                      progress: ProgressLines) -> None:  # fmt: skip
    """A multinomial fit's files (in memory or in shares), its summary and the files."""
    from ..report.multiclass import write_multiclass

    with staged_dir(args.out, args.force) as stage:
        names = write_multiclass(fitted, stage, formats=formats)
        progress(f"moving the report into {args.out}/")
    print(fitted.summary())
    _print_files(fitted.design.spec, args.out, names, fitted.mle.classes)


def _table(
    args: argparse.Namespace, settings: FitSettings, progress: ProgressLines
) -> tuple[pandas.DataFrame | str, FitSettings]:
    """The columns of DATA the model uses, read once the fit's estimate passed the budget
    (and was said, when long), or the shipped data set's name; and the settings, less the
    default descent when it would be long (said in one line). The progress lines are
    shown from the first line, which says the read before any import, on a terminal or when
    asked for, and from the estimate on when the fit is long."""
    progress.show()
    if args.data is None:
        if _format_given(args):
            raise ConfigError("--sep, --decimal and --sheet say how a table file (DATA) is "
                              "written; a shipped data set (--dataset) has none")  # fmt: skip
        return args.dataset, settings
    progress(f"reading {args.data}")
    from .. import budget
    from ..data.formula import model_columns
    from ..data.tables import is_pipe, read_table, table_columns, table_size

    fmt = read_format(args)
    if is_pipe(args.data):  # read once, whole (max_bytes bounds it): no look before
        frame = read_table(args.data, fmt=fmt)
        settings, skipped = _default_descent(args, settings, len(frame), frame.shape[1])
        sys.stderr.write(skipped)
        return frame, settings
    model = settings.model
    columns = model_columns(table_columns(args.data, fmt), formula=model.formula,
                            target=model.target, features=model.features)  # fmt: skip
    for column in (settings.cluster, model.weights, model.trials):
        if column is not None and column not in columns:
            columns = (*columns, column)
    size = table_size(args.data, columns, fmt)
    settings, skipped = _default_descent(args, settings, size.rows, len(columns))
    cost = budget.table(size.rows, size.bytes, len(columns), settings.train,
                        len(settings.losses), penalty=settings.penalty is not None,
                        folds=settings.folds if settings.lam == "cv" else 0)  # fmt: skip
    if settings.firth:  # its profiles are bounded (stats.firth.MAX_PROFILE_SECONDS)
        cost += budget.firth(size.rows, len(columns))
    announce(budget.check(cost, "this fit", budget.FEWER_TABLE))
    sys.stderr.write(skipped)  # once the fit is known to go ahead
    progress.show(cost.long)
    progress(f"reading {args.data}: the model's {len(columns)} columns, ~{size.rows:,} rows")
    return read_table(args.data, columns=columns, fmt=fmt), settings


def _default_descent(
    args: argparse.Namespace, settings: FitSettings, rows: int, width: int, classes: int = 2
) -> tuple[FitSettings, str]:
    """The settings without the descent nobody asked for, when it would take longer than
    DEFAULT_DESCENT_SECONDS on `rows` rows (of `classes` classes: more than 2, softmax
    regression), and the line that says so; else as they are, and no line."""
    from .. import budget

    if args.loss is not None or not settings.losses:
        return settings, ""
    fits, how = len(settings.losses), {"classes": classes}
    seconds = (budget.table(rows, 0, width, settings.train, fits, **how).seconds
               - budget.table(rows, 0, width, **how).seconds)  # fmt: skip
    if seconds <= DEFAULT_DESCENT_SECONDS:
        return settings, ""
    return replace(settings, losses=()), (
        f"gradient descent beside the MLE skipped: {settings.train.epochs:,} epochs on "
        f"{rows:,} rows would take ~{budget.format_seconds(seconds)}; ask for it with "
        f"--loss {DEFAULT_LOSS} (it stops at convergence: --tol)\n"
    )


def _format_given(args: argparse.Namespace) -> bool:
    return any(v is not None for v in (args.sep, args.decimal, args.sheet))


def fit_settings(args: argparse.Namespace, losses: tuple[str, ...]) -> FitSettings:
    """The fit's settings, whole and checked (ConfigError on the first bad value), as the
    library takes them; `losses` as the command decides (in memory: bce unless told; in
    shares: none unless told)."""
    auto = args.lr == "auto"  # set from the data in the fit; the template keeps the default
    features = None if args.features is None else args.features.split(",")
    model = model_options(args, formula=args.formula, target=args.target, features=features,
                          baseline=args.baseline)  # fmt: skip
    return FitSettings(
        model=model,
        test_size=args.test_size,
        split_seed=0 if args.split_seed is None else args.split_seed,
        losses=losses,
        train=training_config(args, lr=DEFAULT_TRAINING.lr if auto else args.lr),
        lr=args.lr,
        chunk_rows=args.chunk_rows,
        workers=args.workers,
        threshold=args.threshold,
        cov=args.cov,
        conf_level=args.conf_level,
        firth=args.firth,
        penalty=args.penalty,
        lam=args.lam,
        l1_ratio=args.l1_ratio,
        folds=args.folds,
    )


@contextmanager
def _rank_0_speaks() -> Iterator[None]:
    """On a worker: every worker meets the same usage error (exit 2), as they check the same
    words and agree on everything else, so rank 0 says it and the others only exit 2."""
    try:
        yield
    except LogitlabError as exc:
        if exc.exit_code == 2 and os.environ.get("RANK") != "0":
            raise SystemExit(2) from None
        raise


def _folder(data: str | None) -> bool:
    return data is not None and Path(data).is_dir()


def _run_sharded(args: argparse.Namespace, formats: list[str], workers: int, launched: bool
                 ) -> int:  # fmt: skip
    """The table read in shares: refuse what needs every row in one place, start the local
    workers (--workers), or, as one worker, fit with the others and (rank 0) write."""
    if args.dataset is not None or args.data is None:
        raise ConfigError(
            "a table read in shares (--workers, --chunk-rows, torchrun) needs DATA, a Parquet "
            "or CSV file or a folder of them; a shipped data set (--dataset) is read in memory"
        )
    if args.test_size is not None or args.split_seed is not None:
        raise ConfigError(
            "--test-size and --split-seed hold rows out of the fit, which needs every row's "
            "prediction in one place; a table read in shares has no held-out split: split the "
            "files beforehand and apply model.json to the held-out ones with logitlab predict"
        )
    if _format_given(args):
        raise ConfigError(
            "a table read in shares is Parquet or comma-separated CSV with decimal points: "
            "--sep, --decimal and --sheet apply to a table read in memory"
        )
    settings = fit_settings(args, check_losses(args.loss) if args.loss is not None else ())
    if workers > 1 and not launched:
        from .. import budget
        from .workers import run_workers

        cap, why = budget.worker_cap()
        if workers > cap:
            raise ConfigError(f"--workers {workers} is more than this machine can run: at "
                              f"most {cap} ({why})")  # fmt: skip
        return run_workers(args.argv, workers)
    from ..data.shards import CHUNK_ROWS
    from ..engines import collective

    group = collective.join()
    chunk_rows = CHUNK_ROWS if args.chunk_rows is None else args.chunk_rows
    progress = ProgressLines(args.quiet)  # shown by rank 0 alone: only it calls show()
    try:
        collective.agreed(group, lambda: _first_checks(args, settings.model, group.world,
                          chunk_rows, progress) if group.rank == 0 else None)  # fmt: skip
        from ..report.fit import write_fit
        from ..studies.multiclass import MulticlassFit
        from ..studies.sharded import fit_shards

        fitted = fit_shards(args.data, group, replace(settings, chunk_rows=chunk_rows),
                            progress=progress.lines)  # fmt: skip
        if group.rank == 0 and isinstance(fitted, MulticlassFit):
            _write_multiclass(args, fitted, formats, progress)
        elif group.rank == 0:
            with staged_dir(args.out, args.force) as stage:
                names = write_fit(fitted, stage, formats=formats, progress=progress.lines)
                progress(f"moving the report into {args.out}/")
            print_summary(fitted, args.out, names)
    finally:
        collective.leave()
    return 0


def _first_checks(args: argparse.Namespace, model: ModelOptions, workers: int, chunk_rows: int,
                  progress: ProgressLines) -> None:  # fmt: skip
    """Rank 0's checks before a fit on shards: the output folder, and what the fit will
    cost each worker, Firth's passes counted with --firth and the penalized fit's with
    --penalty (refused when it cannot fit, said when long), which decides whether its
    progress lines are shown."""
    from .. import budget
    from ..data.formula import model_columns
    from ..studies.sharded import open_table

    check_out_dir(args.out, args.force, inputs=[args.data])
    shards = open_table(args.data)
    width = len(model_columns(shards.columns, formula=model.formula, target=model.target,
                              features=model.features))  # fmt: skip
    cost = budget.sharded(shards.estimated_rows(), len(shards.units), len(shards.files()),
                          chunk_rows, width, workers, firth_fit=args.firth,
                          penalty_fit=args.penalty is not None)  # fmt: skip
    announce(budget.check(cost, "this fit", budget.FEWER_TABLE))
    progress.show(cost.long)


def print_summary(fitted: TableFit, out: str, names: list[str]) -> None:
    """The MLE summary, the rows used (in shares: by how many workers, how many at a time)
    and dropped, the main effect in words, the average marginal effects, the metrics (and
    the threshold of the largest Youden's J), the descents, what a fit in shares does not
    produce (TableFit.summary(), the text a notebook gets too), and the files."""
    print(fitted.summary())
    _print_files(fitted.design.spec, out, names)


def _print_files(
    spec: ModelSpec, out: str, names: list[str], classes: Sequence[Any] | None = None
) -> None:
    """The files written, and why model.json is not among them when a model file cannot
    hold the model (a formula beyond what predict reads as data); `classes` those of a
    multinomial model."""
    from ..data.modelfile import model_file_refusal

    print(f"\nWrote {len(names)} files to {out}/: {', '.join(names)}")
    refusal = model_file_refusal(spec, classes)
    if refusal is not None:
        print(f"model.json not written: {refusal}")
    print(f"Report: {out}/report.html")
