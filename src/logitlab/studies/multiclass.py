"""A table whose target takes K >= 3 values: the multinomial MLE (stats.multinomial) on the
binary fit's design, with the multiclass evaluation (confusion matrix, per-class precision
and recall, log-loss, one-vs-rest ROC AUC) on the held-out rows, or on the fitted ones, and
the predicted class probabilities over one variable (the report's picture).

Why the binary design is reused: the columns, levels, missing rows and their checks depend
only on the right-hand side, so the target is coded as baseline-or-not for build_design and
its own values are read back for the rows it kept. The gradient descent is not run yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import FitSettings, ModelOptions
from ..data.checks import python_value, sorted_values, value_text
from ..data.design import Design, ModelSpec, build_design
from ..data.formula import formula_text, parse_formula
from ..errors import ConfigError, DataError
from ..stats import multinomial
from ..stats.effects import effect_grid
from ..stats.metrics import split_classes

if TYPE_CHECKING:
    import pandas

#: Said where a binary fit shows its descents.
DESCENT_NOTE = "gradient descent skipped: the engines fit two classes only for now"


@dataclass(frozen=True)
class Evaluation:
    """The multiclass metrics on `rows` rows (the held-out ones, or the fitted ones)."""

    rows: int
    held_out: bool
    confusion: np.ndarray  # K x K, rows the actual class, columns the predicted, classes order
    precision: np.ndarray
    recall: np.ndarray
    accuracy: float
    log_loss: float
    auc_ovr: float | None  # None when a class is missing from the evaluated rows
    #: Why auc_ovr is None (a table read in shares ranks no rows).
    auc_note: str = "a class is missing"


@dataclass(frozen=True)
class ClassCurves:
    """The predicted probability of each class over one variable: its values (a grid, or
    its levels, the reference first), `p` (values x K, the classes in order), the model's
    other variables held at `held` (means, or reference levels)."""

    variable: str
    categorical: bool
    values: tuple[Any, ...]
    p: np.ndarray
    held: dict[str, Any]


@dataclass(frozen=True)
class MulticlassFit:
    """The multinomial fit of a table: the MLE, the design it was fitted on (its columns and
    rows), each used row's label and whether it was held out, the evaluation, and the class
    probabilities over one variable (class_curves)."""

    mle: multinomial.MNLogitResult
    design: Design
    labels: np.ndarray
    held_out: np.ndarray
    evaluation: Evaluation
    source: str
    curves: ClassCurves | None = None
    note: str = DESCENT_NOTE
    seconds: float = 0.0  # the run's wall time (studies.timing.timed, as in shares)

    def summary(self) -> str:
        """The MLE's summary, the rows, the evaluation and the descent's note."""
        e, classes = self.evaluation, self.mle.classes
        which = "held-out" if e.held_out else "fitted"
        per_class = ", ".join(
            f"{value_text(c)}: precision {p:.3f}, recall {r:.3f}"
            for c, p, r in zip(classes, e.precision, e.recall, strict=True)
        )
        auc = f"n/a ({e.auc_note})" if e.auc_ovr is None else f"{e.auc_ovr:.4f}"
        return "\n".join([
            self.mle.summary(),
            f"Rows: {self.design.rows_used:,} used, {self.design.dropped:,} dropped; "
            f"fitted on {self.mle.nobs:,}",
            f"On the {e.rows:,} {which} rows: accuracy {e.accuracy:.4f}, log-loss "
            f"{e.log_loss:.4f}, one-vs-rest ROC AUC {auc}",
            f"Per class: {per_class}",
            self.note,
        ])  # fmt: skip

    def __repr__(self) -> str:
        """One line, not the data: the model, the rows, the fit and its accuracy."""
        from ..display import names, newton_words, shortened

        e, mle = self.evaluation, self.mle
        return (f"MulticlassFit({shortened(self.design.spec.formula)!r} on {self.source}, "
                f"{self.design.rows_used:,} rows: {len(mle.classes)} classes against "
                f"{names([mle.baseline])}, llf {mle.llf:.4g}, {newton_words(mle)}; accuracy "
                f"{e.accuracy:.3f} on {e.rows:,} {'held-out' if e.held_out else 'fitted'} "
                f"rows)")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the multinomial fit's tables, the evaluation and the note."""
        from ..display import html, number

        e = self.evaluation
        per_class = [
            [c, number(p), number(r)]
            for c, p, r in zip(self.mle.classes, e.precision, e.recall, strict=True)
        ]
        return html("multiclass.html", fit=self, per_class=per_class,
                    fitted=self.mle.nobs)  # fmt: skip


def target_column(frame: pandas.DataFrame, model: ModelOptions) -> str:
    """The column the model's target is."""
    formula = formula_text(frame, model.formula, model.target, model.features)
    return parse_formula(formula, frame)[0]


def is_multiclass(frame: pandas.DataFrame, model: ModelOptions) -> bool:
    """Whether the target takes three values or more (grouped rows never do)."""
    if model.trials is not None:
        return False
    column = frame[target_column(frame, model)]
    try:
        return column.dropna().nunique() >= 3
    except TypeError:  # values that cannot be told apart (lists): the binary checks refuse them
        return False


