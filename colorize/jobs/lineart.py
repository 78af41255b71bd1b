"""The line-art job: a video or folder of frames to a folder of line-art PNGs or a line-art MP4.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import torch

from colorize.errors import InputError
from colorize.images import check_writable, list_images, output_paths, read_rgb, write_image
from colorize.lineart.recipes import LineArtConfig, iter_lineart
from colorize.progress import progress
from colorize.runtime import resolve_device


# A folder of images has no frame rate; an .mp4 made from one plays at this rate.
FOLDER_FPS = 24.0


VIDEO_SUFFIXES = (".mp4",)


def run_lineart(input: str | os.PathLike, output: str | os.PathLike, cfg: LineArtConfig,
                device: str | torch.device = "auto") -> Path:
    """Draw line-art for a video or a folder of images; returns `output`.

    INPUT: a video file, or a folder of images (searched recursively).
    OUTPUT: a folder of PNGs (frame_%06d.png for a video; the same relative paths, as .png, for a
    folder) or a path ending .mp4 (line-art video at the input's fps, or FOLDER_FPS for a folder,
    with a video input's audio copied). Every file is written atomically.
    """
    source, output = Path(input), Path(output)
    if not source.exists():
        raise InputError(f"input not found: {source}")
    device = resolve_device(device)
    if output.suffix.lower() in VIDEO_SUFFIXES:
        return _lineart_to_video(source, output, cfg, device)
    if output.exists() and not output.is_dir():
        raise InputError(f"output {output} is a file; give a folder or a path ending .mp4")
    if source.is_dir():
        return _folder_to_folder(source, output, cfg, device)
    return _video_to_folder(source, output, cfg, device)


def _video_to_folder(video: Path, folder: Path, cfg: LineArtConfig, device: torch.device) -> Path:
    from colorize.media.video import iter_frames, probe

    info = probe(video)
    check_writable(folder / "frame_000000.png")
    frames = progress(iter_frames(video), total=info.frame_count or None, desc="line-art")
    for frame in iter_lineart(frames, cfg, device):
        write_image(folder / f"frame_{frame.index:06d}.png", frame.image)
    return folder


def _folder_to_folder(source: Path, folder: Path, cfg: LineArtConfig, device: torch.device) -> Path:
    files = list_images(source)
    check_writable(folder / "probe.png")
    targets = output_paths(source, folder, files)  # a.jpg and a.png must not both become a.png
    frames = progress(_folder_frames(files), total=len(files), desc="line-art")
    for frame in iter_lineart(frames, cfg, device):
        write_image(targets[files[frame.index]], frame.image)
    return folder


def _folder_frames(files: list[Path]) -> Iterator[Frame]:
    """Frames (index = position in `files`, time 0) read one at a time from image files."""
    from colorize.media.frames import Frame

    for index, path in enumerate(files):
        yield Frame(index=index, time=index / FOLDER_FPS, image=read_rgb(path))


def _lineart_to_video(source: Path, output: Path, cfg: LineArtConfig, device: torch.device) -> Path:
    from colorize.media.encode import write_video
    from colorize.media.video import iter_frames, probe

    check_writable(output)
    if source.is_dir():
        files = list_images(source)
        frames, total, fps, audio = _folder_frames(files), len(files), FOLDER_FPS, None
    else:
        info = probe(source)
        frames, total, fps = iter_frames(source), info.frame_count or None, info.fps
        audio = source if info.has_audio else None
    drawn = iter_lineart(progress(frames, total=total, desc="line-art"), cfg, device)
    write_video((f.image for f in drawn), output, fps, audio_from=audio)  # gray frames are accepted
    return output
