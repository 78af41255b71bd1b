"""Line-art stage: edges on the toon clips' known outlines, both backends agreeing, streaming, files."""

from __future__ import annotations

import itertools

import cv2
import kornia
import numpy as np
import pytest
import torch

from colorize.config import from_dict
from colorize.data.toon import ToonClip, ToonConfig, write_toon_frames, write_toon_video
from colorize.errors import ConfigError, InputError
from colorize.images import read_rgb
from colorize.jobs.lineart import run_lineart
from colorize.lineart.recipes import (LineArtConfig, hysteresis, iter_lineart, lineart_numpy, lineart_tensor,
                                      thicken_tensor)
from colorize.media.frames import Frame
from colorize.media.video import probe

# The default thresholds also draw the soft edges of the toon backgrounds' blobs (wanted for real
# footage); these higher ones keep only the inked outlines, which the generator knows exactly.
OUTLINES_ONLY = LineArtConfig(low=0.2, high=0.4)


def toon(seed: int = 0, n_frames: int = 4, **kwargs) -> ToonClip:
    return ToonClip(ToonConfig(width=128, height=96, n_frames=n_frames, seed=seed, **kwargs))


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """H x W x 3 uint8 -> 1 x 3 x H x W float in [0, 1]."""
    return torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255.0


def ink_of_tensor(rgb: np.ndarray, cfg: LineArtConfig) -> np.ndarray:
    return lineart_tensor(to_tensor(rgb), cfg)[0, 0].numpy() < 0.5


def ink_of_numpy(rgb: np.ndarray, cfg: LineArtConfig) -> np.ndarray:
    return lineart_numpy(rgb, cfg) == 0


def fraction_near(mask: np.ndarray, target: np.ndarray, radius: int) -> float:
    """Share of `mask` pixels within `radius` pixels (chessboard distance) of a `target` pixel."""
    grown = cv2.dilate(target.astype(np.uint8), np.ones((2 * radius + 1,) * 2, np.uint8)) > 0
    return float((mask & grown).sum()) / max(int(mask.sum()), 1)


