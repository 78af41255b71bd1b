"""True line-art pair folders (NAME/colour + NAME/lineart): read, not drawn; stills without a reference."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from colorize.config import from_dict
from colorize.data import paired
from colorize.data.given_lineart import is_pair_folder, iter_given_pairs, pair_files
from colorize.data.lineart_augment import LineArtAugmentConfig
from colorize.data.paired import PairedDataConfig, expand_clip_folders, prepare_pairs
from colorize.data.paired_dataset import PairedDataset
from colorize.data.reference import ReferencePairDataset, ReferenceSampling, clip_shots
from colorize.errors import InputError


def drawing(seed: int, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A coloured disc outlined in black on white, and its exact line-art (the outline only)."""
    h, w = size
    rng = np.random.default_rng(seed)
    colour = np.full((h, w, 3), 255, np.uint8)
    centre, radius = (w // 2, h // 2), min(h, w) // 3
    cv2.circle(colour, centre, radius, tuple(int(v) for v in rng.integers(40, 220, 3)), -1)
    cv2.circle(colour, centre, radius, (0, 0, 0), 2)
    line = np.full((h, w), 255, np.uint8)
    cv2.circle(line, centre, radius, 0, 2)
    return colour, line


def write_pairs(folder: Path, n: int, size=(64, 80)) -> Path:
    for sub in ("colour", "lineart"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        colour, line = drawing(i, (size[0] + 8 * (i % 2), size[1]))  # pairs may differ in size
        cv2.imwrite(str(folder / "colour" / f"{i:03d}.png"), cv2.cvtColor(colour, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(folder / "lineart" / f"{i:03d}.png"), line)
    return folder


@pytest.fixture
def pairs(tmp_path) -> Path:
    return write_pairs(tmp_path / "art" / "deck", 6)


def make_cfg(tmp_path: Path, **kw) -> PairedDataConfig:
    kw.setdefault("crop", 48)
    kw.setdefault("val_fraction", 0.2)
    return PairedDataConfig(cache_dir=str(tmp_path / "cache"), paired_folders=True, **kw)


def test_pair_files_match_by_name_and_refuse_a_colour_without_lineart(pairs):
    assert is_pair_folder(pairs) and not is_pair_folder(pairs / "colour")
    files = pair_files(pairs)
    assert [c.name for c, _ in files] == [f"{i:03d}.png" for i in range(6)]
    (pairs / "lineart" / "003.png").unlink()
    with pytest.raises(InputError, match="003.png has no line-art"):
        pair_files(pairs)


def test_iter_given_pairs_reads_both_and_resizes_them_alike(pairs):
    out = list(iter_given_pairs(pairs, every=2, resize_short=32))
    assert [f.index for f, _ in out] == [0, 2, 4]
    for frame, line in out:
        assert min(frame.image.shape[:2]) == 32 and frame.image.shape[:2] == line.shape and line.dtype == np.uint8


def test_a_pair_of_two_sizes_is_an_input_error(pairs):
    cv2.imwrite(str(pairs / "lineart" / "001.png"), np.full((10, 10), 255, np.uint8))
    with pytest.raises(InputError, match="001.png is 10x10"):
        list(iter_given_pairs(pairs))


def test_folders_of_pair_folders_expand_only_when_enabled(tmp_path):
    root = tmp_path / "pairs"
    write_pairs(root / "a", 2), write_pairs(root / "b", 2)
    assert expand_clip_folders([root], paired_folders=True) == [root / "a", root / "b"]
    assert expand_clip_folders([root / "a"], paired_folders=True) == [root / "a"]
    assert expand_clip_folders([root / "a"]) == [root / "a" / "colour", root / "a" / "lineart"]  # as before


def test_the_given_lineart_is_cached_for_every_recipe_and_never_drawn(tmp_path, pairs, monkeypatch):
    monkeypatch.setattr(paired, "iter_lineart", lambda *a, **k: pytest.fail("line-art was drawn"))
    cfg = make_cfg(tmp_path, lineart_augment=LineArtAugmentConfig(enabled=True, recipes=("canny", "ink")))
    index = prepare_pairs([pairs.parent], cfg, device="cpu")
    (clip,) = index.clips
    assert clip.stills and len(clip.frames) == 6
    for ref, (_, line_file) in zip(clip.frames, pair_files(pairs)):
        given = cv2.imread(str(line_file), cv2.IMREAD_GRAYSCALE)
        for kind in ("line", "line-ink"):
            assert np.array_equal(cv2.imread(str(clip.folder / kind / ref.name), cv2.IMREAD_GRAYSCALE), given)
    again = prepare_pairs([pairs], cfg, device="cpu")  # cached: read back, same folder
    assert again.clips[0].folder == clip.folder


def test_paired_folders_changes_the_cache_key(tmp_path, pairs):
    on = paired.clip_cache_folder(pairs, make_cfg(tmp_path), torch.device("cpu"))
    off = paired.clip_cache_folder(pairs, PairedDataConfig(cache_dir=str(tmp_path / "cache")), torch.device("cpu"))
    assert on != off


def test_items_pair_the_true_lineart_with_its_colour(tmp_path, pairs):
    cfg = make_cfg(tmp_path, crop=64)
    index = prepare_pairs([pairs], cfg, device="cpu")
    item = PairedDataset(index, "val", cfg)[0]
    ink = item["lineart"][0] < 0.5
    assert ink.any()
    assert item["color"][:, ink].max() < 0.1  # every ink pixel is the drawing's black outline


def test_stills_are_their_own_shots_and_never_have_a_reference(tmp_path, pairs):
    cfg = make_cfg(tmp_path)
    index = prepare_pairs([pairs], cfg, device="cpu")
    assert clip_shots(index.clips[0]) == list(range(6))
    for split in ("train", "val"):
        data = ReferencePairDataset(index, split, cfg, ReferenceSampling(dropout=0.0))
        for i in range(len(data)):
            item = data[i]
            assert item["has_ref"].item() == 0.0 and item["ref_color"].abs().sum() == 0


def test_the_config_key_defaults_off():
    assert PairedDataConfig().paired_folders is False
    assert from_dict(PairedDataConfig, {"paired_folders": True}).paired_folders is True
