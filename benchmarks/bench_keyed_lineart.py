"""Line-art video, with keys and without, per ink-and-paint setting: PSNR / ΔE2000 / TC on held-out art.

    python benchmarks/bench_keyed_lineart.py --svg SVG_ROOT --svg-sources tango,kapman,kdiamond --clips HELDOUT_CLIPS

What `colorize frames DIR OUT --lineart --references KEYS` does with an animator's line-art in-betweens
and a coloured key, on two kinds of held-out art, through the colour stream the jobs use (the drawings
model, its reference plan and temporal mode, keys carried both ways):

* cel clips: pairs of held-out vector drawings (SVG line-art and its colouring, rendered from the same
  geometry; bench_real.svg_pairs) moving over white paper, 24 frames each: the first drawing crosses
  the frame turning and growing a little, the second enters from the right halfway through, covering
  the first where they meet. The line-art frames go in; the colourings are the truth. Keys: the true
  first frame, the first and the last, a model sheet instead (each drawing's colouring alone on white
  paper, two sheet images, no key), or none (the shot follows its own first output, and flat
  and shaded paint leave the paper around a drawing white and lay the guess on pale, as
  colorize.cel.cel_config does without keys).
* painted clips: the held-out real-art clips (`colorize clips` folders), their frames' ink line-art
  (bench_real.ink_lineart) as the input, keyed by each shot's true first frame.

The stream runs once per clip and key set with no paint filter, and every setting is
colorize.cel.render_cel on its output, the frame's line-art and its key reach (the filter is
stateless, as in bench_real.py). Key frames are left out of the scores; TC is pooled over shots (1 = as steady as the
truth). Results: benchmarks/results/bench_keyed_lineart.json. Never run by the tests.

    python benchmarks/bench_keyed_lineart.py --svg SVG_ROOT --svg-sources tango,kapman,kdiamond \
        --clips HELDOUT_CLIPS --strip docs/cel/keyed_lines.png --strip-clip 1 --strip-frames 8 16

writes only a picture, no scores: cel clip N keyed at both ends, rows line-art | black lines (keep) |
lines in the keys' colours (colour, the default) | truth, one column per frame.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch

from bench_real import ink_lineart, read_clip, svg_pairs  # noqa: E402  (this folder is on sys.path)
from common import Scores, save_results  # noqa: E402

from colorize.cel import cel_config, render_cel  # noqa: E402
from colorize.engine.model import Colorizer  # noqa: E402
from colorize.images import write_image  # noqa: E402
from colorize.jobs.colorize.options import ColorizeOptions, colour_plan  # noqa: E402
from colorize.jobs.colorize.references import Keyframes, attach_keys  # noqa: E402
from colorize.jobs.colorize.stream import colour_stream  # noqa: E402
from colorize.media.frames import Frame  # noqa: E402
from colorize.media.shots import mark_cuts  # noqa: E402

SETTINGS = (("flat", "keep"), ("shaded", "keep"), ("free", "keep"), ("free", "colour"), ("free", "drop"))
SIDE, FRAMES = 256, 24


# --- cel clips from vector drawings -----------------------------------------------------------------

def fit(image: np.ndarray, side: int) -> np.ndarray:
    h, w = image.shape[:2]
    k = side / max(h, w)
    return cv2.resize(image, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)


def placed(image: np.ndarray, cx: float, cy: float, angle: float, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """`image` (h x w x 3 uint8, white paper) rotated, scaled and centred at (cx, cy) on a SIDE x SIDE
    sheet of white paper, and where it lies (SIDE x SIDE float32 in [0, 1])."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[0, 2] += cx - w / 2
    m[1, 2] += cy - h / 2
    sheet = cv2.warpAffine(image, m, (SIDE, SIDE), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))
    where = cv2.warpAffine(np.ones((h, w), np.float32), m, (SIDE, SIDE), flags=cv2.INTER_LINEAR)
    return sheet, where


