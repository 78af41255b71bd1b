"""Real-art clips (colorize.data.art, .clips, colorize.jobs.clips) on tiny RGBA art drawn here, never real packages."""

from __future__ import annotations

import json
import os

import cv2
import numpy as np
import pytest

from colorize.config import from_dict
from colorize.data.art import ImageCache, load_source, load_sources
from colorize.data.clips import Actor, ClipConfig, RealArtClip, Shot
from colorize.errors import ConfigError, InputError
from colorize.images import read_rgb
from colorize.jobs.clips import MANIFEST, SHOTS, write_clips

RED = (255, 0, 0)
BLUE = (0, 0, 255)


def _write_rgba(path, rgba):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))


def _disc(size: int, colour, radius: int | None = None) -> np.ndarray:
    """A filled disc with a dark outline on a transparent square (a stand-in for a character)."""
    rgba = np.zeros((size, size, 4), np.uint8)
    radius = radius or size // 2 - 2
    cv2.circle(rgba, (size // 2, size // 2), radius, (*colour, 255), -1)
    cv2.circle(rgba, (size // 2, size // 2), radius, (0, 0, 0, 255), 1)
    return rgba


def make_art(root, name="toy", backgrounds=((0, 0, 255),), characters=(RED,), walk=True):
    """An art folder: source.json, one disc per colour, plain backgrounds, and a 4-frame walk."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "source.json").write_text(json.dumps({"name": name, "version": "1.0", "licence": "CC0-1.0"}))
    for k, colour in enumerate(characters):
        _write_rgba(folder / "characters" / f"c{k}.png", _disc(40, colour))
    for k, colour in enumerate(backgrounds):
        rgba = np.zeros((120, 160, 4), np.uint8)
        rgba[..., :3], rgba[..., 3] = colour, 255
        rgba[::20, :, :3] = 255 - np.array(colour, np.uint8)  # stripes, so pans are visible
        _write_rgba(folder / "backgrounds" / f"b{k}.png", rgba)
    if walk:
        for k in range(4):
            _write_rgba(folder / "sequences" / "walk" / f"{k:03d}.png", _disc(40, (0, 255 - 40 * k, 0), 10 + 3 * k))
    return folder


def tiny(**changes) -> ClipConfig:
    base = dict(width=64, height=48, n_frames=12, shot_length=(6, 6), n_characters=(1, 2))
    return from_dict(ClipConfig, {**base, **changes})


def red_centroid(rgb: np.ndarray) -> np.ndarray:
    mask = (rgb[..., 0] > 200) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)
    assert mask.sum() > 20, "the red character is not visible"
    ys, xs = np.nonzero(mask)
    return np.array([xs.mean(), ys.mean()])


def test_same_seed_gives_identical_frames_and_another_seed_differs(tmp_path):
    sources = load_sources([make_art(tmp_path)])
    first = list(RealArtClip(sources, tiny(seed=5)))
    again = list(RealArtClip(sources, tiny(seed=5), cache=ImageCache(capacity=1)))
    other = list(RealArtClip(sources, tiny(seed=6)))
    assert len(first) == 12 and first[0].shape == (48, 64, 3) and first[0].dtype == np.uint8
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_written_clips_are_identical_across_runs(tmp_path):
    art = make_art(tmp_path / "art")
    write_clips([art], tmp_path / "a", tiny(seed=2), n_clips=2)
    write_clips([art], tmp_path / "b", tiny(seed=2), n_clips=2)
    for clip in ("clip_0000", "clip_0001"):
        names = sorted(os.listdir(tmp_path / "a" / clip))
        assert names == sorted(os.listdir(tmp_path / "b" / clip))
        assert len([n for n in names if n.endswith(".png")]) == 12
        for name in names:
            assert (tmp_path / "a" / clip / name).read_bytes() == (tmp_path / "b" / clip / name).read_bytes()


def test_manifest_records_every_source_and_the_files_used(tmp_path):
    arts = [make_art(tmp_path / "art", "alpha"), make_art(tmp_path / "art", "beta", characters=(BLUE,))]
    out = write_clips(arts, tmp_path / "out", tiny(seed=1, n_characters=(2, 3)), n_clips=3)
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["n_clips"] == 3 and manifest["clips"] == ["clip_0000", "clip_0001", "clip_0002"]
    assert manifest["config"]["width"] == 64 and manifest["config"]["shot_length"] == [6, 6]
    by_name = {s["name"]: s for s in manifest["sources"]}
    assert set(by_name) == {"alpha", "beta"}
    for name, art in zip(("alpha", "beta"), arts):
        record = by_name[name]
        assert record["version"] == "1.0" and record["licence"] == "CC0-1.0"
        assert record["files_used"], f"{name} contributed nothing"
        assert all((art / f).is_file() for f in record["files_used"])


def test_a_character_moves_as_configured(tmp_path):
    sources = load_sources([make_art(tmp_path, walk=False)])
    still = dict(n_characters=(1, 1), pan=0.0, zoom=0.0, rotate=0.0, scale=0.0, enter=0.0, occlusion=0.0,
                 plain_ground=0.0, shot_length=(12, 12), character_size=(0.4, 0.4))
    moving = RealArtClip(sources, tiny(seed=3, translate=0.5, **still))
    start, end = red_centroid(moving.frame(0)), red_centroid(moving.frame(11))
    assert np.allclose(start, moving.actor_center(0, 0), atol=1.5)
    assert np.allclose(end, moving.actor_center(11, 0), atol=1.5)
    assert 0.25 * 64 - 1.5 <= abs(end[0] - start[0]) <= 0.5 * 64 + 1.5  # between half and all of translate
    planned = np.subtract(moving.shots[0].actors[0].end, moving.shots[0].actors[0].start)
    assert np.allclose(end - start, planned, atol=1.5)  # no camera motion: the view shows the stage path

    parked = RealArtClip(sources, tiny(seed=3, translate=0.0, **still))
    assert np.allclose(red_centroid(parked.frame(0)), red_centroid(parked.frame(11)), atol=0.5)


def test_camera_pans_and_zooms_within_the_configured_ranges(tmp_path):
    sources = load_sources([make_art(tmp_path)])
    clip = RealArtClip(sources, tiny(seed=4, pan=0.3, zoom=0.5, shot_length=(12, 12)))
    (x0, y0, z0), (x1, y1, z1) = clip.camera(0), clip.camera(11)
    assert 1.0 <= z0 <= 1.5 and 1.0 <= z1 <= 1.5
    assert abs(x1 - x0) <= 0.3 * 64 + 1e-6 and abs(y1 - y0) <= 0.3 * 48 + 1e-6
    fixed = RealArtClip(sources, tiny(seed=4, pan=0.0, zoom=0.0, shot_length=(12, 12)))
    assert fixed.camera(0) == fixed.camera(11)


def test_cuts_fall_at_the_configured_shot_lengths(tmp_path):
    art = make_art(tmp_path / "art", backgrounds=((0, 0, 255), (0, 200, 0), (200, 200, 0)))
    out = write_clips([art], tmp_path / "out", tiny(n_frames=24, shot_length=(8, 8)), n_clips=1)
    record = json.loads((out / "clip_0000" / SHOTS).read_text())
    assert record["cuts"] == [8, 16]
    assert [(s["start"], s["end"]) for s in record["shots"]] == [(0, 8), (8, 16), (16, 24)]

    clip = RealArtClip(load_sources([art]), tiny(n_frames=60, shot_length=(5, 9), seed=7))
    lengths = [s.end - s.start for s in clip.shots]
    assert sum(lengths) == 60 and all(5 <= n <= 9 for n in lengths[:-1])
    assert clip.cuts == [s.start for s in clip.shots[1:]]


def test_walk_cycles_play_the_sequence_frames(tmp_path):
    sources = load_sources([make_art(tmp_path, characters=())])  # only the walk sequence can be cast
    clip = RealArtClip(sources, tiny(n_characters=(1, 1), walk_fps=12.0, translate=0.0, pan=0.0, zoom=0.0,
                                     rotate=0.0, scale=0.0, enter=0.0, occlusion=0.0, shot_length=(12, 12)))
    assert len(clip.shots[0].actors[0].frames) == 4
    greens = {int(clip.frame(i)[..., 1].astype(int).sum()) for i in range(4)}
    assert len(greens) == 4  # a different drawing every frame at walk_fps == fps


def test_resume_skips_finished_clips_and_refuses_other_settings(tmp_path):
    art = make_art(tmp_path / "art")
    out = write_clips([art], tmp_path / "out", tiny(), n_clips=2)
    kept = out / "clip_0000" / "frame_000000.png"
    os.utime(kept, (1_000_000, 1_000_000))
    (out / ".clip_0001.999999-0123abcd.partial").mkdir()  # what a killed run leaves behind
    write_clips([art], out, tiny(), n_clips=3)
    assert kept.stat().st_mtime == 1_000_000
    assert sorted(p.name for p in out.iterdir()) == ["clip_0000", "clip_0001", "clip_0002", MANIFEST]
    assert json.loads((out / MANIFEST).read_text())["n_clips"] == 3
    fresh = write_clips([art], tmp_path / "fresh", tiny(), n_clips=3)
    assert np.array_equal(read_rgb(fresh / "clip_0002" / "frame_000005.png"),
                          read_rgb(out / "clip_0002" / "frame_000005.png"))
    with pytest.raises(InputError, match="other settings"):
        write_clips([art], out, tiny(seed=9), n_clips=3)
    (out / "clip_0003").mkdir()
    with pytest.raises(InputError, match="clip_0003 exists"):
        write_clips([art], out, tiny(), n_clips=4)
    with pytest.raises(InputError, match="art folders"):
        write_clips([art, make_art(tmp_path / "more", "more")], out, tiny(), n_clips=3)


def test_unusable_art_folders_are_one_clear_error(tmp_path):
    bare = tmp_path / "bare"
    (bare / "characters").mkdir(parents=True)
    with pytest.raises(InputError, match="source.json"):
        load_source(bare)
    (bare / "source.json").write_text(json.dumps({"name": "bare", "version": "1"}))
    with pytest.raises(InputError, match="licence"):
        load_source(bare)
    (bare / "source.json").write_text(json.dumps({"name": "bare", "version": "1", "licence": "CC0-1.0"}))
    with pytest.raises(InputError, match="no images"):
        load_source(bare)
    with pytest.raises(InputError, match="does not exist"):
        write_clips([tmp_path / "missing"], tmp_path / "out", tiny())
    assert not (tmp_path / "out").exists()


def test_config_rejects_bad_ranges():
    with pytest.raises(ConfigError, match="shot_length"):
        tiny(shot_length=(9, 3))
    with pytest.raises(ConfigError, match="flip"):
        tiny(flip=1.5)


def test_a_scripted_plan_replaces_the_random_one(tmp_path):
    art = make_art(tmp_path, walk=False)
    sources = load_sources([art])
    parked = Actor(source=0, frames=(art / "characters" / "c0.png",), start=(30.0, 24.0), end=(30.0, 24.0),
                   height=(20.0, 20.0), angle=(0.0, 0.0), flip=False, phase=0)
    shots = [Shot(start=0, end=4, stage=(64, 48), background=None, ground=((0, 0, 255), (0, 0, 255)),
                  camera=((32.0, 24.0, 1.0), (32.0, 24.0, 1.0)), actors=(parked,)),
             Shot(start=4, end=8, stage=(64, 48), background=(0, sources[0].backgrounds[0]),
                  ground=((0, 0, 0), (0, 0, 0)), camera=((32.0, 24.0, 1.0), (32.0, 24.0, 1.0)), actors=())]
    clip = RealArtClip(sources, tiny(n_frames=8), shots=shots)
    assert clip.cuts == [4]
    assert np.allclose(red_centroid(clip.frame(0)), (30.0, 24.0), atol=1.0)
    assert not ((clip.frame(5)[..., 0] > 200) & (clip.frame(5)[..., 1] < 60)).any()  # no actor in shot 2
