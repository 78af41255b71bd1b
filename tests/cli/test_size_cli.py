"""--size (working resolution) of `colorize video` / `colorize frames`, and the API's size argument."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import colorize
from colorize.api import working_size
from colorize.cli.video import DEFAULT_SIZE_HELP
from colorize.data.toon import ToonConfig, write_toon_video
from colorize.errors import InputError
from colorize.engine.model import Colorizer
from colorize.engine.sizes import DEFAULT_WORKING_SIZE
from colorize.media.video import probe
from tests.cli.test_video_cli import run_main
from tests.jobs.colorize._models import line_drawing, save_tiny_model


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return save_tiny_model(tmp_path_factory.mktemp("size") / "generator.safetensors")


def test_help_shows_the_real_default():
    assert DEFAULT_SIZE_HELP == DEFAULT_WORKING_SIZE
    assert working_size(None) == DEFAULT_WORKING_SIZE and working_size("full") == 0 and working_size("96") == 96
    for bad in ("big", -1, True):
        with pytest.raises(InputError):
            working_size(bad)


def test_frames_at_a_working_size_keep_every_image_size(tmp_path, model):
    src = tmp_path / "in"
    src.mkdir()
    cv2.imwrite(str(src / "a.png"), line_drawing(97, 131))
    cv2.imwrite(str(src / "b.png"), line_drawing(40, 30, seed=1))  # smaller than --size: as at full size
    for size in ("48", "full"):
        out = tmp_path / f"out_{size}"
        code, _, err = run_main(["-q", "frames", str(src), str(out), "--model", str(model), "--lineart",
                                 "--device", "cpu", "--size", size])
        assert code == 0, err
        assert cv2.imread(str(out / "a.png")).shape == (97, 131, 3)
        assert cv2.imread(str(out / "b.png")).shape == (40, 30, 3)
    small = cv2.imread(str(tmp_path / "out_48" / "b.png"))
    assert np.array_equal(small, cv2.imread(str(tmp_path / "out_full" / "b.png")))


def test_video_at_a_working_size(tmp_path, model):
    clip = write_toon_video(tmp_path / "clip.mp4", ToonConfig(width=130, height=74, n_frames=3, fps=12.0))
    out = tmp_path / "colour.mp4"
    code, _, err = run_main(["-q", "video", str(clip), "-o", str(out), "--model", str(model), "--device", "cpu",
                             "--size", "64"])
    assert code == 0, err
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (130, 74, 3)


def test_a_bad_size_is_refused_before_any_work(tmp_path, model):
    code, _, err = run_main(["frames", str(tmp_path), str(tmp_path / "out"), "--model", str(model), "--size", "x"])
    assert code == 2 and "'full'" in err and not (tmp_path / "out").exists()


def test_api_size_and_a_loaded_model_is_not_changed(model):
    colorizer = Colorizer.from_file(model, device="cpu")
    drawing = line_drawing(60, 90)
    full = colorize.colorize_image(drawing, colorizer, lineart=True, size="full")
    assert full.shape == (60, 90, 3)
    assert np.array_equal(colorize.colorize_image(drawing, colorizer, lineart=True, size=90), full)
    assert colorize.colorize_image(drawing, colorizer, lineart=True, size=32).shape == (60, 90, 3)
    assert colorizer.size == 0
