"""jobs.assemble: a folder of frames back to an MP4 (round trips with jobs.extract, audio kept or cut)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from colorize.data.toon import ToonConfig, write_toon_video
from colorize.errors import InputError
from colorize.jobs.assemble import assemble_folder
from colorize.jobs.extract import extract_to_folder
from colorize.media.encode import write_video
from colorize.media.video import ExtractConfig, probe


# The same generated clip and helpers as the encoder's tests (one definition of each).
from tests.media.test_encode import clip, gray_frames, visible  # noqa: E402,F401  (clip is a fixture)


# ------------------------------------------------------------------------------------------ round trip

@pytest.mark.parametrize("fps", [12.0, 23.976])
def test_extract_assemble_round_trip_keeps_count_fps_size_and_audio(tmp_path, fps):
    cfg = ToonConfig(width=64, height=48, n_frames=24, fps=fps, tone_hz=440.0)
    source = write_toon_video(tmp_path / "source.mp4", cfg)
    frames = extract_to_folder(source, tmp_path / "frames", ExtractConfig())
    out = assemble_folder(frames, tmp_path / "out.mp4", fps=probe(source).fps, audio_from=source)
    info = probe(out)
    assert (info.frame_count, info.width, info.height) == (24, 64, 48)
    assert info.fps == pytest.approx(fps, abs=0.01)
    assert info.has_audio
    # The audio is cut to the video, not the other way round (so no trailing sound-only tail).
    assert info.duration == pytest.approx(24 / fps, abs=0.05)
    assert visible(tmp_path) == ["frames", "out.mp4", "source.mp4"]


def test_audio_longer_than_the_frames_is_cut_and_can_be_offset(clip, tmp_path):
    frames = extract_to_folder(clip, tmp_path / "frames", ExtractConfig(start=0.5, end=1.0))
    out = assemble_folder(frames, tmp_path / "out.mp4", fps=12.0, audio_from=clip, audio_start=0.5)
    info = probe(out)
    assert info.frame_count == 6 and info.has_audio
    assert info.duration == pytest.approx(0.5, abs=0.05)


def test_audio_shorter_than_the_frames_keeps_every_frame(clip, tmp_path):
    out = write_video(gray_frames(36), tmp_path / "long.mp4", fps=12.0, audio_from=clip)  # 3 s > 2 s
    info = probe(out)
    assert info.frame_count == 36 and info.has_audio
    assert info.duration == pytest.approx(3.0, abs=0.05)


def test_assemble_folder_rejects_empty_and_mixed_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no images"):
        assemble_folder(tmp_path / "empty", tmp_path / "a.mp4", fps=10.0)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    cv2.imwrite(str(mixed / "f0.png"), np.zeros((24, 32, 3), np.uint8))
    cv2.imwrite(str(mixed / "f1.png"), np.zeros((20, 32, 3), np.uint8))
    with pytest.raises(InputError, match="f1.png is 32x20"):
        assemble_folder(mixed, tmp_path / "b.mp4", fps=10.0)
    assert visible(tmp_path) == ["empty", "mixed"]
