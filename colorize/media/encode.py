"""Frames out: stream RGB frames into an H.264 MP4 through ffmpeg, with the source's audio or a test tone.

    with VideoWriter("out.mp4", fps=23.976, audio_from="source.mp4") as writer:
        for rgb in frames:                 # H x W x 3 uint8 RGB (H x W gray is expanded)
            writer.write(rgb)
    write_video(frames, "out.mp4", fps=12)             # the same for any iterable
    assemble_folder("colour_frames/", "out.mp4", fps=12, audio_from="source.mp4")

Frames are piped to ffmpeg one at a time (rawvideo rgb24 on stdin), so memory does not grow with the
video. The file appears under its final name only when ffmpeg finished successfully.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Sequence

import ffmpeg
import imageio_ffmpeg
import numpy as np

from colorize.errors import InputError
from colorize.images import atomic_path, check_writable, refuse_input_as_output, remove_stale_partials
from colorize.media.frames import check_size
from colorize.media.video import ffmpeg_info, last_error_line

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov")
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                "veryslow", "placebo")
AUDIO_SAMPLE_RATE = 44100


def fps_fraction(fps: float) -> Fraction:
    """A frame rate as the small fraction ffmpeg expects: 23.976023976 -> 24000/1001, 12.0 -> 12/1."""
    return Fraction(fps).limit_denominator(1001)


class _Aborted(Exception):
    """Thrown into the pending atomic_path contexts so they delete the temporary file."""


class VideoWriter:
    """Context manager that encodes RGB uint8 frames to `path` (libx264, MP4 with faststart).

    The size is kept exactly: even sizes use yuv420p (plays everywhere); an odd width or height uses
    yuv444p (H.264 High 4:4:4), because 4:2:0 cannot store odd sizes and padding would change them.
    even=True instead pads an odd side with one black pixel (right / bottom) and keeps yuv420p, for
    videos that must play in browsers (the app's previews).

    size: (width, height), or None to take it from the first frame; every frame must match it.
    audio_from: a media file whose first audio track is encoded (AAC) under the video, starting
        `audio_start` seconds into it, padded with silence or cut to the video's length. A file with no
        audio track gives a silent video (so callers can always pass the source).
    tone_hz: > 0 adds a sine tone of that pitch as the audio track (test clips); ignored with audio_from.
    crf / preset: x264 quality (0 lossless .. 51 worst; 18 is visually lossless) and speed.
    frame_times: each frame's time in seconds (the first 0, increasing) for a variable-frame-rate
        video (see media.video.frame_times); None: frame i shows at i / fps. With times, `fps` is the
        average rate and only paces the pipe; the written video shows frame i at frame_times[i].

    On success the file is renamed onto `path`; on any failure the temporary file is removed, `path` is
    left untouched and ffmpeg's complaint becomes one InputError line.
    """

    def __init__(self, path: str | os.PathLike, fps: float, size: tuple[int, int] | None = None,
                 audio_from: str | os.PathLike | None = None, tone_hz: float = 0.0, crf: int = 18,
                 preset: str = "veryfast", audio_start: float = 0.0,
                 frame_times: Sequence[float] | None = None, even: bool = False) -> None:
        self.path = Path(path)
        self.even = bool(even)
        _check_settings(self.path, fps, crf, preset, tone_hz, audio_start)
        self.frame_times = _check_times(frame_times)
        self.fps = float(fps)
        self.size = check_size(tuple(size)) if size is not None else None
        self.audio_from = _check_audio_source(audio_from)
        self.audio_start = float(audio_start)
        self.tone_hz = float(tone_hz)
        self.crf, self.preset = int(crf), preset
        self.frames_written = 0
        self._proc: subprocess.Popen | None = None
        self._stderr = None
        self._source_has_audio: bool | None = None
        self._final_tmp: Path | None = None
        self._video_tmp: Path | None = None
        self._finished = False
        self._outputs = contextlib.ExitStack()  # holds the atomic temporary name while encoding
        refuse_input_as_output(self.path, [self.audio_from])
        check_writable(self.path)  # fail before any work if the folder cannot hold the result
        remove_stale_partials(self.path)  # left by earlier killed runs writing this same output

    # -- context manager ----------------------------------------------------------------------------
    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # -- writing ------------------------------------------------------------------------------------
    def write(self, frame: np.ndarray) -> None:
        """Append one H x W x 3 (or H x W gray) uint8 RGB frame; InputError if its size differs."""
        frame = _as_rgb(frame)
        shape = (frame.shape[1], frame.shape[0])
        if self.size is None:
            self.size = shape
        if shape != self.size:
            raise InputError(f"frame {self.frames_written} is {shape[0]}x{shape[1]} but the video "
                             f"{self.path} is {self.size[0]}x{self.size[1]}")
        if self._proc is None:
            self._start()
        if self.frame_times is not None and self.frames_written >= len(self.frame_times):
            raise InputError(f"{self.path}: more frames than the {len(self.frame_times)} timestamps given")
        try:
            self._proc.stdin.write(np.ascontiguousarray(frame).data)
        except BrokenPipeError:
            self._fail()
        self.frames_written += 1

    def close(self) -> Path:
        """Finish encoding and move the file onto its final name; returns that path (idempotent)."""
        if self._finished:
            return self.path
        if self._proc is None:
            self.abort()
            raise InputError(f"no frames were given for {self.path}")
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.close()
        if self._proc.wait() != 0:
            self._fail()
        self._close_stderr()
        self._proc = None
        if self._video_tmp != self._final_tmp:
            self._mux_audio()
        self._outputs.close()  # renames the temporary file onto self.path
        self._finished = True
        return self.path

    def abort(self) -> None:
        """Stop ffmpeg and delete the temporary file; the final path is never touched."""
        if self._proc is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
            self._proc.kill()
            self._proc.wait()
            self._proc = None
        self._close_stderr()
        self._outputs.__exit__(_Aborted, _Aborted(), None)  # atomic_path deletes instead of renaming

    # -- internals ----------------------------------------------------------------------------------
    def _start(self) -> None:
        """Launch ffmpeg encoding the piped frames into a temporary sibling of `path`.

        ffmpeg's stderr goes to a temporary file, not a pipe, which could fill up and deadlock while
        we are busy feeding stdin. With audio, the frames go to a second, video-only temporary file
        and the audio is muxed in by `_mux_audio` once the frame count (hence the exact duration) is
        known: `-shortest` on a live pipe overshoots by up to a few hundred ms of audio.
        """
        self._final_tmp = self._outputs.enter_context(atomic_path(self.path))
        target = self._final_tmp
        if self._audio_stream() is not None:
            target = self._final_tmp.with_suffix(".video.mp4")  # scratch, always deleted
            self._outputs.callback(_unlink_quietly, target)
        self._video_tmp = target
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen(_ffmpeg_args(self._video_graph(target)), stdin=subprocess.PIPE,
                                          stdout=subprocess.DEVNULL, stderr=self._stderr)
        except OSError as exc:
            self.abort()
            raise InputError(f"cannot start ffmpeg to write {self.path}: {exc.strerror}") from None

    def _video_graph(self, target: Path):
        """ffmpeg-python graph: rawvideo rgb24 frames on stdin -> H.264 MP4 at `target` (exact size)."""
        width, height = self.size
        rate = fps_fraction(self.fps)
        video = ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{width}x{height}",
                             framerate=f"{rate.numerator}/{rate.denominator}")
        options = {}
        if self.frame_times is not None:
            video, options = self._retimed(video)
        pix_fmt = pixel_format(self.size)
        if self.even and pix_fmt != "yuv420p":
            video, pix_fmt = video.filter("pad", width + width % 2, height + height % 2, 0, 0), "yuv420p"
        return ffmpeg.output(video, str(target), vcodec="libx264", pix_fmt=pix_fmt, crf=self.crf,
                             preset=self.preset, movflags="+faststart", **options)

    def _retimed(self, video):
        """Give frame i the timestamp frame_times[i]: the pipe has no timestamps, so a sendcmd script
        sets setpts to each frame's time as that frame (at i / fps on the pipe) passes; timestamps in
        1/90000 s ticks, and the encoder and muxer keep them (no duplicating or dropping frames)."""
        script = self._final_tmp.with_suffix(".times.txt")  # scratch beside the output, always deleted
        self._outputs.callback(_unlink_quietly, script)
        step = 1.0 / self.fps
        lines = [f"{max(0.0, (i - 0.5) * step):.6f}-{(i + 0.5) * step:.6f} [enter] setpts expr {t:.6f}/TB;"
                 for i, t in enumerate(self.frame_times)]
        script.write_text("\n".join(lines) + "\n")
        video = video.filter("settb", "1/90000").filter("sendcmd", f=str(script)).filter("setpts", "PTS")
        return video, {"fps_mode": "passthrough", "enc_time_base": "1/90000", "video_track_timescale": 90000}

    def _duration(self) -> float:
        """Seconds the written video lasts: frames / fps, or the last frame's time plus its gap."""
        times = self.frame_times
        if times is None or self.frames_written < 2 or self.frames_written > len(times):
            return self.frames_written / self.fps
        last = self.frames_written - 1
        return times[last] + (times[last] - times[last - 1])

    def _mux_audio(self) -> None:
        """Copy the finished video stream and add the AAC audio, cut to exactly the video's duration."""
        duration = self._duration()
        video = ffmpeg.input(str(self._video_tmp)).video
        out = ffmpeg.output(video, self._audio_stream(), str(self._final_tmp), vcodec="copy", acodec="aac",
                            ar=AUDIO_SAMPLE_RATE, t=f"{duration:.6f}", movflags="+faststart")
        proc = subprocess.run(_ffmpeg_args(out), capture_output=True, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            self.abort()
            raise InputError(f"ffmpeg could not add audio to {self.path}: "
                             f"{last_error_line(proc.stderr.decode('utf-8', 'replace'), count=2)}")

    def _audio_stream(self):
        """The audio input (endless: padded source or sine), or None for a silent video."""
        if self.audio_from is not None:
            if self._source_has_audio is None:
                self._source_has_audio = ffmpeg_info(self.audio_from).has_audio
            if not self._source_has_audio:
                return None
            options = {"ss": f"{self.audio_start:.6f}"} if self.audio_start else {}
            return ffmpeg.input(str(self.audio_from), **options).audio.filter("apad")
        if self.tone_hz > 0:
            tone = f"sine=frequency={self.tone_hz:g}:sample_rate={AUDIO_SAMPLE_RATE}"
            return ffmpeg.input(tone, format="lavfi").audio
        return None

    def _fail(self) -> None:
        """ffmpeg died or exited non-zero: clean up and raise its last error line as an InputError."""
        message = "ffmpeg exited unexpectedly"
        if self._proc is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
            self._proc.wait()
        if self._stderr is not None:
            self._stderr.seek(0)
            message = last_error_line(self._stderr.read().decode("utf-8", "replace"), count=2)
        self.abort()
        raise InputError(f"ffmpeg could not write {self.path}: {message}")

    def _close_stderr(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def _ffmpeg_args(graph) -> list[str]:
    """The command line for an ffmpeg-python graph, run by imageio-ffmpeg's binary, errors only."""
    graph = graph.global_args("-hide_banner", "-loglevel", "error", "-nostats")
    return ffmpeg.compile(graph, cmd=imageio_ffmpeg.get_ffmpeg_exe(), overwrite_output=True)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _check_settings(path: Path, fps: float, crf: int, preset: str, tone_hz: float,
                    audio_start: float) -> None:
    """InputError for an unusable output name; ValueError for settings no encoder accepts."""
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"cannot write {path}: the output must end in {', '.join(VIDEO_SUFFIXES)}")
    if not (isinstance(fps, (int, float)) and fps > 0 and np.isfinite(fps)):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    if isinstance(crf, bool) or not isinstance(crf, int) or not 0 <= crf <= 51:
        raise ValueError(f"crf must be a whole number from 0 to 51, got {crf!r}")
    if preset not in X264_PRESETS:
        raise ValueError(f"preset must be one of {', '.join(X264_PRESETS)}, got {preset!r}")
    if tone_hz < 0 or audio_start < 0:
        raise ValueError("tone_hz and audio_start must be >= 0")


def _check_times(times: Sequence[float] | None) -> list[float] | None:
    """frame_times as a list of finite, strictly increasing seconds from 0; ValueError otherwise."""
    if times is None:
        return None
    times = [float(t) for t in times]
    if not times or times[0] != 0.0 or not all(np.isfinite(times)) \
            or any(b <= a for a, b in zip(times, times[1:])):
        raise ValueError("frame_times must start at 0 and increase strictly")
    return times


def _check_audio_source(audio_from: str | os.PathLike | None) -> Path | None:
    """The audio source as a Path, or InputError if it is given but missing."""
    if audio_from is None:
        return None
    audio_from = Path(audio_from)
    if not audio_from.is_file():
        raise InputError(f"audio source not found: {audio_from}")
    return audio_from


def _as_rgb(frame: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8 RGB from an RGB or gray (H x W, H x W x 1) uint8 frame; ValueError otherwise."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        raise ValueError(f"video frames must be uint8, got {frame.dtype}")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim == 2:
        return np.repeat(frame[:, :, None], 3, axis=2)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"video frames must be H x W x 3 RGB or H x W gray, got shape {frame.shape}")
    return frame


def pixel_format(size: tuple[int, int]) -> str:
    """yuv420p for even (width, height); yuv444p when a side is odd.

    4:2:0 stores colour at half resolution both ways, so libx264 refuses odd sizes in it (and H.264
    crops only in steps of 2 pixels there); 4:4:4 keeps every size exactly, at the cost of players
    that only decode 4:2:0 (some browsers and phones).
    """
    return "yuv444p" if size[0] % 2 or size[1] % 2 else "yuv420p"


def pad_to_even(path: str | os.PathLike, crf: int = 18, preset: str = "veryfast") -> Path:
    """Re-encode MP4 `path` in place as yuv420p H.264 with an odd side padded by one black pixel
    (right / bottom), audio copied; the file is replaced only once the new one is complete."""
    path = Path(path)
    source = ffmpeg.input(str(path))
    width, height = _video_size(path)
    video = source.video.filter("pad", width + width % 2, height + height % 2, 0, 0)
    with atomic_path(path) as tmp:
        streams = [video] + ([source.audio] if ffmpeg_info(path).has_audio else [])
        out = ffmpeg.output(*streams, str(tmp), vcodec="libx264", pix_fmt="yuv420p", crf=crf, preset=preset,
                            acodec="copy", movflags="+faststart", map_metadata=0)
        proc = subprocess.run(_ffmpeg_args(out), capture_output=True, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise InputError(f"ffmpeg could not re-encode {path.name}: "
                             f"{last_error_line(proc.stderr.decode('utf-8', 'replace'), count=2)}")
    return path


def _video_size(path: Path) -> tuple[int, int]:
    from colorize.media.video import probe

    info = probe(path)
    return info.width, info.height


def write_video(frames: Iterable[np.ndarray], path: str | os.PathLike, fps: float, **writer_kwargs) -> Path:
    """Encode an iterable of RGB (or gray) uint8 frames to `path`; kwargs go to VideoWriter."""
    with VideoWriter(path, fps, **writer_kwargs) as writer:
        for frame in frames:
            writer.write(frame)
    return writer.path
