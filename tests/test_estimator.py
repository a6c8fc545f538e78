import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from logitlab import LogisticRegressionGD
from logitlab.config import FitSettings, TrainConfig
from logitlab.engines import fit
from logitlab.engines.eager import threads_for
from logitlab.errors import (
    ConfigError,
    DataError,
    DivergenceError,
    SeparationError,
    SeparationWarning,
)

# Many of these data sets (scikit-learn's checks among them) happen to be separable; that
# warning has its own test below, so it does not clutter the others.
pytestmark = pytest.mark.filterwarnings("ignore::logitlab.errors.SeparationWarning")


@pytest.fixture(scope="module")
def two_features():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2))
    p = 1 / (1 + np.exp(-(0.5 + X @ [1.5, -2.0])))
    return X, (rng.random(600) < p).astype(int)


@pytest.fixture(scope="module")
def unscaled():
    """Separable-ish data on very different scales (one feature in the hundreds), so plain
    gradient descent needs the StandardScaler in front of it."""
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(300, 3))
    y = (Z @ [2.0, -1.5, 1.0] + 0.3 * rng.normal(size=300) > 0).astype(int)
    return Z * [1.0, 50.0, 0.2] + [0.0, 300.0, 1.0], y


# With its defaults: the checks include unscaled X ~ N(100, 1), on which fixed-step descent is
# stable only for lr below ~1 / (0.25 |x|^2) ~ 4e-4, and scaled blobs that such a small step
# learns slowly; lr="auto" takes each data set's own step. Not declared binary-only, so the
# checks fit three classes too (softmax regression). None skipped. With a penalty (the library's
# solver) it is binary-only, and the checks expect three classes refused.
@parametrize_with_checks([LogisticRegressionGD(), LogisticRegressionGD(penalty="l2", lam=0.01)])
def test_passes_scikit_learns_estimator_checks(estimator, check):
    if getattr(check, "func", check).__name__ == "check_array_api_input":
        # Only for estimators that declare array-API support (scikit-learn skips it
        # otherwise): assert we do not claim it, rather than leave a skipped test.
        assert not estimator.__sklearn_tags__().array_api_support
        return
    check(estimator)


def test_matches_unpenalised_sklearn_on_two_features(two_features):
    X, y = two_features
    ours = LogisticRegressionGD(lr=0.5, epochs=3000).fit(X, y)
    ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=2e-3)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=2e-3)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-3)
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-2)
    assert (ours.predict(X) == ref.predict(X)).mean() > 0.99


