"""The playground's API against the library: every endpoint's numbers equal logitlab's own
fit, MLE and landscape of the same settings; every bound and bad input is a one-line 4xx."""

from __future__ import annotations

import json
import re
import tempfile
import threading
import time

import numpy as np
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient
from matplotlib.colors import to_hex

import logitlab
from logitlab.config import TrainConfig
from logitlab.data import simulate
from logitlab.data.datasets import DATASETS, load_dataset
from logitlab.errors import ConfigError
from logitlab.model import initial_params
from logitlab.stats.landscape import evaluate
from logitlab.stats.mle import fit as fit_mle
from logitlab.viz.style import LOSS_COLORS, page_colors
from logitlab.web import app as web_app
from logitlab.web import runs as web_runs
from logitlab.web.app import create_app
from logitlab.web.limits import Busy, Limits, Occupied
from logitlab.web.worker import Worker

#: The server's own address: TestClient's default host (testserver) is not one it answers.
LOCAL = "http://127.0.0.1"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), base_url=LOCAL) as c:
        yield c


def refused(response, status: int, *words: str) -> str:
    """A refusal as the contract says: the status, JSON {"error": one line} naming words."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and "\n" not in body["error"], body
    for word in words:
        assert word in body["error"], body["error"]
    return body["error"]


def test_config_gives_the_lecture_defaults_and_the_bounds(client):
    body = client.get("/api/config").json()
    data, train = body["defaults"]["data"], body["defaults"]["train"]
    lecture = logitlab.DataConfig()
    assert (data["n"], data["w0"], data["w1"], data["seed"]) == (
        lecture.n, lecture.w0, lecture.w1, lecture.seed)  # fmt: skip
    assert (train["lr"], train["epochs"], train["optimizer"], train["loss"]) == (
        TrainConfig().lr, TrainConfig().epochs, TrainConfig().optimizer, "both")  # fmt: skip
    (lo0, hi0), (lo1, hi1) = body["defaults"]["w0"], body["defaults"]["w1"]
    for w0, w1 in (lecture.truth, initial_params(43052, 1)):
        assert lo0 < w0 < hi0 and lo1 < w1 < hi1
    assert body["limits"]["max_n"] == Limits().max_n
    assert body["limits"]["max_runs"] == Limits().max_runs
    assert [d["name"] for d in body["datasets"]] == list(DATASETS)
    for listed in body["datasets"]:
        frame = load_dataset(listed["name"]).frame
        assert listed["feature"] in listed["features"]
        assert listed["target"] not in listed["features"]
        assert all(frame[f].nunique() > 1 for f in listed["features"])
    assert body["optimizers"] == ["sgd", "momentum", "adam"]
    assert body["losses"] == ["bce", "mse", "both"]


def test_data_simulated_is_the_lectures_draw_with_its_mle(client, lecture_data):
    body = client.post("/api/data", json={"source": "simulate"}).json()
    np.testing.assert_array_equal(body["x"], lecture_data.x[:, 0].numpy())
    np.testing.assert_array_equal(body["y"], lecture_data.y[:, 0].numpy())
    assert body["truth"] == {"w0": -1.0, "w1": 5.0} and body["n"] == 2000
    mle = fit_mle(lecture_data.x.double(), lecture_data.y.double())
    np.testing.assert_allclose([body["mle"]["w0"], body["mle"]["w1"]], mle.params, rtol=1e-9)
    np.testing.assert_allclose([body["mle"]["se_w0"], body["mle"]["se_w1"]], mle.se, rtol=1e-9)
    assert body["xrange"] == [-1.0, 1.0] and body["mle_note"] == ""


def test_data_shipped_one_feature_mle_equals_statsmodels(client):
    sm = pytest.importorskip("statsmodels.api")
    body = client.post("/api/data", json={"source": "dataset", "name": "spector"}).json()
    frame = load_dataset("spector").frame
    assert body["feature"] == "GPA" and body["target"] == "GRADE" and body["truth"] is None
    np.testing.assert_array_equal(body["y"], frame["GRADE"])
    reference = sm.Logit(frame["GRADE"], sm.add_constant(frame["GPA"].astype(np.float32))).fit(
        disp=0
    )
    np.testing.assert_allclose([body["mle"]["w0"], body["mle"]["w1"]], reference.params,
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose([body["mle"]["se_w0"], body["mle"]["se_w1"]], reference.bse,
                               rtol=1e-5)  # fmt: skip


def test_separated_data_have_no_mle_and_say_why(client):
    spec = {"source": "inline", "x": [0, 1, 2, 3], "y": [0, 0, 1, 1]}
    body = client.post("/api/data", json=spec).json()
    assert body["mle"] is None and "separat" in body["mle_note"]
    fit = client.post("/api/fit", json={"data": spec, "train": {"epochs": 50}}).json()
    assert fit["mle"] is None and fit["fits"]["bce"]["distance"] is None
    assert fit["fits"]["bce"]["separation"]


FITS = [
    {},
    {"optimizer": "adam", "lr": 0.01, "batch_size": 256, "start": [-3.0, -1.0]},
    {"optimizer": "momentum", "nesterov": True, "momentum": 0.8, "batch_size": 700,
     "shuffle_seed": 5},
]  # fmt: skip


@pytest.mark.parametrize("settings", FITS)
def test_fit_equals_the_librarys_fused_fit(client, lecture_data, settings):
    epochs, frames = 3000, 40
    request = {"train": {"epochs": epochs, **settings}, "frames": frames}
    body = client.post("/api/fit", json=request).json()
    mle = body["mle"]
    for loss in ("bce", "mse"):
        cfg = TrainConfig(loss=loss, epochs=epochs, engine="fused",
                          init=settings.get("start"),
                          **{k: v for k, v in settings.items() if k != "start"})  # fmt: skip
        reference = logitlab.fit(lecture_data.x, lecture_data.y, cfg)
        out = body["fits"][loss]
        np.testing.assert_allclose([out["w0"], out["w1"]], reference.params, rtol=0, atol=1e-6)
        assert out["final_loss"] == pytest.approx(reference.final_loss, abs=1e-6)
        assert out["loss"] == loss and out["epochs"] == epochs
        path = out["trajectory"]
        assert len(path["epoch"]) <= frames + 1
        assert path["epoch"][0] == 0 and path["epoch"][-1] == epochs
        assert path["epoch"] == sorted(set(path["epoch"]))
        k = path["epoch"][len(path["epoch"]) // 2]  # a point inside: the library's history
        np.testing.assert_allclose([path["w0"][len(path["epoch"]) // 2],
                                    path["w1"][len(path["epoch"]) // 2]],
                                   reference.history.params[k], atol=1e-6)  # fmt: skip
        start = settings.get("start") or initial_params(43052, 1)
        np.testing.assert_allclose([path["w0"][0], path["w1"][0]], start, atol=1e-6)
        gap = np.array([out["w0"] - mle["w0"], out["w1"] - mle["w1"]])
        assert out["distance"]["euclid"] == pytest.approx(np.hypot(*gap))
        se = np.abs(gap) / [mle["se_w0"], mle["se_w1"]]
        assert out["distance"]["se"] == pytest.approx(se.max())
    assert body["seconds"] > 0


def test_fit_of_one_loss_on_a_shipped_set(client):
    frame = load_dataset("spector").frame
    request = {"data": {"source": "dataset", "name": "spector", "feature": "TUCE"},
               "train": {"loss": "bce", "lr": 0.01, "epochs": 500}}  # fmt: skip
    body = client.post("/api/fit", json=request).json()
    assert list(body["fits"]) == ["bce"]
    reference = logitlab.fit(frame[["TUCE"]].to_numpy(), frame["GRADE"].to_numpy(),
                             TrainConfig(lr=0.01, epochs=500, engine="fused"))  # fmt: skip
    np.testing.assert_allclose([body["fits"]["bce"]["w0"], body["fits"]["bce"]["w1"]],
                               reference.params, atol=1e-6)  # fmt: skip


def test_landscape_values_and_rings(client, lecture_data):
    request = {"grid": 21, "w0": [-4.0, 2.0], "w1": [0.0, 10.0]}
    body = client.post("/api/landscape", json=request).json()
    w0, w1 = np.array(body["w0"]), np.array(body["w1"])
    np.testing.assert_allclose(w0, np.linspace(-4, 2, 21))
    np.testing.assert_allclose(w1, np.linspace(0, 10, 21))
    x, y = lecture_data.x.numpy(), lecture_data.y.numpy()
    for loss in ("bce", "mse"):
        values = np.array(body[loss])
        for i, j in ((0, 0), (3, 17), (20, 5), (10, 10)):  # row i is w1[i], column j is w0[j]
            expected = evaluate(loss, [w0[j], w1[i]], x, y, hessian=False).loss[0]
            assert values[i, j] == pytest.approx(expected, rel=1e-12)
        rings = body["contours"][loss]
        assert len(rings) >= 5
        levels = [ring["level"] for ring in rings]
        assert levels == sorted(levels) and values.min() < levels[0] < levels[-1] < values.max()
        for ring in rings[::3]:
            points = np.concatenate([np.array(p) for p in ring["paths"]])
            on_ring = evaluate(loss, points, x, y, hessian=False).loss
            # linear interpolation between grid points of a smooth surface: within a few %
            np.testing.assert_allclose(on_ring, ring["level"], rtol=0.08)


def test_diagram_is_the_lectures_svg(client):
    detailed = client.get("/api/diagram.svg", params={"kind": "detailed"})
    compact = client.get("/api/diagram.svg", params={"kind": "compact"})
    assert detailed.headers["content-type"].startswith("image/svg+xml")
    assert detailed.text.lstrip().startswith("<?xml") and "<svg" in detailed.text
    assert "Sigmoid" in detailed.text and "b = w0" in detailed.text
    assert "b = w0" not in compact.text and "<svg" in compact.text
    refused(client.get("/api/diagram.svg", params={"kind": "pie"}), 422, "kind")


def _events(client, url: str, on_progress=None) -> list[tuple[str, dict]]:
    """The (event, data) pairs of a run's stream, to its end."""
    events, name = [], None
    with client.stream("GET", url) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
                if name == "progress" and on_progress is not None:
                    on_progress(events[-1][1])
    return events


