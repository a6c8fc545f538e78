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

    Work is counted in point-epochs (fit_work): a full-batch epoch costs n of them per loss
    (the fused engine does ~10**9 a second on one core, so max_work is ~0.1-0.2 s of a
    request, max_run_work ~10 s). Mini-batches cost more than their points: each point of a
    shuffled epoch counts shuffled_point_work, and each optimizer step step_work more (both
    measured on the fused engine: ~40 ns a shuffled point, ~1 us a step, against ~4 ns a
    point of a full batch), so batch_size 1 is bounded by its steps, not its points.
    """

    #: points of a data set (simulated, uploaded or sent inline)
    max_n: int = 100_000
    #: points of a 2-D data set (POST /api/plane): each is sent to the page and drawn, and
    #: the 2-D fit also runs the separation check and the MLE
    max_plane_n: int = 1000
    #: the 2-D view's L2 penalty (glmnet's scaling): at 1 the coefficients of standardized
    #: inputs are already a few hundredths, more shows nothing new
    max_plane_lambda: int = 1
    max_epochs: int = 100_000
    #: point-epochs of one /api/fit (and of one landscape); more goes through /api/runs
    max_work: int = 200_000_000
    #: point-epochs of one run (/api/runs)
    max_run_work: int = 10_000_000_000
    #: point-epochs one optimizer step of a mini-batch costs besides its points
    step_work: int = 250
    #: point-epochs one point of a mini-batch (shuffled) epoch costs
    shuffled_point_work: int = 10
    #: evaluations of one landscape: grid**2 x n x 2 losses (~0.1 us each; the lecture's
    #: 61 x 61 grid on 2,000 points is 1.5 * 10**7)
    max_landscape_work: int = 40_000_000
    #: grid points per axis of a landscape
    max_grid: int = 201
    #: largest |w0|, |w1| a landscape's window may reach
    max_window: int = 1000
    #: mini-batch orders (points x epochs) one POST /api/orders may ask for: 8 MB of int32
    max_order_values: int = 2_000_000
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
    #: HTTP requests being served at once (event streams included); the cheap GETs (the
    #: page, its static files, /api/config) have a pool of the same size of their own, so
    #: heavy work never makes them wait or refused
    max_inflight: int = 128
    #: requests one client (address) may have in flight at once, and event streams open
    max_client_inflight: int = 16
    max_client_streams: int = 4
    #: seconds a request body may take to arrive, whole (a client sending a byte now and
    #: then holds a request slot meanwhile)
    body_seconds: int = 10
    #: seconds a request head may take to arrive, whole, from when its connection is ready
    #: for it (web.protocol; a client trickling headers holds a connection meanwhile)
    head_seconds: int = 10

    def __post_init__(self) -> None:
        for f in fields(self):
            check_int(f.name, getattr(self, f.name), 1)

    def fit_work(self, n: int, epochs: int, batch_size: int | None, losses: int) -> int:
        """The point-epochs a fit costs: n per epoch and loss with the full batch; with
        mini-batches shuffled_point_work per point plus step_work per step (ceil(n /
        batch_size) steps an epoch)."""
        if batch_size is None:
            return n * epochs * losses
        steps = -(-n // batch_size)
        return (n * self.shuffled_point_work + steps * self.step_work) * epochs * losses

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


class Occupied(Refused):
    """A request that asked to be served only by an idle server, while it computes (503): the
    page then computes the fit itself."""

    status = 503


class UnknownRun(Refused):
    """No run of that id (404): never started, or finished long ago and forgotten."""

    status = 404
