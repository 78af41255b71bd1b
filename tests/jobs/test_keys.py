"""jobs/keys: coverage carried along line-art motion, key suggestion per shot, the poorly-covered line."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from colorize.config import from_dict
from colorize.errors import ConfigError
from colorize.jobs.keys import (CoverageAdvisor, _carry, KeysConfig, content_weights, coverage, lineart_frames, plan_shots,
                                poorly_covered, shot_scores, small_lineart)
from colorize.media.frames import Frame


def scenery(width: int, height: int, seed: int) -> np.ndarray:
    """A pale background strewn with outlined discs (H x W x 3 uint8 RGB), wider than a frame for pans."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 235, np.uint8)
    for _ in range(width * height // 700):
        colour = tuple(int(v) for v in rng.integers(80, 230, 3))
        x, y, r = int(rng.integers(0, width)), int(rng.integers(0, height)), int(rng.integers(4, 10))
        cv2.circle(image, (x, y), r, colour, -1)
        cv2.circle(image, (x, y), r, (20, 20, 20), 1)
    return image


def character(image: np.ndarray, x: int) -> None:
    """Draw a boxy character with an eye and a belt, its left edge at column x (clipped by the frame)."""
    cv2.rectangle(image, (x, 14), (x + 34, 66), (200, 60, 60), -1)
    cv2.rectangle(image, (x, 14), (x + 34, 66), (10, 10, 10), 1)
    cv2.circle(image, (x + 12, 26), 6, (240, 240, 90), -1)
    cv2.circle(image, (x + 12, 26), 6, (10, 10, 10), 1)
    cv2.line(image, (x, 44), (x + 34, 44), (10, 10, 10), 1)


def pan_clip(n: int = 24, width: int = 128, height: int = 80, speed: int = 1, enter: int | None = 12,
             seed: int = 0, first_index: int = 0) -> list[Frame]:
    """A slow pan over `scenery`; from frame `enter` a character walks in from the right (10 px a
    frame, then stands at x = 80)."""
    ground = scenery(width + speed * n + 2, height, seed)
    frames = []
    for t in range(n):
        image = ground[:, speed * t: speed * t + width].copy()
        if enter is not None and t >= enter:
            character(image, max(80, width - 10 * (t - enter + 1)))
        frames.append(Frame(index=first_index + t, time=t / 12, image=image))
    return frames


def test_a_character_walking_in_gets_a_key_at_its_entry_and_the_first_frame_is_keyed():
    clip = pan_clip()
    (plan,) = plan_shots(lineart_frames(clip, KeysConfig()))
    assert plan.keys[0] == 0
    assert any(12 <= k <= 16 for k in plan.keys), plan.keys
    assert min(plan.coverage) >= 0.9


def test_content_that_walks_in_is_unseen_by_the_key_before_it():
    cfg = KeysConfig()
    values = [fc.coverage for fc in coverage(lineart_frames(pan_clip(), cfg), keys={0}, cfg=cfg)]
    assert values[0] == pytest.approx(1.0)
    assert min(values[1:6]) > 0.9  # the slow pan: little new content
    assert max(values[16:]) < 0.85  # the character stands in every one of these frames
    with_entry = [fc.coverage for fc in coverage(lineart_frames(pan_clip(), cfg), keys={0, 15}, cfg=cfg)]
    assert min(with_entry[15:]) > 0.85  # (the background it uncovers as it stops is new)
    assert np.mean(with_entry[16:]) > np.mean(values[16:]) + 0.1


def test_a_still_shot_needs_one_key():
    still = [Frame(index=i, time=i / 12, image=scenery(96, 64, 3)) for i in range(16)]
    (plan,) = plan_shots(lineart_frames(still, KeysConfig()))
    assert plan.keys == [0]
    assert min(plan.coverage) == pytest.approx(1.0)


def two_shots() -> list[Frame]:
    """Two 12-frame pans over different sceneries, the second tinted blue (a clear cut at 12)."""
    second = [Frame(f.index, f.time, (f.image * np.array([0.5, 0.6, 1.0])).astype(np.uint8))
              for f in pan_clip(n=12, enter=None, seed=2, first_index=12)]
    return pan_clip(n=12, enter=None, seed=1) + second


def test_cuts_are_respected():
    clip = two_shots()
    plans = plan_shots(lineart_frames(clip, KeysConfig()))
    assert [(p.first, p.last) for p in plans] == [(0, 11), (12, 23)]
    for p in plans:
        assert p.keys and all(p.first <= k <= p.last for k in p.keys)
    cfg = KeysConfig()
    seen = {fc.index: fc.coverage for fc in coverage(lineart_frames(clip, cfg), keys={0}, cfg=cfg)}
    assert all(seen[i] == 0 for i in range(12, 24))  # a key never covers frames across a cut


def test_max_keys_picks_that_many_over_the_whole_clip():
    clip = two_shots()
    frames = list(lineart_frames(clip, KeysConfig()))
    assert sum(len(p.keys) for p in plan_shots(iter(frames), max_keys=1)) == 1
    two = plan_shots(iter(frames), max_keys=2)
    assert [len(p.keys) for p in two] == [1, 1]  # one key per shot covers more than two in one shot


def test_long_shots_are_analysed_in_pieces_of_max_shot_frames():
    still = [Frame(index=i, time=i / 12, image=scenery(64, 48, 4)) for i in range(20)]
    cfg = KeysConfig(max_shot=8)
    plans = plan_shots(lineart_frames(still, cfg), cfg=cfg)
    assert [k for p in plans for k in p.keys] == [0, 8, 16]


def test_a_closed_region_counts_with_its_area():
    art = np.full((128, 128), 255, np.uint8)
    cv2.circle(art, (64, 64), 8, 0, 1)
    cfg = KeysConfig()
    weights = content_weights(art, cfg)
    band = cv2.dilate((art < 200).astype(np.uint8), np.ones((3, 3), np.uint8))
    assert weights.sum() > band.sum() + 100  # the disc's inside adds its area
    assert np.all(weights[band == 0] == 0)  # ... spread over the outline, not the open paper


def test_poorly_covered_names_the_frames_and_the_next_key():
    cfg = KeysConfig()
    arts = [f.image for f in lineart_frames(pan_clip(), cfg)]
    numbers = list(range(100, 124))
    scores = shot_scores(arts, list(range(len(arts))), cfg)
    line = poorly_covered(3, numbers, scores, keys={100}, threshold=0.9)
    assert line.startswith("shot 3 (frames 100-123): frames 1") and "poorly covered by its keys; key frame" in line
    assert 112 <= int(line.rsplit(" ", 2)[-2]) <= 123  # the character walks in at 112
    (plan,) = plan_shots(iter(Frame(n, 0.0, art, cut=n == 100) for n, art in zip(numbers, arts)), cfg=cfg)
    assert poorly_covered(3, numbers, scores, keys=plan.keys, threshold=0.9) is None


def test_the_advisor_speaks_at_the_end_of_each_poorly_covered_shot():
    clip = pan_clip(n=12, enter=None, seed=1) + pan_clip(seed=2, first_index=12)
    advisor = CoverageAdvisor(keys={0, 12})
    lines = [advisor.update(f.index, f.image, f.index in (0, 12)) for f in lineart_frames(clip, KeysConfig())]
    lines.append(advisor.finish())
    said = [line for line in lines if line]
    assert len(said) == 1 and said[0].startswith("shot 1 (frames 12-35)")


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


def test_frames_too_small_for_flow_still_get_keys():
    tiny = [Frame(index=i, time=0.0, image=scenery(10, 8, 5), cut=i == 0) for i in range(4)]
    cfg = KeysConfig(lineart=False)
    (plan,) = plan_shots(iter(Frame(f.index, 0.0, small_lineart(f.image, cfg), cut=f.cut) for f in tiny), cfg=cfg)
    assert plan.keys == [0]
