"""The fitting process drawn frame by frame: BCE and MSE side by side.

Each row is one loss: on the left the data with the curve fitted so far, on the right the
path advancing over that loss's landscape. The static parts are drawn once; each frame only
redraws the moving artists over a saved background (blitting on the Agg canvas), which keeps
a frame to a few hundredths of a second.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..model import probabilities
from ..studies.animation import Scene
from .lecture import data_legend, draw_data
from .style import LOSS_COLORS, TRUTH_COLOR, loss_label
from .why import contour_axes

#: 720 x 576 pixels: both multiples of 16, so ffmpeg encodes without resizing.
FIGSIZE, DPI = (10.0, 8.0), 72


def frame_epochs(epochs: int, frames: int) -> np.ndarray:
    """`frames` distinct epochs from 0 to `epochs` (2 <= frames <= epochs + 1, as
    AnimationConfig checks), dense early where the paths move fastest."""
    chosen = np.round(epochs * np.linspace(0.0, 1.0, frames) ** 2).astype(int)
    for k in range(1, frames):  # push duplicates forward, then pull back under the end
        chosen[k] = max(chosen[k], chosen[k - 1] + 1)
    for k in range(frames - 1, -1, -1):
        chosen[k] = min(chosen[k], epochs - (frames - 1 - k))
    return chosen


def render(scene: Scene, epochs_at: np.ndarray) -> Iterator[np.ndarray]:
    """Yield one RGB frame (H x W x 3, uint8) per epoch in `epochs_at`."""
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    canvas = FigureCanvasAgg(fig)
    x = scene.data.x[:, 0].numpy()
    order = np.argsort(x)
    grid_x = x[order]
    moving = []
    for row, (loss, fitted) in zip(fig.subplots(2, 2), scene.race.fits.items(), strict=True):
        left, right = row
        draw_data(left, scene.data, alpha=0.03, size=8)
        left.set_title(f"{loss_label(loss)}: data and fitted curve")
        data_legend(left, fontsize=8)
        contour_axes(right, scene.surfaces[loss])
        right.plot(*scene.truth, "*", color=TRUTH_COLOR, markersize=12)
        right.plot(*scene.mle, "wX", markeredgecolor="k", markersize=8)
        right.plot(*scene.race.start, "ko", markersize=5)
        right.set_title(f"{loss_label(loss)} landscape and path")
        (curve,) = left.plot([], [], color=LOSS_COLORS[loss], linewidth=2.5)
        (path,) = right.plot([], [], color=LOSS_COLORS[loss], linewidth=2)
        (head,) = right.plot([], [], "o", color=LOSS_COLORS[loss], markeredgecolor="k")
        label = left.text(0.98, 0.05, "", transform=left.transAxes, ha="right", fontsize=9)
        moving.append((fitted, curve, path, head, label))
    total = scene.race.fits["bce"].epochs
    clock = fig.suptitle(f"epoch {total:,} of {total:,}")  # sized for the longest text
    artists = [a for _, *group in moving for a in group] + [clock]
    for artist in artists:
        artist.set_animated(True)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    for epoch in epochs_at:
        canvas.restore_region(background)
        for fitted, curve, path, head, label in moving:
            params = fitted.history.params
            curve.set_data(grid_x, probabilities(params[epoch], grid_x))
            path.set_data(params[: epoch + 1, 0], params[: epoch + 1, 1])
            head.set_data(params[epoch, :1], params[epoch, 1:2])
            label.set_text(f"w0 = {params[epoch, 0]:.3f}, w1 = {params[epoch, 1]:.3f}")
        clock.set_text(f"epoch {epoch:,} of {total:,}")
        for artist in artists:
            fig.draw_artist(artist)
        yield np.asarray(canvas.buffer_rgba())[..., :3].copy()
