"""The digits folder: figures in every format asked for, the weights table, results.json
with the scores beside scikit-learn's and the separation in plain words, report.html."""

import csv
import json

import numpy as np
import pytest
from sklearn.metrics import accuracy_score

from logitlab.model import probabilities
from logitlab.report.digits import write_digits
from logitlab.studies.digits import DigitsConfig, run_digits


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    run = run_digits(DigitsConfig(epochs=20))
    folder = tmp_path_factory.mktemp("digits")
    return run, folder, write_digits(run, folder, formats=("png", "svg"))


def test_files_written(written):
    _, folder, names = written
    figures = [f"{s}.{e}" for s in ("weights", "training", "hardest") for e in ("png", "svg")]
    assert names == sorted([*figures, "report.html", "results.json", "weights.csv"])
    assert sorted(p.name for p in folder.iterdir()) == names


def test_results_record_the_scores_and_the_settings(written):
    run, folder, _ = written
    results = json.loads((folder / "results.json").read_text())
    test = run.test
    predicted = probabilities(run.fit.params, run.data.x[test]) > 0.5
    assert results["scores"]["test"]["accuracy"] == accuracy_score(run.data.y[test], predicted)
    assert results["reference"]["scores"]["test"]["n"] == int(test.sum())
    assert results["settings"] | {"epochs": 20} == {
        "epochs": 20, "lr": 0.01, "batch_size": 32, "shuffle_seed": 0, "split_seed": 0,
        "test_size": 0.25, "engine": "auto", "loss": "bce", "optimizer": "adam", "start": 0.0,
    }  # fmt: skip
    assert results["separable"] is True and "separation" in results["separation"]
    assert len(results["fit"]["coef"]) == 65 and results["fit"]["epochs"] == 20
    assert sum(results["data"]["counts"]["test"].values()) == int(test.sum())
    assert results["provenance"]["seconds"] > 0


def test_weights_table_has_one_row_per_pixel(written):
    run, folder, _ = written
    with (folder / "weights.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 64
    weights = np.array([[float(r["weight"]) for r in rows if int(r["row"]) == i] for i in range(8)])
    np.testing.assert_allclose(weights, run.weights)
    assert {"pixel", "mean_3", "mean_7"} <= set(rows[0])


def test_report_says_why_there_is_no_mle(written):
    _, folder, _ = written
    page = (folder / "report.html").read_text()
    assert "maximum-likelihood estimate does not exist" in page
    assert page.count("<img") == 3 and "Which pixels vote" in page
    assert "divided by 16" in page
