"""Write a film of the fitting as GIF (Pillow) and MP4 (ffmpeg), rendering each frame once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from ..errors import ConfigError
from ..studies.animation import AnimationRun
from ..viz.film import frame_epochs, render


@dataclass(frozen=True)
class Film:
    """Files written and how long a frame took (drawing alone, and with encoding)."""

    gif: Path
    mp4: Path
    frames: int
    fps: float
    render_seconds_per_frame: float
    seconds_per_frame: float

    @property
    def names(self) -> list[str]:
        """The files written."""
        return [self.gif.name, self.mp4.name]


def write_animation(run: AnimationRun, folder: Path, *, progress: bool = False) -> Film:
    """fitting.gif and fitting.mp4 into folder, each frame rendered once: written to the MP4
    as it comes and collected for the GIF. Film.names lists what was written."""
    scene, fps = run.scene, run.config.fps
    epochs_at = frame_epochs(scene.race.fits["bce"].epochs, run.config.frames)
    image_module, imageio = media()
    gif, mp4 = Path(folder) / "fitting.gif", Path(folder) / "fitting.mp4"
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