def test_sklearn_shapes_and_history(lecture_data):
    model = LogisticRegressionGD(epochs=50)
    assert model.fit(lecture_data.x, lecture_data.y) is model  # Dataset.y is an n x 1 tensor
    assert model.coef_.shape == (1, 1) and model.intercept_.shape == (1,)
    assert model.loss_history_.shape == (50,)
    assert model.n_iter_.tolist() == [50] and model.n_features_in_ == 1
    np.testing.assert_array_equal(model.classes_, [0.0, 1.0])
    np.testing.assert_allclose(model.result_.params, [*model.intercept_, *model.coef_[0]])
    proba = model.predict_proba(lecture_data.x.numpy())
    assert proba.shape == (2000, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.decision_function(lecture_data.x).shape == (2000,)


def test_accepts_a_tensor_and_refuses_a_1d_array():
    x = np.linspace(-1, 1, 50).reshape(-1, 1)
    y = (x[:, 0] > 0).astype(float)
    a = LogisticRegressionGD(epochs=20).fit(x, y)
    tracked = torch.tensor(x, requires_grad=True)  # scikit-learn alone cannot read this one
    b = LogisticRegressionGD(epochs=20).fit(tracked, torch.tensor(y))
    np.testing.assert_allclose(a.coef_, b.coef_)
    # scikit-learn's contract: a 1-D X is ambiguous (one sample or one feature?), so refused
    with pytest.raises(ValueError, match="2D array"):
        LogisticRegressionGD(epochs=20).fit(x[:, 0], y)


def test_bad_settings_are_refused_at_fit_in_the_clis_words():
    model = LogisticRegressionGD(loss="hinge", lr=0, engine="gpu")  # stored, not checked
    assert model.get_params()["engine"] == "gpu"
    X, y = [[0.0], [1.0]], [0, 1]
    with pytest.raises(ConfigError, match="engine must be one of auto, eager, fused"):
        model.fit(X, y)
    with pytest.raises(ConfigError, match="loss must be one of bce, mse, got 'hinge'"):
        LogisticRegressionGD(loss="hinge").fit(X, y)
    with pytest.raises(ConfigError, match="lr must be a finite number > 0"):
        LogisticRegressionGD(lr=0).fit(X, y)
    with pytest.raises(ConfigError, match=r"epochs must be an integer from 1 to 10\*\*7"):
        LogisticRegressionGD(epochs=0).fit(X, y)


def test_bad_data_is_refused_with_value_errors():
    model = LogisticRegressionGD(epochs=5)
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict_proba([[0.0]])
    with pytest.raises(DataError, match="one class only"):
        model.fit([[0.0], [1.0]], [1, 1])
    with pytest.raises(ValueError, match="Unknown label type"):
        model.fit([[0.0], [1.0]], [0.5, 1.5])
    with pytest.raises(ValueError, match="NaN"):
        model.fit([[0.0], [np.nan]], [0, 1])
    model.fit([[0.0], [1.0]], [0, 3])  # any two labels are classes
    np.testing.assert_array_equal(model.classes_, [0, 3])
    with pytest.raises(ValueError, match="features"):
        model.predict_proba([[0.0, 1.0]])
    with pytest.raises(DataError, match="infinite"):
        model.predict([[np.inf]])


@pytest.mark.parametrize(
    ("negative", "positive"), [("No", "Yes"), (False, True), (-1.0, 2.0), (3, 7)]
)
def test_any_two_labels_round_trip_with_the_larger_one_positive(two_features, negative, positive):
    X, y01 = two_features
    labels = np.where(y01 == 1, positive, negative)
    model = LogisticRegressionGD(lr=0.5, epochs=300).fit(X, labels)
    reference = LogisticRegressionGD(lr=0.5, epochs=300).fit(X, y01)
    assert model.classes_.tolist() == [negative, positive]
    np.testing.assert_allclose(model.coef_, reference.coef_)
    predicted = model.predict(X)
    assert predicted.dtype == model.classes_.dtype
    np.testing.assert_array_equal(predicted == positive, reference.predict(X) == 1)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X))
    assert model.score(X, labels) == reference.score(X, y01) > 0.75


def test_string_labels_from_pandas_round_trip(two_features):
    X, y01 = two_features
    y = pd.Series(np.where(y01 == 1, "Yes", "No"))
    model = LogisticRegressionGD(lr=0.5, epochs=300).fit(X, y)
    assert set(model.predict(X)) == {"No", "Yes"}
    yes = model.predict_proba(X)[:, 1] > 0.5
    np.testing.assert_array_equal(model.predict(X) == "Yes", yes)


def test_set_params_and_clone_are_honoured(two_features):
    X, y = two_features
    model = LogisticRegressionGD(lr=0.05, epochs=100).fit(X, y)
    slow = model.coef_.copy()
    assert model.set_params(lr=0.5) is model
    fast = model.fit(X, y).coef_
    assert np.abs(fast - slow).max() > 0.1  # the changed lr took effect
    copy = clone(model)
    assert copy.get_params() == model.get_params() and copy.lr == 0.5
    assert not hasattr(copy, "coef_")
    np.testing.assert_allclose(copy.fit(X, y).coef_, fast)
    with pytest.raises(ConfigError, match="engine must be one of"):
        copy.set_params(engine="gpu").fit(X, y)


