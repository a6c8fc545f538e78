"""A table whose target takes K >= 3 values: the multinomial MLE (stats.multinomial) on the
binary fit's design, with the multiclass evaluation (confusion matrix, per-class precision
and recall, log-loss, one-vs-rest ROC AUC) on the held-out rows, or on the fitted ones, and
the predicted class probabilities over one variable (the report's picture).

Why the binary design is reused: the columns, levels, missing rows and their checks depend
only on the right-hand side, so the target is coded as baseline-or-not for build_design and
its own values are read back for the rows it kept.

Beside the MLE runs the same model by gradient descent, as every binary fit has one: softmax
regression (torch.nn.Linear(d, K) under CrossEntropyLoss, engines.softmax) on the binary
descent's z-scores. Its K rows of weights are one more parameter set than the model has
(the softmax is unchanged when one row is subtracted from all), so equation k's coefficients
are W_k - W_baseline, mapped back to the original scale: the MLE's parametrisation, where
the distance to the MLE is measured in its standard errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import FitSettings, ModelOptions, TrainConfig, check_batch_size
from ..data.checks import python_value, sorted_values, value_text
from ..data.design import Design, ModelSpec, build_design
from ..data.formula import formula_text, parse_formula
from ..errors import ConfigError, DataError
from ..result import GRAD_TOL, Convergence, unstable
from ..stats import multinomial
from ..stats.effects import effect_grid
from ..stats.metrics import split_classes
from .fit import SOFTMAX_CURVATURE, Say, Scaling, distance_to_mle, resolve_lr, step_from_gram
from .training import ToMLE

if TYPE_CHECKING:
    import pandas

    from ..engines.softmax import SoftmaxFit

#: Why a fit of three classes or more read in shares has no descent beside its MLE.
DESCENT_NOTE = (
    "gradient descent skipped: a fit of three classes or more read in shares is the MLE only; "
    "fit the table in memory for the softmax descent beside it"
)
#: How the softmax descent's weights become the MLE's equations, said with them.
BASELINE_FORM = (
    "equation k's coefficients are W_k - W_baseline (the softmax is unchanged when one row "
    "of the K x d weights W is subtracted from all), mapped back to the original scale"
)


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
class SoftmaxDescent:
    """The softmax descent beside the multinomial MLE: the fit on the z-scores (`fit`, its K
    rows of weights in the classes' order), its settings (`train`, the step resolved), the
    z-scores (`scaling`), where it lands in the MLE's parametrisation (to_mle: params d x
    (K - 1), W_k - W_baseline on the original scale) and its verdict (`convergence`: the
    gradient norm of the mean cross-entropy at its end against tol, and whether the loss
    ever rose)."""

    fit: SoftmaxFit
    train: TrainConfig
    scaling: Scaling
    to_mle: ToMLE
    convergence: Convergence

    @property
    def params(self) -> np.ndarray:
        """The coefficients, d x (K - 1) as the MLE's params."""
        return self.to_mle.params

    @property
    def verdict(self) -> str:
        """'converged', 'not converged' or 'unstable' (result.Convergence)."""
        return self.convergence.verdict

    def losses(self) -> np.ndarray:
        """The mean cross-entropy at the start of each epoch run, then at the end."""
        return np.append(self.fit.loss, self.fit.final_loss)


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
    note: str = ""  # why there is no descent ("" when there is one)
    seconds: float = 0.0  # the run's wall time (studies.timing.timed, as in shares)
    descent: SoftmaxDescent | None = None

    def summary(self) -> str:
        """The MLE's summary, the rows, the evaluation and the descent (or why none)."""
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
            *self.descent_lines(),
        ])  # fmt: skip

    def descent_lines(self) -> list[str]:
        """How the softmax descent ran and where it landed against the MLE, or why none."""
        from .fit import descent_words

        d = self.descent
        if d is None:
            return [self.note]
        return [f"gradient descent on z-scores: {descent_words(d.train)}",
                f"softmax gradient descent on the cross-entropy: {d.verdict} after "
                f"{d.fit.epochs:,} epochs, max |coef - MLE| {d.to_mle.max_abs:.3g} "
                f"({d.to_mle.max_se:.3g} standard errors); {BASELINE_FORM}"]  # fmt: skip

    def __repr__(self) -> str:
        """One line, not the data: the model, the rows, the fit and its accuracy."""
        from ..display import names, newton_words, shortened

        e, mle = self.evaluation, self.mle
        descent = "" if self.descent is None else f"; softmax descent {self.descent.verdict}"
        return (f"MulticlassFit({shortened(self.design.spec.formula)!r} on {self.source}, "
                f"{self.design.rows_used:,} rows: {len(mle.classes)} classes against "
                f"{names([mle.baseline])}, llf {mle.llf:.4g}, {newton_words(mle)}; accuracy "
                f"{e.accuracy:.3f} on {e.rows:,} {'held-out' if e.held_out else 'fitted'} "
                f"rows{descent})")  # fmt: skip

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
    frame: pandas.DataFrame, settings: FitSettings, say: Say | None = None
) -> MulticlassFit:
    """The multinomial MLE of the table's K-level target on the model's design, its baseline
    settings.model.baseline (default the first level in sorted order), with test_size's
    share of rows held out (stratified by class) for the evaluation, and beside it the
    softmax descent on the z-scores (settings.train and lr, as a binary fit's; none when
    settings.losses is empty or the model has no intercept, said in the note)."""
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
    if settings.losses and design.intercept:  # refuse what the descent cannot take, first
        check_batch_size(settings.train.batch_size, int((~held).sum()))
    say(f"multinomial maximum likelihood on {int((~held).sum()):,} rows, {len(values)} classes")
    mle = multinomial.fit(design.X[~held], labels[~held], baseline=baseline,
                          intercept=design.intercept, names=design.names,
                          conf_level=settings.conf_level)  # fmt: skip
    judged = held if held.any() else ~held
    evaluation = evaluate(mle, design.X[judged], labels[judged], bool(held.any()))
    curves = class_curves(mle, design.spec, frame.iloc[design.rows[~held]])
    descent, note = None, ""
    if not settings.losses:
        note = "no gradient descent was asked for (no loss given)"
    elif not design.intercept:
        note = ("gradient descent fits softmax regression's Linear(d, K), which always has a "
                "bias; this model has no intercept, so there is no descent to compare")  # fmt: skip
    else:
        fitted = class_codes(mle.classes, labels[~held])
        descent = softmax_descent(design.X[~held], fitted, mle, settings, say)
    return MulticlassFit(mle, design, labels, held, evaluation, f"a table of {len(frame):,} rows",
                         curves, note, descent=descent)  # fmt: skip


