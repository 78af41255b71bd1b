"""Reference keyframes and temporal smoothing against flicker: PSNR, ΔE and TC on unseen toon clips.

    colorize run pipelines/default_model.toml       # trains the model on generated clips (~40 min, CPU)
    python benchmarks/bench_reference.py            # scores samples/model/generator.safetensors
    python benchmarks/bench_reference.py --model runs/default_model/generator.safetensors --strip docs/x.png
    python benchmarks/bench_reference.py --baseline plain_pix2pix.safetensors     # adds that model, per frame

Two sets of generated clips the model never saw (other seeds), each `--clips` clips of `--frames`
frames at 192 x 128 and 12 fps with a hard cut every 24 frames:
* "model-sheet colours": palette "by_kind", each shape kind has the colours it had in training;
* "unseen colours": random shape hues in 0.70-0.95 turns (violet to pink), a range no training
  character had (the training clips' random hues stay below 0.65).

Modes, all through the same Colorizer code as `colorize video`:
* per-frame: line-art alone, every frame on its own;
* self-reference: each shot follows its own first output (what `colorize video` does by default);
* keyframe: the true first frame of each shot as the reference (an artist's coloured keyframe);
* keyframe chain: the keyframe, then each output as the next frame's reference (feeding outputs back;
  measured here to show why `colorize video` does not do it);
* smoothed, keyframe + smoothed: the above with flow-guided smoothing (--smooth, default 0.5).

Scores leave out each shot's first frame (the keyframe itself) in every mode, so all modes are judged
on the same frames: PSNR and ΔE2000 of whole frames, "char PSNR" on the shapes' pixels only, and TC
(colorize.metrics.temporal; flow on the true frames, 1 = as stable as the truth), pooled over shots
so that no pair crosses a cut. Never run by the tests.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch

from colorize.data.toon import ToonClip, ToonConfig
from colorize.images import write_image
from colorize.engine.model import Colorizer, tensor_to_uint8, uint8_to_tensor
from colorize.media.frames import Frame
from colorize.media.shots import mark_cuts
from colorize.jobs.colorize.references import Keyframes, attach_keys
from colorize.jobs.colorize.stream import ColourPlan, colour_stream

from common import Scores  # benchmarks/common.py: shared scoring (this folder is on sys.path)

SETS = {"model-sheet colours": dict(palette="by_kind", seed=900),
        "unseen colours": dict(palette="random", hue_range=(0.70, 0.95), seed=950)}
MODES = ("per-frame", "self-reference", "keyframe", "keyframe chain", "smoothed", "keyframe + smoothed")
CUT_EVERY = 24


def clip_frames(clip: ToonClip) -> list[Frame]:
    """The clip's frames with their shot cuts marked (as `colorize video` marks them, once)."""
    return list(mark_cuts(Frame(index=i, time=i / clip.cfg.fps, image=clip.frame(i)) for i in range(len(clip))))


def run_mode(mode: str, colorizer: Colorizer, frames: list[Frame], key_dir: Path, smooth: float) -> list[np.ndarray]:
    """The mode's output frames (H x W x 3 uint8) for one clip, through the jobs' colour stream."""
    if mode == "keyframe chain":
        return run_chain(colorizer, frames)
    keyed = mode.startswith("keyframe")
    keys = Keyframes.from_options(references_dir=key_dir) if keyed else Keyframes({})
    plan = ColourPlan(batch_size=4, follow=keyed or mode == "self-reference", self_reference=not keyed,
                      smooth=smooth if mode.endswith("smoothed") else 0.0)
    return [item.colour for item in colour_stream(attach_keys(frames, keys), colorizer, plan)]


def run_chain(colorizer: Colorizer, frames: list[Frame]) -> list[np.ndarray]:
    """Keyframe at each shot start, then every output is the reference of the next frame."""
    outputs, reference = [], None
    for frame in frames:
        line = colorizer.lineart_of(frame.image[None], is_lineart=False)
        if frame.index % CUT_EVERY == 0:
            reference = torch.cat([uint8_to_tensor(frame.image[None], colorizer.device), line], 1)
        colour = colorizer.colorize_batch(line, reference)
        outputs.append(tensor_to_uint8(colour)[0])
        reference = torch.cat([uint8_to_tensor(outputs[-1][None], colorizer.device), line], 1)
    return outputs


def write_keyframes(clip: ToonClip, folder: Path) -> None:
    for start in range(0, len(clip), CUT_EVERY):
        write_image(folder / f"{start:06d}.png", clip.frame(start))


