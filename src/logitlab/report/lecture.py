"""Write a finished lecture run to a folder: figures, diagrams, data, results.json, report.html."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

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
from .why import why_section
from .writers import names_in, save_figure, write_diagram, write_json


def fitted_curves(run: LectureRun) -> dict[str, np.ndarray]:
    """Fitted probabilities over the data's x, one curve per loss, labelled for legends."""
    x = run.data.x.numpy()
    return {fit_label(loss): probabilities(result.params, x) for loss, result in run.fits.items()}


def mle_curve(run: LectureRun) -> np.ndarray | None:
    """The maximum-likelihood curve over the data's x; None when the MLE does not exist."""
    return None if run.why is None else probabilities(run.why.mle.coef, run.data.x.numpy())


def loss_floors(run: LectureRun) -> dict[str, float]:
    """Each loss's lowest value, where its descent heads: BCE at the MLE, MSE at its own
    minimum (none without the MLE analysis)."""
    if run.why is None:
        return {}
    x, y = run.data.x.numpy(), run.data.y.numpy()
    points = {"bce": run.why.mle.coef, "mse": run.why.mse_minimum}
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
    for name, graph in (
        ("detailed", diagram_detailed(run.net)),
        ("compact", diagram_compact(run.net)),
    ):
        write_diagram(graph, folder / f"diagram-{name}")
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


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def _verdict(convergence: dict) -> str:
    """A fit's convergence verdict with the numbers behind it."""
    sign = "≤" if convergence["grad_norm"] <= convergence["tol"] else ">"
    return (
        f"{convergence['verdict']} (|gradient| {convergence['grad_norm']:.2g} {sign} "
        f"tol {convergence['tol']:.2g})"
    )


def _interval(low: float, high: float, digits: int = 4) -> str:
    return f"[{low:.{digits}f}, {high:.{digits}f}]"


def fit_table_rows(run: LectureRun, results: dict) -> list[list[object]]:
    """The report's parameter table: each row's w0, w1, odds ratio, decision boundary,
    accuracy at threshold 0.5, convergence and what computed it; then the MLE's standard
    errors and 95% intervals (the odds ratio's interval is e^ of w1's)."""
    x, y = run.data.x.numpy(), run.data.y.numpy()

    def row(label: str, w0: float, w1: float, verdict: str, engine: str) -> list[object]:
        acc = _percent(accuracy([w0, w1], x, y))
        return [label, w0, w1, odds_ratio(w1), boundary(w0, w1), acc, verdict, engine]

    rows = [
        row("true", results["true"]["w0"], results["true"]["w1"], "—", "—"),
        row("initial (untrained)", results["init"]["w0"], results["init"]["w1"], "—", "—"),
    ]
    for loss, fit in results["fits"].items():
        verdict = _verdict(fit["convergence"])
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


def interpretation(run: LectureRun, results: dict) -> str:
    """What the odds ratio, the decision boundary and the accuracy mean, in this run's numbers
    (the MLE's; the BCE fit's when the MLE does not exist)."""
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
    return f"""
<p><strong>Odds ratio.</strong> The model says the odds of y = 1, π/(1 − π), equal
e<sup>w0 + w1·x</sup>. So each unit added to x multiplies the odds by e<sup>w1</sup>: by
{odds_ratio(w1):.4g} for {who}{spread}, against {odds_ratio(true_w1):.4g} for the truth. The data's
x spans {span:g}, so a step of {step:g} in x multiplies the odds by
e<sup>{step:g}·ŵ1</sup> = {np.exp(step * w1):.3g}.</p>
<p><strong>Decision boundary.</strong> The fitted probability is exactly 1/2 where
ŵ0 + ŵ1·x = 0, at x = −ŵ0/ŵ1 = {boundary(w0, w1):.4f} for {who} (the truth's:
{boundary(true_w0, true_w1):.4f}). Predicting y = 1 wherever the fitted probability is at least
1/2 (to the right of the boundary, as ŵ1 &gt; 0 here) and y = 0 elsewhere gets
{_percent(accuracy([w0, w1], x, y))} of these {len(y):,} observations right. The true curve
itself scores {_percent(accuracy(run.true_params, x, y))}: near the boundary y is close to a
coin flip, and no curve can predict those draws, so accuracy says little about which fit is
better — the likelihood and the distance to the truth do.</p>
"""


