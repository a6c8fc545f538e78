"""What a run will cost, worked out from its settings before any work starts.

An estimate adds up the memory of a run's parts (bytes; a little above the real peak, as not
every part is held at once) and the work it does (seconds), from a few per-unit costs below,
measured on the machine this package was built on (2 shared cores): rough, so every message
says "~", and tested against measured runs (tests/test_budget.py). Where it is simple it is
exact: the history a fit keeps (history_bytes) is, per recorded epoch, the loss, the
gradient norm and the d + 1 parameters in float64, and the final parameters.

check() refuses a run (ConfigError) that needs more memory than MEMORY_FRACTION of the
memory available now — MemAvailable in /proc/meminfo, what can be had without swapping;
half the physical memory where that file does not exist — or more time than MAX_SECONDS.
The CLI prints the estimate of a long run (LONG_SECONDS, LONG_BYTES) before starting.
A fit on a table is estimated from what its file holds (data.tables.table_size) and the
width of its design (a column per level), before the file is read or the design coded.

Light on purpose: no torch, no NumPy, so a refusal comes before any heavy import.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .config import (
    DIGITS_SIDE,
    LOSSES,
    STUDY_OPTIMIZERS,
    TIMING_REPEATS,
    TIMING_WORK,
    AnimationConfig,
    DigitsConfig,
    LandscapeConfig,
    LectureConfig,
    MonteCarloConfig,
    OptimizersConfig,
    SweepConfig,
)
from .errors import ConfigError

if TYPE_CHECKING:
    from .config import DataConfig, TrainConfig

#: Refuse a run needing more than this fraction of the memory available when it starts.
MEMORY_FRACTION = 0.5
#: Refuse a run estimated to take longer than a day: the estimate is rough, but settings that
#: ask for a day of this package's fits are a mistake (or a job for a cluster).
MAX_SECONDS = 24 * 3600.0
#: The CLI says what a run will cost before starting one longer or larger than these.
LONG_SECONDS = 30.0
LONG_BYTES = 1 << 30

#: Values a history records per epoch besides the parameters: the loss and the gradient norm.
HISTORY_SERIES = 2

# Per-unit costs (bytes, seconds): peak resident memory and wall clock, on 2 shared cores.
#: The interpreter with torch, NumPy, Numba and Matplotlib loaded, before a study's own
#: arrays (measured: 420-510 MB for the smallest runs of each command) ...
BASE_BYTES = 500 * 10**6
#: ... and its time: imports, figures, files (measured: 7-16 s for the smallest runs).
BASE_SECONDS = 8.0
#: A fit on the fused engine at its peak: the float64 history, its float32 working copy,
#: float64 again, the result's own copy (measured: 72 bytes an epoch for one feature, 2.25
#: times the 32 it keeps).
FIT_PEAK = 2.25
#: Bytes per data value while a batch of fits checks and lays out its data sets: each x the
#: stacked float32 copy and the engine's feature-major one; each label float64 while it is
#: checked, then float32 twice (measured with the draws: 37 bytes a point of a Monte Carlo
#: rep, 12 of them the draw's).
BATCH_X_BYTES = 4 + 4
BATCH_Y_BYTES = 8 + 4 + 4
#: The simulated data: x, pi and y in float32.
SIMULATED_BYTES = 12
#: Drawing a data set and checking it into a batch: per draw, and per point (measured:
#: 0.87 ms a rep of 2000 points).
DRAW_SECONDS = 2e-4
POINT_SECONDS = 3e-7
#: Seconds per data point per epoch on the fused engine (one core; sweep --epochs 10**6:
#: 2.3e-9) ...
FUSED_SECONDS = 3e-9
#: ... and on the eager engine (torch ops on the lecture's tiny net), plus its fixed cost per
#: step (the Python loop, autograd and the per-epoch checks).
EAGER_SECONDS = 1e-8
EAGER_EPOCH_SECONDS = 3.5e-4
#: Mini-batches: the DataLoader's cost per point (fetched and stacked one by one) ...
LOADER_POINT_SECONDS = 5e-6
#: ... the fused engine's per step (gathering a batch, the update) ...
FUSED_STEP_SECONDS = 1e-7
#: ... and the shuffled orders it replays: two torch.randperm(n) an epoch.
SHUFFLE_SECONDS = 1e-5
SHUFFLE_POINT_SECONDS = 1e-8
#: The fused softmax engine (engines.fused: tiles of 64 points, no K x n logits held): a
#: pass's seconds per point (its tile's loops and log), per point and class (an exp and a
#: residual) and per point and parameter (the logits' and the gradient's sgemm products) ...
SOFTMAX_POINT_SECONDS = 1.6e-8
SOFTMAX_CLASS_SECONDS = 1.3e-9
SOFTMAX_PRODUCT_SECONDS = 6e-11
#: ... and per step besides its points' pass: the call, the gather, the shuffled orders and
#: the optimizer's update of each parameter (least squares over 7 shapes, d 2-100 and
#: K 2-50; each within 0.7-1.6 times the measured epoch: 56 us a full-batch epoch of the
#: ten digits' 1,347 training images, 227 us one of batches of 64).
SOFTMAX_STEP_SECONDS = 3.5e-6
SOFTMAX_UPDATE_SECONDS = 7e-9
#: The shuffled indexes a fused fit computes at a time, engines.batch.PERM_BLOCK (the
#: tests hold the two together).
ORDER_BLOCK = 4_000_000
#: The eager softmax fit's K x n float32 arrays held at its peak: the logits, their
#: log-softmax and the gradients of both (measured: 4.0 of them at n = 10**5, K = 100).
EAGER_LOGIT_COPIES = 4
#: The maximum-likelihood reference, per data point and coefficient: the separation check's
#: linear program (HiGHS) dominates both (measured: 1.3 GB and 500 s for 10**6 points).
MLE_BYTES = 700
MLE_SECONDS = 2.5e-4
#: Firth's penalized likelihood: passes over the rows of a fit and its null model before it
#: starts (two an iteration; measured: 25 at 10**5 x 11, 34 on logistf's sex2, 142 on
#: breast-cancer's 30 separating columns), and the passes a profiled coefficient adds (its
#: p-value's fit and its two bounds) per pass the fit itself took: the searches are as hard
#: as the fit was (measured: 0.85 at 10**5 x 11, 1.0 on sex2, 2.4 on breast-cancer, where a
#: constant 40 a coefficient estimated 1,265 passes and 10,836 ran); and the seconds per
#: design value of a pass and per value and coefficient of its hat values.
FIRTH_PASSES = 25
FIRTH_PROFILE_RATIO = 2.5
FIRTH_VALUE_SECONDS = 1e-8
FIRTH_HAT_SECONDS = 2e-9
#: A loss landscape: per parameter pair (values, gradient, Hessian, eigenvalues, mesh, the
#: contour figures) and per parameter pair and data point (the derivatives, in chunks of
#: 2**20) (measured: landscape --grid 301 peaks 87 MB and takes 103 s more than --grid 11).
SURFACE_BYTES = 250
SURFACE_SECONDS = 1.2e-7
SURFACE_CHUNK_BYTES = 80 * 10**6
#: A fit whose whole history an analysis keeps and draws: per epoch, the history and the
#: figures' copies of it, and the time to draw it (measured with 4 such fits: --epochs 10**6
#: peaks 627 MB (lecture) and 717 MB (landscape) above --epochs 100, in ~30 s more, of which
#: the fused fits take ~24 s).
PATH_BYTES = 180
PLOT_SECONDS = 2e-6
#: Figures drawing the data (scatter plots): per data point.
SCATTER_BYTES = 100
SCATTER_SECONDS = 1e-5
#: One film frame: rendered (720 x 576 RGB), encoded, and kept as a 255-colour GIF frame
#: (measured: animate --frames 480 peaks 318 MB and takes 34 s more than --frames 60).
FRAME_BYTES = 800 * 1000
FRAME_SECONDS = 0.1
#: The grid of the lecture's why-not-MSE figures (studies.lecture.WHY_GRID).
LECTURE_GRID = 41
#: The digits study's images: the 3s and 7s of scikit-learn's digits (data set digits-3v7),
#: and all ten digits' (--classes all).
DIGITS_IMAGES = 362
DIGITS_ALL_IMAGES = 1797
#: ... and its reference fit, scikit-learn's LogisticRegression, with the scores (measured:
#: well under a second).
DIGITS_REFERENCE_SECONDS = 1.0
#: History rows a study (sweep, Monte Carlo) keeps per fit at most: engines.batch's
#: history_stride keeps about 100 (tests/test_budget.py holds the two together).
STUDY_ROWS = 200
#: A table's design matrix, in float64 copies held at once: the used columns' rows,
#: formulaic's matrix, the array taken of it and X without the intercept column (the fit's
#: own copies are mle()'s and fit()'s) ...
DESIGN_COPIES = 4
#: ... and the coefficients' square matrices of a Newton fit: the information matrix, its
#: Cholesky factor, that inverted, the covariance.
SQUARE_COPIES = 4
#: Seconds per design value coded (formulaic), per row and coefficient pair of a Gram matrix
#: (one core), and the Newton iterations of a fit.
CODE_SECONDS = 5e-8
GRAM_SECONDS = 1e-9
NEWTON_PASSES = 10
#: A table fitted in memory, per row: the labels, predicted probabilities and classes, the
#: held-out mask, the metrics' copies of them, and their time (measured with the rest of
#: budget.table: 180-240 MB and 2.1-2.5 s above the interpreter for 10**6 rows of `0,1`).
TABLE_ROW_BYTES = 100
TABLE_ROW_SECONDS = 1.5e-6
#: Reading a table file: seconds per byte of what it holds in memory (pyarrow, to pandas).
READ_BYTE_SECONDS = 2e-9
#: A table read in chunks: each read of a chunk or file costs ~3 ms besides its rows (its
#: frame, its coding; measured 1.5-9 ms a chunk of 1 row on 2 shared cores), a fit makes
#: about this many passes (the scan of the coding, Newton's iterations, the statistics),
#: and a pass may make this many reads at most (--chunk-rows 1 on 10**5 rows took 396 s).
READ_CALL_SECONDS = 3e-3
SHARD_PASSES = 12
MAX_READS = 5_000
#: A penalized fit in shares (stats.sharded.fit_penalized at one lambda): penalized.solve's
#: passes (measured 6-9, at n = 2,000 to 10**6 and d = 4 to 50), each reading every value of
#: the share (READ_BYTE_SECONDS a float64's byte: ~0.2 s a pass of 400,000 x 50 from Parquet)
#: and summing the log-loss and its gradient at PENALTY_VALUE_SECONDS a value (1.3 ns
#: measured on 2 threads), each of them but the first summing the candidate columns' Hessian
#: too, n |S|^2 / 2 float32 products at HESSIAN_SECONDS (75 ps measured; S at most every
#: column, the sampled ones fewer rows); and PENALTY_AROUND passes around solve's: the
#: columns' moments, the pass at the estimate and the statistics pass.
PENALTY_PASSES = 10
PENALTY_AROUND = 3
PENALTY_VALUE_SECONDS = 2e-9
HESSIAN_SECONDS = 1e-10
#: A penalized fit choosing lambda by cross-validation (cv.glmnet, in memory only) fits
#: glmnet's path of PATH_LAMBDAS lambdas (stats.penalized.PATH_COUNT) once per fold and once
#: on every row; a path makes about PATH_PASSES passes over its rows (measured 163-299 at
#: n = 20,000 to 200,000, d = 10 to 50: l2 fewest, l1 and the elastic net most) and sums
#: PATH_HESSIANS Hessians (measured 36-130, over the candidate columns; counted over all).
PATH_LAMBDAS = 100
PATH_PASSES = 350
PATH_HESSIANS = 150
#: A fit in shares keeps a worker's coded chunks in memory between its passes when all of
#: them fit in this part of the memory check() allows (MEMORY_FRACTION of what is available
#: as the fit starts), shared by the workers: the formula is then coded once, not every pass
#: (a Firth fit of y ~ x + z + C(g) on 120 rows in chunks of 25 coded 925 chunks in 11.2 s,
#: now 5 in 0.9 s). Beyond it the passes read and code the chunks again, as a table larger
#: than memory must be read.
CACHE_FRACTION = 0.25
#: A local worker of a fit on several: the interpreter with torch, the fit's modules and a
#: chunk (measured: 64 workers took ~22 GB) ...
WORKER_BYTES = 350 * 10**6
#: ... and at most this many a core: one a core is the sensible choice, more only
#: time-share; two lets a one-core machine run a pair.
WORKERS_PER_CORE = 2


@dataclass(frozen=True)
class Estimate:
    """What a run will need: bytes of memory at its peak and seconds of work."""

    bytes: float
    seconds: float

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(self.bytes + other.bytes, self.seconds + other.seconds)

    @property
    def long(self) -> bool:
        """Worth saying before starting: more than LONG_SECONDS or LONG_BYTES."""
        return self.seconds > LONG_SECONDS or self.bytes > LONG_BYTES

    def __str__(self) -> str:
        return f"~{format_bytes(self.bytes)}, ~{format_seconds(self.seconds)}"


NOTHING = Estimate(0.0, 0.0)


def _rounded(value: float) -> str:
    """Two significant digits below 10 (1.5, 0.8), whole numbers above (42, 110)."""
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def format_bytes(count: float) -> str:
    """1.5 GB, 320 MB, 12 kB (powers of 1000)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{_rounded(count / size)} {unit}"
    return f"{count:.0f} B"


