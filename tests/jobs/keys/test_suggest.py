"""jobs/keys/suggest.py: keys suggested per shot, cuts respected, --max a budget per shot."""

from __future__ import annotations

import pytest

from colorize.jobs.keys import KeysConfig, bracket_keys, coverage, lineart_frames, plan_shots, small_lineart
from colorize.media.frames import Frame
from tests.jobs.keys.clips import pan_clip, scenery, two_shots


def test_a_character_walking_in_gets_a_key_at_its_entry_and_the_first_frame_is_keyed():
    clip = pan_clip()
    (plan,) = plan_shots(lineart_frames(clip, KeysConfig()))
    assert plan.keys[0] == 0
    assert any(12 <= k <= 16 for k in plan.keys), plan.keys
    assert min(plan.coverage) >= 0.9


def test_a_still_shot_needs_one_key():
    still = [Frame(index=i, time=i / 12, image=scenery(96, 64, 3)) for i in range(16)]
    (plan,) = plan_shots(lineart_frames(still, KeysConfig()))
    assert plan.keys == [0]
    assert min(plan.coverage) == pytest.approx(1.0)


def test_cuts_are_respected():
    clip = two_shots()
    plans = plan_shots(lineart_frames(clip, KeysConfig()))
    assert [(p.first, p.last) for p in plans] == [(0, 11), (12, 23)]
    for p in plans:
        assert p.keys and all(p.first <= k <= p.last for k in p.keys)
    cfg = KeysConfig()
    seen = {fc.index: fc.coverage for fc in coverage(lineart_frames(clip, cfg), keys={0}, cfg=cfg)}
    assert all(seen[i] == 0 for i in range(12, 24))  # a key never covers frames across a cut


def test_max_keys_is_a_budget_per_shot_that_brackets_each_shot_first():
    clip = two_shots()
    frames = list(lineart_frames(clip, KeysConfig()))
    one = plan_shots(iter(frames), max_keys=1)
    assert [len(p.keys) for p in one] == [1, 1]  # every shot gets its budget: none is left keyless
    two = plan_shots(iter(frames), max_keys=2)
    assert [p.keys for p in two] == [[0, 11], [12, 23]]  # keys at both ends: both-ways carry serves them best


def test_a_budget_brackets_the_shot_and_then_keys_the_frame_where_a_character_enters():
    frames = list(lineart_frames(pan_clip(), KeysConfig()))
    (three,) = plan_shots(iter(frames), max_keys=3)
    assert three.keys[0] == 0 and three.keys[-1] == three.last == 23 and len(three.keys) == 3
    (four,) = plan_shots(iter(frames), max_keys=4)
    assert set(three.keys) < set(four.keys)
    assert any(12 <= k <= 16 for k in set(four.keys) - set(three.keys)), four.keys  # still half in view


def test_bracket_keys():
    assert bracket_keys(10, 1) == [] and bracket_keys(10, 2) == [0, 9] and bracket_keys(1, 3) == [0]


def test_long_shots_are_analysed_in_pieces_of_max_shot_frames():
    still = [Frame(index=i, time=i / 12, image=scenery(64, 48, 4)) for i in range(20)]
    cfg = KeysConfig(max_shot=8)
    plans = plan_shots(lineart_frames(still, cfg), cfg=cfg)
    assert [k for p in plans for k in p.keys] == [0, 8, 16]


def test_frames_too_small_for_flow_still_get_keys():
    tiny = [Frame(index=i, time=0.0, image=scenery(10, 8, 5), cut=i == 0) for i in range(4)]
    cfg = KeysConfig(lineart=False)
    (plan,) = plan_shots(iter(Frame(f.index, 0.0, small_lineart(f.image, cfg), cut=f.cut) for f in tiny), cfg=cfg)
    assert plan.keys == [0]
