"""jobs.colorize.run: the folder job (resumable, sharded by rank) and its output names."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from colorize.images import read_rgb
from colorize.jobs.colorize import run as colorize_jobs
from colorize.jobs.colorize.run import ColorizeOptions, colorize_folder, output_paths, plan_folder
from tests.jobs.colorize._models import line_drawing


# --------------------------------------------------------------------------------------- folder

def write_mixed_folder(root: Path) -> list[Path]:
    """Line-art images of several sizes, formats and pixel types, in nested folders."""
    art = line_drawing(48, 64)
    files = {
        "a.png": art,
        "sub/b.jpg": cv2.cvtColor(art, cv2.COLOR_GRAY2BGR),
        "sub/c.webp": cv2.cvtColor(line_drawing(40, 56, 2), cv2.COLOR_GRAY2BGR),
        "sub/deeper/d_rgba.png": np.dstack([cv2.cvtColor(art, cv2.COLOR_GRAY2BGR), np.full_like(art, 255)]),
        "e16.png": line_drawing(36, 52, 3).astype(np.uint16) * 257,
        "f_gray_inverted.png": 255 - line_drawing(48, 64, 4),
    }
    paths = []
    for rel, img in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(path), img)
        paths.append(path)
    return paths


def digest(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_folder_job_killed_midway_resumes_without_redoing_or_losing_work(tmp_path, model_file, monkeypatch):
    inputs = write_mixed_folder(tmp_path / "in")
    before = digest(inputs)
    out = tmp_path / "out"
    options = ColorizeOptions(model=model_file, device="cpu", lineart=True, batch_size=2)

    real_write = colorize_jobs.write_image
    written: list[Path] = []

    def dying_write(path, rgb):
        if len(written) == 2:
            raise KeyboardInterrupt  # the job is killed after two outputs
        written.append(Path(path))
        return real_write(path, rgb)

    monkeypatch.setattr(colorize_jobs, "write_image", dying_write)
    with pytest.raises(KeyboardInterrupt):
        colorize_folder(tmp_path / "in", out, options)
    first_run = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(first_run) == 2 and all(not p.name.startswith(".") for p in first_run)
    stamps = {p: p.stat().st_mtime_ns for p in first_run}

    monkeypatch.setattr(colorize_jobs, "write_image", real_write)
    summary = colorize_folder(tmp_path / "in", out, options)
    assert (summary.assigned, summary.written, summary.skipped) == (6, 4, 2)
    outputs = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert outputs == sorted(["a.png", "e16.png", "f_gray_inverted.png", "sub/b.png", "sub/c.png",
                              "sub/deeper/d_rgba.png"])
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())  # finished work was not redone
    assert read_rgb(out / "sub/c.png").shape == (40, 56, 3)
    assert read_rgb(out / "e16.png").shape == (36, 52, 3)
    assert digest(inputs) == before
    again = colorize_folder(tmp_path / "in", out, options)
    assert (again.written, again.skipped) == (0, 6)


def test_ranks_share_the_folder_without_overlap(tmp_path):
    write_mixed_folder(tmp_path / "in")
    shares = [plan_folder(tmp_path / "in", tmp_path / "out", rank, 3) for rank in range(3)]
    sources = [s for share in shares for s, _ in share]
    assert len(sources) == len(set(sources)) == 6
    assert all(len(share) == 2 for share in shares)


def test_colorize_folder_takes_the_rank_from_torchrun_env(tmp_path, model_file, monkeypatch):
    write_mixed_folder(tmp_path / "in")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    options = ColorizeOptions(model=model_file, device="cpu", lineart=True)
    summary = colorize_folder(tmp_path / "in", tmp_path / "out", options)
    assert (summary.rank, summary.world_size, summary.assigned) == (1, 2, 3)
    assert len([p for p in (tmp_path / "out").rglob("*.png")]) == 3


def test_inputs_differing_only_by_suffix_get_distinct_outputs(tmp_path):
    files = [tmp_path / "in" / "a.jpg", tmp_path / "in" / "a.png", tmp_path / "in" / "b.png"]
    targets = output_paths(tmp_path / "in", tmp_path / "out", files)
    assert len(set(targets.values())) == 3
    assert targets[files[2]] == tmp_path / "out" / "b.png"
