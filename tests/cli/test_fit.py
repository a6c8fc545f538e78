"""`logitlab fit`, `predict` and `datasets` end to end: each shipped data set, the predict
round trip, and every bad input refused with exit 2, one line and nothing written."""

import csv
import html
import json
import os
import re
import threading

import numpy as np
import pandas as pd
import pytest

import logitlab.cli as cli
from logitlab import engines
from logitlab.config import TrainConfig
from logitlab.data.datasets import DATASETS, load_dataset
from logitlab.data.design import build_design
from logitlab.result import GRAD_TOL
from logitlab.studies.fit import fit_table

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
        (["fit", "{in}/three-class.csv", "--target", "y", "--positive", "1"], "give baseline"),
        (["fit", "{in}/all-missing.csv", "--target", "y"], "no data left"),
        (["fit", "{in}/constant.csv", "--target", "y"], "'one' is constant"),
        (["fit", "{in}/duplicate.csv", "--target", "y"], "same column"),
        (["fit", "{in}/collinear.csv", "--target", "y"], "collinear"),
        (["fit", "{in}/ids.csv", "--target", "y"], "60 levels, more than --max-levels 50"),
        (["fit", "--dataset", "spector", "--missing", "keep"], "one of drop, error, got 'keep'"),
        (["fit", "--dataset", "spector", "--max-levels", "0"], "max_levels must be an integer"),
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
    [
        ("new-level.csv", "'colour' is 'purple', a level the model has not seen"),
        ("no-x.csv", "'x'"),
    ],
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
    assert target.read_text().startswith("row,p_hat,predicted,label\n")


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


@pytest.fixture(scope="module")
def kinds(tmp_path_factory):
    """Tables whose columns are of every kind Parquet and pandas give (nullable, Arrow's,
    nested, binary, dates), a CSV with a row over a megabyte and one whose header holds a
    line break; outside the folder the refusal checks watch."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path_factory.mktemp("kinds")
    rng = np.random.default_rng(8)
    n = 60
    y, x = rng.integers(0, 2, n), rng.normal(size=n)
    plain = pd.DataFrame({"y": y, "x": x, "colour": rng.choice(["red", "blue"], n),
                          "flag": rng.integers(0, 2, n) > 0})  # fmt: skip
    nullable = plain.convert_dtypes()
    for name, rows in {"y": [3], "x": [4, 9], "colour": [9], "flag": [20]}.items():
        nullable.loc[rows, name] = pd.NA
    nullable.to_parquet(folder / "nullable.parquet")
    plain.drop(index=[3, 4, 9, 20]).to_csv(folder / "complete.csv", index=False)
    pq.write_table(pa.table({"y": y, "x": x, "l": [[1, 2]] * n, "s": [{"k": 1}] * n}),
                   folder / "nested.parquet")  # fmt: skip
    pq.write_table(pa.table({"y": y, "x": x, "b": [b"\x00\xff"] * n}), folder / "binary.parquet")
    days = np.where(y == 1, np.datetime64("2024-01-02"), np.datetime64("2024-01-01"))
    pq.write_table(pa.table({"y": days, "x": x}), folder / "dates.parquet")
    plain.assign(note=["z" * 3_000_000] + ["short"] * (n - 1)).to_csv(folder / "long.csv",
                                                                        index=False)  # fmt: skip
    (folder / "header.csv").write_text(
        'y,"x\nwide"\n' + "".join(f"{a},{b}\n" for a, b in zip(y, x, strict=True))
    )
    (folder / "twice.csv").write_text(
        'y,"x\nwide",z\n' + "".join(f"{a},{b},{b}\n" for a, b in zip(y, x, strict=True))
    )
    return folder


def mle_coefficients(out) -> dict:
    results = json.loads((out / "results.json").read_text())
    return {name: row["estimate"] for name, row in results["mle"]["coefficients"].items()}


def test_nullable_parquet_columns_fit_as_their_values(kinds, tmp_path):
    """convert_dtypes()'s Int64, Float64, string and boolean with missing values: the fit of
    the complete rows as NumPy columns."""
    out, reference = tmp_path / "nullable", tmp_path / "complete"
    argv = ["--target", "y", *FAST, "--loss", "bce"]
    assert cli.main(["fit", str(kinds / "nullable.parquet"), *argv, "--out", str(out)]) == 0
    assert cli.main(["fit", str(kinds / "complete.csv"), *argv, "--out", str(reference)]) == 0
    data = json.loads((out / "results.json").read_text())["data"]
    assert (data["positive"], data["rows_dropped_missing"], data["rows_used"]) == (1, 4, 56)
    got, want = mle_coefficients(out), mle_coefficients(reference)
    assert list(got) == list(want)
    np.testing.assert_allclose(list(got.values()), list(want.values()), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    ("table", "model", "words"),
    [
        ("nested.parquet", ["--target", "y"], "column 'l' holds lists"),
        ("nested.parquet", ["--formula", "y ~ x + s"], "column 's' holds records (structs)"),
        ("binary.parquet", ["--target", "y"], "column 'b' holds bytes"),
        ("dates.parquet", ["--target", "y"], "column 'y' holds dates"),
        ("header.csv", ["--target", "nope"], r"its columns are 'y', 'x\nwide'"),
        ("header.csv", ["--formula", "y ~ x"], "no column 'x'"),
        ("twice.csv", ["--target", "y"], r"x\nwide"),  # the same column as z
    ],
)
@pytest.mark.parametrize("shares", [[], ["--chunk-rows", "20"]], ids=["in memory", "in shares"])
def test_columns_a_model_cannot_use_are_refused_in_one_line(refused, kinds, tmp_path, table,
                                                            model, words, shares):  # fmt: skip
    out = ["--out", str(tmp_path / "out")]
    assert words in refused(["fit", str(kinds / table), *model, *FAST, *shares, *out])


@pytest.mark.parametrize(
    ("table", "model"),
    [
        ("nested.parquet", ["--formula", "y ~ x"]),  # lists and records the model does not use
        ("long.csv", ["--formula", "y ~ x + colour"]),  # a row of 3 MB: past pyarrow's block
        ("header.csv", ["--target", "y"]),  # a column named with a line break
    ],
)
def test_tables_of_odd_shapes_fit(kinds, tmp_path, table, model):
    out = tmp_path / "out"
    assert cli.main(["fit", str(kinds / table), *model, *FAST, "--out", str(out)]) == 0
    assert json.loads((out / "results.json").read_text())["data"]["rows_used"] == 60


def flags_with_a_gap(rng, n):
    """True/False with one empty cell: a chunk without it holds bools, one with it objects."""
    return pd.Series(rng.integers(0, 2, n) > 0, dtype=object).where(np.arange(n) != n // 2)


def decimals(rng, n):
    """Parquet's decimal type, read by pandas as Python decimals."""
    from decimal import Decimal

    return [Decimal(f"{v:.4f}") for v in rng.normal(size=n)]


