"""Model sheets on held-out real-art clips: a shot without any key, following its own first output
(today's default) or model sheets of its characters (`--sheet`), PSNR / ΔE2000 / TC.

    python benchmarks/bench_sheets.py --clips /work/art/realart/clips/heldout --art /work/art/realart/src \
        [--max-clips N] [--backend openvino]

The sheets of a shot are the art files of the characters its shots.json names (`actors`: drawings
not tied to any frame, on transparent ground, flattened onto white), as an animator's model sheet
would show them. Each shot runs alone (its first frame a cut), with the temporal mode, through the
jobs' colour stream; every frame but the first is scored. Never run by the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_real import Scores, read_clip  # noqa: E402

import dataclasses  # noqa: E402

from colorize.engine.model import Colorizer  # noqa: E402
from colorize.filters.temporal import TemporalConfig  # noqa: E402
from colorize.jobs.colorize.references import ModelSheet  # noqa: E402
from colorize.jobs.colorize.stream import ColourPlan, colour_stream  # noqa: E402


def sheet_image(path: Path) -> np.ndarray:
    """An art file as H x W x 3 uint8 RGB on white (alpha flattened)."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGRA)
    if image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)
    alpha = image[..., 3:4].astype(np.float32) / 255
    rgb = image[..., 2::-1].astype(np.float32) * alpha + 255 * (1 - alpha)
    return np.rint(rgb).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=Path, required=True)
    parser.add_argument("--art", type=Path, required=True, help="folder of art sources (NAME/characters/...)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--max-clips", type=int, default=None)
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    colorizer = Colorizer.from_file(args.model, device="cpu", backend=args.backend, size=384)
    cfg = TemporalConfig.at_working_size(384)
    table = {"own first output (no key; today)": Scores(), "model sheets of its characters": Scores()}
    folders = sorted(p for p in args.clips.iterdir() if (p / "shots.json").is_file())[:args.max_clips]
    for folder in folders:
        frames, _ = read_clip(folder)
        meta = json.loads((folder / "shots.json").read_text())
        for shot in meta["shots"]:
            files = [args.art / a["source"] / f for a in shot.get("actors", []) for f in a["files"][:1]]
            if shot["end"] - shot["start"] < 3 or not files:
                continue
            part = [dataclasses.replace(f, cut=i == 0) for i, f in enumerate(frames[shot["start"]:shot["end"]])]
            sheet = ModelSheet([sheet_image(p) for p in files], colorizer)
            for (name, scores), plan_sheet in zip(table.items(), (None, sheet)):
                plan = ColourPlan(batch_size=4, follow=True, temporal=cfg, sheet=plan_sheet)
                outputs = [item.colour for item in colour_stream(iter(part), colorizer, plan)]
                scores.add_shot(outputs[1:], [f.image for f in part[1:]])
        print(f"  {folder.name}: " + ", ".join(f"{n}: {s.row()['PSNR']:.2f} dB" for n, s in table.items()), flush=True)
    print("\n| shot without keys (held-out real-art clips) | PSNR dB | ΔE2000 | TC | frames |")
    print("|---|---|---|---|---|")
    for name, scores in table.items():
        r = scores.row()
        print(f"| {name} | {r['PSNR']:.2f} | {r['ΔE']:.2f} | {r['TC']:.2f} | {r['n']} |")


if __name__ == "__main__":
    main()