def test_a_run_streams_progress_then_the_fits_answer(client, monkeypatch):
    monkeypatch.setattr(web_app, "PROGRESS_SECONDS", 0.0)
    request = {"data": {"source": "simulate", "n": 20_000}, "train": {"epochs": 20_000},
               "frames": 50}  # fmt: skip
    started = client.post("/api/runs", json=request)
    assert started.status_code == 202
    events = _events(client, started.json()["events"])
    names = [name for name, _ in events]
    assert names[-1] == "done" and set(names[:-1]) == {"progress"} and len(names) >= 2
    epochs = [data["epoch"] for _, data in events[:-1]]
    assert epochs == sorted(epochs) and 0 < epochs[0] <= 20_000
    assert set(events[0][1]["params"]) == {"bce", "mse"} and events[0][1]["epochs"] == 20_000
    data, done = simulate(n=20_000), events[-1][1]
    for loss in ("bce", "mse"):
        reference = logitlab.fit(data.x, data.y, TrainConfig(loss=loss, epochs=20_000,
                                                             engine="fused"))  # fmt: skip
        out = done["fits"][loss]
        np.testing.assert_allclose([out["w0"], out["w1"]], reference.params, rtol=0, atol=1e-6)
        assert len(out["trajectory"]["epoch"]) <= 51 and out["trajectory"]["epoch"][-1] == 20_000


