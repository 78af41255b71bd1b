"""Colour computed at a working resolution, put back at full resolution under the full-resolution lines.

    small = working_size(h, w, 512)                     # (h', w') with max(h', w') <= 512, or (h, w)
    colour = line_guided_upsample(colour_small, lineart)  # h' x w' x 3 + H x W lines -> H x W x 3

Colour is a low-frequency signal: the line-art carries the detail. Plain bilinear upsampling smears
each colour across the lines into a band as wide as the scale factor; here the full-resolution
line-art decides where each colour stops:

1. the low-resolution colour is upsampled bilinearly;
2. paper pixels far enough from every line (more than about 1.5 low-resolution pixels) keep it: the
   generator's colour there is not mixed with the other side of a line;
3. every other paper pixel takes the colour of its nearest such reliable pixel. A line lies between a
   pixel and the far side's reliable pixels, so the nearest one is on its own side of the line; the
   nearest one must also be in the same paper region (connected component between full-resolution
   lines), otherwise the pixel takes its region's mean colour (regions too thin to hold a reliable
   pixel too);
4. line pixels keep the generator's own upsampled colour, which is dark where it drew a line.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

# Line-art below this (0..255, 255 = paper) counts as line, anti-aliased edges included.
LINE_THRESHOLD = 192


def working_size(height: int, width: int, size: int) -> tuple[int, int]:
    """(h, w) scaled so that the longer side is at most `size` (aspect kept, each >= 1).

    size 0 means full resolution, and frames already that small are returned unchanged.
    """
    if size < 0:
        raise ValueError(f"size must be >= 0 (0 = full resolution), got {size}")
    longer = max(height, width)
    if size == 0 or longer <= size:
        return height, width
    scale = size / longer
    return max(1, round(height * scale)), max(1, round(width * scale))


def line_guided_upsample(colour: np.ndarray, lineart: np.ndarray) -> np.ndarray:
    """h x w x 3 colour (uint8 or float) + H x W uint8 line-art (255 = paper) -> H x W x 3, colour's dtype.

    H, W >= h, w. The result's colours stop at the full-resolution lines (see the module docstring).
    """
    if colour.ndim != 3 or lineart.ndim != 2:
        raise ValueError(f"expected h x w x 3 colour and H x W line-art, got {colour.shape} and {lineart.shape}")
    height, width = lineart.shape
    upsampled = cv2.resize(colour.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    if (height, width) == colour.shape[:2]:
        return _as_dtype(upsampled, colour.dtype)
    paper = lineart >= LINE_THRESHOLD
    scale = max(height / colour.shape[0], width / colour.shape[1])
    reach = math.ceil(1.5 * scale)  # how far from a line the bilinear colour is mixed
    from_line = cv2.distanceTransform(paper.astype(np.uint8), cv2.DIST_L2, 3)
    reliable = paper & (from_line > reach)
    result = upsampled.copy()
    regions = cv2.connectedComponents(paper.astype(np.uint8), connectivity=4)[1]
    region_mean = _region_means(upsampled, regions, reliable, paper)
    fill = paper & ~reliable
    if reliable.any():
        nearest_y, nearest_x = _nearest(reliable)
        same_region = regions[nearest_y, nearest_x] == regions
        take_nearest = fill & same_region
        result[take_nearest] = upsampled[nearest_y[take_nearest], nearest_x[take_nearest]]
        fill &= ~same_region
    result[fill] = region_mean[regions[fill]]
    return _as_dtype(result, colour.dtype)


def _nearest(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every pixel, the (y, x) of its nearest True pixel of `mask` (which must have one)."""
    _, labels = cv2.distanceTransformWithLabels((~mask).astype(np.uint8), cv2.DIST_L2, 3,
                                                labelType=cv2.DIST_LABEL_PIXEL)
    # labels number the zero pixels (the mask) 1.. in row-major order
    ys, xs = np.nonzero(mask)
    return ys[labels - 1], xs[labels - 1]


def _region_means(colour: np.ndarray, regions: np.ndarray, reliable: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """n_regions x 3: each paper region's mean colour over its reliable pixels (all its pixels when it
    has none). Region 0 (the lines) gets its plain mean; it is never used."""
    n = int(regions.max()) + 1
    has_reliable = np.bincount(regions[reliable], minlength=n) > 0
    use = paper & (reliable | ~has_reliable[regions])
    labels = regions[use]
    counts = np.maximum(np.bincount(labels, minlength=n), 1)[:, None]
    sums = np.stack([np.bincount(labels, weights=colour[..., c][use], minlength=n) for c in range(3)], 1)
    return (sums / counts).astype(np.float32)


def _as_dtype(image: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype == np.uint8:
        return np.clip(image + 0.5, 0, 255).astype(np.uint8)
    return image.astype(dtype)