@pytest.mark.parametrize(("column", "name"), [(flags_with_a_gap, "flags.csv"),
                                              (decimals, "decimals.parquet")])  # fmt: skip
def test_columns_fit_alike_in_memory_and_in_shares(tmp_path, column, name):
    """Both code the same numeric column, so they agree on the terms and the fit."""
    rng = np.random.default_rng(3)
    table = tmp_path / "in" / name
    table.parent.mkdir()
    frame = pd.DataFrame({"y": rng.integers(0, 2, 60), "x": column(rng, 60)})
    frame.to_csv(table, index=False) if table.suffix == ".csv" else frame.to_parquet(table)
    argv = ["fit", str(table), "--target", "y", "--quiet", "--out"]
    assert cli.main([*argv, str(tmp_path / "memory")]) == 0
    assert cli.main([*argv, str(tmp_path / "shares"), "--chunk-rows", "20"]) == 0
    got, want = mle_coefficients(tmp_path / "shares"), mle_coefficients(tmp_path / "memory")
    assert list(got) == list(want) == ["Intercept", "x"]
    np.testing.assert_allclose(list(got.values()), list(want.values()), rtol=1e-12, atol=1e-14)


def test_a_pipe_is_a_table(inputs, tmp_path):
    """`fit <(cat table.csv)`: the shell hands a pipe as /dev/fd/N; it is read once."""
    read, write = os.pipe()
    writer = threading.Thread(
        target=lambda: (os.write(write, (inputs / "table.csv").read_bytes()), os.close(write))
    )
    writer.start()
    try:
        argv = ["--formula", "y ~ x + colour", *FAST]
        assert cli.main(["fit", f"/dev/fd/{read}", *argv, "--out", str(tmp_path / "pipe")]) == 0
    finally:
        writer.join()
        os.close(read)
    assert cli.main(["fit", str(inputs / "table.csv"), *argv, "--out", str(tmp_path / "file")]) == 0
    got, want = mle_coefficients(tmp_path / "pipe"), mle_coefficients(tmp_path / "file")
    assert list(got) == list(want)
    np.testing.assert_allclose(list(got.values()), list(want.values()), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("where", ["memory", "shares"])
def test_one_group_of_fitted_risk_has_no_hosmer_lemeshow_test(tmp_path, capsys, where):
    """Every row at the same fitted risk (a slope of exactly 0): the test has no degrees of
    freedom, so the fit says so instead of ending in a traceback."""
    (tmp_path / "data").mkdir()
    table = tmp_path / "data" / "t.csv"
    table.write_text("x,y\n-1,0\n-1,1\n0,0\n0,1\n1,1\n1,0\n2,1\n2,0\n")
    data = table if where == "memory" else table.parent
    extra = [] if where == "memory" else ["--chunk-rows", "3"]
    out = tmp_path / "out"
    code = cli.main(["fit", str(data), "--target", "y", "--out", str(out), *extra])
    assert code == 0, capsys.readouterr().err
    record = json.loads((out / "results.json").read_text())
    assert record["mle"]["hosmer_lemeshow"] is None
    assert (
        "not defined, the fitted risks fall in fewer than 3 groups"
        in (out / "report.html").read_text()
    )


# --- tables as people have them: European CSV, Excel workbooks --------------------------


@pytest.fixture(scope="module")
def written(inputs, tmp_path_factory):
    """inputs' table.csv as a European spreadsheet saves it (';' between values, decimal
    commas) and as the second sheet of a workbook."""
    folder = tmp_path_factory.mktemp("written")
    frame = pd.read_csv(inputs / "table.csv")
    frame.to_csv(folder / "euro.csv", sep=";", decimal=",", index=False)
    with pd.ExcelWriter(folder / "book.xlsx", engine="openpyxl") as writer:
        pd.DataFrame({"note": ["by hand"]}).to_excel(writer, sheet_name="About", index=False)
        frame.to_excel(writer, sheet_name="Data", index=False)
    return folder


def fits_as_table_csv(inputs, tmp_path, out) -> None:
    """The MLE of `out` is the one of inputs' table.csv, within a few ulps."""
    reference = tmp_path / "reference"
    argv = ["--formula", "y ~ x + colour", *FAST, "--out", str(reference)]
    assert cli.main(["fit", str(inputs / "table.csv"), *argv]) == 0
    got, want = mle_coefficients(out), mle_coefficients(reference)
    assert list(got) == list(want)
    np.testing.assert_allclose(list(got.values()), list(want.values()), rtol=1e-12, atol=1e-14)


def test_a_european_csv_fits_and_the_guess_is_named(inputs, written, tmp_path, capsys):
    """It used to fail with "Expected 1 columns, got 4"."""
    table, out = written / "euro.csv", tmp_path / "euro"
    argv = ["fit", str(table), "--formula", "y ~ x + colour", *FAST, "--out", str(out)]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert f"read {table} as ';'-separated with ',' decimals\n" in printed
    fits_as_table_csv(inputs, tmp_path, out)
    # given as typed, nothing is guessed, so nothing is said
    assert cli.main([*argv[:-1], str(tmp_path / "given"), "--sep", ";", "--decimal", ","]) == 0
    assert "-separated" not in capsys.readouterr().out


@pytest.mark.parametrize("sheet", ["Data", "2"])
def test_an_excel_sheet_fits_by_name_or_number(inputs, written, tmp_path, capsys, sheet):
    book, out = written / "book.xlsx", tmp_path / "book"
    argv = ["fit", str(book), "--sheet", sheet, "--formula", "y ~ x + colour", *FAST]
    assert cli.main([*argv, "--out", str(out)]) == 0
    assert "read sheet" not in capsys.readouterr().out  # as given: nothing guessed
    fits_as_table_csv(inputs, tmp_path, out)


def test_predict_reads_a_european_csv_and_a_sheet(inputs, written, model, tmp_path, capsys):
    outs = {}
    for name, table, options in [
        ("plain", inputs / "table.csv", []),
        ("euro", written / "euro.csv", []),
        ("given", written / "euro.csv", ["--sep", ";", "--decimal", ","]),
        ("sheet", written / "book.xlsx", ["--sheet", "Data"]),
    ]:
        outs[name] = tmp_path / f"{name}.csv"
        argv = ["predict", str(model), str(table), *options, "--out", str(outs[name])]
        assert cli.main(argv) == 0
        guessed = f"read {table} as ';'-separated with ',' decimals\n"
        assert (guessed in capsys.readouterr().out) == (name == "euro")
    want = pd.read_csv(outs["plain"])
    for name in ("euro", "given", "sheet"):
        got = pd.read_csv(outs[name])
        assert got["row"].tolist() == want["row"].tolist(), name
        np.testing.assert_allclose(got["p_hat"], want["p_hat"], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (
            ["{w}/book.xlsx", "--sheet", "Sheet1"],
            "has no sheet 'Sheet1'; its sheets, numbered from 1: 'About', 'Data'",
        ),
        (["{w}/book.xlsx", "--sheet", "3"], "has no sheet '3'"),
        (["{w}/book.xlsx", "--sep", ";"], "(--sep, --decimal) applies to CSV and TSV files only"),
        (["{w}/euro.csv", "--sheet", "2"], "a sheet (--sheet) applies to .xlsx only"),
        (["{w}/euro.csv", "--sep", ";;"], "sep must be one character"),
        (["{w}/euro.csv", "--decimal", ";"], "decimal must be '.' or ','"),
        (["--dataset", "spector", "--sep", ";"], "a shipped data set (--dataset) has none"),
        (["{w}/euro.csv", "--chunk-rows", "10", "--sep", ";"], "apply to a table read in memory"),
        (
            ["{w}/euro.csv", "--target", "y", "--features", "x,gone,nope"],
            "no columns 'gone', 'nope' in the table; its columns are 'y', 'x', 'colour'",
        ),
    ],
)
def test_tables_as_written_are_refused_in_one_line(refused, written, tmp_path, argv, words):
    argv = ["fit", *(a.format(w=written) for a in argv), *FAST, "--out", str(tmp_path / "out")]
    if "--target" not in argv and "--dataset" not in argv:
        argv += ["--target", "y"]
    assert words in refused(argv)


