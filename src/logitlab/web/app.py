"""The playground's HTTP API (issue #12's contract): FastAPI routes that turn requests into
the package's settings, compute on the one worker thread, and answer with its records.

Every request is bounded before it costs anything: its Host header by HostCheck (400, against
DNS rebinding), requests in flight (in all and per client), event streams per client, body
sizes and the time a body may take by Bounds (429, 413 before a large body is read, 408),
computing jobs by the worker's queue (429), runs by max_runs (429), a fit asked only if the
worker is idle while it is not (503), and every value by the package's validators (400). A
refusal is always {"error": "<one line>"}; nothing is written to disk (uploads are parsed in
memory).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..budget import format_bytes
from ..config import shown
from ..errors import LogitlabError
from .compute import (
    config_body,
    diagram_svg,
    fit_answer,
    landscape,
    load_data,
    plan_fit,
    run_fit,
    shuffle_orders,
    too_large,
    upload_data,
    warm,
)
from .hosts import Hosts
from .limits import Limits, Refused, TooLarge
from .plane import plane_answer
from .runs import CANCELLED, DONE, Runs
from .runs import ERROR as FAILED
from .schemas import (
    DataSpec,
    FitNowRequest,
    FitRequest,
    LandscapeRequest,
    OrdersRequest,
    PlaneRequest,
)
from .uploads import multipart_file
from .worker import Worker

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
#: Room for the multipart envelope around an upload's file.
UPLOAD_ENVELOPE = 16_384
#: An event stream looks at its run this often, and sends progress at most this often.
POLL_SECONDS, PROGRESS_SECONDS = 0.05, 0.25

ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
REFUSED = {400: "a bad value or host", 408: "a body too slow", 413: "too large",
           422: "malformed", 429: "too many at once", 503: "busy (if_idle)"}  # fmt: skip
REFUSALS: dict[int | str, dict[str, Any]] = {
    code: {"description": what, "content": {"application/json": {"schema": ERROR}}}
    for code, what in REFUSED.items()
}


def create_app(limits: Limits | None = None, hosts: Hosts | None = None,
               share: str | None = None) -> FastAPI:  # fmt: skip
    """The playground's app under `limits` (default Limits()), answering the Host names
    `hosts` (default Hosts(): this machine's localhost names); `share` is the base URL the
    page's links use (serve's: a LAN address a student can reach; None: the page's own).

    No /docs or /redoc: FastAPI's pages load their scripts from a CDN, and the playground
    loads nothing from elsewhere; the API's schema stays at /openapi.json."""
    limits, hosts = limits or Limits(), hosts or Hosts()
    worker = Worker(limits.max_queue)
    runs = Runs(worker, limits)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        config.update(await compute(lambda: warm(limits)))
        yield
        runs.cancel_all()
        await asyncio.to_thread(worker.close)

    app = FastAPI(title="logitlab playground", version=__version__, lifespan=lifespan,
                  responses=REFUSALS, docs_url=None, redoc_url=None)  # fmt: skip
    app.state.limits, app.state.worker, app.state.runs = limits, worker, runs
    app.state.share = share
    app.add_middleware(Bounds, limits=limits)
    app.add_middleware(HostCheck, hosts=hosts)  # the outermost: a foreign host costs nothing
    _add_error_handlers(app)

    async def compute(job: Callable[[], Any], *, long: bool = False,
                      if_idle: bool = False) -> Any:  # fmt: skip
        return await asyncio.wrap_future(worker.submit(job, long=long, if_idle=if_idle))

    config: dict = {}  # made by warm() as the server starts

    @app.get("/api/config")
    async def get_config() -> dict:
        """The lecture's defaults, the server's bounds, the shipped data sets, the colours,
        and the base URL of the page's share link."""
        if not config:  # an app run without its lifespan (a bare TestClient)
            config.update(await compute(lambda: config_body(limits)))
        return config | {"share": share}

    @app.post("/api/data")
    async def post_data(spec: DataSpec) -> JSONResponse:
        """The data a spec names, with the truth (simulated) and the MLE."""
        return JSONResponse(await compute(lambda: load_data(spec, limits).body()))

    @app.post("/api/upload", openapi_extra={"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}}}}}}})  # fmt: skip
    async def post_upload(request: Request) -> JSONResponse:
        """A CSV (columns x, y; or feature then label) read in memory -> /api/data's answer
        and the inline spec that sends it back."""
        content = multipart_file(await request.body(), request.headers.get("content-type"))
        if len(content) > limits.max_upload_bytes:
            raise TooLarge(too_large("upload", len(content), limits.max_upload_bytes))
        body = await compute(lambda: upload_data(content, limits).body())
        inline = {"source": "inline", "x": body["x"], "y": body["y"],
                  "feature": body["feature"], "target": body["target"]}  # fmt: skip
        return JSONResponse(body | {"data": inline})

    @app.post("/api/fit")
    async def post_fit(request: FitNowRequest) -> JSONResponse:
        """Both losses (or one) fitted on the fused engine, with trajectories; with if_idle,
        refused at once (503) unless the server has nothing else to compute."""
        answer = await compute(lambda: fit_answer(request, limits), if_idle=request.if_idle)
        return JSONResponse(answer)

    @app.post("/api/plane")
    async def post_plane(request: PlaneRequest) -> JSONResponse:
        """The 2-D view: a simulated data set fitted on the chosen inputs, with the frames of
        its parameters, its accuracy, the MLE and what x1, x2 alone reach."""
        return JSONResponse(await compute(lambda: plane_answer(request, limits)))

    @app.post("/api/landscape")
    async def post_landscape(request: LandscapeRequest) -> JSONResponse:
        """BCE and MSE over a (w0, w1) grid, with contour rings."""

        def job() -> dict:
            return landscape(load_data(request.data, limits), request, limits)

        return JSONResponse(await compute(job))

    @app.post("/api/orders", response_class=Response,
              responses={200: {"content": {"application/octet-stream": {}}}})  # fmt: skip
    async def post_orders(request: OrdersRequest) -> Response:
        """The fused engine's mini-batch orders (epochs x n, int32), for the page's descent."""
        orders = await compute(lambda: shuffle_orders(request.n, request.shuffle_seed,
                                                      request.epochs, limits))  # fmt: skip
        return Response(orders, media_type="application/octet-stream")

    @app.post("/api/runs", status_code=202)
    async def post_run(request: FitRequest) -> dict:
        """Start a long fit; follow it at `events`."""

        def job():
            data = load_data(request.data, limits)
            return plan_fit(data, request.train, request.frames, limits, run=True)

        plan = await compute(job)
        settings = plan.settings
        run = runs.start(settings.train.epochs, settings.losses,
                         lambda report: run_fit(plan, report))  # fmt: skip
        return {"id": run.id, "events": f"/api/runs/{run.id}/events"}

    @app.get("/api/runs/{run_id}/events", response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {}}}})  # fmt: skip
    async def get_events(run_id: str, request: Request) -> StreamingResponse:
        """The run's progress as server-sent events, then done, error or cancelled.
        Closing the stream cancels the run."""
        run = runs.get(run_id)
        return StreamingResponse(_events(run, request, runs), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})  # fmt: skip

    @app.delete("/api/runs/{run_id}")
    async def delete_run(run_id: str) -> dict:
        """Stop a run (within a block of epochs); false when it had already finished."""
        return {"cancelled": runs.cancel(run_id)}

    @app.get("/api/diagram.svg", response_class=Response,
             responses={200: {"content": {"image/svg+xml": {}}}})  # fmt: skip
    async def get_diagram(kind: Literal["detailed", "compact"] = "detailed") -> Response:
        """The lecture's network diagram, drawn from the net by Graphviz."""
        svg = await compute(lambda: diagram_svg(kind))
        return Response(svg, media_type="image/svg+xml",
                        headers={"Cache-Control": "max-age=3600"})  # fmt: skip

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        page = STATIC / "index.html"
        if not page.is_file():
            raise HTTPException(404, "the page (static/index.html) is not installed")
        return FileResponse(page)

    if STATIC.is_dir():
        from fastapi.staticfiles import StaticFiles

        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


