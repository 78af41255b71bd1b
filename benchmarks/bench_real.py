"""The colorizer on real cartoon drawings it never saw: stills and clips, per mode, PSNR / ΔE2000 / TC.

    python benchmarks/bench_real.py --clips HELDOUT_CLIPS --stills HELDOUT_STILLS
    python benchmarks/bench_real.py ... --model runs/realart/generator.safetensors --baseline OLD.safetensors
    python benchmarks/bench_real.py ... --strip docs/real/strip.png

Data: folders written by `colorize clips` from art sources held out of training (whole sources,
other artists; see pipelines/realart_model.toml) and a folder of stills (one drawing each, on a plain
or gradient ground). Nothing here is generated toon art.

Stills, two inputs:
* line-art only: the colour still goes through the model's own line-art recipe, as `colorize frames`;
* clean line-art: the still's ink lines (the "ink" recipe: one line per stroke, solid blacks kept) given
  as line-art, as `colorize frames --lineart` with an artist's clean line-art. Two references show what
  the figures mean: every pixel painted the still's mean colour ("flat mean"), and the line-art
  handed back uncoloured ("line-art as is").
Clips, per mode, all through the Colorizer code `colorize video` uses:
* line-art only: every frame on its own, no reference (`--no-self-reference`);
* self-reference: each shot follows its own first output (the default without keyframes);
* keyframe: the true first frame of each shot is the artist's keyframe (`--references`);
* keyframe + smoothed: the same with `--smooth`;
* temporal: self-reference with the temporal mode (`colorize video`'s default for a reference-guided
  model without keyframes): colours carried along the line-art's motion, the model where it fails;
* keyframe + temporal: the keyframe with the temporal mode (the default with `--references`); the
  chain starts from the keyframe's own colours.
Scores leave out each shot's first frame (the keyframe itself) in every mode. TC is the warp error of
the output over the warp error of the truth (colorize.metrics.temporal, flow on the truth; 1 = as
steady as the real clip), pooled over shots so no pair crosses a cut. Never run by the tests.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path

import numpy as np
import torch

from bench_reference import run_mode  # noqa: E402  (the toon benchmark's modes; this folder is on sys.path)
from common import Scores  # noqa: E402  (benchmarks/common.py: shared scoring)

from colorize.images import list_images, read_rgb, write_image  # noqa: E402
from colorize.engine.model import Colorizer, tensor_to_uint8  # noqa: E402
from colorize.filters.temporal import TemporalConfig  # noqa: E402
from colorize.jobs.colorize.references import Keyframes, attach_keys  # noqa: E402
from colorize.jobs.colorize.stream import ColourPlan, colour_stream  # noqa: E402
from colorize.media.frames import Frame  # noqa: E402
from colorize.media.shots import mark_cuts  # noqa: E402
from colorize.lineart.recipes import LineArtConfig, lineart_numpy  # noqa: E402

CLIP_MODES = ("line-art only", "self-reference", "keyframe", "keyframe + smoothed", "temporal",
              "keyframe + temporal")
RUNNER_MODE = {"line-art only": "per-frame", "self-reference": "self-reference", "keyframe": "keyframe",
               "keyframe + smoothed": "keyframe + smoothed"}


def read_clip(folder: Path) -> tuple[list[Frame], list[int]]:
    """A `colorize clips` folder: its frames (RGB) and the first frame of every shot."""
    meta = json.loads((folder / "shots.json").read_text())
    files = sorted(folder.glob("frame_*.png"))
    fps = float(meta.get("fps", 12.0))
    frames = list(mark_cuts(Frame(index=i, time=i / fps, image=read_rgb(f)) for i, f in enumerate(files)))
    return frames, [0, *meta.get("cuts", [])]


def run_clip_mode(mode: str, colorizer: Colorizer, frames: list[Frame], key_dir: Path, smooth: float
                  ) -> list[np.ndarray]:
    """The mode's output frames (H x W x 3 uint8) for one clip, through the jobs' colour stream."""
    if mode not in ("temporal", "keyframe + temporal"):
        return run_mode(RUNNER_MODE[mode], colorizer, frames, key_dir, smooth)
    keyframes = Keyframes.from_options(references_dir=key_dir) if mode.startswith("keyframe") else Keyframes({})
    plan = ColourPlan(batch_size=4, follow=True, self_reference=not keyframes, temporal=TemporalConfig())
    return [item.colour for item in colour_stream(attach_keys(frames, keyframes), colorizer, plan)]


def score_clips(colorizer: Colorizer, folders: list[Path], smooth: float) -> tuple[dict, dict]:
    """{mode: Scores} over all clips, and {mode: outputs} of the first clip (for the strip)."""
    table = {m: Scores() for m in CLIP_MODES}
    strip: dict[str, list[np.ndarray]] = {}
    for n, folder in enumerate(folders):
        frames, starts = read_clip(folder)
        ends = [*starts[1:], len(frames)]
        with tempfile.TemporaryDirectory() as tmp:
            for start in starts:
                write_image(Path(tmp) / f"{start:06d}.png", frames[start].image)
            for mode in CLIP_MODES:
                outputs = run_clip_mode(mode, colorizer, frames, Path(tmp), smooth)
                if n == 0:
                    strip[mode] = outputs
                for start, end in zip(starts, ends):
                    shot = range(start + 1, end)
                    if len(shot):
                        table[mode].add_shot([outputs[i] for i in shot], [frames[i].image for i in shot])
        print(f"  scored clip {n + 1}/{len(folders)} ({folder.name})", flush=True)
    return table, strip


def ink_lineart(rgb: np.ndarray) -> np.ndarray:
    """The still's clean line-art (ink recipe), as H x W x 3 uint8 so it can be fed like an image."""
    line = lineart_numpy(rgb, LineArtConfig(method="ink"))
    return np.repeat(line[..., None], 3, axis=2)