LONG_RUN = {"data": {"source": "simulate", "n": 100_000}, "train": {"epochs": 50_000}}


def test_delete_stops_a_long_run_at_once(client, monkeypatch):
    monkeypatch.setattr(web_app, "PROGRESS_SECONDS", 0.0)
    run = client.post("/api/runs", json=LONG_RUN).json()
    asked = {}

    def cancel_on_first(progress):
        if not asked:
            asked["at"] = time.monotonic()
            assert client.delete(f"/api/runs/{run['id']}").json() == {"cancelled": True}

    events = _events(client, run["events"], cancel_on_first)
    assert events[-1][0] == "cancelled" and events[-1][1]["epoch"] < 50_000
    assert time.monotonic() - asked["at"] < 1.0  # ~0.2 s; slack for a shared machine
    assert client.delete(f"/api/runs/{run['id']}").json() == {"cancelled": False}


def test_closing_the_event_stream_cancels_the_run(client):
    run = client.post("/api/runs", json=LONG_RUN).json()
    with client.stream("GET", run["events"]) as stream:
        next(stream.iter_lines())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        names = [name for name, _ in _events(client, run["events"])]
        if names[-1] == "cancelled":
            break
    assert names[-1] == "cancelled"


def test_unknown_runs_and_routes_are_404(client):
    refused(client.get("/api/runs/nope/events"), 404, "nope")
    refused(client.delete("/api/runs/nope"), 404, "nope")
    refused(client.get("/api/nothing"), 404)


