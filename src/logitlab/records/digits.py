"""results.json and weights.csv of digits (logitlab digits): 3 against 7, or the ten digits
with softmax (the same keys where they mean the same; the multiclass scores as `fit` records
a K-level target's evaluation)."""

from __future__ import annotations

from ..studies.digits import (
    DIGITS,
    MIN_DIFFERENCE,
    SIDE,
    TEN,
    ClassScores,
    DigitsRun,
    Scores,
    TenDigitsRun,
)
from .common import provenance, to_record
from .multiclass import evaluation_record


def _digits_scores(scores: Scores) -> dict:
    """Accuracy, log-loss, Brier score, ROC AUC and confusion on the training and held-out
    images (the ROC and reliability curves are left out)."""
    keep = ("n", "accuracy", "log_loss", "brier", "roc_auc", "confusion")
    return {
        side: {key: to_record(getattr(getattr(scores, side), key)) for key in keep}
        for side in ("train", "test")
    }


def digits_weight_rows(run: DigitsRun | TenDigitsRun) -> list[dict]:
    """weights.csv: one row per pixel, its weight and the two mean images' ink there; for
    the ten digits its weight in each digit's logit (weight_0 ... weight_9)."""
    if isinstance(run, TenDigitsRun):
        return [
            {"pixel": name, "row": j // SIDE, "col": j % SIDE}
            | {f"weight_{d}": float(run.fit.weight[d, j]) for d in TEN}
            for j, name in enumerate(run.data.names)
        ]
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


def _class_scores(scores: ClassScores) -> dict:
    """The multiclass metrics on the training and held-out images."""
    return {side: evaluation_record(getattr(scores, side), list(TEN)) for side in ("train", "test")}


@to_record.register
def _(run: TenDigitsRun) -> dict:
    """results.json of `digits --classes all`: settings, split, the softmax fit, its scores
    beside scikit-learn's, the hardest held-out images."""
    train = run.config.train()
    rows, own, predicted = run.hardest()
    return {
        "settings": to_record(run.config) | {
            "loss": "cross_entropy", "optimizer": "adam",
            "start": f"torch.nn.Linear(64, 10) drawn under torch.manual_seed({train.init_seed})",
        },
        "data": {
            "source": "sklearn.datasets.load_digits, pixels / 16",
            "label": "y = the digit, 0 to 9",
            "counts": run.counts(),
        },
        "fit": {
            "model": "softmax regression: torch.nn.Linear(64, 10), torch.nn.CrossEntropyLoss",
            "engine": run.fit.engine, "epochs": run.fit.epochs,
            "final_loss": run.fit.final_loss, "loss": run.fit.loss.tolist(),
            "bias": run.fit.bias.tolist(), "weight": run.fit.weight.tolist(),
        },
        "scores": _class_scores(run.scores),
        "reference": {
            "model": "sklearn LogisticRegression(C=1.0), multinomial",
            "scores": _class_scores(run.reference),
        },
        "hardest": [
            {"row": int(row), "digit": int(run.data.y[row]), "predicted": int(guess),
             "p_digit": float(p)}
            for row, p, guess in zip(rows, own, predicted, strict=True)
        ],
        "provenance": provenance(run.seconds),
    }  # fmt: skip
