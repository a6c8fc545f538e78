"""`logitlab fit` with a target of three values read in shares: iris streamed from one CSV
file in chunks and a folder of Parquet files on 2 workers give the in-memory multinomial
fit's files and numbers (itself checked against statsmodels' MNLogit), without what needs
every row in one place; model.json is good for `logitlab predict`."""

import csv
import json

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn.datasets import load_iris

import logitlab.cli as cli

FORMULA = "species ~ sl + C(g)"


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    """Iris (sepal length, a random 3-level factor g, a weight) as one CSV and a folder of 3 Parquet
    files, and its in-memory fit's folder."""
    data = load_iris(as_frame=True)
    frame = data.frame.rename(columns={data.frame.columns[0]: "sl"})[["sl"]]
    frame["g"] = np.random.default_rng(0).choice(["a", "b", "c"], len(frame))
    frame["species"] = data.target_names[data.target]
    frame["w"] = 1  # frequency weights a fit of three classes does not take yet
    folder = tmp_path_factory.mktemp("iris")
    frame.to_csv(folder / "iris.csv", index=False)
    (folder / "parts").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_parquet(folder / "parts" / f"part-{i}.parquet", index=False)
    memory = folder / "memory"
    argv = ["fit", str(folder / "iris.csv"), "--formula", FORMULA, "--baseline", "versicolor",
            "--quiet", "--out", str(memory)]  # fmt: skip
    assert cli.main(argv) == 0
    return folder, frame, memory


def results(folder):
    return json.loads((folder / "results.json").read_text())


def assert_same_fit(got, want):
    """Two folders' multinomial fits: coefficients.csv and model.json within 1e-10, every
    statistic and marginal effect within 1e-9, the same confusion matrix and log-loss."""
    rows = [list(csv.DictReader((f / "coefficients.csv").open())) for f in (got, want)]
    assert [(r["class"], r["term"]) for r in rows[0]] == [(r["class"], r["term"]) for r in rows[1]]
    for key in ("coef", "std_err", "z", "lower", "upper", "rrr"):
        np.testing.assert_allclose([float(r[key]) for r in rows[0]],
                                   [float(r[key]) for r in rows[1]], rtol=1e-10)  # fmt: skip
    a, b = results(got), results(want)
    for key in ("llf", "llnull", "llr", "llr_pvalue", "prsquared", "aic", "bic"):
        assert a["multinomial"][key] == pytest.approx(b["multinomial"][key], rel=1e-10), key
    for key in ("nobs", "df_model", "df_resid", "baseline", "equations", "classes"):
        assert a["multinomial"][key] == b["multinomial"][key], key
    for mine, theirs in zip(a["multinomial"]["marginal_effects"],
                            b["multinomial"]["marginal_effects"], strict=True):  # fmt: skip
        assert (mine["class"], mine["term"]) == (theirs["class"], theirs["term"])
        np.testing.assert_allclose(
            [mine["dy_dx"], mine["std_err"]],
            [theirs["dy_dx"], theirs["std_err"]],
            rtol=1e-9,
            atol=1e-14,
        )
    e, f = a["evaluation"], b["evaluation"]
    assert e["confusion_matrix"] == f["confusion_matrix"] and e["rows"] == f["rows"] == 150
    for key in ("accuracy", "log_loss"):
        assert e[key] == pytest.approx(f[key], rel=1e-10)
    assert e["precision"] == pytest.approx(f["precision"], rel=1e-12)
    assert e["recall"] == pytest.approx(f["recall"], rel=1e-12)
    assert e["roc_auc_ovr"] is None and f["roc_auc_ovr"] is not None  # it ranks every row
    models = [json.loads((f / "model.json").read_text()) for f in (got, want)]
    assert models[0]["spec"] == models[1]["spec"]
    params = [m["multinomial"]["params"] for m in models]  # by term name
    assert list(params[0]) == list(params[1])
    np.testing.assert_allclose(list(params[0].values()), list(params[1].values()), rtol=1e-10)


