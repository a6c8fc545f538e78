"""`logitlab predict`: apply a saved model (model.json from `logitlab fit`) to new rows."""

from __future__ import annotations

import argparse

from .common import add_table_options, number, read_format

NAME = "predict"
HELP = (
    "Apply a model saved by `logitlab fit` (model.json) to the rows of a new table, coded as "
    "when it was fitted; writes row, p_hat and the predicted class to a CSV file."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="model.json written by logitlab fit")
    parser.add_argument("data", metavar="NEW", help="a CSV, TSV or Parquet file of new rows")
    parser.add_argument(
        "--out", default="predictions.csv", metavar="FILE",
        help="the CSV file to write (default: %(default)s); written beside it, then moved "
        "into place",
    )  # fmt: skip
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace FILE if it is an existing regular file, never MODEL, NEW, a folder, a "
        "link, a pipe or a device (default: refuse an existing FILE)",
    )
    parser.add_argument(
        "--missing",
        default="error",
        metavar="{drop,error}",
        help="rows with a missing value in a column the model reads: refuse, or leave them "
        "out (default: %(default)s)",
    )
    parser.add_argument(
        "--threshold",
        type=number,
        default=0.5,
        help="a row is predicted 1 when p_hat is above this (default: %(default)s)",
    )
    add_table_options(parser)


def run(args: argparse.Namespace) -> int:
    from ..config import check_float
    from ..errors import ConfigError
    from ..report.staging import check_out_file

    threshold = check_float("threshold", args.threshold)
    if not 0 <= threshold <= 1:
        raise ConfigError(f"threshold must be a probability from 0 to 1, got {threshold:g}")
    check_out_file(args.out, args.force, inputs=[args.model, args.data])
    import numpy as np  # heavy imports only once the settings are known good

    from ..data.modelfile import load_model
    from ..data.tables import read_table
    from ..model import probabilities
    from ..report.writers import write_file_atomically

    spec, coefficients = load_model(args.model)
    new = read_table(args.data, columns=spec.columns or None, fmt=read_format(args))
    X, rows = spec.matrix(new, missing=args.missing)
    values = list(coefficients.values())
    params = np.array(values if spec.intercept else [0.0, *values])
    p_hat = probabilities(params, X)
    write_file_atomically(
        [
            {"row": int(r), "p_hat": float(p), "predicted": int(p > threshold)}
            for r, p in zip(rows, p_hat, strict=True)
        ],
        args.out,
        force=args.force,
        inputs=[args.model, args.data],
    )
    print(f"Wrote {len(rows):,} predictions of {spec.target} = {spec.positive} to {args.out} "
          f"(model {spec.formula})")  # fmt: skip
    return 0