async def _events(run, request: Request, runs: Runs) -> AsyncIterator[str]:
    """A run's server-sent events; a client that goes away cancels the run."""
    finished = False
    sent_epoch, sent_at = -1, 0.0
    run.followed = True
    try:
        while True:
            state = run.state
            if state in (DONE, FAILED, CANCELLED):
                finished = True
                if state == DONE:
                    yield _event("done", run.body)
                elif state == FAILED:
                    yield _event("error", {"error": run.error})
                else:
                    yield _event("cancelled", {"epoch": run.epoch})
                return
            now = time.monotonic()
            fresh = run.params is not None and run.epoch != sent_epoch
            if fresh and now - sent_at >= PROGRESS_SECONDS:
                sent_epoch, sent_at = run.epoch, now
                yield _event("progress", {"epoch": run.epoch, "epochs": run.epochs,
                                          "params": run.params})  # fmt: skip
            if await request.is_disconnected():
                return
            await asyncio.sleep(POLL_SECONDS)
    finally:
        if not finished:
            run.cancel.set()


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, allow_nan=False)}\n\n"


# --- refusals as one line of JSON ----------------------------------------------------------


def _error(status: int, message: str, *, close: bool = False) -> JSONResponse:
    """A refusal: {"error": message on one line}; `close` ends the connection after it."""
    headers = {"connection": "close"} if close else None
    return JSONResponse({"error": " ".join(message.split())}, status_code=status,
                        headers=headers)  # fmt: skip


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LogitlabError)
    async def refused(request: Request, exc: LogitlabError) -> JSONResponse:
        return _error(exc.status if isinstance(exc, Refused) else 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, validation_line(exc.errors()))

    @app.exception_handler(HTTPException)
    async def http(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        """A bug: still a 500 (fuzzing must see it), but one line of JSON like the rest."""
        log.exception("unexpected error serving %s", request.url.path)
        return _error(500, f"internal error ({type(exc).__name__}); see the server's log")


def validation_line(errors: list[dict]) -> str:
    """pydantic's errors as one line: where, what, and how many more."""
    if not errors:
        return "the request is malformed"
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    if first.get("type") == "json_invalid":
        text = f"the body is not valid JSON ({first.get('ctx', {}).get('error', 'bad syntax')})"
    else:
        text = f"{where or 'the body'}: {first.get('msg', 'invalid')}"
        if "input" in first and not isinstance(first["input"], dict | list):
            text += f", got {str(first['input'])[:40]!r}"
    more = len(errors) - 1
    return text + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")


# --- bounds before any work ----------------------------------------------------------------


class HostCheck:
    """ASGI middleware: a request whose Host header is not one the server was started for is
    refused (400) before anything else (web.hosts says why)."""

    def __init__(self, app: ASGIApp, hosts: Hosts) -> None:
        self.app, self.hosts = app, hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = _header(scope, b"host")
            if not self.hosts.allows(host):
                said = "no Host header" if host is None else f"the Host {shown(host)}"
                refusal = (f"this server does not answer {said}: only this machine's "
                           "names, the address it listens on, and --allow-host names")  # fmt: skip
                return await _error(400, refusal, close=True)(scope, receive, send)
        return await self.app(scope, receive, send)


#: GETs that cost nothing (the page, its files, the config made as the server started): a
#: pool of requests of their own, so that heavy work never locks the page out.
CHEAP_PATHS, CHEAP_PREFIX = ("/", "/api/config"), "/static/"


class Bounds:
    """ASGI middleware, every bound that holds before a request is served:

    - at most max_inflight requests at once, and at most max_inflight cheap GETs besides (429);
    - per client address, at most max_client_inflight requests (cheap GETs aside) and
      max_client_streams event streams at once (429): one client cannot take every slot;
    - a body of at most max_body_bytes (max_upload_bytes plus its envelope for /api/upload;
      413), refused from its Content-Length before it is read, or as soon as it grows past
      the bound, and whole within body_seconds (408, and the connection closed)."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app, self.limits = app, limits
        self.inflight = {True: 0, False: 0}  # by cheapness
        self.clients: Counter[str] = Counter()
        self.streams: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        method, path = scope["method"], scope["path"]
        cheap = method in ("GET", "HEAD") and (path in CHEAP_PATHS or
                                                path.startswith(CHEAP_PREFIX))  # fmt: skip
        stream = method == "GET" and path.startswith("/api/runs/") and path.endswith("/events")
        client = (scope.get("client") or ("",))[0]
        refusal = self._refusal(cheap, stream, client)
        if refusal:
            return await _error(429, refusal)(scope, receive, send)
        self.inflight[cheap] += 1
        self.clients[client] += int(not cheap)
        self.streams[client] += int(stream)
        try:
            if method in ("GET", "HEAD"):
                return await self.app(scope, receive, send)
            upload = scope["path"] == "/api/upload"
            what = "upload" if upload else "request body"
            bound = self.limits.max_upload_bytes if upload else self.limits.max_body_bytes
            room = bound + UPLOAD_ENVELOPE if upload else bound
            declared = _header(scope, b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > room:
                too_much = too_large(what, int(declared), bound)
                return await _error(413, too_much)(scope, receive, send)
            try:
                async with asyncio.timeout(self.limits.body_seconds):
                    body = await _read_body(receive, room)
            except TimeoutError:
                slow = (f"the {what} did not arrive within {self.limits.body_seconds} s "
                        "(body_seconds)")  # fmt: skip
                return await _error(408, slow, close=True)(scope, receive, send)
            if body is None:
                over = f"the {what} is larger than the limit of {format_bytes(bound)}"
                return await _error(413, over)(scope, receive, send)
            return await self.app(scope, _replay(body, receive), send)
        finally:
            self.inflight[cheap] -= 1
            self.clients[client] -= int(not cheap)
            self.streams[client] -= int(stream)
            for counts in (self.clients, self.streams):
                if not counts[client]:
                    del counts[client]

    def _refusal(self, cheap: bool, stream: bool, client: str) -> str:
        """Why a request is refused (429) before it is served, or "" when it is not."""
        limits = self.limits
        if not cheap and self.clients[client] >= limits.max_client_inflight:
            return (f"this client has {self.clients[client]} requests in flight, the most "
                    "for one client (max_client_inflight); wait for one to finish")  # fmt: skip
        if stream and self.streams[client] >= limits.max_client_streams:
            return (f"this client has {self.streams[client]} event streams open, the most "
                    "for one client (max_client_streams); close one first")  # fmt: skip
        if self.inflight[cheap] >= limits.max_inflight:
            return (f"{self.inflight[cheap]} requests are in flight, the most at once "
                    "(max_inflight); try again in a moment")  # fmt: skip
        return ""


def _header(scope: Scope, name: bytes) -> str | None:
    """A request header's value (latin-1, as HTTP sends it), or None when it is absent."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def _read_body(receive: Receive, room: int) -> bytes | None:
    """The whole body, or None once it grows past `room` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > room:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body read already, then the client's own messages
    (so a disconnect is still seen)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
