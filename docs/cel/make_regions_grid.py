"""Draw docs/cel/regions_grid.png: line-art | colour source | flat | shaded | flat + lines, per row.

    PYTHONPATH=. python docs/cel/make_regions_grid.py [OUT.png]

Rows: a procedural toon frame (ink recipe, and Canny line-art, which leaves gaps) and the real-art
sample's first key (samples/real/keys/000000.png) and frame 30 of samples/real/sample.mp4, each
upscaled 3x as a full-resolution drawing (ink recipe). The colour source of every row is what a colorizer hands over: the true colours at a quarter
of the size, upsampled back (blurred, bleeding across the lines).
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from colorize.cel.lines import composite_lines
from colorize.cel.paint import paint
from colorize.cel.regions import segment_regions
from colorize.data.toon import ToonClip, ToonConfig
from colorize.images import read_rgb, write_image
from colorize.lineart.recipes import LineArtConfig, lineart_numpy

ROOT = Path(__file__).resolve().parents[2]
CELL_W = 320


def working_size_source(rgb: np.ndarray, factor: int = 4) -> np.ndarray:
    """The true colours at 1/factor of the size, upsampled back: a stand-in for a colorizer's output."""
    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def row(rgb: np.ndarray, lineart: np.ndarray, label: str) -> np.ndarray:
    source = working_size_source(rgb)
    regions = segment_regions(lineart)
    flat = paint(source, regions, "flat")
    shaded = paint(source, regions, "shaded")
    cells = [cv2.cvtColor(lineart, cv2.COLOR_GRAY2RGB), source, flat, shaded, composite_lines(flat, lineart)]
    h, w = lineart.shape
    size = (CELL_W, round(h * CELL_W / w))
    cells = [cv2.resize(c, size, interpolation=cv2.INTER_AREA) for c in cells]
    out = np.concatenate(cells, axis=1)
    cv2.putText(out, f"{label}: {regions.count} regions", (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                (200, 0, 0), 1, cv2.LINE_AA)
    return out


def main(out: Path) -> None:
    toon = ToonClip(ToonConfig(width=960, height=540, n_shapes=10, seed=4, antialias=True, outline_px=2))
    frame = toon.frame(6)
    key = read_rgb(ROOT / "samples/real/keys/000000.png")
    key = cv2.resize(key, (key.shape[1] * 3, key.shape[0] * 3), interpolation=cv2.INTER_CUBIC)
    clip = cv2.VideoCapture(str(ROOT / "samples/real/sample.mp4"))
    clip.set(cv2.CAP_PROP_POS_FRAMES, 30)
    ok, bgr = clip.read()
    clip.release()
    ink, canny = LineArtConfig(method="ink"), LineArtConfig(method="canny")
    rows = [row(frame, lineart_numpy(frame, ink), "toon, ink"),
            row(frame, lineart_numpy(frame, canny), "toon, canny"),
            row(key, lineart_numpy(key, ink), "real key x3, ink")]
    if ok:  # a frame of the second shot (desert) of the real-art clip
        still = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), (key.shape[1], key.shape[0]),
                           interpolation=cv2.INTER_CUBIC)
        rows.append(row(still, lineart_numpy(still, ink), "real clip frame 30 x3, ink"))
    head = np.full((18, rows[0].shape[1], 3), 255, np.uint8)
    for i, name in enumerate(("line-art", "source (1/4 size, upsampled)", "flat", "shaded", "flat + lines")):
        cv2.putText(head, name, (4 + i * CELL_W, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    write_image(out, np.concatenate([head, *rows], axis=0), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"{out}: {out.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/cel/regions_grid.png")
