"""The `optimizers` study's files: figures, two films, the end-point tables, results.json
and report.html (the answer first, then the evidence)."""

from __future__ import annotations

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
    cfg, prov = run.config, results["provenance"]
    return htmlpage.page(
        "logitlab — does Adam rescue MSE?",
        "optimizers.html",
        cfg=cfg,
        folder=folder,
        answer=conclusion(run),
        starts=", ".join(f"({w0:g}, {w1:g})" for w0, w1 in cfg.starts),
        optimizers=", ".join(map(optimizer_label, STUDY_OPTIMIZERS)),
        losses=", ".join(map(loss_label, LOSSES)),
        mle=results["mle"],
        floor=results["mse_minimum"],
        arrived_se=ARRIVED_SE,
        header=[h for h, _, _ in COLUMNS],
        rows=table_rows(results["descents"]),
        engine=run.descents[0].result.engine,
        captions={name: caption for name, (_, caption) in FIGURES.items()},
        batch_optimizer=optimizer_label(BATCH_OPTIMIZER),
        sizes=", ".join(f"{b:,}" for b in cfg.batch_sizes),
        batch_header=BATCH_HEADER,
        batch_rows=batch_table_rows(results["minibatches"]["rows"]),
        films=[
            (optimizer_label(o), film_name(o, "gif"), film_name(o, "mp4")) for o in STUDY_OPTIMIZERS
        ],
        prov=prov,
        versions=", ".join(f"{k} {v}" for k, v in prov["versions"].items() if v),
    )