def test_a_diverging_fit_is_a_400_saying_so(client):
    refused(client.post("/api/fit", json={"train": {"lr": 1e4, "epochs": 100}}), 400,
            "diverged", "smaller learning rate")  # fmt: skip


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"data": {"source": "simulate", "n": 0}}, ("n must be", "2 to")),
        ({"train": {"lr": -1}}, ("lr must be",)),
        ({"train": {"batch_size": 5000}}, ("batch size", "2000")),
        ({"train": {"start": [500.0, 0.0]}}, ("init",)),
        ({"train": {"start": [1.0]}}, ("init",)),
        ({"train": {"betas": [0.9, 1.0]}}, ("beta2",)),
        ({"data": {"source": "dataset", "name": "iris"}}, ("data set must be one of",)),
        ({"data": {"source": "dataset", "name": "spector", "feature": "GRADE"}}, ("feature",)),
        ({"data": {"source": "inline", "x": [1, 2, 3], "y": [0, 1, 2]}}, ("0 and 1",)),
        ({"data": {"source": "inline", "x": [1, 2], "y": [0]}}, ("label",)),
    ],
)
def test_bad_values_are_400_in_the_librarys_words(client, body, words):
    refused(client.post("/api/fit", json=body), 400, *words)


@pytest.mark.parametrize(
    "body",
    [
        {"train": {"loss": "mae"}},
        {"train": {"epochs": "many"}},
        {"data": {"source": "telepathy"}},
        {"frames": [1]},
        {"surprise": 1},
    ],
)
def test_malformed_requests_are_one_line_422(client, body):
    refused(client.post("/api/fit", json=body), 422)


def test_invalid_json_is_one_line_422(client):
    response = client.post("/api/fit", content=b'{"train": ', headers={"content-type":
                           "application/json"})  # fmt: skip
    refused(response, 422, "JSON")


# --- uploads -------------------------------------------------------------------------------


def upload(client, content: bytes, name: str = "data.csv"):
    return client.post("/api/upload", files={"file": (name, content, "text/csv")})


def test_upload_of_x_and_y_columns(client):
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    y = (rng.random(300) < 1 / (1 + np.exp(-(0.5 + 2 * x)))).astype(int)
    text = "y,other,x\n" + "".join(f"{b},7,{float(a)!r}\n" for a, b in zip(x, y, strict=True))
    body = upload(client, text.encode()).json()
    np.testing.assert_array_equal(body["x"], x.astype(np.float32))
    np.testing.assert_array_equal(body["y"], y)
    assert body["data"] == {"source": "inline", "x": body["x"], "y": body["y"],
                            "feature": "x", "target": "y"}  # fmt: skip
    mle = fit_mle(x.astype(np.float32).astype(float), y)
    np.testing.assert_allclose([body["mle"]["w0"], body["mle"]["w1"]], mle.params, rtol=1e-9)
    fit = client.post("/api/fit", json={"data": body["data"], "train": {"epochs": 200}}).json()
    reference = logitlab.fit(x.astype(np.float32), y, TrainConfig(epochs=200, engine="fused"))
    np.testing.assert_allclose([fit["fits"]["bce"]["w0"], fit["fits"]["bce"]["w1"]],
                               reference.params, atol=1e-6)  # fmt: skip


def test_upload_of_two_named_columns_codes_the_larger_label_as_1(client):
    text = "dose,outcome\n1,no\n2,yes\n3,no\n4,yes\n5,yes\n"
    body = upload(client, text.encode()).json()
    assert body["feature"] == "dose" and body["target"] == "outcome"
    assert body["y"] == [0, 1, 0, 1, 1] and body["x"] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"x,y\n1,0\n2,1\n3,2\n", ("two values", "3")),
        (b"x\n1\n2\n", ("columns x and y", "got 1")),
        (b"a,b,c\n1,0,1\n", ("columns x and y", "got 3")),
        (b"\x00\x01\x02\xff\xfe binary", ("CSV",)),
        (b"", ("empty",)),
        (b"x,y\nred,0\nblue,1\n", ("numbers",)),
        (b"x,y\n1,0\n", ("at least 2",)),
    ],
)
def test_bad_uploads_are_400_saying_why(client, content, words):
    refused(upload(client, content), 400, *words)


