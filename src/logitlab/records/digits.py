"""results.json and weights.csv of digits, 3 against 7 (logitlab digits)."""

from __future__ import annotations

from ..studies.digits import DIGITS, MIN_DIFFERENCE, SIDE, DigitsRun, Scores
from .common import provenance, to_record


def _digits_scores(scores: Scores) -> dict:
    """Accuracy, log-loss, Brier score, ROC AUC and confusion on the training and held-out
    images (the ROC and reliability curves are left out)."""
    keep = ("n", "accuracy", "log_loss", "brier", "roc_auc", "confusion")
    return {
        side: {key: to_record(getattr(getattr(scores, side), key)) for key in keep}
        for side in ("train", "test")
    }


def digits_weight_rows(run: DigitsRun) -> list[dict]:
    """weights.csv: one row per pixel, its weight and the two mean images' ink there."""
    three, seven = (run.mean_image(d).ravel() for d in DIGITS)
    return [
        {"pixel": name, "row": j // SIDE, "col": j % SIDE, "weight": float(run.fit.coef[j]),
         f"mean_{DIGITS[0]}": float(three[j]), f"mean_{DIGITS[1]}": float(seven[j])}
        for j, name in enumerate(run.fit.names)
    ]  # fmt: skip


@to_record.register
def _(run: DigitsRun) -> dict:
    """results.json of `digits`: settings, split, fit, scores beside scikit-learn's, the
    separation that rules out the MLE, and how the weights' signs match mean 7 - mean 3."""
    agree, pixels = run.sign_agreement()
    return {
        "settings": to_record(run.config) | {"loss": "bce", "optimizer": "adam", "start": 0.0},
        "data": {
            "source": "sklearn.datasets.load_digits, pixels / 16",
            "label": f"y = 1 for a {DIGITS[1]}, 0 for a {DIGITS[0]}",
            "counts": run.counts(),
        },
        "fit": to_record(run.fit),
        "scores": _digits_scores(run.scores),
        "reference": {
            "model": "sklearn LogisticRegression(C=1.0)",
            "scores": _digits_scores(run.reference),
        },
        "separable": run.separation is not None,
        "separation": run.separation,
        "train_separated_from_epoch": run.separated_from(),
        "weights_vs_mean_difference": {
            "min_difference": MIN_DIFFERENCE,
            "pixels": pixels,
            "agree": agree,
        },
        "provenance": provenance(run.seconds),
    }
