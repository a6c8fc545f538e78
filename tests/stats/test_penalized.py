"""Penalized fits in glmnet's scaling against scikit-learn and glum at the same objective
(on standardized columns: scikit-learn's C = 1 / (n lam), l1_ratio = a; glum's alpha = lam),
the KKT conditions from an independent NumPy gradient, lambda_max, and the seeded CV."""

import glum
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from logitlab import ConfigError
from logitlab.stats import penalized

CASES = [(0.05, 0.0), (0.02, 1.0), (0.03, 0.5)]


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    """Columns of different scales and means, two of them correlated."""
    rng = np.random.default_rng(0)
    n, d = 300, 6
    X = rng.normal(size=(n, d)) * np.arange(1, d + 1) + 3.0
    X[:, 1] = 0.5 * X[:, 0] + rng.normal(size=n)
    eta = 0.8 * (X[:, 0] - 3.0) - 0.3 * (X[:, 2] - 3.0)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    return X, y


def standardized(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mean, sd = X.mean(axis=0), X.std(axis=0)
    return (X - mean) / sd, mean, sd


def original(theta: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Standardized coefficients (intercept first) on the original columns' scale."""
    return np.r_[theta[0] - (theta[1:] * mean / sd).sum(), theta[1:] / sd]


def check_same(X, y, lam, a, theta) -> None:
    _, mean, sd = standardized(X)
    fit = penalized.fit(X, y, lam, a)
    peer = original(theta, mean, sd)
    assert fit.converged
    np.testing.assert_allclose(fit.params, peer, rtol=0, atol=1e-6)
    value = penalized.objective(X, y, peer, lam, a)
    assert abs(fit.objective - value) <= 1e-8 * abs(value)
    assert fit.objective <= value + 1e-12  # ours is the lower one, or equal to rounding


@pytest.mark.parametrize(("lam", "a"), CASES)
def test_equals_scikit_learn(data, lam, a) -> None:
    X, y = data
    Z, _, _ = standardized(X)
    solver = "lbfgs" if a == 0.0 else "saga"
    peer = LogisticRegression(C=1.0 / (len(y) * lam), l1_ratio=a, solver=solver, tol=1e-14,
                              max_iter=100_000).fit(Z, y)  # fmt: skip
    check_same(X, y, lam, a, np.r_[peer.intercept_, peer.coef_[0]])


@pytest.mark.parametrize(("lam", "a"), CASES)
def test_equals_glum(data, lam, a) -> None:
    X, y = data
    Z, _, _ = standardized(X)
    peer = glum.GeneralizedLinearRegressor(family="binomial", alpha=lam, l1_ratio=a,
                                           gradient_tol=1e-12, max_iter=1000).fit(Z, y)  # fmt: skip
    check_same(X, y, lam, a, np.r_[peer.intercept_, peer.coef_])


@pytest.mark.parametrize(("lam", "a"), CASES)
def test_kkt_conditions(data, lam, a) -> None:
    """The mean log-loss's gradient on the standardized columns (NumPy, from scratch): 0 for
    the intercept, -lam ((1 - a) b + a sign b) for a nonzero b, at most lam a in size for a
    zero one."""
    X, y = data
    Z, mean, sd = standardized(X)
    fit = penalized.fit(X, y, lam, a)
    theta = np.r_[fit.params[0] + fit.params[1:] @ mean, fit.params[1:] * sd]
    p = 1.0 / (1.0 + np.exp(-(theta[0] + Z @ theta[1:])))
    gradient = np.r_[np.mean(p - y), Z.T @ (p - y) / len(y)]
    assert abs(gradient[0]) < 1e-10
    b, g = theta[1:], gradient[1:]
    on = b != 0
    np.testing.assert_allclose(g[on], -lam * ((1 - a) * b[on] + a * np.sign(b[on])), atol=1e-10)
    assert np.all(np.abs(g[~on]) <= lam * a + 1e-10)
    if a > 0:
        assert (~on).any()  # the case has zeros to check


@pytest.mark.parametrize("a", [1.0, 0.5])
def test_lambda_max(data, a) -> None:
    X, y = data
    top = penalized.lambda_max(penalized.Problem(X, y), a)
    assert penalized.fit(X, y, top, a).nonzero == 0
    assert penalized.fit(X, y, top * 0.99, a).nonzero == 1
    lambdas = penalized.default_lambdas(penalized.Problem(X, y), a)
    assert len(lambdas) == 100 and lambdas[0] == top
    np.testing.assert_allclose(lambdas[-1], top * 1e-4, rtol=1e-12)


def test_cv_is_seeded(data) -> None:
    """The same seed gives the same folds and curve; lambda_1se is at or above lambda_min,
    and the curve at lambda_min is a fold's held-out loss recomputed by hand on average."""
    X, y = data
    lambdas = penalized.default_lambdas(penalized.Problem(X, y), 1.0, count=12)
    first, path = penalized.cross_validate(X, y, 1.0, folds=4, seed=3, lambdas=lambdas)
    again, _ = penalized.cross_validate(X, y, 1.0, folds=4, seed=3, lambdas=lambdas)
    np.testing.assert_array_equal(first.mean, again.mean)
    assert first.lambda_min == again.lambda_min and first.lambda_1se >= first.lambda_min
    fold = np.random.default_rng(3).permutation(len(y)) % 4
    by_hand = []
    for k in range(4):
        part = penalized.fit(X[fold != k], y[fold != k], first.lambda_min, 1.0)
        eta = part.params[0] + X[fold == k] @ part.params[1:]
        by_hand.append(np.mean(np.logaddexp(0, eta) - y[fold == k] * eta))
    best = list(lambdas).index(first.lambda_min)
    np.testing.assert_allclose(first.mean[best], np.average(by_hand, weights=np.bincount(fold)),
                               rtol=1e-8)  # fmt: skip
    assert path.params.shape == (12, X.shape[1] + 1)
    np.testing.assert_allclose(path.params[best], penalized.fit(X, y, first.lambda_min, 1.0).params,
                               atol=1e-8)  # fmt: skip


def test_constant_column_stays_zero(data) -> None:
    X, y = data
    with_constant = np.c_[X, np.full(len(y), 2.0)]
    fit = penalized.fit(with_constant, y, 0.03, 0.5)
    assert fit.params[-1] == 0.0
    np.testing.assert_allclose(fit.params[:-1], penalized.fit(X, y, 0.03, 0.5).params, atol=1e-9)


REFUSED = [(-1.0, 0.5, "lambda must be 0 or more"), (0.1, 1.5, "l1 ratio must be between 0 and 1")]


@pytest.mark.parametrize(("lam", "a", "words"), REFUSED)
def test_refusals(data, lam, a, words) -> None:
    with pytest.raises(ConfigError, match=words):
        penalized.fit(*data, lam, a)


def test_repr_is_one_short_line_and_the_card_escapes_names(data) -> None:
    X, y = data
    names = ("<b>x0", *(f"x{j}" for j in range(1, X.shape[1])))
    fit = penalized.fit_result(X, y, names, "l1", 0.02)
    line = repr(fit)
    assert "\n" not in line and len(line) < 200 and "array" not in line
    assert f"{fit.nonzero} of {X.shape[1]} slopes nonzero" in line
    assert "l1 penalty, lambda 0.02" in line and f"objective {fit.objective:.4g}" in line
    assert f"{fit.params[0]:.4g}" in line
    card = fit._repr_html_()
    assert "&lt;b&gt;x0" in card and "<b>x0" not in card
    assert "<th>SE</th>" not in card  # no inference to show
    assert f"<td>{fit.params[1]:.4f}</td>" in card and f"{fit.objective:.4f}" in card


def test_a_fit_a_path_and_a_curve_show_one_line_and_a_card(data) -> None:
    X, y = data
    fit = penalized.fit(X, y, 0.02, 1.0)
    line = repr(fit)
    assert "\n" not in line and len(line) < 200 and "array" not in line
    assert f"objective {fit.objective:.6g}, {fit.nonzero} slopes nonzero" in line
    assert f"<td>column 1</td><td>{fit.params[1]:.4f}</td>" in fit._repr_html_()
    result = penalized.fit_result(X, y, tuple(f"x{j}" for j in range(X.shape[1])), "l1", "cv")
    path, cv = result.path, result.cv
    kept = np.count_nonzero(path.params[:, 1:], axis=1)
    assert repr(path) == (f"Path({len(path.lambdas)} lambdas {path.lambdas[0]:.4g} to "
                          f"{path.lambdas[-1]:.4g}, slopes nonzero {kept[0]} to {kept[-1]}, "
                          f"{path.passes} passes)")  # fmt: skip
    card = path._repr_html_()
    assert card.count("<tr><td>") == len(path.lambdas)
    assert f"<tr><td>{path.lambdas[-1]:.4g}</td><td>{kept[-1]}</td>" in card
    best = int(np.argmin(cv.mean))
    line = repr(cv)
    assert "\n" not in line and len(line) < 200
    assert (f"lambda_min {cv.lambda_min:.4g} (log-loss {cv.mean[best]:.4f} ± {cv.se[best]:.4f}), "
            f"lambda_1se {cv.lambda_1se:.4g})") in line  # fmt: skip
    assert (f"<td>lambda_min</td><td>{cv.lambda_min:.4g}</td><td>{cv.mean[best]:.4f}</td>"
            in cv._repr_html_())  # fmt: skip