def score(colorizer: Colorizer, args, baseline: Colorizer | None = None) -> tuple[dict, dict]:
    """{set: {mode: Scores}} and, for the strip, {mode: outputs} of the first unseen-colours clip.

    `baseline` (any model, e.g. a plain pix2pix) adds a "baseline" row: that model, per frame.
    """
    modes = MODES + (("baseline",) if baseline is not None else ())
    table: dict[str, dict[str, Scores]] = {name: {m: Scores() for m in modes} for name in SETS}
    strip: dict[str, list[np.ndarray]] = {}
    for set_name, options in SETS.items():
        for c in range(args.clips):
            opts = {**options, "seed": options["seed"] + c}
            clip = ToonClip(ToonConfig(width=192, height=128, n_frames=args.frames, fps=12.0, n_shapes=5,
                                       cut_every=CUT_EVERY, **opts))
            frames = clip_frames(clip)
            with tempfile.TemporaryDirectory() as tmp:
                write_keyframes(clip, Path(tmp))
                for mode in modes:
                    outputs = (run_mode("per-frame", baseline, frames, Path(tmp), args.smooth) if mode == "baseline"
                               else run_mode(mode, colorizer, frames, Path(tmp), args.smooth))
                    if set_name == "unseen colours" and c == 0:
                        strip[mode] = outputs
                    for start in range(0, len(clip), CUT_EVERY):
                        shot = range(start + 1, min(start + CUT_EVERY, len(clip)))
                        table[set_name][mode].add_shot([outputs[i] for i in shot],
                                                       [frames[i].image for i in shot],
                                                       [clip.labels(i) for i in shot])
            print(f"  scored {set_name} clip {c + 1}/{args.clips}", flush=True)
    return table, strip


def print_table(table: dict) -> None:
    for set_name, modes in table.items():
        print(f"\n{set_name}")
        print(f"| mode | PSNR dB | char PSNR dB | ΔE2000 | TC |")
        print("|---|---|---|---|---|")
        for mode, scores in modes.items():
            r = scores.row()
            print(f"| {mode} | {r['PSNR']:.2f} | {r['char PSNR']:.2f} | {r['ΔE']:.2f} | {r['TC']:.2f} |")


def print_verdict(table: dict) -> None:
    """The two figures the issue's done-when asks for, spelled out."""
    unseen = table["unseen colours"]
    gain = unseen["keyframe"].row()["char PSNR"] - unseen["per-frame"].row()["char PSNR"]
    print(f"\nkeyframe vs per-frame, characters of unseen colours: {gain:+.2f} dB char PSNR (target >= +3)")
    for set_name, modes in table.items():
        rows = {m: s.row() for m, s in modes.items()}
        best = max(rows, key=lambda m: rows[m]["PSNR"])
        print(f"{set_name}: best mode {best}: TC {rows[best]['TC']:.2f} (target <= 1.5), PSNR "
              f"{rows[best]['PSNR']:.2f} vs per-frame {rows['per-frame']['PSNR']:.2f} (target: no lower)")


def save_strip(path: Path, truth: list[np.ndarray], strip: dict, picks=(3, 10, 20, 27, 40)) -> None:
    """Rows: truth, per-frame, self-reference, keyframe, keyframe + smoothed; columns: frames `picks`."""
    rows = [truth] + [strip[m] for m in ("per-frame", "self-reference", "keyframe", "keyframe + smoothed")]
    picks = [p for p in picks if p < len(truth)]
    pad = lambda img: np.pad(img, ((2, 2), (2, 2), (0, 0)), constant_values=255)
    image = np.concatenate([np.concatenate([pad(r[p]) for p in picks], 1) for r in rows], 0)
    write_image(path, image)
    print(f"wrote {path} (rows: truth, per-frame, self-reference, keyframe, keyframe + smoothed; frames {list(picks)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="generator file (default: the bundled default model)")
    parser.add_argument("--clips", type=int, default=3, help="clips per set")
    parser.add_argument("--frames", type=int, default=48, help="frames per clip (a cut every 24)")
    parser.add_argument("--smooth", type=float, default=0.5, help="smoothing strength of the smoothed modes")
    parser.add_argument("--strip", type=Path, default=None, help="write a frame strip PNG of an unseen-colours clip")
    parser.add_argument("--baseline", default=None, help="another model (e.g. a plain pix2pix) scored per frame")
    args = parser.parse_args()
    torch.manual_seed(0)
    colorizer = Colorizer.from_file(args.model, device="cpu")
    if not colorizer.takes_reference:
        raise SystemExit("this benchmark needs a reference-guided model")
    print(f"model {args.model or 'default'}: {args.clips} clips x {args.frames} frames per set, smooth {args.smooth}")
    baseline = Colorizer.from_file(args.baseline, device="cpu") if args.baseline else None
    table, strip = score(colorizer, args, baseline)
    print_table(table)
    print_verdict(table)
    if args.strip:
        clip = ToonClip(ToonConfig(width=192, height=128, n_frames=args.frames, fps=12.0, n_shapes=5,
                                   cut_every=CUT_EVERY, **SETS["unseen colours"]))
        save_strip(args.strip, [clip.frame(i) for i in range(len(clip))], strip)


if __name__ == "__main__":
    main()