def test_works_in_a_pipeline_grid_search_and_cross_validation(unscaled):
    X, y = unscaled
    pipe = make_pipeline(StandardScaler(), LogisticRegressionGD(lr=0.5, epochs=500))
    assert pipe.fit(X, y).score(X, y) > 0.9
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.85
    grid = GridSearchCV(pipe, {"logisticregressiongd__lr": [0.001, 0.5]}, cv=3).fit(X, y)
    assert grid.best_params_ == {"logisticregressiongd__lr": 0.5}  # 500 tiny steps underfit
    assert grid.best_score_ > 0.85 and grid.score(X, y) > 0.9


def test_feature_names_from_a_dataframe_without_warnings(two_features):
    X, y = two_features
    frame = pd.DataFrame(X, columns=["age", "dose"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LogisticRegressionGD(lr=0.5, epochs=100).fit(frame, y)
        proba = model.predict_proba(frame)
        model.predict(frame), model.decision_function(frame), model.score(frame, y)
    assert model.feature_names_in_.tolist() == ["age", "dose"]
    assert model.result_.names == ("age", "dose")
    # scikit-learn's own checks: names are expected back, and must be the same ones
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_allclose(model.predict_proba(X), proba)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(frame.rename(columns={"dose": "weight"}))
    plain = LogisticRegressionGD(epochs=5).fit(X, y)
    assert not hasattr(plain, "feature_names_in_") and plain.result_.names == ("x1", "x2")


def test_import_logitlab_stays_light_until_the_estimator_is_used():
    code = (
        "import sys, logitlab\n"
        "assert not {'sklearn', 'torch', 'matplotlib'} & set(sys.modules), sys.modules.keys()\n"
        "logitlab.LogisticRegressionGD\n"
        "assert 'sklearn' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_separable_data_warn():
    X = np.linspace(-1, 1, 40).reshape(-1, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LogisticRegressionGD(epochs=50).fit(X, (X[:, 0] > 0).astype(int))
    assert any("separable" in str(w.message) for w in caught)


def test_week6_settings_reach_the_fit(two_features):
    """Adam on the full batch lands on the unpenalised MLE like SGD does; mini-batches and
    the start are the fit's own (the estimator passes them on, as TrainConfig holds them)."""
    X, y = two_features
    ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X, y)
    adam = LogisticRegressionGD(optimizer="adam", lr=0.05, epochs=2000).fit(X, y)
    np.testing.assert_allclose(adam.coef_, ref.coef_, atol=2e-3)
    np.testing.assert_allclose(adam.intercept_, ref.intercept_, atol=2e-3)
    settings = {"optimizer": "momentum", "nesterov": True, "momentum": 0.5, "batch_size": 64,
                "shuffle_seed": 4, "init": (0.1, 0.2, -0.3), "epochs": 20, "lr": 0.05}  # fmt: skip
    model = LogisticRegressionGD(**settings).fit(X, y)
    direct = fit(X, y, TrainConfig(**settings))
    np.testing.assert_allclose(model.coef_[0], direct.coef, rtol=1e-6)
    np.testing.assert_array_equal(model.result_.history.params[0], np.float32([0.1, 0.2, -0.3]))
    assert clone(model).get_params()["batch_size"] == 64


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"optimizer": "rmsprop"}, "optimizer must be one of sgd, momentum, adam"),
        ({"betas": (0.9, 1.0)}, "beta2 must be a number from 0 up to (not including) 1"),
        ({"eps": 0.0}, "eps must be a finite number > 0"),
        ({"batch_size": 601}, "batch size must be an integer from 1 to n, the number of points"),
        ({"init": (0.0, 1.0)}, "init must hold 3 numbers (w0 and one per feature), got 2"),
    ],
)
def test_bad_week6_settings_are_refused_at_fit(two_features, settings, words):
    model = LogisticRegressionGD(**settings)  # stored, not checked
    with pytest.raises(ConfigError, match=re.escape(words)):
        model.fit(*two_features)


def _frame_with(column: object) -> pd.DataFrame:
    return pd.DataFrame({"a": np.linspace(-1, 1, 6), "b": column})


