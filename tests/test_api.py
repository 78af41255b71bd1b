"""The public API (colorize/api.py, re-exported by colorize/__init__.py), and the README's example run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import colorize
from colorize.cli import cli
from colorize.config import to_dict
from colorize.data.toon import ToonConfig, write_toon_frames, write_toon_video
from colorize.errors import InputError
from colorize.images import read_rgb, write_image
from colorize.lineart.recipes import LineArtConfig
from colorize.nets.files import save_generator

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("api")


@pytest.fixture(scope="module")
def model_path(workdir) -> Path:
    """A tiny reference-guided generator with the Canny recipe (random weights)."""
    from colorize.nets.reference import ReferenceUNet

    torch.manual_seed(0)
    net = ReferenceUNet(depth=3, base_channels=8, max_channels=16, norm="none", dropout=0.0, dropout_layers=0,
                        feature_channels=16, feature_stride=4)
    meta = {"architecture": {"name": "reference_unet", "kwargs": net.config}, "stride": net.stride,
            "lineart": to_dict(LineArtConfig(backend="opencv"))}
    return save_generator(workdir / "tiny.safetensors", net, meta)


def readme_example() -> str:
    section = README.read_text().split("## Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs(workdir, model_path, capsys):
    clip_cfg = ToonConfig(width=96, height=64, n_frames=8, fps=8.0, cut_every=0)
    clip = write_toon_video(workdir / "clip.mp4", clip_cfg)
    frames = workdir / "frames"
    write_toon_frames(frames, clip_cfg)
    keys = workdir / "keys"
    write_image(keys / "key_000003.png", read_rgb(frames / "frame_000003.png"))
    names = {"MODEL_PATH": model_path, "CLIP": clip, "KEY": keys / "key_000003.png", "FRAMES": frames,
             "KEYS": keys, "WORK": workdir}
    exec(compile(readme_example(), "README.md", "exec"), names)
    assert "8 frames written" in capsys.readouterr().out
    assert (workdir / "colour.mp4").stat().st_size > 0
    assert len(list((workdir / "colour_frames").glob("*.png"))) == 8


def test_import_is_light_and_the_api_is_re_exported():
    code = ("import sys, colorize; assert 'torch' not in sys.modules; f = colorize.colorize_image; "
            "import colorize.lineart.recipes; assert callable(colorize.draw_lineart); print(sorted(colorize.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "colorize_folder" in out and "load_model" in out
    with pytest.raises(AttributeError):
        colorize.no_such_function  # noqa: B018


def test_colorize_image_takes_arrays_or_paths_and_follows_a_reference(workdir, model_path):
    model = colorize.load_model(model_path, device="cpu")
    image = np.full((40, 56, 3), 255, np.uint8)
    image[10:30, 12:44] = (30, 160, 40)
    write_image(workdir / "drawing.png", image)
    from_array = colorize.colorize_image(image, model)
    assert from_array.shape == (40, 56, 3) and from_array.dtype == np.uint8
    assert np.array_equal(from_array, colorize.colorize_image(workdir / "drawing.png", model_path))
    red, blue = np.full_like(image, (220, 20, 20)), np.full((20, 28, 3), (20, 20, 220), np.uint8)
    with_red, with_blue = (colorize.colorize_image(image, model, reference=r) for r in (red, blue))
    assert not np.array_equal(with_red, with_blue) and not np.array_equal(with_red, from_array)
    lines = colorize.draw_lineart(image)
    assert np.array_equal(colorize.colorize_image(lines, model, lineart=True),
                          colorize.colorize_image(np.repeat(lines[..., None], 3, 2), model, lineart=True))


def test_bad_images_are_one_sentence_input_errors(model_path):
    with pytest.raises(InputError, match="H x W x 3 uint8"):
        colorize.colorize_image(np.zeros((8, 8, 3), np.float32), model_path)
    with pytest.raises(InputError, match="reference must be"):
        colorize.colorize_image(np.zeros((8, 8), np.uint8), model_path, reference=[1, 2, 3])
    with pytest.raises(InputError):
        colorize.draw_lineart("no/such/image.png")


def test_pil_images_are_taken_wherever_an_array_is(workdir, model_path):
    from PIL import Image

    model = colorize.load_model(model_path, device="cpu")
    image = np.random.default_rng(0).integers(0, 255, (32, 48, 3), np.uint8)
    key = np.full((32, 48, 3), (200, 60, 60), np.uint8)
    expected = colorize.colorize_image(image, model, reference=key)
    got = colorize.colorize_image(Image.fromarray(image), model, reference=Image.fromarray(key).convert("RGBA"))
    assert np.array_equal(got, expected)
    assert np.array_equal(colorize.draw_lineart(Image.fromarray(image).convert("L")),
                          colorize.draw_lineart(np.array(Image.fromarray(image).convert("L"))))


def test_wrong_inputs_say_what_was_given_and_what_is_expected(workdir, model_path):
    png = write_image(workdir / "key.png", np.zeros((8, 8, 3), np.uint8))
    cases = [
        (lambda: colorize.colorize_image({}, model_path),
         "image must be a path, a numpy array or a PIL image; got a dict"),
        (lambda: colorize.colorize_image(workdir, model_path), f"image {workdir} is a folder, not an image file"),
        (lambda: colorize.colorize_image("/dev/zero", model_path), "is not a regular file (a device or a pipe)"),
        (lambda: colorize.load_model(png), f"{png} is an image, not a model file"),
        (lambda: colorize.colorize_video("/dev/zero", workdir / "o.mp4", model_path),
         "/dev/zero is not a regular file (a device or a pipe), not a video file"),
        (lambda: colorize.colorize_video(png, workdir / "o.mp4", model_path, reference=np.zeros((8, 8, 3), np.uint8)),
         "got a numpy array -- write an array to an image file first"),
    ]
    for call, message in cases:
        with pytest.raises(InputError) as caught:
            call()
        assert message in str(caught.value)


def test_draw_lineart_methods():
    image = np.full((48, 64, 3), 255, np.uint8)
    image[8:40, 8:56] = (40, 40, 200)
    for method in ("canny", "ink"):
        lines = colorize.draw_lineart(image, method=method)
        assert lines.shape == (48, 64) and lines.dtype == np.uint8
        assert lines[0, 0] == 255 and (lines == 0).any()  # paper, and some ink on the box's edge
    with pytest.raises(ValueError):
        colorize.draw_lineart(image, method="pencil")


def test_the_frames_command_is_the_api(workdir, model_path):
    frames = workdir / "cli_frames"
    write_toon_frames(frames, ToonConfig(width=64, height=48, n_frames=6, seed=3))
    keys = workdir / "cli_keys"
    write_image(keys / "k_2.png", np.full((48, 64, 3), (200, 40, 40), np.uint8))
    result = CliRunner().invoke(cli, ["-q", "frames", str(frames), str(workdir / "cli_out"), "--model",
                                       str(model_path), "--device", "cpu", "--references", str(keys)])
    assert result.exit_code == 0, result.output
    colorize.colorize_folder(frames, workdir / "api_out", model_path, references=keys, device="cpu")
    for path in sorted((workdir / "api_out").glob("*.png")):
        assert np.array_equal(read_rgb(path), read_rgb(workdir / "cli_out" / path.name))
