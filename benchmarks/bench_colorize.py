"""Speed and memory of inference: generator-only vs end-to-end `colorize video`, and RSS vs clip length.

    python benchmarks/bench_colorize.py                         # default model, CPU, 256 x 192 clips
    python benchmarks/bench_colorize.py --model g.safetensors --device cuda --size 1920x1080
    python benchmarks/bench_colorize.py --tiny                  # a random depth-4 U-Net (no model yet)
    python benchmarks/bench_colorize.py --size 256x144,1280x720,1920x1080 --working 0,512 --frames 16 --skip-rss
    python benchmarks/bench_colorize.py --quality /work/realart/clips/heldout --upscale 3 --working 0,512,384

--working lists working resolutions (Colorizer size / `colorize video --size`; 0 = full resolution):
every speed figure is printed for each. --quality DIR scores, instead of the speed figures, the
working resolutions against the truth on real-art clips (`colorize clips` folders, upscaled by
--upscale so there is something to downscale): PSNR and CIEDE2000 ΔE of frames of each clip's first
shot, per frame (no reference), with the shot's first true frame as the keyframe, and keyframe + the
temporal mode (flow at 640 px, and at the working size as `colorize video --size N` runs it), with TC
for the keyframe modes (see `quality`).

Prints, for each --backend (torch, onnxruntime, openvino: where the generator runs), per frame and
(reference-guided models) with a keyframe at frame 0, without and with the temporal mode:
  network frames/s          the backend alone on ready working-size line-art (the keyframe encoded once)
  generator-only frames/s   Colorizer.colour_arrays on ready full-size uint8 line-art of the clip:
                            scaling to the working size, the network, the line-guided upsampling
  end-to-end frames/s       colorize_video (decode -> cuts -> line-art -> generator -> [temporal] ->
                            ink and paint -> encode) with the model already loaded and exported, for
                            each --paint setting (default: the options' default and free/drop, the
                            colour path as it was before ink and paint)
  peak RSS                  of `python -m colorize video` on a short and a 6x longer clip (default 10 s
                            and 60 s); streaming means the two should be within ~10%. With a
                            reference-guided model, in every mode: per-frame (--no-self-reference),
                            self-reference (the default), keyframes (--references, one every 48
                            frames; with and without the temporal mode) and keyframes + --smooth 0.5

Never run by the tests. Numbers depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from colorize.config import to_dict
from colorize.data.toon import ToonConfig, write_toon_video
from colorize.nets.files import save_generator
from colorize.nets.unet import UNetGenerator
from colorize.progress import set_quiet
from colorize.runtime import resolve_device
from colorize.engine.model import Colorizer
from colorize.resources import default_model_path
from colorize.jobs.colorize.run import ColorizeOptions, colorize_video
from colorize.lineart.recipes import LineArtConfig

from common import Scores, Timer, timed  # benchmarks/common.py (this folder is on sys.path)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="generator file (default: the default model)")
    parser.add_argument("--tiny", action="store_true", help="benchmark a random depth-4 U-Net instead")
    parser.add_argument("--random-pix2pix", action="store_true",
                        help="benchmark a random U-Net of the default model's size (depth 8, 64 channels)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--size", default="256x192", help="frame WIDTHxHEIGHT, or several, comma-separated")
    parser.add_argument("--working", default="0", help="working resolutions, comma-separated (0 = full)")
    parser.add_argument("--quality", type=Path, default=None, help="score working resolutions on these clips")
    parser.add_argument("--upscale", type=int, default=3, help="--quality: upscale the clips' frames by this")
    parser.add_argument("--per-clip", type=int, default=4, help="--quality: frames scored per clip")
    parser.add_argument("--shot-frames", type=int, default=16,
                        help="--quality: the keyframe modes run the first shot's frames up to this one")
    parser.add_argument("--fps", type=float, default=24.0)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--frames", type=int, default=240,
                        help="frames for the speed figures (long enough that ffmpeg start-up and the final mux are amortised)")
    parser.add_argument("--short", type=float, default=10.0, help="seconds of the short RSS clip")
    parser.add_argument("--long", type=float, default=60.0, help="seconds of the long RSS clip")
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--backend", default="torch,onnxruntime,openvino",
                        help="backends to time, comma-separated (installed ones only); the RSS runs use the last")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--modes", default="per-frame,keyframe,keyframe+temporal",
                        help="speed modes, comma-separated: per-frame, keyframe, keyframe+temporal")
    parser.add_argument("--paint", default="default,free/drop",
                        help="end-to-end ink-and-paint settings, comma-separated PAINT/LINES (e.g. flat/keep, "
                             "free/drop = the colour as before ink and paint) or `default` (ColorizeOptions')")
    return parser.parse_args()


def random_model(folder: Path, **unet_kwargs) -> Path:
    """A random U-Net saved like a trained one (its stride, the default line-art recipe)."""
    torch.manual_seed(0)
    net = UNetGenerator(**unet_kwargs)
    meta = {"architecture": {"name": "unet", "kwargs": net.config}, "stride": net.stride,
            "lineart": to_dict(LineArtConfig())}
    return save_generator(folder / "random.safetensors", net, meta)


def pick_model(args: argparse.Namespace, work: Path) -> Path:
    if args.tiny:  # depth 4, 16 channels: 0.26 M parameters
        return random_model(work, depth=4, base_channels=16, max_channels=64, dropout=0.0, dropout_layers=0)
    if args.random_pix2pix:  # the pix2pix default the lead trains: 54 M parameters
        return random_model(work)
    return args.model or default_model_path()


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def network_fps(colorizer: Colorizer, height: int, width: int, frames: int, batch: int,
                with_reference: bool) -> float:
    """Frames/s of the backend alone at the working size of a height x width frame (padded to the
    stride), with one keyframe encoded once when `with_reference`."""
    from colorize.engine.tiling import round_up
    from colorize.engine.upsample import working_size

    h, w = (round_up(v, colorizer.stride) for v in working_size(height, width, colorizer.size))
    lineart = torch.where(torch.rand(batch, 1, h, w) > 0.05, 1.0, -1.0)
    backend = colorizer.backend
    with torch.inference_mode():
        code = backend.encode_reference(torch.rand(1, 3, h, w) * 2 - 1, lineart[:1]) if with_reference else None
        timing = timed(lambda: backend.run(lineart, code), repeats=max(1, -(-frames // batch)))
    return timing.per_second(batch)


def generator_fps(colorizer: Colorizer, lines, frames: int, batch: int, with_reference: bool) -> float:
    """Frames/s of Colorizer.colour_arrays on ready B x H x W uint8 line-art `lines` (one warm-up
    batch), with the first frame's line-art and a flat colour as the keyframe when `with_reference`."""
    import numpy as np

    from colorize.engine.model import Reference

    reference = None
    if with_reference:
        reference = Reference(np.full((*lines.shape[1:], 3), (200, 120, 40), np.uint8), lines[0])
    done = [0]

    def step() -> None:
        colorizer.colour_arrays(lines[done[0] % len(lines):][:batch], reference)
        done[0] += batch

    return timed(step, repeats=max(1, -(-frames // batch))).per_second(batch)


def paint_settings(text: str) -> list[tuple[str, str]]:
    """`--paint` as (paint, lines) pairs; `default` is ColorizeOptions' own."""
    default = ColorizeOptions()
    return [(default.paint, default.lines) if item == "default" else tuple(item.split("/"))
            for item in text.split(",") if item]


def end_to_end_fps(colorizer: Colorizer, clip: Path, out: Path, options: ColorizeOptions, frames: int) -> float:
    """Frames/s of colorize_video (model already loaded), timed over the whole clip."""
    start = time.perf_counter()
    colorize_video(clip, out, options, colorizer=colorizer)
    return frames / (time.perf_counter() - start)


# Runs a command and prints its peak RSS. A separate small process, because a child forked from this
# (large) benchmark process starts out counting the parent's resident pages in its own ru_maxrss.
_LAUNCHER = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:]); _, status, usage = os.wait4(p.pid, 0); "
             "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)")


