"""The filters' shared helpers (colorize.filters.flow): the fast wide low-pass and its edge-preserving kin."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from colorize.data.toon import ToonClip, ToonConfig
from colorize.filters.flow import EDGE_SLACK, edge_lowpass, lowpass, sample_maps


def _frame(width: int = 250, height: int = 142) -> np.ndarray:
    """A toon frame at a size no small factor divides evenly (the downscale's edge case)."""
    return ToonClip(ToonConfig(width=width, height=height, n_frames=1, seed=5, n_shapes=6)).frame(0)


@pytest.mark.parametrize("sigma", [4.0, 7.5, 12.0])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_lowpass_is_close_to_a_gaussian_blur(sigma, dtype):
    image = _frame().astype(dtype)
    got = lowpass(image, sigma)
    assert got.shape == image.shape and got.dtype == image.dtype
    want = cv2.GaussianBlur(image, (0, 0), sigma).astype(np.float32)
    inner = (slice(2 * int(sigma), -2 * int(sigma)), slice(2 * int(sigma), -2 * int(sigma)))
    error = np.abs(got.astype(np.float32) - want)[inner]
    assert error.mean() < 0.5  # levels of 255, away from the border
    # and it is a low-pass at about that width: much closer to this blur than to half or twice it
    for other in (sigma / 2, sigma * 2):
        far = np.abs(cv2.GaussianBlur(image, (0, 0), other).astype(np.float32) - want)[inner]
        assert far.mean() > 4 * error.mean()


def test_narrow_lowpass_is_the_gaussian_blur_itself():
    image = _frame()
    assert np.array_equal(lowpass(image, 3.0), cv2.GaussianBlur(image, (0, 0), 3.0))
    gray = image[..., 0].astype(np.float32)
    assert lowpass(gray, 6.0).shape == gray.shape


def _figure_on_paper(size: int = 97) -> np.ndarray:
    """A dark grey square on white paper, with a faint texture (+-8 levels) all over."""
    image = np.full((size, size, 3), 255.0, np.float32)
    image[30:70, 30:70] = 90.0
    noise = np.random.default_rng(3).uniform(-8, 8, image.shape).astype(np.float32)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def test_edge_lowpass_smooths_the_texture_but_keeps_a_figure_off_the_paper_around_it():
    """Where a Gaussian of the same width spreads the figure's grey over the paper next to it,
    the edge-preserving low-pass leaves that paper near white, and it still smooths the texture."""
    image = _figure_on_paper()
    got = edge_lowpass(image, 12.0, 30.0)
    assert got.shape == image.shape and got.dtype == np.uint8
    paper_beside = (slice(40, 60), slice(75, 79))  # 5-8 px right of the figure's edge
    assert got[paper_beside].min() > 240
    assert lowpass(image, 12.0)[paper_beside].max() < 225
    inside, paper = (slice(40, 60), slice(40, 60)), (slice(5, 20), slice(5, 90))
    for part in (inside, paper):
        assert got[part].astype(float).std() < image[part].astype(float).std() / 3


def test_narrow_edge_lowpass_runs_at_full_size():
    image = _frame()
    assert np.array_equal(edge_lowpass(image, 3.0, 30.0), cv2.bilateralFilter(image, -1, 30.0, 3.0))


def _uniform_flow(dx: float, width: int = 40, height: int = 30) -> np.ndarray:
    """height x width x 2 float32: every pixel moving dx px along x."""
    flow = np.zeros((height, width, 2), np.float32)
    flow[..., 0] = dx
    return flow


def test_a_flow_pointing_just_out_of_the_frame_samples_its_edge():
    """At the paper's rim the flow follows a figure moving out; within EDGE_SLACK px it is the edge."""
    xs, ys = sample_maps(_uniform_flow(-(EDGE_SLACK - 1)))
    assert np.all(xs[:, 0] == 0) and np.all(xs[:, 10] == 10 - (EDGE_SLACK - 1))
    assert np.array_equal(ys[:, 0], np.arange(30, dtype=np.float32))
    far, _ = sample_maps(_uniform_flow(-(EDGE_SLACK + 2)))
    assert np.all(far[:, 0] == -(EDGE_SLACK + 2))  # beyond the slack: outside, nothing is carried
