"""POST /api/plane, the 2-D view's API: its answer is the study's run of the same settings
(the points, the frames of the parameters, the accuracy, the MLE, the sentence), its choices
are in /api/config, and every bound or bad value is a one-line 4xx."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from logitlab.config import TrainConfig
from logitlab.data.simulated import PLANE_SHAPES, simulate_plane
from logitlab.stats.mle import fit as fit_mle
from logitlab.studies.playground import (
    FEATURE_LABELS,
    PLANE_FEATURES,
    PlaneSettings,
    plane_design,
    run_plane,
)
from logitlab.web.app import create_app
from logitlab.web.limits import Limits

LOCAL = "http://127.0.0.1"
#: Small enough that a test's request is quick, large enough to refuse work past a bound.
LIMITS = Limits(max_plane_n=500, max_epochs=5000, max_work=2_000_000, max_frames=100)
TRAIN = {"loss": "bce", "lr": 0.1, "epochs": 400}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(LIMITS), base_url=LOCAL) as c:
        yield c


def refused(response, status: int, *words: str) -> None:
    """A refusal as the contract says: the status, {"error": one line} naming words."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and "\n" not in body["error"], body
    for word in words:
        assert word in body["error"], body["error"]


def test_the_config_lists_the_2d_choices_and_defaults(client):
    body = client.get("/api/config").json()
    plane = body["plane"]
    assert list(plane["shapes"]) == list(PLANE_SHAPES)
    assert plane["features"] == FEATURE_LABELS and list(plane["features"]) == list(PLANE_FEATURES)
    assert plane["defaults"]["features"] == ["x1", "x2"]
    assert plane["defaults"]["train"]["loss"] == "bce"
    assert body["limits"]["max_plane_n"] == LIMITS.max_plane_n


def test_the_answer_is_the_studys_run_of_the_same_settings(client):
    request = {"data": {"shape": "xor", "n": 120, "seed": 4}, "features": ["x1x2", "x1", "x2"],
               "train": TRAIN | {"optimizer": "adam", "lr": 0.05}, "frames": 20}  # fmt: skip
    body = client.post("/api/plane", json=request).json()
    train = TrainConfig(lr=0.05, epochs=400, optimizer="adam")
    run = run_plane(PlaneSettings("xor", 120, 4, ("x1", "x2", "x1x2"), train, 21))
    assert body["features"] == ["x1", "x2", "x1x2"] and body["labels"] == ["x1", "x2", "x1·x2"]
    np.testing.assert_array_equal(body["fit"]["params"], run.fit.params)
    np.testing.assert_array_equal(body["fit"]["trajectory"]["params"], run.fit.history.params)
    trajectory = body["fit"]["trajectory"]
    assert trajectory["epoch"] == [*range(0, 400, 21), 400]
    assert len(trajectory["loss"]) == len(trajectory["accuracy"]) == len(trajectory["epoch"])
    assert body["accuracy"] == trajectory["accuracy"][-1] == run.accuracy[-1] > 0.9
    data = simulate_plane("xor", 120, 4)
    np.testing.assert_array_equal(body["points"]["x1"], data.x[:, 0].double().numpy())
    assert body["points"]["y"] == data.y[:, 0].int().tolist()
    assert body["sentence"] == run.sentence != ""
    assert f"{body['line_accuracy']:.0%} accuracy" in body["sentence"]


def test_the_mle_is_the_librarys_or_said_missing(client):
    request = {"data": {"shape": "noise", "n": 300}, "features": ["x1", "x2"], "train": TRAIN}
    body = client.post("/api/plane", json=request).json()
    data = simulate_plane("noise", 300)
    mle = fit_mle(data.x.double().numpy(), data.y[:, 0].double().numpy(), names=("x1", "x2"))
    np.testing.assert_allclose(body["mle"]["params"], mle.params, rtol=1e-12, atol=1e-12)
    assert body["mle_note"] == "" and body["sentence"] == "" and body["line_accuracy"] is None
    separated = {"data": {"shape": "circles", "n": 40}, "features": ["x1sq", "x2sq"],
                 "train": TRAIN}  # fmt: skip
    body = client.post("/api/plane", json=separated).json()
    assert body["mle"] is None and body["mle_note"].startswith("no MLE: complete separation")
    assert body["fit"]["separation"] in body["mle_note"]


