"""evaluate() end to end on small toon clips written as frame folders and MP4 videos."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from colorize.data.toon import ToonClip, ToonConfig, write_toon_frames, write_toon_video
from colorize.errors import InputError
from colorize.images import write_image
from colorize.jobs.evaluate import evaluate
from colorize.media.encode import write_video
from colorize.metrics.image import LPIPSMetric

CFG = ToonConfig(width=64, height=48, n_frames=6, fps=12.0, antialias=True)


def _flicker(frames, strength=0.3, seed=1):
    """Per-frame colour gain and offset: what an unstable colorizer does to a clip."""
    rng = np.random.default_rng(seed)
    for frame in frames:
        gain = rng.uniform(1 - strength, 1 + strength, 3)
        offset = rng.uniform(-strength / 2, strength / 2, 3) * 255
        yield np.clip(frame * gain + offset, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """gt frames, a noisy copy, a flickering copy (folders) and gt / flickering videos."""
    root = tmp_path_factory.mktemp("eval")
    write_toon_frames(root / "gt", CFG)
    rng = np.random.default_rng(0)
    for i, frame in enumerate(ToonClip(CFG)):
        noisy = np.clip(frame + rng.normal(0, 8, frame.shape), 0, 255).astype(np.uint8)
        write_image(root / "noisy" / f"frame_{i:06d}.png", noisy)
    write_toon_video(root / "gt.mp4", CFG)
    write_video(_flicker(ToonClip(CFG)), root / "flicker.mp4", CFG.fps)
    return root


def test_identical_folders_score_perfectly_and_skip_tc(clips):
    result = evaluate(clips / "gt", clips / "gt", device="cpu", lpips=False)
    assert result["frames"] == CFG.n_frames
    assert math.isinf(result["psnr"]) and result["ssim"] == pytest.approx(1.0, abs=1e-5)
    assert result["delta_e2000"] == 0
    assert result["lpips"] is None and "turned off" in result["lpips_note"]
    assert result["tc"] is None and "--temporal" in result["tc_note"]


def test_noisy_folder_psnr_matches_the_noise_level(clips):
    # Gaussian noise of sigma 8 grey levels, slightly clipped at 0 and 255: about 30 dB.
    result = evaluate(clips / "noisy", clips / "gt", device="cpu", lpips=False)
    assert 29 < result["psnr"] < 32.5
    assert 0 < result["ssim"] < 1 and result["delta_e2000"] > 0.5


def test_batch_size_does_not_change_the_means(clips):
    one = evaluate(clips / "noisy", clips / "gt", device="cpu", lpips=False, batch_size=1)
    four = evaluate(clips / "noisy", clips / "gt", device="cpu", lpips=False, batch_size=4)
    for key in ("psnr", "ssim", "delta_e2000"):
        assert one[key] == pytest.approx(four[key], rel=1e-6)


def test_folders_as_a_frame_sequence_get_tc(clips):
    result = evaluate(clips / "gt", clips / "gt", device="cpu", lpips=False, temporal=True)
    assert result["tc"] == pytest.approx(1.0) and result["tc_pairs"] == CFG.n_frames - 1


def test_injected_lpips_metric_is_averaged_over_frames(clips):
    metric = LPIPSMetric(net=lambda x, y: (x - y).abs().mean(dim=(1, 2, 3)))
    same = evaluate(clips / "gt", clips / "gt", device="cpu", lpips=metric)
    noisy = evaluate(clips / "noisy", clips / "gt", device="cpu", lpips=metric)
    assert same["lpips"] == 0 and same["lpips_note"] is None
    assert 0.01 < noisy["lpips"] < 0.1  # mean |diff| of sigma-8 noise in [-1, 1] units is ~0.05


def test_lpips_without_weights_is_a_note_not_a_failure(clips):
    result = evaluate(clips / "gt", clips / "gt", device="cpu", lpips=True)
    if result["lpips"] is None:  # the normal case offline (and wherever torchvision cannot load)
        assert result["lpips_note"].startswith("unavailable (")
    assert result["psnr"] == math.inf


def test_videos_get_tc_and_flicker_is_caught(clips):
    same = evaluate(clips / "gt.mp4", clips / "gt.mp4", device="cpu", lpips=False)
    assert same["frames"] == CFG.n_frames and same["tc"] == pytest.approx(1.0)
    flicker = evaluate(clips / "flicker.mp4", clips / "gt.mp4", device="cpu", lpips=False)
    # Flat toon fills leave a warp-error floor at the outlines even for the ground truth (about
    # 0.01 at this size), so flicker of +-30% measures ~5 here, not the hundreds of a textured pan.
    assert flicker["tc"] > 3 and flicker["psnr"] < same["psnr"]
    assert flicker["pred_warp_error"] > flicker["gt_warp_error"] > 0


def test_video_against_its_png_frames(clips):
    result = evaluate(clips / "gt.mp4", clips / "gt", device="cpu", lpips=False)
    assert 20 < result["psnr"] < math.inf  # H.264 loss only
    assert result["tc"] is not None  # one side is a video


def test_missing_input_names_the_role(clips):
    with pytest.raises(InputError, match="prediction not found"):
        evaluate(clips / "nope", clips / "gt", device="cpu", lpips=False)


def test_frame_count_mismatch_between_folders_fails_before_decoding(clips, tmp_path):
    write_toon_frames(tmp_path / "short", ToonConfig(width=64, height=48, n_frames=4))
    with pytest.raises(InputError, match="has 4 frames but the ground truth"):
        evaluate(tmp_path / "short", clips / "gt", device="cpu", lpips=False)


def test_frame_count_mismatch_with_a_video_is_found_while_streaming(clips, tmp_path):
    write_toon_frames(tmp_path / "short", ToonConfig(width=64, height=48, n_frames=4))
    with pytest.raises(InputError, match="has 4 frames but the ground truth .* has more"):
        evaluate(tmp_path / "short", clips / "gt.mp4", device="cpu", lpips=False)


def test_size_mismatch_is_an_input_error(clips, tmp_path):
    write_toon_frames(tmp_path / "big", ToonConfig(width=96, height=48, n_frames=CFG.n_frames))
    with pytest.raises(InputError, match="96x48 but the ground truth .* 64x48"):
        evaluate(tmp_path / "big", clips / "gt", device="cpu", lpips=False)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_matches_cpu(clips):
    cpu = evaluate(clips / "noisy", clips / "gt", device="cpu", lpips=False)
    gpu = evaluate(clips / "noisy", clips / "gt", device="cuda", lpips=False)
    for key in ("psnr", "ssim", "delta_e2000"):
        assert gpu[key] == pytest.approx(cpu[key], rel=1e-4)