LABELS = np.array([0, 1, 0, 1, 1, 0])
BAD_INPUT = {
    "infinity": (np.array([[0.0], [np.inf], [1.0]]), [0, 1, 0], "infinite"),
    "NaN": (np.array([[0.0], [np.nan], [1.0]]), [0, 1, 0], "NaN"),
    "NaN in y": (np.array([[0.0], [1.0], [2.0]]), [0.0, np.nan, 1.0], "NaN"),
    "3-D X": (np.zeros((4, 1, 1)), [0, 1, 0, 1], "dim 3"),
    "lengths": (np.zeros((4, 1)), [0, 1, 0], r"inconsistent numbers of samples: \[4, 3\]"),
    "no rows": (np.zeros((0, 2)), [], r"0 sample\(s\)"),
    "no columns": (np.zeros((4, 0)), [0, 1, 0, 1], r"0 feature\(s\)"),
    "category": (_frame_with(pd.Categorical(["lo", "hi"] * 3)), LABELS, "'b' holds categories"),
    "numeric category": (_frame_with(pd.Categorical([1, 2] * 3)), LABELS, "'b' holds categories"),
    "boolean with NA": (
        _frame_with(pd.array([True, None, False, True, None, False], dtype="boolean")),
        LABELS,
        r"missing values \(NaN, None or NA\) in column 'b' \(2 of 6 rows\)",
    ),
    "text": (_frame_with(list("xyzxyz")), LABELS, "could not convert string to float"),
}


@pytest.mark.parametrize(("X", "y", "words"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_raises_the_packages_data_error_on_one_line(X, y, words):
    """Not scikit-learn's bare ValueError: the package's own (still a ValueError), whose
    message the CLI and a notebook show as one line."""
    with pytest.raises(DataError, match=words) as caught:
        LogisticRegressionGD(epochs=5).fit(X, y)
    assert isinstance(caught.value, ValueError) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("X", "words"),
    [
        (np.array([[0.0, 1.0], [np.inf, 2.0]]), "infinite"),
        (np.array([[0.0, np.nan]]), "NaN"),
        (np.zeros((2, 2, 1)), "dim 3"),
        (np.zeros((2, 3)), "X has 3 features, but LogisticRegressionGD is expecting 2"),
        (_frame_with(pd.Categorical([1, 2] * 3)), "'b' holds categories"),
        (
            _frame_with(pd.array([True, None] * 3, dtype="boolean")),
            r"in column 'b' \(3 of 6 rows\)",
        ),
    ],
)
def test_predict_refuses_bad_input_as_fit_does(X, words):
    model = LogisticRegressionGD(epochs=5).fit(_frame_with(np.arange(6.0)).to_numpy(), LABELS)
    for method in (model.predict, model.predict_proba, model.decision_function):
        with pytest.raises(DataError, match=words) as caught:
            method(X)
        assert "\n" not in str(caught.value)


def test_a_descent_diverging_on_separable_data_says_separation():
    """lr=50 is stable here for ~4,000 epochs, while the logits grow as they do on any
    separable data, until they pass float32's range: a smaller lr would only delay it."""
    X = np.linspace(-1, 1, 40).reshape(-1, 1)
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(SeparationError, match="complete separation") as caught:
        LogisticRegressionGD(lr=50).fit(X, y)
    message = str(caught.value)
    assert "on separable data" in message and "try a smaller learning rate" not in message
    assert isinstance(caught.value.__cause__, DivergenceError)
    assert f"epoch {caught.value.__cause__.epoch} " in message
    # data that are not separable keep the divergence's own words
    with pytest.raises(DivergenceError, match="try a smaller learning rate"):
        LogisticRegressionGD(lr=1e4, epochs=5).fit(X, (np.abs(X[:, 0]) > 0.5).astype(int))


def test_grid_search_on_two_processes_gets_the_divergence_back(two_features):
    """A worker's DivergenceError is pickled back to the parent; it used to break the pool
    (BrokenProcessPool). Eager engine: no compiling in the fresh workers."""
    X, y = two_features
    grid = GridSearchCV(
        LogisticRegressionGD(epochs=5, engine="eager"),
        {"lr": [0.5, 1e4]},  # 1e4 diverges at the first epoch
        cv=2,
        n_jobs=2,
        error_score="raise",
    )
    with pytest.raises(DivergenceError, match="diverged at epoch 1 ") as caught:
        grid.fit(X, y)
    assert (caught.value.loss, caught.value.epoch) == ("bce", 1) and caught.value.value > 88


def test_the_default_step_is_auto_and_the_lectures_one_argument_away(lecture_data, two_features):
    assert LogisticRegressionGD().get_params()["lr"] == "auto"
    assert TrainConfig().lr == 0.05  # the lecture's default is unchanged
    X, y = two_features
    model = LogisticRegressionGD(epochs=20).fit(X, y)
    design = np.column_stack((np.ones(len(X)), X.astype(np.float32)))
    curvature = 0.25 * np.linalg.eigvalsh(design.T @ design / len(X))[-1]
    np.testing.assert_allclose(model.lr_, 1 / curvature, rtol=1e-12)
    # other optimizers keep TrainConfig's step under "auto"
    assert LogisticRegressionGD(optimizer="adam", epochs=5).fit(X, y).lr_ == 0.05
    lecture = LogisticRegressionGD(lr=0.05, epochs=200).fit(lecture_data.x, lecture_data.y)
    direct = fit(lecture_data.x, lecture_data.y, TrainConfig(epochs=200))
    assert lecture.lr_ == 0.05
    np.testing.assert_allclose(lecture.result_.params, direct.params, rtol=1e-12, atol=1e-12)
    with pytest.raises(ConfigError, match="lr must be a number > 0 or 'auto', got 'fast'"):
        LogisticRegressionGD(lr="fast").fit(X, y)


def test_the_default_step_learns_where_the_lectures_diverges(two_features):
    """A feature 35 times wider: lr=0.05 overshoots along it; the automatic step does not."""
    X, y = two_features
    X = X * [1.0, 35.0]
    with pytest.raises(DivergenceError):
        LogisticRegressionGD(lr=0.05, epochs=100).fit(X, y)
    model = LogisticRegressionGD().fit(X, y)
    ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X, y)
    # 10,000 plain steps on columns whose curvatures differ ~1,200-fold: near the MLE, not on it
    np.testing.assert_allclose(model.predict_proba(X), ref.predict_proba(X), atol=0.05)


