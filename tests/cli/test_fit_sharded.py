"""`logitlab fit` on a table read in shares: a folder on 2 local workers (--workers 2, the
launcher), one Parquet file streamed in chunks, a worker with no rows, a worker killed
mid-fit, refusals agreed by every worker; the same numbers as the in-memory fit (itself
checked against statsmodels here), and model.json good for `logitlab predict`."""

import csv
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import statsmodels.formula.api as smf

import logitlab.cli as cli
from logitlab.data.datasets import load_dataset
from logitlab.data.shards import CHUNK_ROWS
from logitlab.report.staging import MARKER
from logitlab.stats.sharded import FAIL_AFTER

FORMULA = "GRADE ~ GPA + TUCE + C(PSI)"
DESCENT = ["--loss", "bce", "--epochs", "300"]
FILES = 3


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Spector as one CSV, one Parquet file (one row group) and a folder of 3 Parquet files."""
    folder = tmp_path_factory.mktemp("inputs")
    frame = load_dataset("spector").frame
    frame.to_csv(folder / "spector.csv", index=False)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / "one.parquet")
    (folder / "parts").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), FILES)):
        part = pa.Table.from_pandas(frame.iloc[rows], preserve_index=False)
        pq.write_table(part, folder / "parts" / f"part-{i}.parquet")
    return folder


def fit(capfd, *words):
    """Run `logitlab fit` in this process; (exit code, stdout, stderr)."""
    code = cli.main(["fit", *map(str, words), "--formula", FORMULA, "--quiet"])
    out, err = capfd.readouterr()
    return code, out, err


def results(folder):
    return json.loads((folder / "results.json").read_text())


@pytest.fixture(scope="module")
def in_memory(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("memory") / "out"
    assert cli.main(["fit", str(inputs / "spector.csv"), "--formula", FORMULA, *DESCENT,
                     "--quiet", "--out", str(out)]) == 0  # fmt: skip
    return results(out)


@pytest.fixture(scope="module")
def two_workers(inputs, tmp_path_factory):
    """The folder on 2 workers, with a BCE descent, by the command as typed (its stdout is
    rank 0's), its progress lines asked for (LOGITLAB_PROGRESS=1); (results, folder, stdout,
    stderr)."""
    out = tmp_path_factory.mktemp("workers") / "out"
    done = subprocess.run(
        [sys.executable, "-m", "logitlab", "fit", str(inputs / "parts"), "--formula", FORMULA,
         *DESCENT, "--workers", "2", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "LOGITLAB_PROGRESS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return results(out), out, done.stdout, done.stderr


def assert_same_mle(got, want):
    """Coefficients and SEs to 1e-10 relative; every other statistic to 1e-8."""
    for term, row in want["mle"]["coefficients"].items():
        mine = got["mle"]["coefficients"][term]
        np.testing.assert_allclose(mine["estimate"], row["estimate"], rtol=1e-10)
        np.testing.assert_allclose(mine["se"], row["se"], rtol=1e-10)
    for name in ("loglik", "llnull", "llr", "llr_pvalue", "aic", "bic", "prsquared"):
        np.testing.assert_allclose(got["mle"][name], want["mle"][name], rtol=1e-8)
    for term, row in want["mle"]["marginal_effects"].items():
        np.testing.assert_allclose(
            [got["mle"]["marginal_effects"][term][k] for k in ("estimate", "se")],
            [row["estimate"], row["se"]],
            rtol=1e-8,
        )
    assert got["mle"]["pred_table"]["counts"] == want["mle"]["pred_table"]["counts"]
    assert got["mle"]["nobs"] == want["mle"]["nobs"]


def test_the_in_memory_reference_is_statsmodels(in_memory):
    frame = load_dataset("spector").frame
    reference = smf.logit(FORMULA, frame).fit(disp=0, tol=1e-12)
    coefficients = in_memory["mle"]["coefficients"]
    np.testing.assert_allclose(
        [coefficients[t]["estimate"] for t in reference.params.index], reference.params,
        rtol=1e-8,
    )  # fmt: skip
    np.testing.assert_allclose(
        [coefficients[t]["se"] for t in reference.bse.index], reference.bse, rtol=1e-8
    )


def test_a_folder_on_two_workers_equals_the_in_memory_fit(two_workers, in_memory, inputs):
    got, out, printed, _ = two_workers
    assert_same_mle(got, in_memory)
    sizes = [pq.ParquetFile(p).metadata.num_rows for p in sorted((inputs / "parts").iterdir())]
    shares = got["sharded"]["rows_per_worker"]
    cuts = {sum(sizes[:k]) for k in range(FILES + 1)}
    assert len(shares) == 2 and shares[0] in cuts and sum(shares) == sum(sizes)
    assert got["sharded"] | {"rows_per_worker": None} == {
        "workers": 2, "chunk_rows": CHUNK_ROWS, "rows_per_worker": None, "rows": 32,
        "dropped": 0,
    }  # fmt: skip
    assert "metrics" not in got and got["data"]["rows_used"] == 32
    assert printed.count("Logistic regression: maximum likelihood") == 1  # rank 0 only
    assert sorted(p.name for p in out.iterdir()) == [
        MARKER, "coefficients.csv", "gd-vs-mle.png", "model.json", "odds-ratios.png",
        "report.html", "results.json",
    ]  # fmt: skip
    page = (out / "report.html").read_text()
    for part in (
        "Hosmer",
        "Odds ratios",
        "marginal effects",
        "Classification table",
        "likelihood-ratio test",
        "predictions.csv",
        "not produced",
        "2 workers",
    ):
        assert part in page, part  # fmt: skip


def test_two_workers_say_each_stage_from_rank_0_alone(two_workers):
    """Rank 0 alone shows the progress lines: each stage once, each Newton iteration once."""
    got, _, _, err = two_workers
    lines = err.splitlines()
    for stage in ("reading and coding 3 file(s) in shares", "gradient descent on BCE",
                  "drawing the figures and writing the report", "moving the report"):  # fmt: skip
        assert sum(stage in line for line in lines) == 1, (stage, err)
    newton = [line for line in lines if "MLE, Newton iteration" in line]
    assert len(newton) == got["mle"]["iterations"], err
    assert f"log-likelihood {got['mle']['loglik']:,.4f}" in newton[-1]


def test_descent_on_two_workers_equals_the_in_memory_descent(two_workers, in_memory):
    got = two_workers[0]["gradient_descent"]
    want = in_memory["gradient_descent"]
    assert got["settings"]["lr"] == pytest.approx(want["settings"]["lr"], rel=1e-12)
    for term, value in want["fits"]["bce"]["coef"].items():
        assert got["fits"]["bce"]["coef"][term] == pytest.approx(value, rel=1e-5, abs=1e-6)
    for term, value in want["standardisation"].items():
        assert got["standardisation"][term]["mean"] == pytest.approx(value["mean"], rel=1e-12)
        assert got["standardisation"][term]["scale"] == pytest.approx(value["scale"], rel=1e-12)


def test_predict_applies_the_sharded_model(two_workers, inputs, tmp_path, capfd):
    model = two_workers[1] / "model.json"
    out = tmp_path / "p.csv"
    assert cli.main(["predict", str(model), str(inputs / "spector.csv"), "--out", str(out)]) == 0
    with out.open() as f:
        p_hat = np.array([float(row["p_hat"]) for row in csv.DictReader(f)])
    frame = load_dataset("spector").frame
    b = two_workers[0]["mle"]["coefficients"]
    columns = {"GPA": "GPA", "TUCE": "TUCE", "C(PSI)[T.1]": "PSI"}
    eta = b["Intercept"]["estimate"] + sum(b[t]["estimate"] * frame[c] for t, c in columns.items())
    np.testing.assert_allclose(p_hat, 1 / (1 + np.exp(-eta.to_numpy())), rtol=1e-12)


def test_one_parquet_file_streamed_in_chunks_equals_in_memory(inputs, in_memory, tmp_path, capfd):
    code, out, _ = fit(capfd, inputs / "one.parquet", "--chunk-rows", 7, "--out", tmp_path / "o")
    assert code == 0
    got = results(tmp_path / "o")
    assert_same_mle(got, in_memory)
    assert got["sharded"]["workers"] == 1 and got["sharded"]["chunk_rows"] == 7
    assert "streamed from disk" in (tmp_path / "o" / "report.html").read_text()
    assert "no gradient descent was asked for" in out  # the MLE only unless --loss is given


def test_one_csv_file_streamed_in_chunks_equals_in_memory(inputs, in_memory, tmp_path, capfd):
    code, _, err = fit(capfd, inputs / "spector.csv", "--chunk-rows", 5, "--out", tmp_path / "o")
    assert code == 0, err
    assert_same_mle(results(tmp_path / "o"), in_memory)


def test_a_worker_with_no_rows(inputs, in_memory, tmp_path, capfd):
    code, _, err = fit(capfd, inputs / "one.parquet", "--workers", 2, "--out", tmp_path / "o")
    assert code == 0, err
    got = results(tmp_path / "o")
    assert got["sharded"]["rows_per_worker"] in ([32, 0], [0, 32])  # one row group
    assert_same_mle(got, in_memory)


def test_a_worker_killed_mid_fit_fails_the_run_and_writes_nothing(
    inputs, tmp_path, capfd, monkeypatch
):
    monkeypatch.setenv(FAIL_AFTER, "1:2")  # worker 1 dies after its second pass
    code, out, err = fit(capfd, inputs / "parts", "--workers", 2, "--out", tmp_path / "o")
    assert code != 0
    assert "error: worker 1 failed" in err.splitlines()[-1]
    assert list(tmp_path.iterdir()) == []  # no folder, no stage
    assert "Wrote" not in out


def test_a_split_is_refused_on_shards(inputs, tmp_path, capfd):
    for where in (["--workers", 2], ["--chunk-rows", 7], []):
        for split in (["--test-size", 0.2], ["--split-seed", 3]):
            code, _, err = fit(capfd, inputs / "parts", *split, *where,
                               "--out", tmp_path / "o")  # fmt: skip
            assert code == 2 and err.count("\n") == 1 and "held-out split" in err
    assert list(tmp_path.iterdir()) == []


def test_a_refused_output_folder_is_one_line_on_every_worker(inputs, tmp_path, capfd):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    code, out, err = fit(capfd, inputs / "parts", "--workers", 2, "--out", taken)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("logitlab fit: error: ") and "taken" in err
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]


def test_a_shipped_data_set_is_not_read_in_shares(tmp_path, capfd):
    code = cli.main(["fit", "--dataset", "spector", "--workers", "2", "--out", str(tmp_path / "o")])
    err = capfd.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--dataset" in err


def test_the_help_names_the_default_chunk(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fit", "--help"])
    assert f"{CHUNK_ROWS:,}" in " ".join(capsys.readouterr().out.split())


def test_under_torchrun_a_refused_output_folder_is_said_once(inputs, tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
         "--master-addr", "127.0.0.1", "--master-port", str(port), "-m", "logitlab", "fit",
         str(inputs / "parts"), "--formula", FORMULA, "--out", str(taken)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode != 0
    said = [line for line in done.stderr.splitlines() if line.startswith("logitlab fit: error:")]
    assert len(said) == 1 and "taken exists and is not empty" in said[0]
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
