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
import pyarrow as pa
import pyarrow.parquet as pq
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
    return folder / "table.csv", (out / "model.json").read_text()  # text: a test's own copy


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
    table, text = fitted
    record = json.loads(text)
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


# --- predict as people use it: rows the model cannot code, IDs, labels, big tables ---------


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """Customers with IDs such as 007, a yes/no target, an x read through np.log and a
    group; fit's model.json and predictions.csv for them (every row used)."""
    folder = tmp_path_factory.mktemp("shop")
    rng = np.random.default_rng(11)
    n = 120
    x, g = rng.uniform(0.5, 4, n), rng.choice(["north", "south"], n)
    eta = -0.5 + 1.2 * np.log(x) + 0.8 * (g == "south")
    bought = np.where(rng.random(n) < 1 / (1 + np.exp(-eta)), "yes", "no")
    frame = pd.DataFrame({"id": [f"{i:03d}" for i in range(n)], "x": x, "g": g, "bought": bought})
    frame.to_csv(folder / "shop.csv", index=False, float_format="%.17g")
    out = folder / "fit"
    argv = ["fit", str(folder / "shop.csv"), "--formula", "bought ~ np.log(x) + C(g)",
            "--loss", "bce", "--epochs", "50", "--quiet", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    fitted = pd.read_csv(out / "predictions.csv")
    assert fitted["row"].tolist() == list(range(n))
    return folder / "shop.csv", out / "model.json", fitted["p_hat"].to_numpy()


def shop_table(shop, changes=None) -> pd.DataFrame:
    """The shop's rows, IDs as written, with {(row, column): value} changed."""
    frame = pd.read_csv(shop[0], dtype={"id": str}).astype({"x": object})  # x may get text
    for (row, column), value in (changes or {}).items():
        frame.loc[row, column] = value
    return frame


def predicted(argv, capsys) -> tuple[pd.DataFrame, str]:
    assert cli.main(argv) == 0, capsys.readouterr().err
    out = argv[argv.index("--out") + 1]
    return pd.read_csv(out, dtype={"id": str}), capsys.readouterr().out


#: A row of each kind the model cannot code, its change to the table and the reason written.
BAD_ROWS = {
    3: ("x", 0.0, "'np.log(x)' is -inf where 'x' is 0"),
    5: ("x", -2.0, "'np.log(x)' is nan where 'x' is -2"),
    8: ("x", np.nan, "'x' is missing"),
    13: ("g", "east", "'g' is 'east', a level the model has not seen"),
    21: ("x", "unknown", "'x' is 'unknown', not a number"),
}


@pytest.mark.parametrize("chunk_rows", [None, 4])
def test_on_error_skip_writes_each_bad_row_with_its_reason_and_predicts_the_others(
    shop, tmp_path, capsys, assert_ulps, chunk_rows
):
    """It used to refuse the whole file for one such row."""
    _, model, fitted = shop
    frame = shop_table(shop, {(r, c): v for r, (c, v, _) in BAD_ROWS.items()})
    frame.to_csv(tmp_path / "new.csv", index=False, float_format="%.17g")
    argv = ["predict", str(model), str(tmp_path / "new.csv"), "--on-error", "skip", "--keep",
            "id", "--out", str(tmp_path / "p.csv")]  # fmt: skip
    if chunk_rows:
        argv += ["--chunk-rows", str(chunk_rows)]
    got, printed = predicted(argv, capsys)
    assert list(got.columns) == ["id", "row", "p_hat", "predicted", "label", "reason"]
    assert got["id"].tolist() == frame["id"].tolist() and got["id"][7] == "007"
    assert got["row"].tolist() == list(range(len(frame)))
    bad = sorted(BAD_ROWS)
    assert got["reason"][bad].tolist() == [BAD_ROWS[r][2] for r in bad]
    assert got.loc[bad, ["p_hat", "predicted", "label"]].isna().all().all()
    good = got.drop(index=bad)
    assert good["reason"].isna().all()
    assert_ulps(good["p_hat"].to_numpy(), fitted[good.index], precision=np.float64)
    assert (good["predicted"] == (good["p_hat"] > 0.5)).all()
    assert good["label"].tolist() == ["yes" if c else "no" for c in good["predicted"]]
    assert f"Wrote 120 rows to {tmp_path / 'p.csv'}: 115 predictions of bought = 'yes'" in printed
    assert "5 rows skipped (the reason column says why)" in printed


def test_missing_drop_leaves_rows_with_gaps_out_and_skip_writes_the_rest(shop, tmp_path, capsys):
    _, model, _ = shop
    frame = shop_table(shop, {(8, "x"): np.nan, (13, "g"): "east"})
    frame.to_csv(tmp_path / "new.csv", index=False, float_format="%.17g")
    argv = ["predict", str(model), str(tmp_path / "new.csv"), "--on-error", "skip",
            "--missing", "drop", "--out", str(tmp_path / "p.csv")]  # fmt: skip
    got, printed = predicted(argv, capsys)
    assert 8 not in got["row"].tolist() and len(got) == 119
    assert got.set_index("row")["reason"][13] == "'g' is 'east', a level the model has not seen"
    assert "1 rows skipped" in printed and "1 rows with a missing value left out" in printed


@pytest.mark.parametrize(("chunk_rows", "bad"), [(None, 6), ("10", 57)])
def test_a_row_the_model_cannot_code_refuses_the_file_named_as_a_spreadsheet_counts(
    refused, shop, tmp_path, chunk_rows, bad
):
    """By default the first such row refuses the file, counted from 1 with its file's line;
    found in a later chunk, nothing of the earlier ones is left behind."""
    _, model, _ = shop
    new = tmp_path.parent / f"{tmp_path.name}-new.csv"  # beside tmp_path: nothing written in it
    shop_table(shop, {(bad, "x"): 0.0}).to_csv(new, index=False, float_format="%.17g")
    argv = ["predict", str(model), str(new), "--out", str(tmp_path / "p.csv")]
    line = refused(argv + (["--chunk-rows", chunk_rows] if chunk_rows else []))
    assert line.startswith(
        f"logitlab predict: error: row {bad + 1} (line {bad + 2} of its file): 'np.log(x)' is "
        "-inf where 'x' is 0; --on-error skip writes such rows without a prediction"
    )


def test_keep_refuses_a_column_the_table_lacks_listing_those_it_has(refused, shop, tmp_path):
    _, model, _ = shop
    new = tmp_path.parent / f"{tmp_path.name}-wide.csv"
    wide = shop_table(shop).assign(**{f"c{j}": 0 for j in range(12)})
    wide.to_csv(new, index=False)
    line = refused(["predict", str(model), str(new), "--keep", "id,nope", "--out",
                    str(tmp_path / "p.csv")])  # fmt: skip
    assert f"--keep 'nope': {new} has no such column; its columns: 'id', 'x', 'g'" in line
    assert line.endswith("'c5' and 6 more\n")
    line = refused(["predict", str(model), str(new), "--keep", "id,row", "--out",
                    str(tmp_path / "p.csv")])  # fmt: skip
    assert "--keep 'row': predict writes a column of that name" in line


@pytest.mark.parametrize("threshold", ["0", "1", "1.5", "-0.2", "nan", "half"])
def test_a_threshold_outside_0_and_1_is_refused(refused, shop, tmp_path, threshold):
    table, model, _ = shop
    line = refused(["predict", str(model), str(table), "--threshold", threshold, "--out",
                    str(tmp_path / "p.csv")])  # fmt: skip
    assert "threshold must be a probability between 0 and 1 (exclusive), got" in line


def test_the_threshold_sets_the_class_and_its_label(shop, tmp_path, capsys):
    table, model, fitted = shop
    argv = [
        "predict",
        str(model),
        str(table),
        "--threshold",
        "0.7",
        "--out",
        str(tmp_path / "p.csv"),
    ]
    got, printed = predicted(argv, capsys)
    assert got["predicted"].tolist() == (got["p_hat"] > 0.7).astype(int).tolist()
    assert 0 < got["predicted"].sum() < (fitted > 0.5).sum()  # the cut moved
    assert got["label"].tolist() == np.where(got["predicted"] == 1, "yes", "no").tolist()
    assert "at threshold 0.7" in printed


def shop_as(kind: str, frame: pd.DataFrame, folder) -> tuple[str, list[str]]:
    """The shop's table written as fit reads tables: the path and the options it needs."""
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    if kind == "parquet":
        pq.write_table(arrow, folder / "shop.parquet", row_group_size=50)
        return str(folder / "shop.parquet"), []
    if kind in ("parquet shares", "csv shares"):
        (folder / "shares").mkdir()
        for k, start in enumerate(range(0, len(frame), 45)):
            part = frame.iloc[start : start + 45]
            if kind == "csv shares":
                part.to_csv(folder / "shares" / f"part-{k}.csv", index=False, float_format="%.17g")
            else:
                pq.write_table(arrow.slice(start, 45), folder / "shares" / f"part-{k}.parquet")
        return str(folder / "shares"), []
    if kind == "xlsx":
        frame.to_excel(folder / "shop.xlsx", sheet_name="Customers", index=False)
        return str(folder / "shop.xlsx"), ["--sheet", "Customers"]
    frame.to_csv(folder / "shop.csv", sep=";", decimal=",", index=False, float_format="%.17g")
    return str(folder / "shop.csv"), []  # European, sniffed


@pytest.mark.parametrize("kind", ["parquet", "parquet shares", "csv shares", "xlsx", "european"])
def test_predict_reads_what_fit_reads_a_chunk_at_a_time(
    shop, tmp_path, capsys, monkeypatch, assert_ulps, kind
):
    """Parquet, folders of shares, workbooks and European CSV, streamed: read_table (which
    holds a table whole, as predict used to) is never called."""
    import logitlab.data.tables as tables

    _, model, fitted = shop
    data, options = shop_as(kind, shop_table(shop), tmp_path)
    monkeypatch.setattr(tables, "read_table", None)
    argv = ["predict", str(model), data, *options, "--chunk-rows", "7", "--keep", "id",
            "--out", str(tmp_path / "p.csv")]  # fmt: skip
    got, _ = predicted(argv, capsys)
    assert got["row"].tolist() == list(range(120))
    assert got["id"].str.lstrip("0").tolist() == [str(i) if i else "" for i in range(120)]
    assert_ulps(got["p_hat"].to_numpy(), fitted, precision=np.float64)


def test_a_bad_row_in_a_folder_is_named_in_its_file(refused, shop, tmp_path):
    _, model, _ = shop
    folder = tmp_path.parent / f"{tmp_path.name}-in"
    folder.mkdir()
    data, _ = shop_as("csv shares", shop_table(shop, {(47, "g"): "east"}), folder)
    line = refused(["predict", str(model), data, "--out", str(tmp_path / "p.csv")])
    assert f"row 3 (line 4 of its file) of {data}/part-1.csv: 'g' is 'east', a level" in line


def test_a_model_file_s_formula_must_be_the_model_it_holds(refused, shop, tmp_path):
    """predict prints the formula: a forged one (a second line, another model) is refused."""
    table, model, _ = shop
    record = json.loads(model.read_text())
    record["spec"]["formula"] = "bought ~ np.log(x) + C(g)\nWrote 0 rows: all is well"
    forged = tmp_path.parent / f"{tmp_path.name}-model.json"
    forged.write_text(json.dumps(record))
    line = refused(["predict", str(forged), str(table), "--out", str(tmp_path / "p.csv")])
    assert "is not a valid model file: the model's formula" in line


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--on-error", "ignore"], "--on-error must be error or skip, got 'ignore'"),
        (["--chunk-rows", "0"], "--chunk-rows must be an integer from 1 to 2**63 - 1, got 0"),
        (["--keep", "id,"], "--keep must name columns, comma-separated, got 'id,'"),
        (["--keep", "id,x,id"], "--keep names 'id' more than once"),
        (["--sep", ";"], "--sep, --decimal and --sheet apply to a table file"),
    ],
)
def test_predict_s_own_options_are_refused_as_typed(refused, shop, tmp_path, options, words):
    _, model, _ = shop
    folder = tmp_path.parent / f"{tmp_path.name}-in"
    folder.mkdir()
    data, _ = shop_as("parquet shares", shop_table(shop), folder)
    line = refused(["predict", str(model), data, *options, "--out", str(tmp_path / "p.csv")])
    assert words in line


