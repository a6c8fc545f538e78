"""`logitlab predict`: apply a saved model (model.json from `logitlab fit`) to new rows.

The rows are read, coded and written a chunk at a time (data.tables.read_chunks, or a folder's
shares), so a table of any size is predicted in the memory of one chunk; the output file
appears whole or not at all (report.staging). A row the model cannot code (a missing value, a
level it has not seen, log(0)) refuses the file, or with --on-error skip is written without a
prediction and with its reason, the others predicted. A model of K >= 3 classes (the
multinomial logit) writes each class's probability and the most probable class as the label;
a threshold or an interval belongs to a model of two classes."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import MAX_INT64, check_conf_level, check_int, check_threshold, listed, shown
from ..errors import ConfigError, DataError
from .common import add_table_options, given_format, number, read_format

if TYPE_CHECKING:
    import numpy as np
    import pandas

    from ..data.design import Coded, ModelSpec
    from ..data.modelfile import SavedClasses, SavedModel

NAME = "predict"
HELP = (
    "Apply a model saved by `logitlab fit` (model.json) to the rows of a new table, coded as "
    "when it was fitted; writes row, p_hat, the predicted class (0/1) and its label (the "
    "target's own value) to a CSV file, a chunk of rows at a time; with --interval also "
    "each probability's confidence interval. A model of three classes or more writes row, "
    "p_<class> for each class (its value as text, a control character escaped as \\n is) "
    "and label, the most probable class."
)
#: What a row the model cannot code does: refuse the file, or skip the row (written with its
#: reason and no prediction).
ON_ERROR = ("error", "skip")
#: Rows read, coded and written at a time unless --chunk-rows says: a chunk's frame, its
#: design and its output are held at once, ~1 kB a row for ten columns (a 3-million-row
#: Parquet file peaked at 1.4 GB in chunks of 10**6 rows, 0.45 GB in chunks of 10**5).
CHUNK_ROWS = 100_000
#: The columns predict writes after the --keep ones; `reason` only with --on-error skip.
WRITTEN = ("row", "p_hat", "predicted", "label")
#: The ends of p_hat's confidence interval, written after p_hat with --interval.
INTERVAL = ("p_low", "p_high")
REASON = "reason"
#: A row is predicted 1 when p_hat is above this, unless --threshold says.
THRESHOLD = 0.5
#: What a multinomial model's class probability columns are named by: "p_setosa".
CLASS_PREFIX = "p_"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="model.json written by logitlab fit")
    parser.add_argument(
        "data",
        metavar="NEW",
        help="a CSV, TSV, Parquet or Excel (.xlsx) file of new rows, or a folder of Parquet "
        "(or CSV) files read in order, as fit reads them",
    )
    parser.add_argument(
        "--out", default="predictions.csv", metavar="FILE",
        help="the CSV file to write (default: %(default)s); written beside it, then moved "
        "into place, so a failure or Ctrl-C leaves nothing",
    )  # fmt: skip
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace FILE if it is an existing regular file, never MODEL, NEW, a folder, a "
        "link, a pipe or a device (default: refuse an existing FILE)",
    )
    rows = parser.add_argument_group("rows")
    rows.add_argument(
        "--missing",
        default="error",
        metavar="{drop,error}",
        help="rows with a missing value in a column the model reads: leave them out of FILE, "
        "or count them as rows the model cannot code, as --on-error says (default: "
        "%(default)s)",
    )
    rows.add_argument(
        "--on-error",
        default="error",
        metavar="{error,skip}",
        help="a row the model cannot code (a missing value, a level it has not seen, text "
        "where it reads a number, log(0)): refuse the file, naming the first such row and "
        "its column; or skip: write the row with no prediction and a reason column saying "
        "why, and predict the others (default: %(default)s)",
    )
    rows.add_argument(
        "--keep",
        metavar="COL,...",
        help="columns of NEW written first in FILE, unchanged (IDs: a text table's as written, "
        "007 stays 007) (default: none)",
    )
    rows.add_argument(
        "--threshold",
        type=number,
        default=None,
        metavar="T",
        help="a row is predicted 1 (label: the model's success value) when p_hat > T, "
        f"0 < T < 1 (default: {THRESHOLD}); a model of three classes or more takes none: its "
        "label is the most probable class",
    )
    rows.add_argument(
        "--interval",
        action="store_true",
        help="also write p_low and p_high, the ends of p_hat's confidence interval: the "
        "delta method's interval of the logit x'b (standard error sqrt(x'Vx), V the "
        "covariance the fit used, its --cov) mapped through the sigmoid, so it stays in "
        "(0, 1); fit saves V in model.json unless the model has hundreds of parameters "
        "(an older model.json lacks it: refit); not for a model of three classes or more, "
        "whose model.json keeps no covariance",
    )
    rows.add_argument(
        "--conf-level",
        type=number,
        default=None,
        metavar="L",
        help="the confidence level of --interval, 0 < L < 1 (default: the fit's --conf-level, "
        "as model.json says)",
    )
    rows.add_argument(
        "--chunk-rows",
        type=number,
        default=None,
        metavar="N",
        help="rows read, coded and written at a time: memory holds one chunk (default: "
        f"{CHUNK_ROWS:,}; a text table is read in pieces of fewer when it has many columns)",
    )
    add_table_options(parser)


@dataclass
class Tally:
    """What was written: predictions, rows skipped with a reason, rows left out for a
    missing value (--missing drop)."""

    predicted: int = 0
    skipped: int = 0
    dropped: int = 0


def run(args: argparse.Namespace) -> int:
    from ..report.staging import check_out_file

    threshold = THRESHOLD if args.threshold is None else check_threshold(args.threshold)
    _choice("--on-error", args.on_error, ON_ERROR)
    if args.conf_level is not None and not args.interval:
        raise ConfigError("--conf-level sets the level of --interval; give both, or neither")
    level = None if args.conf_level is None else check_conf_level(args.conf_level)
    keep = _keep(args.keep, skip=args.on_error == "skip", interval=args.interval)
    chunk_rows = None if args.chunk_rows is None else check_int(
        "--chunk-rows", args.chunk_rows, 1, MAX_INT64)  # fmt: skip
    inputs = [args.model, args.data]
    check_out_file(args.out, args.force, inputs=inputs)
    from ..config import check_missing  # heavy imports only once the settings are known good
    from ..data.modelfile import read_model
    from ..report.writers import write_file_atomically

    check_missing(args.missing)
    saved = read_model(args.model)
    spec = saved.spec
    if saved.multinomial is not None:
        _multinomial_options(args, saved.multinomial)
        names = _class_columns(saved.multinomial.classes, keep)
        model: Binary | Classes = Classes(spec, saved.multinomial, names)
    else:
        model = _binary(args, saved, threshold, level)
    chunks = _chunks(args, spec, keep, CHUNK_ROWS if chunk_rows is None else chunk_rows)
    tally = Tally()
    pieces = _predictions(chunks, model, keep, args, tally)
    written = write_file_atomically(pieces, args.out, force=args.force, inputs=inputs)
    print(_summary(spec, args, written, tally, model))
    return 0


def _binary(
    args: argparse.Namespace, saved: SavedModel, threshold: float, level: float | None
) -> Binary:
    """A model of two classes from its file: its params, the threshold and, with
    --interval, the covariance the file must hold at the level asked (else the fit's)."""
    import numpy as np

    from ..data.modelfile import MAX_COVARIANCE_PARAMS

    if args.interval and saved.cov is None:
        raise DataError(f"{args.model} holds no covariance of its parameters, which --interval "
                        "needs (a model file written before fit saved it, or of more than "
                        f"{MAX_COVARIANCE_PARAMS} parameters); refit the model with logitlab "
                        "fit to get one")  # fmt: skip
    interval = None
    if args.interval:
        interval = Interval(saved.cov, saved.conf_level if level is None else level)
    values = list(saved.coefficients.values())
    params = np.array(values if saved.spec.intercept else [0.0, *values])
    return Binary(saved.spec, params, threshold, interval)


def _multinomial_options(args: argparse.Namespace, classes: SavedClasses) -> None:
    """--threshold and --interval refused for a model of three classes or more, saying
    why."""
    values = classes.classes
    held = f"{args.model} holds a model of {len(values)} classes ({listed(values)})"
    if args.threshold is not None:
        raise ConfigError(f"--threshold applies to a model of two classes; {held}, and a row's "
                          "label is its most probable class")  # fmt: skip
    if args.interval:
        raise ConfigError(f"--interval applies to a model of two classes; {held}, and its "
                          "model file keeps no covariance of the class probabilities")  # fmt: skip


def _class_columns(classes: Sequence[Any], keep: Sequence[str]) -> tuple[str, ...]:
    """The probability columns of a multinomial model, one per class: CLASS_PREFIX and the
    class's text, a character that is not printable escaped ('p_a\\nb'); DataError when
    two classes would share a name, ConfigError when --keep names one."""
    names = [CLASS_PREFIX + "".join(ch if ch.isprintable() else ascii(ch)[1:-1]
                                    for ch in str(c)) for c in classes]  # fmt: skip
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise DataError(f"the model's classes would write the columns {listed(twice)} more than "
                        "once: two classes have the same text")  # fmt: skip
    taken = [name for name in keep if name in names]
    if taken:
        raise ConfigError(f"--keep {listed(taken)}: predict writes a column of that name; "
                          "rename the column in NEW")  # fmt: skip
    return tuple(names)


def _choice(flag: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{flag} must be {' or '.join(allowed)}, got {shown(value)}")


@dataclass(frozen=True)
class Interval:
    """What --interval needs: the covariance of the parameters, as the design has them (the
    intercept's row and column first when the model has one), and the level."""

    cov: np.ndarray
    level: float


@dataclass(frozen=True)
class Binary:
    """A model of two classes: params with the intercept first (0 without one), the
    threshold and maybe the interval."""

    spec: ModelSpec
    params: np.ndarray
    threshold: float
    interval: Interval | None

    def columns(self, coded: Coded, rows: np.ndarray) -> dict[str, Any]:
        """p_hat (with the interval's ends), the class at the threshold and its label, for
        `rows` of a chunk: those the model coded predicted, the others empty."""
        import numpy as np
        import pandas

        from ..model import probabilities
        from ..stats.inference import predicted_interval

        spec, interval = self.spec, self.interval
        p_hat = pandas.Series(np.nan, index=rows)
        ends = [pandas.Series(np.nan, index=rows) for _ in INTERVAL]
        if len(coded.rows):
            p_hat[coded.rows] = probabilities(self.params, coded.X)
        if len(coded.rows) and interval is not None:
            X = np.column_stack((np.ones(len(coded.X)), coded.X)) if spec.intercept else coded.X
            found = predicted_interval(X, self.params[int(not spec.intercept) :], interval.cov,
                                       interval.level)  # fmt: skip
            ends[0][coded.rows], ends[1][coded.rows] = found.low, found.high
        predicted = (p_hat > self.threshold).astype("Int64").mask(p_hat.isna())
        label = predicted.map({1: spec.positive, 0: spec.negative}).astype(object)
        out = {"p_hat": p_hat.to_numpy()}
        if interval is not None:
            out |= {name: end.to_numpy() for name, end in zip(INTERVAL, ends, strict=True)}
        return out | {"predicted": predicted.to_numpy(), "label": label.to_numpy()}


@dataclass(frozen=True)
class Classes:
    """A model of K >= 3 classes (the multinomial logit) and its probability columns'
    names, one per class."""

    spec: ModelSpec
    saved: SavedClasses
    names: tuple[str, ...]

    def columns(self, coded: Coded, rows: np.ndarray) -> dict[str, Any]:
        """Each class's probability and the most probable class (the label, a value of the
        target), for `rows` of a chunk: those the model coded predicted, the others empty."""
        import numpy as np
        import pandas

        from ..stats.multinomial import class_probabilities

        saved = self.saved
        p = pandas.DataFrame(np.nan, index=rows, columns=list(self.names))
        label = pandas.Series(np.nan, index=rows, dtype=object)
        if len(coded.rows):
            X = coded.X
            X = np.column_stack((np.ones(len(X)), X)) if self.spec.intercept else X
            found = class_probabilities(X, saved.params, saved.classes, saved.baseline)
            p.loc[coded.rows] = found
            label[coded.rows] = np.array(saved.classes, dtype=object)[found.argmax(axis=1)]
        return {name: p[name].to_numpy() for name in self.names} | {"label": label.to_numpy()}


def _keep(text: str | None, *, skip: bool, interval: bool) -> list[str]:
    """--keep's column names, in order; refused when one is empty, given twice, or named as
    a column predict writes."""
    if text is None:
        return []
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise ConfigError(f"--keep must name columns, comma-separated, got {shown(text)}")
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ConfigError(f"--keep names {listed(twice)} more than once")
    written = WRITTEN + (INTERVAL if interval else ()) + ((REASON,) if skip else ())
    taken = [name for name in names if name in written]
    if taken:
        raise ConfigError(f"--keep {listed(taken)}: predict writes a column of that name; "
                          "rename the column in NEW")  # fmt: skip
    return names


def _chunks(
    args: argparse.Namespace, spec: ModelSpec, keep: list[str], chunk_rows: int
) -> Iterator[tuple[Path | None, pandas.DataFrame]]:
    """The model's and --keep's columns of NEW a chunk at a time, each with the file it
    comes from when NEW is a folder (None for one file). A column NEW lacks is refused
    before any is read, naming --keep for a kept one."""
    from ..data.shards import open_shards
    from ..data.tables import is_pipe, read_chunks, table_columns, wanted_columns

    columns = list(dict.fromkeys([*spec.columns, *keep]))
    folder = Path(args.data).is_dir() and not is_pipe(args.data)
    if folder and any(v is not None for v in (args.sep, args.decimal, args.sheet)):
        raise ConfigError("a folder of shares is read as fit reads one: Parquet or "
                          "comma-separated CSV; --sep, --decimal and --sheet apply to a "
                          "table file")  # fmt: skip
    shards = open_shards(args.data) if folder else None
    fmt = given_format(args) if folder else read_format(args)
    if not is_pipe(args.data):
        names = shards.columns if shards else table_columns(args.data, fmt)
        lacking = [name for name in keep if name not in names]
        if lacking:
            raise DataError(f"--keep {listed(lacking)}: {args.data} has no such column; its "
                            f"columns: {listed(names)}")  # fmt: skip
        wanted_columns(Path(args.data), tuple(names), columns)
    if shards is None:
        text = [name for name in keep if name not in spec.columns]
        for frame in read_chunks(args.data, columns=columns, chunk_rows=chunk_rows, fmt=fmt,
                                 text=text):  # fmt: skip
            yield None, frame
        return
    for part in shards.by_file():
        for frame in part.chunks(columns, chunk_rows):
            yield part.units[0].path, frame


def _predictions(
    chunks: Iterator[tuple[Path | None, pandas.DataFrame]],
    model: Binary | Classes,
    keep: list[str],
    args: argparse.Namespace,
    tally: Tally,
) -> Iterator[pandas.DataFrame]:
    """The rows of FILE, a chunk at a time: the --keep columns, the row's position in NEW
    (from 0, as fit's predictions.csv), then the model's columns (Binary.columns,
    Classes.columns); with --on-error skip, the rows the model cannot code too, with their
    reason. The first such row otherwise refuses the file, named as a spreadsheet counts
    it."""
    import numpy as np
    import pandas

    from ..data.checks import row_words

    spec, skip = model.spec, args.on_error == "skip"
    start, file, in_file = 0, None, 0
    for source, frame in chunks:
        if source != file:
            file, in_file = source, 0
        coded = spec.code(frame, missing=args.missing)
        if len(coded.refused) and not skip:
            where = row_words(in_file + int(coded.refused[0]))
            raise DataError(f"{where}{'' if file is None else f' of {file}'}: "
                            f"{coded.reasons[0]}; --on-error skip writes such rows without "
                            "a prediction, with the reason, and predicts the others")  # fmt: skip
        rows = np.union1d(coded.rows, coded.refused) if skip else coded.rows
        table = frame.iloc[rows][keep].reset_index(drop=True)
        table["row"] = start + rows
        for name, column in model.columns(coded, rows).items():
            table[name] = column
        if skip:
            reasons = pandas.Series("", index=rows, dtype=object)
            reasons[coded.refused] = list(coded.reasons)
            table[REASON] = reasons.to_numpy()
        tally.predicted += len(coded.rows)
        tally.skipped += len(coded.refused)
        tally.dropped += len(frame) - len(coded.rows) - len(coded.refused)
        start += len(frame)
        in_file += len(frame)
        yield table


def _summary(
    spec: ModelSpec, args: argparse.Namespace, written: int, tally: Tally, model: Binary | Classes
) -> str:
    """One line: what was written where, of which model (its formula as load_model checked
    it), at which threshold or among which classes, and the rows skipped or left out."""
    line = f"Wrote {written:,} rows to {args.out}: {tally.predicted:,} predictions of "
    if isinstance(model, Classes):
        line += (f"{spec.target} among {len(model.names)} classes ({', '.join(model.names)}; "
                 "label: the most probable)")  # fmt: skip
    else:
        line += f"{spec.target} = {spec.positive!r} at threshold {model.threshold:g}"
    if isinstance(model, Binary) and model.interval is not None:
        line += f" with {model.interval.level:.4g} confidence intervals (p_low, p_high)"
    if tally.skipped:
        line += f", {tally.skipped:,} rows skipped (the reason column says why)"
    if tally.dropped:
        line += f", {tally.dropped:,} rows with a missing value left out (--missing drop)"
    return f"{line} (model {spec.formula})"