def run_section(results: dict) -> str:
    """Where and with what the numbers were computed, and how long it took."""
    prov = results["provenance"]
    machine = prov["machine"]
    versions = [[name, version or "not installed"] for name, version in prov["versions"].items()]
    seconds = prov["seconds"]
    took = f" after {seconds:.1f} s" if seconds is not None else ""
    engines = ", ".join(
        f"{loss_label(loss)} on the {fit['engine']} engine" for loss, fit in results["fits"].items()
    )
    return f"""
<h2>8. About this run</h2>
<p>Finished {html.escape(prov["finished"])}{took}, on {html.escape(machine["system"])}
({html.escape(machine["processor"])}, {machine["cores"]} cores). Fits: {engines} (engine
setting: {html.escape(results["config"]["engine"])}); the MLE by Newton–Raphson in NumPy. Every
number on this page is in <code>results.json</code>.</p>
{htmlpage.table(["package", "version"], versions)}
"""


def _inline_svg(path: Path) -> str:
    """The <svg> element of a rendered diagram, without its XML prolog, for inlining."""
    text = path.read_text()
    return text[text.index("<svg") :]


def comparison_text(run: LectureRun) -> str:
    """Where each fit ended and, once, why BCE and MSE differ; the evidence follows in
    report.why.why_section."""
    truth = run.true_params
    mle = None if run.why is None else run.why.mle.coef
    parts = []
    for loss, result in run.fits.items():
        distance = float(np.hypot(*(result.params[:2] - truth)))
        gap = None if mle is None else float(np.hypot(*(result.params[:2] - mle)))
        to_mle = "" if gap is None else f" ({gap:.3g} from the MLE)"
        parts.append(
            f"the {loss_label(loss)} fit ends at w0 = {result.w0:.3f}, "
            f"w1 = {result.w1:.3f}, a distance of {distance:.3f} from the truth{to_mle}"
        )
    summary = "; ".join(parts) + "."
    return (
        f"<p>After {run.config.epochs:,} epochs at learning rate {run.config.lr}, {summary}</p>"
        "<p>Why they differ: BCE is the negative log-likelihood of the Bernoulli model, so "
        "minimising it is maximum likelihood, and as a function of (w0, w1) it is convex — "
        "gradient descent heads for its one minimum. Its gradient is "
        "mean((ŷ − y)·[1, x]): a confidently wrong prediction pushes back hard. MSE's gradient "
        "carries an extra factor ŷ(1 − ŷ), the slope of the sigmoid, which is at most 1/4 and "
        "vanishes where the sigmoid saturates. So MSE takes smaller steps, moves more slowly "
        "from the same start, can stall on flat regions far from the answer, and its surface "
        "is not convex. Even at its own minimum MSE weighs the observations differently from "
        "the likelihood, so it lands elsewhere: a less efficient estimator for Bernoulli data, "
        "the wrong loss here. The numbers and pictures below show each of these.</p>"
    )


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
    fig = htmlpage.figure
    descent = (f"{optimizer_words(cfg.training)}, learning rate {cfg.lr}, {cfg.epochs:,} "
               f"{epoch_words(cfg.training)} epochs")  # fmt: skip

    def diagram(name: str) -> str:
        caption = html.escape(CAPTIONS[f"diagram-{name}.svg"])
        svg = _inline_svg(folder / f"diagram-{name}.svg")
        return f"<figure>{svg}<figcaption>{caption}</figcaption></figure>"

    fit_figures = "".join(
        fig(folder / f"fit-{loss}.png", f"{loss_label(loss)} fit against the truth and the MLE")
        for loss in run.fits
    )
    engines = ", ".join(
        f"{loss_label(loss)} on the <code>{fit['engine']}</code> engine"
        for loss, fit in results["fits"].items()
    )
    verdicts = "; ".join(
        f"{loss_label(loss)}: {_verdict(fit['convergence'])}"
        for loss, fit in results["fits"].items()
    )
    body = f"""
<h2>1. The model and the loss</h2>
<p>y<sub>i</sub> ~ Ber(π<sub>i</sub>), with π<sub>i</sub> = exp(w0 + w1·x<sub>i</sub>) /
(1 + exp(w0 + w1·x<sub>i</sub>)) = sigmoid(w0 + w1·x<sub>i</sub>).</p>
<p>The fitted curve is ŷ<sub>i</sub> = 1 / (1 + exp(−ŵ0 − ŵ1·x<sub>i</sub>)), and the loss
(binary cross-entropy) is
loss = −(1/n) Σ ( y<sub>i</sub> log ŷ<sub>i</sub> + (1 − y<sub>i</sub>) log(1 − ŷ<sub>i</sub>) ).
logitlab computes it from the logits, so it stays finite where the sigmoid saturates.</p>
<h2>2. The data</h2>
<p>X = linspace(−1, 1, {cfg.data.n}), w0 = {cfg.data.w0}, w1 = {cfg.data.w1},
y ~ Bernoulli(π) drawn with seed {cfg.data.seed}. The numbers are in <code>data.csv</code>.
The black dots are the share of y = 1 among neighbouring x (equal-count bins), with 95%
intervals: the S-shape a sigmoid is fitted to.</p>
{fig(folder / "data.png", CAPTIONS["data.png"])}
<h2>3. The network</h2>
<p><code>torch.nn.Sequential(torch.nn.Linear(1, 1, bias=True), torch.nn.Sigmoid())</code>,
initialised under <code>torch.manual_seed({cfg.init_seed})</code>. It computes
ŷ = sigmoid(X@W + b): the Linear layer's bias b is the lecture's w0 and its weight W is w1.
Drawn two ways:</p>
{diagram("detailed")}
{diagram("compact")}
{fig(folder / "fit-initial.png", "The untrained network against the truth")}
<h2>4. Training</h2>
<p>{descent} of the four steps
({engines}):</p>
<pre>{html.escape(loop_code(cfg.training, [loss_label(name) for name in run.fits]))}</pre>
<p>Convergence (the gradient norm of the mean loss at the end against a tolerance):
{verdicts}.</p>
{fig(folder / "loss-history.png", CAPTIONS["loss-history.png"])}
<h2>5. The fits</h2>
{fit_figures}
{fig(folder / "fit-compare.png", "Truth, every fit and the MLE on one axes")}
<h2>6. The parameters</h2>
{htmlpage.table(FIT_TABLE_HEADER, fit_table_rows(run, results))}
{interpretation(run, results)}
<h2>7. BCE or MSE?</h2>
{comparison_text(run)}
{why_section(run.why, run.why_missing)}
{optimizers_section()}
{run_section(results)}
"""
    return htmlpage.page("logitlab — week 5: logistic regression", body)


def optimizers_section() -> str:
    """A pointer to the week-6 study, which the lecture does not run: the question it asks
    and the command that answers it (`logitlab optimizers`, with its own report)."""
    cfg = OptimizersConfig()
    starts = " and ".join(f"({w0:g}, {w1:g})" for w0, w1 in cfg.starts)
    return f"""
<h3>Next: does a better optimizer rescue MSE?</h3>
<p>The course's next lecture keeps this model and changes the optimizer: plain SGD against
<code>torch.optim.Adam</code>, BCE against MSE, from the starts {starts} (the second far out,
where the sigmoid saturates and MSE's gradient all but vanishes), at learning rate {cfg.lr:g}
for {cfg.epochs:,} epochs, and mini-batches against the full batch. This report does not run
it; one command does, on the course's own draw of the data (seed {cfg.data.seed}):</p>
<pre>logitlab optimizers --out logitlab-optimizers</pre>
<p>Its report answers from its own measurements whether Adam gets MSE off the plateau, where it
lands against the MLE and MSE's own minimum, and what it costs in epochs and seconds.</p>
"""
