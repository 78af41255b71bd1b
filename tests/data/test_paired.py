"""Paired (line-art, colour) data: cache, time split, shared augmentation geometry, workers, errors."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from colorize.config import from_dict
from colorize.data import paired
from colorize.data.paired import PairedDataConfig, prepare_pairs, val_count, val_positions
from colorize.data.paired_dataset import PairedDataset
from colorize.data.toon import ToonClip, ToonConfig, write_toon_frames, write_toon_video
from colorize.data.transforms import train_transform, val_transform
from colorize.errors import ConfigError, InputError
from colorize.lineart.recipes import LineArtConfig

TOON = ToonConfig(width=128, height=96, n_frames=10, fps=12.0, seed=0)


@pytest.fixture(scope="module")
def toon_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("toon") / "frames"
    write_toon_frames(folder, TOON)
    return folder


@pytest.fixture(scope="module")
def toon_video(tmp_path_factory) -> Path:
    return write_toon_video(tmp_path_factory.mktemp("video") / "clip.mp4", ToonConfig(n_frames=12, seed=1))


def make_cfg(tmp_path: Path, **kw) -> PairedDataConfig:
    kw.setdefault("crop", 64)
    kw.setdefault("val_fraction", 0.2)
    return PairedDataConfig(cache_dir=str(tmp_path / "cache"), **kw)


@pytest.fixture
def count_lineart(monkeypatch) -> list[int]:
    """Count the frames that reach the line-art stage (one entry per frame)."""
    calls: list[int] = []
    real = paired.iter_lineart

    def counting(frames, cfg, device):
        def counted():
            for frame in frames:
                calls.append(frame.index)
                yield frame
        return real(counted(), cfg, device)

    monkeypatch.setattr(paired, "iter_lineart", counting)
    return calls


def cache_files(index) -> dict[Path, int]:
    """Every file of every clip's cache folder with its mtime (ns)."""
    return {p: p.stat().st_mtime_ns for clip in index.clips for p in clip.folder.rglob("*") if p.is_file()}


# ------------------------------------------------------------------------------------ items

def test_items_have_the_documented_shapes_dtypes_and_ranges(tmp_path, toon_folder):
    cfg = make_cfg(tmp_path, crop=128)  # larger than the 96-px frame height: padding is needed
    index = prepare_pairs([toon_folder], cfg, device="cpu")
    for split in ("train", "val"):
        item = PairedDataset(index, split, cfg)[0]
        assert item["lineart"].shape == (1, 128, 128) and item["lineart"].dtype == torch.float32
        assert item["color"].shape == (3, 128, 128) and item["color"].dtype == torch.float32
        for key in ("lineart", "color"):
            assert 0.0 <= item[key].min() and item[key].max() <= 1.0
        assert item["lineart"].min() < 0.5 < item["lineart"].max()  # some ink, mostly paper
        assert isinstance(item["clip"], int) and isinstance(item["frame"], int)


def test_val_items_are_deterministic_centre_crops(tmp_path, toon_folder):
    cfg = make_cfg(tmp_path, crop=64)
    index = prepare_pairs([toon_folder], cfg, device="cpu")
    val = PairedDataset(index, "val", cfg)
    a, b = val[0], val[0]
    assert torch.equal(a["color"], b["color"]) and torch.equal(a["lineart"], b["lineart"])
    clip, ref = index.samples("val")[0]
    color = cv2.cvtColor(cv2.imread(str(index.clips[clip].paths(ref)[0])), cv2.COLOR_BGR2RGB)
    centre = color[16:80, 32:96]  # 96 x 128 frame, 64 x 64 crop
    assert torch.equal(a["color"], torch.from_numpy(centre).permute(2, 0, 1).float() / 255)


def test_train_items_vary_between_calls(tmp_path, toon_folder):
    cfg = make_cfg(tmp_path, crop=48)
    train = PairedDataset(prepare_pairs([toon_folder], cfg, device="cpu"), "train", cfg)
    crops = [train[0]["color"] for _ in range(6)]
    assert any(not torch.equal(crops[0], c) for c in crops[1:])


# --------------------------------------------------------------------- shared geometry

def test_transform_moves_both_images_identically():
    """Line-art made as the gray of the colour image must still be its gray after augmentation."""
    rng = np.random.default_rng(0)
    color = cv2.resize(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8), (80, 60), interpolation=cv2.INTER_LINEAR)
    gray = cv2.cvtColor(color, cv2.COLOR_RGB2GRAY)
    transform = train_transform(64, scale=(0.7, 1.3), flip=True)
    for seed in range(8):
        transform.reseed(seed)
        out_color, out_line = transform(color, gray)
        assert out_color.shape == (64, 64, 3) and out_line.shape == (64, 64) and out_line.dtype == np.uint8
        diff = np.abs(cv2.cvtColor(out_color, cv2.COLOR_RGB2GRAY).astype(int) - out_line.astype(int))
        assert diff.max() <= 2  # rounding of two interpolations, nothing geometric


