"""fit_shards with rows that stand for many: grouped binomial rows (trials) and frequency
weights, read in chunks from CSV and Parquet files by one worker or two (threads), give R's
printed glm output on the budworm data, the Challenger joints' published standard error and
fit_table's numbers in memory; bad counts are refused naming the file and the row."""

import numpy as np
import pytest

from logitlab.engines.collective import Local
from logitlab.errors import ConfigError, DataError
from logitlab.studies.fit import COUNTED_NOTE, fit_table
from logitlab.studies.sharded import fit_shards

BUDWORM = {"formula": "dead ~ sex * ldose", "trials": "n"}
CHALLENGER = {"formula": "distressed ~ temp", "weights": "joints"}


def parts(frame, folder, files=3, kind="csv"):
    """The frame as `files` CSV or Parquet files in a new folder."""
    folder.mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), files)):
        part = frame.iloc[rows]
        if kind == "csv":
            part.to_csv(folder / f"part-{i}.csv", index=False)
        else:
            part.to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder


def assert_in_memory(got, want):
    """Every statistic of the MLE within 1e-10 of the in-memory fit's, and the same coding."""
    a, b = got.mle, want.mle
    assert (a.nobs, a.df_resid, a.grouped, a.cov_type) == (b.nobs, b.df_resid, b.grouped,
                                                           b.cov_type)  # fmt: skip
    for name in ("params", "se", "cov", "loglik", "llnull", "llsat", "deviance",
                 "null_deviance", "pearson_chi2", "aic", "bic"):  # fmt: skip
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-10, atol=1e-13,
                                   err_msg=name)  # fmt: skip
    np.testing.assert_allclose(a.marginal_effects().se, b.marginal_effects().se, rtol=1e-10)
    np.testing.assert_allclose(a.pred_table(), b.pred_table(), rtol=1e-12)
    assert got.design.coding == want.design.coding


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_budworm_in_shares_prints_r_glm_and_equals_the_in_memory_fit(budworm, tmp_path, kind):
    """glm(cbind(dead, n - dead) ~ sex * ldose, binomial): residual deviance 4.994 on 8 df,
    null 124.876 on 11, AIC 43.104, coefficients -2.9935 0.1750 0.9060 0.3529."""
    folder = parts(budworm, tmp_path / "b", kind=kind)
    got = fit_shards(folder, Local(), chunk_rows=3, losses="bce", **BUDWORM)
    assert got.descent_note == COUNTED_NOTE and got.descents == {}  # rows stand for many
    mle = got.mle
    assert round(mle.deviance, 3) == 4.994 and mle.df_resid == 8 and mle.nobs == 12
    assert round(mle.null_deviance, 3) == 124.876 and round(mle.aic, 3) == 43.104
    np.testing.assert_array_equal(np.round(mle.params, 4), [-2.9935, 0.1750, 0.9060, 0.3529])
    assert "Residual deviance:   4.994  on  8 degrees of freedom" in got.summary()
    assert_in_memory(got, fit_table(budworm, losses=(), **BUDWORM))


def test_challenger_joints_as_weights_in_shares(challenger, tmp_path):
    """The table of counts, a row per temperature and outcome with its joints: b = -0.1156
    (SE 0.0470) as on the 138 joints; the hc1 covariance counts them as in memory."""
    _, counts = challenger
    folder = parts(counts, tmp_path / "c", kind="parquet")
    got = fit_shards(folder, Local(), chunk_rows=5, cov="hc1", **CHALLENGER)
    plain = fit_shards(folder, Local(), chunk_rows=5, **CHALLENGER)
    assert got.mle.nobs == 138 and got.design.rows_used == len(counts)
    np.testing.assert_array_equal(np.round(plain.mle.se, 4), [3.0525, 0.0470])
    assert_in_memory(got, fit_table(counts, losses=(), cov="hc1", **CHALLENGER))


def test_two_workers_with_clusters_equal_the_in_memory_fit(tmp_path, threads):
    """Weighted rows in two files, one a worker, every firm in both: the clustered
    covariance's per-firm score sums count each row's weight."""
    rng = np.random.default_rng(4)
    n = 160
    firm = np.arange(n) % 6
    x = rng.normal(size=n)
    y = rng.random(n) < 1 / (1 + np.exp(-(0.3 + x + rng.normal(scale=0.5, size=6)[firm])))
    import pandas as pd

    frame = pd.DataFrame({"y": y.astype(int), "x": x, "w": rng.integers(0, 4, n),
                          "firm": [f"f{k}" for k in firm]})  # fmt: skip
    folder = parts(frame, tmp_path / "p", files=2, kind="parquet")
    settings = {"formula": "y ~ x", "weights": "w", "cov": "cluster:firm"}
    fits = threads(lambda group: fit_shards(folder, group, chunk_rows=25, **settings))
    assert fits[0].design.rows_per_worker == (n // 2, n // 2)
    np.testing.assert_array_equal(fits[0].mle.cov, fits[1].mle.cov)  # the same on both
    assert_in_memory(fits[0], fit_table(frame, losses=(), **settings))


def test_bad_counts_are_refused_naming_the_file_and_row(budworm, tmp_path):
    bad = budworm.assign(n=budworm["n"].astype(float))
    bad.loc[7, "n"] = 2.5  # the second file's (rows 4-7) last row: line 5 of its file
    folder = parts(bad, tmp_path / "b")
    with pytest.raises(DataError) as refused:
        fit_shards(folder, Local(), chunk_rows=3, **BUDWORM)
    words = str(refused.value)
    assert words.startswith(str(folder / "part-1.csv")) and "\n" not in words
    assert "trials column 'n' must hold whole numbers >= 1: row 4 (line 5 of its file)" in words
    above = budworm.assign(dead=budworm["dead"].where(budworm.index != 2, 25))
    with pytest.raises(DataError, match=r"row 3 \(line 4 of its file\) holds 25 successes out"):
        fit_shards(parts(above, tmp_path / "a"), Local(), chunk_rows=3, **BUDWORM)
    with pytest.raises(ConfigError, match="held-out split"):
        fit_shards(folder, Local(), chunk_rows=3, test_size=0.2, **BUDWORM)
