"""The lecture run carries the MLE and the why-not-MSE section into results and report."""

import numpy as np
import pytest

from logitlab.config import DataConfig, LectureConfig, TrainConfig
from logitlab.errors import SeparationWarning
from logitlab.records import to_record
from logitlab.report.lecture import parameter_rows
from logitlab.report.why import why_section
from logitlab.stats import mle
from logitlab.studies.lecture import run_lecture


@pytest.fixture(scope="module")
def small_run():
    return run_lecture(LectureConfig(data=DataConfig(n=300), training=TrainConfig(epochs=300)))


def test_results_gain_the_mle_block(small_run):
    results = to_record(small_run)
    reference = mle.fit(small_run.data.x, small_run.data.y)
    assert {"w0", "w1", "se_w0", "se_w1", "loglik", "converged"} <= set(results["mle"])
    assert results["mle"]["coef"] == {"Intercept": results["mle"]["w0"], "x": results["mle"]["w1"]}
    assert [results["mle"]["w0"], results["mle"]["w1"]] == pytest.approx(reference.params)
    assert [results["mle"]["se_w0"], results["mle"]["se_w1"]] == pytest.approx(reference.se)
    assert results["mle"]["loglik"] == pytest.approx(reference.loglik)


def test_parameter_table_puts_the_mle_beside_the_fits(small_run):
    rows = {row[0]: row[1:] for row in parameter_rows(to_record(small_run))}
    assert {"BCE fit", "MSE fit", "MLE (Newton-Raphson)"} <= set(rows)
    assert rows["MLE (Newton-Raphson)"] == pytest.approx(small_run.why.mle.params)


def test_why_section_has_numbers_and_figures(small_run):
    section = why_section(small_run.why)
    assert "<h2" not in section  # subsections of the report's one "BCE or MSE?" section
    assert section.count("<h3>") == 3
    assert section.count("<img") == 4
    assert f"{small_run.why.mle.params[1]:.4f}" in section
    assert "epochs to within 0.001 of the MLE" in section


def test_the_lecture_reuses_its_own_fits(small_run):
    for loss, fitted in small_run.fits.items():
        assert small_run.why.lecture.fits[loss] is fitted


def test_separable_data_leave_the_mle_out_and_say_why():
    with pytest.warns(SeparationWarning, match="complete separation"):
        run = run_lecture(
            LectureConfig(data=DataConfig(n=20, w1=1e4), training=TrainConfig(epochs=20))
        )
    assert run.why is None and "does not exist" in run.why_missing
    assert to_record(run)["mle"] is None
    assert "MLE (Newton-Raphson)" not in {row[0] for row in parameter_rows(to_record(run))}
    assert "does not exist" in why_section(run.why, run.why_missing)
    assert np.isfinite(run.fits["bce"].w1)


def test_loss_floors_lie_under_every_epoch_and_the_mle_curve_is_drawn(small_run):
    from logitlab.report.lecture import loss_floors, mle_curve

    floors = loss_floors(small_run)
    assert set(floors) == {"bce", "mse"}
    for loss, fitted in small_run.fits.items():
        assert floors[loss] <= fitted.history.loss.min() + 1e-7
    bce_min = -small_run.why.mle.loglik / small_run.data.n
    assert floors["bce"] == pytest.approx(bce_min)
    assert mle_curve(small_run).shape == (small_run.data.n,)


def test_a_run_shows_one_line_and_a_card_of_its_fits(small_run):
    text = repr(small_run)
    assert "\n" not in text and len(text) < 200
    assert text.startswith("LectureRun(300 points, truth [-1, 5], bce: [")
    bce = small_run.fits["bce"]
    assert f"bce: [{bce.intercept:.4g}, {bce.w1:.4g}] {bce.convergence.verdict}" in text
    card = small_run._repr_html_()
    assert "<th>Intercept</th><th>x</th>" in card and "<td>gradient descent on MSE</td>" in card
    assert f"<td>{small_run.why.mle.params[1]:.4f}</td>" in card
    assert "converged in" in card  # the MLE's Newton iterations
