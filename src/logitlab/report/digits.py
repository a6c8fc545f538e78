"""The digits study's folder: figures, weights.csv, results.json and report.html."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..records import digits_weight_rows, to_record
from ..studies.digits import DIGITS, DigitsRun
from ..viz.digits import FIGURES
from . import html as htmlpage
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


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%"


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
                _percent(s["accuracy"]), false_7 + false_3, s["log_loss"], s["roc_auc"],
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
        f"while the held-out accuracy went from {_percent(held_out[start])} to "
        f"{_percent(held_out[end])}."
    )


def separation_text(run: DigitsRun, results: dict) -> str:
    """Why there is no maximum-likelihood fit to compare with, in plain words."""
    if not results["separable"]:  # a subset of separable images stays separable: not seen
        return "<p>The training images are not separable, so a maximum-likelihood fit exists.</p>"
    return f"""<p>A single flat cut through the 64-dimensional pixel space puts every training
{DIGITS[0]} on one side and every training {DIGITS[1]} on the other (checked by a linear
program, <code>logitlab.data.separation</code>). On such data the likelihood keeps rising as the
weights grow: pushing every probability further towards 0 or 1 always helps, so the
maximum-likelihood estimate does not exist (Newton–Raphson would run the weights off to
infinity). That is why the model here is gradient descent stopped after a fixed number of
epochs: the epochs, like scikit-learn's penalty, decide how large the weights get.
{growth_text(run)}</p>
<details><summary>The separating direction the check found</summary>
<p><code>{html.escape(results["separation"])}</code></p></details>"""


def render_html(run: DigitsRun, results: dict, images: Mapping[str, Path]) -> str:
    """report.html: the data, the training, the scores, the weights, the hardest images;
    `images` maps each of FIGURES to its PNG file, embedded in the page."""
    cfg, fit, counts = results["settings"], results["fit"], results["data"]["counts"]
    agree = results["weights_vs_mean_difference"]
    test = results["scores"]["test"]
    figures = {
        name: htmlpage.figure(images[name], caption) for name, (_, caption) in FIGURES.items()
    }
    a, b = DIGITS
    return htmlpage.page(
        f"Digits: {a} against {b}",
        f"""
<p>The course's MNIST step, on scikit-learn's copy of the handwritten digits (8 × 8 pixels, no
download): logistic regression on the 64 pixels, the lecture's net with
<code>Linear(64, 1)</code>, trained with Adam on mini-batches. Held-out accuracy:
<strong>{_percent(test["accuracy"])}</strong> ({test["n"]} images).</p>

<h2>The data</h2>
<p>{sum(counts["train"].values())} training images ({counts["train"][str(a)]} {a}s,
{counts["train"][str(b)]} {b}s) and {sum(counts["test"].values())} held out
({counts["test"][str(a)]} and {counts["test"][str(b)]}), split with the classes' proportions
kept (stratified, split seed {cfg["split_seed"]}, test size {cfg["test_size"]:g}). The label is
y = 1 for a {b}, 0 for a {a}. Each pixel's ink level (0 to 16) is divided by 16, so every input
lies in [0, 1] like the lecture's x: a weight is then the change in the logit that one fully
inked pixel brings, and an Adam step of size lr moves the logits by amounts like the lecture's
(with 0–16 inputs the same step would move them 16 times as far).</p>

<h2>Training</h2>
<p>Adam (lr {cfg["lr"]:g}, torch's β and ε) on mini-batches of {cfg["batch_size"]} drawn in a
shuffled order (shuffle seed {cfg["shuffle_seed"]}), {fit["epochs"]:,} epochs, binary
cross-entropy from the logits, on the {fit["engine"]} engine. The weights start at 0, not at
the lecture's random values: a pixel that is blank in every training image never gets a
gradient, so it keeps its start, and 0 shows it as what it is, no vote. Final training loss
{fit["final_loss"]:.3g}.</p>
{figures["training.png"]}

<h2>Accuracy</h2>
<p>A prediction is a {b} where P({b}) &gt; 0.5. scikit-learn's default logistic regression
(L-BFGS with an L2 penalty, C = 1) on the same split is the reference.</p>
{htmlpage.table(SCORE_HEADER, score_rows(results))}

<h2>Which pixels vote for a {a}, which for a {b}</h2>
<p>Each weight belongs to one pixel, so the 64 of them form an 8 × 8 image. Red pixels
(weight &gt; 0) raise the odds of a {b} when inked, blue ones those of a {a}. The weights'
sign matches the sign of mean {b} − mean {a} on {agree["agree"]} of the {agree["pixels"]}
pixels where the two means differ by at least {agree["min_difference"]:g} of full ink
({_percent(agree["agree"] / agree["pixels"])}): where a {b} usually has ink and a {a} has
not, ink is evidence for a {b}, and the other way round. Pixels where the means are alike
carry weights of either sign: they only help in combination with others.</p>
{figures["weights.png"]}

<h2>No maximum-likelihood fit</h2>
{separation_text(run, results)}

<h2>The hardest held-out images</h2>
{figures["hardest.png"]}

<h2>About this run</h2>
<p>Finished {html.escape(results["provenance"]["finished"])} after
{results["provenance"]["seconds"]:.1f} s. Every number on this page is in
<code>results.json</code>; the 64 weights with the mean images are in
<code>weights.csv</code>.</p>
""",
    )
