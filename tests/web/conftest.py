"""The playground's browser fixtures: the real server (create_app on uvicorn, in a background
thread, on a free port of 127.0.0.1, as `logitlab serve` runs it) and Debian's chromium driven
by Playwright (its own browser download is not needed: executable_path)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
#: what chromium's console says of a fit the server declined as busy (POST /api/fit if_idle:
#: 503): not an error, the page then fits it itself
BUSY_LINE = "the server responded with a status of 503"


@contextmanager
def serving(app: object) -> Iterator[str]:
    """`app` on uvicorn in a background thread, on a free port of 127.0.0.1 as `logitlab
    serve` listens, until the block ends -> its address."""
    import uvicorn

    from logitlab.cli.serve import bind
    from logitlab.web.protocol import server_config

    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(server_config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the playground's server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def serve() -> object:
    """serving, for tests that start a server of their own: `with serve(app) as url:`."""
    return serving


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """The playground's address; the server stops when the session ends."""
    from logitlab.web.app import create_app

    with serving(create_app()) as url:
        yield url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots are kept as test artifacts: out/artifacts (out/ is git-ignored)."""
    folder = Path(__file__).resolve().parents[2] / "out" / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium (make installs it), headless."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium (make does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        chromium.close()


class Playground:
    """One browser tab on the playground, with what the tests ask of it."""

    def __init__(self, page: object, base: str) -> None:
        self.page = page
        self.base = base
        #: console errors and uncaught exceptions of the page (a busy server's 503 aside)
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text)
                if m.type == "error" and BUSY_LINE not in m.text else None)  # fmt: skip
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, query: str = "") -> Playground:
        """Load the page (with a shared URL's query) and wait for its first fit drawn."""
        self.page.goto(f"{self.base}/{query}")
        self.wait("window.playground && window.playground.firstDraw !== null")
        return self.settle()

    def settle(self) -> Playground:
        """Wait until no request, fit, run or repaint is pending."""
        self.wait("!window.playground.busy")
        return self

    def wait(self, expression: str, timeout: float = 30_000) -> None:
        """Wait for `expression` to hold; if it never does, say what the page showed."""
        from playwright.sync_api import TimeoutError

        try:
            self.page.wait_for_function(expression, timeout=timeout)
        except TimeoutError:
            shown = self.page.evaluate(
                "[...document.querySelectorAll('#alert-text, #status')].map(e => e.textContent)"
            )
            raise AssertionError(f"never {expression}; the page showed {shown}, "
                                 f"errors {self.errors}") from None  # fmt: skip

    def js(self, expression: str) -> object:
        return self.page.evaluate(expression)

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector)

    def shown(self, loss: str) -> tuple[str, str]:
        """The parameters the readout shows for `loss`, as printed."""
        return self.text(f"#out-{loss}-w0"), self.text(f"#out-{loss}-w1")


@pytest.fixture
def playground(browser: object, server_url: str) -> Iterator[Playground]:
    """A fresh desktop-sized tab."""
    context = browser.new_context(viewport=DESKTOP)
    yield Playground(context.new_page(), server_url)
    context.close()


@pytest.fixture
def phone(browser: object, server_url: str) -> Iterator[Playground]:
    """A fresh tab at a phone's width (390 px)."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, has_touch=True)
    yield Playground(context.new_page(), server_url)
    context.close()
