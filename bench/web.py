"""The playground's speed as a student feels it, measured in a real browser (Debian's chromium
via Playwright) against the server on 127.0.0.1 (issue #12's targets):

- first load: navigation start to the first fit drawn (data and curves on screen), < 1 s;
- a slider change on the lecture's problem (n 2,000, 10,000 epochs, both losses): the page's
  own measure from the input event to the repaint after the refitted curves are drawn
  (window.playground.redraws), median < 100 ms; a single user's fits are the idle server's
  (POST /api/fit if_idle), and the rows say how many were;
- one lecture fit (one loss) in the page: the WebAssembly module (static/descent.wasm) beside
  the float32 JavaScript port it replaced (static/descent.js at JS_PORT, read from git), in the
  same tab.

run() returns the rows for bench/run.py to print beside its own.

    .venv/bin/python bench/web.py
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM = "/usr/bin/chromium"
FIRST_LOAD_TARGET_MS, REDRAW_TARGET_MS = 1000, 100
CHANGES = 30  # slider steps measured, one at a time
RELOADS = 5  # page loads after the first, on a warm server
#: the last commit whose static/descent.js computed the descent in JavaScript (Math.fround)
JS_PORT = "5a9bdf1"
PORT_FITS = 3  # lecture fits timed by each port (the median is shown)
#: one BCE fit of the lecture's settings by each port, in ms: the WebAssembly module (its
#: compilation apart), then the JavaScript port, a module made from its source
PORTS_JS = """async ([source, fits]) => {
  const post = (path, body) => fetch(path, {method: 'POST', body: JSON.stringify(body),
    headers: {'content-type': 'application/json'}}).then((answer) => answer.json());
  const config = await (await fetch('/api/config')).json();
  const data = await post('/api/data', config.defaults.data);
  const [x, y] = [Float32Array.from(data.x), Float32Array.from(data.y)];
  const train = config.defaults.train;
  const timed = (port, k) => Array.from({length: fits}, () => {
    const began = performance.now();
    port.fitLoss(k, x, y, train, 'bce', port.stride(train.epochs, 40), config.descent.start, null);
    return performance.now() - began;
  });
  const wasm = await import('/static/descent.js');
  const js = await import(URL.createObjectURL(new Blob([source], {type: 'text/javascript'})));
  return [timed(wasm, await wasm.kernels(config.descent)), timed(js, js.kernels(config.descent))];
}"""


@contextmanager
def serving() -> Iterator[tuple[str, subprocess.Popen]]:
    """`logitlab serve` on a free port of 127.0.0.1, in its own process as a user runs it;
    yields its address and process once the page answers (the API not yet asked anything)."""
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "logitlab", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"logitlab serve did not start (exit code {server.poll()})")
            try:
                if httpx.get(f"{url}/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, server
    finally:
        server.terminate()
        server.wait(timeout=10)


def _load(page: object, url: str) -> float:
    """Open the page; ms from navigation start to the first fit drawn."""
    page.goto(url)
    page.wait_for_function("window.playground && window.playground.firstDraw !== null")
    page.wait_for_function("!window.playground.busy")
    return page.evaluate("playground.firstDraw")


def _js_port() -> str:
    """The source of the JavaScript port (static/descent.js at JS_PORT), from git."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return subprocess.run(["git", "show", f"{JS_PORT}:src/logitlab/web/static/descent.js"],
                          cwd=root, capture_output=True, text=True, check=True).stdout  # fmt: skip


def _where(engine: str) -> str:
    """Who computed a fit, from its record's engine."""
    return "in the page" if engine == "page" else f"by the server's {engine} engine"


def _verdict(ms: float, target: float) -> str:
    return f"{ms:7.0f} ms  (target < {target:,} ms: {'met' if ms < target else 'MISSED'})"


def run(changes: int = CHANGES) -> list[tuple[str, str]]:
    """(label, value) rows: first loads and the slider's redraw times with their targets."""
    from playwright.sync_api import sync_playwright

    with serving() as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        first = _load(page, url)
        warm = statistics.median(_load(page, url) for _ in range(RELOADS))
        page.focus("#lr")
        engines = []  # who computed each change's fit
        for k in range(changes):  # one step up the log slider at a time: a new lr, refitted
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"playground.redraws.length === {k + 1}")
            page.wait_for_function("!window.playground.busy")
            engines.append(page.evaluate("playground.result.fits.bce.engine"))
        redraws = sorted(page.evaluate("playground.redraws"))
        fit = page.evaluate("playground.result.seconds") * 1000
        ports = page.evaluate(PORTS_JS, [_js_port(), PORT_FITS])
        wasm, js = (statistics.median(ms) for ms in ports)
        browser.close()
    p90 = redraws[min(len(redraws) - 1, round(0.9 * (len(redraws) - 1)))]
    n = len(redraws)
    return [
        ("first load, fresh server (navigation -> first fit drawn)",
         _verdict(first, FIRST_LOAD_TARGET_MS)),
        (f"first load, median of {RELOADS} reloads", _verdict(warm, FIRST_LOAD_TARGET_MS)),
        (f"slider change -> repaint, median of {n}",
         _verdict(statistics.median(redraws), REDRAW_TARGET_MS)),
        (f"slider change -> repaint, p90 of {n}", _verdict(p90, REDRAW_TARGET_MS)),
        (f"  fits by the server / in the page, of {n}",
         f"{n - engines.count('page'):7d} / {engines.count('page')}"),
        (f"  of which the fit (last change, {_where(engines[-1])})", f"{fit:7.0f} ms"),
        (f"one lecture fit (BCE) in the page, median of {PORT_FITS}: WebAssembly",
         f"{wasm:7.0f} ms"),
        (f"  the JavaScript port it replaced ({JS_PORT})",
         f"{js:7.0f} ms  ({js / wasm:.1f}x the WebAssembly module's time)"),
    ]  # fmt: skip


def main() -> None:
    print("== the playground in chromium: n 2,000, 10,000 epochs, BCE and MSE ==")
    for label, value in run():
        print(f"{label:<58} {value}")


if __name__ == "__main__":
    main()
