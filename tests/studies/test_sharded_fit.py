"""fit_shards in one process (Local: the table streamed from disk in chunks): the same MLE,
reading and descents as fit_table in memory, statsmodels' estimates, and the record of
results.json with how the rows were shared."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from logitlab.config import TrainConfig
from logitlab.data.datasets import load_dataset
from logitlab.engines.collective import Local
from logitlab.errors import ConfigError, DataError
from logitlab.records import to_record
from logitlab.studies.fit import TableFit, fit_table
from logitlab.studies.sharded import fit_shards, open_table

SPECTOR = "GRADE ~ GPA + TUCE + C(PSI)"
TRAIN = TrainConfig(epochs=300)


@pytest.fixture(scope="module")
def spector_csv(tmp_path_factory):
    """Spector as a folder of 3 CSV files and as one CSV file."""
    folder = tmp_path_factory.mktemp("spector")
    frame = load_dataset("spector").frame
    (folder / "parts").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_csv(folder / "parts" / f"part-{i}.csv", index=False)
    frame.to_csv(folder / "spector.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def both(spector_csv):
    """The folder streamed 5 rows at a time and the frame in memory, with both descents."""
    frame = load_dataset("spector").frame
    sharded = fit_shards(spector_csv / "parts", Local(), formula=SPECTOR, chunk_rows=5,
                         losses="both", train=TRAIN)  # fmt: skip
    memory = fit_table(frame, formula=SPECTOR, losses="both", train=TRAIN)
    return sharded, memory


def assert_statsmodels(mle, reference):
    """The same terms (patsy orders them otherwise) with statsmodels' estimates and SEs."""
    assert sorted(mle.names) == sorted(reference.params.index)
    names = list(mle.names)
    np.testing.assert_allclose(mle.params, reference.params[names], rtol=1e-8)
    np.testing.assert_allclose(mle.se, reference.bse[names], rtol=1e-8)


def test_the_mle_is_statsmodels_and_the_in_memory_fit(both):
    sharded, memory = both
    reference = smf.logit(SPECTOR, load_dataset("spector").frame).fit(disp=0, tol=1e-12)
    assert_statsmodels(sharded.mle, reference)
    np.testing.assert_allclose(sharded.mle.params, memory.mle.params, rtol=1e-10)
    np.testing.assert_allclose(sharded.mle.se, memory.mle.se, rtol=1e-10)
    assert sharded.reading == memory.reading
    assert sharded.design.rows_used == 32 and sum(sharded.design.rows_per_worker) == 32


def test_one_result_type_with_the_per_row_parts_only_in_memory(both):
    sharded, memory = both
    assert type(sharded) is type(memory) is TableFit
    assert (sharded.sharded, sharded.workers, sharded.chunk_rows) == (True, 1, 5)
    assert (memory.sharded, memory.workers, memory.chunk_rows) == (False, 1, None)
    per_row = ("held_out", "p_hat", "predicted", "metrics", "margins", "training")
    assert all(getattr(sharded, part) is None for part in per_row)
    assert all(getattr(memory, part) is not None for part in per_row)
    assert sharded.design.rows_used == memory.design.rows_used == len(memory.p_hat)
    for name in ("target", "positive", "negative", "names", "intercept", "coding", "dropped"):
        assert getattr(sharded.design, name) == getattr(memory.design, name), name
    assert sharded.success == memory.success == "GRADE = 1"


def test_the_descents_are_the_in_memory_ones(both):
    sharded, memory = both
    assert sharded.train.lr == pytest.approx(memory.train.lr, rel=1e-12)
    np.testing.assert_allclose(sharded.scaling.mean, memory.scaling.mean, rtol=1e-12)
    np.testing.assert_allclose(sharded.scaling.scale, memory.scaling.scale, rtol=1e-12)
    assert set(sharded.descents) == {"bce", "mse"}
    for loss, d in memory.descents.items():
        np.testing.assert_allclose(sharded.descents[loss].params, d.params, rtol=1e-5, atol=1e-6)
        assert sharded.descents[loss].verdict == d.verdict


def test_the_record_is_the_in_memory_one_without_metrics_and_with_the_shares(both):
    sharded, memory = both
    got, want = to_record(sharded), to_record(memory)
    assert set(got) == set(want) - {"metrics"} | {"sharded"}
    assert set(got["mle"]) == set(want["mle"])
    assert got["data"] | {"source": None} == want["data"] | {"source": None}
    assert got["sharded"] == {"workers": 1, "chunk_rows": 5, "rows_per_worker": [32], "rows": 32,
                              "dropped": 0}  # fmt: skip
    assert set(got["gradient_descent"]["fits"]) == {"bce", "mse"}


