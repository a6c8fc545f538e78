"""Write a finished lecture run to a folder: figures, diagrams, data, results.json, report.html."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from markupsafe import Markup

from ..config import OptimizersConfig
from ..data import save_csv
from ..model import probabilities
from ..records import to_record
from ..stats.landscape import evaluate
from ..studies.lecture import LectureRun
from ..studies.training import epoch_words, loop_code, optimizer_words
from ..viz.diagram import diagram_compact, diagram_detailed
from ..viz.lecture import plot_data, plot_fit, plot_loss_history
from ..viz.style import fit_label, loss_label
from . import html as htmlpage
from .html import percent, verdict_words
from .why import why_section
from .writers import names_in, save_figure, write_diagram, write_json


def fitted_curves(run: LectureRun) -> dict[str, np.ndarray]:
    """Fitted probabilities over the data's x, one curve per loss, labelled for legends."""
    x = run.data.x.numpy()
    return {fit_label(loss): probabilities(result.params, x) for loss, result in run.fits.items()}


def mle_curve(run: LectureRun) -> np.ndarray | None:
    """The maximum-likelihood curve over the data's x; None when the MLE does not exist."""
    return None if run.why is None else probabilities(run.why.mle.params, run.data.x.numpy())


def loss_floors(run: LectureRun) -> dict[str, float]:
    """Each loss's lowest value, where its descent heads: BCE at the MLE, MSE at its own
    minimum (none without the MLE analysis)."""
    if run.why is None:
        return {}
    x, y = run.data.x.numpy(), run.data.y.numpy()
    points = {"bce": run.why.mle.params, "mse": run.why.mse_minimum}
    return {
        loss: float(evaluate(loss, points[loss], x, y, hessian=False).loss[0])
        for loss in run.fits
        if loss in points
    }


def write_lecture(run: LectureRun, folder: Path, *, formats: Sequence[str] = ("png",)) -> list[str]:
    """Write every file of the lecture into folder (figures also in each of `formats`);
    return the names written, sorted."""
    results = to_record(run)
    data, x = run.data, run.data.x.numpy()
    initial = {"untrained net": probabilities(run.init_params, x)}
    start = run.config.training.init
    before = f"init seed {run.config.init_seed}" if start is None else f"start {start}"
    curves, mle = fitted_curves(run), mle_curve(run)
    figures = {
        "data.png": plot_data(data),
        "fit-initial.png": plot_fit(data, initial, f"Before training ({before})"),
        **{
            f"fit-{loss}.png": plot_fit(
                data, {label: curve}, f"After {run.config.epochs:,} epochs: {label}", mle=mle
            )
            for loss, (label, curve) in zip(run.fits, curves.items(), strict=True)
        },
        "fit-compare.png": plot_fit(data, curves, "Truth, the fits and the MLE", mle=mle),
        "loss-history.png": plot_loss_history(
            {loss: r.history.loss for loss, r in run.fits.items()}, floors=loss_floors(run)
        ),
    }
    for name, figure in figures.items():
        save_figure(figure, folder / name, formats=formats)
    for name, draw in zip(DIAGRAMS, (diagram_detailed, diagram_compact), strict=True):
        write_diagram(draw(run.net), folder / f"diagram-{name}")
    save_csv(data, folder / "data.csv")
    write_json(results, folder / "results.json")
    (folder / "report.html").write_text(render_html(run, results, folder))
    return names_in(folder)


def parameter_rows(results: dict) -> list[list[object]]:
    """Rows of the parameter table: true, initial, and each fit."""
    rows = [
        ["true", results["true"]["w0"], results["true"]["w1"]],
        ["initial (untrained)", results["init"]["w0"], results["init"]["w1"]],
    ]
    for loss, fit in results["fits"].items():
        rows.append([fit_label(loss), fit["w0"], fit["w1"]])
    if results.get("mle"):
        rows.append(["MLE (Newton-Raphson)", results["mle"]["w0"], results["mle"]["w1"]])
    return rows


