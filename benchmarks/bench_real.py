"""The colorizer on real drawings it never saw, per ink-and-paint setting: PSNR / ΔE2000 / ink kept / TC.

    python benchmarks/bench_real.py --clips HELDOUT_CLIPS --stills HELDOUT_STILLS [--svg SVG_ROOT --svg-sources a,b]
    python benchmarks/bench_real.py ... --model runs/realart/generator.safetensors --grid docs/cel/heldout_grid.png
    python benchmarks/bench_real.py ... --figures ART_ROOT/stills/figures   # the stills also inside their figures

Data: folders written by `colorize clips` from art sources held out of training (whole sources, other
artists; see pipelines/realart_model.toml), a folder of held-out stills (one drawing each, on a plain or
gradient ground), and optionally true vector line-art pairs (SVG art rendered twice from the same
geometry: SVG_ROOT/pairs/SOURCE/{lineart,colour}/NNNN.png) from held-out sources. No generated toon art.

Inputs and modes, all through the Colorizer code the jobs use (colour_stream / iter_colorized):
* raster stills, line-art only: the colour still goes through the model's own line-art recipe;
* raster stills, clean line-art: the still's ink lines (the "ink" recipe) given as line-art (`--lineart`);
* clips: line-art only (`--no-self-reference --no-temporal`), keyframe (the true first frame of each shot,
  `--no-temporal`) and keyframe + temporal (the default with keyframes); scores leave out each shot's
  first frame (the keyframe itself); TC is pooled over shots (colorize.metrics.temporal, 1 = as steady as
  the truth);
* vector line-art: the rendered line-art given as line-art (`--lineart`), scored against the colouring.

Each is scored under every ink-and-paint setting (`--paint flat|shaded|free` x `--lines keep|drop`;
free + drop is the colour as it was before ink and paint). The paint filter runs last in the stream and
is stateless, so the generator runs once per input and mode and each setting is colorize.cel.render_cel
on that output and the frame's own line-art: the same as the stream with `ColourPlan(cel=...)` (`--check`
compares the two on the first clip). Two baselines: the line-art handed back uncoloured, and every pixel one mean colour
(the truth's own mean, per still or frame). "ink kept" = share of the line-art's ink pixels (< 128) that
are still ink in the output (every channel < 128), as in tests/cel/test_paint.py.
With `--figures` (each still's figure coverage, pipelines/realart/make_stills.py), the stills are also
scored inside their figures alone, without the ground the script drew, next to the figure's own mean colour.
Results: benchmarks/results/bench_real_cel_{stills,figures,clips,svg}.json (docs/benchmarks.md via make_tables.py).
bench_real.json (self-reference and smoothed modes, the previous toon model) came from this script's
earlier version (git history); its free + drop figures match the rows here (12.91 / 26.85 on the stills).
Never run by the tests.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path

import cv2
import numpy as np
import torch

from common import Scores, save_results  # noqa: E402  (benchmarks/common.py; this folder is on sys.path)

from colorize.cel import CelConfig, render_cel  # noqa: E402
from colorize.cel.frame import GUESS_CHROMA, GUESS_DOUBT  # noqa: E402
from colorize.cel.paint import PAPER_TINT  # noqa: E402
from colorize.engine.model import Colorizer  # noqa: E402
from colorize.filters.temporal import TemporalConfig  # noqa: E402
from colorize.images import list_images, read_rgb, write_image  # noqa: E402
from colorize.jobs.colorize.references import Keyframes, attach_keys  # noqa: E402
from colorize.jobs.colorize.stream import ColourPlan, colour_stream  # noqa: E402
from colorize.lineart.recipes import LineArtConfig, lineart_numpy  # noqa: E402
from colorize.media.frames import Frame  # noqa: E402
from colorize.media.shots import mark_cuts  # noqa: E402

CLIP_MODES = ("line-art only", "keyframe", "keyframe + temporal")
CEL = (("free", "drop"), ("free", "keep"), ("flat", "drop"), ("flat", "keep"), ("shaded", "drop"),
       ("shaded", "keep"), ("flat + paper", "keep"))
# "flat + paper": flat paint with CelConfig(paper=PAPER_TINT) (regions painted within that Lab distance
# of white left white; colorize.cel.paint), an option measured here, off by default.
# Line-art input only: flat paint without the surround rule (the paper around a drawing painted as
# the generator painted it), flat paint with the generator's full chroma (neither the chroma share
# nor the doubt rule), and flat paint without the doubt rule alone, to show what CelConfig.surround,
# .chroma and .doubt change.
NO_SURROUND = "flat, surround off"
FULL_CHROMA = "flat, full chroma"
NO_DOUBT = "flat, no doubt rule"
BASELINES = ("(the line-art handed back uncoloured)", "(every pixel one mean colour)")
# Stills with figure masks only: every pixel the mean colour of the figure alone (the figures-only table).
FIGURE_MEAN = "(every pixel the figure's own mean colour)"
# Stills only: the bound for any colorizer of line-art alone (bench_real.ground_bound).
GROUND_BOUND = "(the truth's own figure on the one best ground colour)"
# Scenes only: what flat paint from lines alone would score knowing what one mean colour knows
# (bench_real.scene_bounds).
MEAN_SHIFT_BOUND = "(flat + keep from line-art only, moved by the truth's own mean Lab offset)"
LIGHTNESS_BOUND = "(the truth's own lightness, no hue, flat per region, lines kept)"
REGION_BOUND = "(the truth's own colour, flat per region, lines kept)"
Pair = tuple[np.ndarray, np.ndarray]   # (colour before paint H x W x 3, line-art H x W uint8)


# --- scoring ------------------------------------------------------------------------------------


class Row(Scores):
    """Scores plus the share of ink pixels that stay ink (per image, averaged)."""

    def __init__(self) -> None:
        super().__init__()
        self.ink: list[float] = []

    def add_ink(self, outputs: list[np.ndarray], lines: list[np.ndarray]) -> None:
        for out, line in zip(outputs, lines):
            ink = line < 128
            if ink.any():
                self.ink.append(float((out.max(axis=2) < 128)[ink].mean()))


def cel_outputs(pairs: list[Pair], paint: str, lines: str, lineart: bool = False) -> list[np.ndarray]:
    """Each pair painted as `colorize` paints it: for line-art input (`lineart`) the paper around a
    drawing on paper is left white and the guessed colours kept at GUESS_CHROMA, paler where they
    disagree within a region (CelConfig.surround, .chroma and .doubt, as cel_config sets them
    without keys)."""
    chroma, doubt = (GUESS_CHROMA, GUESS_DOUBT) if lineart else (1.0, 0.0)
    if paint == NO_SURROUND:
        cfg = CelConfig(paint="flat", lines=lines, chroma=chroma, doubt=doubt)
    elif paint == FULL_CHROMA:
        cfg = CelConfig(paint="flat", lines=lines, surround=True)
    elif paint == NO_DOUBT:
        cfg = CelConfig(paint="flat", lines=lines, surround=True, chroma=chroma)
    elif paint == "flat + paper":
        cfg = CelConfig(paint="flat", lines=lines, paper=PAPER_TINT, surround=lineart, chroma=chroma, doubt=doubt)
    else:
        cfg = CelConfig(paint=paint, lines=lines, surround=lineart, chroma=chroma, doubt=doubt)
    return [render_cel(colour, line, cfg) for colour, line in pairs]


def baseline_outputs(name: str, pairs: list[Pair], truth: list[np.ndarray],
                     masks: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """The baseline `name`'s outputs (FIGURE_MEAN: the mean over each of `masks`, > 0)."""
    if name == BASELINES[0]:
        return [np.repeat(line[..., None], 3, axis=2) for _, line in pairs]
    parts = [t[m > 0] for t, m in zip(truth, masks)] if name == FIGURE_MEAN else [t.reshape(-1, 3) for t in truth]
    return [np.broadcast_to(p.mean(0).round().astype(np.uint8), t.shape).copy() for p, t in zip(parts, truth)]


