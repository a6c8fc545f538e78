"""fit_table with a penalty (FitSettings' penalty, lam, l1_ratio, folds): the estimate is
stats.penalized's on the design, no inference is claimed, and the refusals are the
settings' own."""

import numpy as np
import pytest

from logitlab import ConfigError
from logitlab.config import FitSettings
from logitlab.data.datasets import load_dataset
from logitlab.data.design import build_design
from logitlab.stats import penalized
from logitlab.studies.fit import PENALIZED_NOTE, fit_table


def test_fit_table_takes_the_penalty():
    fitted = fit_table("spector", penalty="elasticnet", lam=0.05, l1_ratio=0.25)
    table = load_dataset("spector")
    design = build_design(table.frame, formula=table.formula, positive=table.info.positive)
    direct = penalized.fit(design.X, design.y, 0.05, 0.25)
    np.testing.assert_allclose(fitted.mle.params, direct.params, atol=1e-10)
    assert fitted.mle.objective == pytest.approx(direct.objective, rel=1e-12)
    assert np.isnan(fitted.mle.se).all() and np.isnan(fitted.mle.pvalues).all()
    assert fitted.descents == {} and fitted.margins is None and fitted.drop1 is None
    assert fitted.drop1_note == PENALIZED_NOTE and "keeps 3 of 3 slopes" in fitted.reading
    assert "Penalized: no standard errors" in fitted.mle.summary()


def test_a_model_without_intercept_is_refused():
    with pytest.raises(ConfigError, match="leaves the intercept free"):
        fit_table("spector", formula="GRADE ~ GPA + TUCE - 1", penalty="l2", lam=0.1)


@pytest.mark.parametrize(
    ("keywords", "words"),
    [
        ({"l1_ratio": 0.5}, "l1 ratio 0.5 needs a penalty"),
        ({"penalty": "ridge", "lam": 1}, "penalty must be one of l2, l1, elasticnet"),
        ({"penalty": "l1", "lam": 1, "cov": "hc1"}, "no honest standard errors"),
        ({"penalty": "l1", "lam": "cv", "folds": 1}, "folds must be"),
    ],
)
def test_settings_refuse(keywords, words):
    with pytest.raises(ConfigError, match=words):
        FitSettings.of(**keywords)


def test_fit_table_counts_trials_in_the_penalized_fit(budworm):
    """Grouped rows reach stats.penalized with their trials (the settings refuse them no
    more): the estimate is penalized.fit's with trials, nobs the rows."""
    fitted = fit_table(budworm, formula="dead ~ ldose + sex", trials="n", penalty="l2", lam=0.01)
    design = build_design(budworm, formula="dead ~ ldose + sex", trials="n")
    direct = penalized.fit(design.X, design.y, 0.01, 0.0, trials=design.trials)
    np.testing.assert_allclose(fitted.mle.params, direct.params, rtol=0, atol=1e-10)
    assert fitted.mle.nobs == 12 and fitted.mle.grouped and fitted.drop1 is None
