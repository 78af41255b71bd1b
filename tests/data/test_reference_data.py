"""Reference training samples: shots of cached clips, same-shot references, dropout, shared geometry and hue."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from colorize.data.paired import PairedDataConfig, prepare_pairs
from colorize.data.reference import (ReferencePairDataset, ReferenceSampling, clip_shots, rotate_hue,
                                     shot_spans)
from colorize.data.toon import ToonConfig, write_toon_frames
from colorize.data.transforms import train_transform


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """One 30-frame toon clip with a cut every 10 frames, cached as pairs."""
    root = tmp_path_factory.mktemp("refdata")
    write_toon_frames(root / "clip", ToonConfig(width=64, height=48, n_frames=30, seed=5, cut_every=10))
    cfg = PairedDataConfig(crop=32, scale=(1.0, 1.0), val_fraction=0.2, cache_dir=str(root / "cache"))
    return prepare_pairs([root / "clip"], cfg, device="cpu"), cfg


def test_shot_spans_give_each_position_its_shot():
    assert shot_spans([0, 0, 1, 1, 1, 2]) == [(0, 2), (0, 2), (2, 5), (2, 5), (2, 5), (5, 6)]
    assert shot_spans([]) == []


def test_clip_shots_finds_the_cuts_and_is_cached(index):
    pairs, _ = index
    clip = pairs.clips[0]
    shots = clip_shots(clip)
    assert shots == [0] * 10 + [1] * 10 + [2] * 10
    cached = json.loads((clip.folder / "shots.json").read_text())
    assert cached["shots"] == shots


def test_train_references_come_from_the_same_shot_within_the_offset(index):
    pairs, cfg = index
    data = ReferencePairDataset(pairs, "train", cfg, ReferenceSampling(max_offset=3, dropout=0.0))
    torch.manual_seed(0)
    spans = shot_spans(clip_shots(pairs.clips[0]))
    for i in range(len(data)):
        position = data.positions[0][data.items[i][1].name]
        for _ in range(5):
            ref = data.reference_position(0, position)
            start, end = spans[position]
            assert start <= ref < end and abs(ref - position) <= 3
    item = data[0]
    assert item["ref_color"].shape == (3, 32, 32) and item["ref_lineart"].shape == (1, 32, 32)
    assert item["has_ref"].item() == 1.0


def test_dropped_references_are_zeros_and_flagged(index):
    pairs, cfg = index
    data = ReferencePairDataset(pairs, "train", cfg, ReferenceSampling(dropout=1.0))
    item = data[3]
    assert item["has_ref"].item() == 0.0
    assert item["ref_color"].abs().sum() == 0 and item["ref_lineart"].abs().sum() == 0


def test_validation_uses_the_first_frame_of_the_shot(index):
    pairs, cfg = index
    data = ReferencePairDataset(pairs, "val", cfg, ReferenceSampling(dropout=1.0))
    firsts = set()
    for i in range(len(data)):
        position = data.positions[0][data.items[i][1].name]
        firsts.add(data.reference_position(0, position))
        assert data.reference_position(0, position) == position - position % 10  # shots cut every 10 frames
        assert data[i]["has_ref"].item() == 1.0
    assert firsts == {0, 10, 20}  # validation runs are spread over the clip: every shot is judged


def test_one_geometry_moves_all_four_images():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    line = image[..., 0].copy()
    t = train_transform(24, scale=(0.8, 1.2), flip=True, extra_targets=("ref_color", "ref_lineart"))
    t.reseed(3)
    out = t.group(image, line, ref_color=image.copy(), ref_lineart=line.copy())
    assert out["color"].shape == (24, 24, 3) and out["lineart"].shape == (24, 24)
    assert np.array_equal(out["color"], out["ref_color"]) and np.array_equal(out["lineart"], out["ref_lineart"])


def test_hue_rotation_is_shared_and_keeps_gray():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    gray = np.full((8, 8, 3), 128, np.uint8)
    a, b, g = rotate_hue([image, image.copy(), gray], 0.3)
    assert np.array_equal(a, b) and not np.array_equal(a, image)
    assert np.array_equal(g, gray)
    same = rotate_hue([image], 0.0)[0]
    assert np.abs(same.astype(int) - image).max() <= 1  # float HSV round trip


def test_hue_jitter_changes_colour_but_never_line_art(index):
    pairs, cfg = index
    plain = ReferencePairDataset(pairs, "train", cfg, ReferenceSampling(dropout=0.0, hue_jitter=0.0))
    jitter = ReferencePairDataset(pairs, "train", cfg, ReferenceSampling(dropout=0.0, hue_jitter=1.0))
    torch.manual_seed(7)
    a = plain[2]
    torch.manual_seed(7)
    b = jitter[2]
    assert torch.equal(a["lineart"], b["lineart"])
    assert not torch.equal(a["color"], b["color"])


def test_reference_sampling_rejects_bad_values():
    with pytest.raises(ValueError):
        ReferenceSampling(max_offset=0)
    with pytest.raises(ValueError):
        ReferenceSampling(dropout=1.5)


def test_temporal_pairs_carry_a_neighbour_and_the_flow_to_it(index):
    pairs, cfg = index
    data = ReferencePairDataset(pairs, "train", cfg, ReferenceSampling(pairs=True, dropout=0.0))
    torch.manual_seed(3)
    item = data[4]
    assert item["pair_lineart"].shape == (1, 32, 32) and item["pair_flow"].shape == (2, 32, 32)
    mask = item["pair_mask"]
    assert mask.shape == (1, 32, 32) and mask.mean() > 0.5
    position = data.positions[0][data.items[4][1].name]
    assert data.pair_position(0, position) in (position - 1, position + 1)
    assert not any(k.startswith("pair") for k in ReferencePairDataset(pairs, "val", cfg, ReferenceSampling(
        pairs=True))[0])


def test_a_one_frame_shot_has_no_temporal_neighbour(index):
    pairs, cfg = index
    data = ReferencePairDataset(pairs, "train", cfg, ReferenceSampling(pairs=True))
    data.spans[0] = [(p, p + 1) for p in range(len(data.spans[0]))]
    assert data.pair_position(0, 3) is None
    item = data[0]
    assert item["pair_mask"].sum() == 0


def test_pair_flow_moves_the_target_onto_its_neighbour():
    from colorize.data.reference import pair_flow
    from colorize.data.toon import ToonClip
    from colorize.gans.losses.temporal import backward_warp

    clip = ToonClip(ToonConfig(width=96, height=64, n_frames=2, seed=8, fps=4.0))
    target, neighbour = clip.frame(0), clip.frame(1)
    flow, mask = pair_flow(neighbour, target)
    as_tensor = lambda img: torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
    moved = backward_warp(as_tensor(target), flow[None])
    kept = mask[None].bool().expand(1, 3, -1, -1)
    error_moved = (moved - as_tensor(neighbour)).abs()[kept].mean()
    error_still = (as_tensor(target) - as_tensor(neighbour)).abs()[kept].mean()
    assert mask.mean() > 0.4 and error_moved < 0.5 * error_still, (error_moved, error_still)  # measured 0.62; 0.04 vs 0.16