def test_a_level_in_one_file_only_and_missing_rows(tmp_path):
    rng = np.random.default_rng(3)
    n = 400
    x = rng.normal(size=n)
    town = rng.choice(["north", "south"], n).astype(object)
    town[-60:] = "west"
    u = 0.2 + 0.9 * x - 0.8 * (town == "west")
    frame = pd.DataFrame({"y": (rng.random(n) < 1 / (1 + np.exp(-u))).astype(int), "x": x,
                          "town": town})  # fmt: skip
    frame.loc[[5, 77], "x"] = np.nan
    (tmp_path / "t").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(n), 4)):
        frame.iloc[rows].to_csv(tmp_path / "t" / f"{i}.csv", index=False)
    got = fit_shards(tmp_path / "t", Local(), formula="y ~ x + town", chunk_rows=33)
    reference = smf.logit("y ~ x + town", frame.dropna()).fit(disp=0, tol=1e-12)
    assert_statsmodels(got.mle, reference)
    assert (got.design.rows_used, got.design.dropped) == (n - 2, 2)
    assert got.descents == {} and "no gradient descent" in got.descent_note


def test_no_intercept_no_descent(spector_csv):
    got = fit_shards(spector_csv / "spector.csv", Local(), formula="GRADE ~ GPA + TUCE - 1",
                     losses="bce", train=TRAIN)  # fmt: skip
    assert got.descents == {} and got.train is None and "no intercept" in got.descent_note


def test_refusals(spector_csv, tmp_path):
    with pytest.raises(ConfigError, match="start must hold 4 numbers"):
        fit_shards(spector_csv / "parts", Local(), formula=SPECTOR, losses="bce",
                   train=TrainConfig(epochs=10, init=(0.0, 1.0)))  # fmt: skip
    with pytest.raises(ConfigError, match="chunk_rows"):
        fit_shards(spector_csv / "parts", Local(), formula=SPECTOR, chunk_rows=0)
    bad = tmp_path / "bad.csv"
    bad.write_text("")
    with pytest.raises(DataError, match=r"bad\.csv is not a readable CSV table"):
        open_table(bad)


def test_one_csv_file_is_one_unit(spector_csv):
    shards = open_table(spector_csv / "spector.csv")
    assert shards.kind == "csv" and len(shards.units) == 1
    assert shards.columns == ("GPA", "TUCE", "PSI", "GRADE")
    assert sum(len(chunk) for chunk in shards.chunks(chunk_rows=10)) == 32


def test_clusters_spanning_two_workers_give_the_in_memory_covariance(tmp_path, threads):
    """Each firm's rows lie in both workers' shares (two files, every firm in each): the
    workers' per-firm score sums are gathered and added by firm."""
    rng = np.random.default_rng(31)
    n = 240
    firm = np.arange(n) % 8
    x = rng.normal(size=n)
    logit = -0.2 + x + rng.normal(scale=0.7, size=8)[firm]
    frame = pd.DataFrame({"y": (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int),
                          "x": x, "firm": [f"f{k}" for k in firm]})  # fmt: skip
    folder = tmp_path / "parts"
    folder.mkdir()
    for i, part in enumerate((frame[: n // 2], frame[n // 2 :])):
        part.to_parquet(folder / f"part{i}.parquet", index=False)
    settings = {"formula": "y ~ x", "losses": (), "cov": "cluster:firm", "conf_level": 0.9}
    fits = threads(lambda group: fit_shards(folder, group, chunk_rows=50, **settings))
    memory = fit_table(frame, **settings)
    assert list(fits[0].design.rows_per_worker) == [n // 2, n // 2]  # a file each
    for fit in fits:
        assert fit.mle.cov_type == "cluster:firm" and fit.mle.conf_level == 0.9
        np.testing.assert_allclose(fit.mle.cov, memory.mle.cov, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(fit.mle.conf_int(), memory.mle.conf_int(), rtol=1e-10)
    np.testing.assert_array_equal(fits[0].mle.cov, fits[1].mle.cov)  # the same on both


def test_a_fit_in_shares_says_how_it_was_read_in_its_summary_repr_and_card(both):
    sharded, memory = both
    summary = sharded.summary()
    assert summary.startswith(sharded.mle.summary())
    assert "\n32 rows used on 1 worker(s) (32), read at most 5 at a time; " in summary
    assert "training rows" not in summary and summary.endswith("for them.")
    assert "Not produced: per-row results" in summary
    assert repr(sharded.mle).startswith("ShardedMLEResult(nobs=32, params=[")
    assert len(repr(sharded.mle)) < 150 and len(repr(sharded)) < 250
    card = sharded._repr_html_()
    assert "read in shares by 1 worker(s)" in card and "<th>accuracy</th>" not in card
    assert "<td>C(PSI)[T.1]</td>" in card and "<th>accuracy</th>" in memory._repr_html_()
