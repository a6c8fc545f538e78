"""Digits, 3 against 7: the course's MNIST step, on scikit-learn's 8 x 8 copy (no download);
and its next step, all ten digits with softmax regression (DigitsConfig(classes="all")).

Logistic regression on the 64 pixels: the lecture's net with Linear(64, 1), trained with Adam
on mini-batches, scored on a stratified held-out split. Pixels are ink levels 0..16 divided by
16, so each lies in [0, 1] like the lecture's x: a weight is then the logit one full pixel of
ink adds, and an Adam step of size lr moves the logits as much as in the lecture.

The 3s and 7s are completely separable (a flat cut through pixel space splits them), so the
maximum-likelihood estimate does not exist: the likelihood only rises as the weights grow.
That is why the fit here is gradient descent for a fixed number of epochs, not the MLE.

The ten digits are the same study with Linear(64, 10) and CrossEntropyLoss (engines.softmax):
the same Adam, batches, epochs and stratified split, scored beside scikit-learn's multinomial
LogisticRegression with the multiclass metrics `logitlab fit` gives a K-level target.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..config import DIGITS_SIDE as SIDE
from ..config import DigitsConfig
from ..data.datasets import load_dataset
from ..engines import fit
from ..errors import SeparationWarning
from ..model import probabilities
from ..result import FitResult
from ..stats.metrics import PredictionMetrics, prediction_metrics, split_classes, split_rows
from .multiclass import Evaluation, evaluate_codes
from .timing import timed

if TYPE_CHECKING:
    from ..engines.softmax import SoftmaxFit

#: The two digits, in label order: y = 0 for a 3, y = 1 for a 7.
DIGITS = (3, 7)
#: The darkest ink level in scikit-learn's digits (pixels hold 0..16).
INK_LEVELS = 16
#: Epochs at which the accuracy curves are evaluated, at most (evenly spread).
CURVE_POINTS = 400
#: The ten digits' classes: class k is the digit k.
TEN = tuple(range(10))
#: How many held-out images the ten digits' record and "hardest" figure keep.
HARDEST = 10
#: Mean images of the two digits that differ by less ink than this at a pixel leave it to
#: neither (DigitsRun.sign_agreement).
MIN_DIFFERENCE = 0.1


@dataclass(frozen=True)
class DigitsData:
    """Pixels in [0, 1] (n x 64, row by row), labels (3 against 7: 1 for a 7; the ten
    digits: the digit itself), pixel names."""

    x: np.ndarray
    y: np.ndarray
    names: tuple[str, ...]


def load_3v7() -> DigitsData:
    """The shipped data set digits-3v7 (scikit-learn's 3s and 7s) as pixels in [0, 1], row by
    row (pixel_0_0 ... pixel_7_7), and y = 1 for a 7."""
    table = load_dataset("digits-3v7")
    names = tuple(column for column in table.frame.columns if column != table.target)
    return DigitsData(
        x=table.frame[list(names)].to_numpy(dtype=float) / INK_LEVELS,
        y=(table.frame[table.target] == DIGITS[1]).to_numpy(dtype=float),
        names=names,
    )


def load_ten() -> DigitsData:
    """All 1,797 of scikit-learn's digits as pixels in [0, 1], row by row (pixel_0_0 ...
    pixel_7_7), and y the digit 0-9."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return DigitsData(
        x=bunch.data / INK_LEVELS, y=bunch.target.astype(np.int64), names=tuple(bunch.feature_names)
    )


@dataclass(frozen=True)
class Scores:
    """Scikit-learn's metrics of one model on the training and on the held-out images."""

    train: PredictionMetrics
    test: PredictionMetrics


