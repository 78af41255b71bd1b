"""Video in: probe a video and stream its frames (OpenCV), with the source's own frame times.

    info = probe("clip.mp4")                       # VideoInfo(fps, frame_count, width, height, ...)
    for frame in iter_frames("clip.mp4", every=2):  # Frame(index, time, H x W x 3 uint8 RGB)
        ...

Folders of frames are read by media.frames.iter_folder; jobs.extract writes a video's frames out.

Nothing here holds a whole video in memory: every reader is a generator that releases its capture
when it finishes, fails or is abandoned. Unusable inputs raise InputError with one sentence.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import imageio_ffmpeg

from colorize.errors import InputError
from colorize.images import to_rgb_uint8
from colorize.media.frames import Frame, check_size, resize_to

# FFmpeg inside OpenCV prints decoder complaints ("Invalid NAL unit size") straight to stderr; we
# turn those failures into one InputError instead. Set OPENCV_FFMPEG_LOGLEVEL=32 to see them again.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

# Container frame counts can be off by a frame or two (edit lists, B-frame delay); only a larger
# shortfall means the file was cut short.
_TRUNCATION_SLACK_FRAMES = 2
_TRUNCATION_SLACK_FRACTION = 0.02


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds. `frame_count` is the container's count (OpenCV); `duration` is in seconds."""

    path: Path
    fps: float
    frame_count: int
    width: int
    height: int
    duration: float
    has_audio: bool


@dataclass
class ExtractConfig:
    """Which frames `extract_to_folder` keeps: every `every`-th frame with start <= time < end (seconds),
    optionally resized to `size` = (width, height)."""

    every: int = 1
    start: float = 0.0
    end: float | None = None
    size: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.every, bool) or not isinstance(self.every, int) or self.every < 1:
            raise ValueError(f"every must be a whole number >= 1, got {self.every!r}")
        if not math.isfinite(self.start) or self.start < 0:
            raise ValueError(f"start must be >= 0 seconds, got {self.start!r}")
        if self.end is not None and not (math.isfinite(self.end) and self.end > self.start):
            raise ValueError(f"end ({self.end!r} s) must be after start ({self.start!r} s)")
        if self.size is not None:
            self.size = check_size(self.size)


# ---------------------------------------------------------------------------------------------- probe

_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_STREAM = re.compile(r"^\s*Stream #\d+:\d+.*?:\s*(Video|Audio):(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class FfmpegInfo:
    """What `ffmpeg -i` says about a file (there is no ffprobe binary)."""

    duration: float | None
    has_video: bool
    has_audio: bool


def ffmpeg_info(path: Path) -> FfmpegInfo:
    """Run `ffmpeg -i path` and parse its report; InputError when ffmpeg cannot open the file.

    `ffmpeg -i` without an output always exits non-zero, so success is judged by the report itself.
    """
    proc = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                          capture_output=True, text=True, errors="replace", timeout=60)
    report = proc.stderr
    if "Input #0" not in report:
        if _looks_like_media(path):
            raise InputError(f"{path} is truncated or corrupt (ffmpeg: {last_error_line(report)})")
        raise InputError(f"{path} is not a video file ffmpeg can read")
    streams = _STREAM.findall(report)
    # Cover art in audio files shows up as a one-picture "Video" stream; it is not footage.
    has_video = any(kind == "Video" and "attached pic" not in rest for kind, rest in streams)
    has_audio = any(kind == "Audio" for kind, _ in streams)
    match = _DURATION.search(report)
    duration = None
    if match:
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return FfmpegInfo(duration=duration, has_video=has_video, has_audio=has_audio)


# Leading bytes of common video containers: MP4/MOV ('ftyp' at offset 4), Matroska/WebM, AVI, Ogg, FLV.
_MEDIA_SIGNATURES = ((4, b"ftyp"), (0, b"\x1a\x45\xdf\xa3"), (0, b"RIFF"), (0, b"OggS"), (0, b"FLV"))


def _looks_like_media(path: Path) -> bool:
    """True when the file starts like a video container, so a failed open means damage, not a wrong file."""
    with path.open("rb") as fh:
        head = fh.read(16)
    return any(head[at:at + len(magic)] == magic for at, magic in _MEDIA_SIGNATURES)


def last_error_line(text: str, count: int = 1) -> str:
    """The last `count` non-empty lines of a tool's output joined with '; ' (ffmpeg puts the specific
    complaint just before a generic one), without their `[ctx @ 0x..]` tags."""
    lines = [re.sub(r"^(\[[^\]]*\]\s*)+", "", ln.strip()) for ln in text.splitlines() if ln.strip()]
    return "; ".join(lines[-count:]) if lines else "no details"