def test_an_upload_is_checked_as_the_inline_points_it_becomes(client):
    huge = upload(client, b"x,y\n1e39,0\n2,1\n3,0\n")
    inline = client.post("/api/data", json={"source": "inline", "x": [1e39, 2, 3], "y": [0, 1, 0]})
    assert refused(huge, 400, "float32") == refused(inline, 400, "float32")


def test_an_upload_with_two_columns_of_one_name_is_refused(client):
    refused(upload(client, b"x,x\n1,0\n2,1\n3,0\n"), 400, "more than one column named 'x'")
    refused(upload(client, b"a,y,a\n1,0,1\n2,1,2\n"), 400, "more than one column named 'a'")


@pytest.mark.parametrize(
    "content",
    [
        b'"a\nb",y\nred,0\nblue,1\n',  # a text feature
        b'"a\nb","c\nd","e\r\nf"\n1,0,1\n',  # three columns
        b'"a\nb","c\nd"\n1,0\n2,1\n3,2\n',  # three labels
        b'"x\n",y\n1,0\n1,1\n',  # a constant x
    ],
)
def test_a_header_cell_with_a_newline_keeps_the_refusal_on_one_line(client, content):
    refused(upload(client, content), 400)


def test_no_request_text_reaches_the_formula_parser(client, monkeypatch, tmp_path):
    import formulaic

    parsed, real = [], formulaic.Formula

    def spy(*args, **kwargs):
        parsed.append(str(args[0]) if args else str(kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(formulaic, "Formula", spy)
    touch = f"__import__('pathlib').Path({str(tmp_path / 'PWNED')!r}).touch()"
    for name in (f"{{{touch}}}", f"I({touch})", f"`{{{touch}}}`", "x + {1}"):
        quoted = '"' + name.replace('"', '""') + '"'
        for header in (f"{quoted},y", f"x,{quoted}", f"{quoted},label"):
            upload(client, f"{header}\n1,0\n2,1\n3,0\n4,1\n".encode())
        inline = {"source": "inline", "x": [1, 2, 3, 4], "y": [0, 1, 0, 1], "feature": name,
                  "target": name}  # fmt: skip
        client.post("/api/fit", json={"data": inline, "train": {"epochs": 5}})
        client.post("/api/data", json={"source": "dataset", "name": "spector", "feature": name})
    assert not (tmp_path / "PWNED").exists()
    assert parsed and all(text == "y ~ x" for text in parsed), parsed


def test_an_upload_that_is_not_a_form_is_400(client):
    refused(client.post("/api/upload", content=b"x,y\n1,0\n", headers={"content-type":
            "text/csv"}), 400, "multipart")  # fmt: skip
    refused(client.post("/api/upload", files={"other": ("a.csv", b"x,y\n")}), 400, "'file'")


# --- bounds --------------------------------------------------------------------------------

SMALL = Limits(max_n=5000, max_epochs=4000, max_work=10**7, max_run_work=2 * 10**7, max_grid=31,
               max_landscape_work=10**6, max_frames=200, max_upload_bytes=2000,
               max_body_bytes=50_000, max_runs=1)  # fmt: skip


@pytest.fixture(scope="module")
def small():
    with TestClient(create_app(SMALL), base_url=LOCAL) as c:
        yield c


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/api/data", {"source": "simulate", "n": 5001}, ("n must be", "5000")),
        ("/api/fit", {"train": {"epochs": 4001}}, ("epochs", "4000")),
        ("/api/fit", {"train": {"epochs": 3000}}, ("max_work", "/api/runs")),
        ("/api/fit", {"train": {"epochs": 100, "batch_size": 1}},
         ("max_work", "batch size 1", "/api/runs")),
        ("/api/runs", {"train": {"epochs": 1000, "batch_size": 4}},
         ("max_run_work", "batch size 4")),
        ("/api/runs", {"data": {"source": "simulate", "n": 5000}, "train": {"epochs": 4000}},
         ("max_run_work",)),
        ("/api/fit", {"frames": 201, "train": {"epochs": 9}}, ("frames", "200")),
        ("/api/landscape", {"grid": 32}, ("grid", "31")),
        ("/api/landscape", {"grid": 31}, ("max_landscape_work",)),
        ("/api/landscape", {"grid": 5, "w0": [2, 1]}, ("w0", "lo < hi")),
        ("/api/landscape", {"grid": 5, "w1": [0, 1e9]}, ("w1", "1,000")),
    ],
)  # fmt: skip
def test_every_bound_is_a_400_naming_it(small, path, body, words):
    refused(small.post(path, json=body), 400, *words)


