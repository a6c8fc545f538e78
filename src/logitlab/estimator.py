"""A scikit-learn-style face on the functional core, for users who come from there."""

from __future__ import annotations

import numpy as np

from .config import TrainConfig
from .data.checks import as_design, as_labels
from .engines import fit
from .errors import DataError
from .model import probabilities
from .result import FitResult


class LogisticRegressionGD:
    """Logistic regression fitted by full-batch gradient descent, as in the lecture.

    Settings go to the constructor and are validated there; learned values land in
    attributes with a trailing underscore after `fit`, which returns self.
    """

    def __init__(
        self,
        loss: str = "bce",
        lr: float = 0.05,
        epochs: int = 10_000,
        init_seed: int = 43052,
        progress: bool = False,
        engine: str = "auto",
    ) -> None:
        self.loss = loss
        self.lr = lr
        self.epochs = epochs
        self.init_seed = init_seed
        self.progress = progress
        self.engine = engine
        self._config = TrainConfig(
            loss=loss, lr=lr, epochs=epochs, init_seed=init_seed, engine=engine
        )

    def fit(self, X: object, y: object) -> LogisticRegressionGD:
        """Fit to X (n x d array or tensor) and y (n labels, 0 or 1)."""
        x = as_design(X)
        labels = as_labels(y, x.shape[0])
        result: FitResult = fit(x, labels, self._config, progress=self.progress)
        self.result_ = result
        self.intercept_ = result.params[:1].copy()
        self.coef_ = result.params[1:].reshape(1, -1).copy()
        self.loss_history_ = result.history.loss
        self.n_features_in_ = x.shape[1]
        return self

    def predict_proba(self, X: object) -> np.ndarray:
        """Columns P(y=0), P(y=1) for each row of X, as scikit-learn orders them."""
        if not hasattr(self, "coef_"):
            raise DataError("this LogisticRegressionGD is not fitted yet; call fit(X, y) first")
        x = as_design(X)
        if x.shape[1] != self.n_features_in_:
            raise DataError(
                f"X has {x.shape[1]} features, the model was fitted on {self.n_features_in_}"
            )
        p = probabilities(np.concatenate([self.intercept_, self.coef_[0]]), x.numpy())
        return np.column_stack([1 - p, p])

    def predict(self, X: object) -> np.ndarray:
        """Class labels 0/1 (probability of 1 at least one half)."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)
