"""fit_table: the MLE against statsmodels, the descent against the MLE, metrics against
scikit-learn, the mapping back from z-scores, and the reading of the main effect."""

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler

from logitlab import engines
from logitlab.config import TrainConfig
from logitlab.errors import ConfigError, DataError, SeparationError
from logitlab.studies.fit import REBUILD_NOTE, Scaling, fit_table, step_size

FORMULA = "GRADE ~ GPA + TUCE + C(PSI)"


@pytest.fixture(scope="module")
def spector_frame():
    frame = sm.datasets.spector.load_pandas().data
    return frame.astype({"GRADE": int, "PSI": int})


@pytest.fixture(scope="module")
def spector_fit():
    return fit_table("spector", losses="both")


@pytest.fixture(scope="module")
def split_fit():
    return fit_table("spector", test_size=0.25, split_seed=3, train=TrainConfig(epochs=2000))


def test_mle_is_statsmodels_logit(spector_fit, spector_frame):
    reference = smf.logit(FORMULA, spector_frame).fit(disp=0, tol=1e-12)
    names = list(spector_fit.mle.names)  # patsy puts C(PSI) first: compare by name
    assert sorted(names) == sorted(reference.params.index)
    np.testing.assert_allclose(spector_fit.mle.params, reference.params[names], atol=1e-6)
    np.testing.assert_allclose(spector_fit.mle.se, reference.bse[names], atol=1e-6)
    np.testing.assert_allclose(spector_fit.p_hat, reference.predict(), atol=1e-8)
    np.testing.assert_array_equal(spector_fit.predicted, reference.predict() > 0.5)


def test_bce_descent_lands_on_the_mle_and_mse_elsewhere(spector_fit):
    bce, mse = spector_fit.descents["bce"], spector_fit.descents["mse"]
    assert bce.verdict == "converged"
    assert bce.to_mle.max_abs_std < 1e-4 and bce.to_mle.max_se < 1e-4
    assert bce.to_mle.max_rel < 1e-5
    np.testing.assert_allclose(bce.params, spector_fit.mle.params, atol=1e-4)
    assert mse.to_mle.max_se > 0.05  # MSE's minimum is another point


def test_a_descent_says_how_it_ran_and_lands_mapped_back(spector_fit):
    train = TrainConfig(epochs=40, optimizer="adam", batch_size=8, init=(0.1, 0.2, 0.3, 0.4))
    run = fit_table("spector", losses="mse", train=train)
    d = run.descents["mse"]
    assert (d.loss, d.optimizer, d.start, d.batch_size) == ("mse", "adam", train.init, 8)
    assert d.seconds_per_epoch is None and d.result.epochs == 40
    np.testing.assert_allclose(d.params, run.scaling.to_original(d.result.params), rtol=1e-12)
    np.testing.assert_array_equal(d.params, d.to_mle.params)


def test_descent_measures_agree_with_their_definitions(spector_fit):
    bce, mle = spector_fit.descents["mse"], spector_fit.mle
    gap = np.abs(bce.params - mle.params)
    assert bce.to_mle.max_abs == pytest.approx(gap.max())
    assert bce.to_mle.max_se == pytest.approx((gap / mle.se).max())
    assert bce.to_mle.max_rel == pytest.approx(gap.max() / np.abs(mle.params).max())


def test_mapping_back_from_z_scores_is_exact():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(50, 3)) * [2.0, 0.1, 30.0] + [5.0, -1.0, 100.0]
    scaling = Scaling(mean=X.mean(axis=0), scale=X.std(axis=0))
    z_params = np.array([0.3, -1.2, 0.7, 2.5])
    original = scaling.to_original(z_params)
    Z = (X - scaling.mean) / scaling.scale
    # the same logits from the z-scores and from the original columns
    np.testing.assert_allclose(z_params[0] + Z @ z_params[1:], original[0] + X @ original[1:])
    np.testing.assert_allclose(original[1:], z_params[1:] / [X[:, j].std() for j in range(3)])
    np.testing.assert_allclose(scaling.to_standard(original), z_params)


