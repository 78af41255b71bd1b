"""Golden outputs of `colorize video` and `colorize frames`: the colour path must reproduce them exactly.

    PYTHONPATH=$PWD COLORIZE_BACKEND=torch python -m tests.golden.make_golden   # rewrites golden.npz

Made with the code before the colour-stream refactor (issue 22, commit 99fba7c), then remade once on
purpose when the temporal chains began sampling their start once instead of re-warping their result
every step (colorize/filters/chain.py): the 8 cases that run the temporal mode changed (mean 0.9-2.9
levels), the other 8 are still 99fba7c's bit for bit. Remade again when flow targets within
filters.flow.EDGE_SLACK px outside the frame began to be sampled from its edge: the same 8 changed
(toon mean 0.1-2.5 levels; keyframe + temporal closer to the truth on every frame, its 4 px rim 15.4 ->
16.8 dB), the other 8 unchanged. test_golden.py runs the same cases with the
current code and compares every pixel (np.array_equal). Cases:
* a generated toon clip (100 x 60, 12 frames, a cut at frame 6) with tiny models (seed 0): a plain
  U-Net and a reference U-Net, in the modes plain, smoothing, side by side, self-reference (+ temporal),
  keyframe, keyframe + temporal, keyframe + smoothing; the same frames as a folder (two sequences);
* the bundled real sample (samples/real/sample.mp4, 42 frames, keys 0 and 21) with the shipped model
  on the torch backend: the video job, and the folder job on its first 24 frames.
Video outputs are compared after decoding (x264 is deterministic on one machine); the real sample's
frames are stored as SHA-256 digests (the arrays would be megabytes), the toon ones as arrays.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
from pathlib import Path

import numpy as np
import torch

GOLDEN = Path(__file__).with_name("golden.npz")
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "real"

# name -> (job, model, flags); job "video" or "frames"; model "plain", "reference" or "shipped"
TOON_CASES = {
    "video_plain": ("video", "plain", []),
    "video_plain_smooth": ("video", "plain", ["--smooth", "0.5"]),
    "video_plain_side_by_side": ("video", "plain", ["--side-by-side"]),
    "video_self_reference": ("video", "reference", []),
    "video_self_reference_no_temporal": ("video", "reference", ["--no-temporal"]),
    "video_keyframe": ("video", "reference", ["--references", "{keys}", "--no-temporal"]),
    "video_keyframe_temporal": ("video", "reference", ["--references", "{keys}", "--temporal"]),
    "video_keyframe_smooth": ("video", "reference", ["--references", "{keys}", "--no-temporal", "--smooth", "0.5"]),
    "frames_plain": ("frames", "plain", []),
    "frames_plain_temporal": ("frames", "plain", ["--temporal"]),
    "frames_self_reference": ("frames", "reference", []),
    "frames_keyframe": ("frames", "reference", ["--references", "{keys}", "--no-temporal"]),
    "frames_keyframe_temporal": ("frames", "reference", ["--references", "{keys}", "--temporal"]),
    "frames_no_shots": ("frames", "reference", ["--no-shots", "--reference", "{keys}/a/frame_000000.png"]),
}
REAL_CASES = {
    "real_video_keys": ("video", "shipped", ["--references", "{first_keys}"]),
    "real_frames_keys": ("frames", "shipped", ["--references", "{real_keys}"]),
}


def _cli(args: list[str]) -> None:
    from colorize.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(["-q", *args])
        except SystemExit as exit_info:
            if exit_info.code:
                raise RuntimeError(f"colorize {' '.join(args)} failed: {err.getvalue()}") from None


def _models(work: Path) -> dict[str, Path]:
    from colorize.config import to_dict
    from colorize.lineart.recipes import LineArtConfig
    from colorize.nets.files import save_generator
    from colorize.nets.reference import ReferenceUNet
    from colorize.nets.unet import UNetGenerator

    lineart = to_dict(LineArtConfig(backend="opencv"))
    torch.manual_seed(0)
    plain = UNetGenerator(depth=4, base_channels=8, max_channels=32, norm="none", dropout=0.0, dropout_layers=0)
    torch.manual_seed(0)
    ref = ReferenceUNet(depth=3, base_channels=8, max_channels=16, norm="none", dropout=0.0, dropout_layers=0,
                        feature_channels=16, feature_stride=4)
    return {name: save_generator(work / f"{name}.safetensors", net,
                                 {"architecture": {"name": arch, "kwargs": net.config}, "stride": net.stride,
                                  "lineart": lineart})
            for name, net, arch in (("plain", plain, "unet"), ("reference", ref, "reference_unet"))}


def _inputs(work: Path) -> dict[str, Path]:
    """The toon clip (video and two folder sequences), its keyframes (its own frames 0 and 6 with
    the colour channels rotated), and the real sample's first 24 frames with their keys."""
    from colorize.data.toon import ToonConfig, write_toon_video
    from colorize.images import write_image
    from colorize.media.video import iter_frames

    clip = write_toon_video(work / "clip.mp4", ToonConfig(width=100, height=60, n_frames=12, fps=10.0,
                                                          cut_every=6, tone_hz=330.0))
    frames, keys = work / "frames", work / "keys"
    for frame in iter_frames(clip):
        write_image(frames / ("a" if frame.index < 8 else "b") / f"frame_{frame.index:06d}.png", frame.image)
        if frame.index in (0, 6):
            write_image(keys / f"frame_{frame.index:06d}.png", frame.image[..., [1, 2, 0]])
    shutil.copytree(keys, work / "frame_keys" / "a")  # the folder job's keys of sequence a (b has none)
    real_frames, real_keys = work / "real_frames", work / "real_keys"
    for frame in iter_frames(SAMPLE / "sample.mp4"):
        if frame.index < 24:
            write_image(real_frames / f"{frame.index:06d}.png", frame.image)
    # the sample's keys as they were when the golden files were made: each shot's first frame (the
    # last frames' keys came later, with keys on both sides); the folder job's first 24 frames hold 0 and 21
    first_keys = work / "first_keys"
    real_keys.mkdir()
    first_keys.mkdir()
    for name in ("000000.png", "000021.png"):
        shutil.copy(SAMPLE / "keys" / name, first_keys / name)
        shutil.copy(SAMPLE / "keys" / name, real_keys / name)
    return {"clip": clip, "frames": frames, "keys": keys, "frame_keys": work / "frame_keys", "real_frames": real_frames,
            "real_keys": real_keys, "first_keys": first_keys}


