"""Run settings as frozen dataclasses, validated once at the edge.

Every check raises ConfigError with a message saying what is wrong and what is allowed, so the
CLI and the library refuse the same values in the same words. The command line only turns its
text into these dataclasses; nothing is checked anywhere else.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace

from .errors import ConfigError
from .result import LOGIT_LIMIT

LOSSES = ("bce", "mse")
#: "auto" is fused when numba is installed, else eager (see logitlab.engines).
ENGINES = ("auto", "eager", "fused")
LECTURE_INIT_SEED = 43052
DEFAULT_DATA_SEED = 2022
#: A far start where the fitted curve is the truth turned upside down and saturated
#: (u = 12 - 10x >= 2 on [-1, 1]): MSE's gradient is ~1e-4 there, BCE's ~0.6.
PLATEAU_START = (12.0, -10.0)


#: float32's largest finite value (np.finfo(np.float32).max). The engines compute in float32, so
#: every parameter, learning rate and datum must stay within +-FLOAT32_MAX, and so must the
#: logits w0 + x.w they make: one more step and float32 holds only infinity.
FLOAT32_MAX = 3.4028234663852886e38

#: The upper bound of every integer setting, each with its reason:
#: - seeds: torch.manual_seed and torch.Generator.manual_seed take 0 .. 2**64 - 1, but a seed
#:   also travels in int64 NumPy arrays and JSON records, so the common range is int64's.
MAX_SEED = 2**63 - 1
#: - points: 10**7 points are 120 MB of float32 data; the budget (logitlab.budget) refuses
#:   the runs they make too large (the lecture on 10**7 points: ~3 GB and hours of work).
MAX_N = 10**7
#: - epochs: 10**7 full-batch epochs are ~1 min per fit of the lecture's data on the fused
#:   engine, ~1 h on the eager loop, and 240 MB of history per fit; the lecture needs 10**4.
MAX_EPOCHS = 10**7
#: - grid points per axis: 2001 x 2001 = 4 million parameter pairs per landscape, ~16 min
#:   of work each for the lecture's 2000 points; a figure shows a few hundred per axis.
MAX_GRID = 2001
#: - Monte Carlo repetitions: 10**6 draws of the lecture's data would need ~110 GB and ~11 h
#:   (the budget refuses them on most machines); 1000 give the sampling distribution.
MAX_REPS = 10**6
#: - frames: 2000 frames are 100 s of film at 20 fps, ~1.6 GB of frames held for the GIF
#:   and ~4 min of drawing.
MAX_FRAMES = 2000
#: Frames per second of a film: GIF delays are whole hundredths of a second and players
#: slow delays under 0.02 s down to 0.1 s, so above 50 fps a GIF plays slower, not faster;
#: below 0.1 fps (10 s a frame) a film is a slide show.
MIN_FPS, MAX_FPS = 0.1, 50.0
#: - learning rates in one sweep: each is a row of the table and a point of the figure.
MAX_LRS = 1000
#: Any other integer: what an int64 holds (torch and NumPy index with int64).
MAX_INT64 = 2**63 - 1


def bound_text(value: int) -> str:
    """An integer bound as a reader takes it in: 2**63 - 1, 10**7, or the digits."""
    if value >= 2**31 and (value + 1) & value == 0:
        return f"2**{(value + 1).bit_length() - 1} - 1"
    text = str(value)
    if value >= 10**4 and text.rstrip("0") == "1":
        return f"10**{len(text) - 1}"
    return text


def shown(value: object) -> str:
    """repr(value) for a message, cut short when long (a 400-digit integer stays one line)."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:24]}... ({len(text)} characters)"


def listed(values: Sequence[object], most: int = 10) -> str:
    """Values for a message, each shown(): all of them, or the first `most` and how many
    more ('a', 'b' and 98 more), so a list in an error is complete or says it is not."""
    text = ", ".join(shown(v) for v in values[:most])
    return text + (f" and {len(values) - most:,} more" if len(values) > most else "")


def repeated(names: Iterable[str]) -> list[str]:
    """The names given more than once, sorted: one pass, as a table may have 10**5 columns."""
    return sorted(name for name, count in Counter(names).items() if count > 1)


