"""The digits study's folder: figures, weights.csv, results.json and report.html (3 against
7, or the ten digits with softmax: the same files, the ten's figures and page their own)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..records import digits_weight_rows, to_record
from ..studies.digits import DIGITS, TEN, DigitsRun, TenDigitsRun
from ..viz.digits import FIGURES, TEN_FIGURES
from . import html as htmlpage
from .html import percent
from .writers import names_in, save_figure, write_csv, write_json


def write_digits(
    run: DigitsRun | TenDigitsRun, folder: Path, *, formats: Sequence[str] = ("png",)
) -> list[str]:
    """Every file of the digits study into folder (figures also in each of `formats`);
    returns the names written, sorted."""
    results = to_record(run)
    figures = TEN_FIGURES if isinstance(run, TenDigitsRun) else FIGURES
    for name, (figure, _caption) in figures.items():
        save_figure(figure(run), folder / name, formats=formats)
    write_csv(digits_weight_rows(run), folder / "weights.csv")
    write_json(results, folder / "results.json")
    pngs = {name: folder / name for name in figures}  # drawn once, embedded from the files
    page = render_ten_html if isinstance(run, TenDigitsRun) else render_html
    (folder / "report.html").write_text(page(run, results, pngs))
    return names_in(folder)


SCORE_HEADER = ("model", "images", "n", "accuracy", "errors", "log-loss", "ROC AUC")


def score_rows(results: dict) -> list[list[object]]:
    """Our fit and scikit-learn's on each side of the split: accuracy, errors, log-loss, AUC."""
    rows = []
    for label, scores in (("Adam, mini-batches (this run)", results["scores"]),
                          ("scikit-learn LogisticRegression (L2, C = 1)",
                           results["reference"]["scores"])):  # fmt: skip
        for side in ("train", "test"):
            s = scores[side]
            (_, false_7), (false_3, _) = s["confusion"]
            rows.append([
                label, "training" if side == "train" else "held out", s["n"],
                percent(s["accuracy"]), false_7 + false_3, s["log_loss"], s["roc_auc"],
            ])  # fmt: skip
    return rows


def growth_text(run: DigitsRun) -> str:
    """What the epochs after the training images are all sorted out do: the weights grow,
    the held-out accuracy barely moves (numbers from this run's history)."""
    start, end = run.separated_from(), run.fit.epochs
    if start is None:
        wrong = round((1 - run.train_curve[-1]) * int(np.sum(~run.test)))
        return f"After {end:,} epochs {wrong} training images are still on the wrong side."
    largest = np.abs(run.fit.history.params[:, 1:]).max(axis=1)
    loss = run.losses()
    held_out = dict(zip(run.curve_epochs.tolist(), run.test_curve.tolist(), strict=True))
    return (
        f"Every training image is on the right side from epoch {start:,} on. From there to "
        f"epoch {end:,} the largest weight went from {largest[start]:.3g} to "
        f"{largest[end]:.3g} and the training loss from {loss[start]:.3g} to {loss[end]:.3g}, "
        f"while the held-out accuracy went from {percent(held_out[start])} to "
        f"{percent(held_out[end])}."
    )


def render_html(run: DigitsRun, results: dict, images: Mapping[str, Path]) -> str:
    """report.html: the data, the training, the scores, the weights, the hardest images;
    `images` maps each of FIGURES to its PNG file, embedded in the page."""
    return htmlpage.page(
        f"Digits: {DIGITS[0]} against {DIGITS[1]}",
        "digits.html",
        digits=DIGITS,
        results=results,
        cfg=results["settings"],
        fit=results["fit"],
        counts=results["data"]["counts"],
        agree=results["weights_vs_mean_difference"],
        images=images,
        captions={name: caption for name, (_, caption) in FIGURES.items()},
        score_header=SCORE_HEADER,
        score_rows=score_rows(results),
        growth=growth_text(run) if results["separable"] else "",
    )


TEN_SCORE_HEADER = ("model", "images", "n", "accuracy", "errors", "log-loss",
                    "ROC AUC (one vs rest)")  # fmt: skip


def ten_score_rows(results: dict) -> list[list[object]]:
    """The softmax fit and scikit-learn's on each side: accuracy, errors, log-loss, AUC."""
    rows = []
    for label, scores in (("Adam, mini-batches (this run)", results["scores"]),
                          ("scikit-learn LogisticRegression (multinomial, L2, C = 1)",
                           results["reference"]["scores"])):  # fmt: skip
        for side in ("train", "test"):
            s = scores[side]
            right = sum(s["confusion_matrix"][k][k] for k in range(len(TEN)))
            rows.append([
                label, "training" if side == "train" else "held out", s["rows"],
                percent(s["accuracy"]), s["rows"] - right, s["log_loss"], s["roc_auc_ovr"],
            ])  # fmt: skip
    return rows


CLASS_HEADER = ("digit", "held out", "precision", "recall", "scikit-learn precision",
                "scikit-learn recall")  # fmt: skip


def class_rows(results: dict) -> list[list[object]]:
    """Per digit on the held-out images: its count, then precision and recall of this run
    and of scikit-learn's."""
    ours, theirs = results["scores"]["test"], results["reference"]["scores"]["test"]
    return [
        [str(d), results["data"]["counts"]["test"][str(d)],
         f"{ours['precision'][str(d)]:.3f}", f"{ours['recall'][str(d)]:.3f}",
         f"{theirs['precision'][str(d)]:.3f}", f"{theirs['recall'][str(d)]:.3f}"]
        for d in TEN
    ]  # fmt: skip


def render_ten_html(run: TenDigitsRun, results: dict, images: Mapping[str, Path]) -> str:
    """report.html of the ten digits: the data, the training, the scores beside
    scikit-learn's, per-digit precision and recall, the confusion matrix, the weights, the
    hardest images; `images` maps each of TEN_FIGURES to its PNG file."""
    return htmlpage.page(
        "Digits: all ten, softmax regression",
        "digits_ten.html",
        results=results,
        cfg=results["settings"],
        fit=results["fit"],
        counts=results["data"]["counts"],
        images=images,
        captions={name: caption for name, (_, caption) in TEN_FIGURES.items()},
        score_header=TEN_SCORE_HEADER,
        score_rows=ten_score_rows(results),
        class_header=CLASS_HEADER,
        class_rows=class_rows(results),
        count_header=("images", *map(str, TEN)),
        count_rows=[
            ["training", *results["data"]["counts"]["train"].values()],
            ["held out", *results["data"]["counts"]["test"].values()],
        ],
    )
