"""`colorize extract` and `colorize assemble`: summaries on success, one-line errors and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from colorize.cli import main
from colorize.data.toon import ToonConfig, write_toon_video
from colorize.media.video import probe
from colorize.progress import set_quiet


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    cfg = ToonConfig(width=64, height=48, n_frames=24, fps=12.0, tone_hz=440.0)
    return write_toon_video(tmp_path_factory.mktemp("clip") / "toon.mp4", cfg)


@pytest.fixture(autouse=True)
def _restore_progress_bars():
    yield
    set_quiet(False)  # `-q` is process-wide; do not silence other tests


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the real entry point in-process; returns (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main(["-q", *map(str, args)])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def assert_one_line_error(code: int, err: str, expected_code: int, words: str) -> None:
    assert code == expected_code
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert words in lines[0]


def test_extract_then_assemble(clip, tmp_path, capsys):
    code, out, _ = run_cli(capsys, "extract", clip, tmp_path / "frames", "--every", "2", "--start", "0.5",
                           "--end", "1.5", "--size", "32x24")
    assert code == 0
    assert out.startswith("extracted 6 frames to")
    assert sorted(p.name for p in (tmp_path / "frames").glob("*.png"))[0] == "frame_000006.png"
    assert cv2.imread(str(tmp_path / "frames" / "frame_000006.png")).shape == (24, 32, 3)

    code, out, _ = run_cli(capsys, "assemble", tmp_path / "frames", tmp_path / "out.mp4", "--fps", "6",
                           "--audio-from", clip, "--audio-start", "0.5", "--crf", "23", "--preset", "ultrafast")
    assert code == 0
    assert "6 frames, 32x24, 6.000 fps" in out and "with audio" in out
    info = probe(tmp_path / "out.mp4")
    assert (info.frame_count, info.width, info.height, info.has_audio) == (6, 32, 24, True)


@pytest.mark.parametrize("make, words", [
    (lambda d: d / "missing.mp4", "video not found"),
    (lambda d: (d / "notes.mp4").write_text("hello") and d / "notes.mp4", "not a video"),
])
def test_extract_of_an_unusable_video_exits_1_with_one_line(tmp_path, capsys, make, words):
    code, _, err = run_cli(capsys, "extract", make(tmp_path), tmp_path / "frames")
    assert_one_line_error(code, err, 1, words)
    assert not (tmp_path / "frames").exists()


def test_extract_of_a_truncated_video_leaves_no_folder(clip, tmp_path, capsys):
    half = tmp_path / "half.mp4"
    data = clip.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    code, _, err = run_cli(capsys, "extract", half, tmp_path / "frames")
    assert_one_line_error(code, err, 1, "truncated")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["half.mp4"]


@pytest.mark.parametrize("args, words", [
    (["--size", "32by24"], "--size"),
    (["--every", "0"], "every"),
    (["--start", "2", "--end", "1"], "end"),
])
def test_extract_usage_errors_exit_2(clip, tmp_path, capsys, args, words):
    code, _, err = run_cli(capsys, "extract", clip, tmp_path / "frames", *args)
    assert code == 2 and "Traceback" not in err and words in err
    assert not (tmp_path / "frames").exists()


def test_assemble_of_an_empty_folder_exits_1(tmp_path, capsys):
    (tmp_path / "frames").mkdir()
    code, _, err = run_cli(capsys, "assemble", tmp_path / "frames", tmp_path / "out.mp4", "--fps", "12")
    assert_one_line_error(code, err, 1, "no images")
    assert not (tmp_path / "out.mp4").exists()


def test_assemble_into_an_unwritable_place_exits_1(tmp_path, capsys):
    (tmp_path / "frames").mkdir()
    cv2.imwrite(str(tmp_path / "frames" / "f0.png"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "file").write_text("a regular file")
    code, _, err = run_cli(capsys, "assemble", tmp_path / "frames", tmp_path / "file" / "out.mp4",
                           "--fps", "12")
    assert_one_line_error(code, err, 1, "cannot create output folder")


def test_assemble_with_a_missing_audio_source_exits_1(tmp_path, capsys):
    (tmp_path / "frames").mkdir()
    cv2.imwrite(str(tmp_path / "frames" / "f0.png"), np.zeros((8, 8, 3), np.uint8))
    code, _, err = run_cli(capsys, "assemble", tmp_path / "frames", tmp_path / "out.mp4", "--fps", "12",
                           "--audio-from", tmp_path / "nope.mp4")
    assert_one_line_error(code, err, 1, "audio source not found")
    assert not (tmp_path / "out.mp4").exists()


def test_assemble_requires_a_positive_fps(tmp_path, capsys):
    code, _, err = run_cli(capsys, "assemble", tmp_path, tmp_path / "out.mp4", "--fps", "0")
    assert code == 2 and "--fps" in err


def test_help_describes_the_options(capsys):
    code, out, _ = run_cli(capsys, "extract", "--help")
    assert code == 0 and all(flag in out for flag in ("--every", "--start", "--end", "--size"))
    code, out, _ = run_cli(capsys, "assemble", "--help")
    assert code == 0 and all(flag in out for flag in ("--fps", "--audio-from", "--crf", "--preset"))


def test_console_entry_point_prints_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "colorize", "extract", str(tmp_path / "missing.mp4"),
                           str(tmp_path / "frames")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [f"error: video not found: {tmp_path / 'missing.mp4'}"]
