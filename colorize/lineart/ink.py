"""Ink line-art: one line per stroke and solid blacks kept, from colour frames (the "ink" recipe).

Canny draws an edge on both sides of every drawn ink stroke (a double line) and only the outline of a
filled black area. An inker's line-art is the ink itself, so this recipe keeps the dark pixels:

1. ink = pixels whose value (max of R, G, B, so a saturated dark blue fill is not ink) is below
   `dark`, or below `relative` x the local paper brightness (the brightest value within `window`
   pixels, blurred) and below `dark_max` -- strokes on a dark or shaded ground still count;
2. colour boundaries that carry no ink (flat fills meeting each other, painted backgrounds) are added
   as one-pixel lines: multi-channel Canny on a median-flattened frame, dropped within
   `ink_gap` pixels of the ink, where Canny would only trace the ink's own two sides;
3. specks smaller than `min_area` pixels are removed.

Measured against known outlines in benchmarks/bench_lineart_recipes.py. CPU only (OpenCV); the
tensor path of colorize.lineart.recipes calls it through numpy.

    cfg = InkConfig(dark=0.3)
    art = ink_lineart(rgb, cfg)           # rgb: H x W x 3 uint8 RGB -> H x W uint8, 255 paper, 0 ink
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class InkConfig:
    """Settings of the ink recipe (validated on construction; ValueError names the bad field).

    dark: value (0-1, max of R, G, B) below which a pixel is ink whatever surrounds it.
    relative, dark_max: a pixel is also ink when its value is below `relative` x the local paper
        brightness and below `dark_max` (0 < relative < 1, dark <= dark_max <= 1).
    window: side in pixels of the neighbourhood that gives the local paper brightness.
    edges: add the colour boundaries that have no ink as one-pixel lines.
    edge_low, edge_high: Canny thresholds for those boundaries, in the units of LineArtConfig (the
        Sobel magnitude of a [0, 1] image), on the flattened frame; 0 < edge_low <= edge_high.
    ink_gap: boundary pixels closer than this to ink are dropped (they are the ink's own sides).
    min_area: connected ink specks with fewer pixels are dropped (0 keeps everything).
    """

    dark: float = 0.3
    relative: float = 0.45
    dark_max: float = 0.55
    window: int = 15
    edges: bool = True
    edge_low: float = 0.3
    edge_high: float = 0.6
    ink_gap: int = 2
    min_area: int = 3

    def __post_init__(self) -> None:
        if not 0.0 < self.dark <= self.dark_max <= 1.0:  # (False for NaN too)
            raise ValueError(f"ink needs 0 < dark <= dark_max <= 1, got dark={self.dark} dark_max={self.dark_max}")
        if not 0.0 < self.relative < 1.0:
            raise ValueError(f"relative must be between 0 and 1, got {self.relative}")
        if not 3 <= self.window <= 255:
            raise ValueError(f"window must be 3 to 255 pixels, got {self.window}")
        if not 0.0 < self.edge_low <= self.edge_high <= 128.0:
            raise ValueError(f"edge thresholds need 0 < edge_low <= edge_high <= 128, "
                             f"got {self.edge_low}, {self.edge_high}")
        if not 0 <= self.ink_gap <= 16:
            raise ValueError(f"ink_gap must be 0 to 16 pixels, got {self.ink_gap}")
        if not 0 <= self.min_area <= 10_000:
            raise ValueError(f"min_area must be 0 to 10000 pixels, got {self.min_area}")


def ink_lineart(image: np.ndarray, cfg: InkConfig, thickness: int = 1) -> np.ndarray:
    """Ink line-art of one frame.

    image: H x W x 3 uint8 RGB or H x W uint8 gray. thickness: k > 1 dilates the ink with a k x k
    square (as LineArtConfig.thickness does for Canny). Returns H x W uint8, 255 paper, 0 ink.
    Deterministic (no randomness).
    """
    rgb = _as_rgb_uint8(image)
    ink = dark_mask(rgb, cfg)
    if cfg.edges:
        ink |= boundary_lines(rgb, cfg) & ~_dilate(ink, cfg.ink_gap)
    ink = drop_specks(ink, cfg.min_area)
    if thickness > 1:
        ink = _dilate_square(ink, thickness)
    return np.logical_not(ink).view(np.uint8) * np.uint8(255)  # 0 ink, 255 paper (np.where: 4x slower)


def dark_mask(rgb: np.ndarray, cfg: InkConfig) -> np.ndarray:
    """H x W bool: pixels dark in absolute terms or clearly darker than their local paper."""
    r, g, b = cv2.split(rgb)
    value = cv2.max(cv2.max(r, g), b)  # uint8 0..255; ~30x faster than numpy's max over the channels
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (cfg.window, cfg.window))
    # The local maximum is the paper (or fill) around a stroke; the blur removes its blockiness.
    paper = cv2.blur(cv2.dilate(value, kernel), (cfg.window, cfg.window)).astype(np.float32)
    absolute = value < cfg.dark * 255.0
    relative = (value < cfg.relative * paper) & (value < cfg.dark_max * 255.0)
    return absolute | relative


def boundary_lines(rgb: np.ndarray, cfg: InkConfig) -> np.ndarray:
    """H x W bool: one-pixel Canny lines of the colour boundaries of a flattened frame.

    A 5 x 5 median flattens texture and noise inside regions but keeps the steps between them (a
    bilateral filter did as well on the benchmark at ~30x the cost at 1080p); OpenCV's Canny on 3 channels follows the channel with the strongest gradient, so two fills
    of equal brightness but different hue are still separated.
    """
    flat = cv2.medianBlur(rgb, 5)
    unit = 255.0  # thresholds are in [0, 1]-image units; the Sobel of 0..255 is 255 x larger
    edges = cv2.Canny(flat, cfg.edge_low * unit, cfg.edge_high * unit, L2gradient=True)
    return edges > 0


def drop_specks(ink: np.ndarray, min_area: int) -> np.ndarray:
    """H x W bool ink without its 8-connected components of fewer than `min_area` pixels.

    A few specks are erased inside their own bounding boxes; many go by one lookup over the frame
    (both give the same mask; the lookup alone costs ~10 ms at 720p, paid even for a handful).
    """
    if min_area <= 1 or not ink.any():
        return ink
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink.view(np.uint8), connectivity=8)
    small = np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] < min_area) + 1  # label 0 is the paper
    if small.size == 0:
        return ink
    if small.size > _FEW_SPECKS:
        keep = stats[:, cv2.CC_STAT_AREA] >= min_area
        keep[0] = False
        return keep[labels]
    ink = ink.copy()
    for label in small.tolist():
        x, y, w, h = stats[label, :4]
        box = (slice(y, y + h), slice(x, x + w))
        ink[box] &= labels[box] != label
    return ink


_FEW_SPECKS = 256  # above this many specks the whole-frame lookup is cheaper than one box each


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """H x W bool grown by `radius` pixels (a disc); radius 0 returns it unchanged."""
    if radius <= 0:
        return mask
    side = 2 * radius + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    return cv2.dilate(mask.view(np.uint8), disc) > 0


def _dilate_square(mask: np.ndarray, side: int) -> np.ndarray:
    """H x W bool dilated with a side x side square (cv2.dilate's anchor, as lineart_numpy)."""
    return cv2.dilate(mask.astype(np.uint8), np.ones((side, side), np.uint8)) > 0


def _as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        raise ValueError(f"ink_lineart expects uint8, got {image.dtype}")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise ValueError(f"ink_lineart expects H x W x 3 or H x W, got {image.shape}")