def test_cross_validation_on_separable_data_warns_once_per_fit_in_one_short_line():
    """A grid search fits 2 x 3 folds and the refit: seven warnings, each naming the
    separating direction by its largest few terms, not by all 31."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 30))
    y = (X @ rng.normal(size=30) > 0).astype(int)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GridSearchCV(LogisticRegressionGD(epochs=20), {"lr": [0.05, 0.5]}, cv=3).fit(X, y)
    messages = [str(w.message) for w in caught if issubclass(w.category, SeparationWarning)]
    assert len(messages) == 2 * 3 + 1
    for message in messages:
        assert "\n" not in message and len(message) < 320, message
        assert re.search(r"\(and \d+ more terms\) is > 0 for every y = 1", message), message


def test_the_settings_are_train_configs_fields_with_its_defaults():
    from dataclasses import fields

    from logitlab.config import TrainConfig

    params = LogisticRegressionGD().get_params()
    config = {f.name: f.default for f in fields(TrainConfig)}
    penalty = {f.name: f.default for f in fields(FitSettings)
               if f.name in ("penalty", "lam", "l1_ratio", "folds", "split_seed")}  # fmt: skip
    assert params == config | {"lr": "auto", "progress": False} | penalty
    assert penalty == {"penalty": None, "lam": None, "l1_ratio": None, "folds": 10,
                       "split_seed": 0}  # fmt: skip
    with pytest.raises(TypeError, match="'start'"):
        LogisticRegressionGD(start=(0.0, 0.0))


def test_sample_weights_are_frequencies_the_rows_repeated_in_any_order(two_features):
    X, y = two_features
    w = np.random.default_rng(2).integers(0, 4, len(y))
    weighted = LogisticRegressionGD(lr=0.5, epochs=300).fit(X, y, sample_weight=w)
    rows = np.random.default_rng(3).permutation(np.repeat(np.arange(len(y)), w))
    repeated = LogisticRegressionGD(lr=0.5, epochs=300).fit(X[rows], y[rows])
    np.testing.assert_array_equal(weighted.coef_, repeated.coef_)  # the same rows, same code
    np.testing.assert_array_equal(weighted.intercept_, repeated.intercept_)
    reference = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000)
    reference.fit(X, y, sample_weight=w)
    long = LogisticRegressionGD(lr=0.5, epochs=3000).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(long.coef_, reference.coef_, atol=2e-3)
    np.testing.assert_allclose(long.intercept_, reference.intercept_, atol=2e-3)


@pytest.mark.parametrize(
    ("weights", "words"),
    [
        ([1, 2.5, 1, 1], "sample_weight must hold whole numbers >= 0: index 1 holds 2.5"),
        ([1, 1, -1, 1], "index 2 holds -1"),
        ([0, 0, 0, 0], "sample_weight is zero for every row"),
        ([1, 1, 1], "sample_weight must hold one value per row of X (4)"),
    ],
)
def test_bad_sample_weights_are_refused_in_one_line(weights, words):
    X, y = [[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1]
    with pytest.raises(DataError) as caught:
        LogisticRegressionGD(epochs=5).fit(X, y, sample_weight=weights)
    assert words in str(caught.value) and "\n" not in str(caught.value)


# Three classes or more: softmax regression, nn.Linear(d, K) under CrossEntropyLoss.


@pytest.fixture(scope="module")
def three_classes():
    """Three classes drawn from a softmax model, overlapping (the MLE exists): n = 300, d = 2."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    logits = X @ np.array([[0.0, 0.0], [1.5, -1.0], [-1.0, 2.0]]).T + [0.0, 0.3, -0.2]
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return X, (rng.random(300)[:, None] > p.cumsum(axis=1)).sum(axis=1)