def test_a_large_body_is_413_before_it_is_read(small):
    inline = {"data": {"source": "inline", "x": [0.5] * 20_000, "y": [1] * 20_000}}
    refused(small.post("/api/fit", json=inline), 413, "limit is 50 kB")
    refused(upload(small, b"x,y\n" + b"1,0\n" * 5000), 413, "upload is", "limit is 2.0 kB")

    def chunks():  # no Content-Length: refused as it grows past the bound
        for _ in range(100):
            yield b" " * 1000

    refused(small.post("/api/fit", content=chunks(), headers={"content-type":
            "application/json"}), 413, "limit of 50 kB")  # fmt: skip


def test_a_file_just_over_the_upload_bound_is_413(small):
    refused(upload(small, b"x,y\n" + b"1,0\n" * 600), 413, "2.4 kB", "limit is 2.0 kB")


def test_runs_past_max_runs_are_429():
    with TestClient(create_app(Limits(max_runs=1)), base_url=LOCAL) as c:
        run = c.post("/api/runs", json=LONG_RUN).json()
        try:
            refused(c.post("/api/runs", json={"train": {"epochs": 10}}), 429, "max_runs")
        finally:
            c.delete(f"/api/runs/{run['id']}")
        assert [name for name, _ in _events(c, run["events"])][-1] == "cancelled"
        assert c.post("/api/runs", json={"train": {"epochs": 10}}).status_code == 202


def test_requests_in_flight_past_the_bound_are_429_but_cheap_gets_get_through():
    limits = Limits(max_inflight=1)
    with TestClient(create_app(limits), base_url=LOCAL) as c:
        run = c.post("/api/runs", json=LONG_RUN).json()
        with c.stream("GET", run["events"]) as stream:
            next(stream.iter_lines())  # the stream holds the one request allowed
            refused(c.post("/api/data", json={"source": "simulate"}), 429, "max_inflight")
            assert c.get("/api/config").status_code == 200
            assert c.get("/static/app.js").status_code == 200
        c.delete(f"/api/runs/{run['id']}")
        assert c.post("/api/data", json={"source": "simulate"}).status_code == 200


def test_mini_batches_count_their_steps_in_the_work():
    limits = Limits()
    full = limits.fit_work(2000, 100, None, 2)
    assert full == 2000 * 100 * 2
    assert limits.fit_work(2000, 100, 2000, 2) > full  # shuffled: dearer than the full batch
    one, two = limits.fit_work(2000, 100, 1, 2), limits.fit_work(2000, 100, 2, 2)
    assert one - two == 1000 * 100 * 2 * limits.step_work  # the steps saved by batches of 2
    # the runs once accepted: an /api/fit of 100 s of steps, a run of 38 minutes
    plans = [(2000, 10_000, 1, limits.max_work), (100_000, 10_000, 1, limits.max_run_work)]
    for n, epochs, batch, bound in plans:
        assert n * epochs * 2 <= bound < limits.fit_work(n, epochs, batch, 2)


def test_a_run_nobody_follows_is_cancelled(monkeypatch):
    monkeypatch.setattr(web_runs, "UNFOLLOWED_SECONDS", 0.5)
    with TestClient(create_app(), base_url=LOCAL) as c:
        run = c.post("/api/runs", json=LONG_RUN).json()
        state = c.app.state.runs.get(run["id"])
        deadline = time.monotonic() + 10
        while state.in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        assert state.state == "cancelled" and state.epoch < LONG_RUN["train"]["epochs"]
        assert [name for name, _ in _events(c, run["events"])] == ["cancelled"]
        followed = c.post("/api/runs", json={"train": {"epochs": 100}}).json()
        assert [name for name, _ in _events(c, followed["events"])][-1] == "done"


