"""`logitlab fit`, `predict` and `datasets` end to end: each shipped data set, the predict
round trip, and every bad input refused with exit 2, one line and nothing written."""

import csv
import json

import numpy as np
import pandas as pd
import pytest

import logitlab.cli as cli
from logitlab import engines
from logitlab.config import TrainConfig
from logitlab.data.datasets import DATASETS, load_dataset
from logitlab.data.design import build_design

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


def test_training_options_reach_the_descent(tmp_path, capsys):
    argv = ["fit", "--dataset", "spector", "--epochs", "80", "--quiet"]
    adam = ["--optimizer", "adam", "--batch-size", "8", "--shuffle-seed", "2", "--lr", "0.02"]
    assert cli.main([*argv, *adam, "--out", str(tmp_path / "adam")]) == 0
    assert "Adam (betas 0.9, 0.999, eps 1e-08), learning rate 0.02" in capsys.readouterr().out
    assert cli.main([*argv, "--lr", "0.02", "--out", str(tmp_path / "sgd")]) == 0
    gd = json.loads((tmp_path / "adam" / "results.json").read_text())["gradient_descent"]
    sgd = json.loads((tmp_path / "sgd" / "results.json").read_text())["gradient_descent"]
    train = TrainConfig(optimizer="adam", batch_size=8, shuffle_seed=2, lr=0.02, epochs=80)
    assert {k: gd["settings"][k] for k in train.optimizer_settings()} == {
        **train.optimizer_settings(),
        "betas": [0.9, 0.999],
    }
    table = load_dataset("spector")
    design = build_design(table.frame, formula=table.formula, positive=table.info.positive)
    Z = (design.X - design.X.mean(axis=0)) / design.X.std(axis=0)
    reference = engines.fit(Z, design.y, train).params
    got = np.array(list(gd["fits"]["bce"]["standardised_coef"].values()))
    np.testing.assert_allclose(got, reference, atol=1e-5)
    before = np.array(list(sgd["fits"]["bce"]["standardised_coef"].values()))
    assert np.abs(before - reference).max() > 1e-2


def test_automatic_step_unless_an_lr_is_given(tmp_path):
    argv = ["fit", "--dataset", "spector", "--epochs", "5", "--quiet"]
    assert cli.main([*argv, "--optimizer", "momentum", "--out", str(tmp_path / "a")]) == 0
    assert cli.main([*argv, "--optimizer", "momentum", "--lr", "0.3", "--out",
                     str(tmp_path / "b")]) == 0  # fmt: skip
    table = load_dataset("spector")
    X = build_design(table.frame, formula=table.formula, positive=table.info.positive).X
    top = np.linalg.eigvalsh(np.corrcoef(X, rowvar=False)).max()
    lrs = [json.loads((tmp_path / k / "results.json").read_text())["gradient_descent"]
           ["settings"]["lr"] for k in "ab"]  # fmt: skip
    assert lrs[0] == pytest.approx(4 / top) and lrs[1] == 0.3


def test_help_says_how_many_numbers_a_start_needs(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fit", "--help"])
    assert "D columns need D+1 numbers" in " ".join(capsys.readouterr().out.split())


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
        (["fit", "{in}", "--target", "y"], "is neither Parquet"),
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
        (["fit", "--dataset", "spector", "--start", "1,2"], "start must hold 4 numbers"),
        (["fit", "--dataset", "spector", "--start", "1,2,3,x"], "init w3 must be"),
        (["fit", "--dataset", "spector", "--batch-size", "33"], "from 1 to n, the number of"),
        (["fit", "--dataset", "spector", "--batch-size", "0"], "batch size must be"),
        (["fit", "--dataset", "spector", "--optimizer", "adamw"], "optimizer must be one of"),
        (["fit", "--dataset", "spector", "--momentum", "1"], "momentum must be"),
        (["fit", "--dataset", "spector", "--betas", "0.9"], "betas must be"),
        (["fit", "--dataset", "spector", "--eps", "0"], "eps must be"),
        (["fit", "--dataset", "spector", "--shuffle-seed", "-1"], "shuffle seed must be"),
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


def test_a_model_a_model_file_cannot_hold_is_fitted_and_said_unsaved(inputs, tmp_path, capsys):
    out = tmp_path / "fit"
    formula = "y ~ x + C(colour.str.upper())"  # typed here, it may do more than a model file
    assert cli.main(["fit", str(inputs / "table.csv"), "--formula", formula, *FAST,
                     "--out", str(out)]) == 0  # fmt: skip
    said = [line for line in capsys.readouterr().out.splitlines() if "model.json" in line]
    assert len(said) == 1 and said[0].startswith("model.json not written: ")
    assert "'C(colour.str.upper())' is not one a model file may hold" in said[0]
    written = {p.name for p in out.iterdir()}
    assert "model.json" not in written and {"report.html", "results.json"} <= written
