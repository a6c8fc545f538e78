"""LogisticRegressionGD with a penalty: the library's penalized fit (stats.penalized, as
`logitlab fit --penalty`), scikit-learn's LogisticRegression at the matched scaling (C = 1 /
(n lam) on standardized columns), frequency weights as the rows repeated, lambda by
cross-validation, the settings' round trip and refusals in FitSettings' words."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from logitlab import LogisticRegressionGD
from logitlab.config import FitSettings
from logitlab.errors import ConfigError
from logitlab.stats import penalized

#: (penalty, lam, l1_ratio given, the l1 ratio fitted)
CASES = [("l2", 0.05, None, 0.0), ("l1", 0.02, None, 1.0), ("elasticnet", 0.03, None, 0.5),
         ("elasticnet", 0.03, 0.8, 0.8)]  # fmt: skip


def glmnet_objective(Z: np.ndarray, y: np.ndarray, theta: np.ndarray, lam: float, a: float):
    """The mean log-loss + lam ((1 - a)/2 |b|^2 + a |b|_1) on standardized columns Z, theta
    the intercept and the standardized coefficients b (NumPy, from the formula)."""
    eta = theta[0] + Z @ theta[1:]
    b = theta[1:]
    return np.mean(np.logaddexp(0.0, eta) - y * eta) + lam * (
        (1 - a) / 2 * b @ b + a * np.abs(b).sum()
    )


@pytest.mark.parametrize(("penalty", "lam", "l1_ratio", "a"), CASES)
def test_each_penalty_is_the_librarys_fit(scaled_rows, penalty, lam, l1_ratio, a):
    X, y = scaled_rows
    model = LogisticRegressionGD(penalty=penalty, lam=lam, l1_ratio=l1_ratio).fit(X, y)
    library = penalized.fit(X, y, lam, a)
    assert library.converged
    np.testing.assert_allclose(model.intercept_, library.params[:1], rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.coef_[0], library.params[1:], rtol=0, atol=1e-10)
    assert abs(model.result_.objective - library.objective) <= 1e-12 * library.objective
    assert model.lam_ == lam and model.result_.l1_ratio == a
    assert model.n_iter_.tolist() == [model.result_.iterations] and model.n_iter_[0] >= 1
    assert not hasattr(model, "lr_") and not hasattr(model, "loss_history_")  # no descent
    eta = library.params[0] + X @ library.params[1:]
    np.testing.assert_allclose(model.decision_function(X), eta, rtol=0, atol=1e-9)
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], 1 / (1 + np.exp(-eta)), atol=1e-12)
    np.testing.assert_array_equal(model.predict(X), (eta > 0).astype(int))
    if a > 0:  # an l1 part gives exact zeros, where a descent's steps reach none
        assert (model.coef_ == 0).any()


@pytest.mark.parametrize(("penalty", "lam", "l1_ratio", "a"), CASES)
def test_equals_scikit_learn_at_the_matched_scaling(scaled_rows, penalty, lam, l1_ratio, a):
    """scikit-learn's saga on the standardized columns with C = 1 / (n lam) minimizes the same
    objective: the same coefficients to 1e-6, and ours is no higher."""
    X, y = scaled_rows
    mean, sd = X.mean(axis=0), X.std(axis=0)
    Z = (X - mean) / sd
    peer = LogisticRegression(C=1.0 / (len(y) * lam), l1_ratio=a, solver="saga", tol=1e-14,
                              max_iter=100_000).fit(Z, y)  # fmt: skip
    theirs = np.r_[peer.intercept_, peer.coef_[0]]
    model = LogisticRegressionGD(penalty=penalty, lam=lam, l1_ratio=l1_ratio).fit(X, y)
    ours = np.r_[model.intercept_ + model.coef_[0] @ mean, model.coef_[0] * sd]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    mine, peers = (glmnet_objective(Z, y, theta, lam, a) for theta in (ours, theirs))
    assert abs(mine - peers) <= 1e-10 * peers and mine <= peers + 1e-13
    np.testing.assert_allclose(model.result_.objective, mine, rtol=1e-12)


@pytest.mark.parametrize(("penalty", "lam", "l1_ratio", "a"), CASES[:3])
def test_sample_weights_are_the_rows_repeated(scaled_rows, penalty, lam, l1_ratio, a):
    X, y = scaled_rows
    w = np.random.default_rng(2).integers(0, 4, len(y))
    settings = {"penalty": penalty, "lam": lam, "l1_ratio": l1_ratio}
    weighted = LogisticRegressionGD(**settings).fit(X, y, sample_weight=w)
    rows = np.repeat(np.arange(len(y)), w)
    repeated = LogisticRegressionGD(**settings).fit(X[rows], y[rows])
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=0, atol=1e-9)
    assert weighted.result_.nobs == w.sum()
    library = penalized.fit(X, y, lam, a, weights=w)  # the library's weights=
    np.testing.assert_allclose(weighted.coef_[0], library.params[1:], rtol=0, atol=1e-10)


def test_lambda_cv_is_the_librarys_lambda_min(scaled_rows):
    X, y = scaled_rows
    w = np.random.default_rng(4).integers(1, 3, len(y))
    model = LogisticRegressionGD(penalty="l1", lam="cv", folds=4, split_seed=3)
    model.fit(X, y, sample_weight=w)
    curve, path = penalized.cross_validate(X, y, 1.0, folds=4, seed=3, weights=w)
    assert model.lam_ == curve.lambda_min and model.result_.lam == curve.lambda_min
    np.testing.assert_array_equal(model.result_.cv.mean, curve.mean)  # the same code twice
    np.testing.assert_array_equal(model.result_.cv.lambdas, path.lambdas)
    assert (model.result_.cv.folds, model.result_.cv.seed) == (4, 3)
    at_min = penalized.fit(X, y, curve.lambda_min, 1.0, weights=w)
    np.testing.assert_allclose(model.coef_[0], at_min.params[1:], rtol=0, atol=1e-8)
    other = LogisticRegressionGD(penalty="l1", lam="cv", folds=4, split_seed=4).fit(X, y, w)
    assert not np.array_equal(other.result_.cv.mean, curve.mean)  # the seed draws the folds


def test_settings_round_trip_through_get_params_set_params_and_clone(scaled_rows):
    X, y = scaled_rows
    model = LogisticRegressionGD(penalty="elasticnet", lam=0.01, l1_ratio=0.3, folds=5,
                                 split_seed=7)  # fmt: skip
    params = model.get_params()
    assert {k: params[k] for k in ("penalty", "lam", "l1_ratio", "folds", "split_seed")} == {
        "penalty": "elasticnet",
        "lam": 0.01,
        "l1_ratio": 0.3,
        "folds": 5,
        "split_seed": 7,
    }
    copy = clone(model)
    assert copy.get_params() == params
    np.testing.assert_array_equal(copy.fit(X, y).coef_, clone(model).fit(X, y).coef_)
    assert copy.set_params(penalty="l1", lam=0.02, l1_ratio=None) is copy
    np.testing.assert_allclose(copy.fit(X, y).coef_[0], penalized.fit(X, y, 0.02, 1.0).params[1:],
                               rtol=0, atol=1e-10)  # fmt: skip
    search = GridSearchCV(LogisticRegressionGD(penalty="l2"), {"lam": [0.01, 1.0]}, cv=3)
    assert search.fit(X, y).best_params_ == {"lam": 0.01}  # lambda 1 shrinks to near 0.5


def test_descent_settings_are_ignored_with_a_penalty(scaled_rows):
    X, y = scaled_rows
    plain = LogisticRegressionGD(penalty="l2", lam=0.05).fit(X, y)
    model = LogisticRegressionGD(lr=1e-6, epochs=1, optimizer="adam", batch_size=7)
    model.fit(X, y)  # a descent first: its lr_ and history go with the next fit
    model.set_params(penalty="l2", lam=0.05).fit(X, y)
    np.testing.assert_array_equal(model.coef_, plain.coef_)
    np.testing.assert_array_equal(model.intercept_, plain.intercept_)
    assert not hasattr(model, "lr_") and not hasattr(model, "loss_history_")
    model.set_params(penalty=None, lam=None).fit(X, y)
    assert model.lr_ == 1e-6 and not hasattr(model, "lam_")


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"penalty": "l3", "lam": 0.1}, "penalty must be one of l2, l1, elasticnet, got 'l3'"),
        ({"penalty": "l2", "lam": -1}, "lambda must be a number >= 0 or cv, got -1"),
        ({"penalty": "l2", "lam": "CV"}, "lambda must be a number >= 0 or cv, got 'CV'"),
        ({"penalty": "l1"}, "the l1 penalty needs a lambda"),
        ({"lam": 0.1}, "lambda 0.1 needs a penalty"),
        ({"penalty": "l2", "lam": 0.1, "l1_ratio": 0.5}, "l1 ratio is elasticnet's mix"),
        ({"penalty": "elasticnet", "lam": 0.1, "l1_ratio": 1.5},
         "l1 ratio must be between 0 and 1, got 1.5"),
        ({"penalty": "l2", "lam": "cv", "folds": 1}, "folds must be"),
        ({"penalty": "l2", "lam": "cv", "split_seed": -1}, "split seed must be"),
    ],
)  # fmt: skip
def test_bad_penalty_settings_are_refused_in_the_librarys_words(settings, words):
    with pytest.raises(ConfigError) as library:
        FitSettings(**settings)
    with pytest.raises(ConfigError) as caught:
        LogisticRegressionGD(**settings).fit([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])
    assert str(caught.value) == str(library.value)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_three_classes_with_a_penalty_are_refused_in_one_line(scaled_rows):
    X, _ = scaled_rows
    y = np.arange(len(X)) % 3
    with pytest.raises(ConfigError) as caught:
        LogisticRegressionGD(penalty="l1", lam=0.02).fit(X, y)
    message = str(caught.value)
    assert "Only binary classification is supported" in message and "\n" not in message
    assert "3 classes (0, 1, 2)" in message and "the l1 penalty" in message
    for penalty, multi_class in ((None, True), ("l1", False)):  # scikit-learn's checks read it
        tags = LogisticRegressionGD(penalty=penalty).__sklearn_tags__()
        assert tags.classifier_tags.multi_class is multi_class


def test_a_fit_that_does_not_converge_warns():
    """lam 0 on separable rows: the minimum is at infinity; scikit-learn's ConvergenceWarning."""
    X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LogisticRegressionGD(penalty="l2", lam=0.0).fit(X, y)
    assert not model.result_.converged
    assert [w.category for w in caught] == [ConvergenceWarning]
    assert f"did not converge in {model.result_.iterations} Newton" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticRegressionGD(penalty="l2", lam=0.01).fit(X, y)  # a penalty bounds it
