"""`logitlab fit --penalty` on a table read in shares: an l1 fit of a CSV file in chunks of
500 rows and an elastic net of counts with frequency weights in a folder of Parquet files
write the in-memory fit's results.json (the estimate, the objective, the likelihoods and
deviances, the penalty's record: 1e-8); the summary and report say it; --lambda cv and a
model without intercept are refused in one line; --help says so."""

import json

import numpy as np
import pandas as pd
import pytest

import logitlab.cli as cli

from .conftest import assert_same_record

#: Every number of results.json's penalized fit within 1e-8 (1e-12 absolute near 0), every
#: word the same; the Hosmer-Lemeshow groups aside (shares draw them from a histogram)
SAME = {"rel": 1e-8, "atol": 1e-12}


def table(n=2_000, seed=3):
    """n rows of four features of unequal scales, two of them without effect, and y."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 4)) * [1.0, 2.0, 0.5, 3.0], columns=list("abcd"))
    eta = 0.3 + frame["a"] - 0.4 * frame["b"]
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    return frame


def results(folder):
    return json.loads((folder / "results.json").read_text())


def test_l1_in_chunks_writes_the_in_memory_fit(tmp_path, fit_quietly, same_mle):
    table().to_csv(tmp_path / "table.csv", index=False)
    model = ["--formula", "y ~ a + b + c + d", "--penalty", "l1", "--lambda", "0.01"]
    assert fit_quietly(tmp_path / "table.csv", *model, "--out", tmp_path / "memory")[0] == 0
    code, printed, err = fit_quietly(tmp_path / "table.csv", *model, "--chunk-rows", 500,
                                     "--out", tmp_path / "shares")  # fmt: skip
    assert code == 0, err
    got, want = same_mle(tmp_path / "shares", tmp_path / "memory", **SAME)
    assert got["method"] == "penalized" and want["coefficients"]["c"]["estimate"] == 0.0
    shares, memory = results(tmp_path / "shares"), results(tmp_path / "memory")
    assert_same_record(shares["penalty"], memory["penalty"], **SAME)
    assert shares["penalty"]["passes"] == memory["penalty"]["passes"]
    assert shares["sharded"]["chunk_rows"] == 500 and shares["reading"] == memory["reading"]
    assert "l1 penalty, lambda 0.01" in printed and "read at most 500 at a time" in printed
    report = (tmp_path / "shares" / "report.html").read_text()
    assert "l1 penalty, lambda 0.01" in report and "mean log-loss" in report


def test_weighted_counts_in_a_folder_write_the_in_memory_fit(
    tmp_path, fit_quietly, parquet_parts, same_mle
):
    rows = table(600, seed=4)
    counts = rows.assign(a=rows["a"].round(1), b=rows["b"].round(0), c=rows["c"].round(0))
    counts = counts.groupby(["a", "b", "c", "y"]).size().rename("n").reset_index()
    parts = parquet_parts(counts, tmp_path)
    model = ["--formula", "y ~ a + b + c", "--weights", "n", "--penalty", "elasticnet",
             "--lambda", "0.02", "--l1-ratio", "0.3"]  # fmt: skip
    code, _, err = fit_quietly(parts, *model, "--chunk-rows", 50, "--out", tmp_path / "shares")
    assert code == 0, err
    counts.to_csv(tmp_path / "counts.csv", index=False)
    assert fit_quietly(tmp_path / "counts.csv", *model, "--out", tmp_path / "memory")[0] == 0
    _, want = same_mle(tmp_path / "shares", tmp_path / "memory", **SAME)
    assert want["nobs"] == 600 and want["method"] == "penalized" and len(counts) < 600
    shares = results(tmp_path / "shares")
    assert shares["sharded"]["rows"] == len(counts) and shares["penalty"]["l1_ratio"] == 0.3


@pytest.mark.parametrize(
    ("model", "words"),
    [
        (["--target", "y", "--lambda", "cv"], "lambda cv in shares"),
        (["--formula", "y ~ a - 1", "--lambda", "0.1"], "leaves the intercept free"),
    ],
)
def test_refusals_in_shares_are_one_line(tmp_path, fit_quietly, model, words):
    table(50).to_csv(tmp_path / "table.csv", index=False)
    code, _, err = fit_quietly(tmp_path / "table.csv", *model, "--penalty", "l2",
                               "--chunk-rows", 20, "--out", tmp_path / "out")  # fmt: skip
    assert code == 2 and len(err.strip().splitlines()) == 1 and words in err
    assert not (tmp_path / "out").exists()


def test_help_says_penalties_fit_in_shares(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fit", "--help"])
    words = " ".join(capsys.readouterr().out.split())
    penalty = words[words.index("--penalty {") :]
    assert "in memory or in shares (--chunk-rows, --workers, a folder" in penalty
    assert "cv in memory only" in penalty
