"""`logitlab fit --firth` on a table read in shares: separated rows in a folder of Parquet
files read in chunks, and the Challenger table of counts on 2 workers, write the in-memory
Firth fit's statistics (estimates, logistf's SE, profile intervals, penalized LR p-values
and null) to 1e-8; the summary and --help say it."""

import json

import numpy as np
import pandas as pd
import pytest

import logitlab.cli as cli

#: Every number of results.json's Firth fit within 1e-8 (1e-10 absolute near 0; the passes
#: taken, and the Hosmer-Lemeshow groups, aside), every word the same
SAME = {"rel": 1e-8, "atol": 1e-10, "aside": ("hosmer_lemeshow", "passes")}


def test_separated_rows_in_chunks_equal_the_in_memory_fit(
    tmp_path, fit_quietly, parquet_parts, same_mle
):
    rng = np.random.default_rng(8)
    n = 120
    frame = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    frame["y"] = (frame["x"] + 0.3 * frame["z"] > 0.2).astype(int)  # no MLE
    parts = parquet_parts(frame, tmp_path)
    frame.to_csv(tmp_path / "table.csv", index=False)
    # columns, not a formula: a formula's coding of every chunk each pass (formulaic's) takes
    # most of a pass, and the profiles take a few hundred passes
    model = ["--target", "y", "--features", "x,z", "--firth", "--conf-level", "0.9"]
    code, _, err = fit_quietly(parts, "--target", "y", "--features", "x,z", "--out",
                               tmp_path / "mle")  # fmt: skip
    assert code == 2 and "separation" in err and "fit with --firth" in err
    assert fit_quietly(tmp_path / "table.csv", *model, "--out", tmp_path / "memory")[0] == 0
    code, printed, err = fit_quietly(parts, *model, "--chunk-rows", 20, "--out",
                                     tmp_path / "shares")  # fmt: skip
    assert code == 0, err
    got, _ = same_mle(tmp_path / "shares", tmp_path / "memory", **SAME)
    assert got["method"] == "firth" and got["firth"]["wald_terms"] is None
    assert "Firth's penalized likelihood" in printed and "read at most 20 at a time" in printed
    assert "profile penalized likelihood (intervals)" in printed


def test_counts_on_two_workers_equal_the_in_memory_fit(
    challenger, tmp_path, fit_quietly, fit_on_two_workers, parquet_parts, same_mle
):
    _, counts = challenger
    parts = parquet_parts(counts, tmp_path)
    model = ["--formula", "distressed ~ temp", "--weights", "joints", "--firth"]
    fit_on_two_workers(parts, *model, out=tmp_path / "two")
    counts.to_csv(tmp_path / "counts.csv", index=False)
    assert fit_quietly(tmp_path / "counts.csv", *model, "--out", tmp_path / "memory")[0] == 0
    _, want = same_mle(tmp_path / "two", tmp_path / "memory", **SAME)
    assert want["nobs"] == 138 and want["method"] == "firth"
    shares = json.loads((tmp_path / "two" / "results.json").read_text())["sharded"]
    assert shares["workers"] == 2 and sum(shares["rows_per_worker"]) == len(counts)


def test_help_says_firth_fits_in_shares(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fit", "--help"])
    words = " ".join(capsys.readouterr().out.split())
    firth = words[words.index("--firth") :]
    assert "in memory or in shares (--chunk-rows, --workers, a folder" in firth