def peak_rss_mib(model: Path, clip: Path, out: Path, device: str, batch: int, flags: list[str]) -> float:
    """Peak resident memory (MiB) of a `python -m colorize -q video` process, from wait4's rusage."""
    command = [sys.executable, "-m", "colorize", "-q", "video", str(clip), "-o", str(out), "--model", str(model),
               "--device", device, "--batch-size", str(batch), *flags]
    result = subprocess.run([sys.executable, "-c", _LAUNCHER, *command], capture_output=True, text=True)
    code, max_rss = result.stdout.split()[-2:]
    if int(code) != 0:
        raise SystemExit(f"colorize video failed on {clip} (exit {code}): {result.stderr.strip()[-300:]}")
    return int(max_rss) / 1024.0  # Linux reports KiB


def speed(args: argparse.Namespace, colorizer: Colorizer, model: Path, work: Path, width: int, height: int,
          workings: list[int], backends: list[str]) -> None:
    """Network, generator-only and end-to-end frames/s of each mode, working resolution and backend.

    Modes: per-frame (no reference), keyframe (one keyframe at frame 0, every later frame follows it;
    temporal mode off) and keyframe + temporal (what `colorize video --references` runs by default).
    """
    import numpy as np

    from colorize.media.video import iter_frames

    n = args.frames
    clip = write_toon_video(work / f"clip_{width}x{height}.mp4", ToonConfig(
        width=width, height=height, n_frames=n, fps=args.fps, tone_hz=440.0))
    keys = mode_flags("keyframes", work / f"keys_{width}x{height}", 1, width, height)[1]
    lines = colorizer.lineart_arrays(np.stack([f.image for f, _ in zip(iter_frames(clip), range(8))]), False)
    wanted = args.modes.split(",")
    modes = [("per-frame", False, dict(self_reference=False, temporal=False))]
    if colorizer.takes_reference:
        modes.append(("keyframe", True, dict(references=Path(keys), self_reference=False, temporal=False)))
        modes.append(("keyframe+temporal", True, dict(references=Path(keys), self_reference=False, temporal=True)))
    for label, with_reference, extra in (m for m in modes if m[0] in wanted):
        for size in workings:
            for backend in backends:
                colorizer.size = size
                colorizer.backend_name, colorizer._backend = backend, None
                start = time.perf_counter()
                colorizer.backend  # noqa: B018 (export, or load the cached export, outside the timings)
                setup = time.perf_counter() - start
                tag = f"[{width}x{height} {label} size {size or 'full'} {backend}]"
                net = network_fps(colorizer, height, width, n, args.batch_size, with_reference)
                gen = generator_fps(colorizer, lines, n, args.batch_size, with_reference)
                print(f"{tag} network {net:6.2f}, generator-only {gen:6.2f} frames/s "
                      f"(backend ready in {setup:.1f} s)", flush=True)
                for paint, lines in paint_settings(args.paint):
                    options = ColorizeOptions(model=model, device=str(colorizer.device), batch_size=args.batch_size,
                                              size=size, backend=backend, paint=paint, lines=lines, **extra)
                    e2e = end_to_end_fps(colorizer, clip, work / "out.mp4", options, n)
                    print(f"{tag} --paint {paint} --lines {lines}: end-to-end {e2e:6.2f} frames/s", flush=True)
    colorizer.size = 0


