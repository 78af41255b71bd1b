"""`colorize video`, `colorize frames` and `colorize export` end to end, with a tiny random U-Net file.

Most runs go through colorize.cli.main in-process (the same code path as the console script, minus
the interpreter start-up); one error path runs `python -m colorize` in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from colorize.cli import main
from colorize.config import to_dict
from colorize.data.toon import ToonConfig, write_toon_video
from colorize.engine import model as colorize_module
from colorize.lineart.recipes import LineArtConfig
from colorize.media.encode import write_video
from colorize.media.video import iter_frames, probe
from colorize.nets.files import GENERATOR_FORMAT, load_generator, save_generator
from colorize.nets.unet import UNetGenerator


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("video_cli")


@pytest.fixture(scope="module")
def model(workdir) -> Path:
    torch.manual_seed(0)
    # norm="none": tiles see exactly what the whole frame sees, so tiled and untiled are comparable.
    net = UNetGenerator(depth=4, base_channels=8, max_channels=32, norm="none", dropout=0.0, dropout_layers=0)
    meta = {"architecture": {"name": "unet", "kwargs": net.config}, "stride": net.stride,
            "lineart": to_dict(LineArtConfig(backend="opencv"))}
    return save_generator(workdir / "generator.safetensors", net, meta)


@pytest.fixture(scope="module")
def clip(workdir) -> Path:
    """250 x 142 (not a multiple of the stride 16), 6 frames at 12 fps, with a tone as audio."""
    cfg = ToonConfig(width=250, height=142, n_frames=6, fps=12.0, tone_hz=440.0)
    return write_toon_video(workdir / "clip.mp4", cfg)


@pytest.fixture(scope="module")
def colorized(workdir, clip, model) -> Path:
    out = workdir / "colour.mp4"
    code, _, err = run_main(["-q", "video", str(clip), "-o", str(out), "--model", str(model), "--device", "cpu"])
    assert code == 0, err
    return out


def run_main(args: list[str]) -> tuple[int, str, str]:
    """Run the console entry point in-process; returns (exit code, stdout, stderr)."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        with pytest.raises(SystemExit) as exit_info:
            main(args)
    return int(exit_info.value.code or 0), out.getvalue(), err.getvalue()


def first_frame(path: Path) -> np.ndarray:
    return next(iter_frames(path)).image.astype(np.int16)


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 1, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0]


# ------------------------------------------------------------------------------------------ video

def test_video_keeps_frame_count_fps_size_and_audio(clip, colorized):
    source, result = probe(clip), probe(colorized)
    assert (result.frame_count, result.fps, result.width, result.height) == \
           (source.frame_count, source.fps, source.width, source.height)
    assert result.has_audio
    assert abs(result.duration - source.duration) < 0.1


def test_side_by_side_with_forced_tiles_shows_the_same_colours_without_seams(workdir, clip, model, colorized):
    out = workdir / "sbs.mp4"
    code, stdout, err = run_main(["-q", "video", str(clip), "-o", str(out), "--model", str(model),
                                  "--device", "cpu", "--side-by-side", "--tile", "128", "--batch-size", "3"])
    assert code == 0, err
    assert f"wrote {out}" in stdout
    info = probe(out)
    assert (info.width, info.height, info.frame_count) == (3 * 250, 142, 6)
    panels = first_frame(out)
    middle = panels[:, 250:500]
    assert np.abs(middle - first_frame(colorized)).mean() < 3.0  # tiled == untiled up to x264 noise
    lineart = panels[:, :250]
    assert np.abs(lineart[..., 0] - lineart[..., 1]).max() <= 8  # the line-art panel is gray
    assert np.abs(panels[:, 500:] - first_frame(clip)).mean() < 3.0  # the original on the right


