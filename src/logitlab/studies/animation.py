"""The fitting process as a film: what it shows (this study), drawn by logitlab.viz.film and
encoded by logitlab.report.animation.

Both losses are trained from one start; the film follows their paths over the landscapes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..budget import check_study
from ..config import LOSSES, AnimationConfig, TrainConfig
from ..data import Dataset, simulate_from
from ..stats.landscape import Surface, grid, surface
from ..stats.mle import fit as fit_mle
from .timing import timed
from .training import check_on_lecture_data
from .why import Race, lecture_start, race


@dataclass(frozen=True)
class Scene:
    """What the film shows: the data, both losses' paths from one start, the landscapes."""

    data: Dataset
    race: Race
    surfaces: dict[str, Surface]
    truth: np.ndarray
    mle: np.ndarray


@dataclass(frozen=True)
class AnimationRun:
    """The film's settings and its scene."""

    config: AnimationConfig
    scene: Scene
    #: wall time of the run that made this record
    seconds: float = 0.0

    def __repr__(self) -> str:
        """One line, not the scene: the film, the start and where each loss's descent ends."""
        from ..display import numbers

        race = self.scene.race
        ends = ", ".join(f"{loss} {numbers(fit.params)} {fit.convergence.verdict}"
                         for loss, fit in race.fits.items())  # fmt: skip
        return (f"AnimationRun({self.config.frames} frames of {self.scene.data.n:,} points "
                f"from {numbers(race.start)}: {ends}; MLE {numbers(self.scene.mle)})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: where each descent of the film ends beside the MLE and truth."""
        from ..display import html
        from ..result import INTERCEPT

        return html("animation.html", run=self, names=(INTERCEPT, *self.scene.data.names))


def make_scene(
    data: Dataset,
    truth: object,
    config: TrainConfig | None = None,
    *,
    grid_size: int = 61,
    progress: bool = False,
) -> Scene:
    """Train both losses from config.init (else the lecture's initial net) with config's
    optimizer and batches, and map the ground."""
    cfg = config or TrainConfig()
    truth = np.asarray(truth, dtype=float)
    start = lecture_start(cfg, data.x.shape[1])
    mle = fit_mle(data.x, data.y, names=data.names).params  # separable data: refused first
    paths = race(data, start, cfg, progress=progress)
    ends = [fitted.params for fitted in paths.fits.values()]
    w0, w1 = grid(truth, include=np.vstack((paths.start, mle, *ends)), size=grid_size)
    x, y = data.x.numpy(), data.y.numpy()
    surfaces = {loss: surface(loss, x, y, w0, w1) for loss in LOSSES}
    return Scene(data=data, race=paths, surfaces=surfaces, truth=truth, mle=mle)


@timed
def run_animation(config: AnimationConfig | None = None, *, progress: bool = False) -> AnimationRun:
    """The `animate` study: the lecture's data, both descents from config.train.init (else
    the lecture's net), the ground.

    Parameters
    ----------
    config : AnimationConfig, optional
        The data, the training, the frames and the grid; AnimationConfig() when None.
    progress : bool, default False
        Draw progress bars.

    Returns
    -------
    AnimationRun
        The settings and the scene the film is drawn from: both paths, the loss surfaces,
        the truth and the MLE.

    Raises
    ------
    ConfigError
        Before any work, when the run cannot fit here or the start or batch size does not
        suit the lecture's data.
    """
    cfg = config or AnimationConfig()
    check_study(cfg)  # ConfigError before any work if it cannot fit
    check_on_lecture_data(cfg.train, cfg.data)
    scene = make_scene(
        simulate_from(cfg.data),
        cfg.data.truth,
        cfg.train,
        grid_size=cfg.grid_size,
        progress=progress,
    )
    return AnimationRun(config=cfg, scene=scene)
