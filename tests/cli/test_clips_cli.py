"""`colorize clips` and the pipeline stage "clips": flags reach ClipConfig, clips appear, errors are one line."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from colorize.cli import cli
from colorize.pipeline import parse_pipeline, run_pipeline
from tests.data.test_clips import make_art


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "colorize", "-q", *args], capture_output=True, text=True,
                          timeout=120)


def test_help_names_every_option():
    result = CliRunner().invoke(cli, ["clips", "--help"])
    assert result.exit_code == 0
    for flag in ("ART_DIRS", "--output", "--n-clips", "--seed", "--set", "source.json"):
        assert flag in result.output


def test_clips_are_written_with_the_flags_and_settings(tmp_path):
    art = make_art(tmp_path / "art")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["-q", "clips", str(art), "-o", str(out), "--n-clips", "2", "--seed", "4",
                                      "--set", "width=48", "--set", "height=32", "--set", "n_frames=10",
                                      "--set", "shot_length=[5,5]"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["seed"] == 4 and manifest["config"]["width"] == 48 and manifest["n_clips"] == 2
    shots = json.loads((out / "clip_0001" / "shots.json").read_text())
    assert shots["cuts"] == [5] and shots["width"] == 48
    assert len(list((out / "clip_0001").glob("frame_*.png"))) == 10


def test_user_errors_are_one_line_and_write_nothing(tmp_path):
    art = make_art(tmp_path / "art")
    unknown = run_cli("clips", str(art), "-o", str(tmp_path / "a"), "--set", "wobble=1")
    missing = run_cli("clips", str(tmp_path / "nowhere"), "-o", str(tmp_path / "b"))
    for result, code in ((unknown, 2), (missing, 1)):
        assert result.returncode == code
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "wobble" in unknown.stderr and "nowhere" in missing.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_pipeline_stage_runs_the_same_library(tmp_path):
    art = make_art(tmp_path / "art")
    pipeline = parse_pipeline({"steps": [{"stage": "clips", "inputs": [str(art)], "output": str(tmp_path / "p"),
                                          "n_clips": 1, "clips": {"width": 40, "height": 32, "n_frames": 6}}]})
    results = list(run_pipeline(pipeline))
    assert results[0].output == tmp_path / "p"
    assert len(list((tmp_path / "p" / "clip_0000").glob("frame_*.png"))) == 6
