"""Slow and greedy clients on a real server (uvicorn on 127.0.0.1, clients from addresses of
their own in 127/8): a body or a request head that trickles in is cut off, and one client
holding many requests or event streams is refused past its share while everyone else is
served. Each test takes a few seconds (LIMITS.body_seconds at most)."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit

import httpx
import pytest

from logitlab.web.app import create_app
from logitlab.web.limits import Limits

LIMITS = Limits(max_inflight=6, max_client_inflight=3, max_client_streams=2, body_seconds=4,
                head_seconds=2)  # fmt: skip
SMALL_DATA = {"source": "simulate", "n": 50}
LONG_RUN = {"data": {"source": "simulate", "n": 100_000}, "train": {"epochs": 50_000}}


@pytest.fixture(scope="module")
def url(serve) -> Iterator[str]:
    with serve(create_app(LIMITS)) as address:
        yield address


def from_address(url: str, address: str) -> httpx.Client:
    """An HTTP client whose connections come from `address`."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=url, transport=transport, timeout=30)


def slow_post(url: str, address: str) -> socket.socket:
    """A POST from `address` whose headers are sent whole and its body's first byte only."""
    sock = socket.create_connection((urlsplit(url).hostname, urlsplit(url).port), timeout=30,
                                    source_address=(address, 0))  # fmt: skip
    sock.sendall(b"POST /api/data HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                 b"application/json\r\nContent-Length: 100\r\n\r\n{")  # fmt: skip
    return sock


def refused_until(client: httpx.Client, words: str, seconds: float = 10) -> None:
    """POST small data until the server refuses it (429 naming `words`): it has seen the
    requests sent before."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = client.post("/api/data", json=SMALL_DATA)
        if answer.status_code == 429:
            assert words in answer.json()["error"], answer.text
            return
        assert answer.status_code == 200, answer.text
    raise AssertionError(f"never refused with {words}")


def test_a_body_that_trickles_in_is_cut_off_while_others_are_served(url):
    with slow_post(url, "127.0.0.2") as slow:
        began = time.monotonic()
        with from_address(url, "127.0.0.3") as other:
            assert other.get("/api/config").status_code == 200
            assert other.post("/api/data", json=SMALL_DATA).status_code == 200
        answer = b""
        while time.monotonic() - began < LIMITS.body_seconds + 10:
            if select.select([slow], [], [], 0.5)[0]:
                chunk = slow.recv(65536)
                if not chunk:
                    break  # the server closed the connection
                answer += chunk
            elif not answer:
                slow.sendall(b" ")  # a byte now and then: the body is never whole in time
        took = time.monotonic() - began
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer
    assert b"body_seconds" in body and b"\n" not in body
    assert LIMITS.body_seconds - 0.5 < took < LIMITS.body_seconds + 5


def trickled(sock: socket.socket, head: bytes, seconds: float) -> tuple[bytes, float]:
    """Send `head` a byte a second until the server closes the connection (or `seconds`
    pass): what it answered, and when it closed, counted from the first byte."""
    began, answer, sent = time.monotonic(), b"", 0
    while time.monotonic() - began < seconds:
        if select.select([sock], [], [], 1.0)[0]:
            chunk = sock.recv(65536)
            if not chunk:
                return answer, time.monotonic() - began  # the server closed it
            answer += chunk
        elif sent < len(head) and not answer:
            sock.sendall(head[sent : sent + 1])
            sent += 1
    raise AssertionError(f"still open after {seconds} s, {sent} bytes sent: {answer!r}")


def test_a_request_head_that_trickles_in_is_cut_off_while_others_are_served(url):
    host, port = urlsplit(url).hostname, urlsplit(url).port
    head = b"GET /api/config HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"x" * 64 + b"\r\n\r\n"
    with socket.create_connection((host, port), source_address=("127.0.0.4", 0)) as slow:
        with from_address(url, "127.0.0.5") as other:  # served meanwhile
            assert other.get("/api/config").status_code == 200
        answer, took = trickled(slow, head, LIMITS.head_seconds + 10)
    status, _, body = answer.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 408 "), answer
    error = json.loads(body)["error"]
    assert "head_seconds" in error and f"within {LIMITS.head_seconds} s" in error
    assert LIMITS.head_seconds - 0.5 < took < LIMITS.head_seconds + 2.5
    # a head sent whole is answered, and the next one on the connection is bounded too
    with socket.create_connection((host, port), source_address=("127.0.0.4", 0)) as sock:
        sock.sendall(b"GET /api/config HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = b""
        while b"\r\n\r\n" not in first:
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        length = int(first.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        while len(first.partition(b"\r\n\r\n")[2]) < length:
            first += sock.recv(65536)
        answer, took = trickled(sock, head, LIMITS.head_seconds + 10)
    assert answer.startswith(b"HTTP/1.1 408 ") and took < LIMITS.head_seconds + 2.5


def test_one_client_cannot_take_every_request_slot(url):
    with ExitStack() as stack:
        for greedy in ("127.0.0.4", "127.0.0.5"):
            for _ in range(LIMITS.max_client_inflight):
                stack.enter_context(slow_post(url, greedy))
            # its share is full: one more of its requests is refused, not queued
            refused_until(stack.enter_context(from_address(url, greedy)), "max_client_inflight")
        other = stack.enter_context(from_address(url, "127.0.0.6"))
        # the heavy requests' slots are all held now; the page and its config still load
        refused_until(other, "max_inflight", seconds=1)
        for path in ("/api/config", "/", "/static/app.js"):
            assert other.get(path).status_code == 200, path


def test_one_client_cannot_hold_every_event_stream(url):
    with ExitStack() as stack:
        greedy = stack.enter_context(from_address(url, "127.0.0.7"))
        other = stack.enter_context(from_address(url, "127.0.0.8"))
        run = greedy.post("/api/runs", json=LONG_RUN).json()
        stack.callback(greedy.delete, f"/api/runs/{run['id']}")
        for _ in range(LIMITS.max_client_streams):
            stream = stack.enter_context(greedy.stream("GET", run["events"]))
            assert stream.status_code == 200
        with greedy.stream("GET", run["events"]) as one_more:
            assert one_more.status_code == 429
            assert "max_client_streams" in one_more.read().decode()
        with other.stream("GET", run["events"]) as theirs:
            assert theirs.status_code == 200
        assert other.get("/api/config").status_code == 200
