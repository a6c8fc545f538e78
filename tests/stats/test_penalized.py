"""Penalized fits in glmnet's scaling against scikit-learn and glum at the same objective
(on standardized columns: scikit-learn's C = 1 / (n lam), l1_ratio = a; glum's alpha = lam),
the KKT conditions from an independent NumPy gradient, lambda_max, and the seeded CV."""

import glum
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from logitlab import ConfigError, DataError
from logitlab.config import FitSettings
from logitlab.stats import penalized

CASES = [(0.05, 0.0), (0.02, 1.0), (0.03, 0.5)]


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
def test_equals_scikit_learn(scaled_rows, lam, a) -> None:
    X, y = scaled_rows
    Z, _, _ = standardized(X)
    solver = "lbfgs" if a == 0.0 else "saga"
    peer = LogisticRegression(C=1.0 / (len(y) * lam), l1_ratio=a, solver=solver, tol=1e-14,
                              max_iter=100_000).fit(Z, y)  # fmt: skip
    check_same(X, y, lam, a, np.r_[peer.intercept_, peer.coef_[0]])


@pytest.mark.parametrize(("lam", "a"), CASES)
def test_equals_glum(scaled_rows, lam, a) -> None:
    X, y = scaled_rows
    Z, _, _ = standardized(X)
    peer = glum.GeneralizedLinearRegressor(family="binomial", alpha=lam, l1_ratio=a,
                                           gradient_tol=1e-12, max_iter=1000).fit(Z, y)  # fmt: skip
    check_same(X, y, lam, a, np.r_[peer.intercept_, peer.coef_])


@pytest.mark.parametrize(("lam", "a"), CASES)
def test_kkt_conditions(scaled_rows, lam, a) -> None:
    """The mean log-loss's gradient on the standardized columns (NumPy, from scratch): 0 for
    the intercept, -lam ((1 - a) b + a sign b) for a nonzero b, at most lam a in size for a
    zero one."""
    X, y = scaled_rows
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
def test_lambda_max(scaled_rows, a) -> None:
    X, y = scaled_rows
    top = penalized.lambda_max(penalized.Problem(X, y), a)
    assert penalized.fit(X, y, top, a).nonzero == 0
    assert penalized.fit(X, y, top * 0.99, a).nonzero == 1
    lambdas = penalized.default_lambdas(penalized.Problem(X, y), a)
    assert len(lambdas) == 100 and lambdas[0] == top
    np.testing.assert_allclose(lambdas[-1], top * 1e-4, rtol=1e-12)


def test_cv_is_seeded(scaled_rows) -> None:
    """The same seed gives the same folds and curve; lambda_1se is at or above lambda_min,
    and the curve at lambda_min is a fold's held-out loss recomputed by hand on average."""
    X, y = scaled_rows
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


def test_constant_column_stays_zero(scaled_rows) -> None:
    X, y = scaled_rows
    with_constant = np.c_[X, np.full(len(y), 2.0)]
    fit = penalized.fit(with_constant, y, 0.03, 0.5)
    assert fit.params[-1] == 0.0
    np.testing.assert_allclose(fit.params[:-1], penalized.fit(X, y, 0.03, 0.5).params, atol=1e-9)


REFUSED = [(-1.0, 0.5, "lambda must be 0 or more"), (0.1, 1.5, "l1 ratio must be between 0 and 1")]


@pytest.mark.parametrize(("lam", "a", "words"), REFUSED)
def test_refusals(scaled_rows, lam, a, words) -> None:
    with pytest.raises(ConfigError, match=words):
        penalized.fit(*scaled_rows, lam, a)


def test_repr_is_one_short_line_and_the_card_escapes_names(scaled_rows) -> None:
    X, y = scaled_rows
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


