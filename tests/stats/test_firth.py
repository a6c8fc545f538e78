"""Firth's penalized likelihood against an independent NumPy implementation (plain Newton on
l*(b) = l(b) + 1/2 log det X'WX, its gradient and Hessian checked by finite differences),
the closed form of a 2 x 2 table, logistf's published fit of the sex2 data, the profile
intervals' definition, and (weights, trials) the expanded rows' fit."""

import math
import time
from functools import cache

import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import chi2, norm
from sklearn.datasets import load_breast_cancer

from logitlab import ConfigError, DataError, budget
from logitlab.stats import firth

#: logistf's sex2 data (Heinze and Schemper 2002; logistf's data-raw/sex2.txt): each
#: distinct row "case age oc vic vicl vis dia" and how often it occurs (239 rows).
SEX2 = {
    "0000010": 1, "0001000": 2, "0001010": 1, "0001100": 8, "0001110": 18, "0010000": 42,
    "0010010": 1, "0011000": 1, "0011100": 5, "0011110": 6, "0101100": 2, "0101110": 4,
    "0110000": 14, "0110010": 1, "0111000": 1, "0111110": 2, "1000010": 1, "1001000": 14,
    "1001010": 3, "1001100": 10, "1001110": 12, "1001111": 1, "1010000": 44, "1010001": 3,
    "1011000": 15, "1011001": 1, "1011010": 2, "1011100": 7, "1011110": 3, "1101000": 2,
    "1101010": 1, "1101011": 1, "1101100": 1, "1101111": 1, "1110000": 5, "1111000": 3,
}  # fmt: skip
SEX2_NAMES = ("age", "oc", "vic", "vicl", "vis", "dia")
#: logistf(case ~ age+oc+vic+vicl+vis+dia, data=sex2)$coefficients, as logistf's own tests
#: (tests/testthat/test-basic.R) publish them, to 8 decimals.
LOGISTF_SEX2 = [0.12025404, -1.10598130, -0.06881673, 2.26887464, -2.11140816, -0.78831694,
                3.09601263]  # fmt: skip


def sex2() -> tuple[np.ndarray, np.ndarray]:
    rows = np.array([[int(c) for c in key] for key, count in SEX2.items() for _ in range(count)])
    return rows[:, 1:].astype(float), rows[:, 0].astype(float)


def penalized(design: np.ndarray, y: np.ndarray, b: np.ndarray) -> float:
    """The reference l*(b), from scratch."""
    eta = design @ b
    p = 1.0 / (1.0 + np.exp(-eta))
    loglik = np.sum(y * eta - np.logaddexp(0.0, eta))
    info = design.T @ (design * (p * (1.0 - p))[:, None])
    return float(loglik + 0.5 * np.linalg.slogdet(info)[1])


def modified_score(design: np.ndarray, y: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The reference U*(b) = X'(y - p + h (1/2 - p)), h from the QR factor of W^1/2 X."""
    p = 1.0 / (1.0 + np.exp(-(design @ b)))
    q, _ = np.linalg.qr(design * np.sqrt(p * (1.0 - p))[:, None])
    h = np.sum(q * q, axis=1)
    return design.T @ (y - p + h * (0.5 - p))


def augmented_se(design, b):
    """logistf's standard errors: sqrt diag (X' diag(w (1 + h)) X)^-1, w = p (1 - p) and h
    the hat values from the QR factor of W^1/2 X."""
    p = 1.0 / (1.0 + np.exp(-(design @ b)))
    w = p * (1.0 - p)
    q, _ = np.linalg.qr(design * np.sqrt(w)[:, None])
    info = design.T @ (design * (w * (1.0 + np.sum(q * q, axis=1)))[:, None])
    return np.sqrt(np.diag(np.linalg.inv(info)))


def hessian(design, y, b, step=1e-5):
    """The Hessian of l*, by central differences of the reference modified score."""
    columns = []
    for j in range(len(b)):
        e = np.zeros(len(b))
        e[j] = step
        columns.append(
            (modified_score(design, y, b + e) - modified_score(design, y, b - e)) / 2 / step
        )
    h = np.column_stack(columns)
    return (h + h.T) / 2


def newton(design, y, b, free=None, iterations=100):
    """Plain Newton on l* over the free coefficients, with the numerical Hessian."""
    b = np.array(b, dtype=float)
    free = np.ones(len(b), dtype=bool) if free is None else free
    for _ in range(iterations):
        u = modified_score(design, y, b)[free]
        if np.abs(u).max(initial=0.0) < 1e-11:
            break
        step = np.linalg.solve(hessian(design, y, b)[np.ix_(free, free)], -u)
        b[free] += step / max(1.0, np.abs(step).max())
    return b


def with_ones(X):
    return np.column_stack((np.ones(len(X)), X))


def simulated(n=300, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 2.0, 0.5]
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(0.4 + X @ [1.0, -0.5, 2.0])))).astype(float)
    return X, y


