"""Every bound the playground's server keeps, in one frozen dataclass, and the refusals that
are not a bad value (too large, too busy, unknown run): each a LogitlabError with its status.

Why bounds at all: the server runs on a teacher's laptop in front of a class. One request
must not take the machine for minutes, fill its memory or its disk, so every size a request
can choose is capped, and past a cap the answer is a 4xx saying the cap, at once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..config import check_int
from ..errors import LogitlabError


@dataclass(frozen=True)
class Limits:
    """The server's bounds; create_app(Limits(...)) shrinks them for tests.

    Work is counted in point-epochs: n x epochs x losses (the fused engine does ~10**9 of
    them a second on one core, so max_work is ~0.1-0.2 s of a request, max_run_work ~10 s).
    """

    #: points of a data set (simulated, uploaded or sent inline)
    max_n: int = 100_000
    max_epochs: int = 100_000
    #: point-epochs of one /api/fit (and of one landscape); more goes through /api/runs
    max_work: int = 200_000_000
    #: point-epochs of one run (/api/runs)
    max_run_work: int = 10_000_000_000
    #: evaluations of one landscape: grid**2 x n x 2 losses (~0.1 us each; the lecture's
    #: 61 x 61 grid on 2,000 points is 1.5 * 10**7)
    max_landscape_work: int = 40_000_000
    #: grid points per axis of a landscape
    max_grid: int = 201
    #: largest |w0|, |w1| a landscape's window may reach
    max_window: int = 1000
    #: trajectory points of a fit are at most frames + 1
    max_frames: int = 1000
    max_upload_bytes: int = 1_000_000
    #: any request body (JSON with inline data: ~25 bytes a point)
    max_body_bytes: int = 4_000_000
    #: runs queued or running at once
    max_runs: int = 4
    #: finished runs kept for their event stream (the oldest go first)
    kept_runs: int = 32
    #: compute jobs waiting for the worker thread
    max_queue: int = 64
    #: HTTP requests being served at once (event streams included)
    max_inflight: int = 128

    def __post_init__(self) -> None:
        for f in fields(self):
            check_int(f.name, getattr(self, f.name), 1)

    def public(self) -> dict[str, int]:
        """The bounds the page shows and checks before it asks (GET /api/config)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Refused(LogitlabError):
    """A request refused for what it asks of the server rather than for a bad value."""

    status = 400


class TooLarge(Refused):
    """A body or upload above its bound (413)."""

    status = 413


class Busy(Refused):
    """The queue, the runs or the requests in flight are full (429): try again shortly."""

    status = 429


class UnknownRun(Refused):
    """No run of that id (404): never started, or finished long ago and forgotten."""

    status = 404