def test_colour_only_augmentation_never_touches_the_lineart():
    import albumentations as A

    jitter = A.Compose([A.ColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.3, p=1.0)])
    transform = train_transform(32, scale=(1.0, 1.0), flip=False, color_only=jitter)
    rng = np.random.default_rng(1)
    color = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    line = rng.integers(0, 256, (32, 32), dtype=np.uint8)
    out_color, out_line = transform(color, line)
    assert np.array_equal(out_line, line)  # geometry is the identity here, and no jitter reached it
    assert not np.array_equal(out_color, color)


def test_padding_is_white_in_both_images():
    color = np.zeros((20, 20, 3), np.uint8)
    line = np.zeros((20, 20), np.uint8)
    out_color, out_line = val_transform(40)(color, line)
    assert (out_color[0] == 255).all() and (out_line[0] == 255).all()
    assert (out_color[20, 20] == 0).all() and out_line[20, 20] == 0


def ink_on_dark_fraction(lineart: torch.Tensor, color: torch.Tensor) -> float:
    """Share of ink pixels whose 3x3 neighbourhood in the colour image holds a dark (outline) pixel."""
    ink = lineart[0].numpy() < 0.5
    luma = (color.permute(1, 2, 0).numpy() * np.array([0.299, 0.587, 0.114])).sum(axis=2)
    darkest = cv2.erode(luma.astype(np.float32), np.ones((3, 3), np.uint8))
    return float((darkest[ink] < 0.3).mean())


def test_augmented_ink_lies_on_the_colour_images_dark_outlines(tmp_path, toon_folder):
    cfg = make_cfg(tmp_path, crop=64, scale=(0.8, 1.2))
    train = PairedDataset(prepare_pairs([toon_folder], cfg, device="cpu"), "train", cfg)
    aligned, shifted = [], []
    for i in range(len(train)):
        item = train[i]
        if (item["lineart"] < 0.5).sum() < 20:
            continue  # a crop of plain background says nothing
        aligned.append(ink_on_dark_fraction(item["lineart"], item["color"]))
        shifted.append(ink_on_dark_fraction(item["lineart"], torch.roll(item["color"], 7, dims=2)))
    assert len(aligned) >= 4
    assert np.mean(aligned) > 0.85  # measured 0.95 (Canny's line sits on or beside the 2-px outline)
    assert np.mean(shifted) < np.mean(aligned) - 0.2  # the check itself can tell misaligned pairs


# ---------------------------------------------------------------------------- time split

def test_val_holds_runs_of_frames_spread_over_each_clip(tmp_path, toon_folder, toon_video):
    cfg = make_cfg(tmp_path, every=2, val_fraction=0.25)
    index = prepare_pairs([toon_video, toon_folder], cfg, device="cpu")
    assert [len(c.frames) for c in index.clips] == [6, 5]  # 12 and 10 frames, every 2nd
    for clip in index.clips:
        train, val = clip.split("train"), clip.split("val")
        assert len(val) == 2  # ceil(6 * 0.25) and ceil(5 * 0.25)
        assert {r.index for r in train}.isdisjoint({r.index for r in val})
        assert sorted(r.index for r in train + val) == [0, 2, 4, 6, 8, 10][:len(clip.frames)]
        assert min(r.time for r in train) < min(r.time for r in val)  # not the clip's end only
        assert max(r.time for r in train) > max(r.time for r in val)
    val_items = PairedDataset(index, "val", cfg)
    assert [(val_items[i]["clip"], val_items[i]["frame"]) for i in range(len(val_items))] == [
        (0, 4), (0, 6), (1, 2), (1, 4)]


@pytest.mark.parametrize("n, fraction, expected", [(1, 0.1, 0), (2, 0.1, 1), (10, 0.1, 2), (10, 0.25, 3),
                                                   (3, 0.9, 2), (10, 0.0, 0), (48, 0.1, 8), (200, 0.1, 20)])
def test_val_count(n, fraction, expected):
    assert val_count(n, fraction) == expected


