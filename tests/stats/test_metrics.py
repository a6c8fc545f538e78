"""Prediction metrics against closed-form definitions and scikit-learn, and the held-out split."""

import json
import math
from dataclasses import asdict

import numpy as np
import pytest
from scipy.stats import mannwhitneyu
from sklearn.metrics import roc_curve

from logitlab.errors import ConfigError, DataError
from logitlab.records import json_safe
from logitlab.stats.metrics import ROC_STEP, calibration_bins, prediction_metrics, split_rows


@pytest.fixture(scope="module")
def noisy():
    """Labels and informative but imperfect probabilities, ties included."""
    rng = np.random.default_rng(11)
    y = (rng.random(300) < 0.35).astype(float)
    p = np.clip(0.35 + 0.25 * (y - 0.35) + 0.15 * rng.normal(size=300), 0.01, 0.99).round(2)
    return y, p


def test_metrics_match_their_definitions(noisy):
    y, p = noisy
    m = prediction_metrics(y, p)
    assert m.n == 300
    assert m.base_rate == pytest.approx(y.mean())
    assert m.accuracy == pytest.approx(np.mean((p > 0.5) == (y == 1)))
    assert m.log_loss == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    assert m.brier == pytest.approx(np.mean((p - y) ** 2))
    # AUC is the Mann-Whitney U of the positives' scores over n1 * n0 (ties count half)
    u = mannwhitneyu(p[y == 1], p[y == 0]).statistic
    assert m.roc_auc == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()))
    tn = np.sum((p <= 0.5) & (y == 0))
    fp = np.sum((p > 0.5) & (y == 0))
    fn = np.sum((p <= 0.5) & (y == 1))
    tp = np.sum((p > 0.5) & (y == 1))
    assert m.confusion == ((tn, fp), (fn, tp))
    fpr, tpr, thresholds = roc_curve(y, p)
    np.testing.assert_array_equal(m.roc.fpr, fpr)
    np.testing.assert_array_equal(m.roc.tpr, tpr)
    np.testing.assert_array_equal(m.roc.thresholds, thresholds)


def test_threshold_moves_the_predicted_class(noisy):
    y, p = noisy
    m = prediction_metrics(y, p, threshold=0.3)
    assert m.accuracy == pytest.approx(np.mean((p > 0.3) == (y == 1)))
    assert sum(m.confusion[0]) == np.sum(y == 0) and sum(m.confusion[1]) == np.sum(y == 1)


def test_perfect_predictions():
    y = np.array([0, 0, 1, 1, 0, 1.0])
    m = prediction_metrics(y, y * 0.98 + 0.01)
    assert m.roc_auc == 1.0 and m.accuracy == 1.0
    assert m.confusion == ((3, 0), (0, 3))
    assert m.log_loss == pytest.approx(-math.log(0.99))


def test_constant_probability_has_closed_form_scores():
    y = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0.0])
    c, b = 0.2, y.mean()
    m = prediction_metrics(y, np.full(10, c))
    assert m.brier == pytest.approx(c**2 * (1 - b) + (1 - c) ** 2 * b)
    assert m.log_loss == pytest.approx(-(b * math.log(c) + (1 - b) * math.log(1 - c)))
    assert m.roc_auc == pytest.approx(0.5)  # one threshold: the chance diagonal
    assert m.accuracy == pytest.approx(1 - b)


def test_one_class_leaves_auc_undefined_with_a_reason():
    m = prediction_metrics(np.ones(4), [0.9, 0.8, 0.4, 0.7])
    assert m.roc_auc is None and m.roc is None
    assert "every row has y = 1" in m.roc_auc_note
    assert m.accuracy == pytest.approx(0.75)
    assert m.confusion == ((0, 0), (1, 3))


def test_calibration_bins_add_up(noisy):
    y, p = noisy
    cal = prediction_metrics(y, p).calibration
    assert cal.n_bins == 10
    counts = np.array(cal.count)
    assert counts.sum() == len(y)
    # each bin's mean prediction and share of y = 1, weighted by its rows, give the totals
    assert np.dot(counts, cal.predicted) == pytest.approx(p.sum())
    assert np.dot(counts, cal.observed) == pytest.approx(y.sum())
    assert list(cal.predicted) == sorted(cal.predicted)


@pytest.mark.parametrize(("n", "bins"), [(1, 1), (3, 2), (7, 2), (60, 3), (199, 9), (10**5, 10)])
def test_calibration_bins_adapt_to_small_n(n, bins):
    assert calibration_bins(n) == bins


def test_record_is_plain_json(noisy):
    record = json_safe(asdict(prediction_metrics(*noisy)))
    text = json.dumps(record, allow_nan=False)
    assert json.loads(text)["roc"]["thresholds"][0] is None  # +inf: nothing predicted 1


def test_split_is_stratified_and_reproducible(noisy):
    y, _ = noisy
    mask = split_rows(y, 0.2, seed=5)
    assert mask.dtype == bool and mask.sum() == 60
    assert abs(y[mask].sum() - 0.2 * y.sum()) <= 1
    np.testing.assert_array_equal(mask, split_rows(y, 0.2, seed=5))
    assert not np.array_equal(mask, split_rows(y, 0.2, seed=6))


