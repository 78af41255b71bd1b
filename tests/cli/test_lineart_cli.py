"""`colorize lineart`: flags reach the config, outputs appear, user errors are one line and an exit code."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
from click.testing import CliRunner

from colorize.cli import cli
from colorize.cli.lineart import HELP_DEFAULTS
from colorize.data.toon import ToonConfig, write_toon_frames
from colorize.images import read_rgb
from colorize.lineart.recipes import LineArtConfig, lineart_numpy


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "colorize", "-q", *args], capture_output=True, text=True,
                          timeout=120)


def test_help_documents_every_flag_with_the_configs_defaults():
    result = CliRunner().invoke(cli, ["lineart", "--help"])
    assert result.exit_code == 0
    for flag in ("--sigma", "--low", "--high", "--thickness", "--backend", "--device", "--batch-size",
                 "--method", "--dark"):
        assert flag in result.output
    defaults = dataclasses.asdict(LineArtConfig())
    defaults["ink.dark"] = defaults.pop("ink")["dark"]
    assert HELP_DEFAULTS == defaults


def test_folder_to_folder_uses_the_flags(tmp_path):
    write_toon_frames(tmp_path / "in", ToonConfig(width=64, height=48, n_frames=2))
    result = CliRunner().invoke(cli, ["-q", "lineart", str(tmp_path / "in"), str(tmp_path / "out"),
                                      "--thickness", "3", "--low", "0.2", "--high", "0.4"])
    assert result.exit_code == 0, result.output
    written = read_rgb(tmp_path / "out" / "frame_000001.png")[:, :, 0]
    expected = lineart_numpy(read_rgb(tmp_path / "in" / "frame_000001.png"),
                             LineArtConfig(thickness=3, low=0.2, high=0.4))
    assert np.array_equal(written, expected)


def test_invalid_thresholds_are_a_usage_error_and_write_nothing(tmp_path):
    write_toon_frames(tmp_path / "in", ToonConfig(width=32, height=32, n_frames=1))
    result = run_cli("lineart", str(tmp_path / "in"), str(tmp_path / "out"), "--low", "0.5", "--high", "0.2")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "low" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_unreadable_video_is_one_line_exit_1(tmp_path):
    bogus = tmp_path / "clip.mp4"
    bogus.write_bytes(b"not a video at all")
    result = run_cli("lineart", str(bogus), str(tmp_path / "art.mp4"))
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "art.mp4").exists()


def test_method_ink_draws_the_ink_recipe(tmp_path):
    write_toon_frames(tmp_path / "in", ToonConfig(width=64, height=48, n_frames=2, outline_px=3))
    result = CliRunner().invoke(cli, ["-q", "lineart", str(tmp_path / "in"), str(tmp_path / "out"),
                                      "--method", "ink", "--dark", "0.25"])
    assert result.exit_code == 0, result.output
    written = read_rgb(tmp_path / "out" / "frame_000001.png")[:, :, 0]
    cfg = LineArtConfig(method="ink")
    cfg.ink.dark = 0.25
    expected = lineart_numpy(read_rgb(tmp_path / "in" / "frame_000001.png"), cfg)
    assert np.array_equal(written, expected)
    canny = lineart_numpy(read_rgb(tmp_path / "in" / "frame_000001.png"), LineArtConfig())
    assert not np.array_equal(written, canny)