def test_lineart_video_light_on_dark_is_inverted(workdir, model):
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(4):
        art = np.full((48, 64), 255, np.uint8)
        for _ in range(4):
            x, y = int(rng.integers(0, 50)), int(rng.integers(0, 34))
            cv2.rectangle(art, (x, y), (x + 12, y + 12), 0, 2)
        frames.append(art)
    dark_on_light = write_video(iter(frames), workdir / "art.mp4", fps=8, crf=0)
    light_on_dark = write_video((255 - f for f in frames), workdir / "art_inv.mp4", fps=8, crf=0)
    outs = []
    for source in (dark_on_light, light_on_dark):
        out = workdir / f"{source.stem}_colour.mp4"
        code, _, err = run_main(["-q", "video", str(source), "-o", str(out), "--model", str(model),
                                 "--device", "cpu", "--lineart"])
        assert code == 0, err
        outs.append(first_frame(out))
    assert np.abs(outs[0] - outs[1]).mean() < 2.0


# ----------------------------------------------------------------------------------- keyframes

@pytest.fixture(scope="module")
def reference_model(workdir) -> Path:
    from colorize.nets.reference import ReferenceUNet

    torch.manual_seed(0)
    net = ReferenceUNet(depth=3, base_channels=8, max_channels=16, norm="none", dropout=0.0, dropout_layers=0,
                        feature_channels=16, feature_stride=4)
    meta = {"architecture": {"name": "reference_unet", "kwargs": net.config}, "stride": net.stride,
            "lineart": to_dict(LineArtConfig(backend="opencv"))}
    return save_generator(workdir / "reference.safetensors", net, meta)


@pytest.fixture(scope="module")
def cut_clip(workdir) -> Path:
    """100 x 60, 12 frames at 10 fps with a hard cut at frame 6 (the detector's shortest shot) and audio."""
    return write_toon_video(workdir / "cut.mp4", ToonConfig(width=100, height=60, n_frames=12, fps=10.0,
                                                            cut_every=6, tone_hz=330.0))


@pytest.fixture(scope="module")
def keyframes(workdir) -> Path:
    folder = workdir / "keys"
    folder.mkdir()
    for number, bgr in ((0, (30, 30, 220)), (6, (220, 30, 30))):
        cv2.imwrite(str(folder / f"frame_{number:06d}.png"), np.full((60, 100, 3), bgr, np.uint8))
    return folder


@pytest.mark.parametrize("flags", [["--reference", "keys/frame_000000.png"], ["--references", "keys"],
                                   ["--no-self-reference"], ["--references", "keys", "--smooth", "0.5"]])
def test_reference_modes_keep_frame_count_fps_size_and_audio(workdir, cut_clip, reference_model, keyframes, flags):
    out = workdir / f"ref_{len(flags)}_{flags[0].strip('-')}.mp4"
    flags = [str(workdir / f) if f.startswith("keys") else f for f in flags]
    code, stdout, err = run_main(["-q", "video", str(cut_clip), "-o", str(out), "--model", str(reference_model),
                                  "--device", "cpu", "--batch-size", "3", *flags])
    assert code == 0, err
    source, result = probe(cut_clip), probe(out)
    assert (result.frame_count, result.fps, result.width, result.height, result.has_audio) == \
           (source.frame_count, source.fps, source.width, source.height, True)


def test_keyframes_change_the_frames_of_their_shot_only(workdir, cut_clip, reference_model, keyframes):
    outs = {}
    for name, flags in {"self": [], "key0": ["--reference", str(keyframes / "frame_000000.png")]}.items():
        outs[name] = workdir / f"shots_{name}.mp4"
        code, _, err = run_main(["-q", "video", str(cut_clip), "-o", str(outs[name]), "--model",
                                 str(reference_model), "--device", "cpu", "--crf", "0", *flags])
        assert code == 0, err
        assert name != "self" or notes(err) == []  # no keys given: no advice on where to key
    a = [f.image.astype(np.int16) for f in iter_frames(outs["self"])]
    b = [f.image.astype(np.int16) for f in iter_frames(outs["key0"])]
    assert all(np.abs(x - y).mean() > 0.5 for x, y in zip(a[:6], b[:6]))    # the keyframe's shot changed
    assert all(np.abs(x - y).mean() < 0.5 for x, y in zip(a[6:], b[6:]))    # after the cut: untouched


