"""Line-art recipes against known outlines: which one draws one clean line per stroke and keeps solid blacks.

    python benchmarks/bench_lineart_recipes.py            # test sheets + toon clips, every recipe
    python benchmarks/bench_lineart_recipes.py --quick    # fewer sheets and toon frames

Ground truth comes from drawings whose geometry is known:

* test sheets (256 x 256): dark strokes of known width (1-7 px, anti-aliased) over white paper and
  over flat colour fills, filled black ellipses (solid blacks), and colour boundaries without ink;
* the project's procedural toon clips (colorize.data.toon), whose outline pixels are known exactly.

Per recipe (predicted ink P, true ink area S, true stroke centreline C, tolerance 2 px):

* precision: share of P within tolerance of S (or of a true ink-less colour boundary, on sheets);
* recall: share of C within tolerance of P; F = their harmonic mean;
* boundary: share of the true ink-less colour boundaries (sheets only) within tolerance of P;
* solid kept: share of the true solid-black interiors (eroded by 2 px) that P covers;
* double-line rate: share of centreline pixels where the line-art, sampled across the stroke (along
  the normal given by the structure tensor of S, out to half the width + 2 px), shows two or more
  separate runs of ink -- Canny's two sides of one stroke. Crossings and nearby strokes add a
  floor for all: the "(true ink: floor)" row scores the true ink itself.

Recipes: canny (the default, LineArtConfig()), ink (colorize.lineart.ink), ink without its
colour-boundary lines, and XDoG (a thresholded difference of Gaussians, written here as a candidate).
Never run by the tests.
"""

from __future__ import annotations

import argparse
import time
from typing import Callable

import cv2
import numpy as np

from colorize.data.toon import _SHIFT, ToonClip, ToonConfig
from colorize.lineart.ink import InkConfig
from colorize.lineart.recipes import LineArtConfig, lineart_numpy

TOLERANCE = 2
Recipe = Callable[[np.ndarray], np.ndarray]  # H x W x 3 uint8 RGB -> H x W bool ink


