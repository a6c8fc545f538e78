"""`logitlab fit`, `predict` and `datasets` end to end: each shipped data set, the predict
round trip, and every bad input refused with exit 2, one line and nothing written."""

import csv

import numpy as np
import pandas as pd
import pytest

import logitlab.cli as cli
from logitlab.data.datasets import DATASETS

FAST = ["--epochs", "200", "--quiet"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Input files, outside the folder the refusal checks watch."""
    folder = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(4)
    n = 60
    frame = pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], n),
        }
    )
    frame.to_csv(folder / "table.csv", index=False)
    frame.assign(colour="purple").to_csv(folder / "new-level.csv", index=False)
    frame.drop(columns="x").to_csv(folder / "no-x.csv", index=False)
    frame.assign(one=1).to_csv(folder / "constant.csv", index=False)
    frame.assign(x2=frame["x"]).to_csv(folder / "duplicate.csv", index=False)
    frame.assign(z=2 * frame["x"] + 1).to_csv(folder / "collinear.csv", index=False)
    frame.assign(y=1).to_csv(folder / "one-class.csv", index=False)
    frame.assign(y=rng.integers(0, 3, n)).to_csv(folder / "three-class.csv", index=False)
    frame.assign(x=np.nan).to_csv(folder / "all-missing.csv", index=False)
    frame.assign(id=[f"id{i}" for i in range(n)]).to_csv(folder / "ids.csv", index=False)
    frame.assign(y=(frame["x"] > 0).astype(int)).to_csv(folder / "separated.csv", index=False)
    (folder / "empty.csv").write_text("")
    (folder / "not-a-model.json").write_text('{"hello": 1}\n')
    return folder


@pytest.mark.parametrize("name", list(DATASETS))
def test_each_shipped_data_set(name, tmp_path, capsys):
    out = tmp_path / name
    assert cli.main(["fit", "--dataset", name, "--test-size", "0.2", *FAST, "--out", str(out)]) == 0
    assert {"report.html", "results.json", "model.json", "predictions.csv"} <= {
        p.name for p in out.iterdir()
    }
    printed = capsys.readouterr().out
    assert "Logistic regression: maximum likelihood" in printed and "held-out rows" in printed


def test_predict_round_trip(inputs, tmp_path):
    out, predicted = tmp_path / "fit", tmp_path / "p.csv"
    table = str(inputs / "table.csv")
    args = ["fit", table, "--formula", "y ~ x + colour", *FAST, "--out", str(out)]
    assert cli.main(args) == 0
    assert cli.main(["predict", str(out / "model.json"), table, "--out", str(predicted)]) == 0
    with (out / "predictions.csv").open() as a, predicted.open() as b:
        own, again = list(csv.DictReader(a)), list(csv.DictReader(b))
    assert [r["row"] for r in own] == [r["row"] for r in again]
    np.testing.assert_allclose(
        [float(r["p_hat"]) for r in again], [float(r["p_hat"]) for r in own], rtol=1e-12
    )
    assert [r["predicted"] for r in again] == [r["predicted"] for r in own]


def test_datasets_lists_one_line_each(capsys):
    assert cli.main(["datasets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(DATASETS)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["fit"], "give a table file (DATA) or a shipped data set"),
        (["fit", "{in}/table.csv", "--dataset", "spector"], "one of them"),
        (["fit", "{in}/missing.csv", "--target", "y"], "missing.csv does not exist"),
        (["fit", "{in}/empty.csv", "--target", "y"], "is empty"),
        (["fit", "{in}", "--target", "y"], "is a folder, not a table file"),
        (["fit", "--dataset", "spektor"], "data set must be one of"),
        (["fit", "{in}/table.csv", "--target", "nope"], "nope"),
        (["fit", "{in}/table.csv", "--formula", "y ~ (x"], "does not parse"),
        (["fit", "{in}/one-class.csv", "--target", "y"], "exactly two values, got 1"),
        (["fit", "{in}/three-class.csv", "--target", "y"], "exactly two values, got 3"),
        (["fit", "{in}/all-missing.csv", "--target", "y"], "no data left"),
        (["fit", "{in}/constant.csv", "--target", "y"], "'one' is constant"),
        (["fit", "{in}/duplicate.csv", "--target", "y"], "same column"),
        (["fit", "{in}/collinear.csv", "--target", "y"], "collinear"),
        (["fit", "{in}/ids.csv", "--target", "y"], "60 levels, more than max_levels=50"),
        (["fit", "{in}/separated.csv", "--target", "y", "--features", "x"], "separation"),
        (["fit", "--dataset", "spector", "--test-size", "1.5"], "test size"),
        (["fit", "--dataset", "spector", "--loss", "huber"], "loss must be"),
        (["fit", "--dataset", "spector", "--lr", "fast"], "lr must be"),
        (["fit", "--dataset", "spector", "--format", "gif"], "figure formats"),
        (["predict", "{in}/not-a-model.json", "{in}/table.csv"], "not a model file"),
        (["predict", "{in}/table.csv", "{in}/table.csv"], "not a model file"),
    ],
)
def test_bad_input_is_refused(refused, inputs, tmp_path, argv, words):
    argv = [a.format(**{"in": inputs}) for a in argv]
    if argv[0] == "fit":
        argv += [*FAST, "--out", str(tmp_path / "out")]
    else:
        argv += ["--out", str(tmp_path / "p.csv")]
    assert words in refused(argv)


@pytest.fixture(scope="module")
def model(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "fit"
    assert (
        cli.main(["fit", str(inputs / "table.csv"), "--target", "y", *FAST, "--out", str(out)]) == 0
    )
    return out / "model.json"


@pytest.mark.parametrize(
    ("table", "words"),
    [("new-level.csv", "level(s) the model has not seen: 'purple'"), ("no-x.csv", "'x'")],
)
def test_predict_refuses_what_the_model_has_not_seen(
    refused, inputs, model, tmp_path, table, words
):
    line = refused(["predict", str(model), str(inputs / table), "--out", str(tmp_path / "p.csv")])
    assert words in line


def test_predict_refuses_to_overwrite(inputs, model, tmp_path, capsys):
    target = tmp_path / "p.csv"
    target.write_text("mine\n")
    argv = ["predict", str(model), str(inputs / "table.csv"), "--out", str(target)]
    assert cli.main(argv) == 2
    assert "exists" in capsys.readouterr().err and target.read_text() == "mine\n"
    assert cli.main([*argv, "--force"]) == 0
    assert target.read_text().startswith("row,p_hat,predicted\n")