def test_keyframe_errors_are_one_line(workdir, cut_clip, model, reference_model, keyframes):
    out = workdir / "never_ref.mp4"
    code, _, err = run_main(["video", str(cut_clip), "-o", str(out), "--model", str(model),
                             "--references", str(keyframes)])
    assert_one_line_error(code, err, "reference-guided model")
    late = workdir / "late"
    late.mkdir()
    cv2.imwrite(str(late / "40.png"), np.zeros((60, 100, 3), np.uint8))
    code, _, err = run_main(["video", str(cut_clip), "-o", str(out), "--model", str(reference_model),
                             "--references", str(late)])
    assert_one_line_error(code, err, "frame 40", "12 frames")
    assert not out.exists()


# ---------------------------------------------------------------------------------- error paths

def test_missing_model_file_is_one_line(workdir, clip):
    out = workdir / "never.mp4"
    code, _, err = run_main(["video", str(clip), "-o", str(out), "--model", str(workdir / "nope.safetensors")])
    assert_one_line_error(code, err, "nope.safetensors")
    assert not out.exists()


def test_missing_default_model_is_one_line(workdir, clip, monkeypatch):
    from colorize import resources

    monkeypatch.setattr(resources, "assets_dir", lambda: workdir / "empty_assets")
    out = workdir / "never.mp4"
    code, _, err = run_main(["video", str(clip), "-o", str(out)])
    assert_one_line_error(code, err, "generator.safetensors", "--model")
    assert not out.exists()


def test_checkpoint_of_another_architecture_is_one_line(workdir, clip):
    from safetensors.torch import save_file

    other = workdir / "resnet.safetensors"
    meta = {"architecture": {"name": "resnet9", "kwargs": {}}, "stride": 4}
    save_file({"w": torch.zeros(3)}, str(other), metadata={"format": GENERATOR_FORMAT, "meta": json.dumps(meta)})
    out = workdir / "never.mp4"
    code, _, err = run_main(["video", str(clip), "-o", str(out), "--model", str(other)])
    assert_one_line_error(code, err, "resnet9")
    assert not out.exists()


def test_output_that_is_not_an_mp4_is_refused_before_any_work(workdir, clip):
    out = workdir / "colour.avi"
    code, _, err = run_main(["video", str(clip), "-o", str(out), "--model", str(workdir / "nope.safetensors")])
    assert_one_line_error(code, err, "colour.avi")  # named before the (missing) model is even looked at
    assert not out.exists()


def test_not_a_video_exits_1_with_one_line_in_a_real_process(workdir, model):
    fake = workdir / "notes.mp4"
    fake.write_text("this is not a video\n")
    out = workdir / "never.mp4"
    proc = subprocess.run([sys.executable, "-m", "colorize", "video", str(fake), "-o", str(out),
                           "--model", str(model)], capture_output=True, text=True, timeout=120)
    assert_one_line_error(proc.returncode, proc.stderr, "notes.mp4")
    assert not out.exists()


# ----------------------------------------------------------------------------------------- frames

def test_frames_command_writes_pngs_and_a_rerun_skips_them(workdir, model):
    src = workdir / "frames_in"
    (src / "shot1").mkdir(parents=True)
    art = np.full((40, 56), 255, np.uint8)
    cv2.rectangle(art, (5, 5), (30, 30), 0, 2)
    cv2.imwrite(str(src / "shot1" / "f1.png"), art)
    cv2.imwrite(str(src / "shot1" / "f2.jpg"), 255 - art)
    cv2.imwrite(str(src / "f3.webp"), cv2.cvtColor(art, cv2.COLOR_GRAY2BGR))
    out = workdir / "frames_out"
    args = ["-q", "frames", str(src), str(out), "--model", str(model), "--lineart", "--device", "cpu"]
    code, stdout, err = run_main(args)
    assert code == 0, err
    assert "colorized 3 images" in stdout
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == \
           ["f3.png", "shot1/f1.png", "shot1/f2.png"]
    code, stdout, _ = run_main(args)
    assert code == 0 and "colorized 0 images" in stdout and "3 already done" in stdout


