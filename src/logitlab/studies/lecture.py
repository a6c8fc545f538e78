"""The week-5 lecture as one function: simulate, build the net, train once per loss."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from ..budget import check_study
from ..config import LectureConfig
from ..data import Dataset, simulate_from
from ..engines import fit
from ..errors import SeparationError
from ..model import flat_params, lecture_net, set_params
from ..result import INTERCEPT, FitResult
from .timing import timed
from .training import check_on_lecture_data
from .why import WhyNotMSE, analyse

#: Landscape grid of the lecture's why-not-MSE figures: modest, to keep the run short.
WHY_GRID = 41


@dataclass(frozen=True)
class LectureRun:
    """Everything the lecture produces: its settings, data, untrained net (at the start of
    every fit) and the fits."""

    config: LectureConfig
    data: Dataset
    net: torch.nn.Sequential
    fits: dict[str, FitResult]
    #: The MLE and the BCE-versus-MSE analysis; None (with the reason) if the MLE does not exist.
    why: WhyNotMSE | None = None
    why_missing: str = ""
    #: wall time of the run that made this record
    seconds: float = 0.0

    @property
    def true_params(self) -> np.ndarray:
        return np.array(self.config.data.truth)

    @property
    def init_params(self) -> np.ndarray:
        return flat_params(self.net).double().numpy()

    def __repr__(self) -> str:
        """One line, not the data: the points, the truth, and where each fit landed."""
        from ..display import numbers

        fits = ", ".join(f"{loss}: {numbers(fit.params)} {fit.convergence.verdict}"
                         for loss, fit in self.fits.items())  # fmt: skip
        return (f"LectureRun({self.data.n:,} points, truth {numbers(self.true_params)}, "
                f"{fits}, {self.seconds:.2f} s)")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: each fit and the MLE beside the truth."""
        from ..display import html

        return html("lecture.html", run=self, names=(INTERCEPT, *self.data.names))


@timed
def run_lecture(config: LectureConfig | None = None, *, progress: bool = False) -> LectureRun:
    """Run the lecture: every loss starts from the same net, initialised under init_seed
    (or at the training template's init), and trains with the template's optimizer.

    Parameters
    ----------
    config : LectureConfig, optional
        The data, the losses and the training template; LectureConfig() when None.
    progress : bool, default False
        Draw progress bars.

    Returns
    -------
    LectureRun
        The settings, the data, the untrained net, one fit per loss and the BCE-versus-MSE
        analysis (None, with the reason, when the MLE does not exist).

    Raises
    ------
    ConfigError
        Before any work, when the run cannot fit here or the start or batch size does not
        suit the lecture's data.
    DivergenceError
        When a loss's descent diverges.
    """
    cfg = config or LectureConfig()
    check_study(cfg)  # ConfigError before any work if it cannot fit
    check_on_lecture_data(cfg.training, cfg.data)
    stages = tqdm(total=2, desc="lecture: fits", unit="stage", disable=not progress)
    data = simulate_from(cfg.data)
    fits = {
        loss: fit(data.x, data.y, cfg.train(loss), names=data.names, progress=progress)
        for loss in cfg.losses
    }
    stages.update()
    stages.set_description("lecture: maximum likelihood and landscapes")
    try:
        why = analyse(data, cfg.data.truth, cfg.train("bce"), grid_size=WHY_GRID, fits=fits)
        missing = ""
    except SeparationError as exc:
        why, missing = None, str(exc)
    stages.update()
    stages.close()
    net = lecture_net(cfg.init_seed)
    if cfg.training.init is not None:
        set_params(net, np.asarray(cfg.training.init))
    return LectureRun(
        config=cfg,
        data=data,
        net=net,
        fits=fits,
        why=why,
        why_missing=missing,
    )