def test_the_worker_queue_is_bounded():
    worker = Worker(max_queue=2)
    gate = threading.Event()
    first = worker.submit(gate.wait)
    deadline = time.monotonic() + 5
    while not first.running() and time.monotonic() < deadline:
        time.sleep(0.01)
    queued = [worker.submit(lambda: 1), worker.submit(lambda: 2, long=True)]
    with pytest.raises(Busy, match="max_queue"):
        worker.submit(lambda: 3)
    gate.set()
    assert [f.result(timeout=5) for f in queued] == [1, 2]
    worker.close()


def test_a_run_lets_short_jobs_through_between_its_blocks():
    worker = Worker(max_queue=8)
    order, started, short = [], threading.Event(), []

    def long_job():
        order.append("long starts")
        started.set()
        while not (short and short[0].done()):
            time.sleep(0.01)
            worker.yield_to_short()
        order.append("long ends")

    running = worker.submit(long_job, long=True)
    assert started.wait(5)
    short.append(worker.submit(lambda: order.append("short")))
    running.result(timeout=5)
    assert order == ["long starts", "short", "long ends"]
    with pytest.raises(RuntimeError):
        worker.yield_to_short()
    worker.close()


def test_short_jobs_run_on_one_numba_thread_and_runs_on_every_core():
    from numba import config, get_num_threads

    worker = Worker(max_queue=4)
    seen = []

    def long_job():
        seen.append(("long", get_num_threads()))
        worker.submit(lambda: seen.append(("short inside", get_num_threads())))
        worker.yield_to_short()
        seen.append(("long again", get_num_threads()))

    assert worker.submit(get_num_threads).result(timeout=5) == 1
    worker.submit(long_job, long=True).result(timeout=5)
    every = config.NUMBA_NUM_THREADS
    assert seen == [("long", every), ("short inside", 1), ("long again", every)]
    worker.close()


def test_a_job_asked_if_idle_is_refused_while_one_runs_or_waits():
    worker = Worker(max_queue=4)
    gate = threading.Event()
    assert worker.idle and worker.submit(lambda: 1, if_idle=True).result(timeout=5) == 1
    first = worker.submit(gate.wait)
    deadline = time.monotonic() + 5
    while not first.running() and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(Occupied, match="busy"):  # one running
        worker.submit(lambda: 2, if_idle=True)
    waiting = worker.submit(lambda: 3)
    with pytest.raises(Occupied, match="busy"):  # one running, one waiting
        worker.submit(lambda: 4, if_idle=True)
    assert not worker.idle
    gate.set()
    assert waiting.result(timeout=5) == 3
    deadline = time.monotonic() + 5
    while not worker.idle and time.monotonic() < deadline:
        time.sleep(0.01)
    assert worker.submit(lambda: 5, if_idle=True).result(timeout=5) == 5
    worker.close()


def test_a_fit_asked_if_idle_is_refused_at_once_during_a_run_and_served_after(lecture_data):
    request = {"train": {"epochs": 2000}, "frames": 20, "if_idle": True}
    with TestClient(create_app(), base_url=LOCAL) as c:
        run = c.post("/api/runs", json=LONG_RUN).json()
        state = c.app.state.runs.get(run["id"])
        deadline = time.monotonic() + 10
        while state.epoch == 0 and time.monotonic() < deadline:  # the run is computing
            time.sleep(0.01)
        began = time.monotonic()
        answer = c.post("/api/fit", json=request)
        waited = time.monotonic() - began
        refused(answer, 503, "busy", "if_idle")
        assert state.in_flight and waited < 0.2  # ~5 ms; slack for a shared machine
        assert c.delete(f"/api/runs/{run['id']}").json() == {"cancelled": True}
        deadline = time.monotonic() + 10
        while not c.app.state.worker.idle and time.monotonic() < deadline:
            time.sleep(0.01)
        served = c.post("/api/fit", json=request)
        refused(c.post("/api/runs", json=request), 422, "if_idle")  # a run is never if_idle
    assert served.status_code == 200, served.text
    for loss in ("bce", "mse"):
        reference = logitlab.fit(lecture_data.x, lecture_data.y,
                                 TrainConfig(loss=loss, epochs=2000, engine="fused"))  # fmt: skip
        fit = served.json()["fits"][loss]
        np.testing.assert_allclose([fit["w0"], fit["w1"]], reference.params, rtol=0, atol=1e-6)


