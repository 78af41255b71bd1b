"""Flow-guided temporal smoothing on toon clips whose "outputs" are the true frames plus colour flicker."""

from __future__ import annotations

import tracemalloc

import cv2
import numpy as np
import pytest

from colorize.data.toon import ToonClip, ToonConfig
from colorize.errors import InputError
from colorize.filters.smoothing import (SmoothingConfig, TemporalSmoother, consistency_mask,
                                              guide_flows, iter_smoothed, reliability_mask, upscale_flow)
from colorize.lineart.recipes import LineArtConfig, lineart_numpy
from colorize.media.flow import backward_warp, make_flow_engine, occlusion_mask
from colorize.media.shots import ShotConfig, ShotDetector
from colorize.metrics.temporal import temporal_consistency


def _clip(n_frames: int = 24, fps: float = 12.0, seed: int = 1, cut_every: int = 0) -> ToonClip:
    return ToonClip(ToonConfig(width=128, height=96, n_frames=n_frames, fps=fps, seed=seed,
                               cut_every=cut_every, antialias=True))


def _lineart(rgb: np.ndarray) -> np.ndarray:
    return lineart_numpy(rgb, LineArtConfig())


def flicker(rgb: np.ndarray, rng: np.random.Generator, brightness: float = 0.15,
            hue_degrees: float = 12.0) -> np.ndarray:
    """The frame with one random brightness gain and hue shift for the whole frame (a colorizer's flicker)."""
    hsv = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2HSV)  # float hue is 0..360
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-hue_degrees, hue_degrees)) % 360.0
    hsv[..., 2] *= rng.uniform(1.0 - brightness, 1.0 + brightness)
    return (cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).clip(0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def psnr(pred: np.ndarray, truth: np.ndarray) -> float:
    mse = np.mean((pred.astype(np.float64) - truth.astype(np.float64)) ** 2)
    return float(10.0 * np.log10(255.0**2 / mse))


def _flicker_run(strength: float, guide: str) -> tuple[float, float]:
    """(TC, mean PSNR vs the true frames) of the smoothed flickering outputs of one toon clip."""
    clip, rng = _clip(), np.random.default_rng(0)
    smoother = TemporalSmoother(SmoothingConfig(strength=strength))
    outputs, psnrs = [], []
    for rgb in clip:
        guide_image = _lineart(rgb) if guide == "lineart" else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        out = smoother(guide_image, flicker(rgb, rng))
        outputs.append(out)
        psnrs.append(psnr(out, rgb))
    return temporal_consistency(outputs, iter(clip))["tc"], float(np.mean(psnrs))


@pytest.mark.parametrize("guide", ["lineart", "input"])
def test_smoothing_lowers_tc_substantially_without_losing_psnr(guide):
    tc_raw, psnr_raw = _flicker_run(0.0, guide)
    tc_smooth, psnr_smooth = _flicker_run(0.5, guide)
    # Measured: TC 4.20 -> 1.88 (line-art guide) / 1.77 (input guide); PSNR 25.8 -> 28.6 / 28.8 dB.
    assert tc_raw > 3.0  # the flicker is real
    assert tc_smooth < 0.5 * tc_raw
    assert psnr_smooth >= psnr_raw + 1.0


def test_a_static_scene_follows_the_recursive_blend_exactly():
    # Without motion the flow is 0 and the mask 1 everywhere: s_t = a s_{t-1} + (1 - a) o_t.
    frame = _clip(n_frames=1).frame(0)
    guide, strength = _lineart(frame), 0.6
    smoother, expected = TemporalSmoother(SmoothingConfig(strength=strength)), None
    for offset in (0, 40, -30, 25, -10):
        output = np.clip(frame.astype(np.int16) + offset, 0, 255).astype(np.uint8)
        got = smoother(guide, output)
        expected = output.astype(np.float64) if expected is None else (
            strength * expected + (1 - strength) * output)
        assert np.abs(got - expected).max() <= 1.0 + 1e-9  # rounding to uint8 each frame


def test_unreliable_pixels_keep_the_current_output_and_moved_lines_are_unreliable():
    clip = _clip(n_frames=2, fps=2.0)  # large motion: many occluded and disoccluded pixels
    prev_rgb, cur_rgb = clip.frame(0), clip.frame(1)
    prev_guide, cur_guide = _lineart(prev_rgb), _lineart(cur_rgb)
    cfg = SmoothingConfig(strength=0.9)
    backward, forward = guide_flows(cur_guide, prev_guide, cfg, make_flow_engine())  # 128 px: full size
    consistent = consistency_mask(backward, forward, (128, 96))
    mask = reliability_mask(cur_guide, prev_guide, backward, consistent, cfg)
    assert 0.3 < mask.mean() < 0.99  # the check is neither everything nor nothing

    occluded = ~occlusion_mask(backward, forward)
    assert occluded.any() and (mask[occluded] == 0).all()

    # The previous output is painted pure magenta so that any colour it lends is visible.
    magenta = np.zeros_like(prev_rgb)
    magenta[..., [0, 2]] = 255
    smoother = TemporalSmoother(cfg)
    smoother(prev_guide, magenta)
    out = smoother(cur_guide, cur_rgb)
    assert np.array_equal(out[mask == 0], cur_rgb[mask == 0])
    # Line pixels that are occluded, or where the flow brings paper (a line it failed to follow),
    # take nothing from the previous frame.
    ink = cur_guide == 0
    unfollowed = ink & (backward_warp(prev_guide, backward) > 128)
    for lines in (ink & occluded, unfollowed):
        assert lines.sum() > 10 and np.array_equal(out[lines], cur_rgb[lines])
    assert (out[mask > 0.5] != cur_rgb[mask > 0.5]).any()  # elsewhere it does smooth


def test_reset_at_cuts_never_carries_a_colour_across_a_cut():
    clip, rng = _clip(n_frames=24, cut_every=8), np.random.default_rng(2)
    outputs = [flicker(rgb, rng) for rgb in clip]
    guides = [_lineart(rgb) for rgb in clip]
    detector = ShotDetector(ShotConfig())
    shots = [detector.shot for guide in guides if detector.update(guide) or True]
    assert shots == [0] * 8 + [1] * 8 + [2] * 8

    smoothed = list(iter_smoothed(zip(shots, guides, outputs), SmoothingConfig(strength=0.7)))
    for start in (0, 8, 16):
        assert np.array_equal(smoothed[start], outputs[start])  # first frame of a shot: untouched
        alone = TemporalSmoother(SmoothingConfig(strength=0.7))  # this shot with no history at all
        for i in range(start, start + 8):
            assert np.array_equal(smoothed[i], alone(guides[i], outputs[i]))
    assert not np.array_equal(smoothed[9], outputs[9])  # inside a shot it does smooth


def _array_bytes(smoother: TemporalSmoother) -> int:
    return sum(v.nbytes for v in vars(smoother).values() if isinstance(v, np.ndarray))


def test_the_smoother_holds_one_previous_frame_and_memory_stays_flat():
    clip, rng = _clip(n_frames=40), np.random.default_rng(3)
    one_frame = 96 * 128 + 96 * 128 * 3  # a guide and an output
    smoother, peaks = TemporalSmoother(), {}
    tracemalloc.start()
    try:
        for i, rgb in enumerate(clip):
            smoother(_lineart(rgb), flicker(rgb, rng))
            assert _array_bytes(smoother) == one_frame
            if i + 1 in (10, 40):
                peaks[i + 1] = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert peaks[40] - peaks[10] < one_frame  # 30 more frames leave nothing behind
    smoother.reset()
    assert _array_bytes(smoother) == 0


def test_strength_zero_and_the_first_frame_return_the_output_unchanged():
    rgb = _clip(n_frames=1).frame(0)
    guide, output = _lineart(rgb), flicker(rgb, np.random.default_rng(4))
    before = output.copy()
    smoother = TemporalSmoother(SmoothingConfig(strength=0.0))
    assert np.array_equal(smoother(guide, output), output)
    assert np.array_equal(smoother(guide, rgb), rgb)
    first = TemporalSmoother()(guide, output)
    assert np.array_equal(first, output) and first is not output
    assert np.array_equal(output, before)  # inputs are never modified


def test_an_rgb_guide_is_read_as_gray():
    clip = _clip(n_frames=3)
    a, b = TemporalSmoother(), TemporalSmoother()
    for rgb in clip:
        assert np.array_equal(a(rgb, rgb), b(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), rgb))