def test_modified_score_is_the_gradient_of_the_penalized_likelihood():
    X, y = simulated()
    design, b = with_ones(X), np.array([0.3, 0.8, -0.4, 1.5])
    numeric = [
        (penalized(design, y, b + e) - penalized(design, y, b - e)) / 2e-6
        for e in np.eye(len(b)) * 1e-6
    ]
    np.testing.assert_allclose(modified_score(design, y, b), numeric, rtol=1e-6, atol=1e-6)
    # and the Hessian from it is l*'s second derivative (symmetric, negative definite here)
    assert np.all(np.linalg.eigvalsh(hessian(design, y, b)) < 0)


def test_hat_sums_are_the_modified_scores_and_logistfs_information_parts():
    """The sums a pass over a block of rows adds up: X'(h (1/2 - p)), U* less the ordinary
    score, and X' diag(p (1 - p) h) X, the augmented information less I (h from QR)."""
    X, y = simulated(n=50)
    design = np.column_stack((np.ones(len(y)), X))
    b = np.array([0.2, -0.4, 0.9, 0.1])
    p = 1.0 / (1.0 + np.exp(-(design @ b)))
    w = p * (1.0 - p)
    info = design.T @ (design * w[:, None])
    score, added = firth.hat_sums(design, p, np.linalg.inv(info), None, True)
    np.testing.assert_allclose(score, modified_score(design, y, b) - design.T @ (y - p),
                               rtol=1e-10, atol=1e-13)  # fmt: skip
    q, _ = np.linalg.qr(design * np.sqrt(w)[:, None])
    h = np.sum(q * q, axis=1)
    np.testing.assert_allclose(added, design.T @ (design * (w * h)[:, None]), rtol=1e-10,
                               atol=1e-13)  # fmt: skip
    twice, _ = firth.hat_sums(design, p, np.linalg.inv(2.0 * info), np.full(len(y), 2.0), False)
    np.testing.assert_allclose(twice, score, rtol=1e-12, atol=1e-14)  # two trials a row: h alike


def test_fit_equals_plain_newton_on_the_penalized_likelihood():
    X, y = simulated()
    result = firth.fit(X, y, names=("a", "b", "c"), profile=False)
    reference = newton(with_ones(X), y, np.zeros(4))
    np.testing.assert_allclose(result.params, reference, atol=1e-8, rtol=0)
    assert result.penalized_loglik == pytest.approx(
        penalized(with_ones(X), y, reference), abs=1e-10
    )
    assert result.converged and result.names == ("Intercept", "a", "b", "c")
    # logistf's standard errors at the estimate, the log-likelihood unpenalized
    np.testing.assert_allclose(result.se, augmented_se(with_ones(X), reference), rtol=1e-7)
    np.testing.assert_allclose(result.cov.diagonal(), result.se**2, rtol=1e-15)
    p = 1.0 / (1.0 + np.exp(-(with_ones(X) @ result.params)))
    assert result.loglik == pytest.approx(np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)), abs=1e-9)


@pytest.mark.parametrize("cells", [(7, 3, 2, 9), (5, 0, 4, 6), (0, 12, 8, 0)])
def test_two_by_two_table_adds_one_half_to_each_cell(cells):
    """With one 0/1 covariate the Firth estimate is the log odds with 1/2 added to every cell
    (zero cells too: separated tables have finite estimates)."""
    a, b, c, d = cells  # x = 0: a successes, b failures; x = 1: c successes, d failures
    x = np.repeat([0.0, 0.0, 1.0, 1.0], cells)
    y = np.repeat([1.0, 0.0, 1.0, 0.0], cells)
    result = firth.fit(x, y, profile=False)
    intercept = math.log((a + 0.5) / (b + 0.5))
    slope = math.log((c + 0.5) / (d + 0.5)) - intercept
    np.testing.assert_allclose(result.params, [intercept, slope], atol=1e-10, rtol=0)


