"""`logitlab compare`: two or more models of one table, fitted on the same rows, compared by
likelihood-ratio tests (R's anova(m1, m2, test="Chisq")) and by AIC and BIC; writes
comparison.csv, results.json and report.html."""

from __future__ import annotations

import argparse
from dataclasses import replace

from ..config import CompareSettings
from ..errors import ConfigError
from ..report.staging import check_out_dir, staged_dir
from .common import (
    add_model_options,
    add_output_options,
    add_table_options,
    announce,
    model_options,
    read_format,
)

NAME = "compare"
HELP = (
    "Compare models of one table: each --formula fitted by maximum likelihood on the same "
    "rows, the likelihood-ratio test of each against the one before as R's anova(m1, m2, "
    "test='Chisq') prints it, and every model's logLik, AIC and BIC; writes comparison.csv, "
    "results.json and report.html."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", metavar="DATA", help="a CSV, TSV, Parquet or .xlsx table file")
    model = parser.add_argument_group("the models")
    model.add_argument(
        "--formula",
        action="append",
        default=[],
        metavar="FORMULA",
        help="a model, target on the left ('y ~ a + C(b)'); give it twice or more, the "
        "models in the order to test: each against the one before, which must be nested in "
        "it or hold it (its columns in the other's span, checked on the numbers); every "
        "model is fitted on the rows complete in every column any formula reads. A pair "
        "that is not nested gets no LR test, said in one line; AIC and BIC compare any "
        "models",
    )
    add_model_options(model)
    add_table_options(parser)
    add_output_options(
        parser,
        default_out="logitlab-compare",
        progress="print only the files written (default: the tables too)",
    )


def run(args: argparse.Namespace) -> int:
    settings = compare_settings(args)
    check_out_dir(args.out, args.force, inputs=[args.data])
    frame = _table(args, settings)
    from ..report.compare import write_compare
    from ..studies.compare import run_compare

    comparison = replace(run_compare(frame, settings), source=f"file {args.data}")
    with staged_dir(args.out, args.force) as stage:
        names = write_compare(comparison, stage)
    if not args.quiet:
        print(comparison.summary() + "\n")
    print(f"Wrote {len(names)} files to {args.out}/: {', '.join(names)}")
    print(f"Report: {args.out}/report.html")
    return 0


def compare_settings(args: argparse.Namespace) -> CompareSettings:
    """The comparison's settings, checked (ConfigError naming --formula as typed)."""
    if len(args.formula) < 2:
        raise ConfigError(f"compare needs two models or more: give --formula twice or more "
                          f"(got {len(args.formula)})")  # fmt: skip
    return CompareSettings(formulas=tuple(args.formula), model=model_options(args))


def _table(args: argparse.Namespace, settings: CompareSettings) -> object:
    """The columns of DATA any formula reads (and the weights or trials), read once the
    fits' estimate passed the budget (said when long); a pipe is read whole."""
    from .. import budget
    from ..data.formula import model_columns
    from ..data.tables import is_pipe, read_table, table_columns, table_size

    fmt = read_format(args)
    if is_pipe(args.data):
        return read_table(args.data, fmt=fmt)
    present = table_columns(args.data, fmt)
    columns: dict[str, None] = {}
    widths = []
    for formula in settings.formulas:
        read = model_columns(present, formula=formula)
        columns.update(dict.fromkeys(read))
        widths.append(len(read))
    for column in (settings.model.weights, settings.model.trials):
        if column is not None:
            columns[column] = None
    size = table_size(args.data, tuple(columns), fmt)
    cost = budget.table(size.rows, size.bytes, len(columns))
    for width in widths[1:]:
        cost += budget.design(size.rows, width) + budget.mle(size.rows, width)
    announce(budget.check(cost, "this comparison", budget.FEWER_TABLE))
    return read_table(args.data, columns=list(columns), fmt=fmt)
