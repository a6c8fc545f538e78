"""Any table, fitted and checked: the MLE a statistician trusts, the lecture's gradient descent
beside it, and how well the fit predicts rows it has not seen.

One function, fit_table(), from a frame (or a shipped data set's name) to a TableFit record:
the design (logitlab.data.design), the maximum-likelihood fit on the training rows, one
gradient-descent fit per loss on the same columns standardised (descent on raw columns of
very different scales crawls; z-scores make one step size fit them all), its coefficients
mapped back to the original scale and their distance to the MLE, the predicted probability
of every row, scikit-learn's metrics on the held-out and training rows, and the main effect
in plain words. No files and no figures here.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .. import budget
from ..config import FitSettings, ModelOptions, TrainConfig, check_batch_size, shown
from ..data.checks import check_columns, missing_words, value_text
from ..data.design import Design, ModelSpec, build_design
from ..data.formula import require_columns
from ..errors import ConfigError, DataError, SeparationError
from ..model import probabilities
from ..result import INTERCEPT, FitResult
from ..stats import firth as firth_module
from ..stats import mle as mle_module
from ..stats import penalized as penalized_module
from ..stats.anova import Drop1, drop1
from ..stats.effects import EffectCurve, effect_curves
from ..stats.margins import (
    Margins,
    average_margins,
    design_variables,
    droppable_terms,
    terms_reading,
)
from ..stats.metrics import PredictionMetrics, prediction_metrics, split_rows
from .timing import timed
from .training import Descent, ToMLE, epoch_words, optimizer_words

if TYPE_CHECKING:
    import pandas

    from ..data.shards import ShardedDesign
    from ..stats.mle import MLEResult

#: The largest curvature a point's loss can have in its logit u: BCE's p(1 - p) <= 1/4 (MSE's
#: 2 p'^2 + 2 (p - y) p'' stays below 0.155), so 1 / (CURVATURE x the largest eigenvalue of
#: Z'Z / n) is a step that surely descends for both losses on the standardised columns Z.
CURVATURE = 0.25
#: The same bound for softmax regression's K logits (CrossEntropyLoss on nn.Linear(d, K)): a
#: row's Hessian in its logits is diag(p) - pp', and v'(diag(p) - pp')v is the variance of
#: v's entries under p, at most (max v - min v)^2 / 4 <= 1/2 for a unit v (Popoviciu), so the
#: Hessian in the K x (d + 1) weights is at most 1/2 x the largest eigenvalue of [1 X]'[1 X]
#: / n. Twice CURVATURE: at K = 2 the loss is the binary one of u = z2 - z1, whose Hessian in
#: (z1, z2), p(1 - p) [[1, -1], [-1, 1]], has the eigenvalue 2 p(1 - p) <= 1/2.
SOFTMAX_CURVATURE = 0.5
#: The way forward when the MLE does not exist, said with the refusal.
FIRTH_WAY = "Firth's penalized likelihood gives finite estimates: fit with --firth"
#: drop1's refits run when estimated at most this long; longer ones are skipped, said.
DROP1_SECONDS = 2.0
#: Optimizers whose step size the automatic learning rate sets (plain and heavy-ball SGD).
SGD_LIKE = ("sgd", "momentum")
#: What a sharded fit does not produce, and why (for the report and the summary).
NOT_PRODUCED = (
    "per-row results (predictions.csv, the ROC curve, the calibration plot, the scikit-learn "
    "metrics, the average marginal effects per variable, the effect plots) and a held-out "
    "split are not "
    "produced for sharded data: they need every row's prediction (or design) in one place, "
    "which is what reading the table in shares avoids; apply "
    "model.json to the rows with `logitlab predict` for them"
)
#: Why a penalized fit has no descent, per-term tests, marginal effects or effect bands.
PENALIZED_NOTE = (
    "not made for a penalized fit: gradient descent and drop1's likelihood-ratio tests are "
    "the unpenalized likelihood's, and a penalized estimate has no honest standard errors"
)
#: Why the margins per variable are not made, by (weights or trials, penalized).
MARGINS_NOTES = {
    (True, False): "Average marginal effects per variable are not produced with weights or "
    "trials (those per design column are in results.json, averaged over every trial).",
    (False, True): f"Average marginal effects per variable are {PENALIZED_NOTE}.",
    (True, True): f"Average marginal effects per variable are {PENALIZED_NOTE}.",
}
#: Why neither the margins per variable nor the effect plots are made for some formulas.
REBUILD_NOTE = (
    "Average marginal effects per variable and the effect plots are not produced: the "
    "formula's columns cannot be built again on changed rows"
)
#: A long fit's progress lines: told a stage in words (cli.common.ProgressLines).
Say = Callable[[str], None]
#: A long descent's progress line comes at most this often.
DESCENT_LINE_SECONDS = 5.0
#: Why a fit with weights or trials has no descent beside its MLE.
COUNTED_NOTE = (
    "gradient descent is not run: the lecture's descent takes one row per observation, and "
    "here rows stand for many (weights or trials); the maximum-likelihood fit counts them"
)


@dataclass(frozen=True)
class Scaling:
    """The z-scores of the descent: z_j = (x_j - mean_j) / scale_j, from the training rows."""

    mean: np.ndarray
    scale: np.ndarray

    def to_original(self, params: np.ndarray) -> np.ndarray:
        """[a, b_1..b_k] on the z-scores -> [intercept, coef_1..coef_k] on the original columns:
        coef_j = b_j / scale_j, intercept = a - sum(b_j mean_j / scale_j)."""
        params = np.asarray(params, dtype=float)
        coef = params[1:] / self.scale
        return np.concatenate(([params[0] - coef @ self.mean], coef))

    def to_standard(self, params: np.ndarray) -> np.ndarray:
        """The inverse of to_original: original-scale parameters on the z-scores."""
        params = np.asarray(params, dtype=float)
        return np.concatenate(([params[0] + params[1:] @ self.mean], params[1:] * self.scale))


@dataclass(frozen=True)
class TableFit:
    """Everything `logitlab fit` reports about one table, read whole (fit_table) or in
    shares (studies.sharded.fit_shards): one type, so a record, a report and a summary serve
    both. The per-row parts are None in shares, which keep no row's prediction.

    Parameters
    ----------
    source : str
        A name for the table: 'data set spector', 'a table of 32 rows' or the file read.
    design : Design or ShardedDesign
        data.design.Design in memory, data.shards.ShardedDesign in shares (the same names).
    mle : MLEResult
        The maximum-likelihood fit; in shares its subclass ShardedMLEResult, from sums over
        the rows.
    train : TrainConfig or None
        The descents' settings; None without a descent.
    scaling : Scaling or None
        The z-scores the descents ran on.
    descents : dict of str to Descent
        Each loss's descent, mapped back to the original scale, with its distance to the MLE.
    descent_note : str
        Why there is no descent, when there is none ("" otherwise).
    reading : str
        The main effect in plain words.
    held_out : numpy.ndarray, optional
        The rows held out of the fits (a boolean mask over the design's rows).
    test_size : float, optional
        The share held out.
    split_seed : int, optional
        The seed of the split.
    p_hat : numpy.ndarray, optional
        Each row's predicted probability.
    predicted : numpy.ndarray, optional
        Each row's predicted label at the settings' threshold.
    metrics : dict of str to PredictionMetrics, optional
        scikit-learn's metrics per set of rows: "held-out" (with a split) and "training".
    margins : Margins, optional
        Average marginal effects per variable over the training rows (stats.margins).
    effects : list of EffectCurve, optional
        The predicted probability over each of the first variables, the others held at
        their means or reference levels, with its band (stats.effects); None in shares.
    drop1 : Drop1, optional
        R's drop1(m, test="Chisq"): each droppable term's LR test; None: not made.
    drop1_note : str, default ""
        Why drop1 was not made.
    margins_note : str, default ""
        Why the margins per variable (and the effect plots, when they are missing too) were
        not made in memory.
    workers : int, default 1
        The workers that read the rows.
    chunk_rows : int, optional
        The rows each read at a time; None: read whole.
    seconds : float, default 0.0
        The wall time of the run that made this record.
    """

    source: str
    design: Design | ShardedDesign
    mle: MLEResult
    train: TrainConfig | None
    scaling: Scaling | None
    descents: dict[str, Descent]
    descent_note: str
    reading: str
    held_out: np.ndarray | None = None
    test_size: float | None = None
    split_seed: int | None = None
    p_hat: np.ndarray | None = None
    predicted: np.ndarray | None = None
    metrics: dict[str, PredictionMetrics] | None = None
    margins: Margins | None = None
    effects: list[EffectCurve] | None = None
    drop1: Drop1 | None = None
    drop1_note: str = ""
    margins_note: str = ""
    workers: int = 1
    chunk_rows: int | None = None
    seconds: float = 0.0

    @property
    def sharded(self) -> bool:
        """Whether the table was read in shares (and so has no per-row parts)."""
        return self.chunk_rows is not None

    @property
    def training(self) -> np.ndarray | None:
        """The rows the fits saw (a boolean mask over the design's rows); None in shares."""
        return None if self.held_out is None else ~self.held_out

    @property
    def descent_words(self) -> str:
        """How the descents were run, for a report: 'Adam (betas 0.9, 0.999, eps 1e-08),
        learning rate 0.05, up to 10,000 mini-batch (batches of 8, shuffle seed 0) epochs from
        the initial net of init seed 0'; '' without a descent."""
        return descent_words(self.train)

    @property
    def success(self) -> str:
        """The event whose odds the model describes: 'GRADE = 1'."""
        return f"{self.design.target} = {self.design.positive}"

    @property
    def judged_rows(self) -> str | None:
        """The rows the prediction is judged on: "held-out" with a split, else "training";
        None without every row's prediction (in shares, with weights or trials)."""
        if self.metrics is None:
            return None
        return "held-out" if "held-out" in self.metrics else "training"

    def summary(self) -> str:
        """The text `logitlab fit` prints: the MLE's summary, the rows used (in shares: by how
        many workers, how many at a time) and dropped, the main effect in words, the average
        marginal effects, the metrics (and the threshold of the largest Youden's J), the
        descents, and what a fit in shares does not produce.

        Returns
        -------
        str
            The text, several lines.
        """
        design = self.design
        read = ""
        if self.sharded:
            shares = ", ".join(f"{rows:,}" for rows in design.rows_per_worker)
            read = (f" on {self.workers} worker(s) ({shares}), read at most "
                    f"{self.chunk_rows:,} at a time")  # fmt: skip
        lines = [self.mle.summary(),
                 f"{design.rows_used:,} rows used{read}; "
                 f"{missing_words(design.dropped, design.missing)}",
                 "", self.reading, ""]  # fmt: skip
        if self.margins is not None:
            lines += ["Average marginal effects per variable (over the training rows):",
                      self.margins.effects.table(), ""]  # fmt: skip
        elif self.margins_note:
            lines += [self.margins_note, ""]
        if self.drop1 is not None or self.drop1_note:
            lines += [self.drop1.table() if self.drop1 is not None else self.drop1_note, ""]
        for rows, m in (self.metrics or {}).items():
            auc = f"{m.roc_auc:.3f}" if m.roc_auc is not None else "undefined (one class)"
            lines.append(f"{rows} rows (n = {m.n:,}): accuracy {m.accuracy:.3f} at threshold "
                         f"{m.threshold:g}, log-loss {m.log_loss:.4f}, Brier {m.brier:.4f}, "
                         f"ROC AUC {auc}")  # fmt: skip
            if m.youden is not None:
                lines.append(f"  largest Youden's J {m.youden.j:.3f} at threshold "
                             f"{m.youden.threshold:.4g}: sensitivity {m.youden.sensitivity:.3f}, "
                             f"specificity {m.youden.specificity:.3f}")  # fmt: skip
        if self.train is not None:
            lines.append(f"gradient descent on z-scores: {self.descent_words}")
        for loss, d in self.descents.items():
            lines.append(f"gradient descent on {loss.upper()}: {d.verdict} after "
                         f"{d.result.epochs:,} epochs, max |coef - MLE| {d.to_mle.max_abs:.3g} "
                         f"({d.to_mle.max_se:.3g} standard errors)")  # fmt: skip
        if self.descent_note:
            lines.append(self.descent_note)
        if self.sharded:
            lines.append(f"Not produced: {NOT_PRODUCED}.")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """One line, not the data: the model, the rows, the MLE and each descent's verdict."""
        from ..display import newton_words, numbers, shortened

        descents = "".join(f"; {loss} descent {d.verdict}" for loss, d in self.descents.items())
        return (f"TableFit({shortened(self.design.spec.formula)!r} on {self.source}, "
                f"{self.design.rows_used:,} rows: MLE params={numbers(self.mle.params)}, "
                f"{newton_words(self.mle)}{descents})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the coefficient table with the verdict, the main effect in
        words, the descents and the metrics."""
        from ..display import count, html, number, verdict

        descents = [[loss.upper(), verdict(d.result.convergence), count(d.result.epochs),
                     number(d.to_mle.max_abs), number(d.to_mle.max_se)]
                    for loss, d in self.descents.items()]  # fmt: skip
        return html("table.html", fit=self, descents=descents)


def descent_words(train: TrainConfig | None) -> str:
    """How descents with `train` run, in words ('' for None); see TableFit.descent_words."""
    if train is None:
        return ""
    start = (
        f"the initial net of init seed {train.init_seed}"
        if train.init is None
        else f"the start ({', '.join(f'{w:g}' for w in train.init)}) on the z-scores"
    )
    return (f"{optimizer_words(train)}, learning rate {train.lr:.4g}, up to "
            f"{train.epochs:,} {epoch_words(train)} epochs from {start}")  # fmt: skip


@timed
def fit_table(
    frame_or_dataset: pandas.DataFrame | str,
    settings: FitSettings | None = None,
    *,
    progress: Say | None = None,
    **keywords: object,
) -> TableFit:
    """Fit a logistic regression to a table: the MLE, gradient descents beside it on the
    standardised columns, and how well it predicts.

    The model is the formula, or target ~ features (see build_design). With test_size, that
    share of rows is held out, stratified by the target, under split_seed; the fits see only
    the rest. `losses` (bce, mse, both; () for none) name the descents, `train` sets them
    (default the lecture's 10,000 full-batch SGD epochs) and `lr` their step: "auto" is
    1 / L, L the largest curvature of the mean loss on the standardised columns (4 / the top
    eigenvalue of their Gram matrix / n; for SGD and momentum, other optimizers keep
    train.lr). train.init, if given, is the start on the standardised columns: the intercept
    and one number per design column, in the MLE's order.

    Parameters
    ----------
    frame_or_dataset : pandas.DataFrame or str
        The table, or the name of a shipped data set (logitlab.data.datasets; its own
        formula and success value unless given).
    settings : FitSettings, optional
        The whole fit; FitSettings() when None.
    progress : callable, optional
        Told each stage in words, and each Newton iteration (a long fit's progress lines).
    **keywords
        Named as FitSettings' fields or its model's (formula=..., losses=..., train=...),
        they replace them (FitSettings.of).

    Returns
    -------
    TableFit
        The design, the MLE, the descents, each row's prediction, the metrics and the main
        effect in words.

    Raises
    ------
    ConfigError
        For settings outside what is allowed.
    DataError
        For a table the model cannot use.
    SeparationError
        When the MLE does not exist, naming the separating direction.
    """
    settings = FitSettings.of(settings, **keywords)
    say = progress or (lambda words: None)
    frame, source, model = _table(frame_or_dataset, settings.model)
    chosen, test_size, split_seed = settings.losses, settings.test_size, settings.split_seed
    train = settings.train
    say(f"coding the design: {len(frame):,} rows")
    design = build_design(frame, model)
    say(f"maximum likelihood on {len(design.y):,} rows x {len(design.names)} columns")
    held = np.zeros(len(design.y), dtype=bool)
    if test_size is not None:
        held = split_rows(design.y, test_size, split_seed)
    X, y = (design.X[~held], design.y[~held]) if held.any() else (design.X, design.y)
    if chosen and design.intercept:  # refuse what the descent cannot take before any fit
        check_descent_start(train.init, design.names)
        check_batch_size(train.batch_size, len(y))
    if held.any():
        try:
            check_columns(X, design.names, design.intercept)
        except DataError as exc:
            raise DataError(f"on the training rows of the split, {exc}; try another split "
                            "seed or a smaller test size") from None  # fmt: skip
    counted = design.weights is not None or design.trials is not None  # no split: every row
    penalized = settings.penalty is not None
    if settings.firth:
        say("Firth's penalized likelihood, with profile intervals when they are quick enough")
        mle = firth_module.fit(X, y, intercept=design.intercept, names=design.names,
                               conf_level=settings.conf_level, weights=design.weights,
                               trials=design.trials)  # fmt: skip
    elif penalized:
        say(penalty_stage(settings, design.intercept))
        mle = penalized_module.fit_result(
            X,
            y,
            design.names,
            settings.penalty,
            settings.lam,
            settings.l1_mix,
            folds=settings.folds,
            seed=settings.split_seed,
            conf_level=settings.conf_level,
            weights=design.weights,
            trials=design.trials,
        )
    else:
        rows = frame.iloc[design.rows[~held]]
        clusters = None if settings.cluster is None else cluster_codes(rows, settings.cluster)
        try:  # the covariance is summed in the fit's pass at the estimate
            mle = mle_module.fit(X, y, intercept=design.intercept, names=design.names,
                                 weights=design.weights, trials=design.trials,
                                 progress=newton_progress(progress),
                                 cov_type=settings.cov_type, clusters=clusters)  # fmt: skip
        except SeparationError as exc:
            raise SeparationError(f"{exc}; {FIRTH_WAY}") from None
        mle = replace(mle, cov_type=settings.cov)  # cluster:COLUMN names its column
    say("average marginal effects")
    mle = replace(mle, conf_level=settings.conf_level)
    margins, effects, margins_note = None, None, MARGINS_NOTES.get((counted, penalized), "")
    try:
        if not margins_note:
            margins = average_margins(design.spec, frame.iloc[design.rows[~held]],
                                      mle.params, mle.cov, design=X,
                                      alpha=1.0 - settings.conf_level)  # fmt: skip
        say("effect curves")
        counts = design.weights if design.trials is None else design.trials  # no split then
        effects = effect_curves(design.spec, frame.iloc[design.rows[~held]], mle.params,
                                mle.cov, level=settings.conf_level, counts=counts)  # fmt: skip
    except DataError as exc:  # a transform whose state the spec cannot keep, such as poly()
        margins, margins_note = None, f"{REBUILD_NOTE} ({exc})"
    say("per-term likelihood-ratio tests (drop1)")
    tests, tests_note = None, PENALIZED_NOTE
    if not penalized:
        tests, tests_note = term_tests(design, X, y, mle, settings.firth)
    scaling, descents, note, used = None, {}, "", None
    if not chosen:
        note = "no gradient descent was asked for (no loss given)"
    elif penalized:
        note = PENALIZED_NOTE
    elif counted:
        note = COUNTED_NOTE
    elif design.intercept:
        scaling = Scaling(mean=X.mean(axis=0), scale=X.std(axis=0))
        used = resolve_lr(train, settings.lr, lambda: step_size(scaling, X))
        for loss in chosen:
            say(f"gradient descent on {loss.upper()}: up to {used.epochs:,} epochs")
            told = descent_progress(progress, loss, used.epochs)
            descents[loss] = _descend(loss, X, y, design, scaling, used, mle, told)
    else:
        note = ("gradient descent fits the lecture's net, which always has a bias; this model "
                "has no intercept, so there is no descent to compare")  # fmt: skip
    say("predictions and metrics of every row")
    params = mle.params if design.intercept else np.concatenate(([0.0], mle.params))
    p_hat = probabilities(params, design.X)
    metrics = None if counted else {}
    if held.any():
        metrics["held-out"] = prediction_metrics(design.y[held], p_hat[held], settings.threshold)
    if metrics is not None:
        metrics["training"] = prediction_metrics(y, p_hat[~held], settings.threshold)
    return TableFit(
        source=source,
        design=design,
        held_out=held,
        test_size=test_size,
        split_seed=split_seed,
        mle=mle,
        train=used,
        scaling=scaling,
        descents=descents,
        descent_note=note,
        p_hat=p_hat,
        predicted=(p_hat > settings.threshold).astype(int),
        metrics=metrics,
        reading=mle.reading() if penalized else main_effect(design.spec, mle, margins),
        margins=margins,
        effects=effects,
        drop1=tests,
        drop1_note=tests_note,
        margins_note=margins_note,
    )


def penalty_stage(settings: FitSettings, intercept: bool) -> str:
    """A penalized fit's progress line, once the model is known to have the intercept the
    penalty leaves free (ConfigError otherwise), in memory and in shares alike."""
    if not intercept:
        raise ConfigError(
            f"a {settings.penalty} penalty leaves the intercept free, and this model has "
            "none: drop '- 1' or '+ 0' from the formula"
        )
    return f"the {settings.penalty} penalty" + (" along glmnet's path, lambda by "
            f"{settings.folds}-fold cross-validation" if settings.lam == "cv" else "")  # fmt: skip


def term_tests(
    design: Design, X: np.ndarray, y: np.ndarray, mle: MLEResult, firth: bool
) -> tuple[Drop1 | None, str]:
    """R's drop1(m, test="Chisq") of the fit `mle` of X, y: each term not contained in a
    higher-order one dropped and the rest refitted (stats.anova.drop1), when the refits
    are estimated under DROP1_SECONDS; else None and the line that says why and how to test
    a term all the same."""
    what = "per-term likelihood-ratio tests (drop1)"
    if firth:
        return None, (f"{what} are not made for Firth's fit: its penalized likelihood-ratio "
                      "test of each coefficient is in the table")  # fmt: skip
    terms = droppable_terms(design.spec)
    k = len(mle.params)
    seconds = sum(budget.mle(len(y), k - len(columns)).seconds for columns in terms.values())
    if seconds > DROP1_SECONDS:
        return None, (f"{what} skipped: {len(terms)} refits of {len(y):,} rows would take "
                      f"~{budget.format_seconds(seconds)}; test a term with logitlab compare "
                      "DATA --formula FULL --formula WITHOUT-IT")  # fmt: skip
    return drop1(X, y, mle, terms, design.spec.formula, design.weights, design.trials), ""


def _table(source: object, model: ModelOptions) -> tuple[pandas.DataFrame, str, ModelOptions]:
    """The frame, a name for it, and the model to fit: a shipped data set brings its own
    formula and success value unless the caller gives a model."""
    import pandas

    if isinstance(source, pandas.DataFrame):
        return source, f"a table of {len(source):,} rows", model
    if isinstance(source, str):
        from ..data.datasets import load_dataset

        table = load_dataset(source)
        if model.formula is None and model.target is None and model.features is None:
            model = replace(model, formula=table.formula)
        if model.positive is None and (model.target or _lhs(model.formula)) == table.target:
            model = replace(model, positive=table.info.positive)
        return table.frame, f"data set {source}", model
    raise ConfigError(
        f"the table must be a pandas DataFrame or a data set name, got {type(source).__name__}"
    )


def _lhs(formula: str | None) -> str | None:
    """The target a formula names on its left ('GRADE ~ ...' -> 'GRADE'), backticks removed."""
    if formula is None or "~" not in formula:
        return None
    return formula.split("~", 1)[0].strip().strip("`")


def cluster_codes(rows: pandas.DataFrame, column: str) -> np.ndarray:
    """Each row's cluster in `column` as a code 0, 1, ...: DataError when the table has no
    such column, a row has no value there, or every row has the same one (a clustered
    covariance needs two clusters at least)."""
    import pandas

    require_columns(rows, [column])
    codes, values = pandas.factorize(rows[column], use_na_sentinel=True)
    check_clusters(column, int(np.count_nonzero(codes < 0)), list(values), len(rows))
    return codes


def check_clusters(column: str, missing: int, values: Sequence[object], rows: int) -> None:
    """DataError when `missing` of the `rows` fitted have no value in the cluster column, or
    its `values` (the distinct ones) are fewer than 2 (one cluster has no spread to show)."""
    if missing:
        raise DataError(f"the cluster column {column!r} has {missing:,} missing value(s) among "
                        "the rows fitted; fill them or drop those rows")  # fmt: skip
    if len(values) < 2:
        raise DataError(f"the cluster column {column!r} holds one value "
                        f"({value_text(values[0])}) on the {rows:,} rows fitted; a "
                        "clustered covariance needs at least 2 clusters")  # fmt: skip


def check_descent_start(start: tuple[float, ...] | None, names: Sequence[str]) -> None:
    """A start must give the intercept and one number per design column (ConfigError)."""
    if start is not None and len(start) != len(names) + 1:
        raise ConfigError(
            f"start must hold {len(names) + 1} numbers on the standardised columns (the "
            f"intercept, then {', '.join(names)}), got {len(start)}"
        )


def step_size(scaling: Scaling, X: np.ndarray) -> float:
    """1 / L: L = CURVATURE x the largest eigenvalue of [1 Z]'[1 Z] / n on the standardised
    training columns Z, the largest curvature either loss can have there."""
    Z = (X - scaling.mean) / scaling.scale
    return step_from_gram(Z.T @ Z / len(Z))


def step_from_gram(gram: np.ndarray, curvature: float = CURVATURE) -> float:
    """1 / L from Z'Z / n of the standardised columns (the intercept's column is orthogonal
    to centred Z: its eigenvalue is 1); curvature bounds the loss's in its logits."""
    return 1.0 / (curvature * max(1.0, float(np.linalg.eigvalsh(gram)[-1])))


def resolve_lr(settings: TrainConfig, lr: object, auto: Callable[[], float]) -> TrainConfig:
    """The descent's settings with `lr`: a number, or "auto": auto() (the step 1 / L) for
    SGD-like optimizers, the others keep settings.lr."""
    if isinstance(lr, str):
        if lr != "auto":
            raise ConfigError(f"lr must be a number > 0 or 'auto', got {shown(lr)}")
        if settings.optimizer not in SGD_LIKE:
            return settings
        lr = auto()
    return replace(settings, lr=lr)  # TrainConfig checks a given number


def _descend(
    loss: str,
    X: np.ndarray,
    y: np.ndarray,
    design: Design,
    scaling: Scaling,
    settings: TrainConfig,
    mle: MLEResult,
    progress: Callable[[int, np.ndarray], None] | None,
) -> Descent:
    """Descend on the z-scores with `loss`, map back, and measure the distance to the MLE;
    `progress` as the engine takes it (descent_progress)."""
    from ..engines import fit

    Z = (X - scaling.mean) / scaling.scale
    result = fit(Z, y, replace(settings, loss=loss), names=design.names,
                 progress=progress or False)  # fmt: skip
    return descent(result, settings, scaling, mle)


def descent_progress(say: Say | None, loss: str, epochs: int
                     ) -> Callable[[int, np.ndarray], None] | None:  # fmt: skip
    """A descent's progress told in a line at most every DESCENT_LINE_SECONDS, as the
    compiled loop ends a block of epochs: 'gradient descent on BCE: epoch 2,000 of 10,000';
    None without `say`."""
    if say is None:
        return None
    last = [time.monotonic()]

    def told(done: int, params: np.ndarray) -> None:
        if time.monotonic() - last[0] >= DESCENT_LINE_SECONDS:
            last[0] = time.monotonic()
            say(f"gradient descent on {loss.upper()}: epoch {done:,} of {epochs:,}")

    return told


def newton_progress(say: Say | None) -> mle_module.Progress | None:
    """The MLE's progress told in a line an iteration: 'MLE, Newton iteration 3:
    log-likelihood -1,787,095.1786, step 0.0123' (the step's largest move, in units of its
    column's root mean square); None without `say`."""
    if say is None:
        return None
    return lambda k, loglik, step: say(
        f"MLE, Newton iteration {k}: log-likelihood {loglik:,.4f}, step {step:.3g}"
    )


def descent(result: FitResult, train: TrainConfig, scaling: Scaling, mle: MLEResult) -> Descent:
    """A descent on the z-scores (`result`, with `train`'s optimizer, start and batches),
    mapped back to the original scale and measured against the MLE."""
    to_mle = distance_to_mle(result.params, scaling, mle.params, mle.se)
    return Descent(loss=result.loss_name, result=result, optimizer=train.optimizer,
                   start=train.init, batch_size=train.batch_size, to_mle=to_mle)  # fmt: skip


def distance_to_mle(
    standardised: np.ndarray, scaling: Scaling, params: np.ndarray, se: np.ndarray
) -> ToMLE:
    """Where a descent's parameters on the z-scores (`standardised`: a vector, or one column
    per equation of a multinomial fit) land against the MLE's `params` with standard errors
    `se` (the same shape): mapped back to the original scale column by column, and measured."""
    standardised = np.asarray(standardised, dtype=float)
    original = np.apply_along_axis(scaling.to_original, 0, standardised)
    gap = np.abs(original - params)
    with np.errstate(divide="ignore", invalid="ignore"):
        in_se = np.where(se > 0, gap / se, np.inf)
    return ToMLE(
        params=original,
        max_abs=float(gap.max()),
        max_rel=float(gap.max() / max(np.abs(params).max(), np.finfo(float).tiny)),
        max_abs_std=float(
            np.abs(standardised - np.apply_along_axis(scaling.to_standard, 0, params)).max()
        ),
        max_se=float(in_se.max()),
    )


def main_effect(spec: ModelSpec, mle: MLEResult, margins: Margins | None = None) -> str:
    """The term with the largest |z| in plain words: how one unit (or, for a level of a
    categorical column, being at that level rather than the one it is coded against, the
    first unless the formula chose another) multiplies the odds of success, with its
    interval at the fit's level, holding the other terms fixed. When the term's variable
    enters other terms too (an interaction, a square), nothing holds them fixed: its effect
    depends on them, so the words say so and give its average marginal effect (`margins`;
    None: in shares, where they are not computed)."""
    terms = [j for j, name in enumerate(mle.names) if name != INTERCEPT]
    j = max(terms, key=lambda k: abs(float(mle.z[k])) if math.isfinite(mle.z[k]) else -1.0)
    name = mle.names[j]
    largest = f"({float(mle.z[j]):.2f}, p = {float(mle.pvalues[j]):.2g})"
    success = f"{spec.target} = {spec.positive}"
    shared = _shared_variables(spec, name)
    if shared:
        why = _depends(spec, shared, margins, success)
        return f"{name} is the term with the largest |z| {largest}. {why}"
    low, high = mle.conf_int()[j]
    ci = f"{100 * mle.conf_level:.4g}% CI"
    ratio, interval = _odds(mle.params[j]), f"{ci} {_odds(low)} to {_odds(high)}"
    level = _level(name, spec)
    if level is None:
        what = f"Each unit of {name} multiplies the odds of {success} by {ratio}"
    else:
        column, value, reference, which = level
        what = (f"Compared with the {which} level ({column} = {reference}), {column} = {value} "
                f"multiplies the odds of {success} by {ratio}")  # fmt: skip
    others = ", the other terms held fixed" if len(terms) > 1 else ""
    if mle.params[j] < 0:  # a ratio below 1 reads better as a division
        what += f", that is, divides them by {_odds(-mle.params[j])}"
    return f"{what} ({interval}){others}. It is the term with the largest |z| {largest}."


def _shared_variables(spec: ModelSpec, name: str) -> list[str]:
    """The table columns design column `name` reads that other terms read too (none when
    its odds ratio holds everything else fixed)."""
    read = design_variables(spec).get(name, ())
    return [c for c in read if len(read) > 1 or len(terms_reading(spec, c)) > 1]


def _depends(spec: ModelSpec, columns: list[str], margins: Margins | None, success: str) -> str:
    """Why no odds ratio of the term holds the rest fixed, and the average marginal effect of
    each variable it reads instead."""
    said = []
    for column in columns:
        terms = terms_reading(spec, column)
        others = sorted({c for t in terms for c in _columns_of(spec, t)} - {column})
        on = ", ".join(others) if others else f"the value of {column} itself"
        said.append(f"{column} enters {', '.join(terms)}, so its effect on the odds of "
                    f"{success} depends on {on}")  # fmt: skip
    text = "; ".join(said) + ": no one odds ratio holds the other terms fixed."
    if margins is None:
        return text + (" Average marginal effects per variable are not computed here: a fit "
                       "in shares keeps no row, and with weights or trials a row stands for "
                       "many.")  # fmt: skip
    effects = []
    for column in columns:
        for row in margins.of(column):
            contrast = (row["contrast"] or "").replace(" vs ", " rather than ", 1)
            what = f"{column} = {contrast}" if contrast else f"one more unit of {column}"
            effects.append(f"{what} changes the probability of {success} by "
                           f"{row['estimate']:+.3g} ({100 * margins.effects.level:.4g}% CI "
                           f"{row['lower']:+.3g} to {row['upper']:+.3g}, "
                           f"p = {row['p']:.2g})")  # fmt: skip
    return f"{text} Averaged over the {margins.rows:,} training rows, {'; '.join(effects)}."


def _columns_of(spec: ModelSpec, term: str) -> set[str]:
    """The table columns a term (as terms_reading writes it) reads."""
    return {c for c in spec.columns if term in terms_reading(spec, c)}


def _odds(log_odds: float) -> str:
    """e^log_odds in 3 significant digits; 'inf' past float64."""
    return f"{math.exp(log_odds):.3g}" if log_odds < 709 else "inf"


def _level(name: str, spec: ModelSpec) -> tuple[str, str, str, str] | None:
    """(column, level, the level it is compared with, "first" or "reference") when `name`
    is a one-hot level 'expr[T.level]' of a categorical factor: the reference is the one
    the formula chose (spec.references: C(Sex, Treatment('male')) compares with 'male');
    None for any other term (numbers, interactions)."""
    match = re.fullmatch(r"(?P<expr>.+)\[T\.(?P<level>.+)\]", name)
    if match is None or match["expr"] not in spec.references:
        return None
    expr = match["expr"]
    reference = spec.references[expr]
    which = "first" if reference == spec.levels[expr][0] else "reference"
    column = re.fullmatch(r"C\(\s*`?(?P<col>[^`,]+?)`?\s*(,.*)?\)", expr)
    return (column["col"] if column else expr), match["level"], str(reference), which


__all__ = [
    "NOT_PRODUCED",
    "Scaling",
    "TableFit",
    "check_descent_start",
    "descent",
    "descent_progress",
    "descent_words",
    "distance_to_mle",
    "fit_table",
    "main_effect",
    "newton_progress",
    "resolve_lr",
    "step_from_gram",
    "step_size",
    "term_tests",
]
