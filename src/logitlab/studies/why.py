"""Why BCE and not MSE: the numbers behind the lecture's "don't use MSE here".

Both losses are trained from the same start with the lecture's gradient descent and measured
against the maximum-likelihood estimate: how far each ends from it, how many epochs each needs
to come close, and what happens from a far start where the sigmoid saturates (MSE's plateau).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..budget import check_study
from ..config import LOSSES, PLATEAU_START, LandscapeConfig, TrainConfig
from ..data import Dataset, simulate_from
from ..engines import fit
from ..model import initial_params, lecture_net, set_params
from ..result import FitResult
from ..stats import mle as mle_module
from ..stats.landscape import Surface, grid, minimise, surface
from .timing import timed

TOLERANCES = (1e-2, 1e-3)


def trajectory(
    data: Dataset, loss: str, start: object, config: TrainConfig, *, progress: bool = False
) -> FitResult:
    """Gradient descent on `loss` from the parameters `start` ([w0, w1, ...]), the lecture's way."""
    net = lecture_net(config.init_seed, data.x.shape[1])
    set_params(net, np.asarray(start, dtype=float))
    return fit(data.x, data.y, config, net=net, names=data.names, progress=progress)


def epochs_within(distance: np.ndarray, tol: float) -> int | None:
    """The first epoch from which `distance` stays <= tol to the end; None if it never does."""
    outside = np.flatnonzero(np.asarray(distance) > tol)
    if len(outside) == 0:
        return 0
    first = int(outside[-1]) + 1
    return first if first < len(distance) else None


@dataclass(frozen=True)
class Race:
    """BCE and MSE trained from one start; gradient norms along each path."""

    start: np.ndarray
    fits: dict[str, FitResult]
    grad_norms: dict[str, np.ndarray]


@dataclass(frozen=True)
class WhyNotMSE:
    """Everything the why-not-MSE figures and numbers need."""

    data: Dataset
    truth: np.ndarray
    mle: mle_module.MLEResult
    #: Where MSE's gradient descent goes instead of the MLE: MSE's own minimum.
    mse_minimum: np.ndarray
    lecture: Race
    plateau: Race
    surfaces: dict[str, Surface]
    plateau_surfaces: dict[str, Surface]
    #: wall time of the run that made this record
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        return self.lecture.fits["bce"].epochs

    def distances(self, loss: str) -> np.ndarray:
        """Euclidean distance from the MLE of the lecture-start path, per epoch."""
        return np.linalg.norm(self.lecture.fits[loss].history.params - self.mle.coef, axis=1)

    def epochs_to(self, loss: str, tol: float) -> int | None:
        """The first epoch from which the `loss` path stays within tol of the MLE."""
        return epochs_within(self.distances(loss), tol)

    def plateau_outcome(self, loss: str) -> str:
        """Where `loss`'s descent from the plateau start went, in words derived from the
        distances: 'walks to the MLE', 'stalls' or 'ends 3.2 from the MLE'."""
        start, end = self.plateau.start, self.plateau.fits[loss].params
        far = float(np.linalg.norm(start - self.mle.coef))
        left = float(np.linalg.norm(end - self.mle.coef))
        if left <= 0.05 * far:
            return "walks to the MLE"
        if np.linalg.norm(end - start) <= 0.05 * far:
            return "stalls"
        return f"ends {left:.2g} from the MLE"

    def convexity(self) -> str:
        """Which loss is convex over the grid, from the smallest Hessian eigenvalues."""
        signs = {loss: self.min_eigenvalue(loss) >= -1e-12 for loss in self.surfaces}
        said = [f"{loss.upper()} is {'convex' if ok else 'not convex'}" for loss, ok in
                signs.items()]  # fmt: skip
        return ", ".join(said) + " over the grid"

    def min_eigenvalue(self, loss: str) -> float:
        """The smallest Hessian eigenvalue of `loss` over the grid (< 0: not convex)."""
        return float(self.surfaces[loss].min_eigenvalue.min())


def race(
    data: Dataset,
    start: object,
    config: TrainConfig,
    *,
    fits: dict[str, FitResult] | None = None,
    progress: bool = False,
) -> Race:
    """Train BCE and MSE from `start`, except those already in `fits` (started there)."""
    fits = dict(fits or {})
    for loss in LOSSES:
        if loss not in fits:
            fits[loss] = trajectory(
                data, loss, start, replace(config, loss=loss), progress=progress
            )
    # The gradient norm at every epoch's parameters, the last at the final ones.
    norms = {
        loss: np.append(f.history.grad_norm, f.convergence.grad_norm) for loss, f in fits.items()
    }
    return Race(start=np.asarray(start, dtype=float), fits=fits, grad_norms=norms)


@timed
def analyse(
    data: Dataset,
    truth: object,
    config: TrainConfig | None = None,
    *,
    plateau_start: object = PLATEAU_START,
    grid_size: int = 81,
    fits: dict[str, FitResult] | None = None,
    progress: bool = False,
) -> WhyNotMSE:
    """The MLE, both losses' paths from the lecture's start and from the plateau, landscapes.

    `fits` reuses BCE and MSE fits already made from the lecture's start (as the lecture
    command has them), so only the plateau runs are trained here.
    """
    cfg = config or TrainConfig()
    truth = np.asarray(truth, dtype=float)
    result = mle_module.fit(data.x, data.y, names=data.names)
    start = initial_params(cfg.init_seed, data.x.shape[1]).astype(float)
    lecture = race(data, start, cfg, fits=fits, progress=progress)
    plateau = race(data, plateau_start, cfg, progress=progress)
    x, y = data.x.numpy(), data.y.numpy()

    def surfaces(include: np.ndarray) -> dict[str, Surface]:
        w0, w1 = grid(truth, include=include, size=grid_size)
        return {loss: surface(loss, x, y, w0, w1) for loss in LOSSES}

    return WhyNotMSE(
        data=data,
        truth=truth,
        mle=result,
        mse_minimum=minimise("mse", x, y, result.coef),
        lecture=lecture,
        plateau=plateau,
        surfaces=surfaces(np.vstack((start, result.coef))),
        plateau_surfaces=surfaces(np.vstack((start, result.coef, plateau.start))),
    )


def run_landscape(config: LandscapeConfig | None = None, *, progress: bool = False) -> WhyNotMSE:
    """The `landscape` study: simulate the lecture's data and analyse it."""
    cfg = config or LandscapeConfig()
    check_study(cfg)  # ConfigError before any work if it cannot fit
    return analyse(
        simulate_from(cfg.data),
        cfg.data.truth,
        cfg.train,
        plateau_start=cfg.plateau_start,
        grid_size=cfg.grid_size,
        progress=progress,
    )
