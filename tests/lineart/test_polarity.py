"""colorize.lineart.polarity: light lines on a dark ground are told from ink drawings heavy with blacks."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from colorize.engine.model import normalize_lineart
from colorize.lineart.polarity import light_on_dark, stroke_share


def as_tensor(*images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.stack(images)).float()[:, None] / 255


def chalk(height: int, width: int, thickness: int, seed: int = 0) -> np.ndarray:
    """Light lines of `thickness` px on a black ground (a chalk drawing, a negative)."""
    rng = np.random.default_rng(seed)
    art = np.zeros((height, width), np.uint8)
    for _ in range(8):
        p = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        q = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.line(art, p, q, 255, thickness)
    return art


def night_scene(height: int, width: int) -> np.ndarray:
    """An ink drawing heavy with blacks: a black sky over two broad white shapes drawn in dark
    outline (a moon, a house front), so more than half the frame is black but the paper is areas."""
    art = np.zeros((height, width), np.uint8)
    cv2.circle(art, (width // 4, height // 3), height // 5, 255, -1)
    cv2.rectangle(art, (width // 2, height // 2), (width - width // 8, height - 4), 255, -1)
    cv2.rectangle(art, (width // 2 + 10, height // 2 + 10), (width // 2 + 30, height // 2 + 30), 0, 2)
    cv2.circle(art, (width // 4, height // 3), height // 10, 0, 2)
    return art


def test_light_lines_on_dark_are_light_on_dark_at_any_size():
    for thickness in (1, 3, 5):
        art = chalk(256, 384, thickness)
        assert np.median(art) < 128
        assert bool(light_on_dark(as_tensor(art))[0]), thickness
    big = chalk(1024, 1536, 12)       # the same drawing at 4x: strokes are judged at a working size
    assert bool(light_on_dark(as_tensor(big))[0])


def test_an_ink_drawing_heavy_with_blacks_is_not_taken_for_a_negative():
    art = night_scene(256, 384)
    assert np.median(art) < 128                        # the old median rule inverted it
    assert float(stroke_share(as_tensor(art))[0]) < 0.2
    assert not bool(light_on_dark(as_tensor(art))[0])
    x = as_tensor(art)
    assert torch.equal(normalize_lineart(x), x)        # kept the way round it was drawn


def test_each_image_of_a_batch_is_judged_alone():
    paper = 255 - chalk(128, 128, 1, seed=2)            # dark lines on white paper
    batch = as_tensor(paper, chalk(128, 128, 1, seed=3), night_scene(128, 128))
    assert light_on_dark(batch).tolist() == [False, True, False]
    out = normalize_lineart(batch)
    assert torch.equal(out[0], batch[0]) and torch.equal(out[1], 1 - batch[1]) and torch.equal(out[2], batch[2])


def test_key_coverage_reads_line_art_the_same_way_round():
    from colorize.jobs.keys.coverage import KeysConfig, small_lineart

    cfg = KeysConfig(lineart=True)
    scene = night_scene(128, 192)
    assert np.array_equal(small_lineart(scene, cfg), small_lineart(np.repeat(scene[..., None], 3, 2), cfg))
    assert small_lineart(scene, cfg).mean() < 128                      # not inverted
    assert small_lineart(chalk(128, 192, 1), cfg).mean() > 128         # inverted to paper
