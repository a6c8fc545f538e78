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
        "test_size": 0.25, "engine": "auto", "classes": "3,7", "loss": "bce", "optimizer": "adam",
        "start": 0.0,
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


@pytest.fixture(scope="module")
def ten_written(tmp_path_factory):
    run = run_digits(DigitsConfig(classes="all", epochs=10, engine="eager"))
    folder = tmp_path_factory.mktemp("ten")
    return run, folder, write_digits(run, folder, formats=("png", "pdf"))


def test_ten_digits_folder_has_its_figures_weights_and_page(ten_written):
    _, folder, names = ten_written
    figures = [f"{s}.{e}" for s in ("training", "weights", "confusion", "hardest")
               for e in ("png", "pdf")]  # fmt: skip
    assert names == sorted([*figures, "report.html", "results.json", "weights.csv"])
    assert sorted(p.name for p in folder.iterdir()) == names


def test_ten_digits_results_hold_the_fit_both_models_scores_and_the_hardest(ten_written):
    """The keys the pair's results.json has where they mean the same (settings, data, fit,
    scores, reference, provenance); the scores as fit's multiclass evaluation records them."""
    run, folder, _ = ten_written
    results = json.loads((folder / "results.json").read_text())
    assert set(results) == {"settings", "data", "fit", "scores", "reference", "hardest",
                            "provenance"}  # fmt: skip
    assert results["settings"]["classes"] == "all" and results["settings"]["epochs"] == 10
    assert results["settings"]["loss"] == "cross_entropy"
    test = results["scores"]["test"]
    assert set(test) == {"rows", "held_out", "classes", "confusion_matrix", "precision",
                         "recall", "accuracy", "log_loss", "roc_auc_ovr"}  # fmt: skip
    x, y = run.data.x[run.test], run.data.y[run.test]
    predicted = (x @ np.asarray(results["fit"]["weight"]).T + results["fit"]["bias"]).argmax(1)
    assert test["accuracy"] == accuracy_score(y, predicted)
    assert test["classes"] == list(range(10)) and set(test["recall"]) == {str(d) for d in range(10)}
    assert np.sum(test["confusion_matrix"]) == test["rows"] == 450
    reference = results["reference"]["scores"]["test"]
    assert reference["rows"] == 450 and "multinomial" in results["reference"]["model"]
    lowest = [h["p_digit"] for h in results["hardest"]]
    assert len(lowest) == 10 and lowest == sorted(lowest)
    assert len(results["fit"]["loss"]) == 10 and len(results["fit"]["weight"]) == 10
    assert sum(results["data"]["counts"]["test"].values()) == 450


def test_ten_digits_weights_table_has_each_pixels_ten_weights(ten_written):
    run, folder, _ = ten_written
    with (folder / "weights.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 64 and list(rows[0])[:3] == ["pixel", "row", "col"]
    table = np.array([[float(r[f"weight_{d}"]) for r in rows] for d in range(10)])
    np.testing.assert_array_equal(table, run.fit.weight)


def test_ten_digits_page_shows_every_figure_and_both_models(ten_written):
    run, folder, _ = ten_written
    page = (folder / "report.html").read_text()
    assert page.count("<img") == 4
    for words in ("Confusion matrix", "Each digit", "CrossEntropyLoss", "divided by 16",
                  "scikit-learn LogisticRegression (multinomial", "precision"):  # fmt: skip
        assert words in page
    assert f"{100 * run.scores.test.accuracy:.1f}%" in page
