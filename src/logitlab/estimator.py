"""A scikit-learn estimator on the functional core, for users who come from there.

LogisticRegressionGD keeps scikit-learn's contract so Pipeline, GridSearchCV, clone and
cross_val_score work: the constructor only stores its settings, fit() validates them (with
TrainConfig and FitSettings, so the refusal reads as on the command line) and learns attributes
ending in "_". With a penalty it fits as `logitlab fit --penalty` does (stats.penalized).
"""

from __future__ import annotations

import inspect
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .config import DEFAULT_FOLDS, FitSettings, TrainConfig, listed
from .data.checks import as_design, as_labels, count_array, design_array, value_text
from .data.separation import separation_of
from .engines import fit
from .errors import (
    ConfigError,
    DataError,
    DivergenceError,
    LogitlabError,
    SeparationError,
    SeparationWarning,
)
from .model import sigmoid
from .result import FitResult, default_names
from .stats.penalized import fit_result
from .studies.fit import CURVATURE, SOFTMAX_CURVATURE, resolve_lr, step_from_gram

_NOT_FITTED = "this %(name)s is not fitted yet; call fit(X, y) first"


def _untracked(values: object) -> object:
    """A torch tensor as a NumPy array (scikit-learn cannot read one that requires grad);
    anything else as given, so a DataFrame keeps its column names."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return values


@contextmanager
def _refused_as_data_errors() -> Iterator[None]:
    """scikit-learn's refusals (plain ValueErrors, some over several lines) as the package's
    DataError, on one line and in scikit-learn's words, which its own checks look for."""
    try:
        yield
    except LogitlabError:
        raise
    except ValueError as exc:
        raise DataError(" ".join(str(exc).split())) from None


def _check_columns(X: object) -> None:
    """Refuse a DataFrame's category columns and columns with missing values, by name:
    scikit-learn would read a category's labels as numbers, and a boolean column with pd.NA
    fails there in words that name no column."""
    pandas = sys.modules.get("pandas")  # not imported: X cannot be a DataFrame
    if pandas is None or not isinstance(X, pandas.DataFrame):
        return
    for name, dtype in X.dtypes.items():
        if isinstance(dtype, pandas.CategoricalDtype):
            raise DataError(
                f"X column {str(name)!r} holds categories, not numbers: code it first, "
                "e.g. with a OneHotEncoder in a Pipeline"
            )
    gaps = X.isna().sum()
    if gaps.any():
        named = [f"column {str(name)!r} ({count:,} of {len(X):,} rows)"
                 for name, count in gaps[gaps > 0].items()]  # fmt: skip
        shown = ", ".join(named[:3]) + (f" and {len(named) - 3:,} more" if len(named) > 3 else "")
        raise DataError(f"X has missing values (NaN, None or NA) in {shown}: drop or fill "
                        "them first")  # fmt: skip


def _auto_step(X: np.ndarray, curvature: float) -> float:
    """lr="auto": 1 / L, L = curvature x the largest eigenvalue of [1 X]'[1 X] / n, the
    largest curvature of the loss on these columns as given (the estimator does not
    standardise them), so each step descends wherever the features lie. curvature bounds
    the loss's in its logits: CURVATURE (1/4) for the binary model's one logit,
    SOFTMAX_CURVATURE (1/2) for softmax regression's K."""
    design = np.column_stack((np.ones(len(X)), X))
    return step_from_gram(design.T @ design / len(X), curvature)


def _separated(
    x: np.ndarray, codes: np.ndarray, classes: np.ndarray, names: tuple[str, ...]
) -> str | None:
    """How the classes are separated, or None: the binary model's direction, or for K
    classes the first class a direction splits from all the others (one against the rest,
    as the multinomial MLE looks for it)."""
    if len(classes) == 2:
        return separation_of(x, codes, names)
    for code, level in enumerate(classes.tolist()):
        found = separation_of(x, codes == code, names)
        if found is not None:
            return f"class {value_text(level)} (y = 1) against the others (y = 0): {found}"
    return None


def _weights(sample_weight: object, n: int) -> np.ndarray | None:
    """Frequency weights, whole numbers >= 0 one per row and not all zero (DataError
    otherwise), or None when none are given."""
    if sample_weight is None:
        return None
    weights = count_array(_untracked(sample_weight), n, "sample_weight")
    if not weights.any():
        raise DataError("sample_weight is zero for every row: no row to fit")
    return weights


