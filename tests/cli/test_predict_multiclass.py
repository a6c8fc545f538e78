"""`logitlab predict` with the model.json of a fit of three classes or more: each class's
probability equal to MNLogitResult.predict's and the fit's own (within ulps) and to
statsmodels' MNLogit, the label the most probable class in the target's own values, a
chunk at a time; the columns named as CSV needs; --threshold and --interval refused."""

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.datasets import load_iris

import logitlab.cli as cli
from logitlab.config import FitSettings, ModelOptions
from logitlab.studies.multiclass import fit_multiclass

FORMULA = "species ~ sl + C(g)"


@pytest.fixture(scope="module")
def iris(tmp_path_factory):
    """Iris with a three-level factor g, fitted by `logitlab fit` (model.json) and in
    process (the same MNLogitResult)."""
    data = load_iris(as_frame=True)
    frame = pd.DataFrame({"sl": data.frame.iloc[:, 0], "species": data.target_names[data.target]})
    frame["g"] = np.random.default_rng(3).choice(["lo", "mid", "hi"], len(frame))
    folder = tmp_path_factory.mktemp("iris")
    frame.to_csv(folder / "iris.csv", index=False)
    argv = ["fit", str(folder / "iris.csv"), "--formula", FORMULA, "--quiet", "--out",
            str(folder / "fit")]  # fmt: skip
    assert cli.main(argv) == 0
    run = fit_multiclass(frame, FitSettings(model=ModelOptions(formula=FORMULA)))
    return folder, frame, run


def predicted(argv: list[str], capsys) -> tuple[pd.DataFrame, str]:
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    return pd.read_csv(argv[argv.index("--out") + 1], keep_default_na=False), printed


def by_hand(frame: pd.DataFrame) -> np.ndarray:
    """The design's features, coded here (treatment coding, 'hi' the reference)."""
    return np.column_stack([frame["sl"], frame["g"] == "lo", frame["g"] == "mid"]).astype(float)


def test_each_class_probability_is_the_fits_own_a_chunk_at_a_time(
    iris, tmp_path, capsys, assert_ulps
):
    folder, frame, run = iris
    order = np.random.default_rng(4).permutation(len(frame))
    new = frame.iloc[order].reset_index(drop=True)
    new.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "p.csv"
    table, printed = predicted(["predict", str(folder / "fit" / "model.json"),
                                str(tmp_path / "new.csv"), "--keep", "species",
                                "--chunk-rows", "40", "--out", str(out)], capsys)  # fmt: skip
    names = ["p_setosa", "p_versicolor", "p_virginica"]
    assert list(table.columns) == ["species", "row", *names, "label"]
    assert table["row"].tolist() == list(range(150))
    p = table[names].to_numpy()
    # MNLogitResult.predict on the same rows, coded by hand
    assert_ulps(p, run.mle.predict(by_hand(new)), precision=np.float64)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    # the fit's own probabilities of its rows (baseline first: MNLogitResult.columns)
    own = np.empty_like(run.mle.fitted)
    own[:, run.mle.columns] = run.mle.fitted
    assert_ulps(p, own[order], precision=np.float64)
    # statsmodels' MNLogit on the design it codes itself
    X = sm.add_constant(by_hand(frame))
    ref = sm.MNLogit(pd.Categorical(frame["species"]).codes, X).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(p, ref.predict(sm.add_constant(by_hand(new))), atol=1e-7)
    # the label: the most probable class, in the target's own values
    assert table["label"].tolist() == [names[k][2:] for k in p.argmax(axis=1)]
    # ... whose confusion matrix against the actual species is the fit's evaluation's
    results = json.loads((folder / "fit" / "results.json").read_text())
    classes = results["evaluation"]["classes"]
    confusion = pd.crosstab(table["species"], table["label"])
    confusion = confusion.reindex(index=classes, columns=classes, fill_value=0)
    assert confusion.to_numpy().tolist() == results["evaluation"]["confusion_matrix"]
    assert "150 predictions of species among 3 classes (p_setosa, p_versicolor" in printed


def test_the_model_file_gives_no_binary_coding_and_an_older_one_predicts_the_same(
    iris, tmp_path, capsys
):
    """fit's model.json of three classes has no positive/negative in its spec; one that
    gives them (as fit wrote it before) predicts the same bytes."""
    folder, _, _ = iris
    record = json.loads((folder / "fit" / "model.json").read_text())
    assert "positive" not in record["spec"] and "negative" not in record["spec"]
    record["spec"].update(positive=True, negative=False)
    older = tmp_path / "older.json"
    older.write_text(json.dumps(record, indent=2))
    for model, out in ((folder / "fit" / "model.json", "now.csv"), (older, "older.csv")):
        predicted(["predict", str(model), str(folder / "iris.csv"), "--out",
                   str(tmp_path / out)], capsys)  # fmt: skip
    assert (tmp_path / "now.csv").read_bytes() == (tmp_path / "older.csv").read_bytes()


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--threshold", "0.5"], "--threshold applies to a model of two classes; "),
        (["--interval"], "--interval applies to a model of two classes; "),
        (["--keep", "p_setosa"], "--keep 'p_setosa': predict writes a column of that name"),
    ],
)
def test_options_of_two_classes_are_refused_saying_why(refused, iris, tmp_path, options, words):
    folder, _, _ = iris
    line = refused(["predict", str(folder / "fit" / "model.json"), str(folder / "iris.csv"),
                    *options, "--out", str(tmp_path / "p.csv")])  # fmt: skip
    assert words in line
    if "applies" in words:
        assert "holds a model of 3 classes ('setosa', 'versicolor', 'virginica')" in line


