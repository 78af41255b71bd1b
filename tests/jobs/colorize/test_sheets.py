"""Model sheets (--sheet): shots no keyframe covers follow the sheets instead of their own first output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from colorize.data.toon import ToonConfig, write_toon_video
from colorize.engine.model import Colorizer
from colorize.errors import InputError
from colorize.images import read_rgb, write_image
from colorize.jobs.colorize.options import ColorizeOptions
from colorize.jobs.colorize.references import sheet_files, sheet_mosaic
from colorize.jobs.colorize.run import colorize_folder
from colorize.media.video import iter_frames
from tests.cli.test_video_cli import reference_model  # noqa: F401  (a fixture)
from tests.jobs.colorize.test_sequences import video_job_frames

CLIP = ToonConfig(width=100, height=60, n_frames=12, fps=10.0, cut_every=6)
GREEN, RED = (40, 200, 60), (220, 30, 30)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sheets")


@pytest.fixture(scope="module")
def clip(workdir) -> Path:
    return write_toon_video(workdir / "clip.mp4", CLIP)


@pytest.fixture(scope="module")
def sheet(workdir) -> Path:
    """A character sheet: a green figure with ink outlines on white paper (not a frame of the clip)."""
    image = np.full((80, 50, 3), 255, np.uint8)
    image[10:70, 10:40] = GREEN
    image[10:70, 10] = image[10:70, 39] = image[10, 10:40] = image[69, 10:40] = 0
    return write_image(workdir / "sheets" / "hero.png", image) or workdir / "sheets" / "hero.png"


@pytest.fixture(scope="module")
def first_key(workdir) -> Path:
    folder = workdir / "keys"
    write_image(folder / "key_0000.png", np.full((60, 100, 3), RED, np.uint8))
    return folder


def stub_colorizer(model: Path) -> Colorizer:
    """The tiny reference-guided model with its generator replaced by a stub that shows what it was
    given: every pixel the mean colour of the reference's drawn (non-white) pixels, gray without one.
    (A tiny untrained model transfers no colour; the stub shows which reference each shot follows.)"""
    colorizer = Colorizer.from_file(model, device="cpu")

    def colour_arrays(lines, reference=None):
        colour = np.full((*lines.shape, 3), 128, np.uint8)
        if reference is not None:
            drawn = reference.colour.min(axis=-1) < 250
            colour[:] = np.rint(reference.colour[drawn].mean(0)).astype(np.uint8)
        return colour

    colorizer.colour_arrays = colour_arrays
    return colorizer


def _mean(frames: list[np.ndarray]) -> np.ndarray:
    return np.stack(frames).reshape(-1, 3).mean(0)


def test_a_model_sheet_colours_the_shot_no_key_shows(workdir, clip, sheet, first_key, reference_model,
                                                     monkeypatch):
    """Keyframe for the first shot only: the second shot (another character) follows the sheet
    with --sheet, its own first output without; the keyed shot follows its key either way."""
    colorizer = stub_colorizer(reference_model)
    runs = {}
    for name, sheets in (("plain", ()), ("sheet", (sheet,))):
        opts = ColorizeOptions(model=reference_model, device="cpu", references=first_key, sheet=sheets)
        runs[name] = video_job_frames_with(clip, opts, colorizer, monkeypatch)
    for name in runs:
        assert np.abs(_mean(runs[name][:6]) - RED).max() < 3, name  # the keyed shot: its key
    assert np.abs(_mean(runs["sheet"][6:]) - GREEN).max() < 20      # the unkeyed shot: the sheet (its ink too)
    assert np.abs(_mean(runs["plain"][6:]) - 128).max() < 3         # without one: its own first output


def test_the_folder_job_follows_sheets_as_the_video_job_does(workdir, clip, sheet, reference_model, monkeypatch):
    frames = workdir / "frames"
    for frame in iter_frames(clip):
        write_image(frames / f"frame_{frame.index:03d}.png", frame.image)
    colorizer = stub_colorizer(reference_model)
    opts = ColorizeOptions(model=reference_model, device="cpu", sheet=(sheet.parent,))  # a folder of sheets
    colorize_folder(frames, workdir / "out", opts, colorizer)
    folder = [read_rgb(workdir / "out" / f"frame_{i:03d}.png") for i in range(CLIP.n_frames)]
    video = video_job_frames_with(clip, opts, colorizer, monkeypatch)
    assert all(np.array_equal(a, b) for a, b in zip(folder, video))
    assert np.abs(_mean(folder) - GREEN).max() < 20


def video_job_frames_with(clip: Path, opts: ColorizeOptions, colorizer: Colorizer, monkeypatch) -> list[np.ndarray]:
    """What colorize_video (with `colorizer`) hands its encoder, frame by frame."""
    return video_job_frames(clip, opts, monkeypatch, colorizer)


def test_sheets_make_one_mosaic_at_the_frames_shape():
    tall, wide = np.zeros((80, 40, 3), np.uint8), np.full((30, 90, 3), 100, np.uint8)
    mosaic = sheet_mosaic([tall, wide], 60, 100)
    assert mosaic.shape == (60, 100, 3)
    assert (mosaic == 0).all(-1).sum() > 500 and (mosaic == 100).all(-1).sum() > 500  # both shown
    assert (mosaic == 255).all(-1).any()  # white paper around them


def test_sheet_paths_are_checked(tmp_path):
    with pytest.raises(InputError, match="not found"):
        sheet_files([tmp_path / "missing.png"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no images"):
        sheet_files([tmp_path / "empty"])
    write_image(tmp_path / "s" / "b.png", np.zeros((4, 4, 3), np.uint8))
    write_image(tmp_path / "s" / "a.png", np.zeros((4, 4, 3), np.uint8))
    assert [p.name for p in sheet_files([tmp_path / "s", tmp_path / "s" / "b.png"])] == ["a.png", "b.png", "b.png"]


@pytest.mark.parametrize("command", ["video", "frames"])
def test_cli_takes_sheets_and_a_missing_one_is_a_one_line_error(workdir, clip, sheet, reference_model, command):
    from tests.cli.test_video_cli import run_main

    target = ["-o", str(workdir / f"cli_{command}.mp4")] if command == "video" else [str(workdir / "cli_out")]
    source = str(clip) if command == "video" else str(workdir / "cli_in")
    if command == "frames":
        write_image(workdir / "cli_in" / "frame_0.png", np.full((60, 100, 3), 255, np.uint8))
    code, _, err = run_main(["-q", command, source, *target, "--model", str(reference_model), "--device", "cpu",
                             "--sheet", str(sheet), "--sheet", str(workdir / "nope.png")])
    assert code == 1 and "nope.png" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run_main(["-q", command, source, *target, "--model", str(reference_model), "--device", "cpu",
                             "--sheet", str(sheet)])
    assert code == 0, err
