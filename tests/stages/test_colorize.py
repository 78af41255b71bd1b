"""Colorizer (pad/crop, tiles, line-art input, eval mode), the streaming threads, the folder job and export.

Models are tiny random U-Nets saved with save_generator, as a trained one would be.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from colorize.config import to_dict
from colorize.errors import ColorizeError, InputError
from colorize.gans.checkpoint import save_generator
from colorize.gans.nets.unet import UNetGenerator
from colorize.images import read_rgb
from colorize.stages import colorize as colorize_module
from colorize.stages import colorize_jobs
from colorize.stages.colorize import Colorizer, default_model_path, normalize_lineart, resolve_model_path
from colorize.stages.colorize_jobs import ColorizeOptions, colorize_folder, output_paths, plan_folder
from colorize.stages.lineart import LineArtConfig, lineart_numpy
from colorize.stages.threads import BackgroundSink, prefetch
from colorize.stages.tiling import pad_to_multiple, tile_starts, tiled_apply


def tiny_unet(norm: str = "none", dropout: float = 0.0) -> UNetGenerator:
    """depth 4 (stride 16), 8 base channels: a few thousand parameters."""
    return UNetGenerator(depth=4, base_channels=8, max_channels=32, norm=norm, dropout=dropout,
                         dropout_layers=2 if dropout else 0)


def save_tiny_model(path: Path, net: UNetGenerator | None = None, lineart: bool = True) -> Path:
    net = net or tiny_unet()
    meta = {"architecture": {"name": "unet", "kwargs": net.config}, "stride": net.stride}
    if lineart:
        meta["lineart"] = to_dict(LineArtConfig(backend="opencv"))
    return save_generator(path, net, meta)


@pytest.fixture
def model_file(tmp_path) -> Path:
    return save_tiny_model(tmp_path / "generator.safetensors")


@pytest.fixture
def colorizer(model_file) -> Colorizer:
    return Colorizer.from_file(model_file, device="cpu")


def line_drawing(height: int, width: int, seed: int = 0) -> np.ndarray:
    """H x W uint8 line-art: white paper with a few black rectangles' outlines and lines."""
    rng = np.random.default_rng(seed)
    img = np.full((height, width), 255, np.uint8)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, width - 10)), int(rng.integers(0, height - 10))
        x1, y1 = int(rng.integers(x0 + 5, width)), int(rng.integers(y0 + 5, height))
        cv2.rectangle(img, (x0, y0), (x1, y1), 0, 1)
    return img


# ---------------------------------------------------------------------------------------- tiling

def test_tile_starts_cover_the_length_with_full_tiles_and_the_overlap():
    starts = tile_starts(300, tile=128, overlap=32)
    assert starts[0] == 0 and starts[-1] == 300 - 128
    assert all(b - a <= 128 - 32 for a, b in zip(starts, starts[1:]))  # neighbours overlap >= 32
    assert tile_starts(100, tile=128, overlap=32) == [0]


def test_an_overlap_as_large_as_the_tile_is_capped_not_a_tile_per_pixel():
    calls = []

    def identity(x):
        calls.append(x.shape[-2:])
        return x

    x = torch.rand(1, 1, 100, 130)
    out = tiled_apply(identity, x, tile=64, overlap=64, stride=16)  # overlap capped to 32
    assert len(calls) == 3 * 4  # 112 x 144 padded: starts 0, 32, 48 (rows) and 0, 32, 64, 80 (cols)
    assert all(tuple(c) == (64, 64) for c in calls)
    assert torch.allclose(out, x, atol=1e-6)  # weights are normalised: identity stays identity


