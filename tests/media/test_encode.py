"""media.encode: streaming frames into MP4 with audio, atomic output, and round trips with extract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from colorize.data.toon import ToonConfig, write_toon_video
from colorize.errors import InputError
from colorize.media import encode as assemble
from colorize.media.encode import VideoWriter, fps_fraction, pixel_format, write_video
from colorize.media.video import iter_frames, probe


def gray_frames(n: int, width: int = 32, height: int = 24, value: int = 128):
    return (np.full((height, width, 3), value, np.uint8) for _ in range(n))


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """A 2 s, 24-frame toon clip at 12 fps with a 440 Hz tone."""
    cfg = ToonConfig(width=64, height=48, n_frames=24, fps=12.0, tone_hz=440.0)
    return write_toon_video(tmp_path_factory.mktemp("clip") / "toon.mp4", cfg)


# ------------------------------------------------------------------------------------------- audio

def test_audio_source_without_audio_gives_a_silent_video(tmp_path):
    silent = write_video(gray_frames(4), tmp_path / "silent.mp4", fps=8.0)
    out = write_video(gray_frames(4), tmp_path / "out.mp4", fps=8.0, audio_from=silent)
    assert probe(out).has_audio is False


def test_tone_adds_an_audio_track(tmp_path):
    assert probe(write_video(gray_frames(4), tmp_path / "t.mp4", 8.0, tone_hz=300.0)).has_audio
    assert not probe(write_video(gray_frames(4), tmp_path / "s.mp4", 8.0)).has_audio


def test_fps_fraction_recovers_ntsc_rates():
    assert fps_fraction(24000 / 1001) == pytest.approx(24000 / 1001, rel=1e-9)
    assert fps_fraction(24000 / 1001).denominator == 1001
    assert fps_fraction(12.0).denominator == 1


# -------------------------------------------------------------------------------------------- frames

def test_gray_frames_are_expanded_and_pixels_survive(tmp_path):
    frames = (np.full((24, 32), 90, np.uint8) for _ in range(3))
    out = write_video(frames, tmp_path / "gray.mp4", fps=10.0, crf=0)
    decoded = [f.image for f in iter_frames(out)]
    assert len(decoded) == 3 and decoded[0].shape == (24, 32, 3)
    assert np.abs(decoded[0].astype(int) - 90).max() <= 2


def test_odd_sizes_are_kept_exactly_with_yuv444p(tmp_path):
    # issue 13 case 9: 4:2:0 cannot hold odd sizes; 4:4:4 keeps 45x33 instead of padding to 46x34.
    frames = [np.random.default_rng(i).integers(0, 256, (33, 45, 3), dtype=np.uint8) for i in range(3)]
    out = write_video(frames, tmp_path / "odd.mp4", fps=10.0, crf=0)
    info = probe(out)
    assert (info.width, info.height) == (45, 33)
    decoded = [f.image for f in iter_frames(out)]
    assert decoded[0].shape == (33, 45, 3)
    assert np.abs(decoded[0].astype(int) - frames[0]).mean() < 2  # crf 0: near lossless, not shifted
    assert pixel_format((45, 33)) == "yuv444p" and pixel_format((46, 34)) == "yuv420p"


def test_even_pads_an_odd_size_by_one_pixel_into_yuv420p_and_pad_to_even_does_it_afterwards(tmp_path):
    frames = [np.full((33, 45, 3), 200, np.uint8)] * 3
    padded = write_video(frames, tmp_path / "even.mp4", fps=6, even=True)
    info = probe(padded)
    assert (info.width, info.height, info.frame_count) == (46, 34, 3)
    first = next(iter(iter_frames(padded))).image
    # the picture at the top left (a little ringing beside the pad), the pad black
    assert np.abs(first[:33, :45].astype(int) - 200).mean() < 1 and first[33:, :].max() <= 20
    exact = write_video(frames, tmp_path / "exact.mp4", fps=6, tone_hz=440)
    assert assemble.pad_to_even(exact) == exact
    info = probe(exact)
    assert (info.width, info.height, info.frame_count) == (46, 34, 3) and info.has_audio


def test_crf_trades_size_for_quality(clip, tmp_path):
    frames = [f.image for f in iter_frames(clip)]
    small = write_video(frames, tmp_path / "small.mp4", 12.0, crf=40)
    large = write_video(frames, tmp_path / "large.mp4", 12.0, crf=5)
    assert small.stat().st_size < large.stat().st_size


# -------------------------------------------------------------------------------------------- errors

def test_a_frame_of_another_size_fails_and_leaves_nothing(tmp_path):
    def frames():
        yield from gray_frames(3)
        yield np.zeros((10, 10, 3), np.uint8)

    with pytest.raises(InputError, match=r"frame 3 is 10x10 but the video .* is 32x24"):
        write_video(frames(), tmp_path / "out.mp4", fps=10.0, tone_hz=440.0)
    assert visible(tmp_path) == []  # no final file and no hidden temporaries


def test_a_failure_leaves_an_existing_file_untouched(tmp_path):
    target = tmp_path / "out.mp4"
    target.write_bytes(b"previous result")
    with pytest.raises(RuntimeError):
        with VideoWriter(target, fps=10.0) as writer:
            for frame in gray_frames(3):
                writer.write(frame)
            raise RuntimeError("the colorizer crashed")
    assert target.read_bytes() == b"previous result"
    assert visible(tmp_path) == ["out.mp4"]


def test_ffmpeg_errors_become_one_input_error_line(tmp_path, monkeypatch):
    real = assemble._ffmpeg_args
    monkeypatch.setattr(assemble, "_ffmpeg_args", lambda graph: real(graph) + ["-no_such_option", "1"])
    with pytest.raises(InputError, match="ffmpeg could not write") as err:
        write_video(gray_frames(50), tmp_path / "out.mp4", fps=10.0)
    assert "\n" not in str(err.value) and "no_such_option" in str(err.value)
    assert visible(tmp_path) == []


def test_no_frames_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no frames"):
        write_video(iter(()), tmp_path / "out.mp4", fps=10.0)
    assert visible(tmp_path) == []


def test_unwritable_output_path_is_an_input_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a regular file, so no folder can be created below it")
    with pytest.raises(InputError, match="cannot create output folder"):
        write_video(gray_frames(2), blocker / "out.mp4", fps=10.0)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"path": "out.avi"}, InputError, "must end in"),
    ({"audio_from": "missing.mp4"}, InputError, "audio source not found"),
    ({"fps": 0.0}, ValueError, "fps"),
    ({"crf": 60}, ValueError, "crf"),
    ({"preset": "warp"}, ValueError, "preset"),
])
def test_bad_settings_fail_before_encoding(tmp_path, kwargs, error, words):
    args = {"path": "out.mp4", "fps": 10.0} | kwargs
    if "audio_from" in args:
        args["audio_from"] = tmp_path / args["audio_from"]
    with pytest.raises(error, match=words):
        VideoWriter(tmp_path / args.pop("path"), **args)
    assert visible(tmp_path) == []


def test_explicit_size_is_enforced_and_close_is_idempotent(tmp_path):
    writer = VideoWriter(tmp_path / "out.mp4", fps=10.0, size=(32, 24))
    with pytest.raises(InputError, match="frame 0 is 16x16"):
        writer.write(np.zeros((16, 16, 3), np.uint8))
    writer.write(np.zeros((24, 32, 3), np.uint8))
    assert writer.close() == writer.close() == tmp_path / "out.mp4"
    assert probe(tmp_path / "out.mp4").frame_count == 1


def test_non_uint8_frames_are_a_programming_error(tmp_path):
    with pytest.raises(ValueError, match="uint8"):
        write_video([np.zeros((8, 8, 3), np.float32)], tmp_path / "out.mp4", fps=10.0)
    assert visible(tmp_path) == []