def score_settings(rows: dict, key: str, pairs: list[Pair], truth: list[np.ndarray], shot: bool,
                   baselines: bool = True, lineart: bool = False, masks: list[np.ndarray] | None = None) -> None:
    """Add `pairs` (one shot when `shot`) to rows[(key, paint, lines)] for every setting (and baselines);
    `lineart`: the input is line-art, painted with the surround and chroma rules (and a row without
    each); `masks` (stills only, H x W, > 0 inside): also scored inside them ("char PSNR", "char ΔE"),
    the mean-colour baseline then the mean inside each mask."""
    base = (*BASELINES, FIGURE_MEAN) if masks is not None else BASELINES
    settings = (list(CEL) + ([(NO_SURROUND, "keep"), (FULL_CHROMA, "keep"), (NO_DOUBT, "keep")] if lineart else [])
                + ([(b, "") for b in base] if baselines else []))
    lines = [line for _, line in pairs]
    for paint, line_mode in settings:
        outputs = (baseline_outputs(paint, pairs, truth, masks) if paint in base
                   else cel_outputs(pairs, paint, line_mode, lineart))
        row = rows.setdefault((key if paint not in base else "baseline", paint, line_mode), Row())
        inside = None if paint == BASELINES[1] else masks  # the still's mean belongs to the whole still
        if shot:
            row.add_shot(outputs, truth)
        else:   # one by one: drawings may differ in size
            for n, (out, true) in enumerate(zip(outputs, truth)):
                row.add_frames([out], [true], None if inside is None else [inside[n]])
        row.add_ink(outputs, lines)


