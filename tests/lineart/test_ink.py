"""The ink line-art recipe: one line per drawn stroke, solid blacks kept, selected through LineArtConfig."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from colorize.config import ConfigError, from_dict, to_dict
from colorize.data.toon import ToonClip, ToonConfig
from colorize.engine.model import _lineart_config
from colorize.lineart.ink import InkConfig, ink_lineart
from colorize.lineart.recipes import LineArtConfig, choose_backend, lineart_numpy, lineart_tensor

INK = LineArtConfig(method="ink")


def ring(width: int = 7) -> np.ndarray:
    """96 x 96 RGB: a dark circle stroke `width` px wide (anti-aliased) on white paper."""
    image = np.full((96, 96, 3), 255, np.uint8)
    cv2.circle(image, (48, 48), 30, (20, 15, 10), width, cv2.LINE_AA)
    return image


def ink_runs(row: np.ndarray) -> int:
    """How many separate runs of ink (0) a row of line-art holds."""
    ink = row < 128
    return int(ink[0]) + int((ink[1:] & ~ink[:-1]).sum())


def test_a_thick_stroke_gives_one_line_across_not_two():
    drawn = lineart_numpy(ring(7), INK)
    canny = lineart_numpy(ring(7), LineArtConfig())
    left_half = slice(0, 48)  # crosses the ring once, at x ~ 18
    assert ink_runs(drawn[48, left_half]) == 1
    assert ink_runs(canny[48, left_half]) == 2  # what the ink recipe fixes: Canny traces both sides
    across = np.nonzero(drawn[48, left_half] < 128)[0]
    assert 5 <= len(across) <= 9  # the stroke's own width, not a hairline and not a blob


def test_a_solid_black_fill_is_kept_whole():
    image = np.full((80, 80, 3), 255, np.uint8)
    cv2.ellipse(image, (40, 40), (20, 14), 0, 0, 360, (8, 8, 8), -1, cv2.LINE_AA)
    inside = np.zeros((80, 80), np.uint8)
    cv2.ellipse(inside, (40, 40), (18, 12), 0, 0, 360, 1, -1)
    drawn = lineart_numpy(image, INK)
    assert (drawn[inside > 0] == 0).all()
    assert (lineart_numpy(image, LineArtConfig())[inside > 0] == 255).mean() > 0.9  # Canny: outline only


def test_a_dark_saturated_fill_is_not_ink_but_its_boundary_is_a_line():
    image = np.full((64, 64, 3), 255, np.uint8)
    image[16:48, 16:48] = (20, 20, 200)  # dark in luminance, bright in its blue channel
    drawn = lineart_numpy(image, INK)
    assert (drawn[20:44, 20:44] == 255).all()
    assert ink_runs(drawn[32, :32]) == 1  # the colour boundary, once


def test_paper_stays_paper_and_output_is_uint8_paper_255():
    drawn = lineart_numpy(np.full((32, 48, 3), 250, np.uint8), INK)
    assert drawn.shape == (32, 48) and drawn.dtype == np.uint8
    assert (drawn == 255).all()


def test_deterministic_and_gray_input_accepted():
    frame = ToonClip(ToonConfig(width=96, height=64, outline_px=3, antialias=True)).frame(2)
    assert np.array_equal(lineart_numpy(frame, INK), lineart_numpy(frame.copy(), INK))
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    assert lineart_numpy(gray, INK).shape == gray.shape


def test_thickness_dilates_the_ink():
    thin, thick = lineart_numpy(ring(3), INK), lineart_numpy(ring(3), LineArtConfig(method="ink", thickness=3))
    assert (thick == 0).sum() > (thin == 0).sum()
    assert ((thin == 0) <= (thick == 0)).all()


def test_toon_outlines_are_found_as_ink():
    clip = ToonClip(ToonConfig(width=128, height=96, outline_px=2))
    drawn = lineart_numpy(clip.frame(0), LineArtConfig(method="ink", ink=InkConfig(edges=False)))
    outline = clip.outline_mask(0)
    assert (drawn[outline] == 0).mean() > 0.95
    assert (drawn[~outline] == 255).mean() > 0.99


def test_tensor_path_draws_the_same_ink():
    frame = ToonClip(ToonConfig(width=64, height=48, outline_px=3)).frame(1)
    batch = torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255.0
    tensor = lineart_tensor(batch, LineArtConfig(method="ink", backend="kornia"))
    assert tensor.shape == (1, 1, 48, 64)
    assert np.array_equal((tensor[0, 0] * 255).round().byte().numpy(), lineart_numpy(frame, INK))
    assert choose_backend(LineArtConfig(method="ink", backend="kornia"), torch.device("cuda")) == "opencv"


def test_a_saved_recipe_without_method_loads_as_canny():
    old = {"sigma": 1.0, "low": 0.1, "high": 0.2, "thickness": 1, "backend": "auto", "batch_size": 8}
    loaded = _lineart_config({"lineart": old}, Path("old.safetensors"))
    assert loaded.method == "canny" and loaded == LineArtConfig()
    assert from_dict(LineArtConfig, to_dict(INK)) == INK  # the ink recipe round-trips through the model file


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="method"):
        from_dict(LineArtConfig, {"method": "sketch"})
    with pytest.raises(ConfigError, match="dark"):
        from_dict(LineArtConfig, {"method": "ink", "ink": {"dark": 0.9, "dark_max": 0.5}})
    with pytest.raises(ValueError, match="uint8"):
        ink_lineart(np.zeros((8, 8, 3), np.float32), InkConfig())


def test_the_colorize_stage_draws_a_models_ink_recipe_from_colour_frames():
    from colorize.engine.model import Colorizer

    frames = np.stack([ToonClip(ToonConfig(width=64, height=48, outline_px=3)).frame(i) for i in range(2)])
    colorizer = Colorizer(torch.nn.Conv2d(1, 3, 1), "cpu", lineart_config=INK)
    drawn = colorizer.lineart_of(frames, is_lineart=False)
    expected = np.stack([lineart_numpy(f, INK) for f in frames])
    assert np.array_equal((drawn[:, 0] * 255).round().byte().numpy(), expected)


@pytest.mark.parametrize("few", [0, 10_000])
def test_specks_are_dropped_the_same_whether_few_or_many(monkeypatch, few):
    """drop_specks erases a few specks box by box and many by one lookup: the same mask either way."""
    from colorize.lineart import ink as ink_module

    rng = np.random.default_rng(3)
    mask = rng.random((80, 120)) > 0.93           # scattered specks of 1-3 pixels
    mask[20:30, 40:70] = True                       # and a stroke that stays
    keep = ink_module.drop_specks(mask, 3)
    monkeypatch.setattr(ink_module, "_FEW_SPECKS", few)
    assert np.array_equal(ink_module.drop_specks(mask, 3), keep)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=8)
    big = stats[:, cv2.CC_STAT_AREA] >= 3
    big[0] = False
    assert np.array_equal(keep, big[labels])
