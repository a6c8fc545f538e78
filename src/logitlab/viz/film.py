"""The fitting process drawn frame by frame: BCE and MSE side by side.

Each row is one loss: on the left the data with the curve fitted so far, on the right the
path advancing over that loss's landscape. The static parts are drawn once; each frame only
redraws the moving artists over a saved background (blitting on the Agg canvas), which keeps
a frame to a few hundredths of a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from ..model import probabilities
from ..result import FitResult
from ..studies.animation import Scene
from .lecture import FIT_WIDTH, draw_data
from .style import DATA_COLOR, LEGEND_SIZE, LOSS_COLORS, TRUTH_COLOR, loss_label
from .why import contour_axes, mark_points

#: 720 x 576 pixels: both multiples of 16, so ffmpeg encodes without resizing.
FIGSIZE, DPI = (10.0, 8.0), 72
#: Text size in the film: at 72 dots per inch a point is a pixel, so 12 is 12 pixels high.
FILM_TEXT = LEGEND_SIZE + 1


def frame_epochs(epochs: int, frames: int) -> np.ndarray:
    """`frames` distinct epochs from 0 to `epochs` (2 <= frames <= epochs + 1, as
    AnimationConfig checks), dense early where the paths move fastest."""
    chosen = np.round(epochs * np.linspace(0.0, 1.0, frames) ** 2).astype(int)
    for k in range(1, frames):  # push duplicates forward, then pull back under the end
        chosen[k] = max(chosen[k], chosen[k - 1] + 1)
    for k in range(frames - 1, -1, -1):
        chosen[k] = min(chosen[k], epochs - (frames - 1 - k))
    return chosen


@dataclass(frozen=True)
class Moving:
    """One loss's artists redrawn each frame: its curve, path, path head and parameter text."""

    fitted: FitResult
    curve: Line2D
    path: Line2D
    head: Line2D
    label: Text


@dataclass(frozen=True)
class Stage:
    """The film's figure with its static parts drawn, and the artists each frame moves."""

    fig: Figure
    moving: list[Moving]
    clock: Text
    total: int
    #: What the film shows, said before the epoch in the clock ("" for nothing).
    title: str
    #: Still artists that belong above the moving ones (the true curve, the marks on the
    #: maps): redrawn after them each frame, since blitting ignores z-order.
    overlays: list[Artist]

    def clock_text(self, epoch: int) -> str:
        """'Adam from (-10, -1): epoch 40 of 1,000', or without a title 'epoch 40 of 1,000'."""
        clock = f"epoch {epoch:,} of {self.total:,}"
        return f"{self.title}: {clock}" if self.title else clock

    @property
    def artists(self) -> list[Artist]:
        """What each frame draws over the background, bottom to top."""
        moving = [a for m in self.moving for a in (m.curve, m.path, m.head, m.label)]
        return [*moving, *self.overlays, self.clock]


def _key(scene: Scene) -> tuple[list[Artist], list[str]]:
    """The film's one legend: the data, each loss's colour, and the marks on the maps."""
    handles: list[Artist] = [
        Line2D([], [], marker="o", linestyle="", color=DATA_COLOR, markersize=6),
        Line2D([], [], linestyle="--", color=TRUTH_COLOR, linewidth=1.6),
    ]
    labels = ["observed y (0/1)", "true π(x)"]
    for loss in scene.race.fits:
        handles.append(Line2D([], [], color=LOSS_COLORS[loss], linewidth=4))
        labels.append(f"{loss_label(loss)}: fitted curve and path")
    return handles, labels


def stage(scene: Scene, title: str | None = None) -> Stage:
    """Draw everything that stays still, once; return it with the artists that move. `title`
    (say, which optimizer the film shows) heads the clock of every frame."""
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    moving, overlays = [], []
    marks: tuple[list[Artist], list[str]] = ([], [])
    for row, (loss, fitted) in zip(fig.subplots(2, 2), scene.race.fits.items(), strict=True):
        left, right = row
        draw_data(left, scene.data, size=8, bins=False)
        overlays += [line for line in left.get_lines() if line.get_label() == "true π(x)"]
        left.set_title(f"{loss_label(loss)}: data and fitted curve", fontsize=FILM_TEXT)
        contour_axes(right, scene.surfaces[loss])
        mark_points(right, scene.race.start, scene.truth, scene.mle)
        marks = right.get_legend_handles_labels()
        overlays += marks[0]
        right.set_title(f"{loss_label(loss)} landscape and path", fontsize=FILM_TEXT)
        color = LOSS_COLORS[loss]
        (curve,) = left.plot([], [], color=color, linewidth=FIT_WIDTH * 0.8, zorder=2)
        (path,) = right.plot([], [], color=color, linewidth=2.5, zorder=5)
        (head,) = right.plot([], [], "o", color=color, markeredgecolor="k", zorder=6)
        label = left.text(0.98, 0.06, "", transform=left.transAxes, ha="right",
                          fontsize=FILM_TEXT - 1, bbox={"facecolor": "white", "alpha": 0.8,
                          "edgecolor": "none", "pad": 2})  # fmt: skip
        moving.append(Moving(fitted, curve, path, head, label))
    handles, labels = _key(scene)
    fig.legend(handles + marks[0], labels + marks[1], loc="outside lower center", ncols=4,
               fontsize=FILM_TEXT - 1, frameon=False)  # fmt: skip
    total = scene.race.fits["bce"].epochs
    clock = fig.suptitle("", fontsize=FILM_TEXT + 1)
    built = Stage(fig=fig, moving=moving, clock=clock, total=total, overlays=overlays,
                  title=title or "")  # fmt: skip
    clock.set_text(built.clock_text(total))  # the longest, so the layout leaves room for it
    for artist in built.artists:
        artist.set_animated(True)
    return built


def render(scene: Scene, epochs_at: np.ndarray, title: str | None = None) -> Iterator[np.ndarray]:
    """Yield one RGB frame (H x W x 3, uint8) per epoch in `epochs_at`, `title` before the
    clock (see stage)."""
    built = stage(scene, title)
    fig = built.fig
    canvas = FigureCanvasAgg(fig)
    grid_x = np.sort(scene.data.x[:, 0].numpy())
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    for epoch in epochs_at:
        canvas.restore_region(background)
        for m in built.moving:
            params = m.fitted.history.params
            m.curve.set_data(grid_x, probabilities(params[epoch], grid_x))
            m.path.set_data(params[: epoch + 1, 0], params[: epoch + 1, 1])
            m.head.set_data(params[epoch, :1], params[epoch, 1:2])
            m.label.set_text(f"w0 = {params[epoch, 0]:.3f}, w1 = {params[epoch, 1]:.3f}")
        built.clock.set_text(built.clock_text(epoch))
        for artist in built.artists:
            fig.draw_artist(artist)
        yield np.asarray(canvas.buffer_rgba())[..., :3].copy()