def cel_clip(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray],
             rng: np.random.Generator) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """FRAMES line-art frames and their colourings (SIDE x SIDE x 3 uint8) of two (line-art, colouring)
    drawings in motion (see the module doc). A drawing covers what is under it where it is drawn:
    its ink or its paint (its own white paper stays see-through)."""
    drawings = [(fit(line, side), fit(colour, side)) for (line, colour), side in ((first, 130), (second, 100))]
    x0, x1, y0 = rng.uniform(70, 100), rng.uniform(120, 170), rng.uniform(100, 150)
    lines, colours = [], []
    for t in range(FRAMES):
        u = t / (FRAMES - 1)
        poses = [(x0 + (x1 - x0) * u, y0 + 10 * math.sin(6 * u), 8 * math.sin(4 * u), 1 + 0.1 * u)]
        if t >= FRAMES // 2:
            poses.append((SIDE + 40 - 120 * (t - FRAMES // 2) / (FRAMES // 2), 70.0, 0.0, 1.0))
        line = np.full((SIDE, SIDE, 3), 255, np.float32)
        colour = np.full((SIDE, SIDE, 3), 255, np.float32)
        for (l_img, c_img), pose in zip(drawings, poses):
            l_sheet, where = placed(l_img, *pose)
            c_sheet, _ = placed(c_img, *pose)
            drawn = (l_sheet.min(axis=2) < 250) | (c_sheet.min(axis=2) < 250)
            cover = (where * drawn)[..., None]
            line = line * (1 - cover) + l_sheet * cover
            colour = colour * (1 - cover) + c_sheet * cover
        lines.append(np.round(line).astype(np.uint8))
        colours.append(np.round(colour).astype(np.uint8))
    return lines, colours


def cel_clips(root: Path, sources: list[str], count: int, seed: int = 7) -> list[tuple[list, list, list]]:
    """`count` cel clips from the held-out vector pairs, the drawings paired at random (seeded):
    (line-art frames, colourings, the two drawings' colourings as model sheets)."""
    pairs = svg_pairs(root, sources, 0)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pairs))
    clips = []
    for c in range(count):
        first, second = pairs[order[2 * c]][1:], pairs[order[2 * c + 1]][1:]
        clips.append((*cel_clip(first, second, rng), [first[1], second[1]]))
    return clips


# --- colouring and scoring -------------------------------------------------------------------------

def keyed_outputs(colorizer: Colorizer, lines: list[np.ndarray], truth: list[np.ndarray], keys: list[int],
                  cuts: list[bool] | None = None, sheets: list[np.ndarray] = ()) -> list[tuple]:
    """(colour before paint, line-art, key_reach) per frame: `lines` through the stream as `colorize frames
    --lineart --references` runs it, keyed by truth[k] for k in `keys` (and `--sheet` for each of
    `sheets`, H x W x 3 uint8); `cuts`: each frame's Frame.cut (None: found on the line-art, as the
    folder job does)."""
    frames = [Frame(index=i, time=i / 12, image=image) for i, image in enumerate(lines)]
    if cuts is None:
        frames = list(mark_cuts(frames))
    else:
        frames = [dataclasses.replace(f, cut=cut) for f, cut in zip(frames, cuts)]
    with tempfile.TemporaryDirectory() as tmp:
        for k in keys:
            write_image(Path(tmp) / f"{k:06d}.png", truth[k])
        sheet_files = []
        for n, sheet in enumerate(sheets):
            sheet_files.append(Path(tmp) / f"sheet_{n}.png")
            write_image(sheet_files[-1], sheet)
        options = ColorizeOptions(lineart=True, references=Path(tmp) if keys else None, sheet=tuple(sheet_files))
        plan = dataclasses.replace(colour_plan(options, colorizer, keyed=bool(keys)), cel=None)
        keyframes = Keyframes.from_options(references_dir=tmp) if keys else Keyframes({})
        return [(item.colour, item.lineart, item.key_reach)
                for item in colour_stream(attach_keys(frames, keyframes), colorizer, plan)]


def score(rows: dict, key: str, pairs, truth: list[np.ndarray], shots: list[range], keyed: bool = True) -> None:
    for paint, lines in SETTINGS:
        cfg = cel_config(paint, lines, lineart=True, keyed=keyed)   # as colorize paints line-art
        outputs = [render_cel(colour, line, cfg, reach) for colour, line, reach in pairs]
        row = rows.setdefault((key, paint, lines), Scores())
        for shot in shots:
            if len(shot):
                row.add_shot([outputs[i] for i in shot], [truth[i] for i in shot])


def save_strip(colorizer: Colorizer, clip: tuple[list, list, list], picks: list[int], path: Path) -> None:
    """`clip` keyed at both ends: rows line-art, lines keep, lines colour, truth; columns `picks`."""
    lines, truth, _ = clip
    pairs = keyed_outputs(colorizer, lines, truth, [0, FRAMES - 1])
    keep, coloured = (cel_config("free", mode, lineart=True, keyed=True) for mode in ("keep", "colour"))
    painted = lambda t, cfg: render_cel(pairs[t][0], pairs[t][1], cfg, pairs[t][2])
    rows = [[lines[t] for t in picks], [painted(t, keep) for t in picks],
            [painted(t, coloured) for t in picks], [truth[t] for t in picks]]
    pad = lambda img: np.pad(img, ((2, 2), (2, 2), (0, 0)), constant_values=255)
    write_image(path, np.concatenate([np.concatenate([pad(img) for img in row], 1) for row in rows], 0))
    print(f"wrote {path} (rows: line-art, keep, colour, truth; cel clip frames {picks})")


def table(rows: dict, conditions: str) -> dict:
    data = []
    last = None
    for (key, paint, lines), row in rows.items():
        r = row.row()
        data.append([key if key != last else None, paint, lines, r["PSNR"], r["ΔE"], r["TC"]])
        last = key
    return {"script": "benchmarks/bench_keyed_lineart.py", "conditions": conditions,
            "columns": ["held-out art, keys", "paint", "lines", "PSNR dB", "ΔE2000", "TC"],
            "formats": [None, None, None, "{:.2f}", "{:.2f}", "{:.2f}"], "rows": data}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, required=True, help="vector pairs root (pairs/SOURCE/{lineart,colour})")
    parser.add_argument("--svg-sources", required=True, help="comma-separated held-out vector sources")
    parser.add_argument("--cel-clips", type=int, default=12, help="cel clips to make from them")
    parser.add_argument("--clips", type=Path, required=True, help="folder of held-out `colorize clips` clips")
    parser.add_argument("--max-clips", type=int, default=None, help="score only the first N painted clips "
                        "(0: none)")
    parser.add_argument("--strip", type=Path, default=None, help="write this picture only (see the module doc)")
    parser.add_argument("--strip-clip", type=int, default=0, help="the cel clip of --strip")
    parser.add_argument("--strip-frames", type=int, nargs="+", default=[8, 16], help="its frames")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_grad_enabled(False)
    colorizer = Colorizer.from_file(None, device="cpu", lineart=True)
    rows: dict = {}
    clips = cel_clips(args.svg, [s for s in args.svg_sources.split(",") if s], args.cel_clips)
    if args.strip is not None:
        save_strip(colorizer, clips[args.strip_clip], args.strip_frames, args.strip)
        return
    for n, (lines, truth, drawings) in enumerate(clips):
        for name, keys, sheets in (("first key", [0], []), ("first and last keys", [0, FRAMES - 1], []),
                                   ("model sheets, no key", [], drawings), ("no key", [], [])):
            pairs = keyed_outputs(colorizer, lines, truth, keys, sheets=sheets)
            scored = [i for i in range(FRAMES) if i not in keys]
            score(rows, f"{len(clips)} cel clips, {name}", pairs, truth, [scored], keyed=bool(keys or sheets))
        print(f"  cel clip {n + 1}/{len(clips)}", flush=True)
    folders = sorted(p for p in args.clips.iterdir() if (p / "shots.json").is_file())[:args.max_clips]
    for folder in folders:
        frames, starts = read_clip(folder)
        truth = [f.image for f in frames]
        # the cuts found on the colour frames, as bench_real keys them
        pairs = keyed_outputs(colorizer, [ink_lineart(t) for t in truth], truth, starts, cuts=[f.cut for f in frames])
        shots = [range(s + 1, e) for s, e in zip(starts, [*starts[1:], len(frames)])]
        score(rows, f"{len(folders)} painted clips (ink line-art), first key of each shot", pairs, truth, shots)
        print(f"  painted clip {folder.name}", flush=True)
    t = table(rows, f"drawings model; {len(clips)} cel clips of {FRAMES} frames from held-out vector sources "
              f"{args.svg_sources}; {len(folders)} held-out real-art clips; key frames left out")
    for cells in t["rows"]:
        print("| " + " | ".join("" if c is None else f"{c:.2f}" if isinstance(c, float) else str(c)
                                for c in cells) + " |")
    save_results("bench_keyed_lineart", t)


if __name__ == "__main__":
    main()
