"""Fixtures the tests of `logitlab fit` in shares share: a quiet fit in this process, a fit
on two workers in a subprocess, a table cut into Parquet files, and results.json's MLE
record compared number by number."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import logitlab.cli as cli


@pytest.fixture
def fit_quietly(capsys):
    """`logitlab fit ... --quiet` in this process: (exit code, stdout, stderr)."""

    def run(*words):
        code = cli.main(["fit", *map(str, words), "--quiet"])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def fit_on_two_workers():
    """`logitlab fit TABLE *model --workers 2 --out OUT` in a subprocess, one thread each;
    asserts that it succeeded and returns its stdout."""

    def run(table, *model, out):
        done = subprocess.run(
            [sys.executable, "-m", "logitlab", "fit", str(table), *map(str, model),
             "--workers", "2", "--out", str(out)],
            capture_output=True, text=True, timeout=300,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    return run


@pytest.fixture
def parquet_parts():
    """Write a frame's rows as 3 Parquet files in folder/parts; returns that folder."""

    def write(frame, folder):
        parts = folder / "parts"
        parts.mkdir()
        for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
            frame.iloc[rows].to_parquet(parts / f"part-{i}.parquet", index=False)
        return parts

    return write


def mle_record(folder):
    """results.json's "mle" record of an output folder."""
    return json.loads((folder / "results.json").read_text())["mle"]


def assert_same_record(got, want, *, rel, atol, aside=("hosmer_lemeshow",)):
    """Every number of two records within rel (atol near 0), nested records alike, every
    word the same; the keys in `aside` are not compared (the Hosmer-Lemeshow groups, which
    shares draw from a histogram of the fitted logits)."""
    assert set(got) == set(want)
    for key, value in want.items():
        if key in aside:
            continue
        if isinstance(value, dict):
            assert_same_record(got[key], value, rel=rel, atol=atol, aside=aside)
        elif isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=rel, abs=atol), key
        else:
            assert got[key] == value, key


@pytest.fixture
def same_mle():
    """Assert that two output folders' MLE records agree: assert_same_record's arguments."""

    def check(got_folder, want_folder, **tolerance):
        got, want = mle_record(got_folder), mle_record(want_folder)
        assert_same_record(got, want, **tolerance)
        return got, want

    return check
