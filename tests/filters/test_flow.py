"""The filters' shared helpers (colorize.filters.flow): the fast wide low-pass."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from colorize.data.toon import ToonClip, ToonConfig
from colorize.filters.flow import lowpass


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