def xdog(rgb: np.ndarray, sigma: float = 0.8, k: float = 1.6, tau: float = 0.98, eps: float = -0.05,
         phi: float = 20.0) -> np.ndarray:
    """Extended difference of Gaussians (Winnemoeller's XDoG), thresholded at 0.5: H x W bool ink."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    g1 = cv2.GaussianBlur(gray, (0, 0), sigma)
    g2 = cv2.GaussianBlur(gray, (0, 0), sigma * k)
    d = g1 - tau * g2
    soft = np.where(d >= eps, 1.0, 1.0 + np.tanh(phi * (d - eps)))
    return soft < 0.5


def recipes() -> dict[str, Recipe]:
    canny, ink = LineArtConfig(), LineArtConfig(method="ink")
    no_edges = LineArtConfig(method="ink", ink=InkConfig(edges=False))
    return {"canny": lambda im: lineart_numpy(im, canny) < 128,
            "ink": lambda im: lineart_numpy(im, ink) < 128,
            "ink, no boundaries": lambda im: lineart_numpy(im, no_edges) < 128,
            "xdog": xdog}


# ----------------------------------------------------------------------------- truths


def test_sheet(seed: int, size: int = 256) -> dict:
    """A drawing with known ink: {"rgb", "area" (S), "centre" (C), "width" (per C pixel), "solid",
    "boundary" (ink-less colour boundaries)}."""
    rng = np.random.default_rng(seed)
    rgb = np.full((size, size, 3), 255, np.uint8)
    area, centre = np.zeros((size, size), np.uint8), np.zeros((size, size), np.uint8)
    width = np.zeros((size, size), np.float32)
    solid, boundary = np.zeros((size, size), np.uint8), np.zeros((size, size), np.uint8)
    for _ in range(3):  # flat colour fills without ink: their boundaries are true lines, not ink
        colour = tuple(int(c) for c in rng.integers(60, 230, 3))
        box = _random_box(rng, size)
        cv2.rectangle(rgb, box[0], box[1], colour, -1)
        cv2.rectangle(boundary, box[0], box[1], 1, 1)
    boundary[area > 0] = 0
    for _ in range(10):  # inked strokes of known width: ellipse arcs and straight lines
        thick = int(rng.integers(1, 8))
        ink = tuple(int(c) for c in rng.integers(0, 40, 3))
        centre_xy = tuple(int(c) for c in rng.integers(30, size - 30, 2))
        axes = tuple(int(a) for a in rng.integers(12, 60, 2))
        angle = float(rng.uniform(0, 180))
        cv2.ellipse(rgb, centre_xy, axes, angle, 0, 300, ink, thick, cv2.LINE_AA)
        cv2.ellipse(area, centre_xy, axes, angle, 0, 300, 1, thick, cv2.LINE_8)
        line = np.zeros_like(centre)
        cv2.ellipse(line, centre_xy, axes, angle, 0, 300, 1, 1, cv2.LINE_8)
        centre |= line
        width[line > 0] = thick
    for _ in range(2):  # solid black fills
        centre_xy = tuple(int(c) for c in rng.integers(40, size - 40, 2))
        axes = tuple(int(a) for a in rng.integers(8, 22, 2))
        cv2.ellipse(rgb, centre_xy, axes, 0, 0, 360, (10, 10, 10), -1, cv2.LINE_AA)
        cv2.ellipse(area, centre_xy, axes, 0, 0, 360, 1, -1, cv2.LINE_8)
        cv2.ellipse(solid, centre_xy, axes, 0, 0, 360, 1, -1, cv2.LINE_8)
    width[solid > 0] = 0
    centre[solid > 0] = 0  # a fill has no stroke centreline; it is scored by "solid kept"
    boundary[_grow(area > 0, TOLERANCE)] = 0
    return {"rgb": rgb, "area": area > 0, "centre": centre > 0, "width": width,
            "solid": cv2.erode(solid, np.ones((5, 5), np.uint8)) > 0, "boundary": boundary > 0}


def _random_box(rng: np.random.Generator, size: int) -> tuple[tuple[int, int], tuple[int, int]]:
    x0, y0 = (int(v) for v in rng.integers(0, size // 2, 2))
    x1, y1 = x0 + int(rng.integers(40, size // 2)), y0 + int(rng.integers(40, size // 2))
    return (x0, y0), (x1, y1)


def toon_truth(clip: ToonClip, i: int) -> dict:
    """The same truths for toon frame i: its outline mask, the outline polygons as 1 px centrelines."""
    area = clip.outline_mask(i)
    scene, polygons = clip._geometry(i)  # noqa: SLF001 -- the benchmark needs the exact geometry
    centre = np.zeros(area.shape, np.uint8)
    for points in polygons:
        cv2.fillPoly(centre, [points], 0, cv2.LINE_8, _SHIFT)
        cv2.polylines(centre, [points], True, 1, 1, cv2.LINE_8, _SHIFT)
    centre = (centre > 0) & area
    width = np.where(centre, clip.cfg.outline_px + 1, 0).astype(np.float32)
    empty = np.zeros(area.shape, bool)
    return {"rgb": clip.frame(i), "area": area, "centre": centre, "width": width, "solid": empty,
            "boundary": empty}


# ----------------------------------------------------------------------------- scores


def _grow(mask: np.ndarray, radius: int) -> np.ndarray:
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask.astype(np.uint8), disc) > 0


def stroke_normals(area: np.ndarray, width: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Unit normal (nx, ny) of the strokes of a bool mask: the main eigenvector of its structure tensor."""
    soft = cv2.GaussianBlur(area.astype(np.float32), (0, 0), 1.0)
    gx, gy = cv2.Sobel(soft, cv2.CV_32F, 1, 0), cv2.Sobel(soft, cv2.CV_32F, 0, 1)
    jxx, jxy, jyy = (cv2.GaussianBlur(v, (0, 0), width) for v in (gx * gx, gx * gy, gy * gy))
    angle = 0.5 * np.arctan2(2 * jxy, jxx - jyy)
    return np.cos(angle), np.sin(angle)


