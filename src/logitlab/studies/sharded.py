"""A table too big for one process, fitted by `logitlab fit`: read in shares by several
workers, or streamed from disk in chunks by one.

fit_shards() is fit_table() for a folder of Parquet/CSV files or one large file: the coding
agreed across workers (data.shards.agree_design), the MLE over every worker's chunks
(stats.sharded.fit_sharded), and, when asked, the lecture's descent on the same columns
standardised with moments agreed across workers (engines.distributed.descend). Every worker
returns the same studies.fit.TableFit, without the per-row parts; no files here. What needs
every row's prediction in one place (predictions, ROC, calibration, a held-out split) is not
computed: the statistics that are come from sums over the shards. Rows that stand for many
(weights, trials) are counted as in memory; a target of three values or more is fitted as
studies.multiclass fits it in memory (fit_multiclass), its evaluation from sums too; Firth's
penalized likelihood (settings.firth) as in memory, by stats.sharded.fit_firth, and a
penalty at a given lambda by stats.sharded.fit_penalized (not lambda cv). The passes
of a fit read a formula's coded chunks from memory after the first when a worker's fit in
budget.cache_bound (data.shards.ShardedDesign.passes), else they code them again each pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import budget
from ..config import FitSettings, TrainConfig, listed
from ..data.shards import CHUNK_ROWS, Shards, Unit, agree_design, open_shards
from ..data.tables import CSV_SUFFIXES
from ..engines.collective import agreed, gathered
from ..errors import DataError, SeparationError
from .fit import (
    COUNTED_NOTE,
    FIRTH_WAY,
    NOT_PRODUCED,
    PENALIZED_NOTE,
    Say,
    Scaling,
    TableFit,
    check_clusters,
    check_descent_start,
    descent,
    main_effect,
    newton_progress,
    penalty_stage,
    resolve_lr,
    step_from_gram,
)
from .multiclass import (
    DESCENT_NOTE,
    Evaluation,
    MulticlassFit,
    baseline_level,
    check_multiclass,
)
from .timing import timed
from .training import Descent

if TYPE_CHECKING:
    from ..data.shards import ShardedDesign
    from ..engines.collective import Collective
    from ..stats.sharded import ShardedMLEResult

#: What a fit of three classes or more in shares does not produce, and why.
MULTICLASS_NOT_PRODUCED = (
    "not produced in shares: the one-vs-rest ROC AUC, which ranks every row, and the class "
    "probabilities over a variable (probabilities.png), whose grid and held values come from "
    "the fitted rows in one place; apply model.json to the rows with `logitlab predict`"
)


def open_table(data: str | Path) -> Shards:
    """The shards of DATA: data.shards.open_shards, and also one CSV file (one unit, read in
    chunks by one worker), which that refuses."""
    path = Path(data)
    if not (path.is_file() and path.suffix.lower() in CSV_SUFFIXES):
        return open_shards(path)
    import pandas

    try:
        columns = tuple(map(str, pandas.read_csv(path, nrows=0).columns))
    except (pandas.errors.ParserError, pandas.errors.EmptyDataError, ValueError, OSError) as exc:
        why = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(f"{path} is not a readable CSV table: {why}") from None
    return Shards(path, "csv", columns, (Unit(path, -1, -1, path.stat().st_size),), columns)


@timed
def fit_shards(
    data: str | Path,
    group: Collective,
    settings: FitSettings | None = None,
    *,
    progress: Say | None = None,
    **keywords: object,
) -> TableFit | MulticlassFit:
    """Fit a logistic regression to DATA (a folder of Parquet/CSV files, or one file) on the
    workers of `group` (Local: one process streaming from disk), each reading its share
    settings.chunk_rows rows at a time (None: CHUNK_ROWS). The settings and keywords as
    fit_table's, but without keywords or settings no descent (losses ()): the MLE only; the
    descent on the rows held in memory by each worker. Every worker returns the same
    TableFit (no per-row parts), or for a target of three values or more the same
    MulticlassFit (no per-row parts); an error on any worker is raised on all. `progress`
    as fit_table's (rank 0's alone: every worker computes the same)."""
    default = {"losses": ()} if settings is None else {}  # the MLE only, unless told
    settings = FitSettings.of(settings, **(default | keywords))
    chunk_rows = CHUNK_ROWS if settings.chunk_rows is None else settings.chunk_rows
    chosen = settings.losses
    shards = agreed(group, lambda: open_table(data))
    if settings.cluster is not None and settings.cluster not in shards.columns:
        raise DataError(f"no column {settings.cluster!r} in {data} (cov {settings.cov}); its "
                        f"columns are {listed(shards.columns)}")  # fmt: skip
    mine = shards.share(group.rank, group.world)
    say = progress or (lambda words: None)
    say(f"reading and coding {len(shards.files()):,} file(s) in shares of {chunk_rows:,} rows")
    design = agree_design(mine, partial(gathered, group), settings.model, chunk_rows=chunk_rows)
    if design.classes:
        return _multiclass(data, design, mine, group, settings, chunk_rows, say)
    from ..stats.sharded import fit_firth, fit_penalized, fit_sharded

    rows = {"nobs": design.observations, "total": design.total,
            "grouped": design.trials is not None, "successes": design.successes,
            "names": design.names, "intercept": design.intercept}  # fmt: skip
    batches = _passes(design, mine, group, chunk_rows)
    penalized = settings.penalty is not None
    if settings.firth:
        say("Firth's penalized likelihood, with profile intervals when they are quick enough")
        mle = fit_firth(batches, group, conf_level=settings.conf_level, **rows)
    elif penalized:
        say(penalty_stage(settings, design.intercept))
        mle = fit_penalized(batches, group, penalty=settings.penalty, lam=settings.lam,
                            l1_ratio=settings.l1_mix, rows_per_worker=design.rows_per_worker,
                            conf_level=settings.conf_level, **rows)  # fmt: skip
    else:
        try:
            mle = fit_sharded(batches, group, progress=newton_progress(progress),
                              cov_type="nonrobust" if settings.cluster else settings.cov_type,
                              **rows)  # fmt: skip
        except SeparationError as exc:
            raise SeparationError(f"{exc}; {FIRTH_WAY}") from None
        mle = replace(mle, conf_level=settings.conf_level)
    if settings.cluster is not None:
        say(f"clustered covariance: the scores summed per value of {settings.cluster!r}")
        mle = clustered(mle, design, mine, group, settings.cluster, chunk_rows)
    scaling, descents, note, used = None, {}, "", None
    if not chosen:
        note = "no gradient descent was asked for (no loss given)" + (
            "" if penalized else ": the MLE only")  # fmt: skip
    elif penalized:
        note = PENALIZED_NOTE
    elif design.counted:
        note = COUNTED_NOTE
    elif design.intercept:
        say(f"gradient descent on {', '.join(chosen).upper()}: up to {settings.train.epochs:,} "
            "epochs")  # fmt: skip
        scaling, used, descents = _descents(design, mine, group, chosen, settings.train,
                                            settings.lr, mle, chunk_rows)  # fmt: skip
    else:
        note = ("gradient descent fits the lecture's net, which always has a bias; this model "
                "has no intercept, so there is no descent to compare")  # fmt: skip
    return TableFit(
        source=f"{'folder' if Path(data).is_dir() else 'file'} {data}",
        design=design,
        mle=mle,
        train=used,
        scaling=scaling,
        descents=descents,
        descent_note=note,
        reading=mle.reading() if penalized else main_effect(design.spec, mle),
        workers=group.world,
        chunk_rows=chunk_rows,
    )


def _passes(design: ShardedDesign, mine: Shards, group: Collective, chunk_rows: int
            ) -> Callable[[], Iterator[tuple[np.ndarray, ...]]]:  # fmt: skip
    """What the fit's passes read (ShardedDesign.passes): plain columns through one reused
    chunk buffer, memory one chunk whatever n is; coded chunks kept after the first pass
    when this worker's fit in budget.cache_bound, else coded again each pass."""
    return design.passes(mine, chunk_rows, rank=group.rank, bound=budget.cache_bound(group.world))


