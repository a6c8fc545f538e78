"""The maximum-likelihood reference against statsmodels' Logit, and its refusals."""

import numpy as np
import pytest
import statsmodels.api as sm

from logitlab import DataError, SeparationError
from logitlab.stats import mle


def statsmodels_fit(X, y):
    X = np.asarray(X, dtype=float).reshape(len(y), -1)
    model = sm.Logit(np.asarray(y, dtype=float), sm.add_constant(X, has_constant="add"))
    return model.fit(disp=0, method="newton", tol=1e-12, maxiter=100)


def assert_matches(result, reference):
    np.testing.assert_allclose(result.coef, reference.params, atol=1e-6, rtol=0)
    np.testing.assert_allclose(result.se, reference.bse, atol=1e-6, rtol=0)
    np.testing.assert_allclose(result.ci, reference.conf_int(), atol=1e-6, rtol=0)
    np.testing.assert_allclose(result.pvalues, reference.pvalues, atol=1e-6, rtol=0)
    assert result.loglik == pytest.approx(reference.llf, abs=1e-6)
    assert result.converged


def test_lecture_data_matches_statsmodels(lecture_data):
    x = lecture_data.x.double().numpy()
    y = lecture_data.y.double().numpy().ravel()
    result = mle.fit(lecture_data.x, lecture_data.y)
    assert_matches(result, statsmodels_fit(x, y))
    assert result.names == ("Intercept", "x1")


def test_multi_feature_data_matches_statsmodels():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(600, 4)) * [1.0, 3.0, 0.2, 10.0] + [0.0, 1.0, 0.0, -5.0]
    eta = 0.3 + X @ np.array([0.8, -0.4, 2.0, 0.05])
    y = (rng.random(600) < 1 / (1 + np.exp(-eta))).astype(float)
    assert_matches(mle.fit(X, y), statsmodels_fit(X, y))


def test_without_intercept_matches_statsmodels():
    rng = np.random.default_rng(3)
    X = np.column_stack((np.ones(300), rng.normal(size=300)))
    y = (rng.random(300) < 1 / (1 + np.exp(-(X @ [0.5, 1.5])))).astype(float)
    reference = sm.Logit(y, X).fit(disp=0, method="newton", tol=1e-12)
    result = mle.fit(X, y, intercept=False, names=("one", "x"))
    np.testing.assert_allclose(result.coef, reference.params, atol=1e-6)
    np.testing.assert_allclose(result.se, reference.bse, atol=1e-6)


def test_summary_table_lists_each_coefficient(lecture_data):
    result = mle.fit(lecture_data.x, lecture_data.y)
    text = result.summary()
    for name, b, s in zip(result.names, result.coef, result.se, strict=True):
        row = next(line for line in text.splitlines() if line.startswith(name))
        assert f"{b:.4f}" in row and f"{s:.4f}" in row
    assert f"{result.loglik:.4f}" in text and "[0.025" in text


@pytest.mark.parametrize(
    ("X", "y", "kind"),
    [
        ([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0], [0, 0, 0, 1, 1, 1], "complete separation"),
        ([-2.0, -1.0, 0.0, 0.0, 1.0, 2.0], [0, 0, 0, 1, 1, 1], "quasi-complete separation"),
        (
            [[1, 0], [0, 1], [2, 1], [1, 3], [-1, -1], [3, -2], [-2, 0]],
            [1, 1, 1, 1, 0, 0, 0],
            "complete separation",
        ),
        ([0.1, 0.2, 0.3], [1, 1, 1], "every y is 1"),
    ],
)
def test_separation_is_refused(X, y, kind):
    with pytest.raises(SeparationError, match=kind) as info:
        mle.fit(X, y)
    message = str(info.value)
    assert "\n" not in message and "does not exist" in message


def test_separating_direction_in_the_message_really_separates():
    X = np.array([[1, 0], [0, 1], [2, 1], [1, 3], [-1, -1], [3, -2], [-2, 0]], dtype=float)
    y = np.array([1, 1, 1, 1, 0, 0, 0])
    with pytest.raises(SeparationError) as info:
        mle.fit(X, y)
    terms = str(info.value).split(": ", 1)[1].split(" is > 0")[0]
    values = dict(Intercept=1.0, x1=X[:, 0], x2=X[:, 1])
    score = eval(terms.replace(" ", ""), {}, values)  # e.g. "0.5*Intercept+0.25*x1+1*x2"
    assert np.all(score[y == 1] > 0) and np.all(score[y == 0] < 0)


GOOD_X = np.column_stack((np.linspace(-1, 1, 20), np.cos(np.arange(20))))
GOOD_Y = np.array([0, 1] * 10)


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (GOOD_X, np.r_[GOOD_Y[:-1], 2], "only 0 and 1"),
        (GOOD_X, np.r_[GOOD_Y[:-1], np.nan], "NaN or infinite"),
        (np.r_[GOOD_X[:-1], [[np.inf, 0.0]]], GOOD_Y, "NaN or infinite"),
        (np.r_[GOOD_X[:-1], [[np.nan, 0.0]]], GOOD_Y, "NaN or infinite"),
        (GOOD_X[:2], GOOD_Y[:2], "at least as many rows"),
        (np.column_stack((GOOD_X, np.full(20, 3.0))), GOOD_Y, "x3 of X is constant"),
        (np.column_stack((GOOD_X, GOOD_X[:, 0])), GOOD_Y, "x1 and x3 of X are identical"),
        (np.column_stack((GOOD_X, GOOD_X.sum(axis=1))), GOOD_Y, "linearly dependent"),
        (GOOD_X, GOOD_Y[:-1], "one label per row"),
    ],
)
def test_bad_input_gives_one_line_data_error(X, y, match):
    with pytest.raises(DataError, match=match) as info:
        mle.fit(X, y)
    assert not isinstance(info.value, SeparationError)
    assert "\n" not in str(info.value)
