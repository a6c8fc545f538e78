"""`logitlab predict` on model files it must not trust: a shared model.json is data, never
code (a payload that would create a file is refused, exit 2, and the file never appears),
and a model file that is not a regular file, or too big, is refused without being waited on
or read whole. The round trip and the usual refusals: test_fit.py."""

import json
import os
import signal
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest

import logitlab.cli as cli


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A table and the model.json that `logitlab fit` writes for it, outside tmp_path."""
    folder = tmp_path_factory.mktemp("fitted")
    rng = np.random.default_rng(7)
    n = 80
    frame = pd.DataFrame(
        {"y": rng.integers(0, 2, n), "x": rng.normal(size=n), "g": rng.choice(["a", "b"], n)}
    )
    frame.to_csv(folder / "table.csv", index=False)
    out = folder / "fit"
    argv = ["fit", str(folder / "table.csv"), "--formula", "y ~ x + C(g)", "--loss", "bce",
            "--epochs", "50", "--quiet", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    return folder / "table.csv", json.loads((out / "model.json").read_text())


@contextmanager
def deadline(seconds: int):
    """Fail (TimeoutError) instead of waiting forever on a FIFO."""

    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(
    "term",
    [
        "{x + 0*__import__('os').system('touch {flag}')}",
        "{I(x + __import__('os').system('touch {flag}') + 'fails after')}",
        "{x ** 10 ** 10 ** 10}",
    ],
)
def test_a_shared_model_file_runs_no_code(refused, fitted, tmp_path_factory, tmp_path, term):
    table, record = fitted
    folder = tmp_path_factory.mktemp("shared")
    flag = tmp_path / "PWNED"  # the refused fixture also checks that nothing is in tmp_path
    record["spec"]["rhs"] = f"1 + {term.replace('{flag}', str(flag))}"
    record["spec"]["names"] = ["x"]
    record["coefficients"] = {"Intercept": 0.5, "x": 1.0}
    model = folder / "model.json"
    model.write_text(json.dumps(record))
    with deadline(20):
        line = refused(["predict", str(model), str(table), "--out", str(tmp_path / "p.csv")])
    assert "is not one a model file may hold" in line
    assert not flag.exists()


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "1 GB"])
def test_a_model_file_is_read_only_when_it_is_a_small_regular_file(
    refused, fitted, tmp_path_factory, tmp_path, kind
):
    table, _ = fitted
    model = tmp_path_factory.mktemp("model") / "model.json"
    if kind == "fifo":
        os.mkfifo(model)  # nobody writes: opening it to read would wait forever
    elif kind == "1 GB":
        with model.open("wb") as file:
            file.truncate(2**30)  # sparse: nothing is on disk
    else:
        model = kind
    with deadline(20):
        line = refused(["predict", str(model), str(table), "--out", str(tmp_path / "p.csv")])
    assert ("is not a regular file" if kind != "1 GB" else "more than a model file may") in line


def test_new_rows_need_only_the_models_columns(fitted, tmp_path, capsys):
    """New rows seldom carry the target: a table of the model's columns alone is predicted
    as the whole table is, and so is one with a column the model does not read."""
    table, _ = fitted
    model = tmp_path / "m" / "model.json"
    argv = ["fit", str(table), "--formula", "y ~ x + C(g)", "--out", str(model.parent)]
    assert cli.main(argv) == 0
    frame = pd.read_csv(table)
    frame[["x", "g"]].to_csv(tmp_path / "features.csv", index=False)
    frame[["x"]].assign(g=frame["g"], note="a,b").to_csv(tmp_path / "extra.csv", index=False)
    predictions = {}
    for name in ("table", "features", "extra"):
        source = table if name == "table" else tmp_path / f"{name}.csv"
        out = tmp_path / f"{name}-p.csv"
        assert cli.main(["predict", str(model), str(source), "--out", str(out)]) == 0, (
            capsys.readouterr().err
        )
        predictions[name] = pd.read_csv(out)
    pd.testing.assert_frame_equal(predictions["features"], predictions["table"])
    pd.testing.assert_frame_equal(predictions["extra"], predictions["table"])


def test_a_model_of_one_column_predicts_a_table_of_that_column(tmp_path, capsys):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"x": rng.normal(size=60)})
    frame["y"] = (rng.random(60) < 1 / (1 + np.exp(-frame["x"]))).astype(int)
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert (
        cli.main(["fit", str(tmp_path / "t.csv"), "--target", "y", "--out", str(tmp_path / "m")])
        == 0
    )
    frame[["x"]].to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "p.csv"
    argv = [
        "predict",
        str(tmp_path / "m" / "model.json"),
        str(tmp_path / "new.csv"),
        "--out",
        str(out),
    ]
    assert cli.main(argv) == 0, capsys.readouterr().err
    assert len(pd.read_csv(out)) == 60
