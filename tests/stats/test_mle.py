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
    np.testing.assert_allclose(result.params, reference.params, atol=1e-6, rtol=0)
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
    np.testing.assert_allclose(result.params, reference.params, atol=1e-6)
    np.testing.assert_allclose(result.se, reference.bse, atol=1e-6)


def test_summary_table_lists_each_coefficient(lecture_data):
    result = mle.fit(lecture_data.x, lecture_data.y)
    text = result.summary()
    for name, b, s in zip(result.names, result.params, result.se, strict=True):
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


# --- the one-pass kernel, the separation trigger, the named columns -----------------------


@pytest.mark.parametrize("intercept", [True, False])
def test_compiled_pass_equals_numpy_pass_and_direct_sums(intercept):
    pytest.importorskip("numba")
    from logitlab.stats.irls import TILE, newton_pass

    rng = np.random.default_rng(5)
    n = 3 * TILE + 17  # a partial last tile
    X = rng.normal(size=(n, 4)) * [1.0, 5.0, 0.1, 30.0]
    X[:3, 3] = 1e3  # rows whose probability saturates
    y = (rng.random(n) < 0.4).astype(float)
    coef = rng.normal(size=5 if intercept else 4)
    design = np.column_stack((np.ones(n), X)) if intercept else X
    u = design @ coef
    p = 1 / (1 + np.exp(-u))
    fitted = {True: np.empty(n), False: np.empty(n)}
    for compiled in (True, False):
        sums = newton_pass(X, y, coef, intercept, fitted[compiled], compiled=compiled)
        assert sums.loglik == pytest.approx(np.sum(y * u - np.logaddexp(0, u)), rel=1e-12)
        np.testing.assert_allclose(sums.score, design.T @ (y - p), rtol=1e-10, atol=1e-9)
        w = p * (1 - p)
        np.testing.assert_allclose(sums.info, design.T @ (design * w[:, None]), rtol=1e-10)
        np.testing.assert_allclose(sums.curvature, design.T @ (w * (1 - 2 * p)), atol=1e-9)
        assert sums.saturated == np.sum(np.minimum(p, 1 - p) < 1e-10) > 0
        np.testing.assert_allclose(fitted[compiled], p, rtol=1e-12, atol=1e-300)


