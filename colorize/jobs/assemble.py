"""The assemble job: a folder of frames (and its manifest) back to an MP4.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from colorize.errors import InputError
from colorize.images import list_images, refuse_input_as_output
from colorize.media.encode import VideoWriter
from colorize.media.frames import iter_folder
from colorize.progress import progress


def assemble_folder(frames_dir: str | os.PathLike, out_path: str | os.PathLike, fps: float,
                    audio_from: str | os.PathLike | None = None, crf: int = 18, preset: str = "veryfast",
                    audio_start: float = 0.0, frame_times: Sequence[float] | None = None) -> Path:
    """Encode the images of `frames_dir` (sorted, one size) into `out_path` at `fps`; returns out_path.

    frame_times: each image's time in seconds (a variable rate, e.g. from manifest.json), one per image.
    """
    frames_dir = Path(frames_dir)
    refuse_input_as_output(out_path, [frames_dir])
    total = len(list_images(frames_dir))  # listed up front only for the progress bar's total
    if frame_times is not None and len(frame_times) != total:
        raise InputError(f"{frames_dir} holds {total} images but {len(frame_times)} frame times were given")
    with VideoWriter(out_path, fps, audio_from=audio_from, crf=crf, preset=preset,
                     audio_start=audio_start, frame_times=frame_times) as writer:
        for frame in progress(iter_folder(frames_dir, fps=fps), total=total,
                              desc=f"assemble {writer.path.name}"):
            writer.write(frame.image)
    return writer.path