def test_val_positions_are_short_runs_over_the_whole_clip():
    positions = val_positions(48, val_count(48, 0.1))
    assert len(positions) == 8 and len(set(positions)) == 8
    assert positions[0] < 16 and positions[-1] >= 32  # the beginning, middle and end are all judged
    runs = sum(1 for i, p in enumerate(positions) if i == 0 or positions[i - 1] != p - 1)
    assert runs == 3


# --------------------------------------------------------------------------------- cache

def test_second_call_reuses_the_cache(tmp_path, toon_folder, count_lineart):
    cfg = make_cfg(tmp_path)
    first = prepare_pairs([toon_folder], cfg, device="cpu")
    assert len(count_lineart) == TOON.n_frames
    before = cache_files(first)
    second = prepare_pairs([toon_folder], cfg, device="cpu")
    assert len(count_lineart) == TOON.n_frames  # no frame drawn again
    assert cache_files(second) == before  # and no file rewritten
    assert second == first


def test_changed_line_art_settings_make_a_new_cache(tmp_path, toon_folder, count_lineart):
    cfg = make_cfg(tmp_path)
    first = prepare_pairs([toon_folder], cfg, device="cpu")
    other = prepare_pairs([toon_folder], make_cfg(tmp_path, lineart=LineArtConfig(sigma=2.0)), device="cpu")
    assert other.clips[0].folder != first.clips[0].folder
    assert len(count_lineart) == 2 * TOON.n_frames
    # Augmentation settings are applied when reading, so they share the cached pairs.
    same = prepare_pairs([toon_folder], make_cfg(tmp_path, crop=32, flip=False), device="cpu")
    assert same.clips[0].folder == first.clips[0].folder
    assert len(count_lineart) == 2 * TOON.n_frames