def test_a_fit_a_path_and_a_curve_show_one_line_and_a_card(scaled_rows) -> None:
    X, y = scaled_rows
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
                          f"{penalized.passes_words(path.passes, path.sample_reads)})")  # fmt: skip
    card = path._repr_html_()
    assert f"{penalized.passes_words(path.passes, path.sample_reads)} in all" in card
    read = penalized.Path(path.lambdas, path.params, path.objectives, 1234, 5, 2)
    assert "1,234 passes and 2 sample reads in all" in read._repr_html_()
    assert card.count("<tr><td>") == len(path.lambdas)
    assert f"<tr><td>{path.lambdas[-1]:.4g}</td><td>{kept[-1]}</td>" in card
    best = int(np.argmin(cv.mean))
    line = repr(cv)
    assert "\n" not in line and len(line) < 200
    assert (f"lambda_min {cv.lambda_min:.4g} (log-loss {cv.mean[best]:.4f} ± {cv.se[best]:.4f}), "
            f"lambda_1se {cv.lambda_1se:.4g})") in line  # fmt: skip
    assert (f"<td>lambda_min</td><td>{cv.lambda_min:.4g}</td><td>{cv.mean[best]:.4f}</td>"
            in cv._repr_html_())  # fmt: skip


def test_a_pass_sums_the_loss_gradient_and_hessian_of_the_standardized_columns(scaled_rows) -> None:
    """Problem.sums against NumPy from scratch on Z = (X - mean) / sd: the loss and gradient
    in float64 (1e-12), the candidate columns' Hessian Z_S' W Z_S / n summed in float32
    (1e-5 relative: it only shapes the steps)."""
    X, y = scaled_rows
    Z, _, _ = standardized(X)
    problem = penalized.Problem(X, y)
    theta = np.array([0.2, 0.5, -0.3, 0.1, 0.0, 0.05, -0.2])
    columns = np.array([0, 1, 3, 4])
    loss, gradient = problem.sums(theta, columns)
    eta = theta[0] + Z @ theta[1:]
    p = 1.0 / (1.0 + np.exp(-eta))
    np.testing.assert_allclose(loss, np.mean(np.logaddexp(0.0, eta) - y * eta), rtol=1e-12)
    ones = np.c_[np.ones(len(y)), Z]
    np.testing.assert_allclose(gradient, ones.T @ (p - y) / len(y), rtol=0, atol=1e-12)
    kept, hessian = problem.kept
    block = ones[:, columns]
    reference = block.T @ (block * (p * (1 - p))[:, None]) / len(y)
    np.testing.assert_array_equal(kept, columns)
    np.testing.assert_allclose(hessian, reference, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(
        problem.kept_hessian(columns[[0, 2]]), hessian[np.ix_([0, 2], [0, 2])]
    )
    assert problem.kept_hessian(np.array([0, 2])) is None  # column 2 was not summed
    assert (problem.passes, problem.hessians) == (1, 1)


def test_kkt_brings_back_what_the_strong_rule_left_out(scaled_rows) -> None:
    """Told the previous lambda was 0, the strong rule keeps only columns with |gradient| >=
    2 lam at the null fit, leaving out some that the solution needs: the KKT check on every
    column brings them back, and the fit is the one from all columns."""
    X, y = scaled_rows
    lam = 0.02
    problem = penalized.Problem(X, y)
    gradient = problem.null_gradient()
    assert (np.abs(gradient[1:]) < 2 * lam).any()
    screened = penalized.solve(problem, lam, 1.0, start=problem.null_theta(), previous=0.0)
    whole = penalized.fit(X, y, lam, 1.0)
    assert screened.converged
    nonzero = screened.params[1:] != 0
    assert (nonzero & (np.abs(gradient[1:]) < 2 * lam)).any()  # one came back
    np.testing.assert_allclose(screened.params, whole.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(screened.objective, whole.objective, rtol=1e-14)


def test_a_path_equals_fits_from_scratch(scaled_rows) -> None:
    """Warm starts, kept Hessians and strong rules along the path change nothing: each
    lambda's fit equals a fresh one from the null fit (1e-8) and its objective (1e-12
    relative), with fewer Hessian passes than steps."""
    X, y = scaled_rows
    problem = penalized.Problem(X, y)
    lambdas = penalized.default_lambdas(problem, 0.7, count=20)
    path = penalized.fit_path(problem, lambdas, 0.7)
    for lam, params, value in zip(lambdas, path.params, path.objectives, strict=True):
        alone = penalized.fit(X, y, lam, 0.7)
        np.testing.assert_allclose(params, alone.params, rtol=0, atol=1e-8)
        np.testing.assert_allclose(value, alone.objective, rtol=1e-12)
    assert path.hessians < path.passes / 2


@pytest.mark.parametrize(("lam", "a"), CASES)
def test_frequency_weights_are_the_expanded_rows_and_scikit_learns_sample_weight(
    scaled_rows, lam, a
) -> None:
    """Each row counted w times (0 included): the fit of the expanded rows (1e-9, objective
    1e-12 relative) and scikit-learn's sample_weight on the columns standardized by their
    weighted mean and population SD, C = 1 / (sum w lam) (1e-6, objective 1e-8)."""
    X, y = scaled_rows
    w = np.random.default_rng(1).integers(0, 4, len(y)).astype(float)
    fit = penalized.fit(X, y, lam, a, weights=w)
    Xe, ye = np.repeat(X, w.astype(int), axis=0), np.repeat(y, w.astype(int))
    expanded = penalized.fit(Xe, ye, lam, a)
    assert fit.converged
    np.testing.assert_allclose(fit.params, expanded.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fit.objective, expanded.objective, rtol=1e-12)
    _, mean, sd = standardized(Xe)
    solver = "lbfgs" if a == 0.0 else "saga"
    peer = LogisticRegression(C=1.0 / (w.sum() * lam), l1_ratio=a, solver=solver, tol=1e-14,
                              max_iter=100_000)  # fmt: skip
    peer.fit((X - mean) / sd, y, sample_weight=w)
    params = original(np.r_[peer.intercept_, peer.coef_[0]], mean, sd)
    np.testing.assert_allclose(fit.params, params, rtol=0, atol=1e-6)
    value = penalized.objective(X, y, params, lam, a, weights=w)
    np.testing.assert_allclose(value, penalized.objective(Xe, ye, params, lam, a), rtol=1e-12)
    assert abs(fit.objective - value) <= 1e-8 * abs(value)


@pytest.mark.parametrize(
    ("weights", "words"),
    [
        ([1.5] * 300, "weights must hold whole numbers >= 0: index 0 holds 1.5"),
        ([0] * 300, "weights are 0 for every row"),
    ],
)
def test_weights_refused(scaled_rows, weights, words) -> None:
    with pytest.raises(DataError, match=words):
        penalized.fit(*scaled_rows, 0.01, 1.0, weights=weights)


def test_far_from_the_minimum_the_hessian_is_a_sample_of_blocks(scaled_rows, monkeypatch) -> None:
    """With blocks of 32 rows and samples of 64 rows or more, a stride-4 Hessian is that of
    blocks 0, 4 and 8 (NumPy, 1e-5 relative: float32); the fit, whose first Hessians are
    sampled, converges to the unsampled fit's point (1e-9, objective 1e-13 relative)."""
    X, y = scaled_rows
    whole = penalized.fit(X, y, 0.02, 1.0)
    monkeypatch.setattr(penalized, "ROWS", 32)
    monkeypatch.setattr(penalized, "SAMPLE_ROWS", 64)
    problem = penalized.Problem(X, y)
    assert problem.sample_stride() == len(y) // 64
    theta = np.array([0.2, 0.5, -0.3, 0.1, 0.0, 0.05, -0.2])
    columns = np.arange(7)
    problem.sums(theta, columns, 4)
    rows = (np.arange(len(y)) // 32) % 4 == 0
    Z, _, _ = standardized(X)
    block = np.c_[np.ones(rows.sum()), Z[rows]]
    p = 1.0 / (1.0 + np.exp(-(block @ theta)))
    reference = block.T @ (block * (p * (1 - p))[:, None]) / rows.sum()
    np.testing.assert_allclose(problem.kept[1], reference, rtol=1e-5, atol=1e-6)
    sampled = penalized.fit(X, y, 0.02, 1.0)
    np.testing.assert_allclose(sampled.params, whole.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(sampled.objective, whole.objective, rtol=1e-13)


def grouped(scaled_rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows' design with 1 to 5 trials a row and binomial successes."""
    X, _ = scaled_rows
    rng = np.random.default_rng(2)
    m = rng.integers(1, 6, len(X)).astype(float)
    p = 1.0 / (1.0 + np.exp(-0.8 * (X[:, 0] - 3.0) + 0.3 * (X[:, 2] - 3.0)))
    return X, rng.binomial(m.astype(int), p).astype(float), m


def bernoulli(X, s, m) -> tuple[np.ndarray, np.ndarray]:
    """Grouped rows as their s ones and m - s zeros."""
    rows = np.arange(len(s))
    ones, zeros = np.repeat(rows, s.astype(int)), np.repeat(rows, (m - s).astype(int))
    return X[np.r_[ones, zeros]], np.r_[np.ones(len(ones)), np.zeros(len(zeros))]


@pytest.mark.parametrize(("lam", "a"), CASES)
def test_trials_are_the_expanded_bernoulli_rows(scaled_rows, lam, a) -> None:
    """s successes of m trials: the fit of s rows of 1 and m - s rows of 0 (1e-9, objective
    1e-12 relative): the mean log-loss is over the sum of the trials."""
    X, s, m = grouped(scaled_rows)
    fit = penalized.fit(X, s, lam, a, trials=m)
    expanded = penalized.fit(*bernoulli(X, s, m), lam, a)
    assert fit.converged
    np.testing.assert_allclose(fit.params, expanded.params, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fit.objective, expanded.objective, rtol=1e-12)


def test_fit_result_counts_trials_as_the_mle_does(scaled_rows) -> None:
    """nobs the rows, llnull and llsat the grouped MLE's (binomial coefficients included), the
    log-likelihood at the estimate sum s eta - m log(1 + e^eta) + sum log C(m, s) (scipy)."""
    from scipy.special import comb

    from logitlab.stats import mle

    X, s, m = grouped(scaled_rows)
    names = tuple(f"x{j}" for j in range(X.shape[1]))
    result = penalized.fit_result(X, s, names, "l1", 0.02, trials=m)
    by_mle = mle.fit(X, s, trials=m, names=names)
    assert result.nobs == len(s) and result.grouped
    np.testing.assert_allclose([result.llnull, result.llsat], [by_mle.llnull, by_mle.llsat],
                               rtol=1e-12)  # fmt: skip
    eta = result.params[0] + X @ result.params[1:]
    loglik = s @ eta - m @ np.logaddexp(0.0, eta) + np.log(comb(m, s)).sum()
    np.testing.assert_allclose(result.loglik, loglik, rtol=1e-12)
    np.testing.assert_allclose(result.params, penalized.fit(X, s, 0.02, 1.0, trials=m).params,
                               rtol=0, atol=1e-12)  # fmt: skip


def test_weighted_cv_is_the_expanded_rows_cv_with_each_row_in_one_fold(scaled_rows) -> None:
    """Weights 0 to 3: the curve equals a cross-validation written out on the expanded rows
    whose copies share their row's fold (each fold's fits from scratch, its held-out mean
    log-loss over its copies, the folds weighted by their copies, cv.glmnet's SE): 1e-8."""
    X, y = scaled_rows
    w = np.random.default_rng(4).integers(0, 4, len(y)).astype(float)
    lambdas = penalized.default_lambdas(penalized.Problem(X, y, weights=w), 1.0, count=8)
    curve, path = penalized.cross_validate(X, y, 1.0, folds=4, seed=3, lambdas=lambdas,
                                           weights=w)  # fmt: skip
    fold = np.repeat(np.random.default_rng(3).permutation(len(y)) % 4, w.astype(int))
    Xe, ye = np.repeat(X, w.astype(int), axis=0), np.repeat(y, w.astype(int))
    losses = np.empty((4, len(lambdas)))
    for k in range(4):
        for i, lam in enumerate(lambdas):
            params = penalized.fit(Xe[fold != k], ye[fold != k], lam, 1.0).params
            eta = params[0] + Xe[fold == k] @ params[1:]
            losses[k, i] = np.mean(np.logaddexp(0.0, eta) - ye[fold == k] * eta)
    share = np.bincount(fold) / len(fold)
    mean = share @ losses
    np.testing.assert_allclose(curve.mean, mean, rtol=1e-8)
    np.testing.assert_allclose(curve.se, np.sqrt(share @ (losses - mean) ** 2 / 3), rtol=1e-6)
    assert curve.lambda_min == lambdas[np.argmin(mean)]
    np.testing.assert_allclose(path.params[-1], penalized.fit(Xe, ye, lambdas[-1], 1.0).params,
                               rtol=0, atol=1e-8)  # fmt: skip


def test_a_fold_of_no_weight_is_refused(scaled_rows) -> None:
    X, y = scaled_rows
    w = np.where(np.random.default_rng(0).permutation(len(y)) % 4 == 3, 0.0, 1.0)
    with pytest.raises(DataError, match="a fold holds no row of nonzero weight"):
        penalized.cross_validate(X, y, 1.0, folds=4, seed=0, weights=w)


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("counted", [False, True])
@pytest.mark.parametrize(("stride", "columns"),
                         [(1, [1, 3]), (3, [1, 3]), (3, []), (1, [0, 1, 2, 3])])  # fmt: skip
def test_block_sums_against_numpy_from_scratch(monkeypatch, compiled, counted, stride,
                                               columns) -> None:  # fmt: skip
    """block_sums, Numba's and NumPy's, on 1,000 rows in blocks of 64: the log-likelihood
    and score at coef (1e-12), and the information over the intercept and columns 1 and 3
    (or the intercept alone, or every column) of every stride-th block, centred at the
    means and weighted by m p (1 - p) (float32: 1e-5 relative), with the trials it was
    summed over (exact)."""
    monkeypatch.setattr(penalized, "ROWS", 64)
    rng = np.random.default_rng(5)
    n, d = 1000, 4
    X = rng.normal(size=(n, d)) * [1.0, 2.0, 0.5, 3.0] + [0.0, 1.0, -2.0, 5.0]
    m = rng.integers(0, 5, n).astype(float) if counted else None
    trials = np.ones(n) if m is None else m
    y = rng.binomial(trials.astype(int), 0.4).astype(float)
    coef = np.array([-0.4, 0.3, -0.2, 0.5, 0.1])
    mean = X.mean(axis=0)
    columns = np.array(columns, dtype=int)
    loglik, score, information, sampled = penalized.block_sums(
        X, y, m, coef, mean, columns, stride=stride, compiled=compiled
    )
    eta = coef[0] + X @ coef[1:]
    p = 1.0 / (1.0 + np.exp(-eta))
    np.testing.assert_allclose(loglik, y @ eta - trials @ np.logaddexp(0.0, eta), rtol=1e-12)
    ones = np.c_[np.ones(n), X]
    np.testing.assert_allclose(score, ones.T @ (y - trials * p), rtol=1e-12, atol=1e-9)
    rows = (np.arange(n) // 64) % stride == 0
    block = np.c_[np.ones(n), X[:, columns] - mean[columns]][rows]
    weight = (trials * p * (1 - p))[rows]
    np.testing.assert_allclose(information, block.T @ (block * weight[:, None]), rtol=1e-5)
    assert sampled == trials[rows].sum()
    assert penalized.block_sums(X, y, m, coef, mean, compiled=compiled)[2:] == (None, 0.0)


def test_the_compiled_pass_fits_as_numpy_does(scaled_rows, monkeypatch) -> None:
    """Fits whose passes run compiled (from 0 rows) equal NumPy's (1e-9, objectives 1e-13
    relative), with and without trials (their passes may differ by one: the float32
    Hessians round differently, and with them the predicted rates); the same code twice
    gives the same bits."""
    X, y = scaled_rows
    trials = np.arange(len(y)) % 3 + 1.0
    cases = [((X, y), {}, 0.02, 1.0), ((X, y * trials), {"trials": trials}, 0.05, 0.0)]
    for arrays, counts, lam, a in cases:
        numpy_fit = penalized.fit(*arrays, lam, a, **counts)
        monkeypatch.setattr(penalized, "COMPILED_ROWS", 0)
        compiled_fit = penalized.fit(*arrays, lam, a, **counts)
        again = penalized.fit(*arrays, lam, a, **counts)
        monkeypatch.undo()
        np.testing.assert_allclose(compiled_fit.params, numpy_fit.params, rtol=0, atol=1e-9)
        np.testing.assert_allclose(compiled_fit.objective, numpy_fit.objective, rtol=1e-13)
        assert compiled_fit.converged and numpy_fit.converged
        np.testing.assert_array_equal(again.params, compiled_fit.params)


@pytest.mark.parametrize("compiled", [False, True])
def test_column_sums_are_the_weighted_sums_and_squares(monkeypatch, compiled) -> None:
    """column_sums, Numba's and NumPy's, in blocks of 64 rows: sum m x and sum m x^2 of
    each column (1e-13), m one each when None."""
    monkeypatch.setattr(penalized, "ROWS", 64)
    rng = np.random.default_rng(8)
    X = rng.normal(size=(1000, 3)) * [1.0, 10.0, 0.1] + [5.0, -1.0, 0.0]
    m = rng.integers(0, 4, 1000).astype(float)
    for weight in (None, m):
        w = np.ones(1000) if weight is None else weight
        sums, squares = penalized.column_sums(X, weight, compiled)
        np.testing.assert_allclose(sums, w @ X, rtol=1e-13)
        np.testing.assert_allclose(squares, w @ X**2, rtol=1e-13)


def test_the_null_start_is_known_without_a_pass(scaled_rows) -> None:
    """The intercept-only fit's loss and gradient, from the columns' sums of m x and s x,
    equal a pass's there (1e-13), with and without trials, and cost no pass; with one class
    alone nothing is kept and the fit refuses it in one line."""
    X, y = scaled_rows
    trials = np.arange(len(y)) % 4 + 1.0
    for counted in ({}, {"trials": trials}):
        labels = y * trials if counted else y
        problem = penalized.Problem(X, labels, **counted)
        loss, gradient = problem.sums(problem.null_theta())
        assert problem.passes == 0
        problem.last = None
        pass_loss, pass_gradient = problem.sums(problem.null_theta())
        assert problem.passes == 1
        np.testing.assert_allclose(loss, pass_loss, rtol=1e-13)
        np.testing.assert_allclose(gradient, pass_gradient, rtol=0, atol=1e-13)
    problem = penalized.Problem(X, np.zeros(len(y)))
    assert problem.last is None
    with pytest.raises(DataError, match="both classes"):
        problem.null_gradient()


@pytest.mark.parametrize("counted", [False, True])
def test_a_sampled_hessian_at_the_last_point_reads_the_sample_alone(scaled_rows, monkeypatch,
                                                                    counted) -> None:  # fmt: skip
    """At the last pass's point a stride-4 Hessian (blocks of 32 rows) is summed from the
    sample's rows alone: the same Hessian as the whole pass's (float32 sums grouped
    otherwise: 1e-6 relative), the loss and gradient the last pass's, the same bits."""
    X, y = scaled_rows
    monkeypatch.setattr(penalized, "ROWS", 32)
    trials = np.arange(len(y)) % 3 + 1.0
    arrays = (X, y * trials) if counted else (X, y)
    problem = penalized.Problem(*arrays, trials=trials if counted else None)
    theta, columns = np.array([0.2, 0.5, -0.3, 0.1, 0.0, 0.05, -0.2]), np.array([0, 2, 5])
    whole = problem.sums(theta, columns, 4)
    hessian = problem.kept[1]
    sample = problem.sums(theta, columns, 4)
    assert sample is whole
    assert (problem.passes, problem.sample_reads, problem.hessians) == (1, 1, 2)
    np.testing.assert_allclose(problem.kept[1], hessian, rtol=1e-6)
    problem.sums(theta, columns)  # every row's Hessian: not the sample's
    assert not np.allclose(problem.kept[1], hessian, rtol=1e-3)


@pytest.mark.parametrize(("lam", "a"), CASES)
def test_the_last_step_is_taken_on_the_models_word(scaled_rows, lam, a) -> None:
    """The fit's last step is taken without a pass: its objective, the quadratic model's,
    equals the objective summed at the fit's params (1e-14 relative), and the problem's
    last pass is one step short of them (within 1e-8)."""
    X, y = scaled_rows
    problem = penalized.Problem(X, y)
    fit = penalized.solve(problem, lam, a)
    value = penalized.objective(X, y, fit.params, lam, a)
    np.testing.assert_allclose(fit.objective, value, rtol=1e-14)
    summed = problem.to_original @ problem.last[0]
    assert not np.array_equal(summed, fit.params)
    np.testing.assert_allclose(summed, fit.params, rtol=0, atol=1e-8)


@pytest.mark.parametrize("compiled", [False, True])
def test_no_rows_add_nothing(compiled) -> None:
    """A chunk of no rows (a shard's) adds zeros of the sums' shapes, compiled or not."""
    x, y, coef, mean = np.empty((0, 3)), np.empty(0), np.array([0.1, 0.2, -0.3, 0.4]), np.ones(3)
    loglik, score, information, sampled = penalized.block_sums(
        x, y, None, coef, mean, np.array([0, 2]), compiled=compiled
    )
    assert (loglik, sampled) == (0.0, 0.0)
    np.testing.assert_array_equal(score, np.zeros(4))
    np.testing.assert_array_equal(information, np.zeros((3, 3)))
    sums, squares = penalized.column_sums(x, None, compiled)
    np.testing.assert_array_equal(np.r_[sums, squares], np.zeros(6))


@pytest.mark.parametrize(("passes", "sample_reads", "words"),
                         [(6, 0, "6 passes"), (5, 1, "5 passes and 1 sample read"),
                          (7, 2, "7 passes and 2 sample reads")])  # fmt: skip
def test_passes_are_named_apart_from_sample_reads(passes, sample_reads, words) -> None:
    assert penalized.passes_words(passes, sample_reads) == words


@pytest.mark.parametrize("counted", [False, True])
def test_passes_count_reads_of_every_row_and_sample_reads_the_samples_alone(
    scaled_rows, monkeypatch, counted
) -> None:
    """The rows block_sums is given over a fit whose first Hessians are sampled (blocks of
    32 rows, samples of 64 or more) are passes x n plus sample_reads x the sample's rows;
    the null start's sampled Hessian is a sample read, and the result reports both counts."""
    X, y = scaled_rows
    monkeypatch.setattr(penalized, "ROWS", 32)
    monkeypatch.setattr(penalized, "SAMPLE_ROWS", 64)
    trials = np.arange(len(y)) % 3 + 1.0
    arrays = (X, y * trials) if counted else (X, y)
    problem = penalized.Problem(*arrays, trials=trials if counted else None)
    stride = problem.sample_stride()
    sample = int(((np.arange(len(y)) // 32) % stride == 0).sum())
    read = [0]
    block_sums = penalized.block_sums

    def counting(x, *args, **kwargs):
        read[0] += len(x)
        return block_sums(x, *args, **kwargs)

    monkeypatch.setattr(penalized, "block_sums", counting)
    fit = penalized.solve(problem, 0.02, 1.0)
    assert fit.sample_reads >= 1 and fit.passes >= 1
    assert (fit.passes, fit.sample_reads) == (problem.passes, problem.sample_reads)
    assert read[0] == fit.passes * len(y) + fit.sample_reads * sample


@pytest.mark.parametrize("ratio", [1.5, -0.25, "half"])
def test_the_solver_refuses_an_l1_ratio_in_the_settings_words(ratio) -> None:
    with pytest.raises(ConfigError) as settings:
        FitSettings(penalty="elasticnet", lam=0.1, l1_ratio=ratio)
    with pytest.raises(ConfigError) as solver:
        penalized.check_penalty(0.1, ratio)
    assert str(solver.value) == str(settings.value) and "l1 ratio" in str(settings.value)
