"""write_fit: every file, numbers keyed by term name and equal to statsmodels', nothing left
behind on failure; the atomic single-file writer of `predict`."""

import csv
import json

import numpy as np
import pytest
import statsmodels.formula.api as smf

from logitlab.data.datasets import load_dataset
from logitlab.data.modelfile import load_model
from logitlab.report import fit as report
from logitlab.report.staging import staged_dir
from logitlab.studies.fit import fit_table

TERMS = ["Intercept", "GPA", "TUCE", "C(PSI)[T.1]"]
FILES = [
    "calibration.png", "coefficients.csv", "confusion.png", "drop1.csv", "effects.csv",
    "effects.png", "gd-vs-mle.png", "margins.csv", "model.json", "odds-ratios.png",
    "predictions.csv", "report.html", "results.json", "roc.png",
]  # fmt: skip


@pytest.fixture(scope="module")
def run():
    return fit_table("spector", test_size=0.25, losses="both")


@pytest.fixture(scope="module")
def written(run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fit")
    return folder, report.write_fit(run, folder)


def test_every_file_is_written(written):
    folder, names = written
    assert names == FILES
    html = (folder / "report.html").read_text()
    for heading in ("Data", "Maximum likelihood", "Per-term likelihood-ratio tests",
                    "Odds ratios", "Average marginal effects", "Effect plots", "Goodness of fit",
                    "How well it predicts", "Gradient descent"):  # fmt: skip
        assert f">{heading}" in html
    assert html.count("<img ") == 6


def test_results_are_keyed_by_term_and_match_statsmodels(run, written):
    folder, _ = written
    results = json.loads((folder / "results.json").read_text())
    training = run.design.rows[run.training]
    data = load_dataset("spector").frame.iloc[training]
    reference = smf.logit("GRADE ~ GPA + TUCE + C(PSI)", data).fit(disp=0, tol=1e-12)
    mle = results["mle"]
    assert list(mle["coefficients"]) == TERMS
    for name in TERMS:
        assert mle["coefficients"][name]["estimate"] == pytest.approx(
            reference.params[name], abs=1e-6
        )
        assert mle["odds_ratios"][name]["odds_ratio"] == pytest.approx(
            np.exp(reference.params[name]), rel=1e-6
        )
    for key, value in (("llnull", reference.llnull), ("llr", reference.llr),
                       ("aic", reference.aic), ("bic", reference.bic),
                       ("prsquared", reference.prsquared)):  # fmt: skip
        assert mle[key] == pytest.approx(value, rel=1e-6)
    assert list(mle["marginal_effects"]) == TERMS[1:]
    assert list(results["gradient_descent"]["fits"]["bce"]["coef"]) == TERMS
    assert results["data"]["rows_held_out"] == 8 and results["data"]["rows_training"] == 24
    assert results["metrics"]["held-out"]["n"] == 8


def test_csv_files(run, written):
    folder, _ = written
    with (folder / "coefficients.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["term"] for r in rows] == TERMS
    np.testing.assert_allclose([float(r["coef"]) for r in rows], run.mle.params)
    assert {"gd_bce", "gd_mse", "odds_ratio", "ci_lower"} <= set(rows[0])
    with (folder / "predictions.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 32 and sum(r["held_out"] == "True" for r in rows) == 8
    np.testing.assert_allclose([float(r["p_hat"]) for r in rows], run.p_hat)


def test_model_file_reads_back(run, written):
    folder, _ = written
    spec, coefficients = load_model(folder / "model.json")
    assert list(coefficients) == TERMS
    np.testing.assert_allclose(list(coefficients.values()), run.mle.params)
    assert spec.formula == run.design.formula


def test_nothing_is_left_when_writing_fails(run, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(report, "table_figures", broken)
    with pytest.raises(RuntimeError), staged_dir(tmp_path / "out") as stage:
        report.write_fit(run, stage)
    assert list(tmp_path.iterdir()) == []
