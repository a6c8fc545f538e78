"""Average marginal effects per variable (stats.margins): statsmodels' get_margeff where it
applies (plain numeric columns), closed forms and finite differences through transforms and
interactions, and discrete changes of categorical variables computed by hand with the fit's
predict."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from logitlab.data.design import build_design
from logitlab.model import sigmoid
from logitlab.stats import mle as mle_module
from logitlab.stats.margins import Margins, average_margins, design_variables, terms_reading


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(20)
    n = 600
    frame = pd.DataFrame(
        {
            "age": rng.uniform(1.0, 80.0, n),
            "x": rng.normal(size=n),
            "sex": rng.choice(["female", "male"], n),
            "cls": rng.integers(1, 4, n),
            "flag": rng.integers(0, 2, n).astype(bool),
        }
    )
    logit = (-1.0 + 0.03 * frame.age - 0.0003 * frame.age**2 + 0.6 * frame.x
             - 1.1 * (frame.sex == "male") + 0.4 * frame.cls * (frame.sex == "male"))  # fmt: skip
    frame["y"] = (rng.uniform(size=n) < sigmoid(logit.to_numpy())).astype(int)
    return frame


def fitted(frame: pd.DataFrame, formula: str) -> tuple[object, object, Margins]:
    design = build_design(frame, formula=formula)
    mle = mle_module.fit(design.X, design.y, intercept=design.intercept, names=design.names)
    return design, mle, average_margins(design.spec, frame, mle.params, mle.cov)


def delta_se(ame, params: np.ndarray, cov: np.ndarray, h: float = 1e-6) -> float:
    """The delta method with the Jacobian by central differences in the parameters."""
    grad = np.array(
        [(ame(params + h * e) - ame(params - h * e)) / (2 * h) for e in np.eye(len(params))]
    )
    return float(np.sqrt(grad @ cov @ grad))


def test_plain_numeric_columns_are_statsmodels_get_margeff(table):
    import statsmodels.api as sm

    design, _, margins = fitted(table, "y ~ age + x + flag")
    reference = sm.Logit(design.y, sm.add_constant(design.X)).fit(disp=0, tol=1e-12)
    effect = reference.get_margeff(at="overall", method="dydx")
    # flag is true/false: a discrete change, statsmodels' dydx treats it as a number
    assert margins.variables == ("age", "x", "flag")
    np.testing.assert_allclose(margins.effects.estimate[:2], effect.margeff[:2], rtol=1e-8,
                               atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(margins.effects.se[:2], effect.margeff_se[:2], rtol=1e-6,
                               atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(margins.effects.pvalues[:2], effect.pvalues[:2], rtol=1e-5,
                               atol=1e-12)  # fmt: skip
    low, high = effect.conf_int()[:2].T
    np.testing.assert_allclose(margins.effects.lower[:2], low, rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(margins.effects.upper[:2], high, rtol=1e-6, atol=1e-10)


def test_square_and_interaction_differentiated_through_every_term(table):
    # dP/dx = p (1 - p) (b_x + 2 b_xx x + b_xz z) for x ~ x + I(x**2) + x:age: a closed form
    formula = "y ~ x + I(x**2) + x:age + age"
    design, mle, margins = fitted(table, formula)
    assert design.names == ("x", "I(x ** 2)", "age", "x:age")
    x, age = table.x.to_numpy(), table.age.to_numpy()

    def ame_x(b: np.ndarray) -> float:
        p = sigmoid(b[0] + b[1] * x + b[2] * x**2 + b[3] * age + b[4] * x * age)
        return float(np.mean(p * (1 - p) * (b[1] + 2 * b[2] * x + b[4] * age)))

    def ame_age(b: np.ndarray) -> float:
        p = sigmoid(b[0] + b[1] * x + b[2] * x**2 + b[3] * age + b[4] * x * age)
        return float(np.mean(p * (1 - p) * (b[3] + b[4] * x)))

    assert margins.variables == ("age", "x")  # the table's order
    estimates = dict(zip(margins.variables, margins.effects.estimate, strict=True))
    ses = dict(zip(margins.variables, margins.effects.se, strict=True))
    for name, ame in (("x", ame_x), ("age", ame_age)):
        np.testing.assert_allclose(estimates[name], ame(mle.params), rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(ses[name], delta_se(ame, mle.params, mle.cov), rtol=1e-5)
    # the per-column effect of x alone is not the variable's: the square and the product count
    assert abs(estimates["x"] - mle.marginal_effects().estimate[0]) > 1e-3


def test_a_transform_by_finite_differences_of_predictions(table):
    # np.log(age) and age together: the reference differentiates predictions, step 1e-5
    design, mle, margins = fitted(table, "y ~ age + np.log(age) + x")

    def mean_p(b: np.ndarray, shift: float) -> float:
        moved = table.assign(age=table.age + shift)
        X = design.spec.design(moved)
        return float(np.mean(sigmoid(b[0] + X @ b[1:])))

    h = 1e-5
    reference = (mean_p(mle.params, h) - mean_p(mle.params, -h)) / (2 * h)
    row = margins.of("age")[0]
    np.testing.assert_allclose(row["estimate"], reference, rtol=1e-6, atol=1e-12)
    assert row["kind"] == "dP/dx" and row["contrast"] is None


def test_categorical_discrete_changes_by_hand_with_predict(table):
    design, mle, margins = fitted(table, "y ~ sex * C(cls, Treatment(3)) + x")
    assert margins.variables == ("x", "sex", "cls", "cls")
    assert margins.contrasts == ("", "male vs female", "1 vs 3", "2 vs 3")

    def change(column: str, level: object, reference: object):
        def ame(b: np.ndarray) -> float:
            at = design.spec.design(table.assign(**{column: level}))
            base = design.spec.design(table.assign(**{column: reference}))
            return float(np.mean(sigmoid(b[0] + at @ b[1:]) - sigmoid(b[0] + base @ b[1:])))

        return ame

    for i, (column, level, reference) in enumerate(
        [("sex", "male", "female"), ("cls", 1, 3), ("cls", 2, 3)], start=1
    ):
        ame = change(column, level, reference)
        # at the MLE, the hand computation is the fit's own predict
        at = design.spec.design(table.assign(**{column: level}))
        base = design.spec.design(table.assign(**{column: reference}))
        by_predict = float(np.mean(mle.predict(at) - mle.predict(base)))
        np.testing.assert_allclose(ame(mle.params), by_predict, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(margins.effects.estimate[i], by_predict, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(margins.effects.se[i], delta_se(ame, mle.params, mle.cov),
                                   rtol=1e-5)  # fmt: skip


def test_true_false_is_a_discrete_change(table):
    design, mle, margins = fitted(table, "y ~ flag + x")
    at = design.spec.design(table.assign(flag=True))
    base = design.spec.design(table.assign(flag=False))
    row = margins.of("flag")[0]
    assert row["contrast"] == "True vs False"
    np.testing.assert_allclose(row["estimate"], np.mean(mle.predict(at) - mle.predict(base)),
                               rtol=1e-9, atol=1e-12)  # fmt: skip


def test_a_step_back_out_of_the_domain_falls_back_to_a_forward_difference():
    # sqrt at 0: x - h < 0 has no square root; the forward difference still gives dP/dx
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": np.r_[0.0, rng.uniform(0.5, 4.0, 199)]})
    frame["y"] = (rng.uniform(size=200) < sigmoid(frame.x.to_numpy() - 2.0)).astype(int)
    _, _, margins = fitted(frame, "y ~ x + np.sqrt(x)")
    assert np.isfinite(margins.effects.estimate).all() and np.isfinite(margins.effects.se).all()


def test_terms_reading_names_every_term_of_a_column(table):
    design, _, _ = fitted(table, "y ~ age + I(age**2) + sex * C(cls)")
    assert terms_reading(design.spec, "age") == ["age", "I(age ** 2)"]
    assert terms_reading(design.spec, "sex") == ["sex", "sex:C(cls)"]


def test_blocks_of_rows_and_a_kept_design_give_the_same_margins(table, monkeypatch):
    from logitlab.stats import margins as margins_module

    design, mle, whole = fitted(table, "y ~ age + I(age**2) + sex * C(cls) + x")
    monkeypatch.setattr(margins_module, "BLOCK_ROWS", 64)  # 600 rows: 10 blocks, the last short
    blocks = average_margins(design.spec, table, mle.params, mle.cov, design=design.X)
    for got, want in ((blocks.effects.estimate, whole.effects.estimate),
                      (blocks.effects.se, whole.effects.se)):  # fmt: skip
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-14)


def test_design_variables_name_the_table_columns_each_design_column_reads(table):
    design, _, _ = fitted(table, "y ~ age + I(age**2) + sex * C(cls, Treatment(3)) + np.log(age)")
    assert design_variables(design.spec) == {
        "age": ("age",),
        "I(age ** 2)": ("age",),
        "sex[T.male]": ("sex",),
        "C(cls, Treatment(3))[T.1]": ("cls",),
        "C(cls, Treatment(3))[T.2]": ("cls",),
        "np.log(age)": ("age",),
        "sex[T.male]:C(cls, Treatment(3))[T.1]": ("sex", "cls"),
        "sex[T.male]:C(cls, Treatment(3))[T.2]": ("sex", "cls"),
    }


def test_margins_show_one_line_and_an_escaped_card(table):
    _, _, margins = fitted(table.rename(columns={"x": "<b>x"}), "y ~ age + `<b>x` + C(sex)")
    line = repr(margins)
    assert "\n" not in line and len(line) < 200 and "array" not in line
    e = margins.effects
    assert line.startswith(f"Margins({len(e.names)} effects over {margins.rows} rows: ")
    assert "dy/dx=[" + ", ".join(f"{v:.4g}" for v in e.estimate) + "]" in line
    card = margins._repr_html_()
    assert "<b>" not in card and "<th>dy/dx</th>" in card
    i = e.names.index("<b>x")
    assert (f"<td>&lt;b&gt;x</td><td>{e.estimate[i]:.4f}</td><td>{e.se[i]:.4f}</td>"
            f"<td>{e.z[i]:.3f}</td>") in card  # fmt: skip
