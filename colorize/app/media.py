"""The app's video chores: a frame by seeking, stills of a preview, videos every browser plays, result lines.

    image = seek_frame("clip.mp4", 120, fps=24)       # frame 120 without decoding 0..119
    path, note = playable(render)                    # yuv420p H.264 (an odd side padded), and what changed
    still = middle_frame(preview)                    # a frame away from the key

Nothing here knows about clips or sessions (colorize.app.session uses these).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import cv2
import numpy as np

from colorize.errors import InputError


def seek_frame(video: str | os.PathLike, index: int, fps: float) -> np.ndarray:
    """Frame `index` of a constant-rate video, H x W x 3 uint8 RGB, without decoding from frame 0.

    ffmpeg seeks (-ss before -i: to the keyframe before, then decodes only up to the time) to half a
    frame before the frame's time, so rounding cannot land on a neighbour; InputError if nothing comes back.
    """
    import imageio_ffmpeg

    time = max(0.0, (index - 0.5) / fps) if index else 0.0
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin",
               "-ss", f"{time:.6f}", "-i", str(video), "-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "-"]
    result = subprocess.run(command, capture_output=True)
    image = cv2.imdecode(np.frombuffer(result.stdout, np.uint8), cv2.IMREAD_COLOR) if result.stdout else None
    if image is None:
        raise InputError(f"cannot read frame {index} of {Path(video).name}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def playable(video: Path, made_from: tuple[int, int] | None = None) -> tuple[Path, str]:
    """`video` as yuv420p H.264, which every browser and player decodes, and a note for the result
    line ('' when nothing changed). The command line keeps an odd size exactly in 4:4:4; here such a
    video is re-encoded once with one black pixel row / column added (4:2:0 needs even sides).
    `made_from`: the (width, height) of the clip it was rendered from, when the render padded it
    already (`colorize video --even`): the note then says so too. One probe either way."""
    from colorize.media.encode import pad_to_even
    from colorize.media.video import probe

    info = probe(video)
    size = (info.width, info.height)
    if info.width % 2 or info.height % 2:
        pad_to_even(video)
        made_from, size = size, (info.width + info.width % 2, info.height + info.height % 2)
    if made_from is None or tuple(made_from) == size:
        return video, ""
    return video, (f"{video.name}: padded from {made_from[0]}x{made_from[1]} to {size[0]}x{size[1]} "
                   "(one black pixel) so that browsers play it")


def first_frame(video: str | os.PathLike) -> np.ndarray:
    """The first frame of a video, H x W x 3 uint8 RGB (the preview's still)."""
    from colorize.media.video import iter_frames

    return next(iter(iter_frames(video))).image


def middle_frame(video: str | os.PathLike) -> np.ndarray:
    """The middle frame of a video, H x W x 3 uint8 RGB: the preview's still, away from the key (the key's
    own frame always looks right)."""
    from colorize.media.video import probe

    info = probe(video)
    return seek_frame(info.path, info.frame_count // 2, info.fps)


def describe_outputs(outputs: list[Path]) -> str:
    """One line per rendered file: name, and for a video its frames, size and rate."""
    from colorize.media.video import probe

    lines = []
    for path in outputs:
        if path.suffix == ".mp4":
            info = probe(path)
            lines.append(f"{path.name}: {info.frame_count} frames, {info.width}x{info.height} at {info.fps:g} fps")
        else:
            lines.append(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB")
    return "\n\n".join(lines)
