"""Line-art augmentation for training: one model for Canny line-art, the ink recipe and artists' line-art.

A model trained on one exact line-art recipe learns its quirks (Canny's double lines, its one-pixel
width) and fails on line-art drawn any other way, such as a scan of an artist's pencils or inks given
with `colorize video --lineart`. With `[data.lineart_augment] enabled = true`, every training sample:

* uses the line-art of one recipe picked at random from `recipes` (each is a LineArtConfig.method;
  its settings are the rest of `[data.lineart]`). The cache draws every recipe of the list for
  every frame (`line/` for `[data.lineart]`'s own method, `line-<method>/` for the others), so
  the choice costs nothing at training time;
* then, each with its own probability, on the crop: `thickness` (strokes grown or thinned by one
  pixel; one-pixel lines are never thinned away), `breaks` (small gaps cut into the strokes),
  `jitter` (a smooth warp of up to `jitter_px` pixels) and `tone` (a slight blur, gray ink on
  off-white paper, as a scan).

Validation samples are never augmented and always use `[data.lineart]`'s own recipe.

    aug = LineArtAugmenter(LineArtAugmentConfig(enabled=True), primary="canny")
    method = aug.pick_recipe(rng)                      # "canny" or "ink"
    path = recipe_path(line_path, method, "canny")    # .../line/000003.png -> .../line-ink/000003.png
    line = aug(line, rng)                              # H x W uint8 (255 paper) -> same shape, augmented
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from colorize.lineart.recipes import METHODS

PRIMARY_FOLDER = "line"


@dataclass
class LineArtAugmentConfig:
    """The `[data.lineart_augment]` table (off by default; validated, ValueError names the bad field).

    enabled: augment training line-art (False: samples use `[data.lineart]` exactly, as before).
    recipes: the line-art methods a sample is drawn with, picked uniformly (each cached per frame).
    thickness, breaks, jitter, tone: probability (0-1) that a sample gets that change.
    breaks_per_1000: gaps cut per 1000 ink pixels when `breaks` applies. gap_px: largest gap radius.
    jitter_px: largest displacement of the smooth warp, in pixels.
    """

    enabled: bool = False
    recipes: tuple[str, ...] = ("canny", "ink")
    thickness: float = 0.4
    breaks: float = 0.3
    breaks_per_1000: float = 4.0
    gap_px: int = 2
    jitter: float = 0.3
    jitter_px: float = 1.0
    tone: float = 0.3

    def __post_init__(self) -> None:
        if not self.recipes or any(r not in METHODS for r in self.recipes):
            raise ValueError(f"recipes must be a non-empty list of {', '.join(METHODS)}, got {list(self.recipes)}")
        for name in ("thickness", "breaks", "jitter", "tone"):
            if not 0.0 <= getattr(self, name) <= 1.0:  # (False for NaN too)
                raise ValueError(f"{name} must be a probability in [0, 1], got {getattr(self, name)}")
        if not 0.0 <= self.breaks_per_1000 <= 100.0:
            raise ValueError(f"breaks_per_1000 must be 0 to 100, got {self.breaks_per_1000}")
        if not 1 <= self.gap_px <= 8:
            raise ValueError(f"gap_px must be 1 to 8 pixels, got {self.gap_px}")
        if not 0.0 <= self.jitter_px <= 4.0:
            raise ValueError(f"jitter_px must be 0 to 4 pixels, got {self.jitter_px}")


# ------------------------------------------------------------------------------------------- cache


def extra_recipes(cfg: LineArtAugmentConfig, primary: str) -> tuple[str, ...]:
    """The methods the cache must draw besides `primary` (the `[data.lineart]` method), sorted; none
    when augmentation is off."""
    return tuple(sorted(set(cfg.recipes) - {primary})) if cfg.enabled else ()


def recipe_folder(method: str, primary: str) -> str:
    """Cache sub-folder holding `method`'s line-art: "line" for the primary recipe, else "line-<method>"."""
    return PRIMARY_FOLDER if method == primary else f"{PRIMARY_FOLDER}-{method}"


def recipe_path(line_path: Path, method: str, primary: str) -> Path:
    """The cached line-art of `method` for the frame whose primary line-art is `line_path`."""
    return line_path.parent.parent / recipe_folder(method, primary) / line_path.name


