"""`logitlab fit`: a table (or a shipped data set) to a fitted, checked, explained logistic
regression in one folder: report.html, results.json, coefficients.csv, predictions.csv,
model.json and the figures."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..config import check_formats, check_losses
from ..errors import ConfigError
from ..report.files import check_out_dir, staged_dir
from .common import (
    DEFAULT_TRAINING,
    add_format_option,
    add_output_options,
    add_training_options,
    number,
    training_config,
)

if TYPE_CHECKING:
    from ..studies.fit import TableFit

NAME = "fit"
HELP = (
    "Fit a logistic regression to a table (CSV, TSV, Parquet) or a shipped data set: the "
    "maximum-likelihood fit with its statistics, gradient descent beside it, and how well it "
    "predicts held-out rows; writes report.html, results.json, CSVs and model.json."
)


#: --start on a table: the descent runs on standardised columns.
TABLE_START = (
    "A,B1,...,BD",
    "start the descents here instead, on the standardised columns: the intercept, then one "
    "number per design column (D columns need D+1 numbers, in the order of the MLE's table) "
    "(default: the initial net of --init-seed)",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", nargs="?", metavar="DATA", help="a CSV, TSV or Parquet file")
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
    model.add_argument(
        "--positive", metavar="VALUE", help="the target value that counts as success "
        "(default: the larger of its two values, or a data set's own)"
    )  # fmt: skip
    model.add_argument(
        "--missing",
        default="drop",
        metavar="{drop,error}",
        help="rows with a missing value in a used column: drop and count them, or refuse "
        "(default: %(default)s)",
    )
    model.add_argument(
        "--max-levels",
        type=number,
        default=50,
        help="most levels a categorical column may have (default: %(default)s)",
    )
    split = parser.add_argument_group("held-out rows")
    split.add_argument(
        "--test-size",
        type=number,
        default=None,
        help="share of rows held out, stratified by the target, e.g. 0.2 (default: none)",
    )
    split.add_argument(
        "--split-seed", type=number, default=0, help="seed of the split (default: %(default)s)"
    )
    group = add_training_options(parser, loss=False, lr=False, start=TABLE_START)
    group.add_argument(
        "--loss",
        default="bce",
        metavar="{bce,mse,both}",
        help="gradient descent beside the MLE on this loss, or both (default: %(default)s)",
    )
    group.add_argument(
        "--lr",
        type=number,
        default="auto",
        help="learning rate; auto: 1/L, L the largest curvature of the loss on the standardised "
        f"columns, for sgd and momentum (adam keeps {DEFAULT_TRAINING.lr:g}) "
        "(default: %(default)s)",
    )
    add_output_options(parser, default_out="logitlab-fit")
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    formats = check_formats(args.format)
    losses = check_losses(args.loss)
    auto = args.lr == "auto"  # fit_table sets it from the data; the template keeps the default
    train = training_config(args, lr=DEFAULT_TRAINING.lr if auto else args.lr)
    if (args.data is None) == (args.dataset is None):
        raise ConfigError("give a table file (DATA) or a shipped data set (--dataset), one of them")
    check_out_dir(args.out, args.force)
    from dataclasses import replace  # heavy imports only once the settings are known good

    from ..data.tables import read_table
    from ..report.fit import write_fit
    from ..studies.fit import fit_table

    table = read_table(args.data) if args.data is not None else args.dataset
    fitted = fit_table(
        table,
        formula=args.formula,
        target=args.target,
        features=None if args.features is None else args.features.split(","),
        positive=args.positive,
        missing=args.missing,
        max_levels=args.max_levels,
        test_size=args.test_size,
        split_seed=args.split_seed,
        losses=losses,
        train=train,
        lr=args.lr,
    )
    if args.data is not None:
        fitted = replace(fitted, source=f"file {args.data}")
    if not args.quiet:
        print("Drawing the figures and writing the report ...", file=sys.stderr, flush=True)
    with staged_dir(args.out, args.force) as stage:
        names = write_fit(fitted, stage, formats=formats)
    print_summary(fitted, args.out, names)
    return 0


def print_summary(fitted: TableFit, out: str, names: list[str]) -> None:
    """The MLE summary, the main effect in words, the metrics, the descents, and the files."""
    print(fitted.mle.summary())
    print(f"\n{fitted.reading}\n")
    for rows, m in fitted.metrics.items():
        auc = f"{m.roc_auc:.3f}" if m.roc_auc is not None else "undefined (one class)"
        print(f"{rows} rows (n = {m.n:,}): accuracy {m.accuracy:.3f}, log-loss "
              f"{m.log_loss:.4f}, Brier {m.brier:.4f}, ROC AUC {auc}")  # fmt: skip
    if fitted.train is not None:
        print(f"gradient descent on z-scores: {fitted.descent_words}")
    for loss, d in fitted.descents.items():
        print(f"gradient descent on {loss.upper()}: {d.verdict} after {d.result.epochs:,} epochs, "
              f"max |coef - MLE| {d.max_abs:.3g} ({d.max_se:.3g} standard errors)")  # fmt: skip
    if fitted.descent_note:
        print(fitted.descent_note)
    print(f"\nWrote {len(names)} files to {out}/: {', '.join(names)}")
    print(f"Report: {out}/report.html")
