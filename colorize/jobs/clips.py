"""Write real-art clips to disk: one folder of PNG frames per clip, resumable, with a manifest.

    OUT/clip_0000/frame_000000.png ...   the clip's frames (RGB PNG)
    OUT/clip_0000/shots.json             cuts (first frame of each new shot) and what each shot shows
    OUT/manifest.json                    config, clips, and every source's name, version, licence and
                                         the files used from it

Each clip is drawn into a hidden temporary folder and renamed into place when complete, so a clip
folder under its final name is always whole; a rerun skips those and draws the rest. Rerunning
into a folder made with other settings is refused (the clips would not belong together).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Iterable

from colorize.config import from_dict, to_dict
from colorize.data.art import ArtSource, ImageCache, load_sources
from colorize.data.clips import ClipConfig, RealArtClip, Shot
from colorize.errors import ColorizeError, InputError
from colorize.images import remove_stale_partials, write_bytes, write_image
from colorize.progress import progress

MANIFEST = "manifest.json"
SHOTS = "shots.json"


def clip_name(index: int) -> str:
    return f"clip_{index:04d}"


def _shot_record(shot: Shot, sources: list[ArtSource]) -> dict[str, Any]:
    background = None
    if shot.background is not None:
        source, path = shot.background
        background = {"source": sources[source].name, "file": sources[source].relative(path)}
    actors = [{"source": sources[a.source].name, "files": [sources[a.source].relative(p) for p in a.frames],
               "entering": a.entering, "occluder": a.screen_space} for a in shot.actors]
    return {"start": shot.start, "end": shot.end, "background": background,
            "camera": {"start": list(shot.camera[0]), "end": list(shot.camera[1])}, "actors": actors}


def shots_record(clip: RealArtClip) -> dict[str, Any]:
    """What shots.json holds for `clip`: size, rate, cut frames and each shot's art."""
    cfg = clip.cfg
    return {"clip": clip.index, "seed": cfg.seed, "n_frames": cfg.n_frames, "fps": cfg.fps,
            "width": cfg.width, "height": cfg.height, "cuts": clip.cuts,
            "shots": [_shot_record(s, clip.sources) for s in clip.shots]}


def _write_json(path: Path, data: Any) -> None:
    write_bytes(path, (json.dumps(data, indent=1) + "\n").encode("utf-8"))


def write_clip(clip: RealArtClip, folder: Path) -> Path:
    """Draw `clip` into `folder` (which must not exist yet) through a temporary sibling folder."""
    staging = folder.with_name(f".{folder.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.partial")
    staging.mkdir(parents=True)
    try:
        for i, rgb in enumerate(clip):
            write_image(staging / f"frame_{i:06d}.png", rgb)
        _write_json(staging / SHOTS, shots_record(clip))
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _check_same_settings(out: Path, cfg: ClipConfig, sources: list[ArtSource]) -> None:
    """InputError unless `out` is new or was started with the same settings and art sources."""
    path = out / MANIFEST
    if not path.is_file():
        return
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
        same = (to_dict(from_dict(ClipConfig, previous["config"])) == to_dict(cfg)
                and [s["name"] for s in previous["sources"]] == [s.name for s in sources])
    except (OSError, ValueError, KeyError, TypeError, ColorizeError):
        raise InputError(f"{path} is not a clips manifest; choose an empty output folder") from None
    if not same:
        raise InputError(f"{out} holds clips made with other settings or art folders; choose another "
                         "output folder or repeat the same ones to resume")


def _used_files(out: Path, names: list[str]) -> dict[str, set[str]]:
    """Source name -> files used, read back from every finished clip's shots.json."""
    used: dict[str, set[str]] = {}
    for name in names:
        record = json.loads((out / name / SHOTS).read_text(encoding="utf-8"))
        for shot in record["shots"]:
            if shot["background"]:
                used.setdefault(shot["background"]["source"], set()).add(shot["background"]["file"])
            for actor in shot["actors"]:
                used.setdefault(actor["source"], set()).update(actor["files"])
    return used


def write_manifest(out: Path, sources: list[ArtSource], cfg: ClipConfig, names: list[str]) -> Path:
    used = _used_files(out, names)
    records = [{**s.info, "folder": str(s.folder), "files_used": sorted(used.get(s.name, ()))} for s in sources]
    manifest = {"config": to_dict(cfg), "n_clips": len(names), "clips": names, "sources": records}
    _write_json(out / MANIFEST, manifest)
    return out / MANIFEST


def write_clips(art_dirs: Iterable[str | os.PathLike], out: str | os.PathLike, cfg: ClipConfig,
                n_clips: int = 1) -> Path:
    """Draw clips 0..n_clips-1 from the art folders into `out`; finished clips are kept, not redrawn.

    Returns `out`. InputError for unusable art folders, or when `out` was made with other settings.
    """
    if n_clips < 1:
        raise InputError(f"n_clips must be at least 1, got {n_clips}")
    sources = load_sources(art_dirs)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"output {out} is a file; the clips stage writes a folder")
    out.mkdir(parents=True, exist_ok=True)
    _check_same_settings(out, cfg, sources)
    remove_stale_partials(out, whole_folder=True)
    names = [clip_name(k) for k in range(n_clips)]
    cache = ImageCache()
    for k in progress(range(n_clips), total=n_clips, desc="clips", unit="clip"):
        folder = out / names[k]
        if folder.exists() and not (folder / SHOTS).is_file():
            raise InputError(f"{folder} exists but has no {SHOTS}, so this run did not write it; "
                             "move it away and rerun")
        if not folder.exists():
            write_clip(RealArtClip(sources, cfg, index=k, cache=cache), folder)
        if k == 0:  # record the settings early, so a rerun with other ones is refused
            write_manifest(out, sources, cfg, names[:1])
    write_manifest(out, sources, cfg, names)
    return out


__all__ = ["MANIFEST", "SHOTS", "clip_name", "shots_record", "write_clip", "write_clips", "write_manifest"]