def accuracy(params: object, x: np.ndarray, y: np.ndarray) -> float:
    """The share of observations predicted right when y = 1 is predicted wherever the
    probability at `params` is at least 1/2 (threshold 0.5)."""
    predicted = probabilities(params, x) >= 0.5
    return float(np.mean(predicted == (np.asarray(y).reshape(-1) == 1)))


def odds_ratio(w1: float) -> float:
    """e^w1: how many times the odds of y = 1 grow when x grows by one (inf past float64)."""
    try:
        return math.exp(w1)
    except OverflowError:
        return math.inf


def boundary(w0: float, w1: float) -> float:
    """The decision boundary x = -w0 / w1, where the probability is 1/2 (inf if w1 = 0)."""
    return -w0 / w1 if w1 != 0 else float("inf")


def _interval(low: float, high: float, digits: int = 4) -> str:
    return f"[{low:.{digits}f}, {high:.{digits}f}]"


def fit_table_rows(run: LectureRun, results: dict) -> list[list[object]]:
    """The report's parameter table: each row's w0, w1, odds ratio, decision boundary,
    accuracy at threshold 0.5, convergence and what computed it; then the MLE's standard
    errors and 95% intervals (the odds ratio's interval is e^ of w1's)."""
    x, y = run.data.x.numpy(), run.data.y.numpy()

    def row(label: str, w0: float, w1: float, verdict: str, engine: str) -> list[object]:
        acc = percent(accuracy([w0, w1], x, y))
        return [label, w0, w1, odds_ratio(w1), boundary(w0, w1), acc, verdict, engine]

    rows = [
        row("true", results["true"]["w0"], results["true"]["w1"], "—", "—"),
        row("initial (untrained)", results["init"]["w0"], results["init"]["w1"], "—", "—"),
    ]
    for loss, fit in results["fits"].items():
        verdict = verdict_words(fit["convergence"])
        rows.append(row(fit_label(loss), fit["w0"], fit["w1"], verdict, f"{fit['engine']} engine"))
    mle = results.get("mle")
    if mle and run.why is not None:
        status = f"converged in {mle['iterations']} iterations" if mle["converged"] else "no"
        rows.append(row("MLE (Newton-Raphson)", mle["w0"], mle["w1"], status, "NumPy, float64"))
        (lo0, hi0), (lo1, hi1) = run.why.mle.conf_int()[:2]
        rows.append(["MLE standard error", mle["se_w0"], mle["se_w1"], "", "", "", "", ""])
        rows.append(["MLE 95% interval", _interval(lo0, hi0), _interval(lo1, hi1),
                     _interval(odds_ratio(lo1), odds_ratio(hi1), 1), "", "", "", ""])  # fmt: skip
    return rows


FIT_TABLE_HEADER = [
    "",
    "w0",
    "w1",
    "odds ratio e^w1",
    "boundary x = −w0/w1",
    "accuracy",
    "convergence",
    "computed by",
]


def interpretation(run: LectureRun, results: dict) -> dict:
    """What the odds ratio, the decision boundary and the accuracy mean, in this run's numbers
    (the MLE's; the BCE fit's when the MLE does not exist): the values the page reads out."""
    x, y = run.data.x.numpy(), run.data.y.numpy()
    if results.get("mle") and run.why is not None:
        w0, w1, who = results["mle"]["w0"], results["mle"]["w1"], "the MLE"
        lo, hi = run.why.mle.conf_int()[1]
        spread = f" (95% interval {odds_ratio(lo):.1f} to {odds_ratio(hi):.1f})"
    else:
        first = next(iter(results["fits"]))
        w0, w1 = results["fits"][first]["w0"], results["fits"][first]["w1"]
        who, spread = f"the {fit_label(first)}", ""
    true_w0, true_w1 = run.true_params
    span = float(x.max() - x.min())
    step = span / 20
    return {
        "who": who,
        "spread": spread,
        "odds": odds_ratio(w1),
        "true_odds": odds_ratio(true_w1),
        "span": span,
        "step": step,
        "step_odds": np.exp(step * w1),
        "boundary": boundary(w0, w1),
        "true_boundary": boundary(true_w0, true_w1),
        "accuracy": percent(accuracy([w0, w1], x, y)),
        "true_accuracy": percent(accuracy(run.true_params, x, y)),
        "n": len(y),
    }


