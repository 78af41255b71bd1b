"""Temporal consistency on synthetic clips whose motion is known exactly (pure translations)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from colorize.data.toon import ToonClip, ToonConfig
from colorize.errors import InputError
from colorize.media.flow import backward_warp, dis_flow, occlusion_mask, to_gray
from colorize.metrics.temporal import TemporalConsistency, temporal_consistency, warp_error

H, W = 64, 96


def _texture(seed: int = 0, height: int = 160, width: int = 200) -> np.ndarray:
    """Smooth random colour texture (H x W x 3 uint8): enough structure for optical flow."""
    coarse = np.random.default_rng(seed).random((height // 8, width // 8, 3)).astype(np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    return (smooth * 255).astype(np.uint8)


def _pan(n: int = 8, dx: int = 2, dy: int = 1, seed: int = 0):
    """A camera pan: frame i is a window moved by (i*dx, i*dy) px over a fixed texture."""
    texture = _texture(seed)
    for i in range(n):
        yield texture[10 + i * dy:10 + i * dy + H, 10 + i * dx:10 + i * dx + W].copy()


def _flicker(frames, strength: float = 0.1, seed: int = 1):
    """Per-frame random colour gain and offset per channel: the flicker a bad colorizer adds."""
    rng = np.random.default_rng(seed)
    for frame in frames:
        gain = rng.uniform(1 - strength, 1 + strength, 3)
        offset = rng.uniform(-strength / 2, strength / 2, 3) * 255
        yield np.clip(frame * gain + offset, 0, 255).astype(np.uint8)


def test_dis_flow_recovers_a_known_translation():
    prev, cur = list(_pan(2, dx=3, dy=1))  # moves (3, 1) px per frame
    backward = dis_flow(to_gray(cur), to_gray(prev))  # cur -> prev: content came from +(3, 1)
    assert np.median(backward[..., 0]) == pytest.approx(3, abs=0.1)
    assert np.median(backward[..., 1]) == pytest.approx(1, abs=0.1)


def test_backward_warp_with_exact_flow_reconstructs_the_frame():
    prev, cur = list(_pan(2, dx=2, dy=1))
    flow = np.zeros((H, W, 2), np.float32)
    flow[..., 0], flow[..., 1] = 2, 1
    warped = backward_warp(prev, flow)
    # Inside the overlap an integer shift is exact; the last 2 columns / 1 row fall outside prev.
    assert np.array_equal(warped[:-1, :-2], cur[:-1, :-2])
    assert (warped[-1] == 0).all()


def test_occlusion_mask_drops_out_of_frame_and_inconsistent_pixels():
    backward = np.zeros((H, W, 2), np.float32)
    backward[..., 0] = 2
    forward = -backward.copy()
    mask = occlusion_mask(backward, forward)
    assert mask[:, :W - 2].all() and not mask[:, W - 2:].any()  # x + 2 leaves the frame
    forward[:10, :10] = 20  # the flows disagree there: an occlusion or a flow failure
    mask = occlusion_mask(backward, forward)
    # Pixel x of frame t checks the forward flow at x + 2, so columns 0..7 land in the bad block.
    assert not mask[:10, :8].any() and mask[:10, 8:W - 2].all() and mask[10:, :W - 2].all()


def test_warp_error_is_zero_for_exact_motion_and_counts_only_masked_pixels():
    prev, cur = list(_pan(2, dx=2, dy=1))
    flow = np.zeros((H, W, 2), np.float32)
    flow[..., 0], flow[..., 1] = 2, 1
    mask = np.zeros((H, W), bool)
    mask[:-1, :-2] = True
    assert warp_error(prev, cur, flow, mask) == 0.0
    brighter = np.clip(cur.astype(np.int16) + 51, 0, 255).astype(np.uint8)  # +0.2 where not clipped
    assert 0.01 < warp_error(prev, brighter, flow, mask) <= 0.04 + 1e-6
    assert math.isnan(warp_error(prev, cur, flow, np.zeros((H, W), bool)))


def test_prediction_equal_to_ground_truth_has_tc_one():
    result = temporal_consistency(_pan(), _pan())
    assert result["tc"] == pytest.approx(1.0)
    assert result["pairs"] == 7 and result["note"] is None
    # The flow follows the pan: the ground truth barely changes once motion is compensated.
    assert 0 < result["gt_warp_error"] < 1e-4


def test_flickering_prediction_has_tc_far_above_one():
    result = temporal_consistency(_flicker(_pan()), _pan())
    assert result["tc"] > 50
    assert result["pred_warp_error"] > 1e-3


def test_stronger_flicker_scores_worse():
    mild = temporal_consistency(_flicker(_pan(), strength=0.02), _pan())["tc"]
    strong = temporal_consistency(_flicker(_pan(), strength=0.2), _pan())["tc"]
    assert 1 < mild < strong


def test_toon_clip_flicker_raises_tc_with_its_strength():
    cfg = ToonConfig(width=128, height=96, n_frames=6, antialias=True)
    same = temporal_consistency(ToonClip(cfg), ToonClip(cfg))
    mild = temporal_consistency(_flicker(ToonClip(cfg), strength=0.05), ToonClip(cfg))
    strong = temporal_consistency(_flicker(ToonClip(cfg), strength=0.3), ToonClip(cfg))
    assert same["tc"] == pytest.approx(1.0)
    assert 1 < mild["tc"] < strong["tc"] and strong["tc"] > 4


def test_static_ground_truth_gives_nan_with_a_note_not_a_division_by_zero():
    result = temporal_consistency(_flicker(_pan(dx=0, dy=0)), _pan(dx=0, dy=0))
    assert math.isnan(result["tc"]) and "static" in result["note"]
    assert result["gt_warp_error"] == 0 and result["pred_warp_error"] > 1e-3


def test_single_frame_has_no_tc():
    result = temporal_consistency(_pan(1), _pan(1))
    assert math.isnan(result["tc"]) and result["pairs"] == 0 and "2 frames" in result["note"]


def test_frames_too_small_for_optical_flow_give_a_note():
    frames = [np.full((8, 10, 3), i * 20, np.uint8) for i in range(3)]
    result = temporal_consistency(frames, frames)
    assert math.isnan(result["tc"]) and "too small" in result["note"]


def test_frame_count_mismatch_is_an_input_error():
    with pytest.raises(InputError, match="different frame counts"):
        temporal_consistency(_pan(5), _pan(4))


def test_size_mismatch_is_an_input_error():
    accumulator = TemporalConsistency()
    frame = next(_pan(1))
    with pytest.raises(InputError, match="same size"):
        accumulator.update(frame, frame[:32])


def test_streaming_holds_only_the_previous_frame():
    consumed = []

    def tracked(frames):
        for frame in frames:
            consumed.append(frame)
            yield frame

    accumulator = TemporalConsistency()
    for i, (pred, gt) in enumerate(zip(tracked(_pan(4)), _pan(4))):
        accumulator.update(pred, gt)
        assert len(consumed) == i + 1  # pulled lazily, one frame at a time
    assert accumulator.result()["pairs"] == 3