def test_the_in_memory_reference_is_statsmodels(iris):
    _, frame, memory = iris
    x = sm.add_constant(np.column_stack((frame["sl"], frame["g"] == "b", frame["g"] == "c")))
    order = {"versicolor": 0, "setosa": 1, "virginica": 2}  # the baseline first
    reference = sm.MNLogit(frame["species"].map(order), x.astype(float)).fit(disp=0, tol=1e-12)
    rows = list(csv.DictReader((memory / "coefficients.csv").open()))
    coef = np.array([float(r["coef"]) for r in rows]).reshape(2, 4).T
    np.testing.assert_allclose(coef, reference.params, rtol=1e-7, atol=1e-8)


def test_one_csv_file_in_chunks_equals_the_in_memory_fit(iris, tmp_path, capsys):
    folder, _, memory = iris
    out = tmp_path / "out"
    argv = ["fit", str(folder / "iris.csv"), "--formula", FORMULA, "--baseline", "versicolor",
            "--chunk-rows", "40", "--quiet", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert_same_fit(out, memory)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "coefficients.csv", "model.json", "report.html", "results.json", "summary.txt"]  # fmt: skip
    assert "ROC AUC n/a (not computed in shares: it ranks every row)" in printed
    assert "read in shares by 1 worker(s) (150 rows), at most 40 rows at a time" in printed
    page = (out / "report.html").read_text()
    assert "setosa vs versicolor" in page and "probabilities.png" in page  # said, not drawn
    predicted = tmp_path / "p.csv"
    assert cli.main(["predict", str(out / "model.json"), str(folder / "iris.csv"), "--out",
                     str(predicted)]) == 0  # fmt: skip
    with predicted.open() as handle:
        labels = [row["label"] for row in csv.DictReader(handle)]
    confusion = results(out)["evaluation"]["confusion_matrix"]
    assert sum(label == "setosa" for label in labels) == sum(row[0] for row in confusion)


def test_a_folder_on_two_workers_equals_the_in_memory_fit(iris, tmp_path, fit_on_two_workers):
    folder, _, memory = iris
    out = tmp_path / "out"
    printed = fit_on_two_workers(folder / "parts", "--formula", FORMULA, "--baseline",
                                 "versicolor", "--chunk-rows", 30, out=out)  # fmt: skip
    assert printed.count("Multinomial logit: maximum likelihood") == 1  # rank 0 alone
    assert "by 2 worker(s)" in printed
    assert_same_fit(out, memory)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--weights", "w"], "weights are not taken by a fit of three or more classes yet"),
        (["--positive", "setosa"], "give baseline instead"),
        (["--baseline", "rose"], "baseline must be a value of the target 'species'"),
        (["--max-levels", "2"], "takes more than 2 values"),
    ],
)
def test_refused_in_shares_in_one_line(iris, tmp_path, capsys, extra, words):
    folder, _, _ = iris
    argv = ["fit", str(folder / "parts"), "--formula", FORMULA, *extra, "--quiet", "--out",
            str(tmp_path / "out")]  # fmt: skip
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_the_softmax_descent_asked_for_in_shares_is_skipped_and_said(iris, tmp_path, capsys):
    folder, _, memory = iris
    out = tmp_path / "out"
    argv = ["fit", str(folder / "iris.csv"), "--formula", FORMULA, "--baseline", "versicolor",
            "--chunk-rows", "40", "--loss", "bce", "--quiet", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    said = "gradient descent skipped: a fit of three classes or more read in shares is the MLE"
    assert said in printed
    gd = results(out)["gradient_descent"]
    assert gd["fits"] == {} and gd["note"].startswith(said)
    assert said in (out / "report.html").read_text()
    assert not (out / "loss.png").exists() and (memory / "loss.png").exists()
    assert "gd_bce" not in (out / "coefficients.csv").read_text().splitlines()[0]