def test_automatic_step_is_one_over_the_curvature_bound():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 2)) @ np.array([[1.0, 0.9], [0.0, 0.3]])  # correlated columns
    scaling = Scaling(mean=X.mean(axis=0), scale=X.std(axis=0))
    correlation = np.corrcoef(X, rowvar=False)
    assert step_size(scaling, X) == pytest.approx(4 / np.linalg.eigvalsh(correlation).max())


def test_split_holds_rows_out_and_fits_only_the_rest(split_fit):
    held = split_fit.held_out
    assert held.sum() == 8 and split_fit.mle.nobs == 24
    y = split_fit.design.y
    assert y[held].sum() == pytest.approx(0.25 * y.sum(), abs=1)  # stratified
    # the MLE refitted by statsmodels on the training rows only
    X = sm.add_constant(split_fit.design.X)
    reference = sm.Logit(y[~held], X[~held]).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(split_fit.mle.params, reference.params, atol=1e-6)


def test_without_a_split_the_mle_reads_the_design_as_built_uncopied(monkeypatch):
    """No row held out: the MLE is given build_design's own X (formulaic's columns taken
    without the intercept, in F order, which the passes read as it is), not a copy of it;
    with a split, a copy of the training rows alone."""
    from logitlab.stats import mle as mle_module

    real, given = mle_module.fit, []
    monkeypatch.setattr(mle_module, "fit", lambda X, *a, **k: given.append(X) or real(X, *a, **k))
    whole = fit_table("spector", losses=())
    assert given[0] is whole.design.X  # the fit's own (the per-term tests fit fewer columns)
    given.clear()
    split = fit_table("spector", losses=(), test_size=0.25, split_seed=3)
    assert len(given[0]) == 24 and not np.shares_memory(given[0], split.design.X)


def test_held_out_metrics_are_scikit_learns(split_fit):
    held, y = split_fit.held_out, split_fit.design.y
    X = sm.add_constant(split_fit.design.X)
    p = sm.Logit(y[~held], X[~held]).fit(disp=0, tol=1e-12).predict(X[held])
    m = split_fit.metrics["held-out"]
    assert m.n == 8
    assert m.accuracy == pytest.approx(accuracy_score(y[held], p > 0.5))
    assert m.log_loss == pytest.approx(log_loss(y[held], p), rel=1e-6)
    assert m.brier == pytest.approx(brier_score_loss(y[held], p), rel=1e-6)
    assert m.roc_auc == pytest.approx(roc_auc_score(y[held], p))
    assert split_fit.metrics["training"].n == 24


def test_reading_names_the_main_effect(spector_fit, spector_frame):
    reference = smf.logit(FORMULA, spector_frame).fit(disp=0, tol=1e-12)
    low, high = np.exp(reference.conf_int().loc["GPA"])
    ratio = math.exp(reference.params["GPA"])
    assert spector_fit.reading.startswith(
        f"Each unit of GPA multiplies the odds of GRADE = 1 by {ratio:.3g} (95% CI {low:.3g} "
        f"to {high:.3g}), the other terms held fixed."
    )


def test_reading_of_a_level_compares_with_the_first(spector_frame):
    run = fit_table(spector_frame, formula="GRADE ~ TUCE + C(PSI)", losses=())
    assert run.reading.startswith("Compared with the first level (PSI = 0), PSI = 1 multiplies")


def test_reading_of_a_negative_effect_says_divides(spector_frame):
    frame = spector_frame.assign(LOW=-spector_frame["GPA"])
    run = fit_table(frame, formula="GRADE ~ LOW", losses=())
    ratio = math.exp(-run.mle.params[1])
    assert f"divides them by {ratio:.3g}" in run.reading