def test_a_pipe_is_predicted_as_its_file_is(shop, tmp_path, capsys, assert_ulps):
    """`predict model.json <(zcat new.csv.gz)`: read once, a chunk at a time."""
    table, model, _ = shop
    read, write = os.pipe()
    os.write(write, table.read_bytes())  # 6 kB: within the pipe's buffer
    os.close(write)
    try:
        argv = ["predict", str(model), f"/dev/fd/{read}", "--chunk-rows", "50", "--out",
                str(tmp_path / "piped.csv")]  # fmt: skip
        piped, _ = predicted(argv, capsys)
    finally:
        os.close(read)
    direct, _ = predicted(["predict", str(model), str(table), "--out", str(tmp_path / "p.csv")],
                          capsys)  # fmt: skip
    pd.testing.assert_frame_equal(piped.drop(columns="p_hat"), direct.drop(columns="p_hat"))
    assert_ulps(piped["p_hat"], direct["p_hat"], precision=np.float64)


@pytest.mark.parametrize(("options", "level"), [([], 0.95), (["--conf-level", "0.8"], 0.8)])
def test_interval_is_the_delta_method_s_interval_through_the_sigmoid(
    shop, tmp_path, capsys, options, level
):
    """predict --interval, a chunk of 7 rows at a time, equals statsmodels GLM fitted on the
    same rows: get_prediction(which="linear")'s interval mapped by the logistic function,
    at the fit's level or --conf-level's."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    table, model, _ = shop
    argv = ["predict", str(model), str(table), "--interval", *options, "--chunk-rows", "7",
            "--out", str(tmp_path / "p.csv")]  # fmt: skip
    got, _ = predicted(argv, capsys)
    assert got.columns.tolist() == ["row", "p_hat", "p_low", "p_high", "predicted", "label"]
    frame = pd.read_csv(table)
    frame["y"] = (frame["bought"] == "yes").astype(float)
    result = smf.glm("y ~ np.log(x) + C(g)", frame, family=sm.families.Binomial()).fit(tol=1e-12)
    linear = result.get_prediction(frame, which="linear").conf_int(alpha=1 - level)
    ends = sm.families.links.Logit().inverse(linear)
    np.testing.assert_allclose(got[["p_low", "p_high"]], ends, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(got["p_hat"], result.predict(frame), rtol=1e-7, atol=1e-10)


def test_interval_needs_a_model_file_with_its_covariance(refused, shop, tmp_path):
    table, model, _ = shop
    record = json.loads(model.read_text())
    del record["covariance"]  # a model file as fit wrote it before
    old = tmp_path.parent / f"{tmp_path.name}-model.json"
    old.write_text(json.dumps(record))
    line = refused(["predict", str(old), str(table), "--interval", "--out",
                    str(tmp_path / "p.csv")])  # fmt: skip
    assert "holds no covariance of its parameters, which --interval needs" in line
    assert "refit the model with logitlab fit" in line


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--conf-level", "0.9"], "--conf-level sets the level of --interval; give both"),
        (["--interval", "--conf-level", "1.5"], "conf level must be a number between 0 and 1"),
        (["--interval", "--keep", "id,p_low"], "--keep 'p_low': predict writes a column"),
    ],
)
def test_interval_options_are_refused_in_one_line(refused, shop, tmp_path, options, words):
    table, model, _ = shop
    line = refused(["predict", str(model), str(table), *options, "--out", str(tmp_path / "p")])
    assert words in line


def test_help_explains_interval_and_its_level(capsys):
    with pytest.raises(SystemExit):
        cli.main(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--interval also write p_low and p_high" in text
    assert "delta method's interval of the logit x'b (standard error sqrt(x'Vx)" in text
    assert "--conf-level L the confidence level of --interval" in text
