"""`logitlab fit --firth` on a table read in shares: separated rows in a folder of Parquet
files read in chunks, and the Challenger table of counts on 2 workers, write the in-memory
Firth fit's statistics (estimates, logistf's SE, profile intervals, penalized LR p-values
and null) to 1e-8; the summary and --help say it."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import logitlab.cli as cli


def fit(capsys, *words):
    """`logitlab fit` in this process: (exit code, stdout, stderr)."""
    code = cli.main(["fit", *map(str, words), "--quiet"])
    out, err = capsys.readouterr()
    return code, out, err


def mle_record(folder):
    return json.loads((folder / "results.json").read_text())["mle"]


def assert_same_firth(got, want):
    """Every number of results.json's Firth fit within 1e-8 (1e-10 absolute near 0; the
    passes taken, and the Hosmer-Lemeshow groups, which shares draw from a histogram of the
    fitted logits, aside), every word the same."""
    assert set(got) == set(want)
    for key, value in want.items():
        if key in ("hosmer_lemeshow", "passes"):
            continue
        if isinstance(value, dict):
            assert_same_firth(got[key], value)
        elif isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-8, abs=1e-10), key
        else:
            assert got[key] == value, key


def test_separated_rows_in_chunks_equal_the_in_memory_fit(tmp_path, capsys):
    rng = np.random.default_rng(8)
    n = 120
    frame = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    frame["y"] = (frame["x"] + 0.3 * frame["z"] > 0.2).astype(int)  # no MLE
    (tmp_path / "parts").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(n), 3)):
        frame.iloc[rows].to_parquet(tmp_path / "parts" / f"part-{i}.parquet", index=False)
    frame.to_csv(tmp_path / "table.csv", index=False)
    # columns, not a formula: a formula's coding of every chunk each pass (formulaic's) takes
    # most of a pass, and the profiles take a few hundred passes
    model = ["--target", "y", "--features", "x,z", "--firth", "--conf-level", "0.9"]
    code, _, err = fit(capsys, tmp_path / "parts", "--target", "y", "--features", "x,z",
                       "--out", tmp_path / "mle")  # fmt: skip
    assert code == 2 and "separation" in err and "fit with --firth" in err
    assert fit(capsys, tmp_path / "table.csv", *model, "--out", tmp_path / "memory")[0] == 0
    code, printed, err = fit(capsys, tmp_path / "parts", *model, "--chunk-rows", 20, "--out",
                             tmp_path / "shares")  # fmt: skip
    assert code == 0, err
    got, want = mle_record(tmp_path / "shares"), mle_record(tmp_path / "memory")
    assert_same_firth(got, want)
    assert got["method"] == "firth" and got["firth"]["wald_terms"] is None
    assert "Firth's penalized likelihood" in printed and "read at most 20 at a time" in printed
    assert "profile penalized likelihood (intervals)" in printed


def test_counts_on_two_workers_equal_the_in_memory_fit(challenger, tmp_path):
    _, counts = challenger
    (tmp_path / "parts").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(counts)), 3)):
        counts.iloc[rows].to_parquet(tmp_path / "parts" / f"part-{i}.parquet", index=False)
    model = ["--formula", "distressed ~ temp", "--weights", "joints", "--firth"]
    done = subprocess.run(
        [sys.executable, "-m", "logitlab", "fit", str(tmp_path / "parts"), *model, "--workers",
         "2", "--out", str(tmp_path / "two")],
        capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    counts.to_csv(tmp_path / "counts.csv", index=False)
    assert cli.main(["fit", str(tmp_path / "counts.csv"), *model, "--quiet", "--out",
                     str(tmp_path / "memory")]) == 0  # fmt: skip
    want = mle_record(tmp_path / "memory")
    assert_same_firth(mle_record(tmp_path / "two"), want)
    assert want["nobs"] == 138 and want["method"] == "firth"
    shares = json.loads((tmp_path / "two" / "results.json").read_text())["sharded"]
    assert shares["workers"] == 2 and sum(shares["rows_per_worker"]) == len(counts)


def test_help_says_firth_fits_in_shares(capsys):
    with pytest.raises(SystemExit):
        cli.main(["fit", "--help"])
    words = " ".join(capsys.readouterr().out.split())
    firth = words[words.index("--firth") :]
    assert "in memory or in shares (--chunk-rows, --workers, a folder" in firth