@pytest.fixture(scope="module")
def titanic(tmp_path_factory):
    """A table shaped as the Titanic's: women and first class survive more."""
    rng = np.random.default_rng(7)
    n = 400
    pclass = rng.integers(1, 4, n)
    sex = rng.choice(["female", "male"], n)
    logit = -1.0 + 2.5 * (sex == "female") + 1.2 * (pclass == 1) + 0.5 * (pclass == 2)
    survived = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    path = tmp_path_factory.mktemp("titanic") / "titanic.csv"
    pd.DataFrame({"Survived": survived, "Pclass": pclass, "Sex": sex}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("rhs", "reading", "note"),
    [
        (
            "C(Pclass, Treatment(3)) + C(Sex, Treatment('male'))",
            "Compared with the reference level (Sex = male), Sex = female multiplies the odds of "
            "Survived = 1 by",
            "C(Sex, Treatment('male')): categorical, 0/1 columns against its level 'male'",
        ),
        (
            "C(Pclass, Treatment(3))",
            "Compared with the reference level (Pclass = 3), Pclass = 1 multiplies the odds of "
            "Survived = 1 by",
            "C(Pclass, Treatment(3)): categorical, 0/1 columns against its level 3 ",
        ),
        (
            "C(Pclass) + Sex",
            "Compared with the first level (Sex = female), Sex = male multiplies the odds of "
            "Survived = 1 by",
            "Sex: categorical, 0/1 columns against its first level 'female'",
        ),
    ],
)
def test_the_words_name_the_reference_level_the_formula_chose(
    titanic, tmp_path, capsys, rhs, reading, note
):
    """It used to say "against its first level 1" and "Compared with the first level
    (Sex = female), Sex = female multiplies ..." whatever Treatment() chose."""
    out = tmp_path / "fit"
    argv = ["fit", str(titanic), "--formula", f"Survived ~ {rhs}", *FAST, "--out", str(out)]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert reading in printed
    page = html.unescape((out / "report.html").read_text())
    assert reading in page and note in page
    if "Treatment" in rhs:
        assert "first level" not in printed and "first level" not in page


