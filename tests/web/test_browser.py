"""The playground in a real browser (Debian's chromium via Playwright): it loads clean, its
controls refit and redraw, it plays the descent, its numbers are logitlab's, its URL carries the
experiment, bad uploads are said on the page, and it works at a phone's width and by keyboard.
Screenshots are kept in out/artifacts/."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

import logitlab
from logitlab.config import TrainConfig
from logitlab.web import runs as web_runs

from .conftest import DESKTOP, Playground


def library_fit(loss: str, data: dict, **train: object) -> tuple[str, str]:
    """logitlab.fit (fused engine) of the same settings, printed as the page prints them."""
    d = logitlab.simulate(data["n"], data["w0"], data["w1"], data["seed"])
    result = logitlab.fit(d.x, d.y, TrainConfig(loss=loss, **train), engine="fused")
    return f"{result.intercept:.4f}", f"{result.coef[0]:.4f}"


def canvas(playground, name: str) -> str:
    """The pixels of a chart, as a PNG data URL."""
    return playground.js(f"document.getElementById('{name}').toDataURL()")


def url_query(playground) -> dict[str, list[str]]:
    """The settings in the page's address."""
    return parse_qs(urlsplit(playground.page.url).query)


#: A blank canvas as large as the fit chart, as a PNG data URL.
BLANK_JS = """(() => { const c = document.createElement('canvas');
  const f = document.getElementById('fit-chart');
  c.width = f.width; c.height = f.height; return c.toDataURL(); })()"""


def test_loads_clean_and_draws_the_lecture(playground, artifacts):
    playground.open()
    assert playground.errors == []
    state = playground.js("playground.state")
    config = httpx.get(f"{playground.base}/api/config").json()
    assert state["data"] == config["defaults"]["data"]
    assert sorted(playground.js("Object.keys(playground.result.fits)")) == ["bce", "mse"]
    assert playground.text("#epoch") == "10,000 of 10,000"
    blank = playground.js(BLANK_JS)
    assert canvas(playground, "fit-chart") != blank
    playground.page.screenshot(path=artifacts / "playground.png", full_page=True)


@pytest.mark.parametrize(
    ("query", "train"),
    [
        ("", {}),
        (
            "?optimizer=momentum&lr=0.2&epochs=3000&batch=500&start=1,-2&n=1500&seed=7",
            {"optimizer": "momentum", "lr": 0.2, "epochs": 3000, "batch_size": 500,
             "init": (1.0, -2.0)},
        ),
    ],
    ids=["lecture", "momentum-batches-start"],
)  # fmt: skip
def test_final_parameters_are_logitlabs_fit(playground, query, train):
    playground.open(query)
    data = playground.js("playground.state.data")
    for loss in ("bce", "mse"):
        assert playground.shown(loss) == library_fit(loss, data, **train), loss


def test_lr_slider_refits_and_redraws(playground):
    playground.open()
    before = {loss: playground.shown(loss) for loss in ("bce", "mse")}
    curve = canvas(playground, "fit-chart")
    playground.page.focus("#lr")
    for _ in range(20):
        playground.page.keyboard.press("ArrowRight")
    playground.settle()
    lr = playground.js("playground.state.train.lr")
    assert 0.07 < lr < 0.09  # 0.05 moved up 20 steps of 0.01 in log10
    assert playground.text("#lr-value") == str(lr)
    assert url_query(playground)["lr"] == [str(lr)]
    assert {loss: playground.shown(loss) for loss in ("bce", "mse")} != before
    assert canvas(playground, "fit-chart") != curve
    assert playground.js("playground.result.fits.bce.trajectory.epoch.at(-1)") == 10_000
    data = playground.js("playground.state.data")
    assert playground.shown("bce") == library_fit("bce", data, lr=lr)
    assert len(playground.js("playground.redraws")) >= 1
    assert playground.errors == []


def test_play_moves_the_parameters_frame_by_frame(playground):
    playground.open("?epochs=2000")
    final = playground.shown("bce")
    playground.page.click("#reset")
    start = playground.shown("bce")
    assert playground.text("#epoch").startswith("0 of")
    playground.page.click("#play")
    seen = set()
    for _ in range(40):
        seen.add(playground.shown("bce"))
        playground.page.wait_for_timeout(50)
    assert len(seen) >= 5  # many frames, each with its own parameters
    playground.wait("document.getElementById('epoch').textContent.startsWith('2,000 of')")
    assert playground.shown("bce") == final != start
    playground.page.click("#reset")
    playground.page.click("#step")
    assert playground.shown("bce") not in (start, final)


