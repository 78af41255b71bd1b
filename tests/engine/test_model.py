"""engine.model: the Colorizer (pad/crop, tiles, line-art input, eval mode) and the default model.

Models are tiny random U-Nets saved with save_generator, as a trained one would be.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from colorize.errors import InputError
from colorize.engine.model import Colorizer, normalize_lineart, resolve_model_path
from colorize.engine.tiling import tiled_apply
from colorize.lineart.recipes import lineart_numpy
from tests.jobs.colorize._models import line_drawing, save_tiny_model, tiny_unet


def test_colorize_batch_keeps_sizes_that_are_not_multiples_of_the_stride(colorizer):
    lineart = torch.rand(2, 1, 142, 250)
    out = colorizer.colorize_batch(lineart)
    assert out.shape == (2, 3, 142, 250)
    assert out.min() >= 0 and out.max() <= 1


def test_tiles_blend_without_seams(colorizer):
    """Forced 64 px tiles give nearly the untiled result; feathering beats hard-cut tiles."""
    lineart = torch.from_numpy(line_drawing(90, 150)).float().div(255)[None, None]  # pads to 96 x 160
    whole = colorizer.colorize_batch(lineart)
    colorizer.tile, colorizer.tile_overlap = 64, 32
    tiled = colorizer.colorize_batch(lineart)
    assert tiled.shape == whole.shape
    feathered_err = (tiled - whole).abs()
    assert feathered_err.max() < 0.05 and feathered_err.mean() < 2e-3
    hard = tiled_apply(colorizer._forward, lineart, tile=64, overlap=0, stride=colorizer.stride)
    assert (hard - whole).abs().mean() > feathered_err.mean()


def test_auto_tiling_above_the_pixel_budget_and_batch_splitting(model_file):
    lineart = torch.rand(2, 1, 64, 96)
    reference = Colorizer.from_file(model_file, device="cpu").colorize_batch(lineart)
    split = Colorizer.from_file(model_file, device="cpu", max_pixels=64 * 96)  # one frame per pass
    assert torch.allclose(split.colorize_batch(lineart), reference, atol=1e-5)
    tiny_budget = Colorizer.from_file(model_file, device="cpu", max_pixels=32 * 32, tile_overlap=16)
    assert tiny_budget.needs_tiles(64, 96)
    assert (tiny_budget.colorize_batch(lineart) - reference).abs().mean() < 0.01


def test_generator_runs_in_eval_mode_so_dropout_does_not_flicker(tmp_path):
    path = save_tiny_model(tmp_path / "g.safetensors", tiny_unet(norm="batch", dropout=0.5))
    colorizer = Colorizer.from_file(path, device="cpu")
    colorizer.generator.train()  # even if someone flipped it, the constructor's eval() must hold...
    colorizer = Colorizer(colorizer.generator, "cpu", stride=16)  # ...once wrapped again
    x = torch.rand(2, 1, 32, 32)
    assert not colorizer.generator.training
    assert torch.equal(colorizer.colorize_batch(x), colorizer.colorize_batch(x))


# ------------------------------------------------------------------------------------- line-art

def test_light_on_dark_lineart_is_inverted():
    art = line_drawing(40, 60)
    normal = torch.from_numpy(art).float().div(255)[None, None]
    inverted = 1.0 - normal
    assert torch.equal(normalize_lineart(inverted), normal)
    assert torch.equal(normalize_lineart(normal), normal)


def test_an_ink_drawing_heavy_with_blacks_goes_through_the_way_it_was_drawn(colorizer):
    art = np.zeros((48, 64), np.uint8)                     # a night sky: mostly black
    cv2.circle(art, (16, 16), 10, 255, -1)                 # a broad white moon and house front
    cv2.rectangle(art, (32, 24), (60, 46), 255, -1)
    cv2.rectangle(art, (40, 30), (48, 38), 0, 1)           # a window drawn in dark line
    assert np.median(art) < 128
    lines, _ = colorizer.colorize_arrays([np.repeat(art[:, :, None], 3, axis=2)], is_lineart=True)
    assert np.array_equal(lines[0], art)                   # not turned into its negative


def test_lineart_input_gives_the_same_colours_either_polarity(colorizer):
    art = np.repeat(line_drawing(48, 64)[:, :, None], 3, axis=2)
    line_a, colour_a = colorizer.colorize_arrays([art], is_lineart=True)
    line_b, colour_b = colorizer.colorize_arrays([255 - art], is_lineart=True)
    assert np.array_equal(line_a[0], art[:, :, 0]) and np.array_equal(line_b[0], art[:, :, 0])
    assert np.array_equal(colour_a[0], colour_b[0])


def test_colour_input_uses_the_models_lineart_recipe(colorizer):
    rgb = (np.random.default_rng(1).random((48, 64, 3)) * 255).astype(np.uint8)
    rgb[10:30, 10:40] = (200, 30, 30)
    lineart, colour = colorizer.colorize_arrays([rgb], is_lineart=False)
    assert np.array_equal(lineart[0], lineart_numpy(rgb, colorizer.lineart_config))
    assert colour[0].shape == (48, 64, 3) and colour[0].dtype == np.uint8


def test_colour_input_without_a_recipe_is_a_clear_error(tmp_path):
    path = save_tiny_model(tmp_path / "g.safetensors", lineart=False)
    colorizer = Colorizer.from_file(path, device="cpu")
    with pytest.raises(InputError, match="--lineart"):
        colorizer.colorize_arrays([np.zeros((32, 32, 3), np.uint8)], is_lineart=False)


def test_colorize_frames_keeps_order_index_and_time_across_size_changes(colorizer):
    from colorize.media.frames import Frame

    sizes = [(32, 48), (32, 48), (40, 40), (32, 48)]
    frames = [Frame(i, i / 10, np.repeat(line_drawing(h, w, i)[:, :, None], 3, 2)) for i, (h, w) in enumerate(sizes)]
    out = list(colorizer.colorize_frames(iter(frames), is_lineart=True, batch_size=3))
    assert [(f.index, f.time, f.image.shape[:2]) for f in out] == [(i, i / 10, s) for i, s in enumerate(sizes)]


# ---------------------------------------------------------------------------------------- model

def test_without_a_model_the_shipped_default_model_is_used():
    from colorize import resources

    assert resolve_model_path(None) == resources.default_model_path()


def test_line_art_input_without_a_model_takes_the_drawings_model_of_the_same_architecture():
    from colorize import resources
    from colorize.nets.files import load_generator

    assert resolve_model_path(None, lineart=True) == resources.drawings_model_path()
    assert resolve_model_path(None, lineart=False) == resources.default_model_path()
    _, drawings = load_generator(resources.drawings_model_path())
    _, default = load_generator(resources.default_model_path())
    assert drawings["architecture"] == default["architecture"] and drawings["takes_reference"]


def test_line_art_input_falls_back_to_the_default_model_without_a_drawings_model(tmp_path, monkeypatch):
    from colorize import resources

    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "generator.safetensors").write_bytes(b"")
    monkeypatch.setattr(resources, "assets_dir", lambda: tmp_path)
    assert resolve_model_path(None, lineart=True) == tmp_path / "model" / "generator.safetensors"


def test_missing_default_model_names_the_path_and_the_way_out(tmp_path, monkeypatch):
    from colorize import resources

    monkeypatch.setattr(resources, "assets_dir", lambda: tmp_path)
    with pytest.raises(InputError, match=r"generator\.safetensors is missing.*--model"):
        resolve_model_path(None)
    with pytest.raises(InputError, match="model file not found"):
        resolve_model_path(tmp_path / "nope.safetensors")