@dataclass(frozen=True)
class DigitsRun:
    """Everything the digits study produces."""

    config: DigitsConfig
    data: DigitsData
    #: True for the held-out rows of data.
    test: np.ndarray
    fit: FitResult
    scores: Scores
    #: scikit-learn's LogisticRegression (L2 penalty, C = 1) on the same split, for reference.
    reference: Scores
    #: Epochs at which the accuracy curves were taken, and train/test accuracy there.
    curve_epochs: np.ndarray
    train_curve: np.ndarray
    test_curve: np.ndarray
    #: How the training images are separated (data.separation's words), None if they are not.
    separation: str | None
    #: wall time of the run that made this record
    seconds: float = 0.0

    @property
    def weights(self) -> np.ndarray:
        """The 64 pixel weights as the 8 x 8 image they belong to (> 0 votes for a 7)."""
        return self.fit.coef.reshape(SIDE, SIDE)

    def losses(self) -> np.ndarray:
        """The full-batch training loss at the parameters after each epoch 0, 1, ..., epochs
        (the history holds each epoch's start; the final loss closes it)."""
        return np.append(self.fit.history.loss, self.fit.final_loss)

    def mean_image(self, digit: int) -> np.ndarray:
        """The mean training image of `digit` (3 or 7), 8 x 8, ink in [0, 1]."""
        label = DIGITS.index(digit)
        rows = ~self.test & (self.data.y == label)
        return self.data.x[rows].mean(axis=0).reshape(SIDE, SIDE)

    def separated_from(self) -> int | None:
        """The first epoch (of those on the accuracy curve) from which every training image
        stays classified right; None if some are still wrong at the end."""
        wrong = np.flatnonzero(self.train_curve < 1)
        if len(wrong) and wrong[-1] == len(self.train_curve) - 1:
            return None
        return int(self.curve_epochs[wrong[-1] + 1]) if len(wrong) else 0

    def sign_agreement(self, min_difference: float = MIN_DIFFERENCE) -> tuple[int, int]:
        """On how many pixels the weight's sign is that of mean 7 - mean 3, of those where the
        two means differ by at least min_difference (elsewhere neither digit claims the pixel)."""
        difference = (self.mean_image(DIGITS[1]) - self.mean_image(DIGITS[0])).ravel()
        clear = np.abs(difference) >= min_difference
        same = np.sign(self.fit.coef[clear]) == np.sign(difference[clear])
        return int(same.sum()), int(clear.sum())

    def __repr__(self) -> str:
        """One line, not the images: the split, the descent's verdict and the accuracies
        beside scikit-learn's."""
        s, r = self.scores, self.reference
        return (f"DigitsRun({int((~self.test).sum()):,} training and {int(self.test.sum()):,} "
                f"held-out images, {self.fit.epochs:,} epochs {self.fit.convergence.verdict}: "
                f"accuracy {s.train.accuracy:.3f} train, {s.test.accuracy:.3f} test "
                f"(scikit-learn {r.train.accuracy:.3f}, {r.test.accuracy:.3f}); "
                f"{'separated' if self.separation else 'not separated'})")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the split, the descent's verdict, and each model's metrics on
        the training and the held-out images."""
        from ..display import count, html, number

        rows = [[model, side, count(m.n), number(m.accuracy), number(m.log_loss),
                 number(m.roc_auc)]
                for model, scores in (("gradient descent", self.scores),
                                      ("scikit-learn (L2, C = 1)", self.reference))
                for side, m in (("training", scores.train), ("held out", scores.test))]  # fmt: skip
        return html("digits.html", run=self, rows=rows, counts=self.counts())

    def counts(self) -> dict[str, dict[str, int]]:
        """Images of each digit ("3", "7") on each side of the split ("train", "test")."""
        return {
            side: {str(d): int(np.sum(mask & (self.data.y == k))) for k, d in enumerate(DIGITS)}
            for side, mask in (("train", ~self.test), ("test", self.test))
        }


def accuracy_curve(params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The accuracy at threshold 0.5 for each row of params ([w0, w1, ..., w64] per row)."""
    logits = params[:, :1] + params[:, 1:] @ x.T  # rows: parameters, columns: images
    return np.mean((logits > 0) == (y == 1), axis=1)