def test_a_row_in_an_error_is_counted_from_1_and_names_the_file_s_line(
    refused, inputs, model, tmp_path
):
    """As a spreadsheet counts: the row with a gap, and the line of the file that holds it
    (it used to be the frame's position, from 0)."""
    frame = pd.read_csv(inputs / "table.csv")
    frame.loc[4, "x"] = np.nan
    frame.loc[6, "colour"] = "purple"
    table = tmp_path.parent / f"{tmp_path.name}-gap.csv"  # beside tmp_path: nothing written in it
    frame.to_csv(table, index=False)
    lines = table.read_text().splitlines()
    gap = next(i for i, line in enumerate(lines, start=1) if ",," in line)
    unseen = next(i for i, line in enumerate(lines, start=1) if "purple" in line)
    argv = ["fit", str(table), "--target", "y", "--missing", "error", *FAST]
    line = refused([*argv, "--out", str(tmp_path / "out")])
    assert (
        f"the first in row {gap - 1} (line {gap} of its file); drop those rows (--missing " in line
    )
    line = refused(["predict", str(model), str(table), "--out", str(tmp_path / "p.csv")])
    assert "row 5 (line 6 of its file): 'x' is missing" in line and gap == 6
    line = refused(["predict", str(model), str(table), "--missing", "drop", "--out",
                    str(tmp_path / "p.csv")])  # fmt: skip
    assert f"row {unseen - 1} (line {unseen} of its file): 'colour' is 'purple'" in line


