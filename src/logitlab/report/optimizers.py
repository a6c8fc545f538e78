"""The `optimizers` study's files: figures, two films, the end-point tables, results.json
and report.html (the answer first, then the evidence)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from ..config import LOSSES
from ..records import optimizer_rows, to_record
from ..studies.optimizers import (
    ARRIVED_SE,
    BATCH_OPTIMIZER,
    STUDY_OPTIMIZERS,
    OptimizersRun,
    conclusion,
)
from ..viz.optimizers import FIGURES
from ..viz.style import loss_label, optimizer_label
from . import html as htmlpage
from .animation import write_animation
from .writers import names_in, save_figure, write_csv, write_json

#: The table columns of the report: (header, key of the row record, format).
COLUMNS = (
    ("start", None, ""),
    ("optimizer", "optimizer", ""),
    ("loss", "loss", ""),
    ("w0", "w0", ".4f"),
    ("w1", "w1", ".4f"),
    ("final loss", "final_loss", ".4g"),
    ("|gradient|", "grad_norm", ".2g"),
    ("verdict", "verdict", ""),
    ("to the MLE (SE)", "distance_to_mle_se", ".3g"),
    ("to its minimum (SE)", "distance_to_own_minimum_se", ".3g"),
    ("outcome", "outcome", ""),
    ("epochs to arrive", "epochs_to_arrive", ","),
    ("µs an epoch", "seconds_per_epoch", ""),
)


def film_stem(optimizer: str) -> str:
    """'film-adam': the name of an optimizer's film, before .gif or .mp4."""
    return f"film-{optimizer}"


def film_name(optimizer: str, suffix: str) -> str:
    """'film-adam.gif'."""
    return f"{film_stem(optimizer)}.{suffix}"


def write_optimizers(
    run: OptimizersRun,
    folder: Path,
    *,
    formats: Sequence[str] = ("png",),
    progress: bool = False,
) -> list[str]:
    """Figures (PNG and `formats`), film-sgd/film-adam (.gif, .mp4), endpoints.csv,
    minibatches.csv, results.json and report.html into folder; returns the names written."""
    folder = Path(folder)
    for name, (figure, _caption) in FIGURES.items():
        save_figure(figure(run), folder / name, formats=formats)
    for optimizer in STUDY_OPTIMIZERS:
        w0, w1 = run.config.far_start
        write_animation(run.film(optimizer), folder, progress=progress, stem=film_stem(optimizer),
                        title=f"{optimizer_label(optimizer)} from ({w0:g}, {w1:g})")  # fmt: skip
    results = to_record(run)
    write_csv(optimizer_rows(run), folder / "endpoints.csv")
    write_csv(optimizer_rows(run, run.batches), folder / "minibatches.csv")
    write_json(results, folder / "results.json")
    (folder / "report.html").write_text(render_html(run, results, folder))
    return names_in(folder)


def _cell(row: dict, key: str | None, fmt: str) -> str:
    if key is None:
        return f"({row['start_w0']:g}, {row['start_w1']:g})"
    value = row[key]
    if key == "optimizer":
        return optimizer_label(value)
    if key == "loss":
        return loss_label(value)
    if key == "seconds_per_epoch":
        return f"{1e6 * value:.3g}"
    if value is None:
        return "—"
    return format(value, fmt)


def table_rows(rows: list[dict]) -> list[list[str]]:
    """The report's rows of a table of descents (records.optimizer_rows), formatted."""
    return [[_cell(row, key, fmt) for _, key, fmt in COLUMNS] for row in rows]


def batch_table_rows(rows: list[dict]) -> list[list[str]]:
    """The mini-batch table: loss, batch size, µs an epoch, epochs and seconds to arrive,
    how far the noise carries it at the end."""
    out = []
    for row in rows:
        size = row["batch_size"]
        epochs, seconds = row["epochs_to_arrive"], row["seconds_to_arrive"]
        out.append([
            loss_label(row["loss"]),
            "full batch" if size == "full" else f"{size:,}",
            f"{1e6 * row['seconds_per_epoch']:.3g}",
            "—" if epochs is None else f"{epochs:,}",
            "—" if seconds is None else f"{seconds:.3g}",
            f"{row['wander_se']:.3g}",
            f"{row['distance_to_mle_se']:.3g}",
        ])  # fmt: skip
    return out


BATCH_HEADER = [
    "loss",
    "batch size",
    "µs an epoch",
    "epochs to arrive",
    "seconds to arrive",
    "largest distance, last tenth (SE)",
    "end to the MLE (SE)",
]


