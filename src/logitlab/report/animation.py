"""Write a film of the fitting as GIF (Pillow) and MP4 (ffmpeg), rendering each frame once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from ..errors import ConfigError
from ..records import to_record
from ..studies.animation import AnimationRun
from ..viz.film import frame_epochs, render
from .writers import write_json

#: How long the last frame stays on screen, so the end of the descent can be read before a
#: looping GIF starts again (and before a video ends).
HOLD_SECONDS = 2.0


def hold_frames(fps: float, hold: float = HOLD_SECONDS) -> int:
    """How many extra copies of the last frame an MP4 at `fps` needs to show it for `hold`
    seconds in all (the frame itself already shows for 1 / fps)."""
    return max(0, round(hold * fps) - 1)


@dataclass(frozen=True)
class Film:
    """Files written and how long a frame took (drawing alone, and with encoding). `frames`
    counts the distinct frames; the last one is held for hold_seconds."""

    gif: Path
    mp4: Path
    frames: int
    fps: float
    render_seconds_per_frame: float
    seconds_per_frame: float
    hold_seconds: float = HOLD_SECONDS

    @property
    def names(self) -> list[str]:
        """The files written."""
        return [self.gif.name, self.mp4.name]


def write_animation(
    run: AnimationRun,
    folder: Path,
    *,
    progress: bool = False,
    stem: str = "fitting",
    title: str | None = None,
) -> Film:
    """<stem>.gif and <stem>.mp4 into folder, each frame rendered once (with `title` above the
    clock when given): written to the MP4 as it comes and collected for the GIF; the last frame
    stays HOLD_SECONDS on screen in both (a longer delay in the GIF, repeated frames in the
    MP4). Film.names lists what was written."""
    scene, fps = run.scene, run.config.fps
    epochs_at = frame_epochs(scene.race.fits["bce"].epochs, run.config.frames)
    image_module, imageio = media()
    gif, mp4 = Path(folder) / f"{stem}.gif", Path(folder) / f"{stem}.mp4"
    pictures, render_time = [], 0.0
    begin = time.perf_counter()
    with imageio.get_writer(mp4, fps=fps, codec="libx264", macro_block_size=16) as video:
        frames_iter = render(scene, epochs_at, title=title)
        for _ in tqdm(epochs_at, desc="frames", unit="frame", disable=not progress):
            tick = time.perf_counter()
            frame = next(frames_iter)
            render_time += time.perf_counter() - tick
            video.append_data(frame)
            pictures.append(image_module.fromarray(frame).quantize(colors=255))
        for _ in range(hold_frames(fps)):
            video.append_data(frame)
    duration = max(1, round(1000 / fps))  # GIF delays are whole milliseconds
    durations = [duration] * (len(pictures) - 1) + [max(duration, round(1000 * HOLD_SECONDS))]
    pictures[0].save(gif, save_all=True, append_images=pictures[1:], duration=durations, loop=0)
    total = time.perf_counter() - begin
    return Film(
        gif=gif,
        mp4=mp4,
        frames=len(epochs_at),
        fps=fps,
        render_seconds_per_frame=render_time / len(epochs_at),
        seconds_per_frame=total / len(epochs_at),
    )


def write_settings(run: AnimationRun, folder: Path) -> str:
    """animation.json: what the film shows, so it can be made again: the data, the training
    settings, the start, where each descent ended and the film's frames; returns its name."""
    write_json(to_record(run), Path(folder) / "animation.json")
    return "animation.json"


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