def double_line_rate(ink: np.ndarray, truth: dict) -> float:
    """Share of true centreline pixels whose cross-section through `ink` has two or more ink runs."""
    ys, xs = np.nonzero(truth["centre"])
    if len(ys) == 0:
        return float("nan")
    nx, ny = stroke_normals(truth["area"])
    nx, ny = nx[ys, xs], ny[ys, xs]
    reach = np.ceil(truth["width"][ys, xs] / 2 + 2).astype(int)
    h, w = ink.shape
    profile = []
    for k in range(-int(reach.max()), int(reach.max()) + 1):
        px = np.clip(np.round(xs + k * nx).astype(int), 0, w - 1)
        py = np.clip(np.round(ys + k * ny).astype(int), 0, h - 1)
        profile.append(ink[py, px] & (abs(k) <= reach))
    samples = np.stack(profile, axis=1)
    starts = samples[:, 0].astype(int) + (samples[:, 1:] & ~samples[:, :-1]).sum(axis=1)
    return float((starts >= 2).mean())


def score(ink: np.ndarray, truth: dict) -> dict:
    """precision, recall, F, solid kept and double-line rate of bool ink against a truth dict."""
    allowed = _grow(truth["area"] | truth["boundary"], TOLERANCE)
    precision = float((ink & allowed).sum() / max(ink.sum(), 1))
    recall = float((truth["centre"] & _grow(ink, TOLERANCE)).sum() / max(truth["centre"].sum(), 1))
    solid = float((ink & truth["solid"]).sum() / truth["solid"].sum()) if truth["solid"].any() else float("nan")
    f = 2 * precision * recall / max(precision + recall, 1e-9)
    edges = (float((truth["boundary"] & _grow(ink, TOLERANCE)).sum() / truth["boundary"].sum())
             if truth["boundary"].any() else float("nan"))
    return {"precision": precision, "recall": recall, "F": f, "solid": solid, "boundary": edges,
            "double": double_line_rate(ink, truth)}


def table(name: str, truths: list[dict]) -> None:
    print(f"\n{name} ({len(truths)} images)")
    print(f"{'recipe':<20} {'precision':>9} {'recall':>7} {'F':>6} {'solid kept':>10} {'boundary':>8} "
          f"{'double':>7}")
    rows_by_recipe = {"(true ink: floor)": [score(t["area"], t) for t in truths]}
    rows_by_recipe.update({name: [score(recipe(t["rgb"]), t) for t in truths] for name, recipe in recipes().items()})
    for recipe_name, rows in rows_by_recipe.items():
        mean = {k: np.nanmean([r[k] for r in rows]) if any(np.isfinite(r[k]) for r in rows) else float("nan")
                for k in rows[0]}
        print(f"{recipe_name:<20} {mean['precision']:>9.3f} {mean['recall']:>7.3f} {mean['F']:>6.3f} "
              f"{mean['solid']:>10.3f} {mean['boundary']:>8.3f} {mean['double']:>7.3f}")


def speed(seconds: float = 1.5) -> None:
    """Frames per second of each recipe on one anti-aliased toon frame, 256 x 256 and 1920 x 1080."""
    print("\nspeed (frames/s, OpenCV's default threads)")
    for w, h in ((256, 256), (1920, 1080)):
        frame = ToonClip(ToonConfig(width=w, height=h, outline_px=2, antialias=True)).frame(0)
        for name, recipe in recipes().items():
            recipe(frame)
            start, n = time.perf_counter(), 0
            while time.perf_counter() - start < seconds:
                recipe(frame)
                n += 1
            print(f"  {w}x{h} {name:<20} {n / (time.perf_counter() - start):8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sheets and toon frames")
    args = parser.parse_args()
    n = 4 if args.quick else 16
    table("test sheets: strokes 1-7 px, solid fills, ink-less colour boundaries",
          [test_sheet(seed) for seed in range(n)])
    for outline in (1, 2, 4):
        clip = ToonClip(ToonConfig(width=256, height=192, n_frames=n, outline_px=outline, antialias=True,
                                   seed=outline))
        table(f"toon clips, outline_px={outline} (anti-aliased)", [toon_truth(clip, i) for i in range(n)])
    speed(0.5 if args.quick else 1.5)


if __name__ == "__main__":
    main()
