"""A class on one server (issue #23): sixty students on the lecture's problem (n 2,000, 10,000
epochs, both losses), each moving a slider about once a second, against one `logitlab serve`.

The design this measures: a training slider (learning rate, epochs, optimizer, start) asks
the server for its fit only if the server is idle (POST /api/fit with if_idle: its ~30 ms
fit, or 503 busy at once), and the page computes it itself otherwise (static/descent.wasm,
the fused engine's loop in float32 WebAssembly, checked against it to 1e-5), so nothing
queues; the server also serves the page, the data with their MLE, the landscapes (cached)
and mini-batch orders. A simulated student therefore joins (the page, its scripts,
/api/config, /api/data, /api/landscape, as the page asks them), then moves the learning-rate
slider once a second (a jittered second) and asks for its fit if_idle (a 503 is the page's
turn, not a refusal: its browser computes the fit, on the student's own machine), and every
JOIN_EVERY-th move reloads the page (the whole join again). Each student speaks from an
address of its own (127.0.0.x): the server's per-client bounds count by address, as in class.

Meanwhile a real chromium tab moves the learning-rate slider once a second and measures in the
page from the input event to the repaint of the refitted curves (window.playground.redraws),
and a second tab joins mid-class and measures its load (data painted; first fit painted).

    .venv/bin/python bench/classroom.py --seconds 120     # the full two minutes
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import numpy as np

CLIENTS, SECONDS = 60, 120.0
#: a simulated student reloads the page every this many slider moves
JOIN_EVERY = 10
CHROMIUM = "/usr/bin/chromium"
REDRAW_TARGET_MS, JOIN_TARGET_MS = 300, 2000
STATIC = ("/", "/static/style.css", "/static/app.js", "/static/plot.js", "/static/descent.js",
          "/static/descent-worker.js", "/static/descent.wasm")  # fmt: skip
#: the answer to a fit asked if_idle of a busy server: the page computes it then
BUSY = 503
#: trajectory points the page asks for (static/app.js's FRAMES)
FRAMES = 200


@dataclass
class Class:
    """What one class measured: every simulated request (path, status, seconds), the real
    tab's slider-to-repaint times and the joining tab's load (ms)."""

    requests: list[tuple[str, int, float]] = field(default_factory=list)
    redraws: list[float] = field(default_factory=list)
    join_data: float = float("nan")
    join_fit: float = float("nan")

    @property
    def refused(self) -> int:
        return sum(status != 200 and not _busy(path, status) for path, status, _ in self.requests)

    @property
    def fits(self) -> tuple[int, int]:
        """The simulated students' fits: served by the idle server, left to their pages."""
        fits = [status for path, status, _ in self.requests if path == "/api/fit"]
        return fits.count(200), fits.count(BUSY)

    def line(self) -> str:
        """The class line: the real tab's slider-to-repaint percentiles, all refusals."""
        p50, p90, p99 = np.percentile(self.redraws, [50, 90, 99]) if self.redraws else [np.nan] * 3
        return (f"class load: clients {CLIENTS}, p50 {p50:.0f} ms, p90 {p90:.0f} ms, "
                f"p99 {p99:.0f} ms, refused {self.refused}")  # fmt: skip


def _busy(path: str, status: int) -> bool:
    """Whether an answer is a fit the busy server left to the page."""
    return path == "/api/fit" and status == BUSY


async def _join(client: httpx.AsyncClient, config: dict, log: list) -> dict:
    """What the page asks the server as it loads (the lecture's data and landscape)."""
    for path in STATIC:
        await _ask(client, "GET", path, None, log)
    config = await _ask(client, "GET", "/api/config", None, log) or config
    defaults = config.get("defaults", {})
    data = defaults.get("data", {"source": "simulate"})
    await _ask(client, "POST", "/api/data", data, log)
    window = {"data": data, "grid": defaults.get("grid", 61), "w0": defaults.get("w0"),
              "w1": defaults.get("w1")}  # fmt: skip
    await _ask(client, "POST", "/api/landscape", window, log)
    return config


async def _ask(client, method: str, path: str, body, log: list) -> dict | None:
    began = time.monotonic()
    try:
        response = await client.request(method, path, json=body)
        status = response.status_code
    except httpx.HTTPError:
        response, status = None, 599
    log.append((path, status, time.monotonic() - began))
    if response is not None and status == 200 and path == "/api/config":
        return response.json()
    return None


async def _student(base: str, index: int, stop: float, log: list) -> None:
    """One simulated student: join, then a slider move a second (its fit asked if_idle), a
    reload every JOIN_EVERY."""
    rng = random.Random(index)
    transport = httpx.AsyncHTTPTransport(local_address=f"127.0.0.{index + 2}")
    async with httpx.AsyncClient(base_url=base, timeout=60, transport=transport) as client:
        await asyncio.sleep(rng.uniform(0, 1))  # students do not arrive on one tick
        config = await _join(client, {}, log)
        moves = 0
        while time.monotonic() < stop:
            await asyncio.sleep(rng.uniform(0.8, 1.2))
            defaults = config.get("defaults", {})
            lr = float(f"{0.05 * 10 ** (0.01 * rng.randint(-50, 50)):.3g}")  # the log slider
            fit = {"data": defaults.get("data", {"source": "simulate"}), "frames": FRAMES,
                   "train": defaults.get("train", {}) | {"lr": lr}, "if_idle": True}  # fmt: skip
            await _ask(client, "POST", "/api/fit", fit, log)
            moves += 1
            if moves % JOIN_EVERY == 0:
                config = await _join(client, config, log)