def _outputs(path: Path, job: str) -> np.ndarray:
    """N x H x W x 3 uint8: the decoded video, or the folder's PNGs in sorted order."""
    from colorize.images import list_images, read_rgb
    from colorize.media.video import iter_frames

    if job == "video":
        return np.stack([f.image for f in iter_frames(path)])
    return np.stack([read_rgb(p) for p in list_images(path)])


def run_case(work: Path, name: str, inputs: dict[str, Path], models: dict[str, Path]) -> np.ndarray:
    job, model, flags = {**TOON_CASES, **REAL_CASES}[name]
    keys = inputs["keys" if job == "video" else "frame_keys"]
    flags = [f.format(keys=keys, real_keys=inputs["real_keys"], first_keys=inputs["first_keys"]) for f in flags]
    real = name.startswith("real")
    source = inputs["real_frames" if real else "frames"] if job == "frames" else (
        SAMPLE / "sample.mp4" if real else inputs["clip"])
    out = work / "out" / (f"{name}.mp4" if job == "video" else name)
    args = [job, str(source)] + (["-o", str(out)] if job == "video" else [str(out)])
    # ink and paint (issue 20) came after the golden outputs: free paint without lines is the colour path as it was
    args += ["--device", "cpu", "--backend", "torch", "--paint", "free", "--lines", "drop"] + ([] if model == "shipped" else ["--model", str(models[model])])
    _cli(args + flags)
    return _outputs(out, job)


def digests(frames: np.ndarray) -> np.ndarray:
    """One SHA-256 hex digest per frame (of its shape and bytes)."""
    return np.array([hashlib.sha256(repr(f.shape).encode() + f.tobytes()).hexdigest() for f in frames])


def make_all(work: Path) -> dict[str, np.ndarray]:
    """Every case's outputs: toon cases as arrays, real ones as digests (key `NAME`)."""
    torch.set_num_threads(2)  # as tests/conftest.py: the same thread count as the test that compares
    inputs, models = _inputs(work), _models(work)
    result = {}
    for name in TOON_CASES:
        result[name] = run_case(work, name, inputs, models)
    for name in REAL_CASES:
        result[name] = digests(run_case(work, name, inputs, models))
    return result


if __name__ == "__main__":
    import os
    import tempfile

    os.environ.setdefault("COLORIZE_BACKEND", "torch")
    with tempfile.TemporaryDirectory() as tmp:
        arrays = make_all(Path(tmp))
    np.savez_compressed(GOLDEN, **arrays)
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size / 1e6:.2f} MB, {len(arrays)} cases)")
