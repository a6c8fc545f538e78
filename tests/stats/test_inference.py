"""Every statistic of the MLE's results against statsmodels' Logit on the same design: the
Spector data (GRADE ~ GPA + TUCE + PSI) and a formula with a categorical term and an
interaction; Hosmer-Lemeshow against a direct computation with pandas' qcut."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy.stats import chi2

from logitlab.stats import mle


def spector():
    data = sm.datasets.spector.load_pandas().data
    return data, "GRADE ~ GPA + TUCE + PSI"


def categorical():
    rng = np.random.default_rng(11)
    n = 400
    data = pd.DataFrame(
        {"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], size=n), "z": rng.normal(size=n)}
    )
    eta = -0.3 + 0.8 * data.x + (data.g == "b") * 0.7 - (data.g == "c") * 0.5
    eta += 0.6 * data.x * (data.g == "c") + 0.2 * data.z
    data["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return data, "y ~ x * C(g) + z"


@pytest.fixture(params=[spector, categorical], ids=["spector", "categorical"])
def pair(request):
    """(logitlab's fit, statsmodels' fit) of one formula: the formula's design without its
    Intercept column goes to logitlab, which adds its own."""
    data, formula = request.param()
    reference = smf.logit(formula, data).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    exog = reference.model.exog
    assert reference.model.exog_names[0] == "Intercept"
    result = mle.fit(exog[:, 1:], reference.model.endog, names=reference.model.exog_names[1:])
    return result, reference


def close(actual, expected, rel=1e-6):
    np.testing.assert_allclose(actual, expected, rtol=rel, atol=0)


def test_coefficients_and_standard_errors(pair):
    result, reference = pair
    assert result.names == tuple(reference.model.exog_names)
    np.testing.assert_allclose(result.params, reference.params, atol=1e-6, rtol=0)
    np.testing.assert_allclose(result.bse, reference.bse, atol=1e-6, rtol=0)
    np.testing.assert_allclose(result.cov, reference.cov_params(), atol=1e-6, rtol=0)
    close(result.tvalues, reference.tvalues)
    close(result.pvalues, reference.pvalues)
    close(result.conf_int(), reference.conf_int())
    close(result.conf_int(0.1), reference.conf_int(0.1))
    assert result.converged


def test_likelihoods_tests_and_criteria(pair):
    result, reference = pair
    for name in ("llf", "llnull", "llr", "llr_pvalue", "aic", "bic", "prsquared"):
        close(getattr(result, name), getattr(reference, name))
    assert result.df_model == reference.df_model
    assert result.df_resid == reference.df_resid
    assert result.nobs == reference.nobs


def test_odds_ratios_are_exponentiated_coefficients_and_intervals(pair):
    result, reference = pair
    odds = result.odds_ratios()
    close(odds.estimate, np.exp(reference.params))
    close(np.column_stack((odds.lower, odds.upper)), np.exp(reference.conf_int()))
    assert odds.names == tuple(reference.model.exog_names)


def test_average_marginal_effects_with_delta_method_errors(pair):
    result, reference = pair
    margeff = reference.get_margeff(at="overall", method="dydx")
    effects = result.marginal_effects()
    assert effects.names == tuple(reference.model.exog_names[1:])
    close(effects.estimate, margeff.margeff)
    close(effects.se, margeff.margeff_se)
    close(effects.z, margeff.tvalues)
    close(effects.pvalues, margeff.pvalues)
    close(np.column_stack((effects.lower, effects.upper)), margeff.conf_int())
    assert set(effects.rows()) == set(effects.names)


@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_classification_table(pair, threshold):
    result, reference = pair
    np.testing.assert_array_equal(result.pred_table(threshold), reference.pred_table(threshold))


def test_predict_new_rows(pair):
    result, reference = pair
    exog = reference.model.exog[:7]
    close(result.predict(exog[:, 1:]), reference.model.predict(reference.params, exog), rel=1e-9)
    close(result.fitted, reference.predict(), rel=1e-9)


def qcut_hosmer_lemeshow(y, p, groups):
    """The textbook computation: deciles of risk by pandas' qcut, observed against expected
    successes and failures in each."""
    frame = pd.DataFrame({"y": y, "p": p})
    frame["group"] = pd.qcut(frame.p, groups, duplicates="drop")
    table = frame.groupby("group", observed=True).agg(
        o1=("y", "sum"), e1=("p", "sum"), n=("y", "size")
    )
    o0, e0 = table.n - table.o1, table.n - table.e1
    statistic = (((table.o1 - table.e1) ** 2) / table.e1 + ((o0 - e0) ** 2) / e0).sum()
    df = len(table) - 2
    return statistic, df, chi2.sf(statistic, df)


@pytest.mark.parametrize("groups", [10, 5])
def test_hosmer_lemeshow_against_qcut(pair, groups):
    result, reference = pair
    statistic, df, p = qcut_hosmer_lemeshow(reference.model.endog, reference.predict(), groups)
    test = result.hosmer_lemeshow(groups)
    assert test.df == df == groups - 2
    close(test.statistic, statistic)
    close(test.pvalue, p)


def test_summary_reads_like_statsmodels(pair):
    result, reference = pair
    text = result.summary()
    for label, value in [
        ("No. Observations:", f"{reference.nobs:.0f}"),
        ("Df Residuals:", f"{reference.df_resid:.0f}"),
        ("Df Model:", f"{reference.df_model:.0f}"),
        ("Pseudo R-squ.:", f"{reference.prsquared:.4f}"),
        ("Log-Likelihood:", f"{reference.llf:.4f}"),
        ("LL-Null:", f"{reference.llnull:.4f}"),
        ("AIC:", f"{reference.aic:.4f}"),
        ("BIC:", f"{reference.bic:.4f}"),
    ]:
        line = next(line for line in text.splitlines() if label in line)
        assert value in line.split(label)[1].split()[0], (label, line)
    assert "Converged:" in text and "yes" in text


def test_a_fit_stopped_early_is_not_reported_as_converged():
    data, formula = spector()
    reference = smf.logit(formula, data).fit(disp=0)
    exog = reference.model.exog
    result = mle.fit(exog[:, 1:], reference.model.endog, max_iter=2)
    assert not result.converged and result.iterations == 2
    assert "Converged:" in result.summary() and "NO" in result.summary()
    assert "yes" not in result.summary()


@pytest.mark.parametrize("cov_type", ["nonrobust", "HC0"])
@pytest.mark.parametrize("level", [0.95, 0.8])
def test_predicted_interval_is_statsmodels_linear_interval_through_the_link(cov_type, level):
    """The delta method's interval of x'b, then the sigmoid: statsmodels GLM's
    get_prediction().conf_int(which="linear") mapped by the logistic function, its se_mean
    of the linear predictor, and the mean itself, with any covariance (HC0 too)."""
    from logitlab.stats.inference import predicted_interval

    data, formula = categorical()
    result = smf.glm(formula, data, family=sm.families.Binomial()).fit(cov_type=cov_type)
    X = result.model.exog
    new = X[::7] + np.random.default_rng(3).normal(scale=0.1, size=X[::7].shape)
    got = predicted_interval(new, result.params.to_numpy(), result.cov_params().to_numpy(), level)
    want = result.get_prediction(new, transform=False, which="linear")
    logistic = sm.families.links.Logit().inverse
    ends = logistic(want.conf_int(alpha=1 - level))
    np.testing.assert_allclose(got.logit, want.predicted, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(got.se, want.se, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(got.low, ends[:, 0], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(got.high, ends[:, 1], rtol=1e-8, atol=1e-12)
    mean = result.get_prediction(new, transform=False).summary_frame(alpha=1 - level)
    np.testing.assert_allclose(got.p, mean["mean"], rtol=1e-8, atol=1e-12)
    assert np.all((got.low < got.p) & (got.p < got.high))


def test_a_coefficient_table_shows_one_line_and_an_escaped_card():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 8))
    y = (rng.random(200) < 1 / (1 + np.exp(-X[:, 0]))).astype(float)
    fit = mle.fit(X, y, names=["<b>", *(f"x{j}" for j in range(1, 8))])
    table = fit.coefficient_table()
    line = repr(table)
    assert "\n" not in line and len(line) < 200 and "array" not in line
    assert line.startswith("Effects('coef', 9 terms 'Intercept', '<b>', 'x1', … 6 more, ")
    assert f"estimate=[{fit.params[0]:.4g}, {fit.params[1]:.4g}, " in line
    assert f"se=[{fit.se[0]:.4g}, " in line and line.endswith(", 95% intervals)")
    card = table._repr_html_()
    assert "<b>" not in card and f"<td>&lt;b&gt;</td><td>{fit.params[1]:.4f}</td>" in card
    ratios = fit.odds_ratios()
    assert "se=" not in repr(ratios)  # odds ratios have none
    card = ratios._repr_html_()
    assert "<th>odds ratio</th>" in card and "nan" not in card
