"""Why BCE and not MSE: the numbers behind the lecture's "don't use MSE here".

Both losses are trained from the same start with the lecture's gradient descent and measured
against the maximum-likelihood estimate: how far each ends from it, how many epochs each needs
to come close, and what happens from a far start where the sigmoid saturates (MSE's plateau).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..budget import check_study
from ..config import LOSSES, PLATEAU_START, LandscapeConfig, TrainConfig
from ..data import Dataset, simulate_from
from ..engines import fit
from ..model import initial_params
from ..result import INTERCEPT, FitResult
from ..stats import mle as mle_module
from ..stats.landscape import Surface, grid, minimise, surface
from .timing import timed
from .training import check_on_lecture_data

TOLERANCES = (1e-2, 1e-3)


def trajectory(
    data: Dataset, loss: str, start: object, config: TrainConfig, *, progress: bool = False
) -> FitResult:
    """Gradient descent on `loss` from the parameters `start` ([w0, w1, ...]) with config's
    optimizer and batches (its own start, if any, gives way to `start`)."""
    init = tuple(float(w) for w in np.asarray(start, dtype=float))
    settings = replace(config, loss=loss, init=init)
    return fit(data.x, data.y, settings, names=data.names, progress=progress)


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
    """Everything the why-not-MSE figures and numbers need.

    Parameters
    ----------
    data : Dataset
        The lecture's data.
    truth : numpy.ndarray
        The true (w0, w1).
    mle : MLEResult
        The maximum-likelihood fit, where BCE's descent should end.
    mse_minimum : numpy.ndarray
        Where MSE's gradient descent goes instead of the MLE: MSE's own minimum.
    lecture : Race
        Both losses from the lecture's start.
    plateau : Race
        Both losses from the far plateau start, where the sigmoid saturates.
    surfaces : dict of str to Surface
        Each loss over a grid around the truth, the start and the MLE.
    plateau_surfaces : dict of str to Surface
        The same over a grid that takes in the plateau start too.
    train : TrainConfig, default TrainConfig()
        The training settings of every path (each loss its own).
    seconds : float, default 0.0
        The wall time of the run that made this record.
    """

    data: Dataset
    truth: np.ndarray
    mle: mle_module.MLEResult
    mse_minimum: np.ndarray
    lecture: Race
    plateau: Race
    surfaces: dict[str, Surface]
    plateau_surfaces: dict[str, Surface]
    train: TrainConfig = field(default_factory=TrainConfig)
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        """The epochs each path ran."""
        return self.lecture.fits["bce"].epochs

    def distances(self, loss: str) -> np.ndarray:
        """Euclidean distance from the MLE of the lecture-start path, per epoch.

        Parameters
        ----------
        loss : {'bce', 'mse'}
            Whose path.

        Returns
        -------
        numpy.ndarray
            One distance per recorded epoch.
        """
        return np.linalg.norm(self.lecture.fits[loss].history.params - self.mle.params, axis=1)

    def __repr__(self) -> str:
        """One line, not the surfaces: the MLE, MSE's minimum and each path's verdict."""
        from ..display import numbers

        paths = "; ".join(
            f"{start}: " + ", ".join(f"{loss} {fit.convergence.verdict}"
                                     for loss, fit in race.fits.items())
            for start, race in (("lecture start", self.lecture), ("plateau start", self.plateau))
        )  # fmt: skip
        return (f"WhyNotMSE({self.data.n:,} points, MLE {numbers(self.mle.params)}, MSE's "
                f"minimum {numbers(self.mse_minimum)}; {paths})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: where each descent ended beside the MLE and MSE's minimum."""
        from ..display import html

        return html("why.html", why=self, names=(INTERCEPT, *self.data.names))

    def epochs_to(self, loss: str, tol: float) -> int | None:
        """The first epoch from which the `loss` path stays within tol of the MLE.

        Parameters
        ----------
        loss : {'bce', 'mse'}
            Whose path.
        tol : float
            The distance from the MLE.

        Returns
        -------
        int or None
            The epoch; None if the path is still farther at the end.
        """
        return epochs_within(self.distances(loss), tol)

    def plateau_outcome(self, loss: str) -> str:
        """Where `loss`'s descent from the plateau start went, in words derived from the
        distances.

        Parameters
        ----------
        loss : {'bce', 'mse'}
            Whose descent.

        Returns
        -------
        str
            'walks to the MLE', 'stalls' or 'ends 3.2 from the MLE'.
        """
        start, end = self.plateau.start, self.plateau.fits[loss].params
        far = float(np.linalg.norm(start - self.mle.params))
        left = float(np.linalg.norm(end - self.mle.params))
        if left <= 0.05 * far:
            return "walks to the MLE"
        if np.linalg.norm(end - start) <= 0.05 * far:
            return "stalls"
        return f"ends {left:.2g} from the MLE"

    def convexity(self) -> str:
        """Which loss is convex over the grid, from the smallest Hessian eigenvalues.

        Returns
        -------
        str
            'BCE is convex, MSE is not convex over the grid' or as the grid has it.
        """
        signs = {loss: self.min_eigenvalue(loss) >= -1e-12 for loss in self.surfaces}
        said = [f"{loss.upper()} is {'convex' if ok else 'not convex'}" for loss, ok in
                signs.items()]  # fmt: skip
        return ", ".join(said) + " over the grid"

    def min_eigenvalue(self, loss: str) -> float:
        """The smallest Hessian eigenvalue of `loss` over the grid (< 0: not convex).

        Parameters
        ----------
        loss : {'bce', 'mse'}
            Whose surface.

        Returns
        -------
        float
            The eigenvalue.
        """
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
            fits[loss] = trajectory(data, loss, start, config, progress=progress)
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

    The lecture's start is config.init, else the lecture net's under config.init_seed.
    `fits` reuses BCE and MSE fits already made from there (as the lecture command has
    them), so only the plateau runs are trained here.
    """
    cfg = config or TrainConfig()
    truth = np.asarray(truth, dtype=float)
    result = mle_module.fit(data.x, data.y, names=data.names)
    start = lecture_start(cfg, data.x.shape[1])
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
        mse_minimum=minimise("mse", x, y, result.params),
        lecture=lecture,
        plateau=plateau,
        surfaces=surfaces(np.vstack((start, result.params))),
        plateau_surfaces=surfaces(np.vstack((start, result.params, plateau.start))),
        train=cfg,
    )


def lecture_start(config: TrainConfig, features: int = 1) -> np.ndarray:
    """Where the lecture's fits start: config.init, else the lecture net's under init_seed."""
    if config.init is not None:
        return np.asarray(config.init, dtype=float)
    return initial_params(config.init_seed, features).astype(float)


def run_landscape(config: LandscapeConfig | None = None, *, progress: bool = False) -> WhyNotMSE:
    """The `landscape` study: simulate the lecture's data and analyse it.

    Parameters
    ----------
    config : LandscapeConfig, optional
        The data, the training, the plateau start and the grid; LandscapeConfig() when None.
    progress : bool, default False
        Draw progress bars.

    Returns
    -------
    WhyNotMSE
        The MLE, both losses' paths from the lecture's start and from the plateau, and the
        loss surfaces.

    Raises
    ------
    ConfigError
        Before any work, when the run cannot fit here or the start or batch size does not
        suit the lecture's data.
    SeparationError
        When the data are separable, so that the MLE does not exist.
    """
    cfg = config or LandscapeConfig()
    check_study(cfg)  # ConfigError before any work if it cannot fit
    check_on_lecture_data(cfg.train, cfg.data)
    return analyse(
        simulate_from(cfg.data),
        cfg.data.truth,
        cfg.train,
        plateau_start=cfg.plateau_start,
        grid_size=cfg.grid_size,
        progress=progress,
    )