def separated(n, d, quasi, seed=0):
    """n rows, d features, classes split by a random hyperplane (plus ties on it if quasi)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    direction = rng.normal(size=d)
    score = X @ direction + 0.3
    y = (score > 0).astype(float)
    if quasi:  # pairs of equal rows with both labels, on the hyperplane
        X[:6] -= ((score[:6] / (direction @ direction))[:, None]) * direction
        X[1::2][:3] = X[0::2][:3]
        y[:6] = [0, 1, 0, 1, 0, 1]
    return X, y


@pytest.mark.parametrize(
    ("n", "d", "quasi", "kind"),
    [
        (50, 1, False, "complete separation"),
        (50, 1, True, "quasi-complete separation"),
        (3000, 4, False, "complete separation"),
        (3000, 4, True, "quasi-complete separation"),
    ],
)
def test_separation_is_found_from_the_iterates(n, d, quasi, kind):
    X, y = separated(n, d, quasi)
    with pytest.raises(SeparationError, match=kind):
        mle.fit(X, y)


def test_the_linear_program_does_not_run_on_ordinary_data(monkeypatch):
    rng = np.random.default_rng(8)
    X = rng.normal(size=(5000, 3))
    X[0] = [40.0, 0.0, 0.0]  # a saturated row does not by itself call the linear program
    y = (rng.random(5000) < 1 / (1 + np.exp(-(X @ [1.5, -0.5, 0.2])))).astype(float)

    def refuse(*args):
        raise AssertionError("the separation linear program ran")

    monkeypatch.setattr(mle, "separation", refuse)
    result = mle.fit(X, y)
    assert result.converged
    reference = statsmodels_fit(X, y)
    np.testing.assert_allclose(result.params, reference.params, atol=1e-6, rtol=0)


def test_collinear_columns_are_named():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(200, 4))
    X[:, 3] = 2 * X[:, 0] - X[:, 2]
    y = (rng.random(200) < 0.5).astype(float)
    with pytest.raises(DataError, match=r"columns x1, x3 and x4 of X .*linearly dependent"):
        mle.fit(X, y)
    X[:, 3] = 5.0 - X[:, 1]  # with the intercept
    with pytest.raises(DataError, match=r"columns Intercept, x2 and x4 of X"):
        mle.fit(X, y)


def test_progress_is_told_each_newton_iteration_and_changes_nothing():
    """A long fit's progress lines come from here: one call an iteration, the last at the
    log-likelihood the result reports, the fit itself as without it."""
    rng = np.random.default_rng(8)
    X = rng.normal(size=(500, 3))
    y = (rng.random(500) < 1 / (1 + np.exp(-(0.3 + X @ [1.0, -0.5, 0.2])))).astype(float)
    told = []
    with_progress = mle.fit(X, y, progress=lambda *values: told.append(values))
    plain = mle.fit(X, y)
    assert [k for k, _, _ in told] == list(range(1, plain.iterations + 1))
    assert told[-1][1] == plain.loglik and all(step >= 0 for _, _, step in told)
    assert [loglik for _, loglik, _ in told] == sorted(loglik for _, loglik, _ in told)
    np.testing.assert_array_equal(with_progress.params, plain.params)
    assert statsmodels_fit(X, y).llf == pytest.approx(told[-1][1], rel=1e-10)


def test_the_repr_is_one_line_and_the_card_holds_the_coefficient_table():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(400, 2))
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.2 + X @ [1.0, -0.5])))).astype(float)
    result = mle.fit(X, y, names=("<b>", "a & b"))
    text = repr(result)
    assert "\n" not in text and len(text) < 150
    assert text == (f"MLEResult(nobs=400, params=[{result.params[0]:.4g}, {result.params[1]:.4g}, "
                    f"{result.params[2]:.4g}], loglik {result.loglik:.4g}, converged in "
                    f"{result.iterations} iterations)")  # fmt: skip
    card = result._repr_html_()
    assert "<b>" not in card and "<td>&lt;b&gt;</td>" in card and "<td>a &amp; b</td>" in card
    reference = statsmodels_fit(X, y)
    low, high = reference.conf_int()[1]
    assert f"<td>{reference.params[1]:.4f}</td><td>{reference.bse[1]:.4f}</td>" in card
    assert f"<td>[{low:.4f}, {high:.4f}]</td>" in card
    assert f"<td>{reference.llf:.4f}</td>" in card and f"<td>{reference.aic:.4f}</td>" in card


def test_the_repr_of_a_wide_fit_stays_short():
    rng = np.random.default_rng(12)
    X = rng.normal(size=(500, 40))
    y = (rng.random(500) < 0.5).astype(float)
    text = repr(mle.fit(X, y))
    assert "\n" not in text and len(text) < 160 and "… 35 more]" in text


# --- the fast path: a sample's start, the predicted last step, the statistics pass ---------


def large(n=140_000, seed=21):
    """Enough rows for the sample start (mle.SAMPLE_ROWS), modest coefficients."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 2.0, 0.5] + [0.0, 1.0, 0.0]
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + X @ [0.8, -0.4, 1.1])))).astype(float)
    return X, y


def counted(monkeypatch):
    """Rows read by every pass of a fit, in the order the passes run."""
    rows, real = [], mle.newton_pass
    monkeypatch.setattr(
        mle, "newton_pass", lambda x, *a, **k: rows.append(len(x)) or real(x, *a, **k)
    )
    return rows


