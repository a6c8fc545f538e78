"""`logitlab fit --trials/--weights` on a table read in shares: the budworm's grouped rows
streamed in chunks and the Challenger table of counts on 2 workers write the in-memory
fit's statistics (R's deviance table included, every --cov); a held-out split stays
refused; a CSV column of dates is refused in shares in the in-memory words."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import logitlab.cli as cli


def fit(capsys, *words):
    """`logitlab fit` in this process: (exit code, stdout, stderr)."""
    code = cli.main(["fit", *map(str, words), "--quiet"])
    out, err = capsys.readouterr()
    return code, out, err


def mle_record(folder):
    return json.loads((folder / "results.json").read_text())["mle"]


def assert_same_mle(got, want):
    """Every number of results.json's MLE within 1e-10 (the Hosmer-Lemeshow groups, which
    shares draw from a histogram of the fitted logits, aside), every word the same."""
    assert set(got) == set(want)
    for key, value in want.items():
        if key == "hosmer_lemeshow":
            continue
        if isinstance(value, dict):
            assert_same_mle(got[key], value)
        elif isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-10, abs=1e-13), key
        else:
            assert got[key] == value, key


@pytest.fixture(scope="module")
def budworm_csv(budworm, tmp_path_factory):
    path = tmp_path_factory.mktemp("budworm") / "budworm.csv"
    budworm.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("cov", ["nonrobust", "hc3"])
def test_grouped_rows_in_chunks_equal_the_in_memory_fit(budworm_csv, tmp_path, capsys, cov):
    model = ["--formula", "dead ~ sex * ldose", "--trials", "n", "--cov", cov]
    assert fit(capsys, budworm_csv, *model, "--out", tmp_path / "m")[0] == 0
    code, printed, err = fit(capsys, budworm_csv, *model, "--chunk-rows", 5, "--out",
                             tmp_path / "s")  # fmt: skip
    assert code == 0, err
    got, want = mle_record(tmp_path / "s"), mle_record(tmp_path / "m")
    assert_same_mle(got, want)
    assert got["grouped"] and got["df_resid"] == 8 and round(got["deviance"], 3) == 4.994
    assert "Residual deviance:   4.994  on  8 degrees of freedom" in printed
    assert "read at most 5 at a time" in printed


def test_weights_on_two_workers_equal_the_in_memory_fit(challenger, tmp_path):
    _, counts = challenger
    (tmp_path / "parts").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(counts)), 3)):
        counts.iloc[rows].to_parquet(tmp_path / "parts" / f"part-{i}.parquet", index=False)
    model = ["--formula", "distressed ~ temp", "--weights", "joints", "--cov", "robust"]
    assert cli.main(["fit", str(tmp_path / "parts"), *model, "--chunk-rows", "7", "--quiet",
                     "--out", str(tmp_path / "one")]) == 0  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "logitlab", "fit", str(tmp_path / "parts"), *model, "--workers",
         "2", "--out", str(tmp_path / "two")],
        capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    counts.to_csv(tmp_path / "counts.csv", index=False)
    assert cli.main(["fit", str(tmp_path / "counts.csv"), *model, "--loss", "bce", "--quiet",
                     "--out", str(tmp_path / "memory")]) == 0  # fmt: skip
    want = mle_record(tmp_path / "memory")
    for folder in ("one", "two"):
        assert_same_mle(mle_record(tmp_path / folder), want)
    assert want["nobs"] == 138 and round(want["coefficients"]["temp"]["estimate"], 4) == -0.1156
    shares = json.loads((tmp_path / "two" / "results.json").read_text())["sharded"]
    assert shares["workers"] == 2 and sum(shares["rows_per_worker"]) == len(counts)


def test_a_held_out_split_stays_refused(budworm_csv, tmp_path, capsys):
    code, _, err = fit(capsys, budworm_csv, "--formula", "dead ~ ldose", "--trials", "n",
                       "--test-size", 0.25, "--out", tmp_path / "o")  # fmt: skip
    assert code == 2 and err.count("\n") == 1 and "held-out split" in err
    code, _, err = fit(capsys, budworm_csv, "--formula", "dead ~ ldose", "--trials", "n",
                       "--chunk-rows", 4, "--test-size", 0.25, "--out", tmp_path / "o")  # fmt: skip
    assert code == 2 and err.count("\n") == 1 and "held-out split" in err
    assert not (tmp_path / "o").exists()


def test_a_csv_column_of_dates_is_refused_in_shares_as_in_memory(tmp_path, capsys):
    rows = 40
    days = [f"2024-03-{1 + k % 28:02d}" for k in range(rows)]
    lines = ["y,x,day"] + [f"{k % 2},{k * 0.37 % 1:.3f},{d}" for k, d in enumerate(days)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    said = []
    for shares in ([], ["--chunk-rows", 15], ["--workers", 1, "--chunk-rows", 100]):
        code, _, err = fit(capsys, tmp_path / "t.csv", "--formula", "y ~ x + day", *shares,
                           "--out", tmp_path / "o")  # fmt: skip
        assert code == 2 and err.count("\n") == 1
        said.append(err)
    assert said[0] == said[1] == said[2]
    assert "column 'day' holds dates, which a model cannot use" in said[0]
    assert not (tmp_path / "o").exists()