# --- inputs -------------------------------------------------------------------------------------


def gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def ink_lineart(rgb: np.ndarray) -> np.ndarray:
    """The still's clean line-art (ink recipe), H x W x 3 uint8 so it is fed like an image."""
    return np.repeat(lineart_numpy(rgb, LineArtConfig(method="ink"))[..., None], 3, axis=2)


def colour_pairs(colorizer: Colorizer, images: list[np.ndarray], is_lineart: bool) -> list[Pair]:
    """Each image colorized on its own (no reference), with the line-art the stream paints on."""
    frames = [Frame(index=i, time=0.0, image=im) for i, im in enumerate(images)]
    return [(item.colour, item.lineart) for item in colorizer.iter_colorized(frames, is_lineart, 4)]


def read_clip(folder: Path) -> tuple[list[Frame], list[int]]:
    """A `colorize clips` folder: its frames (RGB) and the first frame of every shot."""
    meta = json.loads((folder / "shots.json").read_text())
    files = sorted(folder.glob("frame_*.png"))
    fps = float(meta.get("fps", 12.0))
    frames = list(mark_cuts(Frame(index=i, time=i / fps, image=read_rgb(f)) for i, f in enumerate(files)))
    return frames, [0, *meta.get("cuts", [])]


def clip_plan(mode: str, cel: CelConfig | None = None) -> ColourPlan:
    keyed = mode.startswith("keyframe")
    return ColourPlan(batch_size=4, follow=keyed, self_reference=False,
                      temporal=TemporalConfig() if mode.endswith("temporal") else None, cel=cel)


def clip_pairs(colorizer: Colorizer, frames: list[Frame], key_dir: Path, mode: str,
               cel: CelConfig | None = None) -> list[Pair]:
    keys = Keyframes.from_options(references_dir=key_dir) if mode.startswith("keyframe") else Keyframes({})
    stream = colour_stream(attach_keys(frames, keys), colorizer, clip_plan(mode, cel))
    return [(item.colour, item.lineart) for item in stream]