def test_a_large_fit_takes_at_most_five_passes_and_equals_statsmodels(monkeypatch):
    X, y = large()
    rows = counted(monkeypatch)
    result = mle.fit(X, y)
    reference = statsmodels_fit(X, y)
    np.testing.assert_allclose(result.params, reference.params, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(result.se, reference.bse, rtol=1e-7, atol=1e-10)
    assert result.loglik == pytest.approx(reference.llf, rel=1e-12)
    assert result.converged and result.llnull == pytest.approx(reference.llnull, rel=1e-10)
    full = [r for r in rows if r == len(y)]
    assert len(full) == 1 + result.iterations <= 4  # the start, then one pass a step
    assert sum(rows) / len(y) <= 5  # the sample's passes included
    assert rows[0] < len(y) / 4  # the sample was fitted first


def test_the_samples_passes_are_compiled_below_the_compiled_rows(monkeypatch):
    """The sample's rows (140,000 / 17 = 8,236) are fewer than irls.COMPILED_ROWS, yet its
    passes run the compiled pass where Numba is installed (NumPy's loop cost 3x the time)."""
    from logitlab.extras import fused_available
    from logitlab.stats import irls

    X, y = large()
    ran = []
    for name in ("_numpy_pass", "_compiled_pass"):
        real = getattr(irls, name)
        monkeypatch.setattr(irls, name, lambda x, *a, real=real, name=name, **k:
                            ran.append((len(x), name)) or real(x, *a, **k))  # fmt: skip
    mle.fit(X, y)
    sample = [name for rows, name in ran if rows < len(y)]
    assert len(sample) >= 2 and ran[0][0] < irls.COMPILED_ROWS
    assert set(sample) == {"_compiled_pass" if fused_available() else "_numpy_pass"}


def test_the_last_pass_is_at_the_estimate_and_writes_its_probabilities():
    X, y = large(seed=4)
    result = mle.fit(X, y)
    design = np.column_stack((np.ones(len(y)), X))
    p = 1 / (1 + np.exp(-(design @ result.params)))
    np.testing.assert_allclose(result.fitted, p, rtol=1e-12)
    np.testing.assert_allclose(result.curvature, design.T @ (p * (1 - p) * (1 - 2 * p)),
                               rtol=1e-9, atol=1e-9)  # fmt: skip
    info = design.T @ (design * (p * (1 - p))[:, None])
    np.testing.assert_allclose(result.cov, np.linalg.inv(info), rtol=1e-9, atol=1e-15)
    chi2 = np.sum((y - p) ** 2 / (p * (1 - p)))  # summed by that pass too, not after it
    assert result.pearson_chi2 == pytest.approx(chi2, rel=1e-10)


def test_the_predicted_last_step_needs_no_confirming_pass(monkeypatch):
    """Small data, the intercept-only start: the fit ends on the pass after the step that
    predicts a next one below tol, one pass fewer than a test of the step after it, and the
    estimate is within statsmodels' own spread of the exact optimum."""
    rng = np.random.default_rng(8)
    X = rng.normal(size=(3000, 3))
    y = (rng.random(3000) < 1 / (1 + np.exp(-(0.3 + X @ [1.0, -0.5, 0.2])))).astype(float)
    told = []
    rows = counted(monkeypatch)
    result = mle.fit(X, y, progress=lambda *values: told.append(values))
    assert len(rows) == 1 + result.iterations
    sizes = [size for _, _, size in told]
    assert sizes[-1] > 1e-10 * (1 + np.abs(result.params).max())  # not a confirming step
    reference = statsmodels_fit(X, y)
    np.testing.assert_allclose(result.params, reference.params, rtol=1e-10, atol=1e-12)


def test_large_weighted_and_grouped_fits_equal_statsmodels_glm(monkeypatch):
    X, y = large(seed=6)
    w = np.random.default_rng(6).integers(0, 4, len(y)).astype(float)
    rows = counted(monkeypatch)
    fit = mle.fit(X, y, weights=w)
    assert sum(rows) / len(y) <= 5
    model = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(), freq_weights=w)
    reference = model.fit(tol=1e-13)
    np.testing.assert_allclose(fit.params, reference.params, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(fit.se, reference.bse, rtol=1e-7, atol=1e-10)
    assert fit.loglik == pytest.approx(reference.llf, rel=1e-12)
    trials = w + 1.0
    successes = np.minimum(y * trials, np.floor(trials * 0.6))
    grouped = mle.fit(X, successes, trials=trials)
    endog = np.column_stack((successes, trials - successes))
    reference = sm.GLM(endog, sm.add_constant(X), family=sm.families.Binomial()).fit(tol=1e-13)
    np.testing.assert_allclose(grouped.params, reference.params, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(grouped.deviance, reference.deviance, rtol=1e-9)


def test_a_large_separated_table_is_refused_after_the_samples_fit_fails():
    X, y = separated(140_000, 3, quasi=False)
    with pytest.raises(SeparationError, match="complete separation"):
        mle.fit(X, y)


@pytest.mark.parametrize(
    ("cov_type", "clusters", "match"),
    [
        ("hc4", None, "cov_type must be one of nonrobust, robust, hc0"),
        ("cluster", None, "one cluster label per row"),
        ("cluster", np.zeros(20, dtype=int), "at least 2 clusters, got 1"),
        ("cluster", np.array(["a", "b"] * 9), "one cluster label per row"),
    ],
)
def test_a_bad_covariance_is_refused_in_one_line_before_any_pass(
    cov_type, clusters, match, monkeypatch
):
    from logitlab.errors import ConfigError

    monkeypatch.setattr(mle, "newton_pass", lambda *a, **k: pytest.fail("a pass ran"))
    with pytest.raises(ConfigError, match=match) as info:
        mle.fit(GOOD_X, GOOD_Y, cov_type=cov_type, clusters=clusters)
    assert "\n" not in str(info.value)


def test_cluster_codes_and_labels_of_any_kind_give_the_same_covariance():
    """Codes 0 .. G - 1 are taken as they are; strings, gaps and negative numbers are coded
    by np.unique: the same clusters, the same covariance."""
    codes = np.arange(20) % 4
    kinds = (codes, np.array(["w", "x", "y", "z"])[codes], 10 * codes - 7)
    fits = [mle.fit(GOOD_X, GOOD_Y, cov_type="cluster", clusters=labels) for labels in kinds]
    for other in fits[1:]:
        np.testing.assert_array_equal(other.cov, fits[0].cov)
    assert not np.allclose(fits[0].cov, mle.fit(GOOD_X, GOOD_Y).cov)


@pytest.mark.parametrize("dtype", [np.float64, np.int64])
def test_a_column_major_design_is_read_as_it_is_and_fits_as_statsmodels(dtype, monkeypatch):
    """An F-ordered design (a DataFrame's to_numpy()) reaches every full pass uncopied when
    it is float64, and a design of whole numbers in F order fits too (it crashed Numba's
    pass): both equal statsmodels' fit."""
    rng = np.random.default_rng(12)
    X = np.asfortranarray(rng.integers(-3, 4, size=(140_000, 3)).astype(dtype))
    y = (rng.random(len(X)) < 1 / (1 + np.exp(-(0.3 + X @ [0.4, -0.2, 0.1])))).astype(float)
    seen, real = [], mle.newton_pass
    monkeypatch.setattr(mle, "newton_pass", lambda x, *a, **k: seen.append(x) or real(x, *a, **k))
    result = mle.fit(X, y)
    full = [x for x in seen if len(x) == len(y)]
    assert full and all(x.flags.f_contiguous for x in full)
    if dtype is np.float64:
        assert all(np.shares_memory(x, X) for x in full)
    reference = statsmodels_fit(X, y)
    np.testing.assert_allclose(result.params, reference.params, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(result.se, reference.bse, rtol=1e-7, atol=1e-10)