def _scores(p_train: np.ndarray, p_test: np.ndarray, data: DigitsData, test: np.ndarray
            ) -> Scores:  # fmt: skip
    return Scores(
        train=prediction_metrics(data.y[~test], p_train),
        test=prediction_metrics(data.y[test], p_test),
    )


def _reference(data: DigitsData, test: np.ndarray) -> Scores:
    """scikit-learn's default logistic regression (L2, C = 1, L-BFGS) on the same split."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(max_iter=10_000).fit(data.x[~test], data.y[~test])
    fitted = model.predict_proba(data.x)[:, 1]
    return _scores(fitted[~test], fitted[test], data, test)


@dataclass(frozen=True)
class ClassScores:
    """The multiclass metrics (confusion matrix, per-class precision and recall, accuracy,
    log-loss, one-vs-rest ROC AUC) of one model on the training and held-out images."""

    train: Evaluation
    test: Evaluation


@dataclass(frozen=True)
class TenDigitsRun:
    """Everything the ten-digit study produces: the split, the softmax fit, its scores beside
    scikit-learn's multinomial LogisticRegression on the same split."""

    config: DigitsConfig
    data: DigitsData
    #: True for the held-out rows of data.
    test: np.ndarray
    fit: SoftmaxFit
    scores: ClassScores
    #: scikit-learn's LogisticRegression (multinomial, L2 penalty, C = 1) on the same split.
    reference: ClassScores
    #: wall time of the run that made this record
    seconds: float = 0.0

    @property
    def weights(self) -> np.ndarray:
        """Each digit's 64 weights as its 8 x 8 image (10 x 8 x 8): ink where a digit's weight
        is > 0 raises its logit, and so its probability against the other nine."""
        return self.fit.weight.reshape(len(TEN), SIDE, SIDE)

    def losses(self) -> np.ndarray:
        """The mean cross-entropy of the training images after each epoch 0, 1, ..., epochs."""
        return np.append(self.fit.loss, self.fit.final_loss)

    def held_out_probabilities(self) -> np.ndarray:
        """P(each digit) of every held-out image (rows in data order, 10 columns)."""
        return self.fit.probabilities(self.data.x[self.test])

    def hardest(self, count: int = HARDEST) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The held-out images given the lowest probability of their own digit, lowest first:
        their rows in data, that probability, and the digit predicted (the likeliest)."""
        rows = np.flatnonzero(self.test)
        p = self.held_out_probabilities()
        own = p[np.arange(len(rows)), self.data.y[rows]]
        order = np.argsort(own, kind="stable")[:count]
        return rows[order], own[order], p[order].argmax(axis=1)

    def counts(self) -> dict[str, dict[str, int]]:
        """Images of each digit ("0" ... "9") on each side of the split ("train", "test")."""
        return {
            side: {str(d): int(np.sum(mask & (self.data.y == d))) for d in TEN}
            for side, mask in (("train", ~self.test), ("test", self.test))
        }

    def __repr__(self) -> str:
        """One line, not the images: the split, the epochs and the accuracies beside
        scikit-learn's."""
        s, r = self.scores, self.reference
        return (f"TenDigitsRun({int((~self.test).sum()):,} training and {int(self.test.sum()):,} "
                f"held-out images, softmax, {self.fit.epochs:,} epochs: accuracy "
                f"{s.train.accuracy:.3f} train, {s.test.accuracy:.3f} test (scikit-learn "
                f"{r.train.accuracy:.3f}, {r.test.accuracy:.3f}))")  # fmt: skip

    def _repr_html_(self) -> str:
        """A notebook's card: the split, the fit, each model's metrics on both sides and
        each digit's held-out precision and recall."""
        from ..display import html, number

        rows = [[model, side, m.rows, number(m.accuracy), number(m.log_loss), number(m.auc_ovr)]
                for model, scores in (("softmax, gradient descent", self.scores),
                                      ("scikit-learn (multinomial, L2, C = 1)", self.reference))
                for side, m in (("training", scores.train), ("held out", scores.test))]  # fmt: skip
        test = self.scores.test
        per_digit = [["precision", *map(number, test.precision)],
                     ["recall", *map(number, test.recall)]]  # fmt: skip
        return html("digits_ten.html", run=self, rows=rows, digits=["held out", *TEN],
                    per_digit=per_digit)  # fmt: skip