def _students(base: str, clients: int, seconds: float, log: list) -> None:
    async def main() -> None:
        stop = time.monotonic() + seconds
        await asyncio.gather(*(_student(base, i, stop, log) for i in range(clients)))

    asyncio.run(main())


def run(base: str, seconds: float = SECONDS, clients: int = CLIENTS,
        browser: object | None = None) -> Class:  # fmt: skip
    """A class of `clients` simulated students for `seconds` against the server at `base`,
    with a real tab (of `browser`, a Playwright chromium; launched here when None) moving
    its slider once a second and a second tab joining halfway."""
    measured = Class()
    with ThreadPoolExecutor(max_workers=1) as runner:  # the students' event loop, apart
        students = runner.submit(_students, base, clients, seconds, measured.requests)
        _with_browser(browser, lambda b: _in_class(b, base, seconds, measured))
        students.result()
    return measured


def _with_browser(browser: object | None, work: Callable[[object], None]) -> None:
    if browser is not None:
        return work(browser)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            work(launched)
        finally:
            launched.close()


def _in_class(browser: object, base: str, seconds: float, measured: Class) -> None:
    """The real tab's slider, once a second, and a tab joining halfway through."""
    with _opened(browser, base) as page:
        page.wait_for_function("!window.playground.busy", timeout=120_000)
        page.focus("#lr")
        stop, halfway, joined = time.monotonic() + seconds, time.monotonic() + seconds / 2, False
        step = 1
        while time.monotonic() < stop:
            began = time.monotonic()
            page.keyboard.press("ArrowRight" if step % 40 < 20 else "ArrowLeft")
            step += 1
            page.wait_for_function(f"playground.redraws.length >= {step - 1}", timeout=120_000)
            if not joined and time.monotonic() > halfway:
                joined = True
                measured.join_data, measured.join_fit = _join_tab(browser, base)
                page.focus("#lr")
            time.sleep(max(0.0, 1.0 - (time.monotonic() - began)))
        measured.redraws = page.evaluate("playground.redraws")


def _join_tab(browser: object, base: str) -> tuple[float, float]:
    """A tab that opens the page mid-class -> ms to its data painted and to its first fit."""
    with _opened(browser, base) as page:
        return page.evaluate("[playground.firstData, playground.firstDraw]")


@contextmanager
def _opened(browser: object, base: str) -> Iterator[object]:
    """A new tab on the page, once its first fit is drawn; closed on the way out."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{base}/")
        page.wait_for_function("window.playground && window.playground.firstDraw !== null",
                               timeout=120_000)  # fmt: skip
        yield page
    finally:
        context.close()


class ServerUse:
    """The CPU seconds and peak memory of a process (Linux /proc), from start to stop."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.began, self.cpu = time.monotonic(), self._cpu()
        self.peak = 0
        self._stop = threading.Event()
        self._watch = threading.Thread(target=self._sample, daemon=True)
        self._watch.start()

    def _cpu(self) -> float:
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _rss(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, self._rss())

    def stop(self) -> str:
        self._stop.set()
        self._watch.join()
        seconds = time.monotonic() - self.began
        used = self._cpu() - self.cpu
        return (f"server: {used:.1f} CPU s in {seconds:.0f} s ({used / seconds:.0%} of one core), "
                f"peak memory {self.peak / 1e6:.0f} MB")  # fmt: skip


def report(measured: Class, server: str = "") -> list[str]:
    """The class's table, ending with the class line."""
    times = np.array([s for _, _, s in measured.requests]) * 1000
    q50, q90, q99 = np.percentile(times, [50, 90, 99]) if times.size else [np.nan] * 3
    served, busy = measured.fits
    lines = [
        f"simulated students' requests: {times.size}, p50 {q50:.0f} ms, p90 {q90:.0f} ms, "
        f"p99 {q99:.0f} ms, refused {measured.refused}",
        f"simulated students' fits asked if idle: {served} served by the server, {busy} "
        f"answered busy (computed in their pages)",
        f"real tab, slider -> repaint: {len(measured.redraws)} moves "
        f"(target p90 < {REDRAW_TARGET_MS} ms)",
        f"tab joining mid-class: data painted {measured.join_data:.0f} ms, first fit painted "
        f"{measured.join_fit:.0f} ms (target < {JOIN_TARGET_MS} ms)",
    ]  # fmt: skip
    if server:
        lines.append(server)
    lines.append(f"machine load average (1 min) at the end: {os.getloadavg()[0]:.1f} "
                 f"on {os.cpu_count()} cores")  # fmt: skip
    return [*lines, measured.line()]


def main(seconds: float = SECONDS) -> None:
    import web  # bench/web.py, beside this file

    with web.serving() as (url, process):
        use = ServerUse(process.pid)
        measured = run(url, seconds)
        server = use.stop()
    for line in report(measured, server):
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=SECONDS)
    main(parser.parse_args().seconds)
