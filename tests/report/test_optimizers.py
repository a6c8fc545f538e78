"""The optimizers study's files: names, the end-point tables against the run, strict JSON,
the films' frames, the page; and the lecture report's pointer to the study."""

import csv
import json
import re

import pytest
from markupsafe import escape
from PIL import Image

from logitlab.config import DataConfig, LectureConfig, TrainConfig
from logitlab.report.optimizers import write_optimizers
from logitlab.studies import optimizers as study
from logitlab.studies.optimizers import OptimizersConfig, conclusion, run_optimizers


@pytest.fixture(scope="module")
def small_run():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(study, "TIMING_REPEATS", 1)
        patch.setattr(study, "TIMING_WORK", 0.0)
        config = OptimizersConfig(data=DataConfig(n=300, seed=1), epochs=60,
                                  batch_sizes=(100,), frames=3, grid_size=9)  # fmt: skip
        return run_optimizers(config)


@pytest.fixture(scope="module")
def written(small_run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("optimizers")
    return folder, write_optimizers(small_run, folder, formats=("png", "svg"))


def test_every_file_is_written_and_listed(written):
    folder, names = written
    figures = {"trajectories", "loss_curves", "minibatches"}
    assert names == sorted(
        {f"{f}.{ext}" for f in figures for ext in ("png", "svg")}
        | {f"film-{o}.{ext}" for o in ("sgd", "adam") for ext in ("gif", "mp4")}
        | {"endpoints.csv", "minibatches.csv", "results.json", "report.html"}
    )
    assert sorted(p.name for p in folder.iterdir()) == names  # no scratch folder left


def test_endpoint_rows_are_the_runs_ends(written, small_run):
    folder, _ = written
    with (folder / "endpoints.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8
    for row in rows:
        start = (float(row["start_w0"]), float(row["start_w1"]))
        descent = small_run.descent(start, row["optimizer"], row["loss"])
        assert float(row["w0"]) == descent.result.w0 and float(row["w1"]) == descent.result.w1
        gap = abs(descent.result.params - small_run.mle.params) / small_run.mle.se
        assert float(row["distance_to_mle_se"]) == pytest.approx(gap.max())
        assert row["outcome"] in {"arrived", "stalled", "on its way"}
    with (folder / "minibatches.csv").open(newline="") as handle:
        batches = list(csv.DictReader(handle))
    assert [(r["loss"], r["batch_size"]) for r in batches] == [
        ("bce", "full"), ("bce", "100"), ("mse", "full"), ("mse", "100"),
    ]  # fmt: skip
    assert {r["optimizer"] for r in batches} == {"adam"}


def test_results_json_is_strict_and_holds_the_conclusion(written, small_run):
    folder, _ = written
    text = (folder / "results.json").read_text()
    assert "NaN" not in text and "Infinity" not in text
    results = json.loads(text)
    assert results["conclusion"] == conclusion(small_run)
    assert results["settings"]["data"]["seed"] == 1
    assert results["mle"]["w0"] == pytest.approx(small_run.mle.params[0])
    assert len(results["descents"]) == 8 and len(results["minibatches"]["rows"]) == 4


def test_films_hold_the_frames_asked_for(written):
    folder, _ = written
    for optimizer in ("sgd", "adam"):
        with Image.open(folder / f"film-{optimizer}.gif") as gif:
            assert gif.n_frames == 3


def test_page_has_the_answer_first_and_the_table(written, small_run):
    folder, _ = written
    page = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "",
                  (folder / "report.html").read_text())  # fmt: skip
    headings = re.findall(r'<h2 id="[^"]+">([^<]+)</h2>', page)
    assert headings[0] == "1. The answer" and len(headings) == 6
    first = escape(conclusion(small_run)[0])
    assert first in page
    for descent in small_run.descents:
        assert f"<td>{descent.result.w0:.4f}</td><td>{descent.result.w1:.4f}</td>" in page
    assert page.count("<img") == 3 and 'href="film-adam.gif"' in page


def test_lecture_report_points_to_the_study_without_running_it(tmp_path):
    from logitlab.report.lecture import write_lecture
    from logitlab.studies.lecture import run_lecture

    config = LectureConfig(data=DataConfig(n=200), training=TrainConfig(epochs=30))
    names = write_lecture(run_lecture(config), tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert "<h3>Next: does a better optimizer rescue MSE?</h3>" in page
    assert "<pre>logitlab optimizers --out logitlab-optimizers</pre>" in page
    assert "(-3, -1) and (-10, -1)" in page and "seed 1" in page
    assert len(names) == 13 and not any("film" in name or "endpoints" in name for name in names)
