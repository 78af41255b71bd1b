"""Line-art augmentation: each change keeps the drawing's shapes, probabilities and seeds are honoured,
and the paired/reference datasets mix cached recipes only in training."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from colorize.config import ConfigError, from_dict
from colorize.data.lineart_augment import (LineArtAugmentConfig, LineArtAugmenter, break_strokes,
                                           change_thickness, jitter, recipe_path, scan_tone)
from colorize.data.paired import PairedDataConfig, cache_key, prepare_pairs
from colorize.data.paired_dataset import PairedDataset
from colorize.data.reference import ReferencePairDataset, ReferenceSampling
from colorize.data.toon import ToonConfig, write_toon_frames
from colorize.lineart.recipes import LineArtConfig, lineart_numpy

OFF = dict(thickness=0.0, breaks=0.0, jitter=0.0, tone=0.0)


def drawing() -> np.ndarray:
    """64 x 64 line-art: a 1 px square outline and a 3 px circle stroke (255 paper, 0 ink)."""
    line = np.full((64, 64), 255, np.uint8)
    cv2.rectangle(line, (4, 4), (28, 28), 0, 1)
    cv2.circle(line, (44, 44), 12, 0, 3)
    return line


def near(a: np.ndarray, b: np.ndarray, px: int = 2) -> float:
    """Share of the ink of `a` within `px` pixels of the ink of `b`."""
    grown = cv2.dilate((b < 128).astype(np.uint8), np.ones((2 * px + 1, 2 * px + 1), np.uint8)) > 0
    return float(grown[a < 128].mean())


def test_off_by_default_returns_the_line_art_untouched_and_draws_nothing():
    aug = LineArtAugmenter(LineArtAugmentConfig(), primary="canny")
    rng = np.random.default_rng(0)
    line = drawing()
    assert aug(line, rng) is line
    assert aug.pick_recipe(rng) == "canny"
    assert rng.random() == np.random.default_rng(0).random()  # no random draw was spent


def test_zero_probabilities_change_nothing_and_ones_change_every_sample():
    line = drawing()
    never = LineArtAugmenter(LineArtAugmentConfig(enabled=True, **OFF), "canny")
    assert all(np.array_equal(never(line, np.random.default_rng(s)), line) for s in range(10))
    always = LineArtAugmenter(LineArtAugmentConfig(enabled=True, thickness=1.0, breaks=1.0, jitter=1.0,
                                                   tone=1.0), "canny")
    assert all(not np.array_equal(always(line, np.random.default_rng(s)), line) for s in range(10))


def test_a_probability_is_the_share_of_samples_changed():
    aug = LineArtAugmenter(LineArtAugmentConfig(enabled=True, **{**OFF, "tone": 0.3}), "canny")
    rng, line = np.random.default_rng(1), drawing()
    changed = np.mean([not np.array_equal(aug(line, rng), line) for _ in range(400)])
    assert 0.22 < changed < 0.38


def test_same_seed_same_result_and_recipes_are_mixed():
    cfg = LineArtAugmentConfig(enabled=True, thickness=0.5, breaks=0.5, jitter=0.5, tone=0.5)
    aug, line = LineArtAugmenter(cfg, "canny"), drawing()
    assert np.array_equal(aug(line, np.random.default_rng(7)), aug(line, np.random.default_rng(7)))
    rng = np.random.default_rng(3)
    picks = [aug.pick_recipe(rng) for _ in range(200)]
    assert 0.35 < picks.count("ink") / 200 < 0.65


def test_thickness_grows_or_thins_without_losing_one_pixel_strokes():
    line = drawing()
    grown, thinned = change_thickness(line, grow=True), change_thickness(line, grow=False)
    assert (grown < 128).sum() > (line < 128).sum() > (thinned < 128).sum()
    assert (thinned[4, 4:29] == 0).all()  # the 1 px square survives thinning
    assert near(grown, line, 1) == 1.0 and near(line, thinned, 2) == 1.0


def test_breaks_only_remove_ink_and_jitter_and_tone_keep_the_shapes():
    line = drawing()
    broken = break_strokes(line, np.random.default_rng(0), per_1000=30.0, gap_px=2)
    assert (broken >= line).all() and (broken < 128).sum() < (line < 128).sum()
    filled = np.full((64, 64), 255, np.uint8)
    cv2.circle(filled, (32, 32), 20, 0, -1)
    cv2.rectangle(filled, (2, 2), (60, 60), 0, 1)
    cut = break_strokes(filled, np.random.default_rng(0), per_1000=50.0, gap_px=2)
    assert (cut[26:39, 26:39] == 0).all() and (cut[2] == 255).any()  # the fill stays whole, the line breaks
    wobbly = jitter(line, np.random.default_rng(0), max_px=1.0)
    assert near(wobbly, line, 2) == 1.0 and near(line, wobbly, 2) > 0.95
    toned = scan_tone(line, np.random.default_rng(0))
    assert toned.dtype == np.uint8 and toned.shape == line.shape
    assert toned[line == 0].mean() < 110 and toned[16, 16] >= 225  # gray ink, off-white paper


def test_config_is_strict_and_validated():
    cfg = from_dict(PairedDataConfig, {"lineart_augment": {"enabled": True, "recipes": ["ink"]}})
    assert cfg.lineart_augment.recipes == ("ink",)
    with pytest.raises(ConfigError, match="unknown config key"):
        from_dict(PairedDataConfig, {"lineart_augment": {"thicknes": 0.5}})
    with pytest.raises(ConfigError, match="recipes"):
        from_dict(PairedDataConfig, {"lineart_augment": {"recipes": ["pencil"]}})
    with pytest.raises(ConfigError, match="breaks"):
        from_dict(PairedDataConfig, {"lineart_augment": {"breaks": 1.5}})


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    folder = tmp_path_factory.mktemp("toon") / "clip"
    write_toon_frames(folder, ToonConfig(width=64, height=64, n_frames=6, outline_px=3))
    return folder


def test_cache_key_names_the_method_and_the_extra_recipes(tmp_path, frames):
    device = torch.device("cpu")
    canny, ink = PairedDataConfig(), PairedDataConfig(lineart=LineArtConfig(method="ink"))
    mixed = PairedDataConfig(lineart_augment=LineArtAugmentConfig(enabled=True))
    keys = [cache_key(frames, c, device) for c in (canny, ink, mixed)]
    assert keys[0]["lineart"]["method"] == "canny" and keys[1]["lineart"]["method"] == "ink"
    assert "extra_recipes" not in keys[0] and keys[2]["extra_recipes"] == ["ink"]
    assert "ink" not in keys[0]["lineart"] and "sigma" not in keys[1]["lineart"]  # the other method's settings
    assert "ink" in keys[2]["lineart"] and "sigma" in keys[2]["lineart"]
    assert len({str(k) for k in keys}) == 3


def test_datasets_mix_cached_recipes_in_training_only(tmp_path, frames):
    augment = LineArtAugmentConfig(enabled=True, **OFF)
    cfg = PairedDataConfig(crop=64, scale=(1.0, 1.0), flip=False, val_fraction=0.3,
                           cache_dir=str(tmp_path / "cache"), lineart_augment=augment)
    index = prepare_pairs([frames], cfg, device="cpu")
    clip = index.clips[0]
    color_path, line_path = clip.paths(clip.frames[0])
    ink_path = recipe_path(line_path, "ink", "canny")
    assert ink_path.parent.name == "line-ink" and ink_path.is_file()
    ink = lineart_numpy(cv2.cvtColor(cv2.imread(str(color_path)), cv2.COLOR_BGR2RGB), LineArtConfig(method="ink"))
    assert np.array_equal(cv2.imread(str(ink_path), cv2.IMREAD_GRAYSCALE), ink)

    torch.manual_seed(0)
    train = PairedDataset(index, "train", cfg)
    seen = {train[0]["lineart"].numpy().tobytes() for _ in range(12)}
    assert len(seen) == 2  # canny and ink line-art of the same frame (no other change is enabled)
    val = PairedDataset(index, "val", cfg)
    assert len({val[0]["lineart"].numpy().tobytes() for _ in range(6)}) == 1

    refs = ReferencePairDataset(index, "train", cfg, ReferenceSampling(dropout=0.0))
    item = refs[0]
    assert item["lineart"].shape == item["ref_lineart"].shape == (1, 64, 64)
