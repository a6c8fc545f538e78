"""studies.compare: models of one table on the same rows, the LR tests of R's anova and the
information criteria, against statsmodels' GLM and R's printed digits on the budworm data."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy.stats import chi2

from logitlab.config import CompareSettings, ModelOptions
from logitlab.errors import ConfigError, SeparationError
from logitlab.stats.anova import in_span
from logitlab.studies.compare import run_compare

BUDWORM = ("dead ~ ldose", "dead ~ C(sex) + ldose", "dead ~ C(sex) * ldose")


def glm(formula, frame, **keywords):
    return smf.glm(formula, frame, family=sm.families.Binomial(), **keywords).fit()


@pytest.fixture(scope="module")
def budworm_run(budworm):
    return run_compare(budworm, CompareSettings(BUDWORM, ModelOptions(trials="n")))


def test_budworm_anova_equals_statsmodels_and_r(budworm_run, budworm):
    frame = budworm.assign(alive=budworm["n"] - budworm["dead"])
    peers = [glm(f.replace("dead ~", "dead + alive ~"), frame) for f in BUDWORM]
    a = budworm_run.anova
    np.testing.assert_allclose(a.resid_dev, [p.deviance for p in peers], rtol=1e-9, atol=1e-9)
    assert a.resid_df == tuple(int(p.df_resid) for p in peers) == (10, 9, 8)
    lr = [2 * (peers[i].llf - peers[i - 1].llf) for i in (1, 2)]
    np.testing.assert_allclose(a.deviance[1:], lr, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.pvalues[1:], chi2.sf(lr, 1), rtol=1e-7, atol=1e-12)
    assert a.df == (None, 1, 1)
    # R: anova(glm(SF ~ ldose), glm(SF ~ sex + ldose), glm(SF ~ sex * ldose), test = "Chisq")
    table = a.table()
    for printed in ("16.9840", "6.7571", "4.9937", "10.2270", "1.7633", "0.001384", "0.1842"):
        assert printed in table
    assert "  Resid. Df Resid. Dev Df Deviance Pr(>Chi)" in table
    # R's AIC(m1, m2, m3) for binomial counts includes the binomial coefficients
    criteria = budworm_run.criteria()
    np.testing.assert_allclose([c["aic"] for c in criteria], [p.aic for p in peers], rtol=1e-10)
    np.testing.assert_allclose([c["loglik"] for c in criteria], [p.llf for p in peers],
                               rtol=1e-10)  # fmt: skip
    assert round(criteria[2]["aic"], 3) == 43.104  # MASS: summary(budworm.lg)
    assert [c["df"] for c in criteria] == [2, 3, 4]
    bic = [-2 * p.llf + np.log(12) * len(p.params) for p in peers]
    np.testing.assert_allclose([c["bic"] for c in criteria], bic, rtol=1e-10)


def test_nested_by_span_not_by_names(budworm):
    # MASS's budworm.lg0: sex + ldose - 1 has other columns than sex + ldose, the same span
    run = run_compare(
        budworm,
        CompareSettings(
            ("dead ~ C(sex) + ldose - 1", "dead ~ C(sex) * ldose"), ModelOptions(trials="n")
        ),
    )
    assert run.refusal == ""
    assert round(run.anova.resid_dev[0], 4) == 6.7571 and round(run.anova.deviance[1], 4) == 1.7633
    assert f"{run.anova.pvalues[1]:.4f}" == "0.1842"


def test_bernoulli_rows_against_statsmodels_logit():
    rng = np.random.default_rng(4)
    n = 300
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                          "g": rng.choice(["x", "y", "z"], n)})  # fmt: skip
    eta = 0.3 + frame["a"] - 0.5 * (frame["g"] == "y")
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    frame.loc[[3, 7], "b"] = np.nan  # read by the second formula only: dropped from both
    formulas = ("y ~ a", "y ~ a + b + C(g)")
    run = run_compare(frame, CompareSettings(formulas))
    assert run.rows_used == n - 2 and run.dropped == 2 and run.missing == {"b": 2}
    kept = frame.dropna()
    peers = [smf.logit(f, kept).fit(disp=0) for f in formulas]
    np.testing.assert_allclose(run.anova.resid_dev, [-2 * p.llf for p in peers], rtol=1e-10)
    lr = 2 * (peers[1].llf - peers[0].llf)
    np.testing.assert_allclose(run.anova.deviance[1], lr, rtol=1e-9)
    np.testing.assert_allclose(run.anova.pvalues[1], chi2.sf(lr, 3), rtol=1e-8)
    assert run.anova.df[1] == 3
    np.testing.assert_allclose([c["bic"] for c in run.criteria()], [p.bic for p in peers],
                               rtol=1e-10)  # fmt: skip
    # the larger model first, as R allows: Df and Deviance change sign, p stays
    back = run_compare(frame, CompareSettings(formulas[::-1]))
    assert back.anova.df[1] == -3
    np.testing.assert_allclose(back.anova.deviance[1], -lr, rtol=1e-9)
    np.testing.assert_allclose(back.anova.pvalues[1], run.anova.pvalues[1], rtol=1e-12)


def test_non_nested_models_get_criteria_and_no_lr_test(budworm):
    run = run_compare(budworm, CompareSettings(("dead ~ C(sex)", "dead ~ ldose"),
                                               ModelOptions(trials="n")))  # fmt: skip
    assert run.anova is None
    assert "models 1 and 2 are not nested" in run.refusal and "\n" not in run.refusal
    assert len(run.criteria()) == 2 and "Analysis of Deviance" not in run.summary()


def test_in_span_against_a_least_squares_fit():
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(50, 3))
    inside = basis @ rng.normal(size=(3, 2))
    assert in_span(inside, basis)
    residual = np.linalg.lstsq(basis, rng.normal(size=50), rcond=None)[1]
    assert residual[0] > 1 and not in_span(rng.normal(size=(50, 1)), basis)


def test_refusals():
    frame = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "z": [1, 0, 1, 1, 0, 0],
                          "x": [0.1, 0.5, 0.2, 0.9, 0.4, 0.3]})  # fmt: skip
    with pytest.raises(ConfigError, match="two formulas or more"):
        CompareSettings(("y ~ x",))
    with pytest.raises(ConfigError, match=r"share one target.*'y' in formula 1, 'z' in formula 2"):
        run_compare(frame, CompareSettings(("y ~ x", "z ~ x")))
    separated = frame.assign(y=(frame["x"] > 0.35).astype(int))
    with pytest.raises(SeparationError, match=r"^model 1 "):
        run_compare(separated, CompareSettings(("y ~ x", "y ~ x + z")))


def test_weights_compare_as_the_expanded_rows(challenger):
    counts = challenger[1].assign(hot=lambda t: (t["temp"] > 70).astype(int))
    formulas = ("distressed ~ temp", "distressed ~ temp + hot")
    weighted = run_compare(counts, CompareSettings(formulas, ModelOptions(weights="joints")))
    expanded = counts.loc[counts.index.repeat(counts["joints"])].drop(columns="joints")
    plain = run_compare(expanded, CompareSettings(formulas))
    assert weighted.anova.resid_df == plain.anova.resid_df == (136, 135)
    np.testing.assert_allclose(weighted.anova.resid_dev, plain.anova.resid_dev, rtol=1e-10)
    np.testing.assert_allclose(weighted.anova.pvalues[1], plain.anova.pvalues[1], rtol=1e-8)
    np.testing.assert_allclose([c["bic"] for c in weighted.criteria()],
                               [c["bic"] for c in plain.criteria()], rtol=1e-10)  # fmt: skip


def test_repr_is_one_short_line_and_the_card_escapes_formulas(budworm_run, budworm):
    line = repr(budworm_run)
    assert "\n" not in line and len(line) < 200 and "MLEResult" not in line
    run = budworm_run
    assert f"3 models of 'dead', {run.rows_used} rows of {run.source}" in line
    assert "LR p {:.4g}, {:.4g}".format(*run.anova.pvalues[1:]) in line
    aic = 1 + int(np.argmin([r["aic"] for r in run.criteria()]))
    bic = 1 + int(np.argmin([r["bic"] for r in run.criteria()]))
    assert f"lowest AIC model {aic}, lowest BIC model {bic}" in line
    frame = budworm.rename(columns={"ldose": "<b>dose"})
    formulas = ("dead ~ `<b>dose`", "dead ~ C(sex) + `<b>dose`")
    run = run_compare(frame, CompareSettings(formulas, ModelOptions(trials="n")))
    card = run._repr_html_()
    assert "<b>" not in card and "dead ~ C(sex) + `&lt;b&gt;dose`" in card
    a = run.anova
    assert (f"<td>{a.resid_dev[1]:.4f}</td><td>1</td><td>{a.deviance[1]:.4f}</td>"
            f"<td>{a.pvalues[1]:.4g}</td>") in card  # fmt: skip
    for r in run.criteria():
        assert f"<td>{r['aic']:.4f}</td><td>{r['bic']:.4f}</td>" in card
    assert repr(run).startswith("Comparison(2 models of 'dead'")


def test_a_card_without_lr_tests_says_why(budworm):
    run = run_compare(budworm, CompareSettings(("dead ~ C(sex)", "dead ~ ldose"),
                                               ModelOptions(trials="n")))  # fmt: skip
    assert "not nested" in repr(run)
    card = run._repr_html_()
    assert "Analysis of deviance" not in card and "models 1 and 2 are not nested" in card