@pytest.fixture(scope="module")
def interacting():
    """Survival-like rows where sex's effect depends on class and age's is a parabola."""
    rng = np.random.default_rng(20)
    n = 600
    frame = pd.DataFrame(
        {
            "age": rng.uniform(1, 80, n),
            "x": rng.normal(size=n),
            "sex": rng.choice(["female", "male"], n),
            "cls": rng.integers(1, 4, n),
        }
    )
    male = (frame.sex == "male").to_numpy()
    age = frame.age.to_numpy()
    logit = -1 + 0.2 * age - 0.003 * age**2 - 2.5 * male + 1.5 * (frame.cls == 3) * male
    frame["y"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def test_reading_of_a_term_in_an_interaction_gives_its_average_marginal_effect(interacting):
    run = fit_table(interacting, formula="y ~ sex * C(cls) + x", losses=())
    assert run.reading.startswith("sex[T.male] is the term with the largest |z|")
    assert "the other terms held fixed" not in run.reading
    assert "sex enters sex, sex:C(cls), so its effect on the odds of y = 1 depends on cls" in (
        run.reading
    )
    # the effect given is the average discrete change, computed here with the fit's predict
    spec, rows = run.design.spec, interacting.iloc[run.design.rows]
    male = run.mle.predict(spec.design(rows.assign(sex="male")))
    female = run.mle.predict(spec.design(rows.assign(sex="female")))
    change = float(np.mean(male - female))
    assert f"sex = male rather than female changes the probability of y = 1 by {change:+.3g}" in (
        run.reading
    )


def test_reading_of_a_variable_with_its_square_says_its_effect_depends_on_itself(interacting):
    run = fit_table(interacting, formula="y ~ age + I(age**2) + x", losses=())
    assert "held fixed" not in run.reading
    assert "age enters age, I(age ** 2), so its effect on the odds of y = 1 depends on the " \
        "value of age itself" in run.reading  # fmt: skip
    row = run.margins.of("age")[0]
    assert f"one more unit of age changes the probability of y = 1 by {row['estimate']:+.3g}" in (
        run.reading
    )


def test_reading_without_margins_says_why_there_are_none(interacting):
    # in shares the margins are not computed: the words still do not hold sex fixed
    from logitlab.studies.fit import main_effect

    run = fit_table(interacting, formula="y ~ sex * C(cls) + x", losses=())
    words = main_effect(run.design.spec, run.mle, None)
    assert words.startswith("sex[T.male] is the term with the largest |z|")
    assert "depends on cls" in words and "held fixed" not in words
    assert words.endswith("Average marginal effects per variable are not computed here: a fit "
                          "in shares keeps no row, and with weights or trials a row stands for "
                          "many.")  # fmt: skip


def test_margins_are_per_variable_over_the_training_rows(interacting):
    run = fit_table(interacting, formula="y ~ age + I(age**2) + sex * C(cls)", losses=(),
                    test_size=0.25)  # fmt: skip
    assert run.margins.variables == ("age", "sex", "cls", "cls")
    assert run.margins.rows == int(run.training.sum()) == 450


def test_threshold_sets_the_predicted_label_and_the_metrics(interacting):
    from sklearn.metrics import confusion_matrix

    run = fit_table(interacting, formula="y ~ age + x", losses=(), test_size=0.25,
                    threshold=0.3)  # fmt: skip
    np.testing.assert_array_equal(run.predicted, (run.p_hat > 0.3).astype(int))
    held = run.held_out
    y, p = run.design.y[held], run.p_hat[held]
    m = run.metrics["held-out"]
    assert m.threshold == 0.3
    assert m.accuracy == pytest.approx(accuracy_score(y, p > 0.3))
    assert m.confusion == tuple(map(tuple, confusion_matrix(y, p > 0.3).tolist()))
    assert m.youden is not None and 0 < m.youden.threshold < 1


def test_separation_passes_through():
    frame = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1], "x": [1.0, 2, 3, 4, 5, 6]})
    with pytest.raises(SeparationError, match="x"):
        fit_table(frame, target="y")


