"""How well a fit predicts: a stratified held-out split and scikit-learn's metrics on it.

The coefficients' standard errors say how sure the model is of itself; only rows it has not
seen say how well it predicts. Every number here comes from scikit-learn (train_test_split,
sklearn.metrics, calibration_curve), so it is the number a reader would get there. The records
hold plain Python values (floats, ints, tuples), so dataclasses.asdict serialises them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import MAX_SPLIT_SEED, check_int, check_test_size, check_threshold
from ..data.checks import label_array, numeric_array
from ..errors import DataError

#: A reliability plot's bins: at least this many rows each, from 2 to MAX_BINS bins.
ROWS_PER_BIN, MAX_BINS = 20, 10
#: The ROC curve kept: one point per step of this size in FPR + TPR (so at most ~2,000 points,
#: a curve drawn within 0.001 of the whole one), plus the last and Youden's. A million rows
#: of distinct scores gave a million points, 111 MB of results.json; AUC and Youden's J are
#: taken from the whole curve.
ROC_STEP = 1e-3


def split_rows(y: object, test_size: float, seed: int = 0) -> np.ndarray:
    """A boolean mask of the held-out rows: a share test_size of them, drawn so that both
    classes keep their proportions (scikit-learn's train_test_split with stratify=y and
    random_state=seed). Each class needs two rows at least, and each side of the split as
    many rows as there are classes."""
    return split_classes(_labels(y), test_size, seed)


def split_classes(labels: np.ndarray, test_size: float, seed: int = 0) -> np.ndarray:
    """split_rows of numeric class labels taking any number of values (a multinomial fit's
    class codes 0, ..., K - 1): each class keeps its proportion."""
    size = check_test_size(test_size)
    seed = check_int("split seed", seed, 0, MAX_SPLIT_SEED)
    n = len(labels)
    classes, counts = np.unique(labels, return_counts=True)
    if counts.min() < 2:
        rare = f"y = {classes[counts.argmin()]:g}"
        raise DataError(f"a stratified split needs at least 2 rows of each class; {rare} has "
                        f"{counts.min()} of {n}")  # fmt: skip
    held = int(np.ceil(size * n))
    if held < len(classes) or n - held < len(classes):
        raise DataError(
            f"a stratified split of {n} rows with test size {size:g} leaves {held} held out and "
            f"{n - held} for fitting; each side needs at least {len(classes)} (one per class)"
        )
    from sklearn.model_selection import train_test_split

    _, test = train_test_split(np.arange(n), test_size=size, random_state=seed, stratify=labels)
    mask = np.zeros(n, dtype=bool)
    mask[test] = True
    return mask


@dataclass(frozen=True)
class RocCurve:
    """The ROC curve: false- and true-positive rates at each distinct threshold, highest
    threshold first (the first is +inf: nothing predicted positive)."""

    fpr: tuple[float, ...]
    tpr: tuple[float, ...]
    thresholds: tuple[float, ...]


@dataclass(frozen=True)
class Youden:
    """The point of the ROC curve that maximises Youden's J = sensitivity + specificity - 1:
    rows with p at or above `threshold` (one of scikit-learn's roc_curve thresholds, the
    highest of those tied) are predicted 1 there."""

    threshold: float
    sensitivity: float
    specificity: float
    j: float


def youden(roc: RocCurve) -> Youden:
    """Youden's J at every threshold of the curve, and the first (highest) that maximises it."""
    fpr, tpr = np.asarray(roc.fpr), np.asarray(roc.tpr)
    best = int(np.argmax(tpr - fpr))
    return Youden(roc.thresholds[best], float(tpr[best]), float(1.0 - fpr[best]),
                  float(tpr[best] - fpr[best]))  # fmt: skip


def thinned(fpr: np.ndarray, tpr: np.ndarray) -> np.ndarray:
    """The indices of the curve's points kept: the first in each step of ROC_STEP along
    FPR + TPR (which never falls along the curve), the last, and the first of largest J."""
    steps = np.floor((fpr + tpr) / ROC_STEP)
    first = np.flatnonzero(np.diff(steps, prepend=-1.0) > 0)
    return np.union1d(first, [len(fpr) - 1, int(np.argmax(tpr - fpr))])


@dataclass(frozen=True)
class Calibration:
    """A reliability curve: rows grouped into bins of equal count by predicted probability;
    per bin the mean predicted probability, the observed share of y = 1 and the row count."""

    predicted: tuple[float, ...]
    observed: tuple[float, ...]
    count: tuple[int, ...]
    n_bins: int