def test_sex2_matches_logistf():
    """To logistf's own convergence: its steps stop at 1e-5, which leaves it ~1e-6 from the
    maximum here (dia: 3.0960126 published, 3.0960118 at the maximum)."""
    X, y = sex2()
    result = firth.fit(X, y, names=SEX2_NAMES, profile=False)
    np.testing.assert_allclose(result.params, LOGISTF_SEX2, atol=1e-6, rtol=0)
    assert result.nobs == 239 and result.converged


#: logistf's summary of logistf(case ~ age+oc+vic+vicl+vis+dia, data=sex2, alpha=0.1), as the
#: biostatUtil package's documentation prints it (reference/logistfPrint.md): per
#: coefficient se(coef), the 90% profile interval, the penalized likelihood-ratio Chisq and p;
#: "Likelihood ratio test=49.09064 on 6 df" and "Wald test = 31.96835" (summary.logistf.R:
#: b' var^-1 b over every coefficient, the intercept's too).
LOGISTF_SEX2_90 = {
    "lower": [-0.6673577, -1.8277045, -0.7986318, 1.4248338, -3.0613215, -1.4743338, 1.0835108],
    "upper": [0.9177303, -0.4328451, 0.6507581, 3.2325326, -1.2704704, -0.1137542, 6.8752016],
    "chisq": [0.06286298, 7.50773092, 0.02467044, 22.93139022, 19.10407252, 3.69740975,
              7.89693139],
    "p": [8.020268e-01, 6.143472e-03, 8.751911e-01, 1.678877e-06, 1.237805e-05, 5.449701e-02,
          4.951873e-03],
    "llr": 49.09064,
    "wald": 31.96835,
    "se": [0.4763429, 0.4149021, 0.4344026, 0.5384872, 0.5320395, 0.4089620, 1.5052197],
}  # fmt: skip


