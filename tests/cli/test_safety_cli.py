"""Issue 13, "nothing lost, nothing confusing": the bad-input and interruption cases, end to end.

Every input is generated here (toon clips, random images, hand-built broken files). Each error path
checks the exit code, one line on stderr, no traceback, nothing under the final output name and the
inputs byte-identical afterwards.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from colorize.config import to_dict
from colorize.data.toon import ToonConfig, write_toon_frames, write_toon_video
from colorize.images import write_image
from colorize.lineart.recipes import LineArtConfig
from colorize.media import encode as assemble_module
from colorize.media.video import probe
from colorize.nets.files import save_generator
from colorize.nets.unet import UNetGenerator
from tests.cli.test_video_cli import run_main


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("safety_cli")


@pytest.fixture(scope="module")
def model(workdir) -> Path:
    torch.manual_seed(0)
    net = UNetGenerator(depth=3, base_channels=8, max_channels=16, norm="none", dropout=0.0, dropout_layers=0)
    meta = {"architecture": {"name": "unet", "kwargs": net.config}, "stride": net.stride,
            "lineart": to_dict(LineArtConfig(backend="opencv"))}
    return save_generator(workdir / "generator.safetensors", net, meta)


@pytest.fixture(scope="module")
def clip(workdir) -> Path:
    """64 x 48, 6 frames at 12 fps, with a tone (the audio whose loss case 1 reported)."""
    return write_toon_video(workdir / "clip.mp4", ToonConfig(width=64, height=48, n_frames=6, fps=12.0,
                                                               tone_hz=440.0))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_one_line(code: int, err: str, *needles: str, exit_code: int = 1) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == exit_code, err
    assert len(lines) == 1, err
    assert "Traceback" not in err and "WARN" not in err and "Warning" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def hidden_leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".")]


def video_args(model: Path, *args: str) -> list[str]:
    return ["-q", "video", *args, "--model", str(model), "--device", "cpu"]


# ------------------------------------------------------------------- case 1: output is the input

def test_video_onto_itself_is_refused_in_every_spelling(tmp_path, clip, model, monkeypatch):
    same = tmp_path / "same.mp4"
    same.write_bytes(clip.read_bytes())
    os.link(same, tmp_path / "hardlink.mp4")
    (tmp_path / "symlink.mp4").symlink_to(same)
    before = digest(same)
    monkeypatch.chdir(tmp_path)
    for output in ("same.mp4", str(same), "./sub/../same.mp4", "hardlink.mp4", "symlink.mp4"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        code, _, err = run_main(video_args(model, "same.mp4", "-o", output))
        assert_one_line(code, err, "is the input")
        assert digest(same) == before
    assert probe(same).has_audio


def test_folder_jobs_refuse_an_output_inside_the_input(tmp_path, model):
    frames = tmp_path / "frames"
    write_toon_frames(frames, ToonConfig(width=32, height=32, n_frames=2))
    before = tree_digest(frames)
    for out in (frames, frames / "colour", tmp_path / "link"):
        if out.name == "link":
            out.symlink_to(frames)
        code, _, err = run_main(["-q", "frames", str(frames), str(out), "--model", str(model), "--device", "cpu"])
        assert_one_line(code, err, "the input folder")
        code, _, err = run_main(["-q", "lineart", str(frames), str(out)])
        assert_one_line(code, err, "the input folder")
    assert tree_digest(frames) == before


def test_other_commands_refuse_their_input_as_output(tmp_path, clip, model):
    source = tmp_path / "source.mp4"
    source.write_bytes(clip.read_bytes())
    frames = tmp_path / "frames"
    write_toon_frames(frames, ToonConfig(width=32, height=32, n_frames=2))
    checks = [
        ["-q", "assemble", str(frames), str(source), "--fps", "12", "--audio-from", str(source)],
        ["-q", "lineart", str(source), str(source)],
        ["-q", "export", "--model", str(model), "-o", str(model)],
        ["-q", "evaluate", str(source), str(source), "--no-lpips", "--json", str(source)],
    ]
    before = digest(source), digest(model)
    for args in checks:
        code, _, err = run_main(args)
        assert_one_line(code, err, "is the input")
    assert (digest(source), digest(model)) == before


# ---------------------------------------------------------------- case 4: nan / inf number options

@pytest.mark.parametrize("args", [
    ["assemble", "frames", "out.mp4", "--fps", "nan"],
    ["assemble", "frames", "out.mp4", "--fps", "inf"],
    ["assemble", "frames", "out.mp4", "--fps", "0"],
    ["assemble", "frames", "out.mp4", "--fps", "12", "--audio-start", "-inf"],
    ["extract", "clip.mp4", "out", "--start", "nan"],
    ["extract", "clip.mp4", "out", "--end", "inf"],
    ["video", "clip.mp4", "-o", "out.mp4", "--smooth", "nan"],
    ["lineart", ".", "out", "--sigma", "nan"],
    ["lineart", ".", "out", "--low", "inf"],
])
def test_number_options_refuse_nan_and_inf(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(args)
    assert code == 2 and "Traceback" not in err and "Invalid value" in err, err
    assert not (tmp_path / "out.mp4").exists() and not (tmp_path / "out").exists()


# ----------------------------------------------------------------- case 6: one unreadable image

def corrupt_png(path: Path) -> None:
    ok, buf = cv2.imencode(".png", np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8))
    data = bytearray(buf.tobytes())
    data[60:80] = bytes(20)  # inside the image data: the chunk checksum no longer matches
    path.write_bytes(bytes(data))


def test_frames_colorizes_every_readable_image_then_lists_the_bad_ones(tmp_path, model, capfd):
    frames, out = tmp_path / "frames", tmp_path / "colour"
    write_toon_frames(frames, ToonConfig(width=32, height=32, n_frames=4))
    corrupt_png(frames / "frame_000002.png")
    (frames / "frame_000003.png").write_bytes(b"")  # empty file too
    before = tree_digest(frames)
    capfd.readouterr()
    code, _, err = run_main(["-q", "frames", str(frames), str(out), "--model", str(model), "--device", "cpu"])
    fd_err = capfd.readouterr().err  # what OpenCV/libpng would print straight to the file descriptor
    line = assert_one_line(code, err + fd_err, "2 of 4 images", "frame_000002.png", "frame_000003.png")
    assert "rerun" in line
    assert sorted(p.name for p in out.glob("*.png")) == ["frame_000000.png", "frame_000001.png"]
    assert tree_digest(frames) == before and not hidden_leftovers(out)
    # Fix one file: a rerun writes only that one and still reports the other.
    write_image(frames / "frame_000002.png", np.zeros((32, 32, 3), np.uint8))
    code, _, err = run_main(["-q", "frames", str(frames), str(out), "--model", str(model), "--device", "cpu"])
    assert_one_line(code, err, "1 of 2 images", "frame_000003.png")
    assert (out / "frame_000002.png").is_file() and not (out / "frame_000003.png").exists()


# ------------------------------------------------------------- case 7: SIGTERM like Ctrl-C, stale partials

def test_sigterm_during_video_cleans_up_and_exits_143(tmp_path, clip, model, monkeypatch):
    original = assemble_module.VideoWriter.write
    calls = []

    def write_then_terminate(self, frame):
        original(self, frame)
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(assemble_module.VideoWriter, "write", write_then_terminate)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    before = digest(clip)
    code, _, err = run_main(video_args(model, str(clip), "-o", str(out_dir / "colour.mp4")))
    assert code == 143 and err.strip().splitlines()[-1] == "terminated", err
    assert "Traceback" not in err
    assert list(out_dir.iterdir()) == []  # no final file, no hidden partial
    assert digest(clip) == before
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handler restored after the command


def test_stale_partials_of_killed_runs_are_removed(tmp_path, clip, model):
    out = tmp_path / "colour.mp4"
    dead = [tmp_path / ".colour.999999999-deadbeef.partial.mp4",
            tmp_path / ".colour.999999999-deadbeef.partial.video.mp4"]
    live = tmp_path / f".colour.{os.getppid()}-0badf00d.partial.mp4"  # a running writer's: kept
    other = tmp_path / ".other.999999999-deadbeef.partial.mp4"       # another output's: kept
    for path in (*dead, live, other):
        path.write_bytes(b"half a video")
    code, _, err = run_main(video_args(model, str(clip), "-o", str(out)))
    assert code == 0, err
    assert not any(p.exists() for p in dead) and live.exists() and other.exists()
    assert probe(out).frame_count == 6


def test_frames_removes_stale_partials_in_its_output_folder(tmp_path, model):
    frames, out = tmp_path / "frames", tmp_path / "colour"
    write_toon_frames(frames, ToonConfig(width=32, height=32, n_frames=2))
    out.mkdir()
    stale = out / ".frame_000001.999999999-deadbeef.partial.png"
    stale.write_bytes(b"half")
    code, _, err = run_main(["-q", "frames", str(frames), str(out), "--model", str(model), "--device", "cpu"])
    assert code == 0, err
    assert not stale.exists() and len(list(out.glob("*.png"))) == 2


# ---------------------------------------------------------------------- case 8: the real OS reason

def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("command", ["frames", "extract"])
def test_full_disk_names_the_reason(command, tmp_path, clip, model, monkeypatch):
    import colorize.images

    frames = tmp_path / "frames"
    write_toon_frames(frames, ToonConfig(width=32, height=32, n_frames=2))
    out = tmp_path / "out"
    monkeypatch.setattr(colorize.images.os, "write", no_space)
    args = (["-q", "frames", str(frames), str(out), "--model", str(model), "--device", "cpu"]
            if command == "frames" else ["-q", "extract", str(clip), str(out)])
    code, _, err = run_main(args)
    assert_one_line(code, err, "No space left on device")
    assert "None" not in err
    assert not list(out.glob("*.png")) if out.exists() else True
    assert not [p for p in tmp_path.rglob(".*") if "partial" in p.name]


# ------------------------------------------------------------------- case 9: odd sizes are kept

def test_video_keeps_an_odd_size_and_says_how(tmp_path, model):
    odd = write_toon_video(tmp_path / "odd.mp4", ToonConfig(width=241, height=137, n_frames=3, fps=12.0))
    code, out, err = run_main(video_args(model, str(odd), "-o", str(tmp_path / "colour.mp4")))
    assert code == 0, err
    info = probe(tmp_path / "colour.mp4")
    assert (info.width, info.height) == (241, 137)
    assert "241x137, odd size: H.264 4:4:4" in out
    code, help_text, _ = run_main(["video", "--help"])
    assert "4:4:4" in help_text


# ---------------------------------------------- case 11: created folders said; fps from manifest.json

def test_missing_output_folder_is_created_and_said(tmp_path, clip, model):
    out = tmp_path / "new" / "deeper" / "colour.mp4"
    code, stdout, err = run_main(video_args(model, str(clip), "-o", str(out)))
    assert code == 0, err
    assert f"created folder {tmp_path / 'new'}" in stdout and out.is_file()


def test_assemble_takes_fps_from_the_manifest(tmp_path, model):
    source = write_toon_video(tmp_path / "src.mp4", ToonConfig(width=32, height=32, n_frames=4, fps=15.0))
    frames, colour = tmp_path / "frames", tmp_path / "colour"
    assert run_main(["-q", "extract", str(source), str(frames), "--every", "2"])[0] == 0
    code, _, err = run_main(["-q", "frames", str(frames), str(colour), "--model", str(model), "--device", "cpu"])
    assert code == 0, err
    assert json.loads((colour / "manifest.json").read_text())["output_fps"] == 7.5
    code, stdout, err = run_main(["-q", "assemble", str(colour), str(tmp_path / "out.mp4")])
    assert code == 0, err
    assert probe(tmp_path / "out.mp4").fps == pytest.approx(7.5)
    # Without a manifest --fps is still needed, and the message says so.
    (colour / "manifest.json").unlink()
    code, _, err = run_main(["-q", "assemble", str(colour), str(tmp_path / "out2.mp4")])
    assert code == 2 and "--fps is needed" in err and "Traceback" not in err


# ------------------------------------------------------------------ case 5: EXIF orientation

def test_frames_turns_phone_jpegs_upright(tmp_path, model):
    from tests.test_images import jpeg_with_orientation

    photos, out = tmp_path / "photos", tmp_path / "colour"
    photos.mkdir()
    jpeg_with_orientation(photos / "phone.jpg", np.full((32, 48, 3), 200, np.uint8), orientation=6)
    code, _, err = run_main(["-q", "frames", str(photos), str(out), "--model", str(model), "--device", "cpu"])
    assert code == 0, err
    assert cv2.imread(str(out / "phone.png")).shape == (48, 32, 3)  # as the photo is shown, not as stored


# ------------------------------------------------------------- case 10: variable frame rate kept

def test_video_keeps_each_frame_time_of_a_variable_rate_clip(tmp_path, model):
    from colorize.media.video import frame_times
    from tests.media.test_video import VFR_TIMES, write_vfr_clip

    source = write_vfr_clip(tmp_path / "phone.mp4", tone=True)
    out = tmp_path / "colour.mp4"
    code, stdout, err = run_main(video_args(model, str(source), "-o", str(out)))
    assert code == 0, err
    assert "variable frame rate" in stdout
    info = probe(out)
    assert info.frame_count == 12 and info.has_audio
    assert frame_times(info) == pytest.approx(VFR_TIMES, abs=1e-3)  # not flattened to 0, 0.094, 0.189 ...
    assert not hidden_leftovers(tmp_path)


def test_extract_then_assemble_keeps_a_variable_rate(tmp_path):
    from colorize.media.video import frame_times
    from tests.media.test_video import VFR_TIMES, write_vfr_clip

    source = write_vfr_clip(tmp_path / "phone.mp4")
    frames = tmp_path / "frames"
    assert run_main(["-q", "extract", str(source), str(frames)])[0] == 0
    manifest = json.loads((frames / "manifest.json").read_text())
    assert manifest["variable_frame_rate"] and manifest["times"] == pytest.approx(VFR_TIMES, abs=1e-3)
    code, _, err = run_main(["-q", "assemble", str(frames), str(tmp_path / "again.mp4")])
    assert code == 0, err
    assert frame_times(probe(tmp_path / "again.mp4")) == pytest.approx(VFR_TIMES, abs=1e-3)


@pytest.mark.slow
def test_sigterm_to_a_real_colorize_process(tmp_path, model):
    """The console command in its own process, terminated as `kill PID` would, mid-encode."""
    import subprocess
    import sys
    import time

    source = write_toon_video(tmp_path / "long.mp4", ToonConfig(width=64, height=48, n_frames=240, fps=24.0,
                                                                tone_hz=440.0))
    before = digest(source)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "colorize", "-q", "video", str(source), "-o",
                             str(out_dir / "colour.mp4"), "--model", str(model), "--device", "cpu",
                             "--batch-size", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(out_dir.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "finished before a partial file appeared"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.strip() == "terminated"
    assert list(out_dir.iterdir()) == [] and digest(source) == before


def test_video_even_pads_an_odd_size_by_one_pixel_and_says_so(tmp_path, model):
    odd = write_toon_video(tmp_path / "odd.mp4", ToonConfig(width=241, height=137, n_frames=3, fps=12.0))
    code, out, err = run_main(video_args(model, str(odd), "-o", str(tmp_path / "colour.mp4"), "--even"))
    assert code == 0, err
    info = probe(tmp_path / "colour.mp4")
    assert (info.width, info.height, info.frame_count) == (242, 138, 3)
    assert "242x138, padded from 241x137 to even sides" in out
    code, out, err = run_main(video_args(model, str(odd), "-o", str(tmp_path / "sbs.mp4"), "--even",
                                         "--side-by-side"))
    assert code == 0, err
    assert (probe(tmp_path / "sbs.mp4").width, probe(tmp_path / "sbs.mp4").height) == (724, 138)
    assert "padded from 723x137" in out