def render_html(run: OptimizersRun, results: dict, folder: Path) -> str:
    """The page: the answer, the experiment, the end points, the mini-batches, the films;
    the figures embedded from the PNGs already in folder."""
    cfg, fig = run.config, htmlpage.figure
    answer = "".join(f"<p>{html.escape(p)}</p>" for p in conclusion(run))
    starts = ", ".join(f"({w0:g}, {w1:g})" for w0, w1 in cfg.starts)
    sizes = ", ".join(f"{b:,}" for b in cfg.batch_sizes)
    mle, floor = results["mle"], results["mse_minimum"]
    engine = run.descents[0].fit.engine
    figures = {name: fig(folder / name, caption) for name, (_, caption) in FIGURES.items()}
    films = "".join(
        f"<li>{optimizer_label(o)} from ({cfg.far_start[0]:g}, {cfg.far_start[1]:g}): "
        f'<a href="{film_name(o, "gif")}">{film_name(o, "gif")}</a>, '
        f'<a href="{film_name(o, "mp4")}">{film_name(o, "mp4")}</a></li>'
        for o in STUDY_OPTIMIZERS
    )
    prov = results["provenance"]
    versions = ", ".join(f"{k} {v}" for k, v in prov["versions"].items() if v)
    body = f"""
<h2>1. The answer</h2>
{answer}
<h2>2. The experiment</h2>
<p>The course's week-6 question: does a better optimizer rescue MSE? The lecture's data
(n = {cfg.data.n:,}, w0 = {cfg.data.w0:g}, w1 = {cfg.data.w1:g}) drawn with seed
{cfg.data.seed}; the starts {starts}; {", ".join(map(optimizer_label, STUDY_OPTIMIZERS))} at
learning rate {cfg.lr:g} for {cfg.epochs:,} full-batch epochs; {
        ", ".join(map(loss_label, LOSSES))
    }. Each descent is measured against the maximum-likelihood estimate
(ŵ0, ŵ1) = ({mle["w0"]:.4f}, {mle["w1"]:.4f}), standard errors ({mle["se_w0"]:.4f},
{mle["se_w1"]:.4f}), and against MSE's own minimum ({floor["w0"]:.4f}, {floor["w1"]:.4f}),
{floor["distance_to_mle_se"]:.2g} standard errors from the MLE. Distances are counted in
the MLE's standard errors (the largest over w0 and w1): a descent has <em>arrived</em> within
{ARRIVED_SE:g} of them of its loss's minimum, a difference no one could see in the data.</p>
<pre>net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid())
with torch.no_grad():                       # the start (w0, w1)
    net[0].bias.fill_({cfg.far_start[0]:g}); net[0].weight.fill_({cfg.far_start[1]:g})
optimizer = torch.optim.Adam(net.parameters(), lr={cfg.lr:g})   # or torch.optim.SGD
loss_fn = torch.nn.BCEWithLogitsLoss()      # or MSE: torch.mean((y - net(X)) ** 2)
loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True)   # section 4
for epoch in range({cfg.epochs}):
    for xb, yb in loader:
        loss = loss_fn(net[0](xb), yb)      # BCEWithLogitsLoss takes the logits
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()</pre>
<h2>3. Where the descents end</h2>
{htmlpage.table([h for h, _, _ in COLUMNS], table_rows(results["descents"]))}
<p>µs an epoch: measured on the {html.escape(engine)} engine, the fixed cost of a call left
out. Every row is in <code>endpoints.csv</code>.</p>
{figures["trajectories.png"]}
{figures["loss_curves.png"]}
<h2>4. Mini-batches: noise against progress per second</h2>
<p>{optimizer_label(BATCH_OPTIMIZER)} from ({cfg.far_start[0]:g}, {cfg.far_start[1]:g}) at
learning rate {cfg.lr:g}: the full batch against batches of {sizes}, shuffled each epoch
(seed {cfg.shuffle_seed}). One epoch is one pass over the data: ⌈n / batch size⌉ steps. The
loss is the full data's, at the parameters each epoch starts from.</p>
{htmlpage.table(BATCH_HEADER, batch_table_rows(results["minibatches"]["rows"]))}
{figures["minibatches.png"]}
<h2>5. The films</h2>
<p>Both losses from the far start, one film per optimizer: the fitted curve over the data
and the path over each landscape.</p>
<ul>{films}</ul>
<h2>6. About this run</h2>
<p>Finished {html.escape(prov["finished"])} after {prov["seconds"]:.1f} s on
{html.escape(prov["machine"]["system"])} ({prov["machine"]["cores"]} cores); {
        html.escape(versions)
    }. Every number on this page is in <code>results.json</code>.</p>
"""
    return htmlpage.page("logitlab — does Adam rescue MSE?", body)