def test_lam_adds_the_studys_l2_fit_and_zero_none(client):
    request = {"data": {"shape": "blobs", "n": 200, "seed": 2}, "train": TRAIN, "frames": 10}
    assert client.post("/api/plane", json=request).json()["l2"] is None
    body = client.post("/api/plane", json=request | {"lam": 0.05}).json()
    train = TrainConfig(lr=0.1, epochs=400)
    run = run_plane(PlaneSettings("blobs", 200, 2, ("x1", "x2"), train, 41, 0.05))
    assert body["l2"] == {"lam": 0.05, "params": run.l2.params.tolist(),
                          "accuracy": run.l2_accuracy, "objective": run.l2.objective,
                          "sentence": run.l2_sentence}  # fmt: skip
    np.testing.assert_array_equal(body["fit"]["params"], run.fit.params)  # not penalized
    assert body["l2"]["sentence"].startswith("λ = 0.05 shrinks the coefficients' size")


def test_the_design_the_page_redraws_is_the_fits(client):
    # the page computes p per pixel from the params with the same formulas: here per point
    request = {"data": {"shape": "circles", "n": 100}, "features": list(PLANE_FEATURES),
               "train": TRAIN | {"lr": 0.05}}  # fmt: skip
    body = client.post("/api/plane", json=request).json()
    x = np.column_stack((body["points"]["x1"], body["points"]["x2"]))
    logits = (
        body["fit"]["params"][0]
        + plane_design(x, tuple(PLANE_FEATURES)) @ body["fit"]["params"][1:]
    )
    y = np.array(body["points"]["y"])
    assert body["accuracy"] == np.mean((logits > 0) == (y == 1))


@pytest.mark.parametrize(
    ("request_body", "status", "words"),
    [({"data": {"n": 501}}, 400, ("n must be an integer from 4 to 500", "501")),
     ({"data": {"n": 3}}, 400, ("n must be an integer from 4",)),
     ({"data": {"seed": -1}}, 400, ("seed must be an integer from 0",)),
     ({"data": {"shape": "moons"}}, 422, ("data.shape", "'moons'")),
     ({"features": []}, 400, ("features must be distinct names", "at least one")),
     ({"features": ["x1", "x1"]}, 400, ("features must be distinct names",)),
     ({"features": ["x3"]}, 422, ("features.0", "'x3'")),
     ({"features": "x1"}, 422, ("features",)),
     ({"train": TRAIN | {"loss": "both"}}, 400, ("one loss", "'both'")),
     ({"train": TRAIN | {"epochs": 5001}}, 400, ("epochs must be an integer from 1 to 5000",)),
     ({"train": TRAIN | {"epochs": 4000}}, 400, ("max_work = 2,000,000", "fewer epochs")),
     ({"train": TRAIN | {"lr": 0}}, 400, ("lr",)),
     ({"train": TRAIN | {"lr": 100.0}}, 400, ("diverged", "smaller learning rate")),
     ({"train": TRAIN | {"batch_size": 1000}}, 400, ("batch size", "400")),
     ({"train": TRAIN | {"start": [0.0, 1.0, 2.0, 3.0]}}, 400, ("init must hold 3 numbers",)),
     ({"frames": 0}, 400, ("frames must be an integer from 1 to 100",)),
     ({"frames": 101}, 400, ("frames must be an integer from 1 to 100", "101")),
     ({"lam": -0.01}, 400, ("lam (the L2 penalty) must be from 0 to 1, got -0.01",)),
     ({"lam": 1.5}, 400, ("lam (the L2 penalty) must be from 0 to 1, got 1.5",)),
     ({"lam": "a lot"}, 422, ("lam", "'a lot'")),
     ({"colour": "red"}, 422, ("colour",))],
    ids=lambda v: None if isinstance(v, dict | tuple | int) else v,
)  # fmt: skip
def test_every_bad_value_is_a_one_line_4xx(client, request_body, status, words):
    refused(client.post("/api/plane", json=request_body), status, *words)