def svg_pairs(root: Path, sources: list[str], per_source: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(source, line-art H x W x 3, colouring H x W x 3) of the held-out vector sources, evenly subsampled."""
    out = []
    for source in sources:
        files = list_images(root / "pairs" / source / "colour")
        step = max(1, math.ceil(len(files) / per_source)) if per_source else 1
        for colour in files[::step]:
            line = root / "pairs" / source / "lineart" / colour.name
            if line.is_file():
                out.append((source, read_rgb(line), read_rgb(colour)))
    return out


# --- runs ---------------------------------------------------------------------------------------


def score_stills(colorizer: Colorizer, drawings: Colorizer, stills: list[np.ndarray], rows: dict,
                 bound: bool = True, figures: list[np.ndarray] | None = None) -> dict:
    """Stills rows (`drawings`: the model for line-art input; `bound`: add the ground_bound row, for
    figures on a ground; `figures`: each still's figure coverage, H x W uint8, also scored inside
    it); returns {input: pairs} for the grid."""
    kept = {}
    for key, images, is_lineart in (("line-art only", stills, False),
                                    ("clean line-art (`--lineart`)", [ink_lineart(s) for s in stills], True)):
        pairs = colour_pairs(drawings if is_lineart else colorizer, images, is_lineart)
        score_settings(rows, key, pairs, stills, shot=False, baselines=key == "line-art only", lineart=is_lineart,
                       masks=None if figures is None else [f >= 128 for f in figures])
        kept[key] = pairs
    if bound:
        row = rows.setdefault(("baseline", GROUND_BOUND, ""), Row())
        row.add_frames(ground_bound(stills, [line for _, line in kept["clean line-art (`--lineart`)"]]), stills)
    else:
        for name, outputs in scene_bounds(kept["line-art only"], stills).items():
            row = rows.setdefault(("baseline", name, ""), Row())
            for out, true in zip(outputs, stills):
                row.add_frames([out], [true])
    return kept


def scene_bounds(pairs: list[Pair], truth: list[np.ndarray]) -> dict[str, list[np.ndarray]]:
    """Three oracles for scenes (line-art from the colour frame, flat + keep as `colorize` paints a
    colour still): the generator's colour moved in Lab by the difference between the truth's mean and
    its own before painting (what the one-mean-colour baseline knows, given to the model); each
    region painted the truth's own median lightness with no hue (the lightness right, the hue not);
    and, as a ceiling of flat paint in these regions, each region painted the truth's own colour."""
    cfg = CelConfig(paint="flat", lines="keep")
    shifted, lightness, own = [], [], []
    for (colour, line), true in zip(pairs, truth):
        lab, true_lab = (cv2.cvtColor(x, cv2.COLOR_RGB2LAB).astype(np.float32) for x in (colour, true))
        lab += true_lab.reshape(-1, 3).mean(0) - lab.reshape(-1, 3).mean(0)
        shifted.append(render_cel(cv2.cvtColor(np.clip(lab, 0, 255).round().astype(np.uint8), cv2.COLOR_LAB2RGB),
                                  line, cfg))
        grey = true_lab.copy()
        grey[..., 1:] = 128  # 8-bit Lab: a = b = 128 is no hue
        lightness.append(render_cel(cv2.cvtColor(grey.astype(np.uint8), cv2.COLOR_LAB2RGB), line, cfg))
        own.append(render_cel(true, line, cfg))
    return {MEAN_SHIFT_BOUND: shifted, LIGHTNESS_BOUND: lightness, REGION_BOUND: own}


def ground_bound(stills: list[np.ndarray], lines: list[np.ndarray]) -> list[np.ndarray]:
    """Each still with its ground (the paper region around the drawing in its clean line-art,
    colorize.cel.regions.surround_region) painted the one colour that is nearest, in mean ΔE2000, to
    the grounds of all the stills together, and everything else left as the truth: what a colorizer
    that paints every figure perfectly scores when the line-art shows nothing of the ground."""
    import itertools

    import kornia

    from colorize.cel import segment_regions
    from colorize.cel.regions import surround_region
    from colorize.metrics.image import delta_e2000_lab

    grounds = []
    for line in lines:
        regions = segment_regions(line)
        around = surround_region(regions)
        grounds.append(regions.fill == around if around else np.zeros(line.shape, bool))
    sample = np.concatenate([s[g][::7] for s, g in zip(stills, grounds)]).astype(np.float32) / 255
    truth_lab = kornia.color.rgb_to_lab(torch.from_numpy(sample).T[None, :, :, None])

    def mean_delta_e(colour: tuple[int, ...]) -> float:
        lab = kornia.color.rgb_to_lab(torch.tensor(colour, dtype=torch.float32)[None, :, None, None] / 255)
        return float(delta_e2000_lab(lab.expand_as(truth_lab), truth_lab).mean())

    best = min((mean_delta_e(c), c) for c in itertools.product(range(150, 256, 15), repeat=3))
    for step in (6, 2):  # refine around the best so far
        near = itertools.product(*[range(max(0, v - 2 * step), min(255, v + 2 * step) + 1, step) for v in best[1]])
        best = min([best] + [(mean_delta_e(c), c) for c in near])
    print(f"  one best ground colour {best[1]}: ΔE {best[0]:.2f} on the ground pixels", flush=True)
    outputs = []
    for still, ground in zip(stills, grounds):
        out = still.copy()
        out[ground] = np.array(best[1], np.uint8)
        outputs.append(out)
    return outputs


def score_clips(colorizer: Colorizer, folders: list[Path], rows: dict, check: bool) -> None:
    for n, folder in enumerate(folders):
        frames, starts = read_clip(folder)
        ends = [*starts[1:], len(frames)]
        with tempfile.TemporaryDirectory() as tmp:
            for start in starts:
                write_image(Path(tmp) / f"{start:06d}.png", frames[start].image)
            for mode in CLIP_MODES:
                pairs = clip_pairs(colorizer, frames, Path(tmp), mode)
                if n == 0 and check:
                    check_same_as_stream(colorizer, frames, Path(tmp), mode, pairs)
                for start, end in zip(starts, ends):
                    shot = range(start + 1, end)
                    if len(shot):
                        score_settings(rows, mode, [pairs[i] for i in shot], [frames[i].image for i in shot],
                                       shot=True, baselines=mode == CLIP_MODES[0])
        print(f"  scored clip {n + 1}/{len(folders)} ({folder.name})", flush=True)


def check_same_as_stream(colorizer, frames, key_dir, mode, pairs) -> None:
    """The stream with the paint filter gives what render_cel on its unpainted output gives."""
    cfg = CelConfig(paint="flat", lines="keep")
    streamed = clip_pairs(colorizer, frames, key_dir, mode, cfg)
    after = cel_outputs(pairs, cfg.paint, cfg.lines)
    diff = max(int(np.abs(s.astype(int) - a.astype(int)).max()) for (s, _), a in zip(streamed, after))
    print(f"  {mode}: stream with paint vs paint after the stream, max difference {diff}", flush=True)


def score_svg(colorizer: Colorizer, items, rows: dict) -> list[Pair]:
    truth = [colour for _, _, colour in items]
    pairs = colour_pairs(colorizer, [line for _, line, _ in items], is_lineart=True)
    score_settings(rows, "vector line-art (`--lineart`)", pairs, truth, shot=False, lineart=True)
    return pairs


# --- tables -------------------------------------------------------------------------------------


def table(rows: dict, first: str, conditions: str, tc: bool, inside: bool = False) -> dict:
    """One results table of `rows`; `inside`: the figures inside the masks ("char PSNR", "char ΔE";
    rows without them, such as the ground bound, are left out)."""
    columns = ["held-out art", "input / mode", "paint", "lines", "PSNR dB", "ΔE2000", "ink kept %"]
    if inside:
        columns[4:6] = ["figure PSNR dB", "figure ΔE2000"]
        rows = {k: row for k, row in rows.items() if row.masked_psnr}
    else:  # the figure's own mean colour is a figures-only baseline
        rows = {k: row for k, row in rows.items() if k[1] != FIGURE_MEAN}
    data = []
    for n, ((key, paint, lines), row) in enumerate(rows.items()):
        r = row.row()
        baseline = key == "baseline"
        cells = [first if n == 0 else None, paint if baseline else key,
                 None if baseline else paint, lines or None, *((r["char PSNR"], r["char ΔE"]) if inside else
                                                               (r["PSNR"], r["ΔE"])),
                 100 * float(np.mean(row.ink)) if row.ink else None]
        if tc:
            cells.append(None if math.isnan(r["TC"]) else r["TC"])
        data.append(cells)
    formats = [None, None, None, None, "{:.2f}", "{:.2f}", "{:.1f}"] + (["{:.2f}"] if tc else [])
    return {"script": "benchmarks/bench_real.py", "conditions": conditions,
            "columns": columns + (["TC"] if tc else []), "formats": formats, "rows": data}


def ordered(rows: dict) -> dict:
    """Rows by input, settings in CEL order, baselines last."""
    return dict(sorted(rows.items(), key=lambda kv: (kv[0][0] == "baseline", )))


def print_table(t: dict) -> None:
    print("| " + " | ".join(t["columns"]) + " |")
    for cells in t["rows"]:
        print("| " + " | ".join("" if c is None else f"{c:.2f}" if isinstance(c, float) else str(c)
                                for c in cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=Path, required=True, help="folder of held-out `colorize clips` clips")
    parser.add_argument("--stills", type=Path, required=True, help="folder of held-out stills")
    parser.add_argument("--figures", type=Path, default=None, help="folder of each still's figure coverage "
                        "(same names, 255 inside the figure; pipelines/realart/make_stills.py writes it): also "
                        "score the stills inside their figures, without the ground")
    parser.add_argument("--svg", type=Path, default=None, help="vector pairs root (pairs/SOURCE/{lineart,colour})")
    parser.add_argument("--svg-sources", default="", help="comma-separated held-out vector sources")
    parser.add_argument("--svg-max", type=int, default=0, help="at most N pairs per vector source (0: all)")
    parser.add_argument("--model", default=None, help="generator file for every input (default: the bundled "
                        "models: the drawings model for `--lineart` inputs, the default model otherwise)")
    parser.add_argument("--max-clips", type=int, default=None, help="score only the first N clips")
    parser.add_argument("--clip-stills", type=int, default=0, help="also score every Nth frame of all the "
                        "clips as a still, alone (scenes over painted backgrounds; 0: off)")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: stills, clips, svg")
    parser.add_argument("--check", action="store_true",
                        help="check on the first clip that painting after the stream equals the stream's paint")
    parser.add_argument("--grid", type=Path, default=None, help="write line-art | colorized | truth PNG")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_grad_enabled(False)
    skip = set(filter(None, args.skip.split(",")))
    colorizer = Colorizer.from_file(args.model, device="cpu")
    drawings = Colorizer.from_file(args.model, device="cpu", lineart=True)   # as `colorize frames --lineart`
    model = Path(args.model).name if args.model else "the bundled models (drawings model for `--lineart`)"
    grid_parts = {}
    if "stills" not in skip:
        still_files = list_images(args.stills)
        stills = [read_rgb(p) for p in still_files]
        figures = None if args.figures is None else \
            [read_rgb(args.figures / p.relative_to(args.stills))[..., 0] for p in still_files]
        rows: dict = {}
        grid_parts["stills"] = (score_stills(colorizer, drawings, stills, rows, figures=figures), stills)
        t = table(ordered(rows), f"{len(stills)} raster stills", f"{model}; {len(stills)} held-out stills "
                  "(256x256); each setting applied to the same generator output", tc=False)
        print_table(t)
        save_results("bench_real_cel_stills", t)
        if figures is not None:
            t = table(ordered(rows), f"{len(stills)} raster stills, figures only", f"{model}; the same "
                      "outputs scored inside each still's figure (coverage >= 128), without its ground", tc=False,
                      inside=True)
            print_table(t)
            save_results("bench_real_cel_figures", t)
    if args.clip_stills:
        folders = sorted(p for p in args.clips.iterdir() if (p / "shots.json").is_file())
        scenes = [f.image for folder in folders for f in read_clip(folder)[0][::args.clip_stills]]
        rows = {}
        score_stills(colorizer, drawings, scenes, rows, bound=False)
        t = table(ordered(rows), f"{len(scenes)} clip frames as stills", f"{model}; every "
                  f"{args.clip_stills}th frame of the {len(folders)} held-out clips, each on its own (scenes: "
                  "figures over painted backgrounds)", tc=False)
        print_table(t)
        save_results("bench_real_cel_scenes", t)
    if "clips" not in skip:
        folders = sorted(p for p in args.clips.iterdir() if (p / "shots.json").is_file())[:args.max_clips]
        rows = {}
        score_clips(colorizer, folders, rows, args.check)
        n = rows[(CLIP_MODES[0], "free", "drop")].row()["n"]
        t = table(ordered(rows), f"{len(folders)} clips, {n} scored frames", f"{model}; {len(folders)} "
                  "held-out clips at 256x256, each shot's first frame left out", tc=True)
        print_table(t)
        save_results("bench_real_cel_clips", t)
    if args.svg and "svg" not in skip:
        sources = [s for s in args.svg_sources.split(",") if s]
        items = svg_pairs(args.svg, sources, args.svg_max)
        rows = {}
        grid_parts["svg"] = (score_svg(drawings, items, rows), items)
        t = table(ordered(rows), f"{len(items)} vector drawings", f"{model}; held-out vector sources "
                  f"{', '.join(sources)}" + (f", at most {args.svg_max} each" if args.svg_max else ""), tc=False)
        print_table(t)
        save_results("bench_real_cel_svg", t)
    if args.grid:
        from cel_grid import save_grid  # benchmarks/cel_grid.py

        save_grid(args.grid, grid_parts)


if __name__ == "__main__":
    main()
