import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from logitlab import LogisticRegressionGD
from logitlab.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def two_features():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2))
    p = 1 / (1 + np.exp(-(0.5 + X @ [1.5, -2.0])))
    return X, (rng.random(600) < p).astype(int)


def test_matches_unpenalised_sklearn_on_two_features(two_features):
    X, y = two_features
    ours = LogisticRegressionGD(lr=0.5, epochs=3000).fit(X, y)
    ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=2e-3)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=2e-3)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-3)
    assert (ours.predict(X) == ref.predict(X)).mean() > 0.99


def test_sklearn_shapes_and_history(lecture_data):
    model = LogisticRegressionGD(epochs=50)
    assert model.fit(lecture_data.x, lecture_data.y) is model
    assert model.coef_.shape == (1, 1) and model.intercept_.shape == (1,)
    assert model.loss_history_.shape == (50,)
    proba = model.predict_proba(lecture_data.x.numpy())
    assert proba.shape == (2000, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_accepts_a_1d_array_and_a_tensor():
    x = np.linspace(-1, 1, 50)
    y = (x > 0).astype(float)
    a = LogisticRegressionGD(epochs=20).fit(x, y)
    b = LogisticRegressionGD(epochs=20).fit(torch.tensor(x).reshape(-1, 1), torch.tensor(y))
    np.testing.assert_allclose(a.coef_, b.coef_)


def test_bad_settings_and_data_raise_the_packages_errors():
    with pytest.raises(ConfigError, match="loss must be one of"):
        LogisticRegressionGD(loss="hinge")
    with pytest.raises(ConfigError, match="lr"):
        LogisticRegressionGD(lr=0)
    model = LogisticRegressionGD(epochs=5)
    with pytest.raises(DataError, match="not fitted"):
        model.predict_proba([[0.0]])
    with pytest.raises(DataError, match="only 0 and 1"):
        model.fit([[0.0], [1.0]], [0, 3])
    model.fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(DataError, match="features"):
        model.predict_proba([[0.0, 1.0]])
