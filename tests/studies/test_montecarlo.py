"""`logitlab montecarlo`: reproducible draws, the files' schema, statistics computed right."""

import csv
import json

import numpy as np
import pytest

from logitlab.cli import main
from logitlab.config import DataConfig, LectureConfig, MonteCarloConfig, TrainConfig
from logitlab.data import simulate
from logitlab.report.staging import MARKER
from logitlab.studies.montecarlo import findings, run_montecarlo, summarize

SMALL = ["--reps", "4", "--epochs", "300", "--n", "200", "--quiet"]
COLUMNS = [
    "rep",
    "data_seed",
    "loss",
    "w0_hat",
    "w1_hat",
    "final_loss",
    "epochs_run",
    "grad_norm",
    "verdict",
    "diverged_at",
]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("mc") / "out"
    assert main(["montecarlo", "--out", str(out), *SMALL]) == 0
    return out


def read_rows(folder):
    with (folder / "montecarlo.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_file_is_written(study):
    names = {"montecarlo.csv", "montecarlo.json", "histograms.png", "estimates.png"}
    assert {p.name for p in study.iterdir()} == names | {"report.html", MARKER}
    html = (study / "report.html").read_text()
    assert "data:image/png;base64," in html and "RMSE" in html


def test_csv_has_one_row_per_rep_and_loss(study):
    rows = read_rows(study)
    assert list(rows[0]) == COLUMNS
    assert [(r["rep"], r["data_seed"], r["loss"]) for r in rows] == [
        (str(rep), str(2022 + rep), loss) for rep in range(4) for loss in ("bce", "mse")
    ]
    assert all(r["diverged_at"] == "0" for r in rows)


def test_statistics_match_numpy_on_the_csv(study):
    rows = read_rows(study)
    record = json.loads((study / "montecarlo.json").read_text())
    assert record["settings"]["reps"] == 4 and record["engine"] == "fused"
    for loss in ("bce", "mse"):
        stats = record["summary"][loss]
        assert (stats["fits"], stats["diverged"]) == (4, 0)
        for param, truth in (("w0", -1.0), ("w1", 5.0)):
            values = np.array([float(r[f"{param}_hat"]) for r in rows if r["loss"] == loss])
            s = stats[param]
            assert s["truth"] == truth
            assert s["mean"] == pytest.approx(values.mean())
            assert s["bias"] == pytest.approx(values.mean() - truth)
            assert s["sd"] == pytest.approx(values.std())
            assert s["rmse"] == pytest.approx(np.sqrt(np.mean((values - truth) ** 2)))


def test_rep_zero_is_the_lectures_own_fit(study, assert_ulps):
    from logitlab.config import TrainConfig
    from logitlab.engines import fit

    data = simulate(n=200, seed=2022)
    expected = fit(data.x, data.y, TrainConfig(loss="mse", epochs=300)).params
    row = next(r for r in read_rows(study) if r["rep"] == "0" and r["loss"] == "mse")
    assert_ulps([float(row["w0_hat"]), float(row["w1_hat"])], expected, precision=np.float32)


def without_provenance(path):
    """A results file's text, less the record of when and how long (which always differs)."""
    record = json.loads(path.read_text())
    assert record.pop("provenance")["seconds"] > 0
    return json.dumps(record)


def test_same_seed_same_bytes_other_seed_other_draws(study, tmp_path):
    again, other = tmp_path / "again", tmp_path / "other"
    assert main(["montecarlo", "--out", str(again), *SMALL]) == 0
    assert (again / "montecarlo.csv").read_bytes() == (study / "montecarlo.csv").read_bytes()
    assert without_provenance(again / "montecarlo.json") == without_provenance(
        study / "montecarlo.json"
    )
    assert main(["montecarlo", "--out", str(other), *SMALL, "--data-seed", "7"]) == 0
    assert read_rows(other)[0]["data_seed"] == "7"
    assert read_rows(other)[0]["w0_hat"] != read_rows(study)[0]["w0_hat"]


def test_rmse_splits_into_bias_and_sd():
    values = np.array([1.0, 2.0, 4.0])
    s = summarize(values, truth=1.5)
    assert s["rmse"] ** 2 == pytest.approx(s["bias"] ** 2 + s["sd"] ** 2)


BAD = [
    (["--reps", "0"], "reps must be an integer from 1 to 10**6"),
    (["--reps", "2.5"], "reps must be an integer from 1 to 10**6"),
    (["--reps", "many"], "reps must be an integer from 1 to 10**6"),
    (["--engine", "warp"], "engine must be one of auto, eager, fused"),
    (["--lr", "-1"], "lr must be a finite number > 0"),
    (["--loss", "hinge"], "loss must be bce, mse or both"),
    (["--data-seed", "-3"], "data seed must be an integer from 0 to 2**63 - 1"),
]


@pytest.mark.parametrize("args, words", BAD)
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, refused, args, words):
    assert words in refused(["montecarlo", "--out", str(tmp_path / "out"), *SMALL, *args])