def test_an_edited_source_makes_a_new_cache(tmp_path, count_lineart):
    cfg = make_cfg(tmp_path)
    write_toon_frames(tmp_path / "frames", TOON)
    first = prepare_pairs([tmp_path / "frames"], cfg, device="cpu")
    frame = tmp_path / "frames" / "frame_000003.png"
    stat = frame.stat()
    os.utime(frame, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # as if redrawn
    edited = prepare_pairs([tmp_path / "frames"], cfg, device="cpu")
    assert edited.clips[0].folder != first.clips[0].folder
    assert len(count_lineart) == 2 * TOON.n_frames


def test_interrupted_cache_is_resumed_not_trusted(tmp_path, toon_folder, monkeypatch):
    cfg = make_cfg(tmp_path)
    real = paired.iter_lineart

    def dies_after_four(frames, lcfg, device):
        for n, line in enumerate(real(frames, lcfg, device)):
            if n == 4:
                raise KeyboardInterrupt
            yield line

    monkeypatch.setattr(paired, "iter_lineart", dies_after_four)
    with pytest.raises(KeyboardInterrupt):
        prepare_pairs([toon_folder], cfg, device="cpu")
    folder = paired.clip_cache_folder(toon_folder, cfg, torch.device("cpu"))
    assert not (folder / paired.MARKER_NAME).exists()
    assert len(list((folder / "line").glob("*.png"))) == 4

    drawn: list[int] = []

    def counting(frames, lcfg, device):
        def counted():
            for frame in frames:
                drawn.append(frame.index)
                yield frame
        return real(counted(), lcfg, device)

    monkeypatch.setattr(paired, "iter_lineart", counting)
    index = prepare_pairs([toon_folder], cfg, device="cpu")
    assert drawn == list(range(4, TOON.n_frames))  # only the unfinished frames
    assert (folder / paired.MARKER_NAME).exists() and len(index.clips[0].frames) == TOON.n_frames

    (folder / "line" / "000002.png").unlink()  # a cache that lost a file is not trusted either
    drawn.clear()
    prepare_pairs([toon_folder], cfg, device="cpu")
    assert drawn == [2] and (folder / "line" / "000002.png").is_file()


def test_pairs_stay_matched_when_the_stage_batches_frames(tmp_path, toon_folder):
    """kornia batches 3 frames at a time while colour frames wait; each pair must still be one frame."""
    from colorize.lineart.recipes import lineart_tensor

    line_cfg = LineArtConfig(backend="kornia", batch_size=3)
    cfg = make_cfg(tmp_path, lineart=line_cfg)
    clip = prepare_pairs([toon_folder], cfg, device="cpu").clips[0]
    clip_frames = ToonClip(TOON)
    for ref in clip.frames:
        color_path, line_path = clip.paths(ref)
        expected = clip_frames.frame(ref.index)
        assert np.array_equal(cv2.cvtColor(cv2.imread(str(color_path)), cv2.COLOR_BGR2RGB), expected)
        alone = lineart_tensor(torch.from_numpy(expected).permute(2, 0, 1)[None].float() / 255, line_cfg)
        line = cv2.imread(str(line_path), cv2.IMREAD_GRAYSCALE)
        assert np.abs(line.astype(int) - (alone[0, 0] * 255).round().int().numpy()).max() <= 1


def test_resize_short_and_max_frames(tmp_path, toon_folder):
    cfg = make_cfg(tmp_path, resize_short=48, max_frames_per_clip=4)
    index = prepare_pairs([toon_folder], cfg, device="cpu")
    clip = index.clips[0]
    assert len(clip.frames) == 4
    color, line = clip.paths(clip.frames[0])
    assert cv2.imread(str(color)).shape == (48, 64, 3)
    assert cv2.imread(str(line), cv2.IMREAD_UNCHANGED).shape == (48, 64)


# ---------------------------------------------------------------------- inputs, workers

def test_a_video_and_a_folder_together(tmp_path, toon_folder, toon_video):
    cfg = make_cfg(tmp_path)
    index = prepare_pairs([str(toon_video), toon_folder], cfg, device="cpu")
    assert [c.source for c in index.clips] == [toon_video, toon_folder]
    train = PairedDataset(index, "train", cfg)
    assert len(train) == index.count("train") == (12 - 3) + (10 - 2)
    assert {train[i]["clip"] for i in range(len(train))} == {0, 1}


def test_dataloader_workers_give_fresh_crops_each_epoch(tmp_path, toon_folder):
    cfg = make_cfg(tmp_path, crop=48)
    train = PairedDataset(prepare_pairs([toon_folder], cfg, device="cpu"), "train", cfg)
    copy = pickle.loads(pickle.dumps(train))  # what a spawned worker receives
    assert copy[0]["color"].shape == (3, 48, 48)
    loader = torch.utils.data.DataLoader(train, batch_size=4, num_workers=2, shuffle=False)
    epochs = [[batch["color"] for batch in loader] for _ in range(2)]
    assert [b.shape for b in epochs[0]] == [(4, 3, 48, 48), (4, 3, 48, 48)]
    # Forked workers would otherwise replay the parent's random stream every epoch.
    assert not all(torch.equal(a, b) for a, b in zip(*epochs))


def test_bad_inputs_raise_input_error_before_any_work(tmp_path, toon_folder):
    cfg = make_cfg(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no frames here")
    not_video = tmp_path / "clip.mp4"
    not_video.write_text("not a video")
    with pytest.raises(InputError, match="missing.mp4"):
        prepare_pairs([toon_folder, tmp_path / "missing.mp4"], cfg, device="cpu")
    assert not (tmp_path / "cache").exists()  # the good input was not processed first
    with pytest.raises(InputError, match="empty"):
        prepare_pairs([empty], cfg, device="cpu")
    with pytest.raises(InputError, match="clip.mp4"):
        prepare_pairs([toon_folder, not_video], cfg, device="cpu")
    assert not (tmp_path / "cache").exists()
    with pytest.raises(InputError):
        prepare_pairs([], cfg, device="cpu")


def test_config_rejects_nonsense():
    with pytest.raises(ValueError):
        PairedDataConfig(every=0)
    with pytest.raises(ValueError):
        PairedDataConfig(val_fraction=1.0)
    with pytest.raises(ValueError):
        PairedDataConfig(scale=(1.2, 0.8))


def test_config_loads_from_toml_style_dicts():
    cfg = from_dict(PairedDataConfig, {"every": 3, "scale": [0.9, 1.1], "lineart": {"sigma": 2.0}})
    assert cfg.scale == (0.9, 1.1) and cfg.lineart.sigma == 2.0 and cfg.crop == 256
    with pytest.raises(ConfigError, match="val_fraction"):
        from_dict(PairedDataConfig, {"val_fraction": 1.5})


def test_a_folder_of_clip_folders_is_one_clip_per_subfolder(tmp_path):
    for name in ("clip_0001", "clip_0000"):
        write_toon_frames(tmp_path / "clips" / name, ToonConfig(width=32, height=32, n_frames=2, seed=1))
    (tmp_path / "clips" / "manifest.json").write_text("{}")
    frames = tmp_path / "frames"
    write_toon_frames(frames, ToonConfig(width=32, height=32, n_frames=2, seed=2))
    assert paired.expand_clip_folders([tmp_path / "clips", frames]) == [
        tmp_path / "clips" / "clip_0000", tmp_path / "clips" / "clip_0001", frames]
    index = prepare_pairs([tmp_path / "clips"], make_cfg(tmp_path), device="cpu")
    assert len(index.clips) == 2
