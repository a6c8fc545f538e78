"""The MLE on shards: two gloo workers under torchrun, and one worker streaming from disk,
equal the in-memory fit; a worker with no rows, separation and a dead worker are handled."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import statsmodels.api as sm

from logitlab.data.datasets import load_dataset
from logitlab.data.design import build_design
from logitlab.data.shards import agree_design, open_shards
from logitlab.engines.collective import Local
from logitlab.errors import SeparationError
from logitlab.stats import mle
from logitlab.stats.sharded import FAIL_AFTER, fit_sharded

WORKER = Path(__file__).with_name("sharded_worker.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(data, formula, out, chunk_rows=50, env=None):
    """Two gloo workers on 127.0.0.1 running sharded_worker.py; the finished process."""
    out.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
               "--master-addr", "127.0.0.1", "--master-port", str(free_port()), str(WORKER),
               str(data), formula, str(out), str(chunk_rows)]  # fmt: skip
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120,
        env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})},
    )  # fmt: skip


def write(frame, folder, files, group_rows=1000):
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(frame)), files)):
        pq.write_table(
            pa.Table.from_pandas(frame.iloc[part], preserve_index=False),
            folder / f"part-{i}.parquet",
            row_group_size=group_rows,
        )
    return folder


def generated(n=3000, seed=1):
    """A numeric and a categorical term; the level 'west' only in the last rows (the last
    file, so the last worker's share)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    town = rng.choice(["north", "south", "east"], size=n).astype(object)
    town[-200:] = "west"
    u = -0.3 + 0.8 * x + 0.5 * (town == "east") - 0.7 * (town == "west")
    y = (rng.random(n) < 1 / (1 + np.exp(-u))).astype(int)
    return pd.DataFrame({"x": x, "town": town, "y": y})


def assert_same_fit(out, frame, formula, **model):
    ranks = [np.load(out / f"rank{r}.npz") for r in range(2)]
    whole = build_design(frame, formula=formula, **model)
    reference = mle.fit(whole.X, whole.y, names=whole.names)
    for got in ranks:  # every worker holds the same fit: the in-memory one
        assert tuple(got["names"]) == reference.names
        np.testing.assert_allclose(got["params"], reference.params, rtol=1e-10)
        np.testing.assert_allclose(got["se"], reference.se, rtol=1e-10)
    columns = np.vstack([got["X"] for got in ranks])  # rank order = table order
    np.testing.assert_array_equal(columns, whole.X)
    return ranks


def test_two_workers_equal_the_in_memory_fit(tmp_path):
    # Spector as 3 files, and generated data whose level 'west' only worker 1 sees
    spector = load_dataset("spector")
    done = torchrun(write(spector.frame, tmp_path / "s", 3, 5), spector.formula, tmp_path / "o")
    assert done.returncode == 0, done.stderr[-2000:]
    assert_same_fit(tmp_path / "o", spector.frame, spector.formula)
    statsmodels = sm.Logit.from_formula(spector.formula, spector.frame).fit(disp=0)
    got = np.load(tmp_path / "o" / "rank0.npz")
    np.testing.assert_allclose(got["se"], statsmodels.bse[list(got["names"])], rtol=1e-6)

    frame, formula = generated(), "y ~ x + C(town)"
    done = torchrun(write(frame, tmp_path / "g", 4), formula, tmp_path / "og")
    assert done.returncode == 0, done.stderr[-2000:]
    ranks = assert_same_fit(tmp_path / "og", frame, formula)
    assert "C(town)[T.west]" in ranks[0]["names"]
    assert not (ranks[0]["X"][:, list(ranks[0]["names"]).index("C(town)[T.west]") - 1]).any()


def test_a_worker_with_no_rows(tmp_path):
    frame = generated(500)
    folder = write(frame, tmp_path / "one", 1, group_rows=1000)  # one row group: one unit
    done = torchrun(folder, "y ~ x + C(town)", tmp_path / "o")
    assert done.returncode == 0, done.stderr[-2000:]
    ranks = assert_same_fit(tmp_path / "o", frame, "y ~ x + C(town)")
    assert sorted(ranks[1]["rows"]) == [0, 500]
    assert sorted(len(got["X"]) for got in ranks) == [0, 500]


def test_separation_is_named_on_every_worker(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=400)
    frame = pd.DataFrame({"x": x, "z": rng.normal(size=400), "y": (x > 0).astype(int)})
    done = torchrun(write(frame, tmp_path / "d", 2), "y ~ x + z", tmp_path / "o")
    assert done.returncode != 0
    for rank in range(2):
        text = (tmp_path / "o" / f"rank{rank}.txt").read_text()
        assert text.startswith("separation:") and "*x" in text
    with pytest.raises(SeparationError, match="separation"):  # the in-memory verdict agrees
        mle.fit(frame[["x", "z"]].to_numpy(), frame["y"].to_numpy())


def test_a_worker_killed_mid_fit_fails_the_run(tmp_path):
    frame = generated(1000)
    done = torchrun(write(frame, tmp_path / "d", 2), "y ~ x", tmp_path / "o",
                    env={FAIL_AFTER: "1:2"})  # fmt: skip
    assert done.returncode != 0
    assert "rank: 1" in done.stderr and "exitcode  : 9" in done.stderr
    assert not list((tmp_path / "o").glob("*.npz"))


def stream_fit(folder, formula, chunk_rows):
    shards = open_shards(folder)
    design = agree_design(shards, formula=formula, chunk_rows=chunk_rows)
    return fit_sharded(
        lambda: design.batches(shards, chunk_rows), Local(), nobs=design.rows_used,
        successes=design.successes, names=design.names,
    )  # fmt: skip


def test_out_of_core_equals_in_memory_with_every_statistic(tmp_path):
    frame, formula = generated(3000), "y ~ x + C(town)"
    streamed = stream_fit(write(frame, tmp_path / "d", 3, group_rows=250), formula, 64)
    whole = build_design(frame, formula=formula)
    memory = mle.fit(whole.X, whole.y, names=whole.names)
    np.testing.assert_allclose(streamed.params, memory.params, rtol=1e-10)
    np.testing.assert_allclose(streamed.se, memory.se, rtol=1e-10)
    for name in ("loglik", "llnull", "llr_pvalue", "aic", "bic", "prsquared"):
        assert getattr(streamed, name) == pytest.approx(getattr(memory, name), rel=1e-10)
    ame, ame_memory = streamed.marginal_effects(), memory.marginal_effects()
    np.testing.assert_allclose(ame.estimate, ame_memory.estimate, rtol=1e-10)
    np.testing.assert_allclose(ame.se, ame_memory.se, rtol=1e-10)
    np.testing.assert_array_equal(streamed.pred_table(), memory.pred_table())
    hl, hl_memory = streamed.hosmer_lemeshow(), memory.hosmer_lemeshow()
    assert hl.groups == hl_memory.groups
    assert hl.statistic == pytest.approx(hl_memory.statistic, rel=0.05)  # edges to a bin


#: The child of the memory test: warm up (imports, compiled pass) on a small table, then
#: print how much a streamed fit of the big one raised the peak resident memory (MB).
PEAK = """
import resource, sys
from logitlab.data.shards import agree_design, open_shards
from logitlab.engines.collective import Local
from logitlab.stats.sharded import fit_sharded

def fit(path):
    shards = open_shards(path)
    design = agree_design(shards, formula=sys.argv[3], chunk_rows=5000)
    fit_sharded(lambda: design.batches(shards, 5000, reuse=True), Local(), nobs=design.rows_used,
                successes=design.successes, names=design.names)

peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
fit(sys.argv[1])
before = peak()
fit(sys.argv[2])
print(peak() - before)
"""


def test_streaming_memory_does_not_grow_with_the_table(tmp_path):
    # one Parquet file each (row groups of 10**4 rows), 21 float64 columns: the 4N-row
    # table is 67 MB, 50 MB more than the N-row one; chunks are 5000 rows (0.8 MB)
    rng = np.random.default_rng(3)
    names = [f"x{j}" for j in range(20)]
    for rows in (5_000, 100_000, 400_000):
        x = rng.normal(size=(rows, 20))
        y = (rng.random(rows) < 1 / (1 + np.exp(-0.1 * x.sum(axis=1)))).astype(float)
        table = pa.table({**{n: x[:, j] for j, n in enumerate(names)}, "y": y})
        pq.write_table(table, tmp_path / f"{rows}.parquet", row_group_size=10_000)
    formula = "y ~ " + " + ".join(names)

    def raised(rows):
        command = [sys.executable, "-c", PEAK, str(tmp_path / "5000.parquet"),
                   str(tmp_path / f"{rows}.parquet"), formula]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        return float(done.stdout.split()[-1])

    small, big = raised(100_000), raised(400_000)
    assert big - small < 12, (small, big)  # MB: not the 50 MB that holding the rows takes
