"""The extract job: a video's frames to numbered PNGs plus manifest.json, written all-or-nothing.

    extract_to_folder("clip.mp4", "frames/", ExtractConfig(every=2, size=(256, 192)))
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator

from colorize.errors import InputError
from colorize.images import refuse_input_as_output, remove_stale_partials, write_bytes, write_image
from colorize.media.video import ExtractConfig, VideoInfo, frame_range, frame_times, frames_of, probe
from colorize.progress import progress


FRAME_NAME = "frame_{:06d}.png"


MANIFEST_NAME = "manifest.json"


def extract_to_folder(video: str | os.PathLike, out_dir: str | os.PathLike,
                      cfg: ExtractConfig | None = None) -> Path:
    """Write the frames `cfg` selects as `frame_<source index>.png` plus `manifest.json`; return out_dir.

    The frames go to a hidden temporary sibling folder that is renamed onto `out_dir` only when every
    frame is written, so a failed or interrupted run never leaves a half-filled `out_dir`. Refuses an
    `out_dir` that exists and is not an empty folder.
    """
    cfg = cfg or ExtractConfig()
    out_dir = Path(out_dir)
    refuse_input_as_output(out_dir, [video], folder_job=True)
    _check_out_dir(out_dir)
    info = probe(video)
    wanted = frame_range(info, cfg.every, cfg.start, cfg.end)
    source_times = frame_times(info)
    frames = frames_of(info, cfg, source_times)
    with _staging_dir(out_dir) as staging:
        indices, times = [], []
        for frame in progress(frames, total=len(wanted), desc=f"extract {info.path.name}"):
            write_image(staging / FRAME_NAME.format(frame.index), frame.image)
            indices.append(frame.index)
            times.append(round(frame.time, 6))
        _write_manifest(staging / MANIFEST_NAME, info, cfg, indices, times, source_times is not None)
    return out_dir


def _check_out_dir(out_dir: Path) -> None:
    """InputError unless `out_dir` is absent or an empty folder."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"output {out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        raise InputError(f"output folder {out_dir} is not empty (remove it or choose another)")


@contextlib.contextmanager
def _staging_dir(out_dir: Path) -> Iterator[Path]:
    """A hidden sibling folder renamed onto `out_dir` if the block succeeds, deleted otherwise.

    Staging folders that killed runs left for the same `out_dir` are removed first.
    """
    remove_stale_partials(out_dir)
    staging = out_dir.with_name(f".{out_dir.stem}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial{out_dir.suffix}")
    try:
        staging.mkdir(parents=True)
    except OSError as exc:
        raise InputError(f"cannot create output folder {out_dir}: {exc.strerror}") from None
    try:
        yield staging
        if out_dir.is_dir():
            out_dir.rmdir()  # empty (checked before starting); rename cannot replace a folder
        os.rename(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_manifest(path: Path, info: VideoInfo, cfg: ExtractConfig, indices: list[int],
                    times: list[float], variable_rate: bool = False) -> None:
    """Record where the frames came from, so later stages can restore timing and the source's audio."""
    width, height = cfg.size if cfg.size else (info.width, info.height)
    manifest = {
        "source": str(info.path.resolve()),
        "fps": info.fps,
        "output_fps": info.fps / cfg.every,
        "width": width,
        "height": height,
        "source_width": info.width,
        "source_height": info.height,
        "has_audio": info.has_audio,
        "variable_frame_rate": variable_rate,  # then `times` are the source's own, not index / fps
        "config": dataclasses.asdict(cfg),
        "indices": indices,
        "times": times,
    }
    write_bytes(path, (json.dumps(manifest, indent=1) + "\n").encode("utf-8"))