def test_sex2_profiles_and_likelihood_ratio_match_logistfs_summary():
    """To the printed digits: the profile intervals, each coefficient's penalized LR test
    and the model's, whose null keeps the full penalty with every slope 0 (logistf's
    loglik["null"]; the reference's, from scratch), and the standard errors, from the
    augmented data's information (to logistf's convergence: dia's 1.4e-6)."""
    X, y = sex2()
    result = firth.fit(X, y, names=SEX2_NAMES, conf_level=0.9)
    published = LOGISTF_SEX2_90
    lower, upper = result.conf_int().T
    np.testing.assert_allclose(lower, published["lower"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(upper, published["upper"], atol=1e-6, rtol=0)
    np.testing.assert_allclose(result.lr_chi2, published["chisq"], atol=1e-7, rtol=1e-7)
    np.testing.assert_allclose(result.pvalues, published["p"], atol=1e-12, rtol=1e-6)
    assert result.llr == pytest.approx(published["llr"], abs=1e-5)
    design = with_ones(X)
    null = newton(design, y, np.zeros(7), np.arange(7) == 0)
    assert result.penalized_llnull == pytest.approx(penalized(design, y, null), abs=1e-8)
    np.testing.assert_allclose(result.se, published["se"], atol=3e-6, rtol=0)
    np.testing.assert_allclose(result.se, augmented_se(design, result.params), rtol=1e-10)
    wald = result.params @ np.linalg.solve(result.cov, result.params)  # the covariances too
    assert wald == pytest.approx(published["wald"], abs=3e-5)


#: What a fit with its profiles reports, compared between weighted or grouped rows and the
#: 0/1 rows they stand for.
REPORTED = ("params", "se", "lr_chi2", "pvalues", "llr", "nobs", "penalized_llnull")


@cache
def sex2_expanded():
    """The fit of sex2's age, vic and dia, one 0/1 row per woman (dia's profile is far from
    Wald's), and those rows' distinct patterns with how often each occurs."""
    X, y = sex2()
    X = X[:, [0, 2, 5]]
    patterns, counts = np.unique(np.column_stack((X, y)), axis=0, return_counts=True)
    return firth.fit(X, y, names=("age", "vic", "dia"), profile=True), patterns, counts


def assert_same_fit(ours, expanded):
    """Every statistic of `ours` equal to the expanded rows' fit's, to 1e-8."""
    for name in REPORTED:
        np.testing.assert_allclose(getattr(ours, name), getattr(expanded, name), rtol=1e-8,
                                   atol=1e-8, err_msg=name)  # fmt: skip
    np.testing.assert_allclose(ours.conf_int(), expanded.conf_int(), rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ours.cov, expanded.cov, rtol=1e-8, atol=1e-12)
    assert ours.profiled and not ours.wald_terms and ours.converged


def test_frequency_weights_fit_as_the_expanded_rows():
    """logistf's weights=: a row of weight w is w rows (sex2's 239 women as 17 patterns with
    their counts, and a row of weight 0 that changes nothing): the estimate, logistf's
    standard errors, the profile intervals and penalized LR tests, to 1e-8."""
    expanded, patterns, counts = sex2_expanded()
    X = np.vstack((patterns[:, :3], [[1.0, 1.0, 1.0]]))
    y = np.append(patterns[:, 3], 0.0)
    weighted = firth.fit(X, y, names=("age", "vic", "dia"), profile=True,
                         weights=np.append(counts, 0))  # fmt: skip
    assert len(y) < 20 and weighted.nobs == 239
    assert_same_fit(weighted, expanded)
    for name in ("loglik", "llnull", "penalized_loglik", "aic", "bic"):
        assert getattr(weighted, name) == pytest.approx(getattr(expanded, name), abs=1e-8)


def test_grouped_rows_fit_as_their_successes_and_failures():
    """trials: s successes out of m are s rows of 1 and m - s of 0, but for the binomial
    coefficients log C(m, s) the (penalized) log-likelihoods add, as the MLE's do."""
    expanded, patterns, counts = sex2_expanded()
    groups, index = np.unique(patterns[:, :3], axis=0, return_inverse=True)
    trials = np.bincount(index, weights=counts)
    successes = np.bincount(index, weights=counts * patterns[:, 3])
    grouped = firth.fit(groups, successes, names=("age", "vic", "dia"), profile=True,
                        trials=trials)  # fmt: skip
    assert grouped.grouped and grouped.nobs == len(groups) < len(patterns)
    binomial = np.sum(gammaln(trials + 1) - gammaln(successes + 1)
                      - gammaln(trials - successes + 1))  # fmt: skip
    for name in ("params", "se", "lr_chi2", "pvalues", "llr"):
        np.testing.assert_allclose(getattr(grouped, name), getattr(expanded, name),
                                   rtol=1e-8, atol=1e-8, err_msg=name)  # fmt: skip
    np.testing.assert_allclose(grouped.conf_int(), expanded.conf_int(), rtol=1e-8, atol=1e-8)
    for name in ("loglik", "llnull", "penalized_loglik", "penalized_llnull"):
        assert getattr(grouped, name) - binomial == pytest.approx(getattr(expanded, name), abs=1e-8)


def test_separated_data_get_finite_estimates():
    X, y = separated()
    result = firth.fit(X, y, profile=False)
    assert np.all(np.isfinite(result.params)) and np.all(np.isfinite(result.se))
    np.testing.assert_allclose(result.params, newton(with_ones(X), y, np.zeros(4)), atol=1e-7)


def profile_gap(design, y, best, j, value):
    """2 (l*(best) - max l* with b_j = value), the others maximised by the reference."""
    free = np.arange(design.shape[1]) != j
    start = np.array(best, dtype=float)
    start[j] = value
    held = newton(design, y, start, free)
    return 2.0 * (penalized(design, y, best) - penalized(design, y, held))


@pytest.mark.parametrize("level", [0.95, 0.9])
def test_profile_bounds_are_where_the_penalized_ratio_reaches_its_quantile(level):
    X, y = sex2()
    X, y = X[:, [0, 2, 5]], y  # age, vic and dia (dia's profile is far from Wald's)
    result = firth.fit(X, y, conf_level=level, profile=True)
    design, q = with_ones(X), chi2.ppf(level, 1)
    lower, upper = result.conf_int().T
    for j in range(4):
        assert lower[j] < result.params[j] < upper[j]
        for bound in (lower[j], upper[j]):
            assert profile_gap(design, y, result.params, j, bound) == pytest.approx(q, abs=1e-6)
        ratio = profile_gap(design, y, result.params, j, 0.0)
        assert result.lr_chi2[j] == pytest.approx(ratio, abs=1e-6)
        assert result.pvalues[j] == pytest.approx(chi2.sf(ratio, 1), abs=1e-6)
    # logistf's null model: every slope at 0, the intercept fitted, the full model's penalty
    null = newton(design, y, np.zeros(4), np.arange(4) == 0)
    assert result.penalized_llnull == pytest.approx(penalized(design, y, null), abs=1e-8)
    assert result.llr == pytest.approx(2 * (result.penalized_loglik - result.penalized_llnull))


def test_profiles_of_separated_data_are_finite_and_asymmetric():
    x = np.repeat([0.0, 0.0, 1.0, 1.0], (5, 0, 4, 6))  # no failure at x = 0
    y = np.repeat([1.0, 0.0, 1.0, 0.0], (5, 0, 4, 6))
    result = firth.fit(x, y)
    (low, high) = result.conf_int()[0]
    assert np.isfinite([low, high]).all() and high - result.params[0] > result.params[0] - low
    for bound in (low, high):
        gap = profile_gap(with_ones(x[:, None]), y, result.params, 0, bound)
        assert gap == pytest.approx(chi2.ppf(0.95, 1), abs=1e-6)


def test_wald_beyond_the_profiles_budget(monkeypatch):
    X, y = simulated()
    monkeypatch.setattr(firth, "MAX_PROFILE_SECONDS", 0.0)
    result = firth.fit(X, y)
    assert not result.profiled and "Wald intervals and p-values" in result.note
    wald = firth.fit(X, y, profile=False)
    np.testing.assert_array_equal(result.conf_int(), wald.conf_int())
    se = result.se[:, None] * [-1, 1] * 1.959963984540054
    np.testing.assert_allclose(result.conf_int(), result.params[:, None] + se, rtol=1e-12)
    assert "Wald" in result.summary() and result.note in result.summary()


def separated(n=80, seed=5):
    X, _ = simulated(n=n, seed=seed)
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(float)  # complete separation


def test_profiles_stop_at_their_bound_on_a_separated_design():
    """A clock that ticks once a pass: the profiles take at most the passes they are given,
    those done equal the unbounded run's, the rest are left to Wald."""
    X, y = separated()
    names = ("Intercept", "a", "b", "c")

    def profiled(seconds):
        ticks = iter(range(10**6))
        fits = firth.Firth.in_memory(
            np.ascontiguousarray(X), y, True, names, clock=lambda: next(ticks)
        )
        best, _, converged, _ = fits.ascend(fits.start, np.ones(4, dtype=bool))
        before = fits.passes
        return fits.profile(best, converged, chi2.ppf(0.95, 1), seconds), fits.passes - before

    whole, passes = profiled(math.inf)
    assert whole.done == 4 and np.isfinite([whole.lower, whole.upper]).all()
    for limit in (passes // 3, passes // 2, 0):
        bounded, spent = profiled(limit)
        assert spent <= limit and bounded.done < 4
        done = slice(0, bounded.done)
        for name in ("lr", "lower", "upper"):
            np.testing.assert_array_equal(getattr(bounded, name)[done], getattr(whole, name)[done])
            assert np.isnan(getattr(bounded, name)[bounded.done :]).all()


def test_fit_names_the_coefficients_its_time_bound_left_wald(monkeypatch):
    """breast-cancer (30 separating columns; its profiles take ~10**4 passes, 6-8 s here):
    1 s of profiles, the rest Wald's and said, the fit back within that bound. The Wald
    statistics are those at the fit's own estimate: a profile that finds a higher maximum
    moves it (how far the profiles get in 1 s depends on the machine), so they are checked
    against the formula, and against the unprofiled fit only where the estimate stayed."""
    X, y = load_breast_cancer(return_X_y=True)
    names = tuple(f"x{j}" for j in range(30))
    start = time.perf_counter()
    wald = firth.fit(X, y, names=names, profile=False)
    alone = time.perf_counter() - start
    monkeypatch.setattr(firth, "MAX_PROFILE_SECONDS", 1.0)
    start = time.perf_counter()
    result = firth.fit(X, y, names=names)
    assert time.perf_counter() - start < 2 * alone + 1.0 + 1.0  # a climb to a higher maximum
    assert result.wald_terms and result.wald_terms == result.names[-len(result.wald_terms) :]
    left = len(result.names) - len(result.wald_terms)
    listed = f"for {', '.join(result.wald_terms)}: " if left else ""
    assert f"Wald intervals and p-values {listed}" in result.note and "1 s" in result.note
    assert result.note in result.summary() and result.profiled == (left > 0)
    z = result.params / result.se
    half = norm.ppf(0.975) * result.se
    np.testing.assert_allclose(result.conf_int()[left:, 0], (result.params - half)[left:],
                               rtol=1e-12, atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(result.conf_int()[left:, 1], (result.params + half)[left:],
                               rtol=1e-12, atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(result.pvalues[left:], 2 * norm.sf(np.abs(z))[left:],
                               rtol=1e-10, atol=1e-300)  # fmt: skip
    if np.array_equal(result.params, wald.params):
        np.testing.assert_array_equal(result.conf_int()[left:], wald.conf_int()[left:])
        np.testing.assert_array_equal(result.pvalues[left:], wald.pvalues[left:])
    assert np.isnan(result.lr_chi2[left:]).all() and np.isfinite(result.lr_chi2[:left]).all()


def test_the_profiles_estimate_counts_from_the_fits_own_passes():
    """budget.firth with the passes the fit took bounds the passes its profiles take, on a
    separated design and on sex2; a constant per coefficient did not (breast-cancer)."""
    for X, y in (separated(), sex2()):
        k = X.shape[1] + 1
        fitted = firth.fit(X, y, profile=False).passes
        profiled = firth.fit(X, y, profile=True).passes
        estimate = budget.firth(len(y), k, passes=fitted, profiled=True).seconds
        assert budget.firth(len(y), k, passes=profiled).seconds <= estimate


def test_summary_says_which_statistics_are_penalized():
    X, y = sex2()
    result = firth.fit(X[:, :2], y, names=("age", "oc"))
    text = result.summary()
    assert "Firth's penalized likelihood" in text and "profile penalized likelihood" in text
    assert "unpenalized likelihood at the Firth estimate" in text
    assert "std err and z: Wald, from (X'W(1 + h)X)^-1 there" in text
    with pytest.raises(ConfigError, match=r"level 0\.95"):
        result.conf_int(0.1)


def test_refusals():
    X, y = simulated()
    with pytest.raises(DataError, match="both classes"):
        firth.fit(X, np.ones(len(y)))
    with pytest.raises(DataError, match="constant"):
        firth.fit(np.column_stack((X, np.ones(len(y)))), y)
    with pytest.raises(ConfigError, match="conf_level"):
        firth.fit(X, y, conf_level=1.0)
    with pytest.raises(DataError, match=r"weights must hold whole numbers >= 0: index 0 holds"):
        firth.fit(X, y, weights=np.full(len(y), 0.5))
    with pytest.raises(DataError, match="both classes"):  # the rows of y = 0 weigh nothing
        firth.fit(X, y, weights=y)


def test_the_bracketed_bound_agrees_with_the_joint_steps():
    """Where the joint steps do not settle, fits with b_j held are bisected: the same bound."""
    X, y = sex2()
    result = firth.fit(X[:, [0, 2, 5]], y)
    columns = np.ascontiguousarray(X[:, [0, 2, 5]])
    fits = firth.Firth.in_memory(columns, y, True, ("Intercept", "age", "vic", "dia"))
    best = fits.held(fits.point(result.params), 0, result.params[0])  # the estimate itself
    q = chi2.ppf(0.95, 1)
    upper = result.conf_int()[3, 1]  # dia's, far from Wald's
    assert fits.bracketed(best, 3, 1.0, q) == pytest.approx(upper, abs=1e-6)


def test_a_firth_fit_shows_one_line_and_a_card_under_its_own_title():
    x = np.repeat([0.0, 0.0, 1.0, 1.0], [5, 3, 4, 0])  # separated: no MLE, a Firth estimate
    y = np.repeat([1.0, 0.0, 1.0, 0.0], [5, 3, 4, 0])
    result = firth.fit(x, y, profile=False)
    text = repr(result)
    assert "\n" not in text and len(text) < 150
    assert text.startswith(f"FirthResult(nobs=12, params=[{result.params[0]:.4g}, "
                           f"{result.params[1]:.4g}], loglik ")  # fmt: skip
    card = result._repr_html_()
    assert "<strong>Logistic regression: Firth&#39;s penalized likelihood" in card
    assert f"<td>x1</td><td>{result.params[1]:.4f}</td>" in card