def format_seconds(seconds: float) -> str:
    """1 s at least, then 40 s, 12 min, 3.5 h, 12 days."""
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{_rounded(seconds / size)} {unit}"
    return f"{max(seconds, 1):.0f} s"


def available_memory() -> int:
    """Bytes of memory this run can have now: MemAvailable from /proc/meminfo (Linux), else
    the physical memory."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return 8 << 30  # no way to know: assume a modest 8 GiB machine


#: What check() advises by default: a study asks for less.
FEWER = "ask for fewer epochs, points, reps, frames or grid points"
#: ... and for a table: fewer of its rows, columns or levels.
FEWER_TABLE = "use fewer rows, columns or categorical levels (max_levels)"


def check(estimate: Estimate, what: str = "this run", fewer: str = FEWER) -> Estimate:
    """Return the estimate if it fits the memory limit and MAX_SECONDS, else ConfigError
    ending with the advice `fewer`."""
    available = available_memory()
    limit = MEMORY_FRACTION * available
    if estimate.bytes > limit:
        raise ConfigError(
            f"{what} would need {estimate} (estimated), more memory than the limit of "
            f"{format_bytes(limit)} ({MEMORY_FRACTION:.0%} of the {format_bytes(available)} "
            f"available); {fewer}"
        )
    if estimate.seconds > MAX_SECONDS:
        raise ConfigError(
            f"{what} would take {estimate} (estimated), longer than the limit of "
            f"{format_seconds(MAX_SECONDS)}; {fewer}"
        )
    return estimate


def cores() -> int:
    """The cores this process may use (the fused engine spreads fits over them)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# --- the parts of a run ----------------------------------------------------------------