def small_study(lr, reps=40, epochs=10_000):
    lecture = LectureConfig(data=DataConfig(n=300), training=TrainConfig(lr=lr, epochs=epochs))
    return run_montecarlo(MonteCarloConfig(lecture=lecture, reps=reps))


def test_findings_tell_unfinished_descent_from_the_estimator():
    unfinished = small_study(lr=0.05)
    mse = next(s for s in findings(unfinished) if "MSE fits" in s)
    assert mse.startswith("0 of 40 MSE fits converged") and "unfinished" in mse
    assert "efficient" not in mse  # no verdict on efficiency from fits that did not finish
    finished = small_study(lr=1.0)
    assert all(s.startswith("All 40") for s in findings(finished))
    summary = finished.summary()
    for loss in ("bce", "mse"):
        ratio = summary[loss]["w1"]["sd"] / summary[loss]["w1"]["mle_se"]
        sentence = next(s for s in findings(finished) if f"{loss.upper()} fits" in s)
        assert f"{ratio:.2f}× the MLE's standard error" in sentence


def test_one_rep_has_no_spread():
    study = small_study(lr=1.0, reps=1, epochs=200)
    assert np.isnan(study.summary()["bce"]["w0"]["sd"])
    assert all("undefined with one rep" in s for s in findings(study))


def test_the_mle_standard_error_is_the_spread_of_converged_bce_fits():
    study = small_study(lr=1.0, reps=200)
    w1 = study.summary()["bce"]["w1"]
    assert w1["sd"] == pytest.approx(w1["mle_se"], rel=0.15)  # 200 reps: sd known to ~5%


def test_repr_is_one_short_line_and_the_card_shows_the_statistics():
    study = small_study(lr=1.0, reps=3, epochs=100)
    summary = study.summary()
    line = repr(study)
    assert "\n" not in line and len(line) < 220 and "array" not in line
    for loss, s in summary.items():
        assert (
            f"{loss} {s['converged']}/{s['fits']} converged, bias [{s['w0']['bias']:.4g}, "
            f"{s['w1']['bias']:.4g}], sd [{s['w0']['sd']:.4g}, {s['w1']['sd']:.4g}]"
        ) in line
    assert f"MLE SE [{study.expected_se[0]:.4g}, {study.expected_se[1]:.4g}]" in line
    card = study._repr_html_()
    w1 = summary["mse"]["w1"]
    assert (f"<td>MSE</td><td>w1</td><td>{summary['mse']['fits']}</td>"
            f"<td>{summary['mse']['converged']}</td><td>{w1['truth']:.4f}</td>"
            f"<td>{w1['mean']:.4f}</td><td>{w1['bias']:.4f}</td><td>{w1['sd']:.4f}</td>"
            f"<td>{w1['rmse']:.4f}</td><td>{w1['mle_se']:.4f}</td>") in card  # fmt: skip
    assert all(sentence.replace("'", "&#39;") in card for sentence in findings(study))