def _centred(values: np.ndarray) -> np.ndarray:
    """Softmax weights less their mean over the classes: adding one vector to every class's
    row changes no probability, and scikit-learn's rows sum to zero over the classes."""
    return values - values.mean(axis=0)


def test_three_classes_land_on_sklearns_multinomial_fit(three_classes):
    """300 steps of 1 / L reach the unpenalised multinomial MLE to float32's precision
    (measured 8e-7 in the weights, 1.3e-7 in the probabilities)."""
    X, y = three_classes
    labels = np.array(["No", "Maybe", "Yes"])[y]
    ours = LogisticRegressionGD(epochs=300).fit(X, labels)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, labels)
    assert ours.classes_.tolist() == ref.classes_.tolist() == ["Maybe", "No", "Yes"]
    np.testing.assert_allclose(_centred(ours.coef_), ref.coef_, atol=1e-5)
    np.testing.assert_allclose(_centred(ours.intercept_), ref.intercept_, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    assert ours.score(X, labels) == ref.score(X, labels)


@pytest.mark.parametrize(
    "settings",
    [
        {"epochs": 60},
        {"optimizer": "adam", "lr": 0.05, "batch_size": 64, "shuffle_seed": 4, "epochs": 15},
    ],
    ids=["sgd full batch", "adam mini-batches"],
)
def test_three_classes_equal_cross_entropy_with_torch_optim(three_classes, settings):
    """The course's loop written out: nn.Linear(2, 3) drawn under the init seed,
    CrossEntropyLoss, torch.optim at the estimator's step, DataLoader's batches."""
    X, y = three_classes
    model = LogisticRegressionGD(**settings).fit(X, y)
    config = TrainConfig(**(settings | {"lr": model.lr_}))
    x, target = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    if config.batch_size is None:  # the estimator sorts a full batch's rows (its float32 sums
        order = np.lexsort((y, *X.T[::-1]))  # then depend on the set of rows): as it does
        x, target = x[order], target[order]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.init_seed)
        layer = torch.nn.Linear(2, 3)
    if config.optimizer == "adam":
        optimizer = torch.optim.Adam(layer.parameters(), lr=config.lr)
    else:
        optimizer = torch.optim.SGD(layer.parameters(), lr=config.lr)
    batches = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, target),
        batch_size=config.batch_size or len(y),
        shuffle=config.batch_size is not None,
        generator=torch.Generator().manual_seed(config.shuffle_seed),
    )
    losses = []
    with threads_for(x):  # one thread: on a busy machine torch's two took 40x as long
        for _ in range(config.epochs):
            with torch.no_grad():
                losses.append(torch.nn.functional.cross_entropy(layer(x), target).item())
            for xb, yb in batches:
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(layer(xb), yb).backward()
                optimizer.step()
    np.testing.assert_allclose(model.coef_, layer.weight.detach(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.intercept_, layer.bias.detach(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.loss_history_, losses, rtol=1e-6)
    assert model.n_iter_.tolist() == [config.epochs]


def test_three_classes_shapes_and_probabilities(three_classes):
    X, y = three_classes
    model = LogisticRegressionGD(epochs=30).fit(X, y)
    assert model.coef_.shape == (3, 2) and model.intercept_.shape == (3,)
    assert model.loss_history_.shape == (30,) and model.n_iter_.tolist() == [30]
    assert model.n_features_in_ == 2 and model.classes_.tolist() == [0, 1, 2]
    scores = model.decision_function(X[:7])
    assert scores.shape == (7, 3)
    np.testing.assert_allclose(scores, model.result_.decision_function(X[:7]), rtol=1e-14)
    proba = model.predict_proba(X)
    assert proba.shape == (300, 3)
    expected = torch.softmax(torch.tensor(model.decision_function(X)), dim=1).numpy()
    np.testing.assert_allclose(proba, expected, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=4e-16)
    np.testing.assert_array_equal(model.predict(X), proba.argmax(axis=1))
    # the mean cross-entropy at the last weights, as torch computes it in float32
    loss = -np.log(proba[np.arange(300), y]).mean()
    np.testing.assert_allclose(model.result_.final_loss, loss, rtol=1e-6)


def test_labels_of_any_order_are_sorted_and_each_column_is_its_class(three_classes):
    """Codes 0, 1, 2 named pear, apple, fig: classes_ sorts them (apple, fig, pear), and
    every column, logit and label follows its class."""
    X, y = three_classes
    names = pd.Series(np.array(["pear", "apple", "fig"])[y])
    model = LogisticRegressionGD(epochs=300).fit(X, names)
    reference = LogisticRegressionGD(epochs=300).fit(X, y)
    assert model.classes_.tolist() == ["apple", "fig", "pear"]
    order = [1, 2, 0]  # apple, fig and pear among the codes
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X)[:, order],
                               atol=1e-5)  # fmt: skip
    np.testing.assert_allclose(_centred(model.coef_), _centred(reference.coef_)[order], atol=1e-5)
    relabelled = np.array(["pear", "apple", "fig"])[reference.predict(X)]
    np.testing.assert_array_equal(model.predict(X), relabelled)
    assert model.score(X, names) == reference.score(X, y) > 0.6
    # names in the codes' own order: the same fit, label for label
    same = LogisticRegressionGD(epochs=300).fit(X, np.array(["a", "b", "c"])[y])
    np.testing.assert_array_equal(same.coef_, reference.coef_)  # the same code, same rows
    np.testing.assert_array_equal(same.predict(X), np.array(["a", "b", "c"])[reference.predict(X)])