def quality(args: argparse.Namespace, colorizer: Colorizer, workings: list[int]) -> None:
    """PSNR / ΔE2000 (and TC for the keyframe modes) against the truth of each working resolution on
    upscaled real-art clips (see --quality).

    per-frame: --per-clip frames of each clip's first shot, each alone. keyframe: the first shot's
    frames 1..--shot-frames through the jobs' colour stream (colour_stream with the shot's true first
    frame as the keyframe). keyframe + temporal: the same outputs through the temporal mode
    (temporal.carry_colours), with the flow at 640 px as at full resolution and, at a working size,
    with the flow at that size (what `colorize video --size N` runs). TC: warp error of the output
    over the truth's (colorize.metrics.temporal, pooled over clips; 1 = as steady as the truth).
    """
    import json

    import cv2
    import numpy as np

    from colorize.images import read_rgb, write_image
    from colorize.engine.model import tensor_to_uint8
    from colorize.jobs.colorize.references import Keyframes, attach_keys
    from colorize.jobs.colorize.stream import ColourPlan, colour_stream
    from colorize.filters.temporal import TemporalConfig, carry_colours
    from colorize.media.frames import Frame

    folders = sorted(f for f in args.quality.iterdir() if (f / "shots.json").is_file())
    rows: dict[tuple[str, int], Scores] = {}
    timer = Timer()

    def row(mode: str, size: int) -> Scores:
        return rows.setdefault((mode, size), Scores())

    for folder in folders:
        files = sorted(folder.glob("frame_*.png"))
        cuts = json.loads((folder / "shots.json").read_text()).get("cuts", [])
        shot_end = min([*cuts, len(files), args.shot_frames])
        picks = np.linspace(1, shot_end - 1, args.per_clip).round().astype(int)

        def big(i):
            image = read_rgb(files[i])
            return cv2.resize(image, None, fx=args.upscale, fy=args.upscale, interpolation=cv2.INTER_CUBIC)

        shot = [big(i) for i in range(shot_end)]
        truth = np.stack([shot[i] for i in picks])
        lineart = colorizer.lineart_of(truth, is_lineart=False)
        with tempfile.TemporaryDirectory() as tmp:
            write_image(Path(tmp) / "000000.png", shot[0])
            keyframes = Keyframes.from_options(references_dir=tmp)
            for size in workings:
                colorizer.size = size
                out = timer.run(f"per-frame, size {size or 'full'}",
                            lambda: tensor_to_uint8(colorizer.colorize_batch(lineart, None, size=size)))
                row("per-frame", size).add_frames(list(out), list(truth))
                if not colorizer.takes_reference:
                    continue
                frames = list(attach_keys((Frame(index=i, time=i / 12.0, image=image, cut=i == 0)
                                           for i, image in enumerate(shot)), keyframes))
                plan = ColourPlan(batch_size=args.batch_size, follow=True, self_reference=False)
                items = timer.run(f"keyframe, size {size or 'full'}", lambda: list(
                    colour_stream(iter(frames), colorizer, plan)))
                row("keyframe", size).add_shot([it.colour for it in items[1:]], shot[1:])
                flows = {"keyframe + temporal, flow 640": TemporalConfig()}
                if TemporalConfig.at_working_size(size).flow_side != TemporalConfig().flow_side:
                    flows["keyframe + temporal, flow at the working size"] = TemporalConfig.at_working_size(size)
                for mode, cfg in flows.items():
                    carried = timer.run(f"{mode}, size {size or 'full'}", lambda: [
                        it.colour for it in carry_colours(iter(items), cfg)])  # the stream's temporal filter
                    row(mode, size).add_shot(carried[1:], shot[1:])
        colorizer.size = 0
        print(f"{folder.name} done ({shot_end} frames of its first shot)", flush=True)
    side = shot[0].shape[0]
    print(f"\nquality on {len(folders)} clips, upscaled x{args.upscale} to {side}px (per-frame: {args.per_clip} "
          f"frames per clip; keyframe modes: frames 1-{args.shot_frames - 1} of each first shot at most):")
    for mode in dict.fromkeys(mode for mode, _ in rows):
        for size in (size for size in workings if (mode, size) in rows):
            print(f"  {mode:46s} size {str(size or 'full'):>4s}: {rows[mode, size].summary()}")
    print("seconds:")
    for label, sec in timer.seconds.items():
        print(f"  {label}: {sec:.1f} s")