def tolerant_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU where a pixel counts as matched when the other mask has one within 1 pixel."""
    matched = fraction_near(a, b, 1) * a.sum() + fraction_near(b, a, 1) * b.sum()
    return float(matched / max(a.sum() + b.sum(), 1))


# ----------------------------------------------------------------------------- config


@pytest.mark.parametrize("bad", [
    {"sigma": -1.0}, {"low": 0.0}, {"low": 0.5, "high": 0.2}, {"high": float("nan")}, {"high": 200.0}, {"thickness": 0},
    {"backend": "cuda"}, {"batch_size": 0},
])
def test_config_rejects_bad_values_with_a_config_error(bad):
    with pytest.raises(ConfigError):
        from_dict(LineArtConfig, bad)


# ----------------------------------------------------------------------------- detector


@pytest.mark.parametrize("draw", [ink_of_numpy, ink_of_tensor], ids=["opencv", "kornia"])
def test_lines_fall_on_the_known_outlines_and_cover_them(draw):
    clip = toon(seed=1)
    for i in (0, 3):
        ink, outline = draw(clip.frame(i), OUTLINES_ONLY), clip.outline_mask(i)
        assert ink.sum() > 300
        assert fraction_near(ink, outline, 1) >= 0.95  # lines lie on outlines
        assert fraction_near(outline, ink, 1) >= 0.85  # and most outline pixels are drawn


def test_default_thresholds_still_mostly_draw_outlines():
    clip = toon(seed=2)
    ink = ink_of_numpy(clip.frame(0), LineArtConfig())
    assert fraction_near(ink, clip.outline_mask(0), 2) >= 0.75


@pytest.mark.parametrize("cfg", [LineArtConfig(), LineArtConfig(sigma=2.0, low=0.05, high=0.15),
                                 LineArtConfig(sigma=0.0, thickness=2)], ids=["default", "blurry", "raw"])
def test_opencv_path_agrees_with_kornia_path(cfg):
    for seed in (0, 3):
        rgb = toon(seed=seed, antialias=True).frame(2)
        assert tolerant_iou(ink_of_numpy(rgb, cfg), ink_of_tensor(rgb, cfg)) >= 0.9


def test_own_hysteresis_equals_kornias_loop():
    noisy = to_tensor(toon(seed=4).frame(1))
    noisy = (noisy + 0.08 * torch.randn(noisy.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    _, graded = kornia.filters.canny(noisy, 0.1, 0.3, hysteresis=False)
    _, expected = kornia.filters.canny(noisy, 0.1, 0.3, hysteresis=True)
    ours = hysteresis(strong=graded == 1.0, weak=graded > 0.0)
    assert ours.sum() < (graded > 0).sum()  # some weak pixels really were dropped
    assert torch.equal(ours, expected.bool())


@pytest.mark.parametrize("thickness", [2, 3, 4])
def test_tensor_thickening_matches_cv2_dilate(thickness):
    ink = ink_of_numpy(toon().frame(0), LineArtConfig())
    ours = thicken_tensor(torch.from_numpy(ink)[None, None], thickness)[0, 0].numpy()
    expected = cv2.dilate(ink.astype(np.uint8), np.ones((thickness, thickness), np.uint8)) > 0
    assert np.array_equal(ours, expected)


def test_thickness_widens_lines():
    rgb = toon().frame(0)
    thin, thick = ink_of_numpy(rgb, LineArtConfig()), ink_of_numpy(rgb, LineArtConfig(thickness=3))
    assert np.all(thick[thin]) and thick.sum() > 2 * thin.sum()


def test_output_contracts():
    rgb = toon().frame(0)
    art = lineart_numpy(rgb, LineArtConfig())
    assert art.shape == rgb.shape[:2] and art.dtype == np.uint8 and set(np.unique(art)) == {0, 255}
    batch = torch.from_numpy(np.stack([rgb, rgb[::-1].copy()])).permute(0, 3, 1, 2)
    paper = lineart_tensor(batch.double() / 255.0, LineArtConfig())
    assert paper.shape == (2, 1, 96, 128) and paper.dtype == torch.float64
    assert set(paper.unique().tolist()) == {0.0, 1.0}
    assert torch.equal(lineart_tensor(batch, LineArtConfig()), paper.float())  # uint8 read as 0..255
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    assert np.array_equal(lineart_numpy(gray, LineArtConfig()), art)  # gray in = same as its RGB


def test_bad_arrays_are_rejected():
    with pytest.raises(ValueError):
        lineart_numpy(np.zeros((8, 8, 4), np.uint8), LineArtConfig())
    with pytest.raises(ValueError):
        lineart_numpy(np.zeros((8, 8, 3), np.float32), LineArtConfig())
    with pytest.raises(ValueError):
        lineart_tensor(torch.zeros(1, 2, 8, 8), LineArtConfig())


# ----------------------------------------------------------------------------- streaming


def frames_of(clip: ToonClip):
    return (Frame(index=i, time=i / 12.0, image=clip.frame(i)) for i in range(len(clip)))


@pytest.mark.parametrize("backend", ["opencv", "kornia"])
def test_repeated_runs_are_identical(backend):
    cfg = LineArtConfig(backend=backend, batch_size=3)
    first = [f.image for f in iter_lineart(frames_of(toon(n_frames=4)), cfg, "cpu")]
    second = [f.image for f in iter_lineart(frames_of(toon(n_frames=4)), cfg, "cpu")]
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_kornia_batch_sizes_1_and_8_give_the_same_frames():
    clip = toon(n_frames=8)
    one = list(iter_lineart(frames_of(clip), LineArtConfig(backend="kornia", batch_size=1), "cpu"))
    eight = list(iter_lineart(frames_of(clip), LineArtConfig(backend="kornia", batch_size=8), "cpu"))
    assert [f.index for f in one] == [f.index for f in eight] == list(range(8))
    assert all(np.array_equal(a.image, b.image) for a, b in zip(one, eight))
    assert one[5].time == pytest.approx(5 / 12.0) and one[5].image.shape == (96, 128)


def test_auto_backend_on_cpu_is_the_opencv_path():
    clip = toon(n_frames=2)
    auto = next(iter_lineart(frames_of(clip), LineArtConfig(), "cpu")).image
    assert np.array_equal(auto, lineart_numpy(clip.frame(0), LineArtConfig()))


def test_kornia_batches_split_where_the_frame_size_changes():
    small, large = toon(n_frames=2), ToonClip(ToonConfig(width=64, height=48, n_frames=2))
    mixed = itertools.chain(frames_of(small), frames_of(large))
    shapes = [f.image.shape for f in iter_lineart(mixed, LineArtConfig(backend="kornia"), "cpu")]
    assert shapes == [(96, 128)] * 2 + [(48, 64)] * 2


def test_frames_are_pulled_lazily_one_batch_at_a_time():
    pulled = []

    def source():
        for frame in frames_of(toon(n_frames=8)):
            pulled.append(frame.index)
            yield frame

    out = iter_lineart(source(), LineArtConfig(backend="kornia", batch_size=3), "cpu")
    next(out)
    assert pulled == [0, 1, 2, 3]  # the first batch plus the frame that showed it was full


# ----------------------------------------------------------------------------- files


@pytest.fixture(scope="module")
def toon_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "toon.mp4"
    return write_toon_video(path, ToonConfig(width=128, height=96, n_frames=6, fps=12.0, tone_hz=440.0))


def test_video_to_png_folder(toon_video, tmp_path):
    out = run_lineart(toon_video, tmp_path / "art", LineArtConfig())
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"frame_{i:06d}.png" for i in range(6)]
    art = read_rgb(out / names[2])[:, :, 0]
    assert art.shape == (96, 128) and (art < 128).mean() > 0.03  # real lines, not a blank page
    assert fraction_near(art < 128, toon(n_frames=6).outline_mask(2), 2) > 0.6  # despite the codec


def test_folder_keeps_relative_names(tmp_path):
    write_toon_frames(tmp_path / "in" / "shot1", ToonConfig(width=64, height=48, n_frames=2))
    write_toon_frames(tmp_path / "in" / "shot2", ToonConfig(width=64, height=48, n_frames=1, seed=5))
    out = run_lineart(tmp_path / "in", tmp_path / "out", LineArtConfig(thickness=2))
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    assert written == ["shot1/frame_000000.png", "shot1/frame_000001.png", "shot2/frame_000000.png"]
    expected = lineart_numpy(read_rgb(tmp_path / "in/shot2/frame_000000.png"), LineArtConfig(thickness=2))
    assert np.array_equal(read_rgb(out / "shot2/frame_000000.png")[:, :, 0], expected)


def test_mp4_output_keeps_fps_frames_and_audio(toon_video, tmp_path):
    out = run_lineart(toon_video, tmp_path / "art.mp4", LineArtConfig())
    info = probe(out)
    assert (info.frame_count, info.width, info.height) == (6, 128, 96)
    assert info.fps == pytest.approx(12.0) and info.has_audio
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_missing_input_and_file_as_output_folder_are_input_errors(toon_video, tmp_path):
    with pytest.raises(InputError, match="not found"):
        run_lineart(tmp_path / "nope.mp4", tmp_path / "out", LineArtConfig())
    (tmp_path / "taken").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        run_lineart(toon_video, tmp_path / "taken", LineArtConfig())


def test_folder_inputs_differing_only_by_suffix_keep_separate_outputs(tmp_path):
    import cv2

    source = tmp_path / "in"
    source.mkdir()
    art = np.full((32, 32, 3), 255, np.uint8)
    cv2.rectangle(art, (8, 8), (24, 24), (0, 0, 0), 2)
    cv2.imwrite(str(source / "a.png"), art)
    cv2.imwrite(str(source / "a.jpg"), art)
    run_lineart(source, tmp_path / "out", LineArtConfig(), "cpu")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.jpg.png", "a.png.png"]