def check_int(name: str, value: object, minimum: int, maximum: int = MAX_INT64) -> int:
    """Return value as int if it is an integer from minimum to maximum, else ConfigError."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or not minimum <= value <= maximum
    ):
        raise ConfigError(
            f"{name} must be an integer from {bound_text(minimum)} to {bound_text(maximum)}, "
            f"got {shown(value)}"
        )
    return int(value)


def check_float(name: str, value: object, *, positive: bool = False) -> float:
    """Return value as float if it is a real number within float32's finite range (and > 0
    when asked): a value float32 cannot hold would be infinity in every computation."""
    allowed = (
        f"a finite number > 0 and <= {FLOAT32_MAX:.8g} (float32's largest)"
        if positive
        else f"a finite number with |{name}| <= {FLOAT32_MAX:.8g} (float32's largest)"
    )
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} must be {allowed}, got {shown(value)}")
    try:
        number = float(value)
    except OverflowError:  # an int or Fraction beyond float64
        number = math.inf
    if not abs(number) <= FLOAT32_MAX or (positive and number <= 0):
        raise ConfigError(f"{name} must be {allowed}, got {shown(value)}")
    return number


def check_logits(
    name: str,
    params: Sequence[float],
    xmax: Sequence[float] = (1.0,),
    limit: float = FLOAT32_MAX,
) -> None:
    """Refuse parameters [w0, w1, ..., wd] whose logits w0 + x.w can pass +-limit on data
    with |x_j| <= xmax[j] (the lecture's x lies in [-1, 1]): the bound |w0| + sum
    |w_j| xmax_j must stay <= limit. FLOAT32_MAX keeps the first forward pass finite;
    result.LOGIT_LIMIT keeps a start point inside the range descent may move in."""
    bound = abs(params[0]) + math.fsum(abs(w) * m for w, m in zip(params[1:], xmax, strict=True))
    if not bound <= limit:
        where = "x in [-1, 1]" if tuple(xmax) == (1.0,) else "this data"
        what = "float32's range" if limit == FLOAT32_MAX else f"+-{limit:g}, where float32 works"
        raise ConfigError(
            f"{name} must keep the logits w0 + w1 x within {what} on {where} "
            f"(|w0| + |w1| max|x| <= {limit:.8g}), got {tuple(params)}"
        )


def check_point(name: str, value: object) -> tuple[float, float]:
    """A start point (w0, w1) of the one-feature parameter space: two numbers whose logits
    w0 + w1 x stay within +-LOGIT_LIMIT for x in [-1, 1] (beyond it a descent has already
    diverged by the rule every engine applies)."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        raise ConfigError(f"{name} must be two numbers w0, w1, got {shown(value)}")
    point = check_float(f"{name} w0", value[0]), check_float(f"{name} w1", value[1])
    check_logits(name, point, limit=LOGIT_LIMIT)
    return point


#: Formats a figure can be saved in: PNG always (the reports embed it), SVG and PDF for slides.
FIGURE_FORMATS = ("png", "svg", "pdf")


def check_formats(value: object) -> tuple[str, ...]:
    """Figure formats from 'png,svg,pdf' or a sequence of names: PNG first, always."""
    names = value.split(",") if isinstance(value, str) else value
    if isinstance(names, bytes) or not isinstance(names, Sequence):
        raise ConfigError(f"figure formats must be some of png, svg, pdf, got {shown(value)}")
    chosen = [str(name).strip().lower() for name in names]
    if not chosen or not set(chosen) <= set(FIGURE_FORMATS):
        raise ConfigError(f"figure formats must be some of png, svg, pdf, got {shown(value)}")
    return tuple(f for f in FIGURE_FORMATS if f == "png" or f in chosen)


def check_loss(name: str, value: object) -> str:
    """Return the loss name if it is one of LOSSES."""
    if value not in LOSSES:
        raise ConfigError(f"{name} must be one of {', '.join(LOSSES)}, got {shown(value)}")
    return str(value)


def check_engine(value: object) -> str:
    """Return the engine name if it is one of ENGINES."""
    if value not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, got {shown(value)}")
    return str(value)


def check_losses(value: object) -> tuple[str, ...]:
    """Accept 'bce', 'mse', 'both' or a sequence of loss names; return a tuple of names."""
    if isinstance(value, str) and value == "both":
        return LOSSES
    try:
        names = (value,) if isinstance(value, str) else tuple(value)  # type: ignore[arg-type]
        known = bool(names) and len(set(names)) == len(names) and set(names) <= set(LOSSES)
    except TypeError:  # not a sequence, or one of unhashable things
        known = False
    if not known:
        raise ConfigError(f"loss must be bce, mse or both, got {shown(value)}")
    return names


def _set(instance: object, name: str, value: object) -> None:
    """Store a validated value on a frozen dataclass."""
    object.__setattr__(instance, name, value)


@dataclass(frozen=True)
class DataConfig:
    """The lecture's simulated data: x = linspace(-1, 1, n), y ~ Bernoulli(sigmoid(w0 + w1 x)).

    Parameters
    ----------
    n : int, default 2000
        The number of points, from 2 to MAX_N.
    w0, w1 : float, default -1.0 and 5.0
        The true intercept and slope; their logits must stay within float32's range.
    seed : int, default DEFAULT_DATA_SEED
        The seed of y's draw, from 0 to MAX_SEED.
    """

    n: int = 2000
    w0: float = -1.0
    w1: float = 5.0
    seed: int = DEFAULT_DATA_SEED

    def __post_init__(self) -> None:
        _set(self, "n", check_int("n", self.n, 2, MAX_N))
        _set(self, "w0", check_float("w0", self.w0))
        _set(self, "w1", check_float("w1", self.w1))
        check_logits("the true w0, w1", self.truth)
        _set(self, "seed", check_int("data seed", self.seed, 0, MAX_SEED))

    @property
    def truth(self) -> tuple[float, float]:
        """The true parameters (w0, w1)."""
        return (self.w0, self.w1)


#: The optimizers every engine runs: the lecture's plain SGD, SGD with momentum (optionally
#: Nesterov's) and Adam, each exactly as torch.optim defines it.
OPTIMIZERS = ("sgd", "momentum", "adam")


def check_optimizer(value: object) -> str:
    """Return the optimizer name if it is one of OPTIMIZERS."""
    if value not in OPTIMIZERS:
        raise ConfigError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {shown(value)}")
    return str(value)


def check_fraction(name: str, value: object) -> float:
    """A decay rate such as momentum or an Adam beta: a number from 0 up to (not incl.) 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ConfigError(f"{name} must be a number from 0 up to (not including) 1, "
                          f"got {shown(value)}")  # fmt: skip
    return float(value)


def check_betas(value: object) -> tuple[float, float]:
    """Adam's (beta1, beta2): two numbers, each from 0 up to (not including) 1."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) != 2:
        raise ConfigError(f"betas must be two numbers beta1, beta2, each from 0 up to "
                          f"(not including) 1, got {shown(value)}")  # fmt: skip
    return check_fraction("beta1", value[0]), check_fraction("beta2", value[1])


def check_batch_size(value: object, n: int | None = None) -> int | None:
    """A mini-batch size: None (the full batch) or an integer from 1 to n, the number of
    points (known at fit time; MAX_N before)."""
    if value is None:
        return None
    top = MAX_N if n is None else n
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= value <= top:
        allowed = bound_text(top) if n is None else f"n, the number of points ({n})"
        raise ConfigError(f"batch size must be an integer from 1 to {allowed} (or None for "
                          f"the full batch), got {shown(value)}")  # fmt: skip
    return int(value)


def check_start(value: object, xmax: Sequence[float] | None = None) -> tuple[float, ...]:
    """A start [w0, w1, ..., wd]: finite numbers, one more than the features, whose logits
    stay within +-LOGIT_LIMIT where the data's largest |x_j| (xmax) are known. Without
    them any length goes and the check waits for the data."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or len(value) < 2:
        raise ConfigError(f"init must be finite numbers w0, w1, ..., got {shown(value)}")
    if xmax is not None and len(value) != len(xmax) + 1:
        raise ConfigError(f"init must hold {len(xmax) + 1} numbers (w0 and one per feature), "
                          f"got {len(value)}")  # fmt: skip
    point = tuple(check_float(f"init w{j}", v) for j, v in enumerate(value))
    if xmax is not None:
        check_logits("init", point, xmax, limit=LOGIT_LIMIT)
    return point


@dataclass(frozen=True)
class TrainConfig:
    """Gradient descent, by default as in the lecture: full-batch SGD, lr 0.05, 10,000 epochs
    from the lecture net's start; and the week-6 settings, with torch.optim's meanings.

    Parameters
    ----------
    loss : {'bce', 'mse'}, default 'bce'
        The loss minimized.
    lr : float, default 0.05
        The step size, above 0.
    epochs : int, default 10000
        Full passes over the data, from 1 to MAX_EPOCHS.
    init_seed : int, default LECTURE_INIT_SEED
        The seed the lecture's net draws its starting weights under.
    engine : {'auto', 'eager', 'fused'}, default 'auto'
        Who computes the descent: torch's loop, the compiled one, or the compiled one when
        Numba is installed.
    tol : float, optional
        Stop once the gradient norm is at most tol; None runs every epoch (the lecture's way).
    optimizer : {'sgd', 'momentum', 'adam'}, default 'sgd'
        How each step is taken.
    momentum : float, default 0.9
        The momentum optimizer's decay, from 0 up to (not including) 1.
    nesterov : bool, default False
        Nesterov's momentum (it needs a momentum above 0).
    betas : (float, float), default (0.9, 0.999)
        Adam's decay rates of the gradient's mean and square.
    eps : float, default 1e-8
        Adam's term that keeps its division finite.
    batch_size : int, optional
        Points per step; None is the full batch (the lecture's loop). At most n, checked at
        fit; mini-batches are drawn as DataLoader(shuffle=True) draws them.
    shuffle_seed : int, default 0
        The seed of the mini-batches' order, torch.Generator().manual_seed(shuffle_seed).
    init : tuple of float, optional
        The start [w0, w1, ...]; None is the lecture net's under init_seed.

    Raises
    ------
    ConfigError
        For a value outside what is allowed, named as the field is.
    """

    loss: str = "bce"
    lr: float = 0.05
    epochs: int = 10_000
    init_seed: int = LECTURE_INIT_SEED
    engine: str = "auto"
    tol: float | None = None
    optimizer: str = "sgd"
    momentum: float = 0.9
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    batch_size: int | None = None
    shuffle_seed: int = 0
    init: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.tol is not None:
            _set(self, "tol", check_float("tol", self.tol, positive=True))
        _set(self, "engine", check_engine(self.engine))
        _set(self, "loss", check_loss("loss", self.loss))
        _set(self, "lr", check_float("lr", self.lr, positive=True))
        _set(self, "epochs", check_int("epochs", self.epochs, 1, MAX_EPOCHS))
        _set(self, "init_seed", check_int("init seed", self.init_seed, 0, MAX_SEED))
        _set(self, "optimizer", check_optimizer(self.optimizer))
        _set(self, "momentum", check_fraction("momentum", self.momentum))
        if not isinstance(self.nesterov, bool):
            raise ConfigError(f"nesterov must be True or False, got {shown(self.nesterov)}")
        if self.nesterov and self.optimizer == "momentum" and self.momentum == 0:
            raise ConfigError("nesterov needs a momentum above 0 (torch.optim.SGD's rule), got 0")
        _set(self, "betas", check_betas(self.betas))
        _set(self, "eps", check_float("eps", self.eps, positive=True))
        _set(self, "batch_size", check_batch_size(self.batch_size))
        _set(self, "shuffle_seed", check_int("shuffle seed", self.shuffle_seed, 0, MAX_SEED))
        if self.init is not None:
            _set(self, "init", check_start(self.init))

    def optimizer_settings(self) -> dict[str, object]:
        """The optimizer and batch settings by name: a record for results files, and the
        keywords of engines.batch.fit_batch.

        Returns
        -------
        dict of str to object
            optimizer, momentum, nesterov, betas, eps, batch_size and shuffle_seed.
        """
        return {name: getattr(self, name) for name in OPTIMIZER_FIELDS}


#: TrainConfig's fields that say how each step is taken (TrainConfig.optimizer_settings).
OPTIMIZER_FIELDS = ("optimizer", "momentum", "nesterov", "betas", "eps", "batch_size",
                    "shuffle_seed")  # fmt: skip


@dataclass(frozen=True)
class LectureConfig:
    """Everything `logitlab lecture` needs: the data, and one training run per loss, each
    with the settings of the `training` template (its own loss is replaced per run).

    Parameters
    ----------
    data : DataConfig, default DataConfig()
        The simulated data.
    losses : tuple of str, default ('bce', 'mse')
        The losses trained, one run each ('both' is accepted for the two).
    training : TrainConfig, default TrainConfig()
        The training template.
    """

    data: DataConfig = field(default_factory=DataConfig)
    losses: tuple[str, ...] = LOSSES
    training: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        _set(self, "losses", check_losses(self.losses))
        if not isinstance(self.training, TrainConfig):
            raise ConfigError(f"training must be a TrainConfig, got {shown(self.training)}")

    def train(self, loss: str) -> TrainConfig:
        """The training settings for one loss.

        Parameters
        ----------
        loss : {'bce', 'mse'}
            The loss that replaces the template's.

        Returns
        -------
        TrainConfig
            The template with that loss.
        """
        return replace(self.training, loss=loss)

    # Read-through views of the template, for the studies that read them by these names.
    @property
    def lr(self) -> float:
        """The template's step size."""
        return self.training.lr

    @property
    def epochs(self) -> int:
        """The template's epochs."""
        return self.training.epochs

    @property
    def init_seed(self) -> int:
        """The template's seed of the initial net."""
        return self.training.init_seed

    @property
    def engine(self) -> str:
        """The template's engine."""
        return self.training.engine

    @property
    def tol(self) -> float | None:
        """The template's gradient-norm tolerance (None: every epoch runs)."""
        return self.training.tol


@dataclass(frozen=True)
class LandscapeConfig:
    """Why BCE and not MSE: both losses from the lecture's start and from a far plateau start,
    over a grid of grid_size x grid_size parameter values.

    Parameters
    ----------
    data : DataConfig, default DataConfig()
        The simulated data.
    train : TrainConfig, default TrainConfig()
        The training settings of every path.
    plateau_start : (float, float), default PLATEAU_START
        The far start (w0, w1), where the sigmoid saturates.
    grid_size : int, default 121
        Points per side of the loss surfaces' grid, from 3 to MAX_GRID.
    """

    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    plateau_start: tuple[float, float] = PLATEAU_START
    grid_size: int = 121

    def __post_init__(self) -> None:
        _set(self, "plateau_start", check_point("plateau start", self.plateau_start))
        _set(self, "grid_size", check_int("grid size", self.grid_size, 3, MAX_GRID))


@dataclass(frozen=True)
class AnimationConfig:
    """A film of both losses' descents from train.init (None: the lecture's initial net).

    Parameters
    ----------
    data : DataConfig, default DataConfig()
        The simulated data.
    train : TrainConfig, default TrainConfig()
        The training settings; its init, if any, a point (w0, w1) of the lecture's plane.
    frames : int, default 120
        The film's frames, from 2 to epochs + 1.
    fps : float, default 20.0
        Frames per second, from MIN_FPS to MAX_FPS (what GIF players show faithfully).
    grid_size : int, default 61
        Points per side of the ground's grid, from 3 to MAX_GRID.
    """

    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    frames: int = 120
    fps: float = 20.0
    grid_size: int = 61

    def __post_init__(self) -> None:
        if self.train.init is not None:  # the film's one start: a point of the lecture's plane
            check_point("start", self.train.init)
        _set(self, "frames", check_int("frames", self.frames, 2, MAX_FRAMES))
        if self.frames > self.train.epochs + 1:
            raise ConfigError(
                f"frames must be at most epochs + 1 ({self.train.epochs + 1}), got {self.frames}"
            )
        fps = check_float("fps", self.fps, positive=True)
        if not MIN_FPS <= fps <= MAX_FPS:
            raise ConfigError(
                f"fps must be from {MIN_FPS:g} to {MAX_FPS:g} (what GIF players show faithfully), "
                f"got {shown(self.fps)}"
            )
        _set(self, "fps", fps)
        _set(self, "grid_size", check_int("grid size", self.grid_size, 3, MAX_GRID))


def _sweep_list(value: object, name: str, plural: str) -> list:
    """One value or a list/tuple of 1 to MAX_LRS values to sweep over."""
    items = list(value) if isinstance(value, list | tuple) else [value]
    if not 1 <= len(items) <= MAX_LRS:
        raise ConfigError(f"{name} list must hold 1 to {MAX_LRS} {plural}, got {len(items)}")
    return items


@dataclass(frozen=True)
class SweepConfig:
    """The lecture's data and training settings, with one fit per optimizer, batch size, lr
    and loss.

    Parameters
    ----------
    lecture : LectureConfig, default LectureConfig()
        The data, the losses and the training template.
    lrs : tuple of float, default (0.01, 0.05, 0.1, 0.5, 1.0)
        The step sizes, 1 to MAX_LRS of them.
    optimizers : tuple of str, optional
        The optimizers; None: the training template's own only.
    batch_sizes : tuple of int or None, optional
        The mini-batch sizes (None in it: the full batch); None: the template's own only.
    """

    lecture: LectureConfig = field(default_factory=LectureConfig)
    lrs: tuple[float, ...] = (0.01, 0.05, 0.1, 0.5, 1.0)
    optimizers: tuple[str, ...] | None = None
    batch_sizes: tuple[int | None, ...] | None = None

    def __post_init__(self) -> None:
        train, n = self.lecture.training, self.lecture.data.n
        lrs = _sweep_list(self.lrs, "lr", "learning rates")
        _set(self, "lrs", tuple(check_float("lr", v, positive=True) for v in lrs))
        chosen = (train.optimizer,) if self.optimizers is None else self.optimizers
        optimizers = _sweep_list(chosen, "optimizer", "optimizers")
        _set(self, "optimizers", tuple(check_optimizer(v) for v in optimizers))
        chosen = (train.batch_size,) if self.batch_sizes is None else self.batch_sizes
        sizes = _sweep_list(chosen, "batch size", "batch sizes")
        _set(self, "batch_sizes", tuple(check_batch_size(v, n) for v in sizes))


@dataclass(frozen=True)
class MonteCarloConfig:
    """`reps` data sets drawn like the lecture's (data seed + r for rep r), each fitted with
    every loss under the lecture's training settings.

    Parameters
    ----------
    lecture : LectureConfig, default LectureConfig()
        The data (its seed the first rep's), the losses and the training settings.
    reps : int, default 1000
        The number of data sets, from 1 to MAX_REPS.
    """

    lecture: LectureConfig = field(default_factory=LectureConfig)
    reps: int = 1000

    def __post_init__(self) -> None:
        _set(self, "reps", check_int("reps", self.reps, 1, MAX_REPS))
        last = self.data_seed(self.reps - 1)
        if last > MAX_SEED:
            raise ConfigError(
                f"data seed + reps - 1 (the seed of the last rep) must be at most "
                f"{bound_text(MAX_SEED)}, got {last}"
            )

    def data_seed(self, rep: int) -> int:
        """The data seed of rep `rep`: the base seed plus the rep number.

        Parameters
        ----------
        rep : int
            The rep, from 0.

        Returns
        -------
        int
            Its seed.
        """
        return self.lecture.data.seed + rep


#: Seeds of a held-out split: what scikit-learn's random_state takes (a NumPy RandomState seed).
MAX_SPLIT_SEED = 2**32 - 1


def check_test_size(value: object) -> float:
    """The share of rows held out: a number strictly between 0 and 1."""
    size = check_float("test size", value)
    if not 0 < size < 1:
        raise ConfigError(f"test size must be a share between 0 and 1 (exclusive), "
                          f"got {shown(value)}")  # fmt: skip
    return size


def check_threshold(value: object) -> float:
    """The probability above which a row is predicted 1: strictly between 0 and 1, since at
    0 or 1 every row (or none) would be, whatever the model says."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ConfigError(f"threshold must be a probability between 0 and 1 (exclusive), "
                          f"got {shown(value)}")  # fmt: skip
    return float(value)


#: The digits images' side: 8 x 8 pixels (scikit-learn's digits).
DIGITS_SIDE = 8
#: The digits study's two choices of classes: 3 against 7 (the course's first step, the
#: default) or all ten digits with softmax (its next).
DIGITS_PAIR, DIGITS_ALL = "3,7", "all"


@dataclass(frozen=True)
class DigitsConfig:
    """`logitlab digits`: Adam on mini-batches of the training images, scored on held-out ones.

    Defaults: lr 0.01 (torch's Adam default 0.001 needs ~400 epochs to separate the training
    images, 0.01 ~25, larger only grows the weights faster), batches of 32 (the course's), 100
    epochs (the training loss is below 0.01 by then; more only grow the weights), a quarter
    of the images held out. classes is "3,7" (3 against 7, the course's first step) or "all"
    (the ten digits, softmax regression with the same optimizer, batches and split).
    """

    epochs: int = 100
    lr: float = 0.01
    batch_size: int = 32
    shuffle_seed: int = 0
    split_seed: int = 0
    test_size: float = 0.25
    engine: str = "auto"
    classes: str = DIGITS_PAIR

    def __post_init__(self) -> None:
        _set(self, "classes", check_digit_classes(self.classes))
        _set(self, "test_size", check_test_size(self.test_size))
        _set(self, "split_seed", check_int("split seed", self.split_seed, 0, MAX_SPLIT_SEED))
        self.train()  # lr, epochs, batch size, shuffle seed and engine, in TrainConfig's words

    @property
    def ten(self) -> bool:
        """Whether the study is the ten digits (softmax) rather than 3 against 7."""
        return self.classes == DIGITS_ALL

    def train(self) -> TrainConfig:
        """The training settings: cross-entropy from logits with Adam on mini-batches. 3
        against 7 starts from all-zero weights (pixels blank in every training image get no
        gradient and keep their start: 0 shows them as what they are, no vote); the ten
        digits from torch's Linear(64, 10) drawn under the lecture's init seed, as the
        softmax engine builds it."""
        zero = None if self.ten else (0.0,) * (DIGITS_SIDE * DIGITS_SIDE + 1)
        return TrainConfig(
            loss="bce",
            lr=self.lr,
            epochs=self.epochs,
            engine=self.engine,
            optimizer="adam",
            batch_size=self.batch_size,
            shuffle_seed=self.shuffle_seed,
            init=zero,
        )


def check_digit_classes(value: object) -> str:
    """The digits study's classes: "3,7" (spaces allowed) or "all"."""
    text = value.replace(" ", "").lower() if isinstance(value, str) else None
    if text not in (DIGITS_PAIR, DIGITS_ALL):
        raise ConfigError(f"classes must be {DIGITS_PAIR} (3 against 7) or {DIGITS_ALL} (the ten "
                          f"digits), got {shown(value)}")  # fmt: skip
    return text


# The `optimizers` study (does Adam rescue MSE?): its fixed design.
#: The course's draw of the data: torch.manual_seed(1).
COURSE_DATA_SEED = 1
#: The course's starts (w0, w1): near the answer, and far out on MSE's plateau.
STARTS = ((-3.0, -1.0), (-10.0, -1.0))
#: The optimizers compared, the lecture's first.
STUDY_OPTIMIZERS = ("sgd", "adam")
#: The optimizer of the mini-batch comparison: the one that moves both losses.
BATCH_OPTIMIZER = "adam"
BATCH_SIZES = (1024, 256, 32)
#: At most this many starts and batch sizes: each is a line style or a curve of a figure.
MAX_STARTS, MAX_BATCH_SIZES = 4, 6
#: Timing: the fastest of TIMING_REPEATS runs counts (fewer once they took TIMING_SECONDS);
#: the epochs timed grow until they take TIMING_WORK seconds more than a one-epoch fit, or
#: reach TIMING_EPOCHS (a 2,000-point compiled epoch takes ~2 microseconds). The budget
#: counts this work too.
TIMING_REPEATS, TIMING_SECONDS, TIMING_WORK, TIMING_EPOCHS = 3, 1.0, 0.05, 2**20


@dataclass(frozen=True)
class OptimizersConfig:
    """The `optimizers` study: the data, the starts, one lr and epoch count for every descent,
    the mini-batch sizes compared with the full batch, and the films' frames and fps."""

    data: DataConfig = field(default_factory=lambda: DataConfig(seed=COURSE_DATA_SEED))
    starts: tuple[tuple[float, float], ...] = STARTS
    lr: float = 0.05
    epochs: int = 1000
    engine: str = "auto"
    batch_sizes: tuple[int, ...] = BATCH_SIZES
    shuffle_seed: int = 0
    frames: int = 80
    fps: float = 20.0
    grid_size: int = 81

    def __post_init__(self) -> None:
        starts = self.starts
        if isinstance(starts, str | bytes) or not isinstance(starts, tuple | list):
            raise ConfigError(f"starts must be 1 to {MAX_STARTS} points (w0, w1), "
                              f"got {shown(starts)}")  # fmt: skip
        if not 1 <= len(starts) <= MAX_STARTS:
            raise ConfigError(f"starts must be 1 to {MAX_STARTS} points (w0, w1), "
                              f"got {len(starts)}")  # fmt: skip
        _set(self, "starts", tuple(check_point("start", s) for s in starts))
        sizes = self.batch_sizes
        sizes = tuple(sizes) if isinstance(sizes, tuple | list) else (sizes,)
        if len(sizes) > MAX_BATCH_SIZES:
            raise ConfigError(f"batch sizes must be at most {MAX_BATCH_SIZES}, got {len(sizes)}")
        sizes = tuple(check_int("batch size", b, 1, self.data.n) for b in sizes)
        if len(set(sizes)) != len(sizes):
            raise ConfigError(f"batch sizes must differ, got {shown(sizes)}")
        _set(self, "batch_sizes", sizes)
        for optimizer in STUDY_OPTIMIZERS:  # lr, epochs, engine, the optimizers: their checks
            self.train("bce", optimizer)
        for size in sizes:
            self.train("bce", BATCH_OPTIMIZER, batch_size=size)
        self.film()  # frames (<= epochs + 1), fps and grid size, as `animate` checks them
        _set(self, "fps", float(self.fps))

    def train(
        self,
        loss: str,
        optimizer: str,
        start: tuple[float, float] | None = None,
        batch_size: int | None = None,
    ) -> TrainConfig:
        """The settings of one descent from `start` (batch_size None: the full batch)."""
        return TrainConfig(
            loss=loss,
            lr=self.lr,
            epochs=self.epochs,
            engine=self.engine,
            optimizer=optimizer,
            batch_size=batch_size,
            shuffle_seed=self.shuffle_seed,
            init=start,
        )

    def film(self, optimizer: str = STUDY_OPTIMIZERS[0]) -> AnimationConfig:
        """The film of both losses under `optimizer` from the last (far) start."""
        return AnimationConfig(
            data=self.data,
            train=self.train("bce", optimizer, self.far_start),
            frames=self.frames,
            fps=self.fps,
            grid_size=self.grid_size,
        )

    @property
    def far_start(self) -> tuple[float, float]:
        """The start of the films and of the mini-batch comparison: the last one."""
        return self.starts[-1]


# A fit of a table (`logitlab fit`, studies.fit.fit_table, studies.sharded.fit_shards).
#: A categorical column with more levels than this is refused by default: each level is a
#: column of the design, and hundreds of them usually mean an identifier, not a factor.
DEFAULT_MAX_LEVELS = 50
#: Epochs of a table's descents unless told otherwise: the lecture's.
TABLE_EPOCHS = 10_000


@dataclass(frozen=True)
class ModelOptions:
    """The model of a table. The one field set of data.design.build_design,
    data.shards.agree_design and the fits, which check them against the table (in the words
    of the command line's flags).

    Parameters
    ----------
    formula : str, optional
        "y ~ a + C(b)", the target on the left; or None and target and features.
    target : str, optional
        The target column, without a formula.
    features : sequence of str, optional
        The feature columns, without a formula; None: every other column.
    positive : object, optional
        The target's success value; None: the larger of its two values.
    missing : {'drop', 'error'}, default 'drop'
        The rule for rows with a missing value in a used column.
    max_levels : int, default DEFAULT_MAX_LEVELS
        The most levels a categorical column may have.
    weights : str, optional
        A column of frequency weights: each row counts as that many (Stata's fweight).
    trials : str, optional
        A column of binomial trials: the target then counts successes out of them (R's
        cbind(successes, failures)).
    baseline : object, optional
        A target of three values or more: the class each equation is against (None: the
        first in sorted order).
    """

    formula: str | None = None
    target: str | None = None
    features: Sequence[str] | None = None
    positive: object = None
    missing: str = "drop"
    max_levels: int = DEFAULT_MAX_LEVELS
    weights: str | None = None
    trials: str | None = None
    #: A target of three values or more: the class each equation is against (None: the
    #: first in sorted order); checked against the target's values by the fit.
    baseline: object = None

    def __post_init__(self) -> None:
        """Everything a model's options can be told apart from the table (ConfigError, in
        the words the command line has always used); data.formula.formula_text checks the
        rest against the table's columns."""
        if self.formula is not None:
            if self.target is not None or self.features is not None:
                raise ConfigError("give either a formula or a target (and features), not both")
            if not isinstance(self.formula, str) or not self.formula.strip():
                raise ConfigError(
                    f"formula must be a text like 'y ~ a + b', got {shown(self.formula)}"
                )
        if self.target is not None and not isinstance(self.target, str):
            raise ConfigError(f"target must be a column name, got {shown(self.target)}")
        if self.features is not None:
            _set(self, "features", check_features(self.features, self.target))
        _set(self, "missing", check_missing(self.missing))
        _set(self, "max_levels", check_int("max_levels", self.max_levels, 1, MAX_INT64))
        for name in ("weights", "trials"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ConfigError(f"{name} must name a column of the table, got {shown(value)}")
        if self.baseline is not None and (self.positive is not None or self.trials is not None):
            raise ConfigError(
                "baseline is the reference class of a target of three values or more; "
                "positive and trials are a two-class target's: give one or the other"
            )
        if self.weights is not None and self.trials is not None:
            raise ConfigError(
                f"weights ({self.weights!r}) and trials ({self.trials!r}) cannot be combined: "
                "give grouped rows their trials, or 0/1 rows their frequencies"
            )

    @classmethod
    def of(cls, model: ModelOptions | None = None, **options: object) -> ModelOptions:
        """`model` (default ModelOptions()) with the options named replaced: how a call's
        keywords (build_design(frame, target="y")) become the model.

        Parameters
        ----------
        model : ModelOptions, optional
            The model the options replace fields of.
        **options
            Keywords named as ModelOptions' fields.

        Returns
        -------
        ModelOptions
            The model with the options.
        """
        return replace(cls() if model is None else model, **options)


#: How rows with a missing value in a used column are treated.
MISSING = ("drop", "error")


def check_missing(missing: object) -> str:
    """A rule for rows with a missing value in a used column: one of MISSING."""
    if missing not in MISSING:
        raise ConfigError(f"missing must be one of {', '.join(MISSING)}, got {shown(missing)}")
    return str(missing)


def check_features(features: object, target: str | None) -> tuple[str, ...]:
    """One or more column names (a single name as text), each once and none the target."""
    names = (features,) if isinstance(features, str) else features
    try:
        names = tuple(names)  # type: ignore[arg-type]
    except TypeError:
        names = ()
    if not names or not all(isinstance(name, str) for name in names):
        raise ConfigError(f"features must be one or more column names, got {shown(features)}")
    if target in names:
        raise ConfigError(f"the target {target!r} cannot also be a feature")
    twice = repeated(names)
    if twice:
        raise ConfigError(f"features name {', '.join(twice)} more than once")
    return names


def check_lr_rule(value: object) -> float | str:
    """A table's descent step: "auto" (1 / L, see studies.fit.resolve_lr) or a number > 0."""
    if isinstance(value, str):
        if value != "auto":
            raise ConfigError(f"lr must be a number > 0 or 'auto', got {shown(value)}")
        return value
    return check_float("lr", value, positive=True)


#: The covariances of a fit's estimate (stats.sandwich has their formulas); a clustered one
#: is written cluster:COLUMN.
COV_TYPES = ("nonrobust", "robust", "hc0", "hc1", "hc2", "hc3", "cluster")


def check_cov(value: object) -> str:
    """A covariance type: one of COV_TYPES but cluster (case aside), or cluster:COLUMN with
    a column name; returned lower-case, the column as given."""
    text = value.strip() if isinstance(value, str) else ""
    kind, colon, column = text.partition(":")
    kind = kind.strip().lower()
    if kind == "cluster" and colon and column.strip():
        return f"cluster:{column.strip()}"
    if kind in COV_TYPES and kind != "cluster" and not colon:
        return kind
    raise ConfigError(
        f"cov must be one of {', '.join(COV_TYPES[:-1])} or cluster:COLUMN (a column of the "
        f"table naming each row's cluster), got {shown(value)}"
    )


def check_conf_level(value: object) -> float:
    """The confidence level of every interval: a number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ConfigError(f"conf level must be a number between 0 and 1 (exclusive), such as "
                          f"0.95, got {shown(value)}")  # fmt: skip
    return float(value)


#: The penalties of a penalized fit (stats.penalized) and each one's l1 ratio (elasticnet's
#: default, glmnet's mixing alpha, is 0.5); cv.glmnet's default number of folds.
L1_RATIOS = {"l2": 0.0, "l1": 1.0, "elasticnet": 0.5}
DEFAULT_FOLDS = 10


def check_l1_ratio(value: object) -> float:
    """An elastic net's mix: a number in [0, 1] (stats.penalized.check_penalty's too)."""
    ratio = check_float("l1 ratio", value)
    if not 0.0 <= ratio <= 1.0:
        raise ConfigError(f"l1 ratio must be between 0 and 1, got {ratio:g}")
    return ratio


def check_lambda(value: object) -> float | str:
    """A penalty's lambda: a number >= 0, or "cv" (chosen by cross-validation)."""
    if value == "cv":
        return "cv"
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ConfigError(f"lambda must be a number >= 0 or cv, got {shown(value)}")
    return float(value)


@dataclass(frozen=True)
class FitSettings:
    """One fit of a table, whole. Built once where a run starts (the command line,
    fit_table's keywords, the playground) and handed down.

    Parameters
    ----------
    model : ModelOptions, default ModelOptions()
        The formula or target and features, and how the table is coded.
    test_size : float, optional
        The share of rows held out, between 0 and 1; None: none.
    split_seed : int, default 0
        The seed of the held-out split.
    losses : tuple of str, default ('bce',)
        The losses of the descents beside the MLE; () for none.
    train : TrainConfig, default TrainConfig(epochs=TABLE_EPOCHS)
        The descents' settings.
    lr : float or 'auto', default 'auto'
        The descents' step: a number above 0, or 'auto' (1 / L, see studies.fit.resolve_lr).
    chunk_rows : int, optional
        For a table read in shares, the rows read at a time; None: the reader's default.
    workers : int, default 1
        For a table read in shares, the local workers.
    threshold : float, default 0.5
        A row is predicted 1 when its probability is above it; between 0 and 1.
    cov : str, default 'nonrobust'
        The covariance of the MLE: one of COV_TYPES, or 'cluster:COLUMN'.
    conf_level : float, default 0.95
        The level of every interval.
    firth : bool, default False
        Firth's penalized likelihood instead of the MLE (stats.firth).
    penalty : {'l2', 'l1', 'elasticnet'}, optional
        A penalized fit instead of the MLE (stats.penalized); None: none.
    lam : float or 'cv', optional
        The penalty's lambda, a number >= 0, or 'cv': chosen by cross-validation.
    l1_ratio : float, optional
        Elastic net's mixing, in [0, 1] (default 0.5, glmnet's alpha).
    folds : int, default DEFAULT_FOLDS
        The cross-validation's folds (cv.glmnet's default, 10).
    """

    model: ModelOptions = field(default_factory=ModelOptions)
    test_size: float | None = None
    split_seed: int = 0
    losses: tuple[str, ...] = ("bce",)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=TABLE_EPOCHS))
    lr: float | str = "auto"
    chunk_rows: int | None = None
    workers: int = 1
    threshold: float = 0.5
    cov: str = "nonrobust"
    conf_level: float = 0.95
    firth: bool = False
    penalty: str | None = None
    lam: float | str | None = None
    l1_ratio: float | None = None
    folds: int = DEFAULT_FOLDS

    def __post_init__(self) -> None:
        if not isinstance(self.model, ModelOptions):
            raise ConfigError(f"model must be a ModelOptions, got {shown(self.model)}")
        if self.test_size is not None:
            _set(self, "test_size", check_test_size(self.test_size))
        _set(self, "split_seed", check_int("split seed", self.split_seed, 0, MAX_SPLIT_SEED))
        _set(self, "losses", check_losses(self.losses) if self.losses != () else ())
        if not isinstance(self.train, TrainConfig):
            raise ConfigError(f"train must be a TrainConfig, got {type(self.train).__name__}")
        _set(self, "lr", check_lr_rule(self.lr))
        if self.chunk_rows is not None:
            _set(self, "chunk_rows", check_int("chunk_rows", self.chunk_rows, 1, MAX_INT64))
        _set(self, "workers", check_int("workers", self.workers, 1, MAX_INT64))
        _set(self, "threshold", check_threshold(self.threshold))
        _set(self, "cov", check_cov(self.cov))
        _set(self, "conf_level", check_conf_level(self.conf_level))
        self._check_counted()
        self._check_firth()
        self._check_penalty()

    def _check_penalty(self) -> None:
        """A penalty (L1_RATIOS) with its lambda (a number >= 0 or cv), the l1 ratio only for
        elasticnet, in [0, 1]; weights and trials counted; in shares at a given lambda only;
        no other inference (ConfigError naming what is refused)."""
        _set(self, "folds", check_int("folds", self.folds, 2, MAX_INT64))
        if self.penalty is None:
            for name, value in (("lambda", self.lam), ("l1 ratio", self.l1_ratio)):
                if value is not None:
                    raise ConfigError(f"{name} {shown(value)} needs a penalty (one of "
                                      f"{', '.join(L1_RATIOS)})")  # fmt: skip
            return
        if self.penalty not in L1_RATIOS:
            raise ConfigError(f"penalty must be one of {', '.join(L1_RATIOS)}, got "
                              f"{shown(self.penalty)}")  # fmt: skip
        if self.lam is None:
            raise ConfigError(f"the {self.penalty} penalty needs a lambda (a number >= 0, or "
                              "cv to choose it by cross-validation)")  # fmt: skip
        _set(self, "lam", check_lambda(self.lam))
        if self.l1_ratio is not None:
            if self.penalty != "elasticnet":
                raise ConfigError(f"l1 ratio is elasticnet's mix; the {self.penalty} penalty "
                                  f"has its own ({L1_RATIOS[self.penalty]:g})")  # fmt: skip
            _set(self, "l1_ratio", check_l1_ratio(self.l1_ratio))
        refused = [
            (self.firth, "Firth's penalized likelihood (firth): two penalties at once"),
            (self.lam == "cv" and (self.chunk_rows is not None or self.workers > 1),
             "lambda cv in shares (chunk rows, workers): cross-validation fits the path of "
             "100 lambdas once per fold and once on every row, some 4,000 passes over the "
             "shares; give lambda a number (chosen, say, by cv on a sample read in memory)"),
            (self.cov != "nonrobust",
             f"the {self.cov} covariance: a penalized estimate has no honest standard errors"),
        ]  # fmt: skip
        for on, why in refused:
            if on:
                raise ConfigError(f"the {self.penalty} penalty cannot be combined with {why}")

    @property
    def l1_mix(self) -> float:
        """The penalty's l1 ratio: the one given (elasticnet) or the penalty's own."""
        return L1_RATIOS[self.penalty] if self.l1_ratio is None else self.l1_ratio

    def _check_firth(self) -> None:
        """Firth's fit takes rows (weighted or grouped too), in memory or in shares, with its
        own inference: refuse what it cannot take (ConfigError naming it)."""
        if not isinstance(self.firth, bool):
            raise ConfigError(f"firth must be True or False, got {shown(self.firth)}")
        if not self.firth:
            return
        if self.cov != "nonrobust":
            raise ConfigError(
                f"Firth's penalized likelihood (firth) cannot take the {self.cov} covariance: "
                "its standard errors are logistf's, from the augmented data's information, "
                "and its intervals profile the penalized likelihood; drop one of the two"
            )

    def _check_counted(self) -> None:
        """Rows that stand for many (weights, trials) are fitted whole, in memory or in
        shares (each pass counts them): a split takes rows one by one (ConfigError); the
        sandwich covariances count them (stats.sandwich)."""
        model = self.model
        column = model.weights or model.trials
        if column is not None and self.test_size is not None:
            raise ConfigError(
                f"{'weights' if model.weights else 'trials'} ({column!r}) make each row stand "
                f"for many, which a held-out split (test size {self.test_size}) cannot take "
                "yet; fit the table whole"
            )

    @property
    def cov_type(self) -> str:
        """The covariance's type: cov without its cluster column."""
        return self.cov.partition(":")[0]

    @property
    def cluster(self) -> str | None:
        """The column naming each row's cluster (cov cluster:COLUMN), else None."""
        return self.cov.partition(":")[2] or None

    @classmethod
    def of(cls, settings: FitSettings | None = None, **keywords: object) -> FitSettings:
        """`settings` (default FitSettings()) with keywords replacing its fields, a model
        option's (formula, target, ...) in its model: the one place a library call's
        keywords (fit_table(frame, formula=...)) become settings.

        Parameters
        ----------
        settings : FitSettings, optional
            The settings the keywords replace fields of.
        **keywords
            Keywords named as FitSettings' or ModelOptions' fields; train=None is the
            default descent.

        Returns
        -------
        FitSettings
            The settings, validated.

        Raises
        ------
        ConfigError
            When settings is not a FitSettings, or a value is not allowed.
        TypeError
            For a keyword that names no field.
        """
        base = cls() if settings is None else settings
        if not isinstance(base, FitSettings):
            raise ConfigError(f"settings must be a FitSettings, got {type(base).__name__}")
        model = {k: keywords.pop(k) for k in MODEL_FIELDS & keywords.keys()}
        for name in sorted(keywords.keys() - {f.name for f in fields(cls)}):
            raise TypeError(f"unexpected keyword argument {name!r}")
        if model:
            keywords["model"] = ModelOptions.of(keywords.get("model", base.model), **model)
        if keywords.get("train", base.train) is None:  # None: the default descent
            keywords["train"] = cls().train
        return replace(base, **keywords)


#: ModelOptions' field names: the keywords of a fit that go to its model.
MODEL_FIELDS = frozenset(f.name for f in fields(ModelOptions))


@dataclass(frozen=True)
class CompareSettings:
    """A comparison of models of one table (`logitlab compare`, studies.compare): two or
    more `formulas` sharing one target, fitted on the same rows, each with the `model`'s
    other options (positive, missing, max_levels, weights, trials; its formula unused)."""

    formulas: tuple[str, ...]
    model: ModelOptions = field(default_factory=ModelOptions)

    def __post_init__(self) -> None:
        formulas = (self.formulas,) if isinstance(self.formulas, str) else self.formulas
        try:
            formulas = tuple(formulas)
        except TypeError:
            formulas = ()
        if len(formulas) < 2:
            raise ConfigError(f"a comparison needs two formulas or more, got {shown(formulas)}")
        for formula in formulas:
            if not isinstance(formula, str) or "~" not in formula:
                raise ConfigError(f"each formula must be a text like 'y ~ a + b', got "
                                  f"{shown(formula)}")  # fmt: skip
        if not isinstance(self.model, ModelOptions):
            raise ConfigError(f"model must be a ModelOptions, got {shown(self.model)}")
        if self.model.formula is not None or self.model.target is not None:
            raise ConfigError("the formulas name the models: give the model options no "
                              "formula or target of their own")  # fmt: skip
        _set(self, "formulas", tuple(f.strip() for f in formulas))