def test_clicking_a_landscape_sets_the_start(playground):
    playground.open()
    land = playground.page.locator("#bce-land")
    box = land.bounding_box()
    starts = []
    for fx, fy in [(0.7, 0.3), (0.4, 0.7)]:
        land.click(position={"x": fx * box["width"], "y": fy * box["height"]})
        playground.settle()
        start = playground.js("playground.state.train.start")
        starts.append(start)
        assert url_query(playground)["start"] == [f"{start[0]:g},{start[1]:g}"]
        trajectory = playground.js("playground.result.fits.bce.trajectory")
        assert trajectory["w0"][0] == pytest.approx(start[0], abs=1e-6)
        assert trajectory["w1"][0] == pytest.approx(start[1], abs=1e-6)
        assert float(playground.page.input_value("#start-w0")) == start[0]
    (a0, a1), (b0, b1) = starts
    assert a0 > b0 and a1 > b1  # right and up is larger w0 and w1
    playground.page.focus("#mse-land")
    playground.page.keyboard.press("ArrowLeft")
    playground.settle()
    c0, c1 = playground.js("playground.state.train.start")
    assert c0 < b0 and c1 == b1


def test_a_shared_url_restores_the_experiment(playground):
    query = ("?data=simulate&n=1000&w0=0.5&w1=3&seed=7&loss=bce&optimizer=adam&lr=0.1"
             "&epochs=500&batch=64&start=1,-2&betas=0.8,0.99&shuffle=3")  # fmt: skip
    playground.open(query)
    page = playground.page
    controls = {"#n": "1000", "#w0": "0.5", "#w1": "3", "#seed": "7", "#loss": "bce",
                "#optimizer": "adam", "#epochs": "500", "#batch": "64", "#start-w0": "1",
                "#start-w1": "-2", "#beta1": "0.8", "#beta2": "0.99", "#shuffle": "3"}  # fmt: skip
    assert {sel: page.input_value(sel) for sel in controls} == controls
    assert playground.text("#lr-value") == "0.1"
    assert url_query(playground) == parse_qs(query[1:])
    fits = playground.js("playground.result.fits")
    assert list(fits) == ["bce"] and fits["bce"]["epochs"] == 500
    data = playground.js("playground.state.data")
    expected = library_fit("bce", data, optimizer="adam", lr=0.1, epochs=500, batch_size=64,
                           init=(1.0, -2.0), betas=(0.8, 0.99), shuffle_seed=3)  # fmt: skip
    assert playground.shown("bce") == expected
    page.click("#reset-lecture")
    playground.settle()
    lecture = playground.js("playground.config.defaults")
    assert playground.js("playground.state") == {k: lecture[k] for k in ("data", "train")}
    assert playground.errors == []