def history_bytes(epochs: int, d: int = 1, *, every: int = 1, fits: int = 1, steps: int = 0
                  ) -> int:  # fmt: skip
    """What fits keep as history (result.History): per fit and recorded epoch the
    HISTORY_SERIES values (loss, gradient norm), and the parameters (intercept + d) there and
    at the end, all float64; and the loss of each of `steps` steps an epoch when recorded."""
    rows = math.ceil(epochs / every)
    return fits * 8 * (HISTORY_SERIES * rows + (rows + 1) * (d + 1) + epochs * steps)


def fit(
    n: int,
    d: int,
    epochs: int,
    *,
    every: int = 1,
    problems: int = 1,
    datasets: int = 1,
    engine: str = "fused",
    steps: int = 1,
    record_steps: bool = False,
) -> Estimate:
    """fit() or fit_batch(): `problems` fits of `epochs` epochs on `datasets` data sets of
    n points and d features, recording every `every` epochs, on the resolved engine, taking
    `steps` steps an epoch (mini-batches: ceil(n / batch size); 1 is the full batch) and
    keeping each step's loss when record_steps."""
    kept = history_bytes(epochs, d, every=every, fits=problems, steps=steps * record_steps)
    data = datasets * n * (d * BATCH_X_BYTES + BATCH_Y_BYTES)
    work = problems * epochs * n * (d + 1) / 2  # the lecture's one feature is the unit
    if steps > 1:  # the full data's loss and gradient each epoch, besides the steps
        work *= 2
    if engine == "eager":
        seconds = work * EAGER_SECONDS + problems * epochs * steps * EAGER_EPOCH_SECONDS
        if steps > 1:  # DataLoader fetches and stacks point by point
            seconds += problems * epochs * n * LOADER_POINT_SECONDS
        peak = 2 * kept  # the eager fit's own history, copied into the batch's arrays
    else:
        seconds = work * FUSED_SECONDS / min(problems, cores())
        seconds += problems * epochs * steps * FUSED_STEP_SECONDS / min(problems, cores())
        if steps > 1:  # the shuffled orders, drawn by torch one epoch at a time
            seconds += epochs * (SHUFFLE_SECONDS + n * SHUFFLE_POINT_SECONDS)
        peak = FIT_PEAK * kept
    return Estimate(peak + data, seconds)


