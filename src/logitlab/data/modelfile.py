"""model.json: a fitted model saved as data, and read back as data, never as code.

formulaic evaluates a right-hand side as Python, so the one in a model file passes an
allow-list first, checked on Python's parse tree of each factor before anything is
evaluated: columns, C(column) with its contrast and levels, the transforms logitlab writes
(np.log and the like, center, scale, I) of sums, products and small powers of columns and
numbers. A formula typed by the user may do more in memory; the same allow-list says
whether its model can be saved (model_file_refusal). Reading one is bounded work: only a
regular file, of capped bytes, terms and columns.

A model of K >= 3 classes (the multinomial logit) is the same record with a "multinomial"
object in place of "coefficients": its classes, its baseline and its d x (K - 1) params by
term name; its spec gives no "positive" and "negative" (a binary target's coding, which a
K-class model has none of; an older file that gives them still reads). The field is
optional, so a binary model file is written as before and an older one still reads; a
logitlab older than the field refuses a multinomial file (it finds no coefficients) rather
than misreading it as a binary model.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..config import shown
from ..errors import DataError
from ..result import INTERCEPT
from .checks import python_value
from .design import ModelSpec
from .formula import parse_formula, quote, rhs_text

#: What a model file says it is, and the version of its layout.
MODEL_FORMAT = "logitlab-model"
MODEL_VERSION = 1
#: Bounds on a model file, so that reading one is bounded work: formulaic evaluates each
#: term (about 3 ms apiece), and each column (a one-hot level too) is a name, a coefficient
#: and maybe a level, well under 800 bytes as written.
MAX_MODEL_TERMS = 1000
MAX_MODEL_COLUMNS = 10_000
#: A model of at most this many parameters also saves their covariance matrix (for predict's
#: intervals): its k x k numbers take up to ~40 bytes each as written, 6.4 MB at the bound.
MAX_COVARIANCE_PARAMS = 400
MAX_MODEL_BYTES = 800 * MAX_MODEL_COLUMNS + 40 * MAX_COVARIANCE_PARAMS**2
#: How far a saved covariance may be from symmetric, relative to its largest entry.
SYMMETRY_TOL = 1e-10
MAX_RHS_CHARS = 256 * MAX_MODEL_TERMS
#: A saved factor's Python expression nests at most this deep (np.log(I(a ** 2)) is 5).
MAX_DEPTH = 32
#: The largest |exponent| of a saved power (a ** 2, b ** -1): numbers, never towers.
MAX_POWER = 16
#: What a saved factor may call: transforms of one value, and C()'s contrasts.
TRANSFORMS = ("I", "center", "scale", "np.log", "np.log1p", "np.exp", "np.sqrt")
CONTRASTS = ("Treatment", "Sum", "Helmert", "Diff", "Poly", "contr.treatment", "contr.sum",
             "contr.helmert", "contr.diff", "contr.poly")  # fmt: skip
#: The longest float in JSON: a file's size is bounded before its coefficients are known.
WIDEST_FLOAT = -2.2250738585072014e-308
#: The kinds of factor a spec may give (formulaic's Factor.Kind values logitlab codes).
FACTOR_KINDS = ("numerical", "categorical")
#: The fields of a multinomial model's record, in place of "coefficients".
MULTINOMIAL_FIELDS = ("classes", "baseline", "params")


@dataclass(frozen=True)
class SavedClasses:
    """A multinomial model's classes as its file holds them: every class, in the order
    predict writes their probabilities; the baseline each equation is against; and params,
    d x (K - 1): a row per coefficient (the intercept's first), a column per equation, the
    classes other than the baseline in `classes` order (stats.multinomial's layout)."""

    classes: tuple[Any, ...]
    baseline: Any
    params: np.ndarray


@dataclass(frozen=True)
class SavedModel:
    """A model file read back: its spec, coefficients by term name, and the covariance of
    the fitted parameters (intercept first) with its type and confidence level, None in a
    file written before model files kept it or for a model past MAX_COVARIANCE_PARAMS.
    A multinomial model has its classes and params in `multinomial`, no coefficients and
    no covariance."""

    spec: ModelSpec
    coefficients: dict[str, float]
    cov: np.ndarray | None = None
    cov_type: str | None = None
    conf_level: float | None = None
    multinomial: SavedClasses | None = None


def model_record(
    spec: ModelSpec,
    coefficients: object,
    cov: np.ndarray | None = None,
    *,
    cov_type: str = "nonrobust",
    conf_level: float = 0.95,
) -> dict[str, Any]:
    """The JSON record of model.json: the spec, the coefficients by term name
    (coefficients: a mapping in that order, or intercept first then the terms) and, when
    given and the model has at most MAX_COVARIANCE_PARAMS parameters, their covariance
    `cov` (the one the fit used, of type cov_type, at conf_level: predict --interval reads
    it); DataError when load_model would refuse it (model_file_refusal)."""
    refusal = model_file_refusal(spec)
    if refusal is not None:
        raise DataError(f"the model cannot be saved as a model file: {refusal}")
    record = _record(spec, _coefficients(spec, coefficients, "the model's"))
    if cov is not None and len(record["coefficients"]) <= MAX_COVARIANCE_PARAMS:
        cov = np.asarray(cov, dtype=float)
        saved = _covariance_record((cov + cov.T) / 2.0, cov_type, conf_level)
        try:  # a covariance read_model would refuse (not finite) is left out, not saved
            _read_covariance(saved, len(record["coefficients"]))
            record["covariance"] = saved
        except DataError:
            pass
    return record


def multinomial_record(
    spec: ModelSpec, params: object, classes: Sequence[Any], baseline: Any
) -> dict[str, Any]:
    """The JSON record of model.json for a multinomial model: the spec, and in place of the
    coefficients its classes (in the order predict writes them), the baseline and params
    (d x (K - 1), a row per term with the intercept first, a column per class other than
    the baseline in `classes` order), by term name; DataError when read_model would refuse
    it (model_file_refusal)."""
    classes, baseline = [python_value(c) for c in classes], python_value(baseline)
    refusal = model_file_refusal(spec, classes)
    if refusal is not None:
        raise DataError(f"the model cannot be saved as a model file: {refusal}")
    rows, terms = np.asarray(params, dtype=float), _terms(spec)
    if rows.shape != (len(terms), len(classes) - 1):
        raise DataError(f"the model's params must be {len(terms)} x {len(classes) - 1} (a "
                        "row per term, a column per class but the baseline), got "
                        f"{rows.shape}")  # fmt: skip
    record = _record(spec, None)
    record["multinomial"] = {
        "classes": classes,
        "baseline": baseline,
        "params": dict(zip(terms, rows.tolist(), strict=True)),
    }
    try:
        _read_classes(record["multinomial"], spec)
    except DataError as exc:
        raise DataError(f"the model cannot be saved as a model file: {exc}") from None
    return record


def _covariance_record(cov: np.ndarray, cov_type: str, conf_level: float) -> dict[str, Any]:
    return {"type": cov_type, "conf_level": conf_level, "matrix": cov.tolist()}


def model_file_refusal(spec: ModelSpec, classes: Sequence[Any] | None = None) -> str | None:
    """Why read_model would refuse a model file of `spec` (one line, naming the term or the
    bound), or None when it can be saved; with `classes`, a multinomial model's file of
    them."""
    try:
        _read_spec(spec_record(spec))
    except DataError as exc:
        return str(exc)
    widest = dict.fromkeys(_terms(spec), WIDEST_FLOAT)
    record = _record(spec, widest)
    if classes is not None:
        del record["coefficients"]
        row = [WIDEST_FLOAT] * (len(classes) - 1)
        record["multinomial"] = {"classes": list(classes), "baseline": next(iter(classes), None),
                                 "params": dict.fromkeys(widest, row)}  # fmt: skip
        try:
            _read_classes(record["multinomial"], spec)
        except DataError as exc:
            return str(exc)
    elif len(widest) <= MAX_COVARIANCE_PARAMS:
        cov = np.full((len(widest), len(widest)), WIDEST_FLOAT)
        record["covariance"] = _covariance_record(cov, "cluster:" + "x" * 256, WIDEST_FLOAT)
    size = len(json.dumps(record, indent=2, allow_nan=False)) + 1  # as report.writers writes it
    if size > MAX_MODEL_BYTES:
        return f"the model file would have up to {size:,} bytes, more than {MAX_MODEL_BYTES:,}"
    return None


def load_model(path: str | Path) -> tuple[ModelSpec, dict[str, float]]:
    """Read a model.json written from model_record(), through an allow-list: the file is
    data, never evaluated (read_model also gives the covariance).

    Parameters
    ----------
    path : str or Path
        The model file (its size is checked before it is read).

    Returns
    -------
    spec : ModelSpec
        What rebuilds the model's columns on new rows.
    coefficients : dict of str to float
        The coefficients by term name.

    Raises
    ------
    DataError
        On one line naming the file: when it is not a model file of this version, or says
        more than data, or holds a multinomial model (read_model reads it).
    """
    saved = read_model(path)
    if saved.multinomial is not None:
        raise DataError(f"{path} holds a model of {len(saved.multinomial.classes)} classes, "
                        "not coefficients by term: read it with read_model")  # fmt: skip
    return saved.spec, saved.coefficients


def read_model(path: str | Path) -> SavedModel:
    """load_model's spec and coefficients, and the covariance of the parameters when the
    file holds one: a k x k matrix (k the coefficients) of finite numbers, symmetric to
    SYMMETRY_TOL of its largest entry, its diagonal not negative; or a multinomial model's
    classes, baseline and params (SavedClasses), each checked; DataError naming the file
    otherwise."""
    path = Path(path)
    text = _model_text(path)
    try:
        record = json.loads(text)
    except RecursionError:
        raise DataError(f"{path} is not a model file: its JSON nests too deep") from None
    except ValueError:
        raise DataError(f"{path} is not a model file: not JSON") from None
    if not isinstance(record, dict) or record.get("format") != MODEL_FORMAT:
        raise DataError(f'{path} is not a model file: no "format": "{MODEL_FORMAT}"')
    if record.get("version") != MODEL_VERSION:
        raise DataError(
            f"{path} is a model file of version {shown(record.get('version'))}; "
            f"this logitlab reads version {MODEL_VERSION}"
        )
    try:
        spec = _read_spec(record.get("spec"))
        if "multinomial" in record:
            if "coefficients" in record or "covariance" in record:
                raise DataError('a multinomial model holds its params in "multinomial", '
                                'without "coefficients" or "covariance"')  # fmt: skip
            classes = _read_classes(record["multinomial"], spec)
            # an older file's spec gives the coding of baseline-or-not: not the model's
            return SavedModel(replace(spec, positive=None, negative=None), {},
                              multinomial=classes)  # fmt: skip
        if not isinstance(record.get("coefficients"), dict):
            raise DataError("its coefficients must be a JSON object, by term name")
        if spec.positive is None or spec.negative is None:
            raise DataError("its spec must give the target's positive and negative values")
    except DataError as exc:
        raise DataError(f"{path} is not a valid model file: {exc}") from None
    coefficients = _coefficients(spec, record["coefficients"], f"{path}:")
    if record.get("covariance") is None:
        return SavedModel(spec, coefficients)
    try:
        cov, cov_type, conf_level = _read_covariance(record["covariance"], len(coefficients))
    except DataError as exc:
        raise DataError(f"{path} is not a valid model file: {exc}") from None
    return SavedModel(spec, coefficients, cov, cov_type, conf_level)


def _read_covariance(record: object, k: int) -> tuple[np.ndarray, str, float]:
    """The covariance, its type and level from a model file's record, checked as data."""
    if not isinstance(record, dict) or set(record) != {"type", "conf_level", "matrix"}:
        raise DataError('its covariance must be a JSON object of "type", "conf_level" and '
                        '"matrix"')  # fmt: skip
    if not isinstance(record["type"], str) or len(record["type"]) > 300:
        raise DataError(f"its covariance type must be a short string, got {shown(record['type'])}")
    level = _finite(record["conf_level"])
    if level is None or not 0.0 < level < 1.0:
        raise DataError(f"its covariance conf_level must be a number between 0 and 1, got "
                        f"{shown(record['conf_level'])}")  # fmt: skip
    rows = record["matrix"]
    if not (isinstance(rows, list) and len(rows) == k
            and all(isinstance(row, list) and len(row) == k for row in rows)):  # fmt: skip
        raise DataError(f"its covariance matrix must be {k} x {k} (one row and column per "
                        "coefficient), as lists of numbers")  # fmt: skip
    values = [_finite(value) for row in rows for value in row]
    if None in values:
        raise DataError("its covariance matrix must hold finite numbers only")
    cov = np.array(values, dtype=float).reshape(k, k)
    if np.max(np.abs(cov - cov.T), initial=0.0) > SYMMETRY_TOL * np.max(np.abs(cov), initial=0.0):
        raise DataError("its covariance matrix must be symmetric")
    if np.any(np.diag(cov) < 0.0):
        raise DataError("its covariance matrix has a negative variance on its diagonal")
    return cov, record["type"], level


def _read_classes(record: object, spec: ModelSpec) -> SavedClasses:
    """A multinomial model's classes, baseline and params, checked as data: at least two
    distinct classes (strings or finite numbers), the baseline one of them, and a row of
    K - 1 finite numbers for each term of the spec, by name and in order."""
    if not isinstance(record, dict) or set(record) != set(MULTINOMIAL_FIELDS):
        raise DataError('its "multinomial" must be a JSON object of "classes", "baseline" and '
                        '"params"')  # fmt: skip
    classes = record["classes"]
    if not (isinstance(classes, list) and len(classes) >= 2 and all(map(_is_label, classes))):
        raise DataError("its classes must list two or more strings or finite numbers")
    keyed = {(type(c), c) for c in classes}
    if len(keyed) != len(classes):
        raise DataError(f"its classes must be distinct, got {shown(classes)}")
    baseline = record["baseline"]
    if not _is_label(baseline) or (type(baseline), baseline) not in keyed:
        raise DataError(f"its baseline must be one of its classes, got {shown(baseline)}")
    terms, params = list(_terms(spec)), record["params"]
    if not isinstance(params, dict) or list(params) != terms:
        raise DataError(f"its params must be a JSON object named {shown(terms)} in order")
    width = len(classes) - 1
    for term, row in params.items():
        if not (isinstance(row, list) and len(row) == width):
            raise DataError(f"its params of {term!r} must list {width} numbers, one per class "
                            "other than the baseline")  # fmt: skip
        if None in map(_finite, row):
            raise DataError(f"its params of {term!r} must be finite numbers")
    rows = np.array(list(params.values()), dtype=float).reshape(len(terms), width)
    return SavedClasses(tuple(classes), baseline, rows)


def _is_label(value: object) -> bool:
    """A class a model file may name: a string, or a finite number (not a bool)."""
    return isinstance(value, str) or _finite(value) is not None


# --- reading a file, bounded ---------------------------------------------------------------


def _model_text(path: Path) -> str:
    """The text of a model file, refused unless it is a regular file of at most
    MAX_MODEL_BYTES (a FIFO is not waited on, /dev/zero not read forever)."""
    import os
    import stat

    chunks, size = [], 0
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise DataError(f"model file {path} is not a regular file")
            if info.st_size > MAX_MODEL_BYTES:
                raise DataError(_too_big(path, info.st_size))
            while size <= MAX_MODEL_BYTES and (chunk := os.read(fd, 1 << 20)):
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
    except OSError as exc:
        raise DataError(f"cannot read model file {path}: {exc.strerror or exc}") from None
    if size > MAX_MODEL_BYTES:  # it grew while read
        raise DataError(_too_big(path, size))
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(f"cannot read model file {path}: not UTF-8 text") from None


def _too_big(path: Path, size: int) -> str:
    return (
        f"model file {path} has {size:,} bytes, more than a model file may have "
        f"({MAX_MODEL_BYTES:,})"
    )


def spec_record(spec: ModelSpec, *, binary: bool = True) -> dict[str, Any]:
    """A JSON-safe record of the spec, as a model file holds it (spec_from_record reads it
    back); a binary model's gives the target's coding, its positive and negative values."""
    coding = {"positive": spec.positive, "negative": spec.negative} if binary else {}
    return {
        "formula": spec.formula,
        "rhs": spec.rhs,
        "names": list(spec.names),
        "intercept": spec.intercept,
        "target": spec.target,
        **coding,
        "factors": {expr: dict(state) for expr, state in spec.factors.items()},
        "transforms": dict(spec.transforms),
        "columns": list(spec.columns),
    }


def spec_from_record(record: object) -> ModelSpec:
    """The spec of a spec_record() record; DataError naming the first field that is wrong.
    Its shape only: a model file's spec also passes the allow-list (load_model). Without
    the target's coding (a multinomial model's), positive and negative are None."""
    if not isinstance(record, Mapping):
        raise DataError(f"a model spec must be a JSON object, got {type(record).__name__}")
    want = {
        "formula": str, "rhs": str, "names": list, "intercept": bool, "target": str,
        "factors": dict, "transforms": dict, "columns": list,
    }  # fmt: skip
    for key, kind in want.items():
        if not isinstance(record.get(key), kind):
            raise DataError(f"model spec field {key!r} must be a {kind.__name__}")
    for key in ("names", "columns"):
        if not all(isinstance(item, str) for item in record[key]):
            raise DataError(f"model spec field {key!r} must list strings")
    for key in ("positive", "negative"):
        if key in record and not _is_scalar(record[key]):
            raise DataError(f"model spec field {key!r} must be a string, number or bool")
    factors = record["factors"]
    for expr, state in factors.items():
        _check_factor(expr, state)
    return ModelSpec(
        formula=record["formula"],
        rhs=record["rhs"],
        names=tuple(record["names"]),
        intercept=record["intercept"],
        target=record["target"],
        positive=record.get("positive"),
        negative=record.get("negative"),
        factors=factors,
        transforms=record["transforms"],
        columns=tuple(record["columns"]),
    )


def _is_scalar(value: object) -> bool:
    """A JSON string, number or bool: what a level or a target's value may be."""
    return isinstance(value, str | int | float | bool)


def _check_factor(expr: str, state: object) -> None:
    """A spec's factor gives its kind and, when categorical, its levels: a flat list."""
    kinds = " or ".join(FACTOR_KINDS)
    if not isinstance(state, dict) or state.get("kind") not in FACTOR_KINDS:
        raise DataError(f"model spec factor {shown(expr)} must give its kind, {kinds}")
    categorical = state["kind"] == "categorical"
    levels = state.get("levels")
    if set(state) != {"kind", *(("levels",) if categorical else ())} or (
        categorical and not (isinstance(levels, list) and all(map(_is_scalar, levels)))
    ):
        raise DataError(
            f"model spec factor {shown(expr)} must give its kind"
            + (" and its levels, a list of values" if categorical else " alone")
        )


def _record(spec: ModelSpec, coefficients: dict[str, float] | None) -> dict[str, Any]:
    """A model file's record: a binary model's coefficients, or (None) a multinomial one's
    spec alone, without the target's coding."""
    binary = coefficients is not None
    record = {"format": MODEL_FORMAT, "version": MODEL_VERSION,
              "spec": spec_record(spec, binary=binary)}  # fmt: skip
    return {**record, "coefficients": coefficients} if binary else record


def _terms(spec: ModelSpec) -> tuple[str, ...]:
    """The model's coefficients' names: "Intercept" first when it has one, then its columns."""
    return ((INTERCEPT,) if spec.intercept else ()) + spec.names


def _coefficients(spec: ModelSpec, coefficients: object, where: str) -> dict[str, float]:
    """Coefficients keyed by term ("Intercept" first when the model has one), checked."""
    keys = _terms(spec)
    if isinstance(coefficients, Mapping):
        if list(coefficients) != list(keys):
            raise DataError(f"{where} coefficients must be named {shown(list(keys))} in order")
        values = list(coefficients.values())
    else:
        values = list(np.asarray(coefficients, dtype=object).reshape(-1))
        if len(values) != len(keys):
            raise DataError(f"{where} must have {len(keys)} coefficients, got {len(values)}")
    out = {}
    for key, value in zip(keys, values, strict=True):
        number = _finite(value)
        if number is None:
            raise DataError(
                f"{where} coefficient {key!r} must be a finite number, got {shown(value)}"
            )
        out[key] = number
    return out


def _finite(value: object) -> float | None:
    """A finite number (Python's or NumPy's) as a float; None for anything else: a bool,
    text, 1e999, an integer past float64."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return None
    try:
        number = float(value)
    except (OverflowError, TypeError):  # past float64; a complex number
        return None
    return number if math.isfinite(number) else None


# --- the allow-list ------------------------------------------------------------------------


def _read_spec(record: object) -> ModelSpec:
    """The spec of a record read as data: its shape (spec_from_record), its bounds, and
    every term, factor and transform state through the allow-list."""
    spec = spec_from_record(record)
    if len(spec.names) > MAX_MODEL_COLUMNS:
        raise DataError(
            f"the model has {len(spec.names):,} columns, more than a model file may hold "
            f"({MAX_MODEL_COLUMNS:,})"
        )
    known = _saved_factors(spec.rhs, spec.intercept, set(spec.columns))
    _check_formula(spec)
    for expr in spec.factors:
        if expr not in known:
            raise DataError(f"the model's factor {shown(expr)} is not in its right-hand side")
    for name, state in spec.transforms.items():
        if not isinstance(state, dict) or not all(
            value is None or (isinstance(value, int | float) and not isinstance(value, bool))
            for value in state.values()
        ):
            raise DataError(f"the model's transform {shown(name)} must hold numbers")
    return spec


def _check_formula(spec: ModelSpec) -> None:
    """The formula a model file shows (predict prints it) must be the model it holds: its
    target ~ its right-hand side, as formulaic parses it (parsed, never evaluated)."""
    import pandas

    from ..errors import LogitlabError

    if len(spec.formula) > MAX_RHS_CHARS:
        raise DataError(f"the model's formula has {len(spec.formula):,} characters, more than "
                        f"a model file may hold ({MAX_RHS_CHARS:,})")  # fmt: skip
    try:
        columns = pandas.DataFrame(columns=[*spec.columns, spec.target])
        target, rhs = parse_formula(spec.formula, columns)
        same = target == spec.target and rhs_text(rhs, spec.intercept) == spec.rhs
    except LogitlabError:
        same = False
    if not same:
        raise DataError(f"the model's formula {shown(spec.formula)} is not its target ~ its "
                        f"right-hand side ({shown(spec.target)}, {shown(spec.rhs)})")  # fmt: skip


def _saved_factors(rhs: str, intercept: bool, columns: set[str]) -> set[str]:
    """The factors of a saved right-hand side, read exactly as design writes it ('1 + a +
    {C(g)}:b', or 'a + b - 1' without an intercept) and each checked against the allow-list
    before anything is evaluated; DataError naming the first term that is not allowed."""
    from formulaic.parser.algos.tokenize import tokenize

    if len(rhs) > MAX_RHS_CHARS:
        raise DataError(
            f"the model's right-hand side has {len(rhs):,} characters, more than a model file "
            f"may hold ({MAX_RHS_CHARS:,})"
        )
    head, tail = ("1 + ", "") if intercept else ("", " - 1")
    body = rhs[len(head) : len(rhs) - len(tail)]
    if not (rhs.startswith(head) and rhs.endswith(tail) and body):
        with_ = "'1 + terms' with" if intercept else "'terms - 1' without"
        raise DataError(f"the model's right-hand side {shown(rhs)} must read {with_} an intercept")
    try:
        tokens = [(t.kind.value, t.token) for t in tokenize(body)]
    except Exception:  # formulaic's tokenizer errors: an unclosed quote or brace
        raise DataError(f"the model's right-hand side {shown(rhs)} does not parse") from None
    terms: list[list[tuple[str, str]]] = [[]]
    for i, (kind, text) in enumerate(tokens):
        if i % 2 and kind == "operator" and text in ("+", ":"):
            terms += [[]] if text == "+" else []
        elif not i % 2 and kind in ("name", "python"):
            terms[-1].append((kind, text))
        else:
            raise DataError(f"the model's right-hand side has {shown(text)} where a term belongs")
    if not terms[-1]:
        raise DataError(f"the model's right-hand side {shown(rhs)} ends without a term")
    if len(terms) > MAX_MODEL_TERMS:
        raise DataError(
            f"the model has {len(terms):,} terms, more than a model file may hold "
            f"({MAX_MODEL_TERMS:,})"
        )
    for kind, text in (factor for term in terms for factor in term):
        if kind == "name" and text not in columns:
            raise DataError(f"the model's term {shown(text)} is not one of its columns")
        if kind == "python":
            _check_expression(text, columns)
    written = " + ".join(
        ":".join(quote(t) if k == "name" else f"{{{t}}}" for k, t in term) for term in terms
    )
    if written != body:
        raise DataError(
            f"the model's right-hand side {shown(rhs)} is not written as logitlab writes it"
        )
    return {text for term in terms for _, text in term}


def _check_expression(expr: str, columns: set[str]) -> None:
    """DataError unless the Python factor `expr` reads columns only through the allow-list:
    C(column, contrast, levels=[...]) or a value (see _value_problem)."""
    from formulaic.utils.code import sanitize_variable_names

    aliases: dict[str, str] = {}  # formulaic's names for `quoted names`
    try:
        tree = ast.parse(sanitize_variable_names(expr, {}, aliases), mode="eval").body
        problem = None
    except Exception:  # SyntaxError, or a literal too large or too deep for the parser
        problem = "it does not parse as Python"
    if problem is None and _depth(tree) > MAX_DEPTH:
        problem = f"it nests deeper than {MAX_DEPTH}"
    if problem is None:
        names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        columns = {name for name in names if aliases.get(name, name) in columns}
        called = _dotted(tree.func) if isinstance(tree, ast.Call) else None
        problem = _c_problem(tree, columns) if called == "C" else _value_problem(tree, columns)
    if problem is not None:
        raise DataError(
            f"the model's term {shown(expr)} is not one a model file may hold ({problem}); "
            "it may read columns through C(), np.log, center, scale and sums, products and "
            "small powers of columns and numbers"
        )


def _depth(tree: ast.AST) -> int:
    """How deep a parse tree nests, walked without recursion (the tree may be deep)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack += [(child, depth + 1) for child in ast.iter_child_nodes(node)]
    return deepest


def _dotted(node: ast.AST) -> str | None:
    """'C', 'np.log': the name a call or a contrast is written with; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


def _number(node: ast.AST) -> float | int | None:
    """The number a node writes (2, -0.5); None when it writes anything else."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign, node = (-1 if isinstance(node.op, ast.USub) else 1), node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return sign * node.value
    return None


def _is_literal(node: ast.AST) -> bool:
    """A string, number, bool or None, or a flat list or tuple of them."""
    if isinstance(node, ast.List | ast.Tuple):
        return all(_is_literal(item) and not isinstance(item, ast.List | ast.Tuple)
                   for item in node.elts)  # fmt: skip
    if isinstance(node, ast.Constant):
        return node.value is None or isinstance(node.value, str | int | float | bool)
    return _number(node) is not None


def _value_problem(node: ast.AST, columns: set[str]) -> str | None:
    """Why `node` is not a value a model file may compute, or None: a column; +, -, *, / of
    values and numbers (one side at least a value); a value to a power of at most MAX_POWER;
    one of TRANSFORMS of one value."""
    if isinstance(node, ast.Name):
        return None if node.id in columns else f"{node.id!r} is not one of its columns"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _value_problem(node.operand, columns)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        power = _number(node.right)
        if power is None or abs(power) > MAX_POWER:
            return f"a power must be a number from -{MAX_POWER} to {MAX_POWER}"
        return _value_problem(node.left, columns)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
        values = [side for side in (node.left, node.right) if _number(side) is None]
        if not values:
            return "arithmetic of numbers alone"
        return next(filter(None, (_value_problem(side, columns) for side in values)), None)
    if isinstance(node, ast.Call) and _dotted(node.func) in TRANSFORMS:
        if len(node.args) != 1 or node.keywords:
            return f"{_dotted(node.func)}() must take one value alone"
        return _value_problem(node.args[0], columns)
    if isinstance(node, ast.Call):
        return f"calling {ast.unparse(node.func)[:40]} is not allowed"
    return f"{ast.unparse(node)[:40]} is not allowed"


def _c_problem(call: ast.Call, columns: set[str]) -> str | None:
    """Why a C() call is not one a model file may hold, or None: C(column), then a contrast
    (positional or contrasts=) and levels=[...] of literals."""
    first = call.args[0] if call.args else None
    if not isinstance(first, ast.Name) or first.id not in columns:
        return "C() must name one of its columns"
    contrasts = list(call.args[1:])
    for keyword in call.keywords:
        if keyword.arg == "levels":
            if not (isinstance(keyword.value, ast.List | ast.Tuple) and _is_literal(keyword.value)):
                return "levels must be a list of values"
        elif keyword.arg == "contrasts":
            contrasts.append(keyword.value)
        else:
            return f"C() takes no {keyword.arg or '**'}= here"
    if len(contrasts) > 1:
        return "C() takes one contrast"
    for contrast in contrasts:
        called = isinstance(contrast, ast.Call)
        name = _dotted(contrast.func if called else contrast)
        if name not in CONTRASTS:
            return f"the contrast must be one of {', '.join(CONTRASTS)}"
        if called and not all(
            _is_literal(arg) for arg in [*contrast.args, *(k.value for k in contrast.keywords)]
        ):
            return f"{name}() takes literal values"
    return None
