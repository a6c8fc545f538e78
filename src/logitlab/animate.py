"""The fitting process as a film: BCE and MSE side by side, as GIF (Pillow) and MP4 (ffmpeg).

Each row is one loss: on the left the data with the curve fitted so far, on the right the
path advancing over that loss's landscape. The static parts are drawn once; each frame only
redraws the moving artists over a saved background (blitting on the Agg canvas), which keeps
a frame to a few hundredths of a second.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from .config import LOSSES, TrainConfig, check_float, check_int
from .data import Dataset
from .errors import ConfigError
from .landscape import Surface, grid, surface
from .mle import fit as fit_mle
from .model import initial_params, probabilities
from .why import Race, race
from .whyplots import COLORS, contour_axes

#: 720 x 576 pixels: both multiples of 16, so ffmpeg encodes without resizing.
FIGSIZE, DPI = (10.0, 8.0), 72


@dataclass(frozen=True)
class Scene:
    """What the film shows: the data, both losses' paths from one start, the landscapes."""

    data: Dataset
    race: Race
    surfaces: dict[str, Surface]
    truth: np.ndarray
    mle: np.ndarray


@dataclass(frozen=True)
class Film:
    """Files written and how long a frame took (drawing alone, and with encoding)."""

    gif: Path
    mp4: Path
    frames: int
    fps: float
    render_seconds_per_frame: float
    seconds_per_frame: float


def make_scene(
    data: Dataset,
    truth: object,
    config: TrainConfig | None = None,
    *,
    start: object | None = None,
    grid_size: int = 61,
    progress: bool = False,
) -> Scene:
    """Train both losses from `start` (default: the lecture's initial net) and map the ground."""
    cfg = config or TrainConfig()
    truth = np.asarray(truth, dtype=float)
    if start is None:
        start = initial_params(cfg.init_seed, data.x.shape[1])
    paths = race(data, start, cfg, progress=progress)
    mle = fit_mle(data.x, data.y).coef
    ends = [fitted.params for fitted in paths.fits.values()]
    w0, w1 = grid(truth, include=np.vstack((paths.start, mle, *ends)), size=grid_size)
    x, y = data.x.numpy(), data.y.numpy()
    surfaces = {loss: surface(loss, x, y, w0, w1) for loss in LOSSES}
    return Scene(data=data, race=paths, surfaces=surfaces, truth=truth, mle=mle)


def frame_epochs(epochs: int, frames: int) -> np.ndarray:
    """`frames` distinct epochs from 0 to `epochs`, dense early where the paths move fastest."""
    epochs = check_int("epochs", epochs, 1)
    frames = check_int("frames", frames, 2)
    if frames > epochs + 1:
        raise ConfigError(f"frames must be at most epochs + 1 ({epochs + 1}), got {frames}")
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
        left.scatter(x, scene.data.y[:, 0].numpy(), s=8, color="C0", alpha=0.03)
        if scene.data.pi is not None:
            left.plot(x, scene.data.pi[:, 0].numpy(), "--r", linewidth=1.5, label="true π(x)")
        left.set(
            title=f"{loss.upper()}: data and fitted curve",
            xlabel="x",
            ylabel="P(y = 1 | x)",
            ylim=(-0.05, 1.05),
        )
        left.legend(loc="upper left", fontsize=8)
        contour_axes(right, scene.surfaces[loss])
        right.plot(*scene.truth, "r*", markersize=12)
        right.plot(*scene.mle, "wX", markeredgecolor="k", markersize=8)
        right.plot(*scene.race.start, "ko", markersize=5)
        right.set_title(f"{loss.upper()} landscape and path")
        (curve,) = left.plot([], [], color=COLORS[loss], linewidth=2.5)
        (path,) = right.plot([], [], color=COLORS[loss], linewidth=2)
        (head,) = right.plot([], [], "o", color=COLORS[loss], markeredgecolor="k")
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


def write_film(
    scene: Scene,
    out: str | Path,
    *,
    frames: int,
    fps: float,
    stem: str = "fitting",
    progress: bool = False,
) -> Film:
    """Render once, writing every frame to the MP4 as it comes and collecting it for the GIF."""
    fps = check_float("fps", fps, positive=True)
    epochs_at = frame_epochs(scene.race.fits["bce"].epochs, frames)
    image_module, imageio = media()
    out = Path(out)
    gif, mp4 = out / f"{stem}.gif", out / f"{stem}.mp4"
    pictures, render_time = [], 0.0
    begin = time.perf_counter()
    with imageio.get_writer(mp4, fps=fps, codec="libx264", macro_block_size=16) as video:
        frames_iter = render(scene, epochs_at)
        for _ in tqdm(epochs_at, desc="frames", unit="frame", disable=not progress):
            tick = time.perf_counter()
            frame = next(frames_iter)
            render_time += time.perf_counter() - tick
            video.append_data(frame)
            pictures.append(image_module.fromarray(frame).quantize(colors=255))
    duration = max(1, round(1000 / fps))  # GIF delays are whole milliseconds
    pictures[0].save(gif, save_all=True, append_images=pictures[1:], duration=duration, loop=0)
    total = time.perf_counter() - begin
    return Film(
        gif=gif,
        mp4=mp4,
        frames=len(epochs_at),
        fps=fps,
        render_seconds_per_frame=render_time / len(epochs_at),
        seconds_per_frame=total / len(epochs_at),
    )


def media() -> tuple[object, object]:
    """Pillow's Image and imageio (with its ffmpeg), imported only when a film is made."""
    try:
        import imageio.v2 as imageio
        import imageio_ffmpeg  # noqa: F401  (the ffmpeg binary imageio's writer runs)
        from PIL import Image
    except ImportError as exc:
        raise ConfigError(
            f"animations need Pillow, imageio and imageio-ffmpeg ({exc.name} is missing): "
            "pip install 'logitlab[media]'"
        ) from None
    return Image, imageio