def _rows(
    X: np.ndarray, encoded: np.ndarray, weights: np.ndarray | None, full_batch: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The rows to fit: each repeated as often as its frequency weight (so the mean loss is
    the weighted one), and for a full-batch descent sorted, since its loss is a mean over
    the rows: the float32 sums then depend on the set of rows, not their order, and weights
    give the bits of the rows repeated in any order."""
    if weights is not None:
        rows = np.repeat(np.arange(len(encoded)), weights.astype(np.int64))
        X, encoded = X[rows], encoded[rows]
    if full_batch:
        order = np.lexsort((encoded, *X.T[::-1]))
        X, encoded = X[order], encoded[order]
    return X, encoded


def _label_vector(y: object) -> object:
    """Labels for scikit-learn: logitlab's own n x 1 label tensor (Dataset.y) as a vector,
    so the package's data fits without a column-vector warning."""
    if isinstance(y, torch.Tensor) and y.ndim == 2 and y.shape[1] == 1:
        y = y.reshape(-1)
    return _untracked(y)


#: The penalized fit's settings: FitSettings' fields of these names (the command line's
#: --penalty, --lambda, --l1-ratio, --folds and --split-seed, which draws the folds), checked
#: there at fit, in its words.
PENALTY_FIELDS = ("penalty", "lam", "l1_ratio", "folds", "split_seed")


def _signature() -> inspect.Signature:
    """The estimator's settings: TrainConfig's fields with their defaults (but lr "auto"),
    then progress, then FitSettings' PENALTY_FIELDS with its defaults. Derived, so a setting
    added there is one here too; scikit-learn's get_params and clone read this signature."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    fit_defaults = {f.name: f.default for f in fields(FitSettings)}
    defaults = ({f.name: f.default for f in fields(TrainConfig)}
                | {"lr": "auto", "progress": False}
                | {name: fit_defaults[name] for name in PENALTY_FIELDS})  # fmt: skip
    return inspect.Signature([
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        *(inspect.Parameter(name, keyword, default=value) for name, value in defaults.items()),
    ])  # fmt: skip


#: LogisticRegressionGD(...)'s parameters.
SIGNATURE = _signature()
#: The settings fit() hands to TrainConfig (lr is resolved apart: "auto" is the estimator's).
TRAIN_FIELDS = tuple(f.name for f in fields(TrainConfig) if f.name != "lr")

#: The settings the estimator documents in its own words; the others are TrainConfig's.
OWN_PARAMETERS = {
    "lr": ["lr : float or 'auto', default 'auto'",
           "    The step: 'auto' is 1 / L (above); a number above 0 is that step."],
    "progress": ["progress : bool, default False",
                 "    Draw a progress bar while the eager engine fits."],
    "penalty": ["penalty : {'l2', 'l1', 'elasticnet'} or None, default None",
                "    None: the descent above. Else glmnet's objective, the mean log-loss +",
                "    ``lam * ((1 - a) / 2 * sum b^2 + a * sum |b|)`` over the columns standardized",
                "    by their population SD, the intercept free, ``coef_`` on the original",
                "    scale (a = 0 for l2, 1 for l1, l1_ratio for elasticnet), solved by the",
                "    library's coordinate-descent Newton solver (stats.penalized) as `logitlab",
                "    fit --penalty` solves it: no gradient descent, whose l1 steps reach no",
                "    exact zero. The descent's settings (loss, lr, epochs, optimizer,",
                "    batch_size, init, engine, progress ...) are then ignored, though still",
                "    checked; two classes only (no multinomial penalty)."],
    "lam": ["lam : float or 'cv', optional",
            "    The penalty's lambda (the command line's --lambda; lambda is Python's word),",
            "    a number >= 0; or 'cv': cv.glmnet's lambda_min, the least mean held-out",
            "    log-loss of `folds` folds along glmnet's path. Needed with a penalty;",
            "    ``lam_`` holds the lambda fitted."],
    "l1_ratio": ["l1_ratio : float, optional",
                 "    Elastic net's mix a, in [0, 1] (default 0.5, glmnet's alpha); only for",
                 "    penalty 'elasticnet' (l2 is 0, l1 is 1)."],
    "folds": [f"folds : int, default {DEFAULT_FOLDS}",
              "    The folds of lam='cv' (cv.glmnet's default); at least 2. A row goes to one",
              "    fold whole, whatever its sample_weight."],
    "split_seed": ["split_seed : int, default 0",
                   "    The seed of lam='cv''s folds (FitSettings' and the command line's",
                   "    --split-seed, which draws them there): the same seed, the same folds."],
}  # fmt: skip


def _parameters_doc() -> str:
    """The Parameters section of the estimator's docstring, derived as SIGNATURE is:
    TrainConfig's entries in its field order, with OWN_PARAMETERS in place of its lr and
    after them. A training setting documented there is documented here, never copied."""
    lines = inspect.cleandoc(TrainConfig.__doc__ or "").splitlines()
    if "Parameters" not in lines:
        return ""  # docstrings stripped (python -OO)
    body = lines[lines.index("Parameters") + 2 :]
    entries: dict[str, list[str]] = {}
    for line, below in zip(body, [*body[1:], ""], strict=True):
        if set(below) == {"-"}:
            break  # the next section's title
        if line and not line.startswith(" "):
            entries[line.split(" : ")[0]] = [line]
        elif line:
            entries[next(reversed(entries))].append(line)
    entries |= OWN_PARAMETERS
    return "\n\nParameters\n----------\n" + "\n".join(
        line for entry in entries.values() for line in entry
    )


class LogisticRegressionGD(ClassifierMixin, BaseEstimator):
    """Logistic regression of two classes or more fitted by gradient descent: by default
    full-batch SGD, as in the lecture; optimizer, batch_size, init ... as in TrainConfig (the
    week-6 course).

    lr="auto" (the default, as `logitlab fit` has) is 1 / L, L the largest curvature of the
    loss on X as given, so the descent is stable on any scale of the features; ``lr_`` holds
    the step used. The lecture's step is one argument away: lr=0.05 (TrainConfig's default).
    Optimizers other than SGD and momentum keep TrainConfig's lr under "auto".

    Any labels work (0/1, bools, "No"/"Yes", species, ...): ``classes_`` holds them sorted.
    Two classes fit the lecture's binary model: ``classes_[1]`` is the positive class,
    ``coef_`` is 1 x d and decision_function gives one logit a row. Three or more fit softmax
    regression (nn.Linear(d, K) with CrossEntropyLoss, the course's next step): ``coef_`` is
    K x d, ``intercept_`` K and decision_function gives K logits a row, as scikit-learn's
    multinomial LogisticRegression lays them out. Adding one vector to every class's row
    changes no probability: only the rows' differences are fitted (SGD keeps their mean at
    the start, where scikit-learn's rows sum to zero).

    penalty='l2', 'l1' or 'elasticnet' with lam fits glmnet's penalized objective (below) with
    the library's solver, as `logitlab fit --penalty --lambda` does, not by gradient descent:
    ``coef_`` and ``intercept_`` are ``stats.penalized.fit``'s to its tolerance, the l1
    penalty's zeros exact. ``result_`` is its PenalizedResult (with lam='cv' also the CV curve,
    ``result_.cv``, and the path, ``result_.path``), ``lam_`` the lambda fitted (lam='cv':
    the curve's lambda_min), ``n_iter_`` its Newton iterations; ``lr_`` and
    ``loss_history_`` are not set, as nothing descends. Two classes only.
    """

    __doc__ = inspect.cleandoc(__doc__ or "") + _parameters_doc()

    def __init__(self, **settings: object) -> None:
        # Only stored: scikit-learn's clone and set_params rely on it; fit() validates.
        bound = SIGNATURE.bind(self, **settings)  # an unknown name: TypeError, as def says
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = SIGNATURE  # type: ignore[attr-defined]

    def fit(self, X: object, y: object, sample_weight: object = None) -> LogisticRegressionGD:
        """Fit to X and y by gradient descent with the estimator's settings.

        Parameters
        ----------
        X : array_like, pandas.DataFrame or torch.Tensor
            n x d features; a DataFrame's column names become ``feature_names_in_``.
        y : array_like
            n labels of two classes or more (0/1, bools, "No"/"Yes", species, ...).
        sample_weight : array_like, optional
            Frequency weights: each row counts as that many rows (whole numbers >= 0, as
            `logitlab fit --weights`), so the descent's mean loss is the weighted mean and
            the fit the one on the rows repeated; with a penalty, the library's weights=
            (the mean log-loss over the sum of the weights, columns standardized by the
            weighted SDs; lam='cv' keeps a row in one fold whole).

        Returns
        -------
        LogisticRegressionGD
            self, with ``classes_``, ``intercept_``, ``coef_``, ``lr_``, ``n_iter_``,
            ``loss_history_`` and ``result_`` (the engine's FitResult for two classes, its
            SoftmaxFit for more); with a penalty ``classes_``, ``intercept_``, ``coef_``,
            ``n_iter_``, ``lam_`` and ``result_`` (stats.penalized's PenalizedResult).

        Raises
        ------
        ConfigError
            For a setting outside what TrainConfig or FitSettings (the penalty's) allows;
            for more than two classes also loss 'mse', an init (softmax regression minimizes
            the cross-entropy from its seeded start) or a penalty.
        DataError
            (a ValueError) For data the model cannot use, labels of one class only or not
            classes at all, or weights that are not whole numbers >= 0.
        SeparationError
            When the descent diverges because the classes are separable (for more than two,
            one class from the others).
        DivergenceError
            When it diverges on data that are not separable (try a smaller lr).
        """
        config = TrainConfig(**{name: getattr(self, name) for name in TRAIN_FIELDS})
        settings = FitSettings(**{name: getattr(self, name) for name in PENALTY_FIELDS})
        X, y = self._validated(X, _label_vector(y), reset=True)
        with _refused_as_data_errors():
            check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise DataError(
                f"y holds one class only ({value_text(self.classes_.tolist()[0])}); "
                "LogisticRegressionGD needs at least two classes in y"
            )
        weights = _weights(sample_weight, len(codes))
        names = getattr(self, "feature_names_in_", None)
        names = default_names(np.shape(X)[1]) if names is None else tuple(names)
        for learned in ("lr_", "loss_history_", "lam_"):  # a previous fit's, of the other kind
            self.__dict__.pop(learned, None)
        if settings.penalty is not None:
            self._fit_penalized(np.asarray(X), codes, weights, settings, names)
            return self
        X, codes = _rows(np.asarray(X), codes, weights, config.batch_size is None)
        x = as_design(np.require(X, requirements="W"))  # torch warns on read-only arrays
        binary = len(self.classes_) == 2
        curvature = CURVATURE if binary else SOFTMAX_CURVATURE
        config = resolve_lr(config, self.lr, lambda: _auto_step(x.double().numpy(), curvature))
        try:
            if binary:
                self._fit_binary(x, codes, config, names)
            else:
                self._fit_softmax(x, codes, config, names)
        except DivergenceError as err:
            separated = _separated(x.numpy(), codes, self.classes_, names)
            if separated is None:
                raise
            limit = ", where float32 holds 88 at most" if binary else ""
            raise SeparationError(
                f"gradient descent diverged at epoch {err.epoch} (logits up to {err.value:.3g} "
                f"in size{limit}) on separable data: {separated}; a smaller lr or fewer epochs "
                "only stop it sooner, never at an estimate"
            ) from err
        self.lr_ = config.lr
        return self

    def _fit_penalized(
        self,
        X: np.ndarray,
        codes: np.ndarray,
        weights: np.ndarray | None,
        settings: FitSettings,
        names: tuple[str, ...],
    ) -> None:
        """glmnet's penalized objective, solved as `logitlab fit --penalty` solves it
        (stats.penalized.fit_result; lam='cv' picks lambda_min on folds of split_seed); the
        rows counted by their weights. Two classes only: the library has no multinomial
        penalty. A fit that did not converge (lam 0 on separable data) warns, as
        scikit-learn's do."""
        if len(self.classes_) > 2:
            raise ConfigError(
                f"Only binary classification is supported with a penalty: y holds "
                f"{len(self.classes_)} classes ({listed(self.classes_.tolist())}) and the "
                f"{settings.penalty} penalty has no multinomial fit; penalty=None fits them by "
                "softmax regression"
            )
        result = fit_result(X, codes, names, settings.penalty, settings.lam, settings.l1_ratio,
                            folds=settings.folds, seed=settings.split_seed,
                            weights=weights)  # fmt: skip
        if not result.converged:
            warnings.warn(f"the penalized fit ({result.penalty_words()}) did not converge "
                          f"in {result.iterations} Newton iterations", ConvergenceWarning,
                          stacklevel=3)  # fmt: skip
        self.result_ = result
        self.intercept_ = result.params[:1].copy()
        self.coef_ = result.params[1:].reshape(1, -1).copy()
        self.n_iter_ = np.array([result.iterations])
        self.lam_ = result.lam

    def _fit_binary(
        self, x: torch.Tensor, codes: np.ndarray, config: TrainConfig, names: tuple[str, ...]
    ) -> None:
        """The lecture's model on two classes: one logit, classes_[1] the positive class."""
        result: FitResult = fit(x, as_labels(codes, x.shape[0]), config, names=names,
                                progress=bool(self.progress))  # fmt: skip
        self.result_ = result
        self.intercept_ = result.params[:1].copy()
        self.coef_ = result.params[1:].reshape(1, -1).copy()
        self.n_iter_ = np.array([result.epochs])
        self.loss_history_ = result.history.loss

    def _fit_softmax(
        self, x: torch.Tensor, codes: np.ndarray, config: TrainConfig, names: tuple[str, ...]
    ) -> None:
        """Softmax regression on K classes: one logit a class, in classes_ order. Separable
        data warn, as the binary fit does: the weights then only grow with the epochs."""
        from .engines.softmax import fit_softmax

        separated = _separated(x.numpy(), codes, self.classes_, names)
        if separated is not None:
            warnings.warn(f"gradient descent on separable data: {separated}", SeparationWarning,
                          stacklevel=3)  # fmt: skip
        result = fit_softmax(x, codes, len(self.classes_), config, progress=bool(self.progress))
        self.result_ = result
        self.intercept_ = result.bias.copy()
        self.coef_ = result.weight.copy()
        self.n_iter_ = np.array([result.epochs])
        self.loss_history_ = result.loss

    def __sklearn_tags__(self) -> object:
        """scikit-learn's tags: with a penalty, two classes only (its checks then fit binary
        data and expect three classes refused)."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = self.penalty is None
        return tags

    def decision_function(self, X: object) -> np.ndarray:
        """The logit w0 + x.w of each row of X: for two classes one logit, positive means
        ``classes_[1]``; for more, one per class (the largest is the one predicted).

        Parameters
        ----------
        X : array_like, pandas.DataFrame or torch.Tensor
            The rows to score, n x d, checked as fit checks its features.

        Returns
        -------
        numpy.ndarray
            The n logits (two classes), or n x K, columns in ``classes_`` order.
        """
        X = self._checked(X)
        if len(self.classes_) == 2:
            return self.intercept_[0] + X @ self.coef_[0]
        return self.intercept_ + X @ self.coef_.T

    def predict_proba(self, X: object) -> np.ndarray:
        """Each row's probability of each class, as scikit-learn lays them out.

        Parameters
        ----------
        X : array_like, pandas.DataFrame or torch.Tensor
            n rows of the d features the model was fitted on.

        Returns
        -------
        numpy.ndarray
            n x K probabilities (K = 2 for two classes), columns in ``classes_`` order;
            each row sums to 1.
        """
        scores = self.decision_function(X)
        if scores.ndim == 2:
            return softmax(scores, axis=1)
        p = sigmoid(scores)
        return np.column_stack([1 - p, p])

    def _checked(self, X: object) -> np.ndarray:
        """X to predict on, checked as fit checks it (finite, in float32's range), against
        the fitted features."""
        check_is_fitted(self, msg=_NOT_FITTED)
        return design_array(self._validated(X))

    def _validated(self, X: object, y: object = "no_validation", reset: bool = False) -> object:
        """scikit-learn's validate_data (X, or X and y when y is given; the features learned
        when reset), refusing with DataError; the finite check is the package's own (fit's
        as_design, predictions' design_array), in the words of every other fit."""
        X = _untracked(X)
        _check_columns(X)
        with _refused_as_data_errors():
            return validate_data(self, X, y, reset=reset, dtype=[np.float64, np.float32],
                                 ensure_all_finite=False)  # fmt: skip

    def predict(self, X: object) -> np.ndarray:
        """The class of each row of X: for two classes ``classes_[1]`` where the logit is > 0,
        else ``classes_[0]``; for more, the class of the largest logit (the most probable).

        Parameters
        ----------
        X : array_like, pandas.DataFrame or torch.Tensor
            The rows to classify.

        Returns
        -------
        numpy.ndarray
            n labels, each one of ``classes_``.
        """
        scores = self.decision_function(X)
        chosen = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[chosen]
