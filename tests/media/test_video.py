"""media.video: probing videos, streaming their frames (every/start/end/size), frame times of variable-rate videos."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from colorize.config import from_dict
from colorize.data.toon import ToonClip, ToonConfig, write_toon_video
from colorize.errors import ConfigError, InputError
from colorize.media.frames import Frame
from colorize.media.video import ExtractConfig, iter_frames, probe

TOON = ToonConfig(width=64, height=48, n_frames=24, fps=12.0, tone_hz=440.0)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """A 2 s, 24-frame, 64x48 toon clip at 12 fps with a sine-tone audio track."""
    return write_toon_video(tmp_path_factory.mktemp("clip") / "toon.mp4", TOON)


@pytest.fixture(scope="module")
def truncated(clip, tmp_path_factory) -> Path:
    """The clip cut in half: its index (written first, faststart) still promises 24 frames."""
    data = clip.read_bytes()
    path = tmp_path_factory.mktemp("bad") / "half.mp4"
    path.write_bytes(data[: len(data) // 2])
    return path


def audio_only_mp4(path: Path) -> Path:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i",
                    "sine=frequency=440", "-t", "1", "-c:a", "aac", "-y", str(path)], check=True)
    return path


def leftovers(folder: Path) -> list[str]:
    """Hidden temporary files or folders (atomic writes in progress) left in `folder`."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ---------------------------------------------------------------------------------------------- probe

def test_probe_reports_the_generated_clip(clip):
    info = probe(clip)
    assert (info.width, info.height, info.frame_count) == (64, 48, 24)
    assert info.fps == pytest.approx(12.0, abs=0.01)
    assert info.duration == pytest.approx(2.0, abs=0.1)
    assert info.has_audio is True
    assert info.path == clip


def test_probe_sees_a_silent_clip(tmp_path):
    silent = write_toon_video(tmp_path / "silent.mp4", ToonConfig(width=32, height=32, n_frames=3))
    assert probe(silent).has_audio is False


@pytest.mark.parametrize("make, words", [
    (lambda d: d / "missing.mp4", "not found"),
    (lambda d: (d / "notes.mp4").write_text("not a video") and d / "notes.mp4", "not a video"),
    (lambda d: audio_only_mp4(d / "song.mp4"), "no video"),
    (lambda d: d, "folder"),
])
def test_probe_rejects_unusable_inputs_with_one_sentence(tmp_path, make, words):
    path = make(tmp_path)
    with pytest.raises(InputError, match=words) as err:
        probe(path)
    message = str(err.value)
    assert str(path) in message and "\n" not in message


def test_probe_rejects_a_file_whose_index_was_cut_off(clip, tmp_path):
    head = tmp_path / "head.mp4"
    head.write_bytes(clip.read_bytes()[:1500])
    with pytest.raises(InputError, match="truncated or corrupt"):
        probe(head)


# -------------------------------------------------------------------------------------------- frames

def test_iter_frames_streams_every_frame_as_rgb(clip):
    frames = iter_frames(clip)
    assert not isinstance(frames, (list, tuple))  # a generator, not a materialised video
    toon = ToonClip(TOON)
    count = 0
    for frame in frames:
        assert isinstance(frame, Frame)
        assert frame.index == count and frame.time == pytest.approx(count / 12.0)
        assert frame.image.shape == (48, 64, 3) and frame.image.dtype == np.uint8
        # RGB, not OpenCV's BGR. Measured at 64x48: ~6 grey levels of H.264 4:2:0 loss on the sharp
        # outlines, ~34 with the channels swapped.
        error = np.abs(frame.image.astype(int) - toon.frame(frame.index).astype(int)).mean()
        swapped = np.abs(frame.image[..., ::-1].astype(int) - toon.frame(frame.index).astype(int)).mean()
        assert error < 10 and 3 * error < swapped
        count += 1
    assert count == 24


def test_every_start_end_select_source_indices(clip):
    frames = list(iter_frames(clip, every=5, start=0.5, end=1.5))
    assert [f.index for f in frames] == [6, 11, 16]  # 0.5 s = frame 6 at 12 fps; 1.5 s = 18 excluded
    assert [f.time for f in frames] == pytest.approx([0.5, 11 / 12, 16 / 12])


def test_end_past_the_video_stops_at_its_last_frame(clip):
    assert [f.index for f in iter_frames(clip, start=1.8, end=99.0)] == [22, 23]


def test_size_resizes_each_frame(clip):
    frame = next(iter_frames(clip, size=(32, 20)))
    assert frame.image.shape == (20, 32, 3)
    bigger = next(iter_frames(clip, size=(96, 72)))
    assert bigger.image.shape == (72, 96, 3)


def test_start_past_the_end_is_an_input_error(clip):
    with pytest.raises(InputError, match="2.00 s long"):
        next(iter_frames(clip, start=5.0))


def test_truncated_video_reports_how_far_decoding_got(truncated):
    with pytest.raises(InputError, match=r"truncated.*stopped after \d+ of 24 frames"):
        for _ in iter_frames(truncated):
            pass


# -------------------------------------------------------------------------------------------- config

@pytest.mark.parametrize("kwargs", [
    {"every": 0}, {"every": 1.5}, {"start": -1.0}, {"start": 2.0, "end": 1.0}, {"size": (0, 10)},
])
def test_extract_config_rejects_impossible_values(kwargs):
    with pytest.raises(ValueError):
        ExtractConfig(**kwargs)


def test_extract_config_from_dict_is_strict():
    assert from_dict(ExtractConfig, {"size": [32, 24], "every": 2}).size == (32, 24)
    with pytest.raises(ConfigError, match="every"):
        from_dict(ExtractConfig, {"every": 0})
    with pytest.raises(ConfigError, match="unknown config key"):
        from_dict(ExtractConfig, {"evry": 2})


# ------------------------------------------------------------- issue 13 case 10: variable frame rate

def write_vfr_clip(path: Path, tone: bool = False) -> Path:
    """12 frames of 64x48 whose gaps alternate 40 ms and 160 ms (a phone-like variable rate)."""
    audio = ["-f", "lavfi", "-i", "sine=frequency=440:duration=3"] if tone else []
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error",
                    "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", *audio, "-frames:v", "12",
                    "-vf", "settb=1/1000,setpts='(floor(N/2)*200+mod(N,2)*40)/1000/TB'",
                    "-fps_mode", "passthrough", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                    *(["-c:a", "aac", "-shortest"] if tone else []), "-y", str(path)], check=True)
    return path


VFR_TIMES = [0.0, 0.04, 0.2, 0.24, 0.4, 0.44, 0.6, 0.64, 0.8, 0.84, 1.0, 1.04]


def test_frame_times_of_a_variable_rate_video(tmp_path):
    from colorize.media.video import frame_times

    info = probe(write_vfr_clip(tmp_path / "vfr.mp4"))
    times = frame_times(info)
    assert times == pytest.approx(VFR_TIMES, abs=1e-3)
    frames = list(iter_frames(info.path, times=times))
    assert [f.time for f in frames] == pytest.approx(VFR_TIMES, abs=1e-3)


def test_frame_times_is_none_for_a_constant_rate(tmp_path):
    from colorize.media.video import frame_times

    clip = write_toon_video(tmp_path / "cfr.mp4", ToonConfig(width=32, height=32, n_frames=5, fps=12.0))
    assert frame_times(probe(clip)) is None