def test_a_column_constant_on_the_training_rows_is_named(spector_frame):
    frame = spector_frame.assign(RARE=0)
    frame.loc[0, "RARE"] = 1  # only row 0, which this split holds out
    run = fit_table(spector_frame, formula=FORMULA, test_size=0.25, split_seed=0, losses=())
    assert run.held_out[0]
    with pytest.raises(DataError, match="on the training rows of the split, term 'RARE' is"):
        fit_table(frame, formula=f"{FORMULA} + RARE", test_size=0.25, split_seed=0)


def test_no_intercept_means_no_descent(spector_frame):
    run = fit_table(spector_frame, formula="GRADE ~ GPA + TUCE - 1")
    assert run.descents == {} and "no intercept" in run.descent_note
    reference = sm.Logit(spector_frame["GRADE"], spector_frame[["GPA", "TUCE"]]).fit(disp=0)
    np.testing.assert_allclose(run.p_hat, reference.predict(), atol=1e-8)


def standardised(frame):
    """spector's design (patsy's, via statsmodels) as scikit-learn standardises it, in the
    order fit_table names the columns."""
    model = smf.logit(FORMULA, frame)
    names = [n for n in model.exog_names if n != "Intercept"]
    X = pd.DataFrame(model.exog, columns=model.exog_names)[names].to_numpy()
    return StandardScaler().fit_transform(X), np.array(model.endog), names


def test_optimizer_and_batches_reach_the_descent(spector_frame):
    adam = TrainConfig(optimizer="adam", batch_size=8, epochs=60, shuffle_seed=3, lr=0.02)
    run = fit_table("spector", train=adam)
    Z, y, names = standardised(spector_frame)
    assert sorted(run.mle.names) == sorted(["Intercept", *names])
    order = [names.index(n) for n in run.design.names]
    reference = engines.fit(Z[:, order], y, adam)
    np.testing.assert_allclose(run.descents["bce"].result.params, reference.params, atol=1e-5)
    sgd = fit_table("spector", train=TrainConfig(epochs=60, lr=0.02))
    assert np.abs(sgd.descents["bce"].result.params - reference.params).max() > 1e-2
    assert run.train.optimizer_settings() == adam.optimizer_settings()


def test_automatic_step_only_for_sgd_and_momentum(spector_frame):
    Z, _, _ = standardised(spector_frame)
    top = np.linalg.eigvalsh(np.corrcoef(Z, rowvar=False)).max()
    momentum = fit_table("spector", train=TrainConfig(optimizer="momentum", epochs=5))
    assert momentum.train.lr == pytest.approx(4 / top)
    adam = fit_table("spector", train=TrainConfig(optimizer="adam", lr=0.03, epochs=5))
    assert adam.train.lr == 0.03
    given = fit_table("spector", train=TrainConfig(epochs=5), lr=0.2)
    assert given.train.lr == 0.2


def test_a_start_begins_the_descent_on_the_z_scores():
    start = (0.5, -1.0, 0.25, 2.0)
    run = fit_table("spector", train=TrainConfig(epochs=3, init=start))
    np.testing.assert_allclose(run.descents["bce"].result.history.params[0], start, atol=1e-6)


@pytest.mark.parametrize(
    ("train", "words"),
    [
        (TrainConfig(init=(1.0, 2.0)), "start must hold 4 numbers on the standardised columns"),
        (TrainConfig(batch_size=33), "batch size must be an integer from 1 to n"),
    ],
)
def test_what_the_table_cannot_take_is_refused_before_fitting(train, words, monkeypatch):
    monkeypatch.setattr("logitlab.stats.mle.fit", pytest.fail)  # refused before the MLE
    with pytest.raises(ConfigError) as caught:
        fit_table("spector", train=train)
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"lr": "fast"}, "lr must be a number > 0 or 'auto'"),
        ({"lr": -1.0}, "lr must be"),
        ({"train": {"epochs": 5}}, "train must be a TrainConfig"),
        ({"losses": "huber"}, "loss must be bce, mse or both"),
        ({"test_size": 1.5}, "test size must be a share between 0 and 1"),
    ],
)
def test_bad_settings_are_refused(kwargs, words):
    with pytest.raises(ConfigError) as caught:
        fit_table("spector", **kwargs)
    assert words in str(caught.value)


