"""`colorize keys`: frame numbers one a line, --max, --json, --lineart, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from click.testing import CliRunner

from colorize.cli import cli
from colorize.cli.keys import DEFAULT_THRESHOLD
from colorize.images import write_image
from colorize.jobs.keys import KeysConfig, small_lineart
from tests.jobs.keys.clips import pan_clip


def write_clip(folder, lineart: bool = False) -> None:
    """The walk-in clip of tests/jobs/keys/clips.py as PNGs numbered from 100 (f_100.png ... f_123.png)."""
    for frame in pan_clip(first_index=100):
        image = small_lineart(frame.image, KeysConfig()) if lineart else frame.image
        write_image(folder / f"f_{frame.index}.png", np.dstack([image] * 3) if image.ndim == 2 else image)


def test_prints_frame_numbers_one_a_line(tmp_path):
    write_clip(tmp_path / "clip")
    result = CliRunner().invoke(cli, ["-q", "keys", str(tmp_path / "clip")])
    assert result.exit_code == 0, result.output
    keys = [int(line) for line in result.output.split()]
    assert keys[0] == 100 and any(112 <= k <= 116 for k in keys), keys


def test_max_one_gives_one_frame_and_json_has_the_shots(tmp_path):
    write_clip(tmp_path / "clip", lineart=True)
    result = CliRunner().invoke(cli, ["-q", "keys", str(tmp_path / "clip"), "--max", "1", "--json", "--lineart"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["keys"]) == 1 and data["max_per_shot"] == 1
    (shot,) = data["shots"]
    assert set(shot) == {"shot", "first", "last", "keys", "coverage", "min_coverage"}
    assert (shot["first"], shot["last"], shot["keys"]) == (100, 123, data["keys"])
    assert len(shot["coverage"]) == 24 and all(0 <= c <= 1.0001 for c in shot["coverage"])


def test_help_default_matches_the_config():
    assert DEFAULT_THRESHOLD == KeysConfig().threshold


def test_not_a_video_is_one_line_and_exit_1(tmp_path):
    bogus = tmp_path / "clip.mp4"
    bogus.write_bytes(b"not a video at all")
    result = subprocess.run([sys.executable, "-m", "colorize", "-q", "keys", str(bogus)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith("error:") and result.stderr.strip().count("\n") == 0
    assert "Traceback" not in result.stderr and result.stdout == ""