def test_frames_on_a_missing_folder_is_one_line(workdir, model):
    code, _, err = run_main(["frames", str(workdir / "nowhere"), str(workdir / "out"), "--model", str(model)])
    assert_one_line_error(code, err, "nowhere")


# ----------------------------------------------------------------------------------------- export

@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_export_torchscript_runs_like_the_generator(workdir, model):
    out = workdir / "colorizer.pt"
    code, _, err = run_main(["export", "--model", str(model), "-o", str(out)])
    assert code == 0, err
    extra = {"meta.json": ""}
    scripted = torch.jit.load(str(out), _extra_files=extra)
    assert json.loads(extra["meta.json"])["stride"] == 16
    net, _ = load_generator(model)
    x = torch.rand(2, 1, 32, 80) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(scripted(x), net(x), atol=1e-5)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning")  # raised inside torch's exporter
def test_export_onnx_runs_like_the_generator(workdir, model):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    out = workdir / "colorizer.onnx"
    code, _, err = run_main(["export", "--model", str(model), "-o", str(out)])
    assert code == 0, err
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).random((2, 1, 48, 80), dtype=np.float32) * 2 - 1  # not the traced shape
    (colour,) = session.run(None, {session.get_inputs()[0].name: x})
    net, _ = load_generator(model)
    with torch.no_grad():
        assert np.allclose(colour, net(torch.from_numpy(x)).numpy(), atol=1e-4)


def test_export_to_an_unknown_format_is_one_line(workdir, model):
    out = workdir / "colorizer.tflite"
    code, _, err = run_main(["export", "--model", str(model), "-o", str(out)])
    assert_one_line_error(code, err, ".onnx")
    assert not out.exists()


def test_frames_follow_keyframes_and_say_so_in_one_line_when_they_cannot(workdir, model, reference_model, tmp_path):
    from colorize.data.toon import write_toon_frames
    from colorize.images import write_image

    frames, keys, out = tmp_path / "cut01", tmp_path / "keys", tmp_path / "out"
    write_toon_frames(frames, ToonConfig(width=64, height=48, n_frames=8, seed=5))
    write_image(keys / "key_000003.png", np.full((48, 64, 3), (200, 40, 40), np.uint8))
    code, _, err = run_main(["frames", str(frames), str(out), "--model", str(model), "--device", "cpu",
                             "--references", str(keys)])
    assert_one_line_error(code, err, "reference-guided model")
    write_image(keys / "key_000040.png", np.zeros((48, 64, 3), np.uint8))
    code, _, err = run_main(["frames", str(frames), str(out), "--model", str(reference_model), "--device", "cpu",
                             "--references", str(keys)])
    assert_one_line_error(code, err, "no frame 40")
    assert not list(out.rglob("*.png"))
    (keys / "key_000040.png").unlink()
    code, stdout, err = run_main(["-q", "frames", str(frames), str(out), "--model", str(reference_model),
                                  "--device", "cpu", "--references", str(keys), "--no-shots"])
    assert code == 0, err
    assert "colorized 8 images" in stdout and len(list(out.glob("*.png"))) == 8