def test_pad_to_multiple_reflects_and_falls_back_to_replicate_on_tiny_images():
    x = torch.arange(2 * 1 * 5 * 7, dtype=torch.float32).view(2, 1, 5, 7)
    padded, (h, w) = pad_to_multiple(x, 4)
    assert padded.shape[-2:] == (8, 8) and (h, w) == (5, 7)
    assert torch.equal(padded[..., :5, :7], x)
    assert torch.equal(padded[..., 5, :7], x[..., 3, :])  # reflect: row 5 mirrors row 3
    tiny, _ = pad_to_multiple(torch.rand(1, 1, 3, 3), 16)  # pad 13 > side 3: reflect impossible
    assert tiny.shape[-2:] == (16, 16)


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
    from colorize.stages.extract import Frame

    sizes = [(32, 48), (32, 48), (40, 40), (32, 48)]
    frames = [Frame(i, i / 10, np.repeat(line_drawing(h, w, i)[:, :, None], 3, 2)) for i, (h, w) in enumerate(sizes)]
    out = list(colorizer.colorize_frames(iter(frames), is_lineart=True, batch_size=3))
    assert [(f.index, f.time, f.image.shape[:2]) for f in out] == [(i, i / 10, s) for i, s in enumerate(sizes)]


# ---------------------------------------------------------------------------------------- model

def test_default_model_is_resolved_from_the_repo_root():
    import colorize

    expected = Path(colorize.__file__).resolve().parents[1] / "samples" / "model" / "generator.safetensors"
    assert default_model_path() == expected


def test_missing_default_model_names_the_path_and_the_way_out(tmp_path, monkeypatch):
    monkeypatch.setattr(colorize_module, "repo_root", lambda: tmp_path)
    with pytest.raises(InputError, match=r"generator\.safetensors is missing.*--model"):
        resolve_model_path(None)
    with pytest.raises(InputError, match="model file not found"):
        resolve_model_path(tmp_path / "nope.safetensors")


# -------------------------------------------------------------------------------------- threads

def test_prefetch_reraises_the_producers_exception_unchanged():
    class Boom(Exception):
        pass

    def produce():
        yield 1
        yield 2
        raise Boom("decoder died")

    seen = []
    with pytest.raises(Boom, match="decoder died"):
        for item in prefetch(produce(), maxsize=1):
            seen.append(item)
    assert seen == [1, 2]


def test_prefetch_stays_bounded_and_stops_the_producer_when_abandoned():
    produced = []
    closed = threading.Event()

    def produce():
        try:
            for i in range(1000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    it = prefetch(produce(), maxsize=2)
    assert next(it) == 0
    time.sleep(0.3)
    assert len(produced) <= 4  # one consumed, two queued, one waiting to be put
    it.close()
    assert closed.wait(2.0)


def test_background_sink_reraises_the_consumers_exception():
    def consume(item):
        if item == 3:
            raise ValueError("encoder died")

    with pytest.raises(ValueError, match="encoder died"):
        with BackgroundSink(consume, maxsize=1) as sink:
            for i in range(100):
                sink.put(i)


def test_background_sink_consumes_everything_in_order():
    seen = []
    with BackgroundSink(seen.append, maxsize=2) as sink:
        for i in range(50):
            sink.put(i)
    assert seen == list(range(50))


# --------------------------------------------------------------------------------------- folder

def write_mixed_folder(root: Path) -> list[Path]:
    """Line-art images of several sizes, formats and pixel types, in nested folders."""
    art = line_drawing(48, 64)
    files = {
        "a.png": art,
        "sub/b.jpg": cv2.cvtColor(art, cv2.COLOR_GRAY2BGR),
        "sub/c.webp": cv2.cvtColor(line_drawing(40, 56, 2), cv2.COLOR_GRAY2BGR),
        "sub/deeper/d_rgba.png": np.dstack([cv2.cvtColor(art, cv2.COLOR_GRAY2BGR), np.full_like(art, 255)]),
        "e16.png": line_drawing(36, 52, 3).astype(np.uint16) * 257,
        "f_gray_inverted.png": 255 - line_drawing(48, 64, 4),
    }
    paths = []
    for rel, img in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(path), img)
        paths.append(path)
    return paths