@dataclass(frozen=True)
class PredictionMetrics:
    """How well probabilities p predict labels y, by scikit-learn's definitions.

    The predicted class is 1 where p > threshold (as scikit-learn's and statsmodels'
    predictions are). confusion is [[TN, FP], [FN, TP]] (rows: true 0, 1; columns:
    predicted 0, 1). roc is the curve thinned to ROC_STEP. roc_auc, roc and youden (the
    threshold that maximises Youden's J) are None when y holds one class only, with the
    reason in roc_auc_note.
    """

    n: int
    base_rate: float
    threshold: float
    accuracy: float
    log_loss: float
    brier: float
    roc_auc: float | None
    roc_auc_note: str | None
    roc: RocCurve | None
    calibration: Calibration
    confusion: tuple[tuple[int, int], tuple[int, int]]
    youden: Youden | None = None

    def __repr__(self) -> str:
        """One line, not the curves: the rows, the scores and the confusion matrix."""
        auc = "undefined" if self.roc_auc is None else f"{self.roc_auc:.4f}"
        (tn, fp), (fn, tp) = self.confusion
        return (f"PredictionMetrics(n={self.n:,}, accuracy {self.accuracy:.4f} at threshold "
                f"{self.threshold:g}, log-loss {self.log_loss:.4f}, Brier {self.brier:.4f}, "
                f"ROC AUC {auc}; TN {tn:,}, FP {fp:,}, FN {fn:,}, TP {tp:,})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the scores, the confusion matrix and Youden's threshold."""
        from ..display import html

        return html("metrics.html", m=self)


def prediction_metrics(y: object, p: object, threshold: float = 0.5) -> PredictionMetrics:
    """Accuracy at the threshold, log-loss, Brier score, ROC AUC and curve, a reliability
    curve and the confusion matrix of probabilities p for labels y (0/1)."""
    from sklearn.metrics import accuracy_score, brier_score_loss, log_loss, roc_curve
    from sklearn.metrics import auc as area_under

    cut = check_threshold(threshold)
    labels = _labels(y)
    probs = _probabilities(p, len(labels))
    predicted = (probs > cut).astype(float)
    classes = np.unique(labels)
    roc, auc, note = None, None, None
    if len(classes) == 2:
        fpr, tpr, thresholds = roc_curve(labels, probs)
        auc = float(area_under(fpr, tpr))  # roc_auc_score's own sum, without sorting twice
        kept = thinned(fpr, tpr)
        roc = RocCurve(_floats(fpr[kept]), _floats(tpr[kept]), _floats(thresholds[kept]))
    else:
        note = f"ROC AUC is undefined: every row has y = {classes[0]:g}"
    return PredictionMetrics(
        n=len(labels),
        base_rate=float(labels.mean()),
        threshold=cut,
        accuracy=float(accuracy_score(labels, predicted)),
        log_loss=float(log_loss(labels, probs, labels=[0.0, 1.0])),
        brier=float(brier_score_loss(labels, probs, pos_label=1.0)),
        roc_auc=auc,
        roc_auc_note=note,
        roc=roc,
        calibration=_calibration(labels, probs),
        confusion=_confusion(labels, predicted),
        youden=None if roc is None else youden(roc),
    )


def _confusion(labels: np.ndarray, predicted: np.ndarray) -> tuple[tuple[int, int], ...]:
    """scikit-learn's confusion_matrix(labels=[0, 1]), [[TN, FP], [FN, TP]], counted in one
    bincount (it takes seconds a million rows validating them)."""
    counts = np.bincount(2 * labels.astype(np.int64) + predicted.astype(np.int64), minlength=4)
    return tuple(tuple(int(v) for v in row) for row in counts.reshape(2, 2))


def calibration_bins(n: int) -> int:
    """How many bins a reliability curve of n rows gets: one per ROWS_PER_BIN rows, from 2
    to MAX_BINS, and never more than n."""
    return max(1, min(n, max(2, min(MAX_BINS, n // ROWS_PER_BIN))))


def _calibration(labels: np.ndarray, probs: np.ndarray) -> Calibration:
    """scikit-learn's quantile reliability curve, with the rows per bin it does not return
    (counted on the same edges: np.percentile of p, empty bins dropped, as it does)."""
    from sklearn.calibration import calibration_curve

    n_bins = calibration_bins(len(labels))
    observed, predicted = calibration_curve(
        labels, probs, n_bins=n_bins, strategy="quantile", pos_label=1.0
    )
    edges = np.percentile(probs, np.linspace(0, 100, n_bins + 1))
    count = np.bincount(np.searchsorted(edges[1:-1], probs), minlength=n_bins + 1)
    count = count[count > 0]
    return Calibration(_floats(predicted), _floats(observed), tuple(map(int, count)), n_bins)


def _labels(y: object) -> np.ndarray:
    """y as a float vector of 0/1 labels with one row at least (DataError otherwise)."""
    array = numeric_array(y, "y", "a numeric array of 0/1 labels")
    labels = label_array(array, array.size)
    if labels.size == 0:
        raise DataError("y must hold at least one label, got none")
    return labels


def _probabilities(p: object, n: int) -> np.ndarray:
    """p as a float vector of n probabilities in [0, 1] (DataError otherwise)."""
    probs = numeric_array(p, "p", "a numeric array of probabilities").reshape(-1)
    if probs.shape[0] != n:
        raise DataError(f"p must hold one probability per label ({n}), got {probs.shape[0]}")
    if not np.all((probs >= 0) & (probs <= 1)):
        raise DataError("p must hold probabilities from 0 to 1 (no NaN)")
    return probs


def _floats(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in values)
