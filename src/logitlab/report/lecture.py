"""Write a finished lecture run to a folder: figures, diagrams, data, results.json, report.html."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import save_csv
from ..model import probabilities
from ..records import to_record
from ..stats.landscape import evaluate
from ..studies.lecture import LectureRun
from ..viz.diagram import diagram_compact, diagram_detailed
from ..viz.lecture import plot_data, plot_fit, plot_loss_history
from ..viz.style import fit_label, loss_label
from . import html as htmlpage
from .files import save_figure, write_diagram, write_json
from .why import why_section


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


def write_lecture(run: LectureRun, folder: Path) -> list[str]:
    """Write every file of the lecture into folder; return the names written, sorted."""
    results = to_record(run)
    data, x = run.data, run.data.x.numpy()
    written: dict[str, Path] = {}
    written["data.png"] = save_figure(plot_data(data), folder / "data.png")
    for name, graph in (
        ("detailed", diagram_detailed(run.net)),
        ("compact", diagram_compact(run.net)),
    ):
        dot_path, svg_path = write_diagram(graph, folder / f"diagram-{name}")
        written[dot_path.name], written[svg_path.name] = dot_path, svg_path
    initial = {"untrained net": probabilities(run.init_params, x)}
    written["fit-initial.png"] = save_figure(
        plot_fit(data, initial, f"Before training (init seed {run.config.init_seed})"),
        folder / "fit-initial.png",
    )
    curves, mle = fitted_curves(run), mle_curve(run)
    for loss, (label, curve) in zip(run.fits, curves.items(), strict=True):
        name = f"fit-{loss}.png"
        title = f"After {run.config.epochs:,} epochs: {label}"
        written[name] = save_figure(plot_fit(data, {label: curve}, title, mle=mle), folder / name)
    written["fit-compare.png"] = save_figure(
        plot_fit(data, curves, "Truth, the fits and the MLE", mle=mle), folder / "fit-compare.png"
    )
    written["loss-history.png"] = save_figure(
        plot_loss_history(
            {loss: r.history.loss for loss, r in run.fits.items()}, floors=loss_floors(run)
        ),
        folder / "loss-history.png",
    )
    save_csv(data, folder / "data.csv")
    written["data.csv"] = folder / "data.csv"
    written["results.json"] = write_json(results, folder / "results.json")
    (folder / "report.html").write_text(render_html(run, results, folder))
    written["report.html"] = folder / "report.html"
    return sorted(written)


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


def _inline_svg(path: Path) -> str:
    """The <svg> element of a rendered diagram, without its XML prolog, for inlining."""
    text = path.read_text()
    return text[text.index("<svg") :]


def comparison_text(run: LectureRun) -> str:
    """A plain-language account of what the BCE/MSE comparison shows, with this run's numbers."""
    truth = run.true_params
    parts = []
    for loss, result in run.fits.items():
        distance = float(np.hypot(*(result.params[:2] - truth)))
        parts.append(
            f"the {loss_label(loss)} fit ends at w0 = {result.w0:.3f}, "
            f"w1 = {result.w1:.3f}, a distance of {distance:.3f} from the truth"
        )
    summary = "; ".join(parts) + "."
    return (
        f"<p>After {run.config.epochs} epochs at learning rate {run.config.lr}, {summary}</p>"
        "<p>Why they differ: BCE is the negative log-likelihood of the Bernoulli model, so "
        "minimising it is maximum likelihood, and as a function of (w0, w1) it is convex — "
        "gradient descent heads straight for the one minimum. Its gradient is "
        "mean((ŷ − y)·x): a wrong prediction always pushes back hard. MSE's gradient carries an "
        "extra factor ŷ(1 − ŷ), the slope of the sigmoid, which is at most 1/4 and vanishes "
        "where the sigmoid saturates. So MSE takes smaller steps, moves more slowly from the "
        "same start, can stall on flat regions far from the answer, and its surface is not "
        "convex. Even at its own minimum MSE weights the observations differently from the "
        "likelihood, so it is a less efficient estimator for Bernoulli data: the wrong loss "
        "here.</p>"
    )


def render_html(run: LectureRun, results: dict, folder: Path) -> str:
    """One self-contained page walking through the lecture in order."""
    cfg = run.config
    fig = htmlpage.figure
    fit_figures = "".join(
        fig(folder / f"fit-{loss}.png", f"{loss_label(loss)} fit against the truth")
        for loss in run.fits
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
y ~ Bernoulli(π) drawn with seed {cfg.data.seed}. The numbers are in <code>data.csv</code>.</p>
{fig(folder / "data.png", "The data (dots) and the true curve π(x) (red dashes)")}
<h2>3. The network</h2>
<p><code>torch.nn.Sequential(torch.nn.Linear(1, 1, bias=True), torch.nn.Sigmoid())</code>,
initialised under <code>torch.manual_seed({cfg.init_seed})</code>. Drawn two ways:</p>
<figure>{_inline_svg(folder / "diagram-detailed.svg")}<figcaption>Detailed</figcaption></figure>
<figure>{_inline_svg(folder / "diagram-compact.svg")}<figcaption>Compact</figcaption></figure>
{fig(folder / "fit-initial.png", "The untrained network against the truth")}
<h2>4. Training</h2>
<p>SGD, learning rate {cfg.lr}, {cfg.epochs} full-batch epochs of the four steps:</p>
<pre>for epoch in range({cfg.epochs}):
    u = net[:-1](X)          # 1. forward: logits, yhat = sigmoid(u) = net(X)
    loss = loss_fn(u, y)     # 2. loss: {", ".join(loss_label(name) for name in run.fits)}
    loss.backward()          # 3. backward
    optimizer.step()         # 4. step ...
    optimizer.zero_grad()    #    ... and clear the gradients</pre>
{fig(folder / "loss-history.png", "Loss per epoch")}
<h2>5. The fits</h2>
{fit_figures}
{fig(folder / "fit-compare.png", "Truth and every fit on one axes")}
<h2>6. The parameters</h2>
{htmlpage.table(["", "w0", "w1"], parameter_rows(results))}
<h2>7. BCE or MSE?</h2>
{comparison_text(run)}
{why_section(run.why, run.why_missing)}
"""
    return htmlpage.page("logitlab — week 5: logistic regression", body)