def test_a_row_the_model_cannot_code_is_skipped_with_its_reason(iris, tmp_path, capsys):
    folder, frame, run = iris
    new = frame.head(4).assign(g=["lo", "new", "hi", "mid"])
    new.to_csv(tmp_path / "new.csv", index=False)
    argv = ["predict", str(folder / "fit" / "model.json"), str(tmp_path / "new.csv"),
            "--on-error", "skip", "--out", str(tmp_path / "p.csv")]  # fmt: skip
    table, printed = predicted(argv, capsys)
    assert table.loc[1, ["p_setosa", "p_versicolor", "p_virginica", "label"]].tolist() == [""] * 4
    assert "'new'" in table.loc[1, "reason"] and (table["reason"] == "").sum() == 3
    kept = new.drop(index=1)
    p = table.drop(index=1)[["p_setosa", "p_versicolor", "p_virginica"]].astype(float)
    np.testing.assert_allclose(p, run.mle.predict(by_hand(kept)), rtol=1e-15, atol=1e-15)
    assert "3 predictions" in printed and "1 rows skipped" in printed


def test_columns_are_named_as_csv_needs_and_labels_read_back_as_written(tmp_path, capsys):
    rng = np.random.default_rng(8)
    levels = ["a,b", 'say "hi"', "x\ny"]
    x = rng.normal(size=90)
    y = np.array(levels, dtype=object)[np.clip(np.round(x + rng.normal(size=90)) + 1, 0, 2)
                                       .astype(int)]  # fmt: skip
    pd.DataFrame({"x": x, "y": y}).to_csv(tmp_path / "t.csv", index=False)
    fit_argv = ["fit", str(tmp_path / "t.csv"), "--formula", "y ~ x", "--quiet", "--out",
                str(tmp_path / "fit")]  # fmt: skip
    assert cli.main(fit_argv) == 0
    capsys.readouterr()
    argv = ["predict", str(tmp_path / "fit" / "model.json"), str(tmp_path / "t.csv"), "--out",
            str(tmp_path / "p.csv")]  # fmt: skip
    table, _ = predicted(argv, capsys)
    names = ["p_a,b", 'p_say "hi"', "p_x\\ny"]  # sorted classes; the newline escaped
    assert list(table.columns) == ["row", *names, "label"]
    p = table[names].to_numpy()
    assert table["label"].tolist() == [levels[k] for k in p.argmax(axis=1)]
    assert {"a,b", "x\ny"} <= set(table["label"])  # quoted in the file, read back whole


def test_a_numeric_target_s_labels_are_its_numbers(tmp_path, capsys):
    rng = np.random.default_rng(9)
    x = rng.normal(size=120)
    y = np.clip(np.round(x + rng.normal(size=120)), -1, 1).astype(int) * 5 + 10  # 5, 10, 15
    pd.DataFrame({"x": x, "y": y}).to_csv(tmp_path / "t.csv", index=False)
    assert cli.main(["fit", str(tmp_path / "t.csv"), "--formula", "y ~ x", "--baseline", "10",
                     "--quiet", "--out", str(tmp_path / "fit")]) == 0  # fmt: skip
    capsys.readouterr()
    saved = json.loads((tmp_path / "fit" / "model.json").read_text())["multinomial"]
    assert saved["classes"] == [5, 10, 15] and saved["baseline"] == 10
    argv = ["predict", str(tmp_path / "fit" / "model.json"), str(tmp_path / "t.csv"), "--out",
            str(tmp_path / "p.csv")]  # fmt: skip
    table, _ = predicted(argv, capsys)
    assert list(table.columns) == ["row", "p_5", "p_10", "p_15", "label"]
    p = table[["p_5", "p_10", "p_15"]].to_numpy(dtype=float)
    assert table["label"].astype(int).tolist() == [[5, 10, 15][k] for k in p.argmax(axis=1)]
    X = sm.add_constant(x)
    ref = sm.MNLogit(np.searchsorted([5, 10, 15], y), X).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(p, ref.predict(X), atol=1e-7)


def test_a_tampered_multinomial_model_file_is_refused_in_one_line(
    refused, iris, tmp_path, tmp_path_factory
):
    folder, _, _ = iris
    record = json.loads((folder / "fit" / "model.json").read_text())
    record["multinomial"]["params"]["sl"] = [1.0]
    model = tmp_path_factory.mktemp("tampered") / "model.json"
    model.write_text(json.dumps(record))
    line = refused(["predict", str(model), str(folder / "iris.csv"), "--out",
                    str(tmp_path / "p.csv")])  # fmt: skip
    assert "is not a valid model file: its params of 'sl' must list 2 numbers" in line


def test_help_says_what_a_model_of_more_classes_writes(capsys):
    with pytest.raises(SystemExit):
        cli.main(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "p_<class> for each class" in text and "label, the most probable class" in text
    assert "a model of three classes or more takes none" in text
    assert "not for a model of three classes or more" in text


def test_a_folder_of_shares_is_predicted_as_the_one_file(iris, tmp_path, capsys):
    folder, frame, _ = iris
    shares = tmp_path / "shares"
    shares.mkdir()
    frame.iloc[:70].to_parquet(shares / "part-0.parquet")
    frame.iloc[70:].to_parquet(shares / "part-1.parquet")
    model = str(folder / "fit" / "model.json")
    whole, _ = predicted(["predict", model, str(folder / "iris.csv"), "--out",
                          str(tmp_path / "whole.csv")], capsys)  # fmt: skip
    parts, _ = predicted(["predict", model, str(shares), "--chunk-rows", "25", "--out",
                          str(tmp_path / "parts.csv")], capsys)  # fmt: skip
    assert parts[["row", "label"]].equals(whole[["row", "label"]])
    names = ["p_setosa", "p_versicolor", "p_virginica"]
    np.testing.assert_allclose(parts[names], whole[names], rtol=1e-15, atol=1e-16)
