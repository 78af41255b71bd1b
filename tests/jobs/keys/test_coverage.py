"""jobs/keys/coverage.py: drawn content, the seen mask carried along line-art motion, coverage per frame."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from colorize.config import from_dict
from colorize.errors import ConfigError
from colorize.jobs.keys import KeysConfig, content_weights, coverage, lineart_frames
from colorize.jobs.keys.coverage import _carry
from tests.jobs.keys.clips import pan_clip


def test_content_that_walks_in_is_unseen_by_the_key_before_it():
    cfg = KeysConfig()
    values = [fc.coverage for fc in coverage(lineart_frames(pan_clip(), cfg), keys={0}, cfg=cfg)]
    assert values[0] == pytest.approx(1.0)
    assert min(values[1:6]) > 0.9  # the slow pan: little new content
    assert max(values[16:]) < 0.85  # the character stands in every one of these frames
    with_entry = [fc.coverage for fc in coverage(lineart_frames(pan_clip(), cfg), keys={0, 15}, cfg=cfg)]
    assert min(with_entry[15:]) > 0.85  # (the background it uncovers as it stops is new)
    assert np.mean(with_entry[16:]) > np.mean(values[16:]) + 0.1


def test_a_closed_region_counts_with_its_area():
    art = np.full((128, 128), 255, np.uint8)
    cv2.circle(art, (64, 64), 8, 0, 1)
    cfg = KeysConfig()
    weights = content_weights(art, cfg)
    band = cv2.dilate((art < 200).astype(np.uint8), np.ones((3, 3), np.uint8))
    assert weights.sum() > band.sum() + 100  # the disc's inside adds its area
    assert np.all(weights[band == 0] == 0)  # ... spread over the outline, not the open paper


def test_unknown_config_keys_are_errors():
    with pytest.raises(ConfigError):
        from_dict(KeysConfig, {"treshold": 0.5})
    with pytest.raises(ConfigError):
        from_dict(KeysConfig, {"threshold": 1.5})


def test_more_masks_than_one_remap_call_takes_are_carried_alike():
    masks = np.random.default_rng(0).integers(0, 256, (20, 30, 300), dtype=np.uint8)
    shift = (np.tile(np.arange(30, dtype=np.float32) + 1, (20, 1)),
             np.tile(np.arange(20, dtype=np.float32)[:, None], (1, 30)))
    step = (*shift, np.full((20, 30), 256, np.uint16))
    moved = _carry(masks, step)
    assert moved.shape == masks.shape
    assert np.array_equal(moved[:, :-1], masks[:, 1:]) and not moved[:, -1].any()