@pytest.mark.parametrize(
    ("y", "size", "seed", "error", "words"),
    [
        ([0, 1] * 5, 0.0, 0, ConfigError, "test size must be a share between 0 and 1"),
        ([0, 1] * 5, 1, 0, ConfigError, "test size must be a share between 0 and 1"),
        ([0, 1] * 5, float("nan"), 0, ConfigError, "test size"),
        ([0, 1] * 5, "0.2", 0, ConfigError, "test size"),
        ([0, 1] * 5, 0.2, -1, ConfigError, "split seed must be an integer from 0 to 2**32 - 1"),
        ([0, 1] * 5, 0.2, 2**32, ConfigError, "split seed"),
        ([0, 0, 0, 1], 0.5, 0, DataError, "y = 1 has 1 of 4"),
        ([0, 0, 1, 1], 0.2, 0, DataError, "each side needs at least 2"),
        ([0, 2, 1, 1], 0.5, 0, DataError, "y must hold only 0 and 1"),
    ],
)
def test_split_refuses(y, size, seed, error, words):
    with pytest.raises(error) as caught:
        split_rows(y, size, seed)
    assert words in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("y", "p", "threshold", "words"),
    [
        ([0, 1], [0.2, 1.2], 0.5, "p must hold probabilities from 0 to 1"),
        ([0, 1], [0.2, float("nan")], 0.5, "p must hold probabilities"),
        ([0, 1], [0.2], 0.5, "one probability per label (2), got 1"),
        ([], [], 0.5, "at least one label"),
        ([0, 1], [0.2, 0.4], 1.5, "threshold must be a probability between 0 and 1"),
        ([0, 1], [0.2, 0.4], 0, "threshold must be a probability between 0 and 1"),
    ],
)
def test_metrics_refuse(y, p, threshold, words):
    with pytest.raises((DataError, ConfigError)) as caught:
        prediction_metrics(y, p, threshold)
    assert words in str(caught.value)


def test_youden_threshold_maximises_sensitivity_plus_specificity(noisy):
    # the reference: every distinct probability tried as a cut (p >= t predicted 1)
    y, p = noisy
    best = None
    for t in sorted(set(p), reverse=True):
        sensitivity = np.mean(p[y == 1] >= t)
        specificity = np.mean(p[y == 0] < t)
        if best is None or sensitivity + specificity - 1 > best[3] + 1e-12:
            best = (t, sensitivity, specificity, sensitivity + specificity - 1)
    found = prediction_metrics(y, p).youden
    assert found.threshold == best[0]  # one of the probabilities themselves: no arithmetic
    np.testing.assert_allclose(
        (found.sensitivity, found.specificity, found.j), best[1:], rtol=1e-12, atol=1e-15
    )
    assert 0 < found.j <= 1


def test_youden_is_none_with_one_class():
    assert prediction_metrics([1, 1, 1], [0.2, 0.6, 0.9]).youden is None


def test_auc_and_confusion_are_scikit_learns(noisy):
    """The AUC is taken from the one ROC curve and the counts from one bincount: the same
    numbers as roc_auc_score and confusion_matrix."""
    from sklearn.metrics import confusion_matrix, roc_auc_score

    y, p = noisy
    m = prediction_metrics(y, p, threshold=0.4)
    np.testing.assert_allclose(m.roc_auc, roc_auc_score(y, p), rtol=1e-15, atol=1e-15)
    assert m.confusion == tuple(map(tuple, confusion_matrix(y, p > 0.4, labels=[0, 1]).tolist()))


def test_a_long_roc_curve_is_kept_to_its_step_with_auc_and_youden_from_the_whole():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 200_000).astype(float)
    p = 1 / (1 + np.exp(-(rng.normal(size=y.size) + y)))
    fpr, tpr, thresholds = roc_curve(y, p)
    m = prediction_metrics(y, p)
    kept = np.array(m.roc.fpr) + np.array(m.roc.tpr)
    assert len(fpr) > 50_000 and len(kept) <= 2 / ROC_STEP + 3
    assert set(m.roc.thresholds) <= set(thresholds.tolist())
    assert (m.roc.fpr[0], m.roc.tpr[0], m.roc.fpr[-1], m.roc.tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    # every point left out lies within a step of the last point kept before it
    whole = fpr + tpr
    before = np.searchsorted(kept, whole, side="right") - 1
    assert np.all(whole - kept[before] < ROC_STEP + 1e-12)
    best = int(np.argmax(tpr - fpr))
    assert m.youden.threshold == thresholds[best] and m.youden.j == tpr[best] - fpr[best]
    np.testing.assert_allclose(m.roc_auc, np.trapezoid(tpr, fpr), rtol=1e-12)


def test_metrics_show_one_line_and_a_card(noisy):
    y, p = noisy
    m = prediction_metrics(y, p, threshold=0.4)
    line = repr(m)
    assert "\n" not in line and len(line) < 200 and "RocCurve" not in line
    (tn, fp), (fn, tp) = m.confusion
    assert line == (f"PredictionMetrics(n=300, accuracy {m.accuracy:.4f} at threshold 0.4, "
                    f"log-loss {m.log_loss:.4f}, Brier {m.brier:.4f}, ROC AUC {m.roc_auc:.4f}; "
                    f"TN {tn}, FP {fp}, FN {fn}, TP {tp})")  # fmt: skip
    card = m._repr_html_()
    assert f"<tr><td>y = 1</td><td>{fn}</td><td>{tp}</td></tr>" in card
    assert f"at threshold {m.youden.threshold:.4f}" in card and f"{m.roc_auc:.4f}" in card
    one = prediction_metrics(np.ones(4), [0.9, 0.8, 0.4, 0.7])
    assert "ROC AUC undefined" in repr(one)
    assert "every row has y = 1" in one._repr_html_()