# ------------------------------------------------------------------------------------------- augment


class LineArtAugmenter:
    """Picks a sample's recipe and augments its line-art crop; all randomness from the caller's rng."""

    def __init__(self, cfg: LineArtAugmentConfig, primary: str):
        self.cfg, self.primary = cfg, primary

    def pick_recipe(self, rng: np.random.Generator) -> str:
        """One of cfg.recipes, uniformly; the primary method when augmentation is off (no rng draw)."""
        if not self.cfg.enabled:
            return self.primary
        return self.cfg.recipes[int(rng.integers(len(self.cfg.recipes)))]

    def __call__(self, line: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """H x W uint8 line-art (255 paper, 0 ink) -> H x W uint8, augmented (a copy; input untouched).

        Returns `line` itself when augmentation is off.
        """
        cfg = self.cfg
        if not cfg.enabled:
            return line
        if rng.random() < cfg.thickness:
            line = change_thickness(line, grow=bool(rng.random() < 0.5))
        if rng.random() < cfg.breaks:
            line = break_strokes(line, rng, cfg.breaks_per_1000, cfg.gap_px)
        if rng.random() < cfg.jitter:
            line = jitter(line, rng, cfg.jitter_px)
        if rng.random() < cfg.tone:
            line = scan_tone(line, rng)
        return line


def change_thickness(line: np.ndarray, grow: bool) -> np.ndarray:
    """Grow every stroke by one pixel (3 x 3 dilation of the ink), or thin strokes wider than one
    pixel by one (an erosion that keeps the pixels of strokes it would have removed entirely)."""
    square = np.ones((3, 3), np.uint8)
    if grow:
        return cv2.erode(line, square)  # the ink is the dark side: eroding paper grows it
    thinned = cv2.dilate(line, square)
    # Ink that the opening (thin, then grow back) does not restore belonged to a one-pixel stroke.
    vanished = (line < 128) & (cv2.erode(thinned, square) >= 128)
    return np.where(vanished, line, thinned).astype(np.uint8)


def break_strokes(line: np.ndarray, rng: np.random.Generator, per_1000: float, gap_px: int) -> np.ndarray:
    """Paint small paper discs (radius 1..gap_px) centred on random pixels of thin strokes: broken
    strokes. Solid fills (ink more than 2 px from paper nearby) are left whole: a pen skips on a
    line, not in the middle of a filled area."""
    ink = (line < 128).astype(np.uint8)
    depth = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
    in_fill = cv2.dilate(depth, np.ones((7, 7), np.uint8)) > 2.5
    ys, xs = np.nonzero(ink.astype(bool) & ~in_fill)
    count = int(rng.poisson(len(ys) * per_1000 / 1000.0)) if len(ys) else 0
    if count == 0:
        return line
    out = line.copy()
    for k in rng.choice(len(ys), size=min(count, len(ys)), replace=False):
        cv2.circle(out, (int(xs[k]), int(ys[k])), int(rng.integers(1, gap_px + 1)), 255, -1)
    return out


def jitter(line: np.ndarray, rng: np.random.Generator, max_px: float, grid: int = 4) -> np.ndarray:
    """Warp by a smooth random field: offsets of up to `max_px` on a grid x grid lattice, interpolated
    bicubically over the image (strokes wobble, shapes stay where they are)."""
    h, w = line.shape
    field = rng.uniform(-max_px, max_px, size=(2, grid, grid)).astype(np.float32)
    dx, dy = (cv2.resize(f, (w, h), interpolation=cv2.INTER_CUBIC) for f in field)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(line, xs + dx, ys + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def scan_tone(line: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A slight blur (sigma 0.3-0.8 px) and gray levels: ink 0-70, paper 225-255, as a scanned page."""
    soft = cv2.GaussianBlur(line.astype(np.float32), (0, 0), float(rng.uniform(0.3, 0.8)))
    ink, paper = rng.uniform(0.0, 70.0), rng.uniform(225.0, 255.0)
    return (ink + (paper - ink) * soft / 255.0 + 0.5).clip(0, 255).astype(np.uint8)