def test_a_long_default_descent_is_skipped_and_said_an_asked_one_runs(
    inputs, tmp_path, capsys, monkeypatch
):
    """The MLE is the answer; the descent beside it runs by default only when it is quick.
    With the bound at 0 s every descent is 'long': skipped unless --loss asks for it."""
    from logitlab.cli import fit as fit_command

    monkeypatch.setattr(fit_command, "DEFAULT_DESCENT_SECONDS", 0.0)
    table = str(inputs / "table.csv")
    assert cli.main(["fit", table, "--target", "y", "--out", str(tmp_path / "plain")]) == 0
    err = capsys.readouterr().err
    assert "gradient descent beside the MLE skipped: 10,000 epochs on" in err
    assert "ask for it with --loss bce" in err
    plain = json.loads((tmp_path / "plain" / "results.json").read_text())
    assert plain["gradient_descent"]["fits"] == {}
    argv = ["fit", table, "--target", "y", "--loss", "bce", *FAST, "--out", str(tmp_path / "asked")]
    assert cli.main(argv) == 0
    assert "skipped" not in capsys.readouterr().err
    asked = json.loads((tmp_path / "asked" / "results.json").read_text())
    assert set(asked["gradient_descent"]["fits"]) == {"bce"}
    assert plain["mle"]["coefficients"] == asked["mle"]["coefficients"]  # the same code twice


@pytest.fixture(scope="module")
def with_gaps(tmp_path_factory):
    """A Titanic-shaped table where sex's effect depends on class and age's is a parabola,
    with gaps in age (3 rows) and sex (2 rows, one of them also missing age)."""
    rng = np.random.default_rng(20)
    n = 400
    frame = pd.DataFrame({"age": rng.uniform(1, 80, n), "sex": rng.choice(["female", "male"], n),
                          "cls": rng.integers(1, 4, n)})  # fmt: skip
    male = (frame.sex == "male").to_numpy()
    logit = 0.2 * frame.age - 0.003 * frame.age**2 - 2.5 * male + 1.5 * (frame.cls == 3) * male
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-(logit - 1)))).astype(int)
    frame.loc[[1, 5, 9], "age"] = np.nan
    frame.loc[[5, 20], "sex"] = None
    path = tmp_path_factory.mktemp("gaps") / "gaps.csv"
    frame.to_csv(path, index=False)
    return path


