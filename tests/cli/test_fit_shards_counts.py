"""`logitlab fit --trials/--weights` on a table read in shares: the budworm's grouped rows
streamed in chunks and the Challenger table of counts on 2 workers write the in-memory
fit's statistics (R's deviance table included, every --cov); a held-out split stays
refused; a CSV column of dates is refused in shares in the in-memory words."""

import json

import pytest

#: Every number of results.json's MLE within 1e-10, every word the same
SAME = {"rel": 1e-10, "atol": 1e-13}


@pytest.fixture(scope="module")
def budworm_csv(budworm, tmp_path_factory):
    path = tmp_path_factory.mktemp("budworm") / "budworm.csv"
    budworm.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("cov", ["nonrobust", "hc3"])
def test_grouped_rows_in_chunks_equal_the_in_memory_fit(
    budworm_csv, tmp_path, fit_quietly, same_mle, cov
):
    model = ["--formula", "dead ~ sex * ldose", "--trials", "n", "--cov", cov]
    assert fit_quietly(budworm_csv, *model, "--out", tmp_path / "m")[0] == 0
    code, printed, err = fit_quietly(budworm_csv, *model, "--chunk-rows", 5, "--out",
                                     tmp_path / "s")  # fmt: skip
    assert code == 0, err
    got, _ = same_mle(tmp_path / "s", tmp_path / "m", **SAME)
    assert got["grouped"] and got["df_resid"] == 8 and round(got["deviance"], 3) == 4.994
    assert "Residual deviance:   4.994  on  8 degrees of freedom" in printed
    assert "read at most 5 at a time" in printed


def test_weights_on_two_workers_equal_the_in_memory_fit(
    challenger, tmp_path, fit_quietly, fit_on_two_workers, parquet_parts, same_mle
):
    _, counts = challenger
    parts = parquet_parts(counts, tmp_path)
    model = ["--formula", "distressed ~ temp", "--weights", "joints", "--cov", "robust"]
    assert fit_quietly(parts, *model, "--chunk-rows", 7, "--out", tmp_path / "one")[0] == 0
    fit_on_two_workers(parts, *model, out=tmp_path / "two")
    counts.to_csv(tmp_path / "counts.csv", index=False)
    assert fit_quietly(tmp_path / "counts.csv", *model, "--loss", "bce", "--out",
                       tmp_path / "memory")[0] == 0  # fmt: skip
    for folder in ("one", "two"):
        _, want = same_mle(tmp_path / folder, tmp_path / "memory", **SAME)
    assert want["nobs"] == 138 and round(want["coefficients"]["temp"]["estimate"], 4) == -0.1156
    shares = json.loads((tmp_path / "two" / "results.json").read_text())["sharded"]
    assert shares["workers"] == 2 and sum(shares["rows_per_worker"]) == len(counts)


def test_a_held_out_split_stays_refused(budworm_csv, tmp_path, fit_quietly):
    model = ["--formula", "dead ~ ldose", "--trials", "n", "--test-size", 0.25]
    for shares in ([], ["--chunk-rows", 4]):
        code, _, err = fit_quietly(budworm_csv, *model, *shares, "--out", tmp_path / "o")
        assert code == 2 and err.count("\n") == 1 and "held-out split" in err
    assert not (tmp_path / "o").exists()


def test_a_csv_column_of_dates_is_refused_in_shares_as_in_memory(tmp_path, fit_quietly):
    rows = 40
    days = [f"2024-03-{1 + k % 28:02d}" for k in range(rows)]
    lines = ["y,x,day"] + [f"{k % 2},{k * 0.37 % 1:.3f},{d}" for k, d in enumerate(days)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    said = []
    for shares in ([], ["--chunk-rows", 15], ["--workers", 1, "--chunk-rows", 100]):
        code, _, err = fit_quietly(tmp_path / "t.csv", "--formula", "y ~ x + day", *shares,
                                   "--out", tmp_path / "o")  # fmt: skip
        assert code == 2 and err.count("\n") == 1
        said.append(err)
    assert said[0] == said[1] == said[2]
    assert "column 'day' holds dates, which a model cannot use" in said[0]
    assert not (tmp_path / "o").exists()