def clustered(mle: ShardedMLEResult, design: ShardedDesign, mine: Shards, group: Collective,
              column: str, chunk_rows: int) -> ShardedMLEResult:  # fmt: skip
    """The MLE with the clustered covariance of stats.sandwich (cov cluster:COLUMN), on
    shards: one more pass at the estimate, in which each worker sums its rows' scores per
    value of `column`; the sums are gathered and added by value, since a cluster may span
    workers, so every worker holds the same sums in the same order."""
    import pandas

    from ..model import sigmoid
    from ..stats import sandwich

    spec = design.spec
    used = [spec.target, *spec.columns, *design.counted]

    def sums() -> tuple[dict, int]:  # this worker's per-cluster score sums, rows unlabelled
        found, missing = {}, 0
        for frame in mine.chunks(list(dict.fromkeys((*used, column))), chunk_rows):
            kept = frame[~frame[used].isna().to_numpy().any(axis=1)]
            codes, values = pandas.factorize(kept[column], use_na_sentinel=True)
            missing += int(np.count_nonzero(codes < 0))
            labelled = kept[codes >= 0]
            if labelled.empty:
                continue
            x, target = spec.design(labelled), labelled[spec.target].to_numpy()
            y = target.astype(np.float64) if design.trials else (target == spec.positive) * 1.0
            copies, trials = (None if c is None else labelled[c].to_numpy(dtype=np.float64)
                              for c in (design.weights, design.trials))  # fmt: skip
            p = sigmoid(sandwich.design_block(x, spec.intercept) @ mle.params)
            scores = sandwich.cluster_scores(x, y, p, spec.intercept, codes[codes >= 0],
                                             len(values), copies, trials)  # fmt: skip
            for value, row in zip(values, scores, strict=True):
                found[value] = found.get(value, 0.0) + row
        return found, missing

    totals: dict = {}
    parts = gathered(group, sums)
    for found, _ in parts:  # rank order: the same sums, in the same order, on every worker
        for value, row in found.items():
            totals[value] = totals.get(value, 0.0) + row
    check_clusters(column, sum(m for _, m in parts), list(totals), design.rows_used)
    S = np.array(list(totals.values()))
    factor = sandwich.small_sample("cluster", mle.nobs, len(mle.params), len(S))
    return mle.with_cov(sandwich.sandwich(mle.cov, S.T @ S, factor), f"cluster:{column}")


