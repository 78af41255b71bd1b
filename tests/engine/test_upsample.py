"""The working-resolution helpers: sizes, and colour upsampled under full-resolution lines."""

import cv2
import numpy as np
import pytest

from colorize.engine.upsample import line_guided_upsample, working_size

RED, BLUE = (220, 40, 40), (40, 60, 220)


def split_by_line(height: int, width: int, line_x: int, thickness: int = 2):
    """Line-art with one vertical line at line_x, and the true colours: red left of it, blue right."""
    lineart = np.full((height, width), 255, np.uint8)
    lineart[:, line_x:line_x + thickness] = 0
    truth = np.zeros((height, width, 3), np.uint8)
    truth[:, :line_x] = RED
    truth[:, line_x:] = BLUE
    return lineart, truth


def test_working_size_keeps_aspect_and_small_frames():
    assert working_size(720, 1280, 512) == (288, 512)
    assert working_size(101, 37, 50) == (50, 18)
    assert working_size(100, 60, 128) == (100, 60)  # smaller than size: unchanged
    assert working_size(720, 1280, 0) == (720, 1280)  # 0: full resolution
    with pytest.raises(ValueError):
        working_size(10, 10, -1)


def test_colour_edges_stay_on_the_line():
    lineart, truth = split_by_line(96, 128, line_x=53)
    small = cv2.resize(truth, (32, 24), interpolation=cv2.INTER_AREA)  # 1/4 size: a mixed band at the line
    plain = cv2.resize(small, (128, 96), interpolation=cv2.INTER_LINEAR)
    result = line_guided_upsample(small, lineart)
    paper = lineart == 255
    error = np.abs(result.astype(int) - truth.astype(int)).max(axis=2)
    plain_error = np.abs(plain.astype(int) - truth.astype(int)).max(axis=2)
    assert plain_error[paper].max() > 60  # bilinear alone bleeds across the line
    # every paper pixel, right up to the line, has its own side's colour
    assert error[paper].max() <= 12
    mixed_columns = np.nonzero(error.max(axis=0) > 12)[0]
    assert set(mixed_columns) <= {53, 54}  # only the line itself (2 px) may be mixed


def test_a_narrow_region_between_lines_keeps_its_own_colour():
    lineart = np.full((64, 64), 255, np.uint8)
    lineart[:, 30] = 0
    lineart[:, 36] = 0  # a 5 px strip, thinner than the upsampling's reach
    truth = np.zeros((64, 64, 3), np.uint8)
    truth[:, :30], truth[:, 30:37], truth[:, 37:] = RED, (40, 200, 40), BLUE
    small = cv2.resize(truth, (32, 32), interpolation=cv2.INTER_AREA)
    result = line_guided_upsample(small, lineart)
    # the strip takes its own (mixed, greenish) mean, not a neighbour's red or blue
    strip = result[:, 31:36].reshape(-1, 3).astype(int)
    assert np.all(strip[:, 1] > strip[:, 0]) and np.all(strip[:, 1] > strip[:, 2])
    assert np.abs(result[:, :28].astype(int) - RED).max() <= 12
    assert np.abs(result[:, 39:].astype(int) - BLUE).max() <= 12


@pytest.mark.parametrize("shape", [(97, 131), (33, 65), (8, 7)])
def test_output_size_is_exact_for_odd_sizes(shape):
    rng = np.random.default_rng(0)
    lineart = np.where(rng.random(shape) < 0.1, 0, 255).astype(np.uint8)
    small = rng.integers(0, 256, (max(1, shape[0] // 3), max(1, shape[1] // 3), 3), dtype=np.uint8)
    result = line_guided_upsample(small, lineart)
    assert result.shape == (*shape, 3) and result.dtype == np.uint8
    floats = line_guided_upsample(small.astype(np.float32) / 255, lineart)
    assert floats.shape == (*shape, 3) and floats.dtype == np.float32


def test_same_size_is_unchanged():
    rng = np.random.default_rng(1)
    colour = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    lineart = np.where(rng.random((20, 30)) < 0.2, 0, 255).astype(np.uint8)
    assert np.array_equal(line_guided_upsample(colour, lineart), colour)


def test_all_line_frame_falls_back_to_bilinear():
    lineart = np.zeros((16, 16), np.uint8)
    small = np.full((4, 4, 3), 100, np.uint8)
    assert np.array_equal(line_guided_upsample(small, lineart), np.full((16, 16, 3), 100, np.uint8))


# --------------------------------------------------------------- the Colorizer's working resolution

def _lineart_tensor(height: int, width: int, seed: int = 0):
    import torch

    from tests.jobs.colorize._models import line_drawing

    return torch.from_numpy(line_drawing(height, width, seed)).float().div(255)[None, None]


def test_a_frame_smaller_than_the_working_size_is_unchanged(colorizer):
    lineart = _lineart_tensor(48, 80)
    full = colorizer.colorize_batch(lineart, size=0)
    assert np.array_equal(colorizer.colorize_batch(lineart, size=80).numpy(), full.numpy())
    assert np.array_equal(colorizer.colorize_batch(lineart, size=512).numpy(), full.numpy())


def test_working_size_runs_the_generator_small_and_returns_full_size(colorizer, monkeypatch):
    seen = []
    forward = colorizer._forward
    monkeypatch.setattr(colorizer, "_forward", lambda x: seen.append(tuple(x.shape[-2:])) or forward(x))
    lineart = _lineart_tensor(97, 131)
    colour = colorizer.colorize_batch(lineart.expand(2, -1, -1, -1), size=64)
    assert colour.shape == (2, 3, 97, 131)
    assert seen == [(48, 64)]  # 47 x 64 padded to the stride (16)
    assert float(colour.min()) >= 0.0 and float(colour.max()) <= 1.0