def test_two_labels_keep_the_binary_model(two_features, three_classes):
    """Two classes are the lecture's model as before: one logit (coef_ 1 x d), the binary
    engine, the step 1 / (1/4 x the largest eigenvalue of [1 X]'[1 X] / n); three take the
    softmax bound, 1/2 (SOFTMAX_CURVATURE)."""
    X, y = two_features
    model = LogisticRegressionGD(epochs=200).fit(X, y)
    assert model.coef_.shape == (1, 2) and model.intercept_.shape == (1,)
    assert model.decision_function(X).shape == (600,)
    order = np.lexsort((y, *X.T[::-1]))  # the rows as the estimator sorts a full batch
    direct = fit(X[order], y[order], TrainConfig(lr=model.lr_, epochs=200))
    np.testing.assert_array_equal(model.result_.params, direct.params)  # the same code
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-model.decision_function(X))),
                               rtol=1e-13)  # fmt: skip
    X3, y3 = three_classes
    for data, labels, curvature in ((X, y, 0.25), (X3, y3, 0.5)):
        design = np.column_stack((np.ones(len(data)), data.astype(np.float32)))
        largest = np.linalg.eigvalsh(design.T @ design / len(data))[-1]
        step = LogisticRegressionGD(epochs=1).fit(data, labels).lr_
        np.testing.assert_allclose(step, 1 / (curvature * largest), rtol=1e-12)