def _check_file(path: str | os.PathLike) -> Path:
    """The path as a Path if it is an existing file; InputError otherwise."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"video not found: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a video file")
    if not path.is_file():
        raise InputError(f"{path} is not a regular file (a device or a pipe), not a video file")
    return path


def probe(path: str | os.PathLike) -> VideoInfo:
    """Size, frame rate, frame count, duration and audio presence of a video file.

    Raises InputError for a missing file, a file that is not a video, a video without frames (e.g.
    audio only) and a file whose index is missing (truncated). A file cut short but with its index
    intact probes fine; `iter_frames` reports it when decoding stops early.
    """
    path = _check_file(path)
    info = ffmpeg_info(path)
    if not info.has_video:
        raise InputError(f"{path} has no video frames (it holds no video stream)")
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise InputError(f"{path} is a video OpenCV cannot decode (corrupt or unsupported codec)")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
    finally:
        cap.release()
    if not math.isfinite(fps) or fps <= 0:
        raise InputError(f"{path} does not state a frame rate")
    if count <= 0 and info.duration:
        # Some containers (streamed MKV/WebM) carry no frame count; estimate it from the duration.
        count = int(round(info.duration * fps))
    if count <= 0 or width <= 0 or height <= 0:
        raise InputError(f"{path} has zero video frames")
    duration = info.duration if info.duration else count / fps
    return VideoInfo(path=path, fps=fps, frame_count=count, width=width, height=height,
                     duration=duration, has_audio=info.has_audio)


# ------------------------------------------------------------------------------------------- readers

def frame_range(info: VideoInfo, every: int = 1, start: float = 0.0, end: float | None = None) -> range:
    """Source indices kept by (every, start, end): frames with start <= index / fps < end.

    The 1e-6 s tolerance keeps a frame whose time equals `start` exactly despite float rounding.
    """
    first = max(0, math.ceil(start * info.fps - 1e-6))
    stop = info.frame_count if end is None else min(info.frame_count, math.ceil(end * info.fps - 1e-6))
    return range(first, max(first, stop), every)


# A frame more than this fraction of a frame away from index / fps makes a video variable-rate.
_VFR_TOLERANCE_FRAMES = 0.25


def frame_times(info: VideoInfo) -> list[float] | None:
    """Each frame's presentation time in seconds (the first at 0) for a variable-frame-rate video;
    None when the frames are evenly spaced (time = index / fps to within a quarter frame) or their
    times cannot be read.

    ffmpeg lists the packets' timestamps without decoding (`-c copy -f framecrc`); sorting the
    presentation times undoes B-frame reordering. Phones and screen recorders write variable rates;
    keeping the times keeps the audio in sync inside the clip, not only at the ends.
    """
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i",
           str(info.path), "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return None
    times = _framecrc_times(proc.stdout) if proc.returncode == 0 else []
    if len(times) < 2:
        return None
    tolerance = _VFR_TOLERANCE_FRAMES / info.fps
    if all(abs(t - i / info.fps) <= tolerance for i, t in enumerate(times)):
        return None
    return times


def _framecrc_times(report: str) -> list[float]:
    """Sorted presentation times (seconds, from 0) from ffmpeg's framecrc listing of one stream."""
    match = re.search(r"^#tb 0: (\d+)/(\d+)", report, re.MULTILINE)
    if not match:
        return []
    tick = int(match.group(1)) / int(match.group(2))
    pts = []
    for line in report.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if line.startswith("#") or len(fields) < 4 or fields[2] in ("", "NOPTS"):
            continue
        with contextlib.suppress(ValueError):
            pts.append(int(fields[2]))
    if not pts:
        return []
    pts.sort()
    return [(p - pts[0]) * tick for p in pts]


def iter_frames(path: str | os.PathLike, every: int = 1, start: float = 0.0, end: float | None = None,
                size: tuple[int, int] | None = None, times: list[float] | None = None) -> Iterator[Frame]:
    """Stream Frames (index = source frame number, time in seconds, RGB uint8) from a video.

    time is index / fps, or times[index] when `times` (from `frame_times`, for a variable-rate
    video) is given.

    Keeps every `every`-th frame with start <= time < end (seconds), resized to `size` = (width,
    height) if given. Raises InputError if the video cannot be read, if `start` is past its end, or
    if decoding stops well before the container's frame count (a truncated file).
    """
    cfg = ExtractConfig(every=every, start=start, end=end, size=size)  # same validation as the config
    yield from frames_of(probe(path), cfg, times)


def frames_of(info: VideoInfo, cfg: ExtractConfig, times: list[float] | None = None) -> Iterator[Frame]:
    """iter_frames for an already probed video (so extract_to_folder probes only once)."""
    every, start, end, size = cfg.every, cfg.start, cfg.end, cfg.size
    wanted = frame_range(info, every, start, end)
    if len(wanted) == 0:
        raise InputError(f"no frames of {info.path} lie between {start:g} s and "
                         f"{'the end' if end is None else f'{end:g} s'} (it is {info.duration:.2f} s long)")
    cap = cv2.VideoCapture(str(info.path))
    try:
        yield from _decode(cap, info, wanted, size, times)
    finally:
        cap.release()


def _decode(cap: cv2.VideoCapture, info: VideoInfo, wanted: range, size: tuple[int, int] | None,
            times: list[float] | None = None) -> Iterator[Frame]:
    """Walk the capture from frame 0, decoding only the `wanted` indices.

    Frames are skipped with grab() rather than a seek: OpenCV seeks land on keyframes for many codecs,
    which would silently shift every index and time.
    """
    index = 0
    for target in wanted:
        while index < target:
            if not cap.grab():
                _raise_truncated(info, index)
                return
            index += 1
        ok, bgr = cap.read()
        if not ok:
            _raise_truncated(info, index)
            return
        index += 1
        time = times[target] if times is not None and target < len(times) else target / info.fps
        yield Frame(index=target, time=time, image=resize_to(to_rgb_uint8(bgr), size))


def _raise_truncated(info: VideoInfo, decoded: int) -> None:
    """Decoding ended after `decoded` frames: an error unless the container count was merely a bit high."""
    slack = max(_TRUNCATION_SLACK_FRAMES, int(info.frame_count * _TRUNCATION_SLACK_FRACTION))
    if decoded < info.frame_count - slack:
        raise InputError(f"{info.path} is truncated or corrupt: decoding stopped after {decoded} of "
                         f"{info.frame_count} frames")


# ---------------------------------------------------------------------------------------- extraction
