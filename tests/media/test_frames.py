"""media.frames: folders of images as Frame streams (sorted, converted to RGB, one size)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from colorize.errors import InputError
from colorize.media.frames import iter_folder


def test_iter_folder_reads_sorted_images_and_converts_formats(tmp_path):
    rgb = np.zeros((12, 16, 3), np.uint8)
    rgb[..., 0] = 200  # red in RGB
    cv2.imwrite(str(tmp_path / "b_rgb.png"), rgb[..., ::-1])
    rgba = np.zeros((12, 16, 4), np.uint8)  # fully transparent: composited over white paper
    cv2.imwrite(str(tmp_path / "c_rgba.png"), rgba)
    cv2.imwrite(str(tmp_path / "a_gray.png"), np.full((12, 16), 100, np.uint8))
    cv2.imwrite(str(tmp_path / "d_16bit.png"), np.full((12, 16, 3), 65535, np.uint16))
    frames = list(iter_folder(tmp_path, fps=4.0))
    assert [f.index for f in frames] == [0, 1, 2, 3]
    assert [f.time for f in frames] == [0.0, 0.25, 0.5, 0.75]
    assert all(f.image.shape == (12, 16, 3) and f.image.dtype == np.uint8 for f in frames)
    assert frames[0].image[0, 0].tolist() == [100, 100, 100]
    assert frames[1].image[0, 0].tolist() == [200, 0, 0]
    assert frames[2].image[0, 0].tolist() == [255, 255, 255]
    assert frames[3].image[0, 0].tolist() == [255, 255, 255]


def test_iter_folder_rejects_mixed_sizes_naming_the_file(tmp_path):
    cv2.imwrite(str(tmp_path / "f0.png"), np.zeros((12, 16, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "f1.png"), np.zeros((10, 16, 3), np.uint8))
    with pytest.raises(InputError, match=r"f1\.png is 16x10 but f0\.png is 16x12"):
        list(iter_folder(tmp_path))
    resized = list(iter_folder(tmp_path, size=(8, 6)))  # an explicit size accepts both
    assert [f.image.shape for f in resized] == [(6, 8, 3), (6, 8, 3)]


def test_iter_folder_rejects_an_empty_folder(tmp_path):
    with pytest.raises(InputError, match="no images"):
        list(iter_folder(tmp_path))
