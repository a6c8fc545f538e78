"""The playground's HTTP connections: uvicorn's h11 protocol with the time to a whole request
head bounded (Limits.head_seconds).

uvicorn bounds an idle keep-alive connection (timeout_keep_alive) and the app bounds a body
(Limits.body_seconds), but nothing bounds a request head: a client sending a header byte now
and then holds its connection, and its file descriptor, for as long as it likes, and many
such clients hold them all. Here a timer starts when a connection is ready for a request (when
it opens, and after each response) and stops when h11 has the whole head; if it fires first,
the client gets a 408 naming the bound and the connection is closed.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .limits import Limits


class HeadBounded(H11Protocol):
    """H11Protocol closing a connection whose request head is not whole within
    head_seconds of the connection's readiness for it (bounded() sets the bound)."""

    head_seconds: float = Limits.head_seconds
    head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.await_head()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:  # the head is in
            self.stop_head_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may read a pipelined request's head already
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self.await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_head_timer()
        super().connection_lost(exc)

    def await_head(self) -> None:
        """Start the head's timer afresh."""
        self.stop_head_timer()
        self.head_timer = self.loop.call_later(self.head_seconds, self.head_late)

    def stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def head_late(self) -> None:
        """The head is not whole in time: a 408 saying so, then the connection closed (h11
        sends no response before a request, so its bytes are written here)."""
        self.head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        line = f"the request head did not arrive within {self.head_seconds:g} s (head_seconds)"
        body = json.dumps({"error": line}).encode()
        self.transport.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json"
                             b"\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s"
                             % (len(body), body))  # fmt: skip
        self.transport.close()


def bounded(head_seconds: float) -> type[HeadBounded]:
    """HeadBounded with its bound set to head_seconds."""
    return type("HeadBounded", (HeadBounded,), {"head_seconds": head_seconds})


def server_config(app: Any, **options: Any) -> uvicorn.Config:
    """uvicorn's Config for the playground's `app` (create_app's: its Limits in app.state)
    with HeadBounded connections; `options` are uvicorn.Config's."""
    return uvicorn.Config(app, http=bounded(app.state.limits.head_seconds), **options)