def _multiclass(
    data: str | Path,
    design: ShardedDesign,
    mine: Shards,
    group: Collective,
    settings: FitSettings,
    chunk_rows: int,
    say: Say,
) -> MulticlassFit:
    """A target of three values or more: the multinomial MLE over every worker's chunks
    (stats.sharded.fit_multinomial) and its evaluation on the fitted rows from sums (the
    confusion matrix, each class's precision and recall, accuracy and log-loss); no held-out
    split, no ROC AUC and no class probabilities over a variable (MULTICLASS_NOT_PRODUCED)."""
    from ..stats.sharded import fit_multinomial

    check_multiclass(settings)
    classes = design.classes
    baseline = baseline_level(settings.model.baseline, list(classes), design.target)
    say(f"multinomial maximum likelihood on {design.rows_used:,} rows, {len(classes)} classes")
    mle = fit_multinomial(_passes(design, mine, group, chunk_rows), group, classes=classes,
                          counts=design.class_counts, baseline=baseline, names=design.names,
                          intercept=design.intercept,
                          conf_level=settings.conf_level)  # fmt: skip
    confusion = mle.confusion
    right = np.diag(confusion).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):  # a class never predicted: 0
        precision = np.nan_to_num(right / confusion.sum(axis=0))
    recall = right / confusion.sum(axis=1)
    evaluation = Evaluation(rows=mle.nobs, held_out=False, confusion=confusion,
                            precision=precision, recall=recall,
                            accuracy=float(right.sum() / mle.nobs), log_loss=mle.log_loss,
                            auc_ovr=None, auc_note="not computed in shares: it ranks every "
                            "row")  # fmt: skip
    read = (f"read in shares by {group.world} worker(s) "
            f"({', '.join(f'{r:,}' for r in design.rows_per_worker)} rows), at most "
            f"{chunk_rows:,} rows at a time")  # fmt: skip
    return MulticlassFit(mle, design, np.empty(0, dtype=object), np.zeros(0, dtype=bool),
                         evaluation, f"{'folder' if Path(data).is_dir() else 'file'} {data}",
                         None,
                         f"{DESCENT_NOTE}. Rows {read}; {MULTICLASS_NOT_PRODUCED}.")  # fmt: skip


def _descents(
    design: ShardedDesign,
    mine: Shards,
    group: Collective,
    losses: Sequence[str],
    settings: TrainConfig,
    lr: float | str,
    mle: ShardedMLEResult,
    chunk_rows: int,
) -> tuple[Scaling, TrainConfig, dict[str, Descent]]:
    """Each worker holds its rows standardised with the agreed moments and descends with
    the others; the results mapped back and measured against the MLE."""
    from ..engines.distributed import descend
    from ..stats.sharded import moments

    check_descent_start(settings.init, design.names)
    X, y = agreed(group, lambda: _held(design, mine, group.rank, chunk_rows))
    mean, scale = moments(X, group)
    scaling = Scaling(mean=mean, scale=scale)
    Z = (X - mean) / scale
    del X
    used = resolve_lr(settings, lr, lambda: step_from_gram(group.sum(Z.T @ Z) / design.rows_used))
    found = {
        loss: descent(descend(Z, y, replace(used, loss=loss), group, names=design.names), used,
                      scaling, mle)
        for loss in losses
    }  # fmt: skip
    return scaling, used, found


def _held(
    design: ShardedDesign, mine: Shards, rank: int, chunk_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """This worker's rows in memory (X without the intercept, y), after checking they fit
    (ConfigError: fewer rows per worker, or more workers)."""
    rows, d = design.rows_per_worker[rank], len(design.names)
    need = budget.Estimate(2.0 * rows * (d + 1) * 8, 0.0)  # X and Z side by side, and y
    budget.check(need, "holding this worker's rows in memory for gradient descent")
    parts = list(design.batches(mine, chunk_rows))
    if not parts:
        return np.zeros((0, d)), np.zeros(0)
    return np.vstack([x for x, _ in parts]), np.concatenate([y for _, y in parts])


__all__ = ["NOT_PRODUCED", "fit_shards", "open_table"]