def test_downscaled_flow_is_scaled_back_to_full_size_pixels():
    # A smooth texture shifted by (6, 3) px: flow at a quarter of the size must still say (6, 3).
    coarse = np.random.default_rng(5).random((24, 32)).astype(np.float32)
    smooth = cv2.resize(coarse, (320, 240), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    texture = (smooth * 255).astype(np.uint8)
    prev, cur = texture[20:180, 20:260], texture[23:183, 26:266]
    backward, forward = guide_flows(cur, prev, SmoothingConfig(flow_side=60, flow_blur=0.0),
                                    make_flow_engine())
    assert backward.shape == forward.shape == (40, 60, 2)  # flow size: 240 x 160 scaled by 1/4
    assert np.median(backward[..., 0]) == pytest.approx(1.5, abs=0.15)
    assert np.median(forward[..., 1]) == pytest.approx(-0.75, abs=0.15)
    full = upscale_flow(backward, (240, 160))
    assert full.shape == (160, 240, 2)
    assert np.median(full[..., 0]) == pytest.approx(6.0, abs=0.5)
    assert np.median(full[..., 1]) == pytest.approx(3.0, abs=0.5)


def test_the_consistency_mask_is_brought_to_full_size_conservatively():
    backward = np.zeros((12, 16, 2), np.float32)
    forward = np.zeros_like(backward)
    forward[5, 7] = (3.0, 0.0)  # one inconsistent flow-resolution pixel
    full = consistency_mask(backward, forward, (64, 48))
    assert full.shape == (48, 64) and full.mean() > 0.95
    assert not full[5 * 4:6 * 4, 7 * 4:8 * 4].any()  # its whole footprint is inconsistent


def test_mismatched_or_unusable_frames_raise_input_error():
    rgb = _clip(n_frames=1).frame(0)
    guide = _lineart(rgb)
    with pytest.raises(InputError, match="same size"):
        TemporalSmoother()(guide[:, :64], rgb)
    with pytest.raises(InputError, match="uint8 RGB output"):
        TemporalSmoother()(guide, rgb.astype(np.float32))
    with pytest.raises(InputError, match="uint8 guide"):
        TemporalSmoother()(guide.astype(bool), rgb)
    smoother = TemporalSmoother()
    smoother(guide, rgb)
    with pytest.raises(InputError, match="one size"):
        smoother(guide[:, :64], rgb[:, :64])


@pytest.mark.parametrize("field", [{"strength": 1.0}, {"strength": -0.1}, {"strength": float("nan")},
                                   {"photometric_tolerance": 300.0}, {"feather": -1.0},
                                   {"flow_side": 10}, {"flow_blur": float("inf")}])
def test_config_rejects_bad_values(field):
    with pytest.raises(ValueError, match=next(iter(field))):
        SmoothingConfig(**field)