def test_nothing_is_written_to_disk(tmp_path, monkeypatch):
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    rows = "".join(f"{i / 1000},{i % 2}\n" for i in range(60_000))  # ~0.6 MB
    with TestClient(create_app(), base_url=LOCAL) as c:
        assert upload(c, b"x,y\n" + rows.encode()).status_code == 200
        assert c.post("/api/fit", json={"train": {"epochs": 100}}).status_code == 200
        assert c.post("/api/landscape", json={"grid": 11}).status_code == 200
    assert list(cwd.iterdir()) == [] and list(tmp.iterdir()) == []


def test_limits_are_checked():
    with pytest.raises(ConfigError, match="max_runs"):
        Limits(max_runs=0)


def test_simulated_data_match_the_library(lecture_data):
    # the fixture is the library's draw; the server's cache must not change it
    np.testing.assert_array_equal(simulate().x, lecture_data.x)


def test_no_page_loads_from_a_cdn(client):
    # FastAPI's /docs and /redoc load Swagger UI and ReDoc from a CDN: they are off
    for path in ("/docs", "/redoc"):
        assert client.get(path).status_code == 404, path
    assert client.get("/openapi.json").status_code == 200
    static = web_app.STATIC
    for page in [*static.glob("*.html"), *static.glob("*.js"), *static.glob("*.css")]:
        text = page.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), page.name
        assert not re.search(r"""import[^;]*["'](https?:)?//""", text), page.name


def test_config_gives_the_style_tables_colours(client):
    assert client.get("/api/config").json()["colors"] == page_colors()
    assert page_colors()["bce"] == to_hex(LOSS_COLORS["bce"])


def test_config_gives_the_share_links_base(client):
    share = "http://192.168.7.20:8765/"
    bare = TestClient(create_app(share=share), base_url=LOCAL)  # no lifespan: no warm-up
    assert bare.get("/api/config").json()["share"] == share
    assert client.get("/api/config").json()["share"] is None


def test_orders_are_the_fused_engines_and_bounded(client):
    from logitlab.engines.batch import shuffled_orders

    answer = client.post("/api/orders", json={"n": 50, "epochs": 4, "shuffle_seed": 7})
    assert answer.status_code == 200
    drawn = shuffled_orders(50, 7)
    expected = np.stack([next(drawn) for _ in range(4)])
    np.testing.assert_array_equal(np.frombuffer(answer.content, "<i4").reshape(4, 50), expected)
    max_values = Limits().max_order_values
    too_many = {"n": 1000, "epochs": max_values // 1000 + 1}
    refused(client.post("/api/orders", json=too_many), 400, "max_order_values")


def test_config_gives_the_descents_constants(client):
    from logitlab.engines import fused

    descent = client.get("/api/config").json()["descent"]
    assert descent["exp2"] == [float(c) for c in fused.EXP2_POLY]
    assert descent["logit_limit"] == logitlab.result.LOGIT_LIMIT
    np.testing.assert_array_equal(descent["start"], initial_params(43052, 1))


def test_the_page_is_es_modules_with_one_job_each_and_no_restated_colour(client):
    page = web_app.STATIC
    app_js = (page / "app.js").read_text()
    for module in ("state", "api", "draw", "player", "descent", "plot"):
        assert f'from "./{module}.js"' in app_js, module
        served = client.get(f"/static/{module}.js")
        assert served.status_code == 200 and "export " in served.text, module
    for name in [*page.glob("*.js"), *page.glob("*.css")]:
        text = name.read_text().lower()
        for color in page_colors().values():
            assert color not in text, (name.name, color)


def test_orders_refuse_a_seed_torch_cannot_take(client):
    body = {"n": 10, "epochs": 2, "shuffle_seed": 2**64}
    refused(client.post("/api/orders", json=body), 400, "shuffle seed")


def test_the_lectures_fit_is_made_once_and_kept(client):
    first = client.post("/api/fit", json={})
    assert first.status_code == 200
    again = client.post("/api/fit", json={"train": {"loss": "both"}, "frames": 200})
    assert again.json() == first.json()  # the same answer, its seconds included: kept
    other = client.post("/api/fit", json={"train": {"epochs": 9_999}})
    assert other.json()["seconds"] != first.json()["seconds"]
