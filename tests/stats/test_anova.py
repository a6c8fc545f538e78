"""stats.anova: R's drop1(m, test="Chisq") against statsmodels refits, R's printed digits on
the budworm data, marginality, and the models left with the intercept alone or nothing."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy.stats import chi2

from logitlab.data.design import build_design
from logitlab.stats import mle
from logitlab.stats.anova import drop1, p_format, r_format
from logitlab.stats.margins import droppable_terms, term_columns


def fitted(frame, formula, **options):
    design = build_design(frame, formula=formula, **options)
    full = mle.fit(design.X, design.y, intercept=design.intercept, names=design.names,
                   weights=design.weights, trials=design.trials)  # fmt: skip
    return design, full


def deletions(design, full):
    return drop1(design.X, design.y, full, droppable_terms(design.spec), design.spec.formula,
                 design.weights, design.trials)  # fmt: skip


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(7)
    n = 400
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                          "g": rng.choice(["p", "q", "r"], n)})  # fmt: skip
    eta = -0.2 + 0.8 * frame["a"] + 0.6 * (frame["g"] == "q") - 0.4 * frame["a"] * frame["b"]
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    return frame


def test_drop1_equals_statsmodels_refits(table):
    design, full = fitted(table, "y ~ C(g) + a * b")
    tests = deletions(design, full)
    # a and b sit inside a:b, so R's drop.scope keeps them: C(g) and a:b are tested
    assert tests.terms == ("<none>", "C(g)", "a:b")
    assert tests.df == (None, 2, 1)
    whole = smf.logit("y ~ C(g) + a * b", table).fit(disp=0)
    reduced = [smf.logit(f, table).fit(disp=0) for f in ("y ~ a * b", "y ~ C(g) + a + b")]
    np.testing.assert_allclose(tests.deviance, [-2 * m.llf for m in (whole, *reduced)],
                               rtol=1e-10)  # fmt: skip
    np.testing.assert_allclose(tests.aic, [m.aic for m in (whole, *reduced)], rtol=1e-10)
    lrt = [2 * (whole.llf - m.llf) for m in reduced]
    np.testing.assert_allclose(tests.lrt[1:], lrt, rtol=1e-8)
    np.testing.assert_allclose(tests.pvalues[1:], chi2.sf(lrt, [2, 1]), rtol=1e-7)


def test_budworm_drop1_prints_r_digits(budworm):
    # R: drop1(glm(cbind(numdead, 20 - numdead) ~ sex + ldose, binomial), test = "Chisq")
    design, full = fitted(budworm, "dead ~ C(sex) + ldose", trials="n")
    tests = deletions(design, full)
    table = tests.table()
    assert "Single term deletions" in table and "dead ~ C(sex) + ldose" in table
    assert "C(sex)  1  16.9840  51.094  10.227  0.001384 **" in table
    assert "ldose   1 118.7986 152.909 112.042 < 2.2e-16 ***" in table
    frame = budworm.assign(alive=budworm["n"] - budworm["dead"])
    peer = smf.glm("dead + alive ~ ldose", frame, family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(tests.deviance[1], peer.deviance, rtol=1e-9)
    np.testing.assert_allclose(tests.aic[1], peer.aic, rtol=1e-10)


def test_intercept_alone_and_nothing_left(table):
    design, full = fitted(table, "y ~ a")
    tests = deletions(design, full)
    null = smf.logit("y ~ 1", table).fit(disp=0)
    np.testing.assert_allclose(tests.deviance[1], -2 * null.llf, rtol=1e-12)
    np.testing.assert_allclose(tests.aic[1], null.aic, rtol=1e-12)
    design, full = fitted(table, "y ~ a - 1")
    tests = deletions(design, full)
    n = len(table)
    np.testing.assert_allclose(tests.deviance[1], -2 * n * np.log(0.5), rtol=1e-12)
    assert tests.aic[1] == pytest.approx(-2 * n * np.log(0.5), rel=1e-12)


def test_term_columns_follow_the_design(table):
    design, _ = fitted(table, "y ~ C(g) + a * b + I(a ** 2)")
    columns = term_columns(design.spec)
    assert [design.names[j] for j in columns["C(g)"]] == ["C(g)[T.q]", "C(g)[T.r]"]
    assert [design.names[j] for j in columns["a:b"]] == ["a:b"]
    assert sorted(j for c in columns.values() for j in c) == list(range(len(design.names)))
    assert list(droppable_terms(design.spec)) == ["C(g)", "I(a ** 2)", "a:b"]


def test_r_format_counts_decimals_as_r():
    assert r_format([16.98403, 6.757064, 4.993727]) == ["16.9840", "6.7571", "4.9937"]
    assert r_format([None, 10.226968, 1.7633369]) == ["", "10.2270", "1.7633"]
    assert p_format([None, 1e-20, 0.18420884]) == ["", "< 2.2e-16", "0.1842"]


def test_anova_and_drop1_show_one_line_and_an_escaped_card(table):
    from logitlab.stats.anova import anova

    frame = table.rename(columns={"a": "<b>a"})
    design, full = fitted(frame, "y ~ C(g) + `<b>a` * b")
    tests = deletions(design, full)
    line = repr(tests)
    assert "\n" not in line and len(line) < 200 and "array" not in line
    assert tests.terms[1:] == ("C(g)", "<b>a:b")
    assert line == (f"Drop1('y ~ C(g) + `<b>a` * b': terms 'C(g)', '<b>a:b', LR p "
                    f"[{tests.pvalues[1]:.4g}, {tests.pvalues[2]:.4g}])")  # fmt: skip
    card = tests._repr_html_()
    assert "<b>" not in card and "&lt;none&gt;" in card and "<td>&lt;b&gt;a:b</td>" in card
    assert (f"<td>C(g)</td><td>2</td><td>{tests.deviance[1]:.4f}</td><td>{tests.aic[1]:.4f}</td>"
            f"<td>{tests.lrt[1]:.4f}</td><td>{tests.pvalues[1]:.4g}</td>") in card  # fmt: skip
    formulas = ["y ~ `<b>a`", "y ~ `<b>a` + b", "y ~ C(g) + `<b>a` * b"]
    fits = [fitted(frame, f)[1] for f in formulas]
    a = anova(fits, formulas)
    line = repr(a)
    assert "\n" not in line and len(line) < 200
    dev, p = a.resid_dev, a.pvalues
    assert line == (f"Anova(3 models, residual deviance {dev[0]:.4g} -> {dev[2]:.4g}; LR p "
                    f"{p[1]:.4g}, {p[2]:.4g})")  # fmt: skip
    card = a._repr_html_()
    assert "<b>" not in card and "<td>y ~ `&lt;b&gt;a` + b</td>" in card
    assert (f"<td>{a.resid_dev[2]:.4f}</td><td>{a.df[2]}</td><td>{a.deviance[2]:.4f}</td>"
            f"<td>{a.pvalues[2]:.4g}</td>") in card  # fmt: skip