def fit_multiclass(
    frame: pandas.DataFrame, settings: FitSettings, say: Any = None
) -> MulticlassFit:
    """The multinomial MLE of the table's K-level target on the model's design, its baseline
    settings.model.baseline (default the first level in sorted order), with test_size's
    share of rows held out (stratified by class) for the evaluation."""
    say = say or (lambda words: None)
    model = settings.model
    check_multiclass(settings)
    target = target_column(frame, model)
    column = frame[target]
    values = sorted_values([python_value(v) for v in column.dropna().unique()])
    baseline = baseline_level(model.baseline, values, target)
    coded = frame.assign(**{target: column.where(column.isna(), column == baseline)})
    say(f"coding the design: {len(frame):,} rows")
    design = build_design(coded, model)
    labels = np.array([python_value(v) for v in column.to_numpy()[design.rows]], dtype=object)
    codes = np.array([values.index(v) for v in labels])
    held = np.zeros(len(labels), dtype=bool)
    if settings.test_size is not None:
        held = split_classes(codes, settings.test_size, settings.split_seed)
    say(f"multinomial maximum likelihood on {int((~held).sum()):,} rows, {len(values)} classes")
    mle = multinomial.fit(design.X[~held], labels[~held], baseline=baseline,
                          intercept=design.intercept, names=design.names,
                          conf_level=settings.conf_level)  # fmt: skip
    judged = held if held.any() else ~held
    evaluation = evaluate(mle, design.X[judged], labels[judged], bool(held.any()))
    curves = class_curves(mle, design.spec, frame.iloc[design.rows[~held]])
    return MulticlassFit(mle, design, labels, held, evaluation, f"a table of {len(frame):,} rows",
                         curves)  # fmt: skip


def class_curves(
    mle: multinomial.MNLogitResult, spec: ModelSpec, frame: pandas.DataFrame
) -> ClassCurves | None:
    """The class probabilities over the first numeric variable the model reads (else its
    first), the others held as effect plots hold them (stats.effects.effect_grid over the
    fitted rows `frame`); None for a model that reads no variable."""
    if not spec.columns:
        return None
    grid = effect_grid(spec, frame)
    column = next((c for c in spec.columns if c not in grid.categorical), spec.columns[0])
    p = mle.predict(spec.design(grid.rows(spec, column)))
    held = {name: value for name, value in grid.held.items() if name != column}
    return ClassCurves(column, column in grid.categorical, grid.values[column], p, held)


def evaluate(
    mle: multinomial.MNLogitResult, X: np.ndarray, labels: np.ndarray, held_out: bool
) -> Evaluation:
    """scikit-learn's multiclass metrics of the fit's probabilities on rows X."""
    classes = list(mle.classes)
    codes = np.array([classes.index(v) for v in labels])
    return evaluate_codes(codes, mle.predict(X), held_out)


def evaluate_codes(codes: np.ndarray, p: np.ndarray, held_out: bool) -> Evaluation:
    """scikit-learn's multiclass metrics of probabilities p (n x K, column k the class
    coded k) against the rows' class codes; the prediction is each row's likeliest class."""
    from sklearn import metrics

    guessed = p.argmax(axis=1)
    order = np.arange(p.shape[1])
    precision, recall, _, _ = metrics.precision_recall_fscore_support(
        codes, guessed, labels=order, zero_division=0.0
    )
    present = len(np.unique(codes)) == len(order)
    auc = metrics.roc_auc_score(codes, p, multi_class="ovr", labels=order) if present else None
    return Evaluation(
        rows=len(codes),
        held_out=held_out,
        confusion=metrics.confusion_matrix(codes, guessed, labels=order),
        precision=precision,
        recall=recall,
        accuracy=float(np.mean(codes == guessed)),
        log_loss=float(metrics.log_loss(codes, p, labels=order)),
        auc_ovr=None if auc is None else float(auc),
    )


def check_multiclass(settings: FitSettings) -> None:
    """Refuse what a fit of three classes or more cannot take yet (ConfigError), in memory
    and in shares alike."""
    model = settings.model
    if model.positive is not None:
        raise ConfigError(
            "positive names one of two target values; with three or more the equations are "
            "against a baseline: give baseline instead"
        )
    if model.weights is not None:
        raise ConfigError("weights are not taken by a fit of three or more classes yet")
    if settings.cov != "nonrobust":
        raise ConfigError("a fit of three or more classes takes only the nonrobust covariance")


def baseline_level(baseline: object, values: list[Any], target: str) -> Any:
    """The target value `baseline` stands for: itself or its text as typed; None: the first
    of the sorted `values`."""
    if baseline is None:
        return values[0]
    for same in (lambda v: v == baseline, lambda v: str(v) == str(baseline).strip()):
        found = [v for v in values if same(v)]
        if len(found) == 1:
            return found[0]
    listed = ", ".join(map(value_text, values[:10])) + (", ..." if len(values) > 10 else "")
    raise DataError(
        f"baseline must be a value of the target {target!r} ({listed}), got {value_text(baseline)}"
    )
