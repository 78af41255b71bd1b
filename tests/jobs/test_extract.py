"""jobs.extract: a video's frames as numbered PNGs plus manifest.json, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from colorize.errors import InputError
from colorize.jobs.extract import extract_to_folder
from colorize.media.video import ExtractConfig
from tests.media.test_video import clip, leftovers, truncated  # noqa: F401  (shared module-scoped fixtures)


def test_extract_to_folder_writes_numbered_frames_and_manifest(clip, tmp_path):
    out = extract_to_folder(clip, tmp_path / "frames", ExtractConfig(every=4, start=0.5, size=(32, 24)))
    names = sorted(p.name for p in out.iterdir())
    assert names == ["frame_000006.png", "frame_000010.png", "frame_000014.png", "frame_000018.png",
                     "frame_000022.png", "manifest.json"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["indices"] == [6, 10, 14, 18, 22]
    assert manifest["times"] == pytest.approx([i / 12 for i in (6, 10, 14, 18, 22)], abs=1e-5)
    assert manifest["fps"] == pytest.approx(12.0) and manifest["output_fps"] == pytest.approx(3.0)
    assert (manifest["width"], manifest["height"]) == (32, 24)
    assert Path(manifest["source"]) == clip.resolve()
    assert cv2.imread(str(out / "frame_000006.png")).shape == (24, 32, 3)
    assert leftovers(tmp_path) == []


def test_extract_into_an_existing_empty_folder(clip, tmp_path):
    (tmp_path / "frames").mkdir()
    out = extract_to_folder(clip, tmp_path / "frames", ExtractConfig(start=1.9))
    assert sorted(p.name for p in out.iterdir()) == ["frame_000023.png", "manifest.json"]


def test_extract_refuses_a_non_empty_folder(clip, tmp_path):
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        extract_to_folder(clip, tmp_path / "frames", ExtractConfig())
    assert [p.name for p in (tmp_path / "frames").iterdir()] == ["keep.txt"]


def test_failed_extraction_leaves_no_folder(truncated, tmp_path):
    with pytest.raises(InputError, match="truncated"):
        extract_to_folder(truncated, tmp_path / "frames", ExtractConfig())
    assert list(tmp_path.iterdir()) == []  # neither the final folder nor a hidden partial one


def test_extract_to_an_unwritable_place_is_an_input_error(clip, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a regular file, so nothing can be created below it")
    with pytest.raises(InputError, match="cannot create output folder"):
        extract_to_folder(clip, blocker / "frames", ExtractConfig())