def main() -> None:
    args = parse_args()
    set_quiet(True)
    frame_sizes = [tuple(int(v) for v in s.lower().split("x")) for s in args.size.split(",")]
    workings = [int(v) for v in args.working.split(",")]
    device = resolve_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    from colorize.engine.backends import installed

    backends = [b for b in args.backend.split(",") if installed(b)]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = pick_model(args, work)
        colorizer = Colorizer.from_file(model, device=device)
        arch = colorizer.generator.config if hasattr(colorizer.generator, "config") else {}
        print(f"model {model} ({sum(p.numel() for p in colorizer.generator.parameters()) / 1e6:.2f} M params, "
              f"{arch}), device {device}, torch threads {torch.get_num_threads()}, batch {args.batch_size}")
        if args.quality:
            return quality(args, colorizer, workings)
        for width, height in frame_sizes:
            speed(args, colorizer, model, work, width, height, workings, backends)

        if args.skip_rss:
            return
        width, height = frame_sizes[-1]
        clips = {}
        for seconds in (args.short, args.long):
            frames = int(round(seconds * args.fps))
            config = ToonConfig(width=width, height=height, n_frames=frames, fps=args.fps, tone_hz=440.0)
            clips[seconds] = (write_toon_video(work / f"clip_{seconds:g}s.mp4", config), frames)
        for mode in rss_modes(colorizer):
            rss = {}
            for seconds, (clip, frames) in clips.items():
                flags = mode_flags(mode, work / f"keys_{frames}", frames, width, height) + [
                    "--size", str(workings[-1]), "--backend", backends[-1]]
                start = time.perf_counter()
                rss[seconds] = peak_rss_mib(Path(model), clip, work / f"out_{seconds:g}s.mp4", str(device),
                                            args.batch_size, flags)
                print(f"[{mode}] peak RSS {seconds:5g} s clip ({frames} frames): {rss[seconds]:8.1f} MiB "
                      f"({frames / (time.perf_counter() - start):.1f} frames/s incl. start-up)")
            print(f"[{mode}] (--size {workings[-1]}, --backend {backends[-1]}) RSS long / short: {rss[args.long] / rss[args.short]:.3f} (target within 10%)")


def rss_modes(colorizer: Colorizer) -> list[str]:
    """The `colorize video` modes the model supports."""
    if not colorizer.takes_reference:
        return ["per-frame"]
    return ["per-frame", "self-reference", "keyframes", "keyframes, no temporal", "keyframes + smooth"]


def mode_flags(mode: str, keys: Path, frames: int, width: int, height: int) -> list[str]:
    """`colorize video` flags of a mode; keyframe modes get flat-colour keyframes every 48 frames in `keys`."""
    import numpy as np

    from colorize.images import write_image

    if mode == "per-frame":
        return ["--no-self-reference", "--no-temporal"]
    if mode == "self-reference":
        return []  # the temporal mode is on by default for a reference-guided model
    for number in range(0, frames, 48):
        colour = ((40 * (number // 48)) % 255, 120, 200)
        write_image(keys / f"{number:06d}.png", np.full((height, width, 3), colour, np.uint8))
    return (["--references", str(keys)] + (["--smooth", "0.5"] if mode.endswith("smooth") else [])
            + (["--no-temporal"] if mode.endswith("no temporal") else []))


if __name__ == "__main__":
    main()