def softmax(n: int, d: int, classes: int, epochs: int, *, engine: str = "fused",
            steps: int = 1) -> Estimate:  # fmt: skip
    """engines.softmax.fit_softmax on n points, d features and K classes: its data (each
    value checked in float64, then a float32 copy; the labels as BATCH_Y_BYTES) and one loss
    an epoch (float32 and float64), no history of parameters. The fused engine adds the
    feature-major float32 copy of x and a block's shuffled orders (int64, listed then
    stacked), and a pass costs per point, class and parameter (SOFTMAX_*); the eager engine
    holds EAGER_LOGIT_COPIES K x n float32 arrays and takes fit()'s time on K (d + 1)
    parameters."""
    parameters = classes * (d + 1)
    data = n * (d * (8 + 4) + BATCH_Y_BYTES) + 12 * epochs
    if engine == "eager":
        work = fit(n, parameters - 1, epochs, every=epochs, engine=engine, steps=steps)
        return Estimate(data + EAGER_LOGIT_COPIES * 4 * classes * n, work.seconds)
    orders = 0 if steps == 1 else 2 * 8 * n * min(epochs, max(1, ORDER_BLOCK // n))
    point = SOFTMAX_POINT_SECONDS + classes * SOFTMAX_CLASS_SECONDS
    per_pass = n * (point + parameters * SOFTMAX_PRODUCT_SECONDS)
    per_step = SOFTMAX_STEP_SECONDS + parameters * SOFTMAX_UPDATE_SECONDS
    return Estimate(data + 4 * n * d + orders, epochs * (per_pass + steps * per_step))


def design(rows: int, width: int, *, held: int | None = None, grams: int = NEWTON_PASSES
           ) -> Estimate:  # fmt: skip
    """Coding `rows` rows into `width` design columns (the intercept's included) and the
    Newton fit on them: DESIGN_COPIES of the values of `held` rows at once (all of them,
    unless read in chunks) and SQUARE_COPIES of the width x width matrices; the coding, and
    `grams` Gram matrices (0: a fit that sums none, its work counted apart). A categorical
    column is a column per level: a wide design can need more memory than its table holds."""
    held = rows if held is None else held
    return Estimate(
        8.0 * (DESIGN_COPIES * held * width + SQUARE_COPIES * width * width),
        rows * width * CODE_SECONDS + grams * rows * width * width * GRAM_SECONDS,
    )


def penalized_passes(rows: int, width: int, *, folds: int = 0, from_file: bool = True
                     ) -> Estimate:  # fmt: skip
    """The passes of a penalized fit over `rows` rows of `width` design columns (the
    intercept's included): PENALTY_PASSES + PENALTY_AROUND, each summing the log-loss and
    gradient of every value (and reading it from its file, from_file: in shares),
    PENALTY_PASSES - 1 of them a Hessian over every column too (a Hessian's sample read
    alone is within the count: 5 passes and one measured at n = 10**6, d = 50). With lambda
    chosen by `folds`-fold cross-validation, the paths too: one on the rows of all folds but
    one, each in turn, and one on every row, `folds` paths' worth of rows in all (PATH_PASSES
    passes, PATH_HESSIANS Hessians), and the held-out rows' linear predictors at each of
    the PATH_LAMBDAS lambdas. Time only: the caller counts what the passes hold."""
    values = rows * width
    per_value = PENALTY_VALUE_SECONDS + (8 * READ_BYTE_SECONDS if from_file else 0.0)
    passes = PENALTY_PASSES + PENALTY_AROUND + folds * PATH_PASSES
    hessians = PENALTY_PASSES - 1 + folds * PATH_HESSIANS
    scores = PATH_LAMBDAS if folds else 0
    return Estimate(
        0.0,
        values * (passes * per_value + (hessians * width / 2 + scores) * HESSIAN_SECONDS),
    )


def penalized(rows: int, width: int, *, folds: int = 0) -> Estimate:
    """A penalized fit in memory (stats.penalized.fit_result) of `rows` rows of `width`
    design columns, lambda chosen by `folds`-fold cross-validation when folds: mle()'s
    memory (the design in float64, the labels, the fitted probabilities) and, with folds, a
    fold's copy of the rows and the held-out rows' linear predictors and log-losses at each
    of the PATH_LAMBDAS lambdas (float64); penalized_passes()'s time on rows in memory."""
    held = 8.0 * (rows * width + 2 * math.ceil(rows / folds) * PATH_LAMBDAS) if folds else 0.0
    work = penalized_passes(rows, width, folds=folds, from_file=False)
    return Estimate(mle(rows, width).bytes + held, work.seconds)


def table(
    rows: int,
    read_bytes: float,
    width: int,
    train: TrainConfig | None = None,
    fits: int = 0,
    *,
    classes: int = 2,
    penalty: bool = False,
    folds: int = 0,
) -> Estimate:
    """`fit` on a table file in memory: the interpreter, the table as read (read_bytes, from
    data.tables.table_size), its design of `width` columns, the model's fit, the per-row
    results, and `fits` descents with `train` on the standardised columns. The fit is
    Newton's MLE; with a penalty, penalized() (`folds`: lambda by cross-validation) and no
    Gram matrix of Newton's; with `classes` > 2 the multinomial MLE on width x classes
    coefficients (as stats.multinomial checks it) and, when fits, its one softmax descent
    (softmax(), on the engine `train` resolves to)."""
    cost = Estimate(
        BASE_BYTES + read_bytes + rows * TABLE_ROW_BYTES,
        BASE_SECONDS + read_bytes * READ_BYTE_SECONDS + rows * TABLE_ROW_SECONDS,
    )
    if penalty:
        cost += design(rows, width, grams=0) + penalized(rows, width, folds=folds)
    else:
        cost += design(rows, width) + mle(rows, width * classes if classes > 2 else width)
    if fits and train is not None:
        how = {"engine": _engine(train), "steps": _steps(rows, train.batch_size)}
        if classes > 2:
            cost += softmax(rows, width - 1, classes, train.epochs, **how)
        else:
            cost += fit(rows, width - 1, train.epochs, problems=fits, **how)
    return cost


def reads(
    rows: int, units: int, chunk_rows: int, files: int, passes: float = SHARD_PASSES
) -> Estimate:
    """The time a fit spends reading a share of `rows` rows in `units` units (Parquet row
    groups, CSV files) of `files` files, chunk_rows rows at a time: a read per chunk and
    per unit, `passes` times. ConfigError when a pass makes more than MAX_READS reads."""
    count = math.ceil(rows / chunk_rows) + units
    cost = Estimate(0.0, passes * count * READ_CALL_SECONDS)
    if count > MAX_READS:
        fewer = (
            f"read at least {math.ceil(rows / (MAX_READS - units)):,} rows at a time (chunk_rows)"
            if 2 * units < MAX_READS
            else "join the files into fewer, larger ones"
        )
        raise ConfigError(
            f"reading {rows:,} rows {chunk_rows:,} at a time from {files:,} file(s) makes "
            f"~{count:,} reads a pass, more than the {MAX_READS:,} allowed (a fit makes "
            f"~{passes:.0f} passes, ~{format_seconds(cost.seconds)} of reads); {fewer}"
        )
    return cost


def sharded(
    rows: int,
    units: int,
    files: int,
    chunk_rows: int,
    width: int,
    workers: int = 1,
    *,
    firth_fit: bool = False,
    penalty_fit: bool = False,
) -> Estimate:
    """A fit on shards, per worker: the interpreter, its share's design of `width` columns
    a chunk at a time and the Newton fit on it (design()), and its reads (reads()). Firth's
    fit (firth_fit) adds firth()'s work on the share, as in memory (its profiles bounded by
    their clock), a chunk's worth of its memory, and reads for its passes (firth_passes) in
    place of Newton's. A penalized fit (penalty_fit) sums no Gram matrix of every row but
    makes penalized_passes(), read after the scan of the coding."""
    share, mine = math.ceil(rows / workers), math.ceil(units / workers)
    held = min(chunk_rows, share)
    grams = 0 if penalty_fit else NEWTON_PASSES
    cost = Estimate(BASE_BYTES, BASE_SECONDS) + design(share, width, held=held, grams=grams)
    passes: float = SHARD_PASSES
    if penalty_fit:
        cost += penalized_passes(share, width)
        passes = 1 + PENALTY_PASSES + PENALTY_AROUND  # the scan, then the fit's
    if firth_fit:
        cost += Estimate(firth(held, width).bytes, firth(share, width).seconds)
        passes += firth_passes(width) - NEWTON_PASSES
    return cost + reads(share, mine, chunk_rows, files, passes)


def cache_bound(workers: int = 1) -> float:
    """The bytes of coded chunks a worker of a fit in shares may keep between its passes:
    CACHE_FRACTION of the memory check() allows, shared by `workers` workers (all of them
    counted as on this machine)."""
    return CACHE_FRACTION * MEMORY_FRACTION * available_memory() / workers


def worker_cap() -> tuple[int, str]:
    """The most local workers this machine can run, and why: WORKERS_PER_CORE a core, and
    as many as the memory limit of check() holds at WORKER_BYTES each."""
    limit = MEMORY_FRACTION * available_memory()
    cap = min(WORKERS_PER_CORE * cores(), max(1, int(limit // WORKER_BYTES)))
    return cap, (
        f"{WORKERS_PER_CORE} a core on {cores()} core(s), each ~{format_bytes(WORKER_BYTES)} "
        f"within the limit of {format_bytes(limit)} of memory"
    )


def simulated(n: int, draws: int = 1) -> Estimate:
    """simulate(): x, pi and y of n points, `draws` times."""
    return Estimate(draws * n * SIMULATED_BYTES, draws * (DRAW_SECONDS + n * POINT_SECONDS))


def mle(n: int, coefficients: int = 2) -> Estimate:
    """The maximum-likelihood reference: at most a float64 copy of the design (none when it
    is one already), the labels and the fitted probabilities in float64; about 8 passes over
    the design at ~6 ns a value (measured: 70 ms CPU a pass at 10**6 x 11). The separation
    linear program runs only when the iterates point to separation (stats.mle)."""
    return Estimate(n * (8 * coefficients + 16), n * coefficients * 5e-8)


def firth(
    n: int, coefficients: int, *, passes: int = FIRTH_PASSES, profiled: bool = False
) -> Estimate:
    """Firth's penalized likelihood (stats.firth): the MLE's memory and firth_passes()
    passes over the design, each reading every value and summing the hat values' k x k
    products."""
    total = firth_passes(coefficients, passes=passes, profiled=profiled)
    per_pass = n * coefficients * (FIRTH_VALUE_SECONDS + FIRTH_HAT_SECONDS * coefficients)
    return Estimate(n * (8 * coefficients + 24), total * per_pass)


def firth_passes(coefficients: int, *, passes: int = FIRTH_PASSES, profiled: bool = False) -> float:
    """The passes over the rows of a Firth fit of `coefficients`: `passes` (the fit's own
    count once it has run), and with `profiled` the profile intervals' too,
    FIRTH_PROFILE_RATIO times `passes` more a coefficient."""
    return passes * (1.0 + (coefficients * FIRTH_PROFILE_RATIO if profiled else 0.0))


def surfaces(n: int, grid: int, count: int) -> Estimate:
    """`count` loss landscapes of grid x grid parameter pairs over n data points."""
    pairs = grid * grid
    return Estimate(
        count * pairs * SURFACE_BYTES + SURFACE_CHUNK_BYTES,
        count * pairs * n * SURFACE_SECONDS,
    )


def paths(epochs: int, fits: int) -> Estimate:
    """`fits` fits with whole histories, kept and drawn (the fits' own memory included;
    their training time is fit()'s)."""
    rows = fits * (epochs + 1)
    return Estimate(rows * PATH_BYTES, rows * PLOT_SECONDS)


def scatter(n: int, figures: int) -> Estimate:
    """Figures that draw every data point."""
    return Estimate(n * SCATTER_BYTES, figures * n * SCATTER_SECONDS)


def frames(count: int) -> Estimate:
    """A film of `count` frames: rendered, encoded, kept for the GIF."""
    return Estimate(count * FRAME_BYTES, count * FRAME_SECONDS)


# --- the studies -------------------------------------------------------------------------


def _engine(train: TrainConfig) -> str:
    """The engine a study's fits will run on, without importing it."""
    from .extras import fused_available

    if train.engine == "eager" or (train.engine == "auto" and not fused_available()):
        return "eager"
    return "fused"


def _steps(n: int, batch_size: int | None) -> int:
    """Steps an epoch: one per mini-batch of batch_size of the n points (None: the full
    batch, one step)."""
    return 1 if batch_size is None else math.ceil(n / batch_size)


def _study_every(epochs: int) -> int:
    """A record_every that keeps at most STUDY_ROWS rows of a study's fit."""
    return max(1, math.ceil(epochs / STUDY_ROWS))


def _analysis(data: DataConfig, train: TrainConfig, grid: int, fits: int) -> Estimate:
    """The why-not-MSE analysis: the MLE, `fits` whole-history fits (their mini-batch steps
    counted) measured and drawn, and four landscapes of grid x grid."""
    n, epochs = data.n, train.epochs
    training = fit(n, 1, epochs, problems=fits, engine=_engine(train),
                   steps=_steps(n, train.batch_size)).seconds  # fmt: skip
    return (
        Estimate(BASE_BYTES, BASE_SECONDS + training)
        + simulated(n)
        + mle(n)
        + paths(epochs, fits)
        + surfaces(n, grid, 4)
        + scatter(n, 2)
    )


def lecture(config: LectureConfig) -> Estimate:
    """`lecture`: a fit per loss, then the why-not-MSE analysis (both losses from the
    lecture's start and from the plateau start: 4 fits in all) on a 41 x 41 grid."""
    return _analysis(config.data, config.training, LECTURE_GRID, 4) + scatter(config.data.n, 4)


def landscape(config: LandscapeConfig) -> Estimate:
    """`landscape`: the why-not-MSE analysis on a grid_size x grid_size grid."""
    return _analysis(config.data, config.train, config.grid_size, 4)


def animation(config: AnimationConfig) -> Estimate:
    """`animate`: both losses from one start, two landscapes, the film."""
    n, train = config.data.n, config.train
    epochs = train.epochs
    training = fit(n, 1, epochs, problems=2, engine=_engine(train),
                   steps=_steps(n, train.batch_size)).seconds  # fmt: skip
    return (
        Estimate(BASE_BYTES, BASE_SECONDS + training)
        + simulated(n)
        + mle(n)
        + paths(epochs, 2)
        + surfaces(n, config.grid_size, 2)
        + frames(config.frames)
    )


def sweep(config: SweepConfig) -> Estimate:
    """`sweep`: one fit per optimizer, batch size, lr and loss on one data set, a short
    history each; each batch size's fits take its mini-batch steps (the memory is one
    batch of all the fits)."""
    lec, n = config.lecture, config.lecture.data.n
    per_size = len(config.optimizers) * len(config.lrs) * len(lec.losses)
    every, engine = _study_every(lec.epochs), _engine(lec.training)
    memory = fit(n, 1, lec.epochs, every=every, problems=per_size * len(config.batch_sizes),
                 engine=engine).bytes  # fmt: skip
    seconds = 0.0
    for size in config.batch_sizes:
        seconds += fit(n, 1, lec.epochs, every=every, problems=per_size, engine=engine,
                       steps=_steps(n, size)).seconds  # fmt: skip
    return Estimate(BASE_BYTES, BASE_SECONDS) + simulated(n) + Estimate(memory, seconds)


def montecarlo(config: MonteCarloConfig) -> Estimate:
    """`montecarlo`: reps draws kept side by side, one fit per rep and loss."""
    lec, reps = config.lecture, config.reps
    cost = fit(lec.data.n, 1, lec.epochs, every=_study_every(lec.epochs),
               problems=reps * len(lec.losses), datasets=reps, engine=_engine(lec.training),
               steps=_steps(lec.data.n, lec.training.batch_size))  # fmt: skip
    return Estimate(BASE_BYTES, BASE_SECONDS) + simulated(lec.data.n, reps) + cost


def optimizers(config: OptimizersConfig) -> Estimate:
    """`optimizers`: the MLE, every descent with its whole history (the mini-batch ones
    taking their steps), run up to TIMING_REPEATS + 2 times for its timing (and longer ones
    while a run takes under TIMING_WORK), two landscapes, the figures and two films."""
    n, epochs, engine = config.data.n, config.epochs, _engine(config.film().train)
    descents = len(config.starts) * len(STUDY_OPTIMIZERS) * len(LOSSES)
    work = fit(n, 1, epochs, problems=descents, engine=engine).seconds
    for size in config.batch_sizes:  # BATCH_OPTIMIZER on both losses from the far start
        work += fit(n, 1, epochs, problems=len(LOSSES), engine=engine,
                    steps=_steps(n, size)).seconds  # fmt: skip
    fits = descents + len(LOSSES) * len(config.batch_sizes)
    timing = (TIMING_REPEATS + 2) * work + fits * 4 * TIMING_REPEATS * TIMING_WORK
    return (
        Estimate(BASE_BYTES, BASE_SECONDS + timing)
        + simulated(n)
        + mle(n)
        + paths(epochs, fits)
        + surfaces(n, config.grid_size, len(LOSSES))
        + scatter(n, len(STUDY_OPTIMIZERS))
        + frames(len(STUDY_OPTIMIZERS) * config.frames)
    )


def digits(config: DigitsConfig) -> Estimate:
    """`digits`: one fit on the training images (64 pixels, mini-batch steps, every epoch's
    parameters kept for the accuracy curves), scikit-learn's reference fit, the figures; the
    ten digits' softmax fit counted as engines.softmax counts it (softmax: 10 x 65
    parameters)."""
    train = config.train()
    images = DIGITS_ALL_IMAGES if config.ten else DIGITS_IMAGES
    n = images - math.ceil(config.test_size * images)
    pixels = DIGITS_SIDE * DIGITS_SIDE
    how = {"engine": _engine(train), "steps": _steps(n, train.batch_size)}
    if config.ten:
        cost = softmax(n, pixels, 10, train.epochs, **how)
    else:
        cost = fit(n, pixels, train.epochs, **how)
    return Estimate(BASE_BYTES, BASE_SECONDS + DIGITS_REFERENCE_SECONDS) + cost


STUDIES = {
    LectureConfig: lecture,
    LandscapeConfig: landscape,
    AnimationConfig: animation,
    SweepConfig: sweep,
    MonteCarloConfig: montecarlo,
    OptimizersConfig: optimizers,
    DigitsConfig: digits,
}


def estimate(config: object) -> Estimate:
    """The estimate of the study that `config` sets up."""
    try:
        return STUDIES[type(config)](config)  # type: ignore[operator]
    except KeyError:
        raise ConfigError(f"no estimate for {type(config).__name__}") from None


def check_study(config: object) -> Estimate:
    """estimate() and check(): the study's estimate, or ConfigError if it cannot run here."""
    return check(estimate(config))
