"""The page's port of the fused descent (static/descent.wasm, driven by static/descent.js)
against the library's fused engine, in chromium: the same trajectory and end, to 1e-5, over
losses, optimizers, full and mini batches (the orders served by POST /api/orders) and starts,
and the same epoch of divergence. The committed module is its text (descent.wat) assembled,
served as application/wasm."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest

from logitlab.engines.batch import fit_batch

from .conftest import Playground

STATIC = Path(__file__).resolve().parents[2] / "src" / "logitlab" / "web" / "static"

#: (optimizer, its settings) x batch size x start; each with both losses.
OPTIMIZERS = [
    ("sgd", {"lr": 0.5}),
    ("momentum", {"lr": 0.2, "momentum": 0.9, "nesterov": False}),
    ("momentum", {"lr": 0.2, "momentum": 0.8, "nesterov": True}),
    ("adam", {"lr": 0.05, "betas": [0.9, 0.999], "eps": 1e-8}),
]
CASES = [
    (optimizer, settings, batch, start)
    for optimizer, settings in OPTIMIZERS
    for batch in (None, 64)
    for start in (None, [1.5, -2.0])
]
PORT_JS = """async ([x, y, cases]) => {
  const d = await import('/static/descent.js');
  const config = await (await fetch('/api/config')).json();
  const k = await d.kernels(config.descent);
  const out = [];
  for (const train of cases) {
    let orders = null;
    if (train.batch_size != null) {
      const body = {n: x.length, epochs: train.epochs, shuffle_seed: train.shuffle_seed};
      const answer = await fetch('/api/orders', {method: 'POST', body: JSON.stringify(body),
        headers: {'content-type': 'application/json'}});
      orders = new Int32Array(await answer.arrayBuffer());
    }
    out.push(d.fitHere(k, Float32Array.from(x), Float32Array.from(y), train, 40,
                       config.descent.start, orders, null));
  }
  return out;
}"""


@pytest.fixture(scope="module")
def tab(browser, server_url):
    context = browser.new_context()
    page = Playground(context.new_page(), server_url)
    page.page.goto(f"{server_url}/api/config")
    yield page
    context.close()


def library(x, y, train: dict, every: int):
    """The fused engine's fit of both losses as /api/fit runs it."""
    from logitlab.model import initial_params

    return fit_batch(
        x[:, None], y, loss=["bce", "mse"], lr=train["lr"], epochs=train["epochs"],
        init=train["start"] or initial_params().astype(float), record_every=every,
        engine="fused", optimizer=train["optimizer"], batch_size=train["batch_size"],
        momentum=train["momentum"], nesterov=train["nesterov"], betas=tuple(train["betas"]),
        eps=train["eps"], shuffle_seed=train["shuffle_seed"],
    )  # fmt: skip


def compare(tab, data: dict, trains: list[dict]) -> None:
    x, y = np.array(data["x"]), np.array(data["y"])
    ported = tab.page.evaluate(PORT_JS, [data["x"], data["y"], trains])
    for train, answer in zip(trains, ported, strict=True):
        every = int(np.ceil(train["epochs"] / 40))
        every += every % 2 == 0
        batch = library(x, y, train, every)
        for b, loss in enumerate(("bce", "mse")):
            fit = answer["fits"][loss]
            traj = fit["trajectory"]
            where = f"{loss} {train}"
            np.testing.assert_allclose(traj["w0"], batch.history_params[b, :, 0], rtol=1e-5,
                                       atol=1e-5, err_msg=where)  # fmt: skip
            np.testing.assert_allclose(traj["w1"], batch.history_params[b, :, 1], rtol=1e-5,
                                       atol=1e-5, err_msg=where)  # fmt: skip
            losses = [*batch.history_loss[b], batch.final_loss[b]]
            np.testing.assert_allclose(traj["loss"], losses, rtol=1e-5, atol=1e-6, err_msg=where)
            np.testing.assert_allclose([fit["w0"], fit["w1"]], batch.params[b], rtol=1e-5,
                                       atol=1e-5, err_msg=where)  # fmt: skip
            assert traj["epoch"][-1] == train["epochs"] and len(traj["epoch"]) == len(losses)


def train_spec(optimizer: str, settings: dict, batch: int | None, start, epochs: int) -> dict:
    base = {"loss": "both", "optimizer": optimizer, "epochs": epochs, "batch_size": batch,
            "start": start, "momentum": 0.9, "nesterov": False, "betas": [0.9, 0.999],
            "eps": 1e-8, "shuffle_seed": 3}  # fmt: skip
    return base | settings


def test_the_port_agrees_with_the_fused_engine_over_the_matrix(tab, server_url):
    data = httpx.post(f"{server_url}/api/data", json={"source": "simulate", "n": 300}).json()
    trains = [train_spec(o, s, b, start, 300) for o, s, b, start in CASES]
    compare(tab, data, trains)


def test_the_port_agrees_on_the_lectures_problem(tab, server_url):
    data = httpx.post(f"{server_url}/api/data", json={"source": "simulate"}).json()
    compare(tab, data, [train_spec("sgd", {"lr": 0.05}, None, None, 10_000)])


#: the epoch at which the page's descent broke the divergence rule (0: it did not)
DIVERGED_JS = """async ([x, y, train]) => {
  const d = await import('/static/descent.js');
  const config = await (await fetch('/api/config')).json();
  const k = await d.kernels(config.descent);
  const s = {...train, every: 1, start: config.descent.start, batch: null};
  return k.descend(Float32Array.from(x), Float32Array.from(y), s, null).diverged;
}"""


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_the_port_diverges_at_the_engines_epoch(tab, server_url, loss):
    from logitlab.web.compute import descent_constants

    data = httpx.post(f"{server_url}/api/data", json={"source": "simulate", "n": 300}).json()
    train = train_spec("momentum", {"lr": 80.0}, None, None, 300) | {"loss": loss}
    diverged = tab.page.evaluate(DIVERGED_JS, [data["x"], data["y"], train])
    x, y = np.array(data["x"]), np.array(data["y"])
    batch = fit_batch(x[:, None], y, loss=loss, lr=train["lr"], epochs=train["epochs"],
                      init=descent_constants()["start"], engine="fused", optimizer="momentum",
                      momentum=train["momentum"])  # fmt: skip
    assert batch.diverged_at[0] > 1  # some epochs in, not at once
    assert diverged == batch.diverged_at[0]


def test_the_committed_module_is_its_text_assembled():
    from wasmtime import wat2wasm

    text = (STATIC / "descent.wat").read_text()
    assert bytes(wat2wasm(text)) == (STATIC / "descent.wasm").read_bytes()


def test_the_module_is_served_as_wasm(server_url):
    answer = httpx.get(f"{server_url}/static/descent.wasm")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/wasm"
    assert answer.content == (STATIC / "descent.wasm").read_bytes()