def _class_scores(p: np.ndarray, data: DigitsData, test: np.ndarray) -> ClassScores:
    """The multiclass metrics of probabilities p (one row per image of data) on each side."""
    return ClassScores(
        train=evaluate_codes(data.y[~test], p[~test], held_out=False),
        test=evaluate_codes(data.y[test], p[test], held_out=True),
    )


def _ten_reference(data: DigitsData, test: np.ndarray) -> ClassScores:
    """scikit-learn's default LogisticRegression (multinomial, L2, C = 1, L-BFGS) on the same
    split. On one BLAS thread: these 64-column products gain nothing from more, and on a
    loaded 2-core machine OpenBLAS' threads made the fit 11.7 s instead of 0.35 s."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        model = LogisticRegression(max_iter=10_000).fit(data.x[~test], data.y[~test])
        return _class_scores(model.predict_proba(data.x), data, test)


def _run_ten(cfg: DigitsConfig, progress: bool) -> TenDigitsRun:
    """The ten digits: split (stratified by digit), softmax by Adam, score."""
    from ..engines.softmax import fit_softmax

    data = load_ten()
    test = split_classes(data.y, cfg.test_size, cfg.split_seed)
    result = fit_softmax(data.x[~test], data.y[~test], len(TEN), cfg.train(), progress=progress)
    return TenDigitsRun(
        config=cfg,
        data=data,
        test=test,
        fit=result,
        scores=_class_scores(result.probabilities(data.x), data, test),
        reference=_ten_reference(data, test),
    )


@timed
def run_digits(
    config: DigitsConfig | None = None, *, progress: bool = False
) -> DigitsRun | TenDigitsRun:
    """Split the 3s and 7s (stratified, split_seed), train from all-zero weights
    (DigitsConfig.train says why), score; with config.classes "all" the same for the ten
    digits by softmax regression.

    Parameters
    ----------
    config : DigitsConfig, optional
        The split, its seed and the training settings; DigitsConfig() when None.
    progress : bool, default False
        Draw a progress bar.

    Returns
    -------
    DigitsRun or TenDigitsRun
        The split, the fit, its scores beside scikit-learn's LogisticRegression on the same
        split, and (3 against 7) the accuracy curves.
    """
    cfg = config or DigitsConfig()
    if cfg.ten:
        return _run_ten(cfg, progress)
    data = load_3v7()
    test = split_rows(data.y, cfg.test_size, cfg.split_seed)
    x, y = data.x[~test], data.y[~test]
    with warnings.catch_warnings():
        # Expected here and reported by the study itself (result.separation).
        warnings.simplefilter("ignore", SeparationWarning)
        result = fit(x, y, cfg.train(), names=data.names, progress=progress)
    params = result.history.params

    def fitted(images: np.ndarray) -> np.ndarray:
        return probabilities(result.params, images)

    at = np.unique(np.linspace(0, len(params) - 1, CURVE_POINTS).round().astype(int))
    return DigitsRun(
        config=cfg,
        data=data,
        test=test,
        fit=result,
        scores=_scores(fitted(x), fitted(data.x[test]), data, test),
        reference=_reference(data, test),
        curve_epochs=at,
        train_curve=accuracy_curve(params[at], x, y),
        test_curve=accuracy_curve(params[at], data.x[test], data.y[test]),
        separation=result.separation,
    )


__all__ = [
    "DIGITS",
    "SIDE",
    "TEN",
    "ClassScores",
    "DigitsConfig",
    "DigitsData",
    "DigitsRun",
    "Scores",
    "TenDigitsRun",
    "load_3v7",
    "load_ten",
    "run_digits",
]