def colorize_stills(colorizer: Colorizer, stills: list[np.ndarray], is_lineart: bool) -> list[np.ndarray]:
    outputs = []
    for image in stills:
        line = colorizer.lineart_of(image[None], is_lineart=is_lineart)
        outputs.append(tensor_to_uint8(colorizer.colorize_batch(line))[0])
    return outputs


def score_stills(colorizer: Colorizer, stills: list[np.ndarray]) -> dict[str, Scores]:
    clean = [ink_lineart(s) for s in stills]
    rows = {"line-art only": colorize_stills(colorizer, stills, is_lineart=False),
            "clean line-art (--lineart)": colorize_stills(colorizer, clean, is_lineart=True)}
    table = {}
    for name, outputs in rows.items():
        table[name] = Scores()
        table[name].add_frames(outputs, stills)
    return table


def reference_rows(stills: list[np.ndarray]) -> dict[str, Scores]:
    """What the still figures mean: one flat mean colour per still, and the line-art handed back."""
    flat, as_is = Scores(), Scores()
    flat.add_frames([np.broadcast_to(s.reshape(-1, 3).mean(0).round().astype(np.uint8), s.shape).copy()
                     for s in stills], stills)
    as_is.add_frames([ink_lineart(s) for s in stills], stills)
    return {"flat mean colour": flat, "line-art as is": as_is}


def print_rows(title: str, rows: dict[str, dict[str, Scores]]) -> None:
    print(f"\n{title}")
    print("| model | input / mode | PSNR dB | ΔE2000 | TC | frames |")
    print("|---|---|---|---|---|---|")
    for model, table in rows.items():
        for mode, scores in table.items():
            r = scores.row()
            tc = "" if math.isnan(r["TC"]) else f"{r['TC']:.2f}"
            print(f"| {model} | {mode} | {r['PSNR']:.2f} | {r['ΔE']:.2f} | {tc} | {r['n']} |")


def save_strip(path: Path, truth: list[np.ndarray], strip: dict, picks=(1, 8, 16, 24, 32, 44)) -> None:
    """Rows: truth, then each clip mode of the first clip; columns: frames `picks`."""
    rows = [truth] + [strip[m] for m in CLIP_MODES]
    picks = [p for p in picks if p < len(truth)]
    pad = lambda img: np.pad(img, ((2, 2), (2, 2), (0, 0)), constant_values=255)
    write_image(path, np.concatenate([np.concatenate([pad(r[p]) for p in picks], 1) for r in rows], 0))
    print(f"wrote {path} (rows: truth, {', '.join(CLIP_MODES)}; frames {list(picks)})")


def load_stills(folder: Path) -> list[np.ndarray]:
    return [read_rgb(p) for p in list_images(folder)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=Path, required=True, help="folder of held-out `colorize clips` clips")
    parser.add_argument("--stills", type=Path, required=True, help="folder of held-out stills")
    parser.add_argument("--model", default=None, help="generator file (default: the bundled default model)")
    parser.add_argument("--baseline", default=None, help="another model (e.g. the previous default) on the same data")
    parser.add_argument("--smooth", type=float, default=0.5, help="smoothing strength of the smoothed mode")
    parser.add_argument("--max-clips", type=int, default=None, help="score only the first N clips")
    parser.add_argument("--strip", type=Path, default=None, help="write a frame strip PNG of the first clip")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_grad_enabled(False)
    folders = sorted(p for p in args.clips.iterdir() if (p / "shots.json").is_file())[:args.max_clips]
    stills = load_stills(args.stills)
    models = {"new": args.model, **({"baseline": args.baseline} if args.baseline else {})}
    still_rows, clip_rows, first_strip = {}, {}, None
    for label, model in models.items():
        colorizer = Colorizer.from_file(model, device="cpu")
        name = f"{label} ({Path(model).name if model else 'default'})"
        print(f"{name}: {len(stills)} stills, {len(folders)} clips", flush=True)
        still_rows[name] = score_stills(colorizer, stills)
        clip_rows[name], strip = score_clips(colorizer, folders, args.smooth)
        first_strip = first_strip or strip
    still_rows["reference"] = reference_rows(stills)
    print_rows("stills (held-out drawings on plain/gradient grounds)", still_rows)
    print_rows("clips (held-out art: pans, zooms, moving and entering characters, cuts)", clip_rows)
    if args.strip and folders:
        frames, _ = read_clip(folders[0])
        save_strip(args.strip, [f.image for f in frames], first_strip)


if __name__ == "__main__":
    main()