def test_only_frames_and_names():
    with pytest.raises(ConfigError, match="a pandas DataFrame or a data set name, got list"):
        fit_table([[0, 1]])
    with pytest.raises(ConfigError, match="data set must be one of"):
        fit_table("spektor")


@pytest.mark.parametrize("backend", ["numpy_nullable", "pyarrow"])
def test_nullable_frames_fit_as_their_values(spector_frame, backend):
    """df.convert_dtypes() (Int64, Float64, string): the fit of the same values in NumPy
    columns."""
    frame = spector_frame.assign(PSI=spector_frame["PSI"].map({0: "no", 1: "yes"}))
    formula = "GRADE ~ GPA + TUCE + PSI"  # PSI coded as text, not inside C()
    want = fit_table(frame, formula=formula, losses=())
    got = fit_table(frame.convert_dtypes(dtype_backend=backend), formula=formula, losses=())
    assert got.design.names == want.design.names
    np.testing.assert_allclose(got.mle.params, want.mle.params, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    ("column", "words"),
    [
        ([b"\x00", b"\x01"] * 16, "column 'TUCE' holds bytes"),
        ([[1.0, 2.0]] * 32, "column 'TUCE' holds lists"),
        (pd.date_range("2024-01-01", periods=32), "column 'TUCE' holds dates or times"),
    ],
)
def test_columns_of_other_kinds_are_refused_before_fitting(spector_frame, column, words,
                                                           monkeypatch):  # fmt: skip
    monkeypatch.setattr("logitlab.stats.mle.fit", pytest.fail)
    with pytest.raises(DataError) as caught:
        fit_table(spector_frame.assign(TUCE=column), formula=FORMULA)
    assert words in str(caught.value)


def test_settings_whole_or_as_keywords_fit_alike(spector_frame):
    from logitlab.config import FitSettings, ModelOptions

    train = TrainConfig(epochs=200)
    settings = FitSettings(model=ModelOptions(formula=FORMULA), test_size=0.25, split_seed=3,
                           train=train)  # fmt: skip
    whole = fit_table(spector_frame, settings)
    typed = fit_table(spector_frame, formula=FORMULA, test_size=0.25, split_seed=3, train=train)
    np.testing.assert_array_equal(whole.mle.params, typed.mle.params)
    np.testing.assert_array_equal(whole.descents["bce"].params, typed.descents["bce"].params)
    np.testing.assert_array_equal(whole.held_out, typed.held_out)
    assert fit_table(spector_frame, settings, losses=()).descents == {}
    with pytest.raises(TypeError, match="'formulas'"):
        fit_table(spector_frame, formulas=FORMULA)


@pytest.fixture(scope="module")
def panel():
    """Rows in 12 firms, each firm with its own shift of the logit (so clustering matters)."""
    rng = np.random.default_rng(21)
    n, firms = 480, 12
    firm = rng.integers(0, firms, n)
    x = rng.normal(size=n) + 0.5 * (firm % 3)
    logit = -0.3 + 0.9 * x + rng.normal(scale=1.0, size=firms)[firm]
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"y": y, "x": x, "z": rng.normal(size=n), "firm": [f"f{k}" for k in firm]})


