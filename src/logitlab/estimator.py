"""A scikit-learn estimator on the functional core, for users who come from there.

LogisticRegressionGD keeps scikit-learn's contract so Pipeline, GridSearchCV, clone and
cross_val_score work: the constructor only stores its settings, fit() validates them (with
TrainConfig, so the refusal reads as on the command line) and learns attributes ending in "_".
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .config import LECTURE_INIT_SEED, TrainConfig
from .data.checks import as_design, as_labels
from .engines import fit
from .errors import DataError
from .model import probabilities
from .result import FitResult

_NOT_FITTED = "this %(name)s is not fitted yet; call fit(X, y) first"


def _untracked(values: object) -> object:
    """A torch tensor as a NumPy array (scikit-learn cannot read one that requires grad);
    anything else as given, so a DataFrame keeps its column names."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    return values


def _label_vector(y: object) -> object:
    """Labels for scikit-learn: logitlab's own n x 1 label tensor (Dataset.y) as a vector,
    so the package's data fits without a column-vector warning."""
    if isinstance(y, torch.Tensor) and y.ndim == 2 and y.shape[1] == 1:
        y = y.reshape(-1)
    return _untracked(y)


class LogisticRegressionGD(ClassifierMixin, BaseEstimator):
    """Binary logistic regression fitted by gradient descent: by default full-batch SGD, as
    in the lecture; optimizer, batch_size, init ... as in TrainConfig (the week-6 course).

    Any two labels work (0/1, bools, "No"/"Yes", ...): classes_ holds them sorted, and
    classes_[1] is the positive class, whose probability the model gives.
    """

    def __init__(
        self,
        loss: str = "bce",
        lr: float = 0.05,
        epochs: int = 10_000,
        init_seed: int = LECTURE_INIT_SEED,
        progress: bool = False,
        engine: str = "auto",
        optimizer: str = "sgd",
        momentum: float = 0.9,
        nesterov: bool = False,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        batch_size: int | None = None,
        shuffle_seed: int = 0,
        init: tuple[float, ...] | None = None,
    ) -> None:
        # Only stored: scikit-learn's clone and set_params rely on it; fit() validates.
        self.loss = loss
        self.lr = lr
        self.epochs = epochs
        self.init_seed = init_seed
        self.progress = progress
        self.engine = engine
        self.optimizer = optimizer
        self.momentum = momentum
        self.nesterov = nesterov
        self.betas = betas
        self.eps = eps
        self.batch_size = batch_size
        self.shuffle_seed = shuffle_seed
        self.init = init

    def __sklearn_tags__(self) -> Tags:
        """Declare the model binary-only, so scikit-learn's checks expect multiclass refused."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: object, y: object) -> LogisticRegressionGD:
        """Fit to X (n x d array, DataFrame or tensor) and y (n labels of two classes).

        Raises ConfigError for a bad setting and a ValueError (DataError for the labels) for
        data the model cannot use; returns self.
        """
        config = TrainConfig(
            loss=self.loss,
            lr=self.lr,
            epochs=self.epochs,
            init_seed=self.init_seed,
            engine=self.engine,
            optimizer=self.optimizer,
            momentum=self.momentum,
            nesterov=self.nesterov,
            betas=self.betas,
            eps=self.eps,
            batch_size=self.batch_size,
            shuffle_seed=self.shuffle_seed,
            init=self.init,
        )
        X, y = validate_data(self, _untracked(X), _label_vector(y), dtype=[np.float64, np.float32])
        check_classification_targets(y)
        kind = type_of_target(y, input_name="y", raise_unknown=True)
        if kind != "binary":
            raise DataError(
                f"Only binary classification is supported. The type of the target is {kind}; "
                "LogisticRegressionGD needs exactly two classes in y"
            )
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) != 2:
            raise DataError(
                f"y holds one class only ({self.classes_[0]!r}); LogisticRegressionGD needs "
                "exactly two classes in y"
            )
        x = as_design(np.require(X, requirements="W"))  # torch warns on read-only arrays
        names = getattr(self, "feature_names_in_", None)
        result: FitResult = fit(
            x,
            as_labels(encoded, x.shape[0]),
            config,
            names=None if names is None else list(names),
            progress=bool(self.progress),
        )
        self.result_ = result
        self.intercept_ = result.params[:1].copy()
        self.coef_ = result.params[1:].reshape(1, -1).copy()
        self.n_iter_ = np.array([result.epochs])
        self.loss_history_ = result.history.loss
        return self

    def decision_function(self, X: object) -> np.ndarray:
        """The logit w0 + x.w of each row of X: positive means classes_[1]."""
        check_is_fitted(self, msg=_NOT_FITTED)
        X = validate_data(self, _untracked(X), reset=False, dtype=[np.float64, np.float32])
        return self.intercept_[0] + np.asarray(X, dtype=float) @ self.coef_[0]

    def predict_proba(self, X: object) -> np.ndarray:
        """n x 2 probabilities, columns in classes_ order, as scikit-learn lays them out."""
        check_is_fitted(self, msg=_NOT_FITTED)
        X = validate_data(self, _untracked(X), reset=False, dtype=[np.float64, np.float32])
        p = probabilities(np.concatenate([self.intercept_, self.coef_[0]]), X)
        return np.column_stack([1 - p, p])

    def predict(self, X: object) -> np.ndarray:
        """The class of each row of X, from classes_: classes_[1] where the logit is > 0."""
        positive = self.decision_function(X) > 0
        return self.classes_[positive.astype(int)]