def test_three_classes_sample_weights_are_the_rows_repeated(three_classes):
    X, y = three_classes
    w = np.random.default_rng(2).integers(0, 4, len(y))
    weighted = LogisticRegressionGD(epochs=300).fit(X, y, sample_weight=w)
    rows = np.random.default_rng(3).permutation(np.repeat(np.arange(len(y)), w))
    repeated = LogisticRegressionGD(epochs=300).fit(X[rows], y[rows])
    np.testing.assert_array_equal(weighted.coef_, repeated.coef_)  # the same rows, same code
    np.testing.assert_array_equal(weighted.intercept_, repeated.intercept_)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(_centred(weighted.coef_), ref.coef_, atol=1e-5)
    np.testing.assert_allclose(weighted.predict_proba(X), ref.predict_proba(X), atol=1e-5)


def test_three_classes_clone_and_set_params(three_classes):
    X, y = three_classes
    model = LogisticRegressionGD(lr=0.05, epochs=40).fit(X, y)
    slow = model.coef_.copy()
    fast = model.set_params(lr=1.0).fit(X, y).coef_
    assert model.lr_ == 1.0 and np.abs(fast - slow).max() > 0.1  # the changed lr took effect
    copy = clone(model)
    assert copy.get_params() == model.get_params() and not hasattr(copy, "coef_")
    np.testing.assert_array_equal(copy.fit(X, y).coef_, fast)
    grid = GridSearchCV(LogisticRegressionGD(epochs=100), {"lr": [0.001, "auto"]}, cv=3)
    assert grid.fit(X, y).best_params_ == {"lr": "auto"}  # 100 tiny steps underfit


def test_three_separable_classes_warn_and_a_divergence_there_says_separation():
    X = np.linspace(-1, 1, 60).reshape(-1, 1)
    y = np.digitize(X[:, 0], [-0.3, 0.4])  # three runs of x: each class split off by x
    with pytest.warns(SeparationWarning, match=r"class 0 \(y = 1\) against the others"):
        LogisticRegressionGD(epochs=20).fit(X, y)
    # a step so large the float32 weights overflow at once
    with pytest.raises(SeparationError, match="on separable data: class 0 ") as caught:
        LogisticRegressionGD(lr=1e38, epochs=5).fit(X, y)
    assert isinstance(caught.value.__cause__, DivergenceError)
    assert "\n" not in str(caught.value) and "float32 holds 88" not in str(caught.value)
    rng = np.random.default_rng(0)
    mixed = rng.integers(0, 3, 60)  # not separable: the divergence keeps its own words
    with pytest.raises(DivergenceError, match="try a smaller learning rate"):
        LogisticRegressionGD(lr=1e38, epochs=5).fit(X, mixed)


def test_three_classes_refuse_the_binary_models_settings_at_fit(three_classes):
    X, y = three_classes
    for settings in ({"loss": "mse"}, {"init": (0.0, 0.0, 0.0)}):
        with pytest.raises(ConfigError) as caught:
            LogisticRegressionGD(epochs=5, **settings).fit(X, y)
        assert "\n" not in str(caught.value)
