"""The digits study's folder: figures, weights.csv, results.json and report.html."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..records import digits_weight_rows, to_record
from ..studies.digits import DIGITS, DigitsRun
from ..viz.digits import FIGURES
from . import html as htmlpage
from .html import percent
from .writers import names_in, save_figure, write_csv, write_json


def write_digits(run: DigitsRun, folder: Path, *, formats: Sequence[str] = ("png",)) -> list[str]:
    """Every file of the digits study into folder (figures also in each of `formats`);
    returns the names written, sorted."""
    results = to_record(run)
    for name, (figure, _caption) in FIGURES.items():
        save_figure(figure(run), folder / name, formats=formats)
    write_csv(digits_weight_rows(run), folder / "weights.csv")
    write_json(results, folder / "results.json")
    pngs = {name: folder / name for name in FIGURES}  # drawn once, embedded from the files
    (folder / "report.html").write_text(render_html(run, results, pngs))
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