def softmax_descent(
    X: np.ndarray,
    codes: np.ndarray,
    mle: multinomial.MNLogitResult,
    settings: FitSettings,
    say: Say,
) -> SoftmaxDescent:
    """Softmax regression by gradient descent (engines.softmax) on the columns of X as
    z-scores, rows coded by their class's place in mle.classes; lr "auto" is 1 / L, L the
    cross-entropy's largest curvature there (studies.fit.SOFTMAX_CURVATURE)."""
    from ..engines.softmax import fit_softmax

    scaling = Scaling(mean=X.mean(axis=0), scale=X.std(axis=0))
    Z = (X - scaling.mean) / scaling.scale
    train = resolve_lr(settings.train, settings.lr,
                       lambda: step_from_gram(Z.T @ Z / len(Z), SOFTMAX_CURVATURE))  # fmt: skip
    say(f"softmax gradient descent on the cross-entropy: up to {train.epochs:,} epochs")
    fit = fit_softmax(Z, codes, len(mle.classes), train)
    to_mle = distance_to_mle(baseline_form(fit, mle), scaling, mle.params, mle.bse)
    return SoftmaxDescent(fit, train, scaling, to_mle, descent_convergence(fit, Z, codes, train))


def baseline_form(fit: SoftmaxFit, mle: multinomial.MNLogitResult) -> np.ndarray:
    """The softmax fit's weights as the MLE's params on the same columns: (1 + d) x (K - 1),
    column k W_k - W_baseline, the bias first (equation order mle.equations)."""
    weights = np.vstack((fit.bias, fit.weight.T))  # a column per class, in mle.classes order
    base, *equations = mle.columns
    return weights[:, equations] - weights[:, [base]]


def descent_convergence(
    fit: SoftmaxFit, Z: np.ndarray, codes: np.ndarray, train: TrainConfig
) -> Convergence:
    """The binary descent's verdict for the softmax one: the norm of the mean cross-entropy's
    gradient in all K (d + 1) weights at the end, (P - Y)'[1 Z] / n, against train.tol
    (GRAD_TOL when None), and whether the recorded loss ever rose (result.unstable)."""
    residuals = fit.probabilities(Z)
    residuals[np.arange(len(codes)), codes] -= 1.0
    gradient = np.column_stack((np.ones(len(Z)), Z)).T @ residuals / len(Z)
    return Convergence(
        grad_norm=float(np.linalg.norm(gradient)),
        tol=GRAD_TOL if train.tol is None else train.tol,
        stable=not unstable(np.append(fit.loss, fit.final_loss)),
        stopped_early=fit.epochs < train.epochs,
    )


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
    return evaluate_codes(class_codes(mle.classes, labels), mle.predict(X), held_out)


def class_codes(classes: Sequence[Any], labels: np.ndarray) -> np.ndarray:
    """Each label's place in `classes`."""
    classes = list(classes)
    return np.array([classes.index(v) for v in labels], dtype=np.int64)


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
    """Refuse what a fit of three classes or more cannot take (ConfigError), in memory and
    in shares alike: its descent minimises the cross-entropy from softmax regression's
    seeded start."""
    model = settings.model
    if "mse" in settings.losses:
        asked = "both" if len(settings.losses) > 1 else "mse"
        raise ConfigError(
            f"loss {asked} asks for a descent on MSE, which is not defined for three classes "
            "or more: softmax regression's descent minimises the cross-entropy (loss bce)"
        )
    if settings.losses and settings.train.init is not None:
        raise ConfigError(
            "start is a point of the two-class descent; the softmax descent of three classes "
            "or more starts from Linear(d, K) drawn under the init seed: drop start"
        )
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