def test_fit_says_which_columns_dropped_rows_and_gives_margins_per_variable(
    with_gaps, tmp_path, capsys
):
    out = tmp_path / "fit"
    formula = "y ~ sex * C(cls) + age + I(age**2)"
    argv = ["fit", str(with_gaps), "--formula", formula, "--threshold", "0.3", *FAST,
            "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    dropped = "4 rows dropped for a missing value (3 in 'age', 2 in 'sex')"
    assert f"396 rows used; {dropped}" in printed
    page = html.unescape((out / "report.html").read_text())
    assert dropped in page
    results = json.loads((out / "results.json").read_text())
    assert results["data"]["missing_by_column"] == {"age": 3, "sex": 2}
    # margins per variable: the same rows in margins.csv, results.json, the page and stdout
    effects = results["margins"]["effects"]
    assert [(e["variable"], e["contrast"]) for e in effects] == [
        ("age", None), ("sex", "male vs female"), ("cls", "2 vs 1"), ("cls", "3 vs 1")
    ]  # fmt: skip
    table = pd.read_csv(out / "margins.csv")
    np.testing.assert_allclose(table["effect"], [e["estimate"] for e in effects], rtol=1e-15)
    assert "I(age ** 2)" not in set(table["variable"]) and "Per variable" in page
    assert "sex (male vs female)" in printed
    # the threshold: predictions.csv and the metrics use it; the ROC section names J's best
    predictions = pd.read_csv(out / "predictions.csv")
    np.testing.assert_array_equal(predictions["predicted"], (predictions["p_hat"] > 0.3))
    metrics = results["metrics"]["training"]
    assert metrics["threshold"] == 0.3
    best = metrics["youden"]
    assert f"Youden's J (sensitivity + specificity − 1) is largest, {best['j']:.3f}" in page
    assert f"largest Youden's J {best['j']:.3f} at threshold {best['threshold']:.4g}" in printed
    assert "accuracy at 0.3" in page and "at threshold 0.3," in printed


@pytest.mark.parametrize("value", ["0", "1", "1.5", "-0.2", "nan"])
def test_a_threshold_outside_0_and_1_is_refused(refused, value):
    line = refused(["fit", "--dataset", "spector", "--threshold", value, *FAST])
    assert "threshold must be a probability between 0 and 1 (exclusive)" in line


def test_help_explains_the_threshold(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--threshold T" in text and "Youden's J" in text


def test_sharded_summary_says_which_columns_dropped_rows(with_gaps, tmp_path, capsys):
    out = tmp_path / "fit"
    argv = ["fit", str(with_gaps), "--formula", "y ~ sex + age", "--chunk-rows", "100",
            "--quiet", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "4 rows dropped for a missing value (3 in 'age', 2 in 'sex')" in printed
    assert "average marginal effects per variable" in printed  # not produced, and said
    assert not (out / "margins.csv").exists()
    assert json.loads((out / "results.json").read_text())["margins"] is None


@pytest.fixture(scope="module")
def firms(tmp_path_factory):
    """A table of rows in 9 firms, the firm a column the model does not read."""
    rng = np.random.default_rng(30)
    n = 300
    firm = rng.integers(0, 9, n)
    x = rng.normal(size=n)
    logit = 0.4 + 1.1 * x + rng.normal(scale=0.8, size=9)[firm]
    frame = pd.DataFrame({"y": (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int),
                          "x": x, "firm": [f"firm {k}" for k in firm]})  # fmt: skip
    path = tmp_path_factory.mktemp("firms") / "firms.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _statsmodels(frame, **fit):
    import statsmodels.api as sm

    return sm.Logit(frame.y, sm.add_constant(frame[["x"]])).fit(disp=0, tol=1e-12, **fit)


def test_cov_and_conf_level_reach_every_output(firms, tmp_path, capsys):
    path, frame = firms
    out = tmp_path / "fit"
    argv = ["fit", str(path), "--formula", "y ~ x", "--cov", "hc1", "--conf-level", "0.9"]
    assert cli.main([*argv, *FAST, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    n, k = len(frame), 2
    reference = _statsmodels(frame, cov_type="HC0")  # statsmodels' HC1 is its HC0 for Logit
    se = reference.bse.to_numpy() * np.sqrt(n / (n - k))  # R sandwich's HC1 for a GLM
    mle = json.loads((out / "results.json").read_text())["mle"]
    assert (mle["cov_type"], mle["conf_level"]) == ("hc1", 0.9)
    assert mle["cov_formula"].startswith("n/(n-k) x B (sum s_i s_i') B")
    rows = list(mle["coefficients"].values())
    np.testing.assert_allclose([r["se"] for r in rows], se, rtol=1e-8)
    from scipy.stats import norm

    lower = reference.params.to_numpy() - norm.ppf(0.95) * se
    np.testing.assert_allclose([r["lower"] for r in rows], lower, rtol=1e-8)
    ratios = [r["lower"] for r in mle["odds_ratios"].values()]
    np.testing.assert_allclose(ratios, np.exp(lower), rtol=1e-8)
    with open(out / "coefficients.csv", newline="") as f:
        table = list(csv.DictReader(f))
    np.testing.assert_allclose([float(r["ci_lower"]) for r in table], lower, rtol=1e-8)
    page = (out / "report.html").read_text()
    assert page.count("<th>90% interval</th>") == 3 and "<code>hc1</code>" in page
    assert "[0.05" in printed and "0.95]" in printed and "[0.025" not in printed
    assert re.search(r"Covariance Type:\s+hc1", printed) and "(90% CI" in printed


def test_cluster_reads_its_column_and_is_statas(firms, tmp_path):
    path, frame = firms
    out = tmp_path / "fit"
    argv = ["fit", str(path), "--formula", "y ~ x", "--cov", "cluster:firm"]
    assert cli.main([*argv, *FAST, "--out", str(out)]) == 0
    codes = frame.firm.astype("category").cat.codes.to_numpy()
    raw = _statsmodels(frame, cov_type="cluster",
                       cov_kwds={"groups": codes, "use_correction": False})  # fmt: skip
    mle = json.loads((out / "results.json").read_text())["mle"]
    se = [r["se"] for r in mle["coefficients"].values()]
    np.testing.assert_allclose(se, raw.bse.to_numpy() * np.sqrt(9 / 8), rtol=1e-8)
    assert mle["cov_type"] == "cluster:firm" and mle["conf_level"] == 0.95


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--cov", "hc4"], "cov must be one of nonrobust, robust, hc0, hc1, hc2, hc3 or "
         "cluster:COLUMN"),
        (["--cov", "cluster"], "cov must be one of"),
        (["--cov", "cluster:plant"], "has no column 'plant'; its columns: 'y', 'x', 'firm'"),
        (["--conf-level", "1"], "conf level must be a number between 0 and 1"),
        (["--conf-level", "95"], "conf level must be a number between 0 and 1"),
    ],
)  # fmt: skip
def test_a_bad_cov_or_conf_level_is_refused_in_one_line(refused, firms, tmp_path, argv, words):
    line = refused(["fit", str(firms[0]), "--formula", "y ~ x", *argv, *FAST,
                    "--out", str(tmp_path / "out")])  # fmt: skip
    assert words in line


def test_one_firm_is_refused_in_one_line(refused, firms, tmp_path_factory, tmp_path):
    path = tmp_path_factory.mktemp("one-firm") / "one.csv"
    firms[1].assign(firm="firm 0").to_csv(path, index=False)
    line = refused(["fit", str(path), "--formula", "y ~ x", "--cov", "cluster:firm", *FAST,
                    "--out", str(tmp_path / "out")])  # fmt: skip
    assert "the cluster column 'firm' holds one value ('firm 0') on the 300 rows fitted" in line


def test_help_states_each_covariance_formula_and_the_level(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("--cov TYPE", "n/(n-1) x HC0", "n/(n-k) x HC0", "1 - h_i or (1 - h_i)^2",
                  "G/(G-1)", "statsmodels' default adds (n-1)/(n-k)", "--conf-level L",
                  "Stata's level()"):  # fmt: skip
        assert words in text


@pytest.mark.parametrize(
    ("cov", "shares"),
    [("robust", ["--chunk-rows", "70"]), ("hc2", ["--chunk-rows", "70"]),
     ("cluster:firm", ["--chunk-rows", "70"])],
)  # fmt: skip
def test_cov_in_shares_equals_in_memory(firms, tmp_path, cov, shares):
    """Streamed 70 rows at a time, each firm's rows in several chunks (the sums per firm
    across two workers: tests/studies/test_sharded_fit.py)."""
    path, _ = firms
    argv = ["fit", str(path), "--formula", "y ~ x", "--cov", cov, "--conf-level", "0.8", *FAST]
    assert cli.main([*argv, "--out", str(tmp_path / "memory")]) == 0
    assert cli.main([*argv, *shares, "--out", str(tmp_path / "shares")]) == 0
    memory, shares = (json.loads((tmp_path / name / "results.json").read_text())["mle"]
                      for name in ("memory", "shares"))  # fmt: skip
    assert shares["cov_type"] == cov and shares["conf_level"] == 0.8
    for key in ("se", "lower", "upper", "p"):
        np.testing.assert_allclose([r[key] for r in shares["coefficients"].values()],
                                   [r[key] for r in memory["coefficients"].values()],
                                   rtol=1e-10, atol=1e-12)  # fmt: skip


def test_a_bad_cluster_column_in_shares_is_refused_in_one_line(refused, firms, tmp_path):
    line = refused(["fit", str(firms[0]), "--formula", "y ~ x", "--cov", "cluster:plant",
                    "--chunk-rows", "70", *FAST, "--out", str(tmp_path / "out")])  # fmt: skip
    assert "no column 'plant' in " in line and "its columns are 'y', 'x', 'firm'" in line


#: The stages a fit of a table in memory says, in order (the first opens on the read).
STAGES = ("reading ", "coding the design", "maximum likelihood on ", "MLE, Newton iteration 1:",
          "average marginal effects", "gradient descent on BCE", "predictions and metrics",
          "drawing the figures", "writing predictions.csv", "moving the report")  # fmt: skip


def test_progress_says_each_stage_and_each_newton_iteration(inputs, tmp_path, capsys,
                                                            monkeypatch):  # fmt: skip
    """LOGITLAB_PROGRESS=1 shows the lines on a pipe for a short fit: a line a stage, led by
    the seconds so far, and one per Newton iteration with its log-likelihood; --quiet none,
    and a short fit on a pipe none unless asked."""
    from logitlab.studies import fit as study

    argv = ["fit", str(inputs / "table.csv"), "--target", "y", "--loss", "bce", "--epochs", "50"]
    assert cli.main([*argv, "--quiet", "--out", str(tmp_path / "quiet")]) == 0
    assert capsys.readouterr().err == ""
    assert cli.main([*argv, "--out", str(tmp_path / "piped")]) == 0
    assert capsys.readouterr().err == ""  # not a terminal, not long, not asked
    monkeypatch.setenv("LOGITLAB_PROGRESS", "1")
    monkeypatch.setattr(study, "DESCENT_LINE_SECONDS", 0.0)  # a line each block of epochs
    assert cli.main([*argv, "--out", str(tmp_path / "shown")]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert all(re.match(r" *\d+\.\d s  \S", line) for line in lines), lines
    at = [next(k for k, line in enumerate(lines) if stage in line) for stage in STAGES]
    assert at == sorted(at) and lines[0].endswith(f"reading {inputs / 'table.csv'}")
    assert f"reading {inputs / 'table.csv'}: the model's 3 columns, ~" in lines[1]
    results = json.loads((tmp_path / "shown" / "results.json").read_text())
    mle, ran = results["mle"], results["gradient_descent"]["fits"]["bce"]["epochs"]
    newton = [line for line in lines if "MLE, Newton iteration" in line]
    assert [int(re.search(r"iteration (\d+):", line)[1]) for line in newton] == list(
        range(1, mle["iterations"] + 1)
    )
    assert f"log-likelihood {mle['loglik']:,.4f}, step " in newton[-1]
    epochs = [int(m[1]) for line in lines if (m := re.search(r"BCE: epoch (\d+) of 50$", line))]
    assert epochs == sorted(epochs) and epochs[-1] == ran  # its last block: where tol stopped it


def test_a_descent_stops_at_convergence_unless_tol_0_asks_for_every_epoch(tmp_path, capsys):
    """fit's --tol is the verdict's 1e-4 by default: the descent ends on the first epoch whose
    gradient norm is at most that; --tol 0 runs every epoch, as the lecture does."""
    argv = ["fit", "--dataset", "spector", "--loss", "bce", "--epochs", "20000", "--quiet"]
    assert cli.main([*argv, "--out", str(tmp_path / "default")]) == 0
    assert cli.main([*argv, "--tol", "0", "--out", str(tmp_path / "all")]) == 0
    fits = {
        name: json.loads((tmp_path / name / "results.json").read_text())["gradient_descent"]
        for name in ("default", "all")
    }
    stopped, every = fits["default"]["fits"]["bce"], fits["all"]["fits"]["bce"]
    assert fits["default"]["settings"]["tol"] == 1e-4 and fits["all"]["settings"]["tol"] is None
    assert stopped["convergence"]["stopped_early"] and stopped["convergence"]["converged"]
    assert stopped["convergence"]["grad_norm"] <= 1e-4 and stopped["epochs"] < 20000
    assert every["epochs"] == 20000 and not every["convergence"]["stopped_early"]
    assert every["convergence"]["grad_norm"] <= stopped["convergence"]["grad_norm"]


def test_fit_prints_the_summary_a_notebook_gets_then_the_files(tmp_path, capsys):
    out = tmp_path / "spector"
    assert cli.main(["fit", "--dataset", "spector", "--test-size", "0.25", *FAST,
                     "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    # the command's descent stops at convergence (--tol GRAD_TOL), the library's runs on
    fitted = fit_table("spector", test_size=0.25, train=TrainConfig(epochs=200, tol=GRAD_TOL))
    assert printed.startswith(fitted.summary() + "\n\nWrote ")
    assert printed.endswith(f"Report: {out}/report.html\n")


#: Two pixels of digits-3v7 that separate the threes from the sevens.
SEPARATED_DIGITS = ["--dataset", "digits-3v7", "--formula", "digit ~ pixel_6_5 + pixel_6_6"]


def test_firth_fits_what_the_mle_refuses(refused, tmp_path, capsys):
    """The MLE's one-line refusal names --firth; with it the same fit is made, as the library
    makes it: Firth's estimate, profile intervals and penalized p-values, no descent."""
    words = refused(["fit", *SEPARATED_DIGITS, *FAST, "--out", str(tmp_path / "mle")])
    assert "separation" in words and "fit with --firth" in words
    out = tmp_path / "firth"
    assert cli.main(["fit", *SEPARATED_DIGITS, "--firth", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Firth's penalized likelihood" in printed and "profile penalized likelihood" in printed
    mle = json.loads((out / "results.json").read_text())["mle"]
    fitted = fit_table("digits-3v7", formula=SEPARATED_DIGITS[3], firth=True, losses=())
    assert mle["method"] == "firth" and fitted.mle.profiled
    rows = mle["coefficients"].values()
    np.testing.assert_allclose([r["estimate"] for r in rows], fitted.mle.params, rtol=1e-12)
    bounds = [[r["lower"], r["upper"]] for r in rows]
    np.testing.assert_allclose(bounds, fitted.mle.conf_int(), rtol=1e-12)
    lr = list(mle["firth"]["lr_chi2"].values())
    np.testing.assert_allclose(lr, fitted.mle.lr_chi2, rtol=1e-12, atol=1e-12)
    assert mle["llr"] == pytest.approx(2 * (mle["firth"]["penalized_loglik"]
                                            - mle["firth"]["penalized_llnull"]))  # fmt: skip
    assert "Firth&#39;s penalized likelihood" in (out / "report.html").read_text()


def test_firth_says_which_coefficients_its_profiles_time_bound_left_wald(tmp_path, monkeypatch):
    """No time for profiles: every interval and p-value Wald's, named in results.json and
    said in the report."""
    from logitlab.stats import firth

    monkeypatch.setattr(firth, "MAX_PROFILE_SECONDS", 0.0)
    out = tmp_path / "firth"
    assert cli.main(["fit", *SEPARATED_DIGITS, "--firth", "--quiet", "--out", str(out)]) == 0
    mle = json.loads((out / "results.json").read_text())["mle"]
    assert mle["firth"]["wald_terms"] == list(mle["coefficients"])
    assert mle["firth"]["lr_chi2"] is None and "coefficients.p" in mle["firth"]["wald"]
    note = mle["firth"]["note"]
    assert note.startswith("Wald intervals and p-values: no profile done within 0 s")
    assert note in (out / "report.html").read_text()


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--cov", "hc0"], "cannot take the hc0 covariance"),
        (["--cov", "hc0", "--chunk-rows", "10"], "cannot take the hc0 covariance"),
    ],
)
def test_firth_refuses_what_it_cannot_take(refused, inputs, tmp_path, extra, words):
    argv = ["fit", f"{inputs}/table.csv", "--target", "y", "--firth", *extra, *FAST]
    assert words in refused([*argv, "--out", str(tmp_path / "out")])