def test_cluster_covariance_reaches_every_statistic(panel):
    fitted = fit_table(panel, formula="y ~ x + z", losses=(), cov="cluster:firm", conf_level=0.9)
    exog = sm.add_constant(panel[["x", "z"]])
    codes = panel.firm.astype("category").cat.codes.to_numpy()
    groups = {"groups": codes, "use_correction": False}
    raw = sm.Logit(panel.y, exog).fit(disp=0, tol=1e-12, cov_type="cluster", cov_kwds=groups)
    factor = 12 / 11  # Stata's G/(G-1); statsmodels' default would add (n-1)/(n-k)
    mle = fitted.mle
    assert mle.cov_type == "cluster:firm" and mle.conf_level == 0.9
    np.testing.assert_allclose(mle.cov, raw.cov_params().to_numpy() * factor, rtol=1e-8)
    se = raw.bse.to_numpy() * math.sqrt(factor)
    np.testing.assert_allclose(mle.se, se, rtol=1e-8)
    from scipy.stats import norm

    q = norm.ppf(0.95)
    np.testing.assert_allclose(mle.conf_int(), np.column_stack((raw.params - q * se,
                               raw.params + q * se)), rtol=1e-8, atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(mle.pvalues, 2 * norm.sf(np.abs(raw.params / se)), rtol=1e-6)
    assert not np.allclose(mle.se, sm.Logit(panel.y, exog).fit(disp=0).bse, rtol=0.05)
    # the margins' delta method takes the clustered covariance: get_margeff's SE, scaled
    margeff = raw.get_margeff()
    rows = fitted.margins.records()
    np.testing.assert_allclose([r["se"] for r in rows], margeff.margeff_se * math.sqrt(factor),
                               rtol=1e-6)  # fmt: skip
    low = margeff.margeff - q * margeff.margeff_se * math.sqrt(factor)
    np.testing.assert_allclose([r["lower"] for r in rows], low, rtol=1e-6)
    assert "90% CI" in fitted.reading


def test_hc1_reaches_the_descents_distance_in_standard_errors(panel):
    fitted = fit_table(panel, formula="y ~ x + z", losses="bce", cov="hc1",
                       train=TrainConfig(epochs=20))  # fmt: skip
    gd = fitted.descents["bce"]
    in_se = np.abs(gd.params - fitted.mle.params) / fitted.mle.se
    np.testing.assert_allclose(gd.to_mle.max_se, np.max(in_se), rtol=1e-12)
    plain = fit_table(panel, formula="y ~ x + z", losses=(), cov="hc0")
    n, k = len(panel), 3
    np.testing.assert_allclose(fitted.mle.cov, plain.mle.cov * n / (n - k), rtol=1e-10)


@pytest.mark.parametrize(
    ("cov", "change", "words"),
    [
        ("cluster:firms", None, "no column 'firms' in the table; its columns are 'y', 'x'"),
        ("cluster:firm", "one", "the cluster column 'firm' holds one value ('f0') on the 480 "
         "rows fitted; a clustered covariance needs at least 2 clusters"),
        ("cluster:firm", "missing", "the cluster column 'firm' has 2 missing value(s) among the "
         "rows fitted"),
    ],
)  # fmt: skip
def test_a_bad_cluster_column_is_refused_in_one_line(panel, cov, change, words):
    frame = panel.copy()
    if change == "one":
        frame["firm"] = "f0"
    elif change == "missing":
        frame.loc[[3, 7], "firm"] = None
    with pytest.raises(DataError) as caught:
        fit_table(frame, formula="y ~ x + z", losses=(), cov=cov)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_table_fit_shows_one_line_and_the_summary_the_command_prints(spector_fit):
    mle, mse = spector_fit.mle, spector_fit.descents["mse"]
    text = repr(spector_fit)
    assert "\n" not in text and len(text) < 250
    assert text.startswith("TableFit('GRADE ~ GPA + TUCE + C(PSI)' on data set spector, 32 rows: "
                           f"MLE params=[{mle.params[0]:.4g}, {mle.params[1]:.4g}, ")  # fmt: skip
    assert text.endswith(f", converged in {mle.iterations} iterations; bce descent converged; "
                         f"mse descent {mse.verdict})")  # fmt: skip
    summary = spector_fit.summary()
    assert summary.startswith(mle.summary() + "\n32 rows used; ")
    assert f"\n\n{spector_fit.reading}\n\n" in summary
    m = spector_fit.metrics["training"]
    assert f"training rows (n = 32): accuracy {m.accuracy:.3f} at threshold 0.5" in summary
    assert (
        f"\ngradient descent on MSE: {mse.verdict} after {mse.result.epochs:,} epochs, "
        "max |coef - MLE| "
    ) in summary and summary.endswith(" standard errors)")


def test_a_long_formula_is_cut_in_the_line_and_whole_in_the_card():
    rng = np.random.default_rng(9)
    frame = pd.DataFrame(rng.normal(size=(120, 20)), columns=[f"x{j}" for j in range(20)])
    frame["y"] = (rng.random(120) < 0.5).astype(int)
    formula = "y ~ " + " + ".join(frame.columns[:20])
    fitted = fit_table(frame, formula=formula, losses=())
    text = repr(fitted)
    assert "\n" not in text and len(text) < 250
    assert text.startswith(f"TableFit({formula[:59] + '…'!r} on ")
    assert f"<strong>{fitted.design.spec.formula}</strong>" in fitted._repr_html_()


def test_a_table_fit_card_holds_the_coefficient_table_with_the_verdict_escaped():
    rng = np.random.default_rng(5)
    x = rng.normal(size=80)
    frame = pd.DataFrame({"<b>": x, "y": (rng.random(80) < 1 / (1 + np.exp(-x))).astype(int)})
    fitted = fit_table(frame, target="y", train=TrainConfig(epochs=300))
    card = fitted._repr_html_()
    assert "<b>" not in card and "<strong>y ~ `&lt;b&gt;`</strong>" in card
    low, high = fitted.mle.conf_int()[1]
    assert (f"<td>&lt;b&gt;</td><td>{fitted.mle.params[1]:.4f}</td><td>{fitted.mle.se[1]:.4f}"
            "</td>") in card  # fmt: skip
    assert f"<td>[{low:.4f}, {high:.4f}]</td>" in card and "<th>95% interval</th>" in card
    assert f"converged in {fitted.mle.iterations} iterations; nonrobust standard errors" in card
    bce = fitted.descents["bce"]
    assert f"<td>BCE</td><td>{bce.verdict} (|gradient| " in card
    assert "<td>training</td><td>80</td><td>0.5</td>" in card
    assert fitted.reading.split(" (")[0].replace("<b>", "&lt;b&gt;") in card


def test_a_fit_is_judged_on_its_held_out_rows_if_it_has_some(spector_fit, split_fit):
    assert split_fit.judged_rows == "held-out" and spector_fit.judged_rows == "training"


@pytest.mark.parametrize("cov", ["hc1", "hc3", "cluster:g"])
def test_a_weighted_fit_s_covariance_is_the_expanded_table_s(cov):
    rng = np.random.default_rng(22)
    n = 50
    frame = pd.DataFrame({"x": rng.normal(size=n), "w": rng.integers(1, 4, n),
                          "g": rng.integers(0, 6, n)})  # fmt: skip
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-frame.x))).astype(int)
    expanded = frame.loc[frame.index.repeat(frame.w)].reset_index(drop=True)
    weighted = fit_table(frame, formula="y ~ x", weights="w", losses=(), cov=cov).mle
    reference = fit_table(expanded, formula="y ~ x", losses=(), cov=cov).mle
    assert weighted.nobs == reference.nobs == frame.w.sum()
    np.testing.assert_allclose(weighted.cov, reference.cov, rtol=1e-10, atol=1e-15)


def test_a_formula_whose_columns_cannot_be_built_again_still_fits_and_says_why():
    # poly()'s state is not kept by the spec: margins and effect plots need changed rows
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"x": rng.normal(size=200), "a": rng.normal(size=200)})
    frame["y"] = (rng.random(200) < 1 / (1 + np.exp(-frame.x))).astype(int)
    fitted = fit_table(frame, formula="y ~ poly(x, 2) + a", losses=())
    assert fitted.margins is None and fitted.effects is None
    assert fitted.margins_note.startswith(REBUILD_NOTE)
    assert fitted.margins_note in fitted.summary()
    plain = fit_table(frame, formula="y ~ x + a", losses=())
    assert plain.margins is not None and plain.margins_note == ""
