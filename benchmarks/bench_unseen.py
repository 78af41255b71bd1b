"""What no key sees: the key-guided colour against the model's guess without a key, on held-out clips.

    python benchmarks/bench_unseen.py --clips HELDOUT_CLIPS [--max-clips N]

Each shot of each clip (`colorize clips` folders, held out of training) is keyed with its true first
frame and coloured twice through the colour stream the jobs use: keyframe + temporal (the default
with keys) and line-art only (no key). A "seen" mask is carried from the key along the line-art's
motion exactly as `colorize keys` carries it (colorize.jobs.keys.coverage: pull_step), and every
later frame's pixels are split at half seen. Printed: ΔE2000 of each output on the seen and the unseen
pixels, and the clips' PSNR / ΔE / TC for the keyed output, the keyless guess, and the keyed output
with its unseen part replaced by the keyless guess (by the mask, sharp and blurred by 4 px): the
question is whether new content (a character entering after the key) should take the model's guess
without the key rather than the key-guided guess, which borrows the key's colours. Results:
benchmarks/results/bench_unseen.json. Never run by the tests.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch

from bench_real import clip_pairs, read_clip  # noqa: E402  (this folder is on sys.path)
from bench_svg import pixel_delta_e  # noqa: E402
from common import Scores, save_results  # noqa: E402

from colorize.engine.model import Colorizer  # noqa: E402
from colorize.images import write_image  # noqa: E402
from colorize.jobs.keys.coverage import KeysConfig, make_engine, pull_step, small_lineart  # noqa: E402

OUTPUTS = ("keyed", "keyless guess", "unseen from the guess", "unseen from the guess, 4 px blend")


def seen_masks(images: list[np.ndarray], cfg: KeysConfig) -> list[np.ndarray]:
    """Per frame of a shot keyed at its first frame: H x W float32 in [0, 1], how surely the key sees
    each pixel (1 on the key), carried along the line-art's motion as colorize.jobs.keys.coverage does."""
    engine = make_engine(cfg.flow_preset)
    arts = [small_lineart(image, cfg) for image in images]
    mask = np.ones(arts[0].shape, np.float32)
    h, w = images[0].shape[:2]
    out = [np.ones((h, w), np.float32)]
    for previous, current in zip(arts, arts[1:]):
        map_x, map_y, reliability = pull_step(previous, current, cfg, engine)
        mask = cv2.remap(mask, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        mask *= reliability.astype(np.float32) / 256
        out.append(cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR))
    return out


def blend(keyed: np.ndarray, guess: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """keyed where seen, the guess where not (H x W x 3 uint8)."""
    m = seen[..., None]
    return (m * keyed + (1 - m) * guess + 0.5).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=Path, required=True, help="folder of held-out `colorize clips` clips")
    parser.add_argument("--max-clips", type=int, default=None, help="score only the first N clips")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    cfg = KeysConfig()
    colorizer = Colorizer.from_file(None, device="cpu")
    folders = sorted(p for p in args.clips.iterdir() if (p / "shots.json").is_file())[:args.max_clips]
    rows = {name: Scores() for name in OUTPUTS}
    errors: dict[str, list[np.ndarray]] = {}
    for folder in folders:
        frames, starts = read_clip(folder)
        with tempfile.TemporaryDirectory() as tmp:
            for start in starts:
                write_image(Path(tmp) / f"{start:06d}.png", frames[start].image)
            keyed = [c for c, _ in clip_pairs(colorizer, frames, Path(tmp), "keyframe + temporal")]
            guess = [c for c, _ in clip_pairs(colorizer, frames, Path(tmp), "line-art only")]
        for start, end in zip(starts, [*starts[1:], len(frames)]):
            shot = range(start + 1, end)
            if not len(shot):
                continue
            masks = seen_masks([frames[i].image for i in range(start, end)], cfg)[1:]
            truth = [frames[i].image for i in shot]
            outputs = {"keyed": [keyed[i] for i in shot], "keyless guess": [guess[i] for i in shot]}
            outputs[OUTPUTS[2]] = [blend(k, g, m) for k, g, m in zip(outputs["keyed"], outputs["keyless guess"], masks)]
            outputs[OUTPUTS[3]] = [blend(k, g, cv2.GaussianBlur(m, (0, 0), 4))
                                   for k, g, m in zip(outputs["keyed"], outputs["keyless guess"], masks)]
            for name, out in outputs.items():
                rows[name].add_shot(out, truth)
            for name in ("keyed", "keyless guess"):
                for out, true, m in zip(outputs[name], truth, masks):
                    d = pixel_delta_e(out, true)
                    errors.setdefault(f"{name}, unseen", []).append(d[m < 0.5])
                    errors.setdefault(f"{name}, seen", []).append(d[m >= 0.5])
        print(f"  scored {folder.name}", flush=True)
    unseen = sum(e.size for e in errors["keyed, unseen"]) / sum(e.size for k in ("keyed, unseen", "keyed, seen")
                                                                 for e in errors[k])
    print(f"share of pixels no key sees (mask < 0.5): {unseen:.3f}")
    split = {name: float(np.concatenate(e).mean()) for name, e in errors.items()}
    for name, value in split.items():
        print(f"ΔE2000 {name}: {value:.2f}")
    table = {"script": "benchmarks/bench_unseen.py", "conditions": f"default model, {len(folders)} held-out "
             "clips, key = each shot's first frame, the key's own frame left out", "unseen_share": unseen,
             "delta_e_by_mask": split, "columns": ["output", "PSNR dB", "ΔE2000", "TC"],
             "formats": [None, "{:.2f}", "{:.2f}", "{:.2f}"], "rows": []}
    for name, row in rows.items():
        r = row.row()
        table["rows"].append([name, r["PSNR"], r["ΔE"], r["TC"]])
        print(f"| {name} | {r['PSNR']:.2f} | {r['ΔE']:.2f} | {r['TC']:.2f} |")
    save_results("bench_unseen", table)


if __name__ == "__main__":
    main()