@pytest.mark.parametrize("paint", ["flat", "shaded", "free"])
def test_frames_on_a_drawing_keep_its_ink_and_paint_its_regions(workdir, model, paint):
    """Anti-aliased drawing: with --lines keep every pixel is the paint times the drawing's grey, so
    black ink stays black (>= 90 % of ink pixels by far) and with flat paint each closed area is one colour."""
    src = workdir / f"drawing_{paint}"
    src.mkdir()
    art = np.full((72, 96), 255, np.uint8)
    cv2.circle(art, (30, 36), 20, 0, 2, lineType=cv2.LINE_AA)
    cv2.rectangle(art, (58, 10), (90, 60), 0, 2, lineType=cv2.LINE_AA)
    cv2.imwrite(str(src / "d.png"), art)
    out = workdir / f"drawing_{paint}_out"
    code, _, err = run_main(["-q", "frames", str(src), str(out), "--model", str(model), "--lineart",
                             "--device", "cpu", "--paint", paint])
    assert code == 0, err
    colour = cv2.cvtColor(cv2.imread(str(out / "d.png")), cv2.COLOR_BGR2RGB)
    ink = art == 0
    assert (colour[ink] == 0).all(axis=1).mean() >= 0.9
    if paint == "flat":
        inside = np.zeros_like(art, bool)
        cv2.circle(inside.view(np.uint8), (30, 36), 15, 1, -1)
        assert len(np.unique(colour[inside & (art == 255)], axis=0)) == 1
    code, _, err = run_main(["-q", "frames", str(src), str(workdir / f"drawing_{paint}_drop"), "--model", str(model),
                             "--lineart", "--device", "cpu", "--paint", paint, "--lines", "drop"])
    dropped = cv2.imread(str(workdir / f"drawing_{paint}_drop" / "d.png"))
    assert code == 0 and (dropped[ink] > 0).any(axis=1).mean() > 0.5  # the lines are painted over

# ---------------------------------------------------------------------------------- where to key

@pytest.fixture(scope="module")
def walk_in(workdir) -> Path:
    """128 x 80, 12 frames of a slow pan; a character walks in at frame 6 and stands from frame 10
    (tests/jobs/keys/clips.py)."""
    from tests.jobs.keys.clips import pan_clip

    return write_video((f.image for f in pan_clip(n=12, enter=6)), workdir / "walk_in.mp4", fps=12.0, crf=0)


def key_folder(folder: Path, clip: Path, numbers: list[int]) -> Path:
    """The clip's own decoded frames `numbers` as keyframes named by frame number."""
    from colorize.images import write_image

    for frame in iter_frames(clip):
        if frame.index in numbers:
            write_image(folder / f"{frame.index:06d}.png", frame.image)
    return folder


def notes(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("note: ")]


def key_run(walk_in: Path, model: Path, out: Path, keys: Path) -> list[str]:
    code, _, err = run_main(["-q", "video", str(walk_in), "-o", str(out), "--model", str(model), "--device", "cpu",
                             "--references", str(keys)])
    assert code == 0, err
    return notes(err)


def test_video_names_the_frame_to_key_when_a_new_object_enters_after_the_only_key(walk_in, reference_model,
                                                                                   tmp_path):
    (line,) = key_run(walk_in, reference_model, tmp_path / "out.mp4", key_folder(tmp_path / "k", walk_in, [0]))
    assert line.startswith("note: walk_in.mp4: shot 0 (frames 0-11): frames ") and "poorly covered" in line, line
    assert 6 <= int(line.rsplit(" ", 2)[-2]) <= 11, line  # "... key frame N next": where the character is


def test_video_says_nothing_when_the_keys_show_everything(walk_in, reference_model, tmp_path):
    # the first frame and each frame of the entrance (every step of it shows more of the character)
    keys = key_folder(tmp_path / "k", walk_in, [0, 6, 7, 8, 9, 10])
    assert key_run(walk_in, reference_model, tmp_path / "out.mp4", keys) == []


def test_frames_say_it_per_sequence(walk_in, reference_model, tmp_path):
    from colorize.images import write_image

    frames = tmp_path / "cut01"
    for frame in iter_frames(walk_in):
        write_image(frames / f"f_{frame.index + 100}.png", frame.image)
    keys = tmp_path / "keys"
    write_image(keys / "f_100.png", next(iter_frames(walk_in)).image)
    code, _, err = run_main(["-q", "frames", str(frames), str(tmp_path / "out"), "--model", str(reference_model),
                             "--device", "cpu", "--references", str(keys)])
    assert code == 0, err
    (line,) = notes(err)
    assert line.startswith("note: cut01: shot 0 (frames 100-111): "), line  # the folder by name: no slash