def run_versions(results: dict) -> list[list[str]]:
    """The table of package versions the run was computed with."""
    versions = results["provenance"]["versions"].items()
    return [[name, version or "not installed"] for name, version in versions]


def _inline_svg(path: Path) -> Markup:
    """The <svg> element of a diagram logitlab rendered, without its XML prolog, for
    inlining as it is."""
    text = path.read_text()
    return Markup(text[text.index("<svg") :])


def fit_ends(run: LectureRun) -> list[str]:
    """Where each fit ended, against the truth and the MLE: the numbers before the reasons
    why BCE and MSE differ (the evidence follows in report.why.why_section)."""
    truth = run.true_params
    mle = None if run.why is None else run.why.mle.params
    parts = []
    for loss, result in run.fits.items():
        distance = float(np.hypot(*(result.params[:2] - truth)))
        gap = None if mle is None else float(np.hypot(*(result.params[:2] - mle)))
        to_mle = "" if gap is None else f" ({gap:.3g} from the MLE)"
        parts.append(
            f"the {loss_label(loss)} fit ends at w0 = {result.w0:.3f}, "
            f"w1 = {result.w1:.3f}, a distance of {distance:.3f} from the truth{to_mle}"
        )
    return parts


DIAGRAMS = ("detailed", "compact")

CAPTIONS = {
    "data.png": "The data (dots), the share of y = 1 per bin of x (black, with 95% intervals) "
    "and the true curve π(x) (red dashes)",
    "loss-history.png": "Loss per epoch (top) and its distance to its minimum on a log scale "
    "(bottom)",
    "diagram-detailed.svg": "Detailed: each step, the bias b = w0 joining at the sum",
    "diagram-compact.svg": "Compact: one node per unit",
}


def render_html(run: LectureRun, results: dict, folder: Path) -> str:
    """One self-contained page walking through the lecture in order."""
    cfg = run.config
    seconds = results["provenance"]["seconds"]
    nxt = OptimizersConfig()
    return htmlpage.page(
        "logitlab — week 5: logistic regression",
        "lecture.html",
        cfg=cfg,
        results=results,
        folder=folder,
        captions=CAPTIONS,
        diagrams={name: _inline_svg(folder / f"diagram-{name}.svg") for name in DIAGRAMS},
        descent=f"{optimizer_words(cfg.training)}, learning rate {cfg.lr}, {cfg.epochs:,} "
        f"{epoch_words(cfg.training)} epochs",
        engines=[(loss_label(loss), fit["engine"]) for loss, fit in results["fits"].items()],
        loop_code=loop_code(cfg.training, [loss_label(name) for name in run.fits]),
        verdicts=[
            f"{loss_label(loss)}: {verdict_words(fit['convergence'])}"
            for loss, fit in results["fits"].items()
        ],
        fit_labels={loss: loss_label(loss) for loss in run.fits},
        fit_table_header=FIT_TABLE_HEADER,
        fit_table_rows=fit_table_rows(run, results),
        meaning=interpretation(run, results),
        ends=fit_ends(run),
        why=why_section(run.why, run.why_missing),
        next=nxt,
        next_starts=" and ".join(f"({w0:g}, {w1:g})" for w0, w1 in nxt.starts),
        prov=results["provenance"],
        took=f" after {seconds:.1f} s" if seconds is not None else "",
        versions=run_versions(results),
    )