def digest(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_folder_job_killed_midway_resumes_without_redoing_or_losing_work(tmp_path, model_file, monkeypatch):
    inputs = write_mixed_folder(tmp_path / "in")
    before = digest(inputs)
    out = tmp_path / "out"
    options = ColorizeOptions(model=model_file, device="cpu", is_lineart=True, batch_size=2)

    real_write = colorize_jobs.write_image
    written: list[Path] = []

    def dying_write(path, rgb):
        if len(written) == 2:
            raise KeyboardInterrupt  # the job is killed after two outputs
        written.append(Path(path))
        return real_write(path, rgb)

    monkeypatch.setattr(colorize_jobs, "write_image", dying_write)
    with pytest.raises(KeyboardInterrupt):
        colorize_folder(tmp_path / "in", out, options)
    first_run = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(first_run) == 2 and all(not p.name.startswith(".") for p in first_run)
    stamps = {p: p.stat().st_mtime_ns for p in first_run}

    monkeypatch.setattr(colorize_jobs, "write_image", real_write)
    summary = colorize_folder(tmp_path / "in", out, options)
    assert (summary.assigned, summary.written, summary.skipped) == (6, 4, 2)
    outputs = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert outputs == sorted(["a.png", "e16.png", "f_gray_inverted.png", "sub/b.png", "sub/c.png",
                              "sub/deeper/d_rgba.png"])
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())  # finished work was not redone
    assert read_rgb(out / "sub/c.png").shape == (40, 56, 3)
    assert read_rgb(out / "e16.png").shape == (36, 52, 3)
    assert digest(inputs) == before
    again = colorize_folder(tmp_path / "in", out, options)
    assert (again.written, again.skipped) == (0, 6)


def test_ranks_share_the_folder_without_overlap(tmp_path):
    write_mixed_folder(tmp_path / "in")
    shares = [plan_folder(tmp_path / "in", tmp_path / "out", rank, 3) for rank in range(3)]
    sources = [s for share in shares for s, _ in share]
    assert len(sources) == len(set(sources)) == 6
    assert all(len(share) == 2 for share in shares)


def test_colorize_folder_takes_the_rank_from_torchrun_env(tmp_path, model_file, monkeypatch):
    write_mixed_folder(tmp_path / "in")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    options = ColorizeOptions(model=model_file, device="cpu", is_lineart=True)
    summary = colorize_folder(tmp_path / "in", tmp_path / "out", options)
    assert (summary.rank, summary.world_size, summary.assigned) == (1, 2, 3)
    assert len([p for p in (tmp_path / "out").rglob("*.png")]) == 3


def test_inputs_differing_only_by_suffix_get_distinct_outputs(tmp_path):
    files = [tmp_path / "in" / "a.jpg", tmp_path / "in" / "a.png", tmp_path / "in" / "b.png"]
    targets = output_paths(tmp_path / "in", tmp_path / "out", files)
    assert len(set(targets.values())) == 3
    assert targets[files[2]] == tmp_path / "out" / "b.png"


# --------------------------------------------------------------------------------------- export

@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.load is deprecated in torch 2.13
def test_torchscript_export_matches_the_generator(tmp_path, model_file):
    from colorize.stages.export import export_generator
    from colorize.gans.checkpoint import load_generator

    out = export_generator(model_file, tmp_path / "g.pt")
    scripted = torch.jit.load(str(out))
    net, _ = load_generator(model_file)
    x = torch.rand(2, 1, 48, 80) * 2 - 1  # another batch and size than the tracing example
    with torch.no_grad():
        assert torch.allclose(scripted(x), net(x), atol=1e-5)


def test_onnx_export_without_the_extra_names_the_install_line(tmp_path, model_file, monkeypatch):
    import sys

    from colorize.stages.export import export_generator

    monkeypatch.setitem(sys.modules, "onnxscript", None)  # makes `import onnxscript` fail
    with pytest.raises(ColorizeError, match=r'pip install "colorize\[export\]"'):
        export_generator(model_file, tmp_path / "g.onnx")
    assert not (tmp_path / "g.onnx").exists()
