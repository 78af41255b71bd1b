"""The colorizer on true artist line-art it never saw: held-out vector drawings, PSNR / ΔE2000 / ink / paper.

    python benchmarks/bench_svg.py --pairs ART/pairs                      # the bundled default model
    python benchmarks/bench_svg.py --pairs ART/pairs --model NEW.safetensors --baseline OLD.safetensors
    python benchmarks/bench_svg.py ... --grid docs/svg_grid.png           # line-art | colorized | truth

Data: the pair folders of pipelines/svgart/prepare_svg.py (NAME/colour, NAME/lineart, source.json);
only sources whose source.json says "split": "heldout" are scored (whole packages by other artists,
never trained on). Each drawing's true line-art goes in as `colorize frames --lineart` does, and the
output is compared with the drawing's own colouring on white paper. Two references show what the
figures mean: the line-art handed back uncoloured ("line-art as is") and every pixel painted the
drawing's mean colour ("flat mean colour").

Columns: PSNR and ΔE2000 against the colouring (mean over drawings); ink kept: the share of the
drawing's ink pixels (line-art < 128) that are still dark in the output (luminance < 0.5); paper ΔE:
mean ΔE2000 over the pixels that are white paper in the truth (a drawing on white paper should come
back on white paper). Never run by the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from colorize.images import read_rgb, write_image
from colorize.engine.model import Colorizer, tensor_to_uint8
from colorize.metrics.image import delta_e2000, delta_e2000_lab, psnr


def heldout_pairs(root: Path, limit: int | None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(source, colour H x W x 3, line-art H x W) of every held-out pair (at most `limit` per source)."""
    out = []
    for info_file in sorted(root.glob("*/source.json")):
        info = json.loads(info_file.read_text())
        if info.get("split") != "heldout":
            continue
        for record in info["pairs"][:limit]:
            colour = read_rgb(info_file.parent / "colour" / record["file"])
            line = read_rgb(info_file.parent / "lineart" / record["file"])[..., 0]
            out.append((info["name"], colour, line))
    if not out:
        sys.exit(f"no held-out pairs under {root} (source.json with \"split\": \"heldout\")")
    return out


def _t(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float() / 255


def pixel_delta_e(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """H x W ΔE2000 of two H x W x 3 uint8 images."""
    import kornia

    lab = lambda x: kornia.color.rgb_to_lab(_t(x))
    return delta_e2000_lab(lab(pred), lab(truth))[0].numpy()


def score(output: np.ndarray, colour: np.ndarray, line: np.ndarray) -> dict[str, float]:
    """One drawing's figures (see the module docstring)."""
    pred, gt = _t(output), _t(colour)
    ink = line < 128
    luma = output.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) / 255
    paper = (colour.min(axis=2) > 245) & ~ink
    return {"PSNR": float(psnr(pred, gt)[0]), "ΔE": float(delta_e2000(pred, gt)[0]),
            "ink kept": float((luma[ink] < 0.5).mean()) if ink.any() else float("nan"),
            "paper ΔE": float(pixel_delta_e(output, colour)[paper].mean()) if paper.any() else float("nan")}


def colorize(colorizer: Colorizer, line: np.ndarray) -> np.ndarray:
    rgb = np.repeat(line[..., None], 3, axis=2)
    return tensor_to_uint8(colorizer.colorize_batch(colorizer.lineart_of(rgb[None], is_lineart=True)))[0]


def table_rows(pairs, outputs: dict[str, list[np.ndarray]]) -> dict[str, dict[str, float]]:
    rows = {}
    for name, outs in outputs.items():
        figures = [score(o, c, l) for o, (_, c, l) in zip(outs, pairs)]
        rows[name] = {k: float(np.nanmean([f[k] for f in figures])) for k in figures[0]}
        for source in sorted({s for s, _, _ in pairs}):
            picked = [f for f, (s, _, _) in zip(figures, pairs) if s == source]
            rows[f"{name} [{source}]"] = {k: float(np.nanmean([f[k] for f in picked])) for k in picked[0]}
    return rows


def save_grid(path: Path, pairs, outputs: list[np.ndarray], n: int = 8, side: int = 192) -> None:
    """Rows of line-art | colorized | truth for `n` drawings spread over the held-out pairs."""
    import cv2

    def fit(image):
        scale = side / max(image.shape[:2])
        small = cv2.resize(image, (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))),
                           interpolation=cv2.INTER_AREA)
        tile = np.full((side + 4, side + 4, 3), 255, np.uint8)
        tile[2:2 + small.shape[0], 2:2 + small.shape[1]] = small
        return tile

    picks = np.unique(np.linspace(0, len(pairs) - 1, min(n, len(pairs))).round().astype(int))
    rows = [np.concatenate([fit(np.repeat(pairs[i][2][..., None], 3, 2)), fit(outputs[i]), fit(pairs[i][1])], 1)
            for i in picks]
    write_image(path, np.concatenate(rows, 0))
    print(f"wrote {path} (columns: line-art, colorized, truth)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, required=True, help="folder of pair folders (prepare_svg.py's pairs/)")
    parser.add_argument("--model", default=None, help="generator file (default: the bundled default model)")
    parser.add_argument("--baseline", default=None, help="another model on the same data")
    parser.add_argument("--limit", type=int, default=None, help="score at most N drawings per source")
    parser.add_argument("--grid", type=Path, default=None, help="write a line-art | colorized | truth grid (model)")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_grad_enabled(False)
    pairs = heldout_pairs(args.pairs, args.limit)
    print(f"{len(pairs)} held-out drawings from {sorted({s for s, _, _ in pairs})}", flush=True)
    models = {"model": args.model, **({"baseline": args.baseline} if args.baseline else {})}
    outputs = {}
    for label, model in models.items():
        colorizer = Colorizer.from_file(model, device="cpu")
        outputs[f"{label} ({Path(model).name if model else 'default'})"] = [colorize(colorizer, l) for _, _, l in pairs]
    outputs["line-art as is"] = [np.repeat(l[..., None], 3, axis=2) for _, _, l in pairs]
    outputs["flat mean colour"] = [np.broadcast_to(c.reshape(-1, 3).mean(0).round().astype(np.uint8), c.shape).copy()
                                   for _, c, _ in pairs]
    print("| row | PSNR dB | ΔE2000 | ink kept | paper ΔE |")
    print("|---|---|---|---|---|")
    for name, r in table_rows(pairs, outputs).items():
        print(f"| {name} | {r['PSNR']:.2f} | {r['ΔE']:.2f} | {r['ink kept']:.3f} | {r['paper ΔE']:.2f} |")
    if args.grid:
        save_grid(args.grid, pairs, next(iter(outputs.values())))


if __name__ == "__main__":
    main()