@pytest.mark.parametrize(
    "csv",
    [b"x,y\n0.1,0\n0.2,1\n0.3,2\n", b"just one column\n1\n2\n"],
    ids=["three-labels", "one-column"],
)
def test_a_bad_upload_is_shown(playground, csv):
    playground.open()
    playground.page.select_option("#source", "inline")
    playground.page.set_input_files(
        "#file", files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    alert = playground.page.locator("#alert")
    alert.wait_for(state="visible")
    answer = httpx.post(f"{playground.base}/api/upload", files={"file": ("bad.csv", csv)})
    assert 400 <= answer.status_code < 500
    assert answer.json()["error"] in alert.inner_text()
    assert alert.get_attribute("role") == "alert"
    playground.settle()
    assert playground.js("playground.state.data.source") == "simulate"


def test_a_long_run_streams_and_can_be_cancelled(playground):
    limits = httpx.get(f"{playground.base}/api/config").json()["limits"]
    n = 20_000
    playground.open(f"?n={n}&epochs=1000")
    page = playground.page

    def epochs(value: int) -> None:
        page.fill("#epochs", str(value))
        page.press("#epochs", "Enter")

    epochs(limits["max_epochs"])  # seconds of work: streamed
    playground.wait("document.getElementById('run-text').textContent.startsWith('epoch')")
    page.click("#run-cancel")
    page.locator("#run").wait_for(state="hidden")
    assert "cancelled at epoch" in playground.text("#status").lower()
    just_past = limits["max_work"] // (2 * n) + 1000  # more than one /api/fit may do
    epochs(just_past)
    playground.wait(f"playground.result.fits.bce.epochs === {just_past}", timeout=60_000)
    playground.settle()
    assert playground.text("#epoch") == f"{just_past:,} of {just_past:,}"
    assert playground.errors == []


def test_a_phone_has_one_column_and_no_horizontal_scroll(phone, artifacts):
    phone.open()
    assert phone.js("document.documentElement.scrollWidth") <= 390
    assert phone.js("document.getElementById('bce-land').getBoundingClientRect().right") <= 390
    table = "document.getElementById('readout')"
    assert phone.js(f"{table}.scrollWidth <= {table}.parentElement.clientWidth")
    phone.page.screenshot(path=artifacts / "playground-phone.png", full_page=True)
    assert phone.errors == []


#: Every form control and button of the page, with its label (an input's <label>).
CONTROLS_JS = """[...document.querySelectorAll('input, select, button, canvas[tabindex], summary')]
  .filter(e => e.checkVisibility())
  .map(e => ({id: e.id || e.tagName, labelled: e.tagName === 'BUTTON' || e.tagName === 'SUMMARY'
               || e.tagName === 'CANVAS' ? !!(e.textContent.trim() || e.getAttribute('aria-label'))
               : e.labels.length > 0,
              roving: e.getAttribute('role') === 'tab' && e.tabIndex < 0}))"""


def test_every_control_is_labelled_and_reached_by_tab(playground):
    playground.open()
    playground.page.click("#more summary")  # the optimizer details, opened
    controls = playground.js(CONTROLS_JS)
    assert [c["id"] for c in controls if not c["labelled"]] == []
    reached = set()
    for _ in range(3 * len(controls)):
        playground.page.keyboard.press("Tab")
        reached.add(playground.js("document.activeElement.id || document.activeElement.tagName"))
    # A tab not selected is reached by the arrow keys from the selected one, as ARIA's tabs
    # pattern has it (test_plane_browser.py's keyboard test), not by Tab.
    assert {c["id"] for c in controls if not c["roving"]} <= reached
    assert [c["id"] for c in controls if c["roving"]] == ["tab-plane"]
    playground.page.focus("#play")
    playground.page.click("#reset")
    playground.page.focus("#play")
    playground.page.keyboard.press("Enter")  # a button works from the keyboard
    playground.wait("document.getElementById('epoch').textContent !== '0 of 10,000'")


#: WCAG contrast of every element's own text against the first opaque background behind it
#: (legend symbols are aria-hidden pictures beside their words, not text).
CONTRAST_JS = """(() => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = e => { for (; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] === 1) return c; } return [255, 255, 255]; };
  const worst = [];
  for (const e of document.querySelectorAll('body *')) {
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !e.checkVisibility() || e.disabled || e.closest('[aria-hidden=true]')) continue;
    const a = lum(rgb(getComputedStyle(e).color)), b = lum(bg(e));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) worst.push([e.tagName, e.id, e.textContent.trim().slice(0, 30), ratio]);
  }
  return worst; })()"""


def test_text_contrast_meets_wcag_aa(playground):
    playground.open()
    assert playground.js(CONTRAST_JS) == []


def test_share_link_is_the_lan_address_and_colours_are_the_style_tables(browser, serve):
    from logitlab.viz.style import page_colors
    from logitlab.web.app import create_app
    from logitlab.web.hosts import links

    # served on 127.0.0.1 as on 0.0.0.0 with a stand-in interface list
    (share, _) = links("0.0.0.0", 8765, ["127.0.0.1", "192.168.7.20", "10.8.0.2"])
    with serve(create_app(share=share)) as url:
        context = browser.new_context(viewport=DESKTOP)
        tab = Playground(context.new_page(), url).open("?lr=0.1")
        link = tab.js("document.getElementById('share-link').href")
        assert link == f"{share}?{urlsplit(tab.page.url).query}"
        assert urlsplit(link).netloc == "192.168.7.20:8765" and "lr=0.1" in link
        css = tab.js(f"""Object.fromEntries({list(page_colors())}.map((k) =>
            [k, getComputedStyle(document.documentElement).getPropertyValue('--' + k).trim()]))""")
        assert css == page_colors()
        assert tab.errors == []
        context.close()


def test_no_fit_is_shown_for_other_settings_or_data(playground):
    """After a settings change or an upload, the curves on screen are hidden and the busy sign
    shown until the new fit arrives: every redraw shows the state's own fit, or none."""
    playground.open("?epochs=2000")
    page = playground.page
    playground.js("playground.draws.length = 0")
    page.focus("#lr")
    page.keyboard.press("ArrowRight")
    playground.settle()
    page.select_option("#source", "inline")
    rows = "".join(f"{i / 50:.2f},{int(i % 3 == 0)}\n" for i in range(-50, 50))
    page.set_input_files("#file", files=[{"name": "points.csv", "mimeType": "text/csv",
                                          "buffer": f"x,y\n{rows}".encode()}])  # fmt: skip
    playground.wait("playground.state.data.source === 'inline'")
    playground.settle()
    draws = playground.js("playground.draws")
    stale = [d for d in draws if d["stale"]]
    assert stale, draws  # the page drew while a fit was on its way...
    assert all(d["fits"] == 0 and d["busy"] for d in stale), stale  # ...and showed none then
    uploaded = [d for d in stale if '"inline"' in d["data"]]
    assert uploaded  # the uploaded points were on screen before their fit
    assert draws[-1] == {"stale": False, "busy": False, "fits": 2, "data": draws[-1]["data"]}
    assert '"inline"' in draws[-1]["data"] and page.is_hidden("#busy")
    assert playground.errors == []


#: seconds of work for the server's compute thread (n x epochs x 2 losses = max_run_work)
LONG_RUN = {"data": {"source": "simulate", "n": 100_000}, "train": {"epochs": 50_000}}
#: a fit of one epoch, asked only if the server is idle
PROBE = {"train": {"epochs": 1}, "frames": 1, "if_idle": True}
#: Adam and mini-batches, the link leaving eps out (the page fills in the server's default)
ADAM = "?n=1000&optimizer=adam&lr=0.1&epochs=500&batch=64&shuffle=3"


def until(holds: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not holds():
        assert time.monotonic() < deadline, "never"
        time.sleep(0.02)


@contextmanager
def computing(base: str, monkeypatch) -> Iterator[None]:
    """The server's compute thread busy with a long run until the block ends."""
    monkeypatch.setattr(web_runs, "UNFOLLOWED_SECONDS", 60.0)  # no event stream follows it
    run = httpx.post(f"{base}/api/runs", json=LONG_RUN).json()
    try:
        until(lambda: httpx.post(f"{base}/api/fit", json=PROBE).status_code == 503)
        yield
    finally:
        httpx.delete(f"{base}/api/runs/{run['id']}")
        until(lambda: httpx.post(f"{base}/api/fit", json=PROBE).status_code == 200)


def engines(playground) -> set[str]:
    return {fit["engine"] for fit in playground.js("playground.result.fits").values()}


def test_a_single_users_fit_comes_from_the_idle_server(playground):
    playground.open()
    playground.page.focus("#lr")
    playground.page.keyboard.press("ArrowRight")
    playground.settle()
    assert "page" not in engines(playground) and "on the server" in playground.text("#status")
    data, lr = playground.js("playground.state.data"), playground.js("playground.state.train.lr")
    for loss in ("bce", "mse"):
        assert playground.shown(loss) == library_fit(loss, data, lr=lr), loss
    assert playground.errors == []


def test_the_page_fits_itself_while_the_server_is_busy(playground, monkeypatch):
    with computing(playground.base, monkeypatch):
        playground.open(ADAM)
        assert engines(playground) == {"page"}
    assert "in this page" in playground.text("#status")
    data = playground.js("playground.state.data")
    for loss in ("bce", "mse"):
        expected = library_fit(loss, data, optimizer="adam", lr=0.1, epochs=500, batch_size=64,
                               shuffle_seed=3)  # fmt: skip
        assert playground.shown(loss) == expected, loss
    assert playground.errors == []


def test_a_browser_that_cannot_compile_the_module_waits_for_the_server(playground, monkeypatch):
    invalid = b"\0asm\x01\0\0\0\xff"  # as a browser without relaxed SIMD finds descent.wasm
    wasm = "application/wasm"
    playground.page.route("**/static/descent.wasm",
                          lambda route: route.fulfill(body=invalid, content_type=wasm))  # fmt: skip
    with computing(playground.base, monkeypatch):
        playground.open(ADAM)
        assert "page" not in engines(playground)
    data = playground.js("playground.state.data")
    expected = library_fit("bce", data, optimizer="adam", lr=0.1, epochs=500, batch_size=64,
                           shuffle_seed=3)  # fmt: skip
    assert playground.shown("bce") == expected
    assert playground.errors == []
