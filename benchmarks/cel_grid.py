"""The README's grid of held-out drawings: line-art | colorized | truth, one drawing a row.

    python benchmarks/bench_real.py --clips C --stills S --svg SVG --svg-sources a,b --grid docs/cel/heldout_grid.png

bench_real calls `save_grid` with what it colorized: the held-out vector drawings (their own line-art
given as line-art) and raster stills (their ink line-art, which is the model's own recipe, so the
generator's output is the same as from the colour still). The colorized column is the default ink and
paint for line-art input (ColorizeOptions' paint / lines resolved by colorize.cel.cel_config) on the
generator's output; every cell is scaled to fit CELL x CELL on white.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from colorize.cel import cel_config, render_cel
from colorize.images import write_image
from colorize.jobs.colorize.options import ColorizeOptions

CELL = 176
PAD = 3


def fit(image: np.ndarray, cell: int = CELL) -> np.ndarray:
    """image (H x W or H x W x 3 uint8) scaled to fit cell x cell, centred on white."""
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    h, w = image.shape[:2]
    scale = cell / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    out = np.full((cell, cell, 3), 255, np.uint8)
    y, x = (cell - size[1]) // 2, (cell - size[0]) // 2
    out[y:y + size[1], x:x + size[0]] = small
    return np.pad(out, ((PAD, PAD), (PAD, PAD), (0, 0)), constant_values=255)


def pick(n_items: int, n: int) -> list[int]:
    """n indices spread evenly over n_items."""
    return sorted({round(i * (n_items - 1) / max(1, n - 1)) for i in range(min(n, n_items))})


def save_grid(path: Path, parts: dict, vector_rows: int = 4, raster_rows: int = 3) -> None:
    """parts: {"svg": (pairs, [(source, line-art, colouring)]), "stills": ({input: pairs}, stills)};
    pairs are (colour before paint, line-art H x W uint8). Writes the PNG atomically."""
    opts = ColorizeOptions()
    cfg = cel_config(opts.paint, opts.lines, lineart=True)
    rows = []
    if "svg" in parts:
        pairs, items = parts["svg"]
        for i in pick(len(items), vector_rows):
            colour, line = pairs[i]
            rows.append([line, render_cel(colour, line, cfg), items[i][2]])
    if "stills" in parts:
        by_input, stills = parts["stills"]
        pairs = by_input["line-art only"]
        for i in pick(len(stills), raster_rows):
            colour, line = pairs[i]
            rows.append([line, render_cel(colour, line, cfg), stills[i]])
    grid = np.concatenate([np.concatenate([fit(c) for c in row], 1) for row in rows], 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_image(path, grid)
    print(f"wrote {path} ({len(rows)} rows: line-art | --paint {cfg.paint} --lines {cfg.lines} | truth; "
          f"{path.stat().st_size // 1024} KB)")
