"""Colour computed at a working resolution, put back at full resolution under the full-resolution lines.

    small = working_size(h, w, 512)                     # (h', w') with max(h', w') <= 512, or (h, w)
    colour = line_guided_upsample(colour_small, lineart)  # h' x w' x 3 + H x W lines -> H x W x 3

Colour is a low-frequency signal: the line-art carries the detail. Plain bilinear upsampling smears
each colour across the lines into a band as wide as the scale factor; here the full-resolution
line-art decides where each colour stops:

1. the low-resolution colour is upsampled bilinearly;
2. paper pixels far enough from every line (about 1.5 low-resolution pixels or more) keep it: the
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
    Works on flat pixel indices: one gather builds the result (boolean-mask indexing of H x W x 3
    arrays costs several times more at video sizes).
    """
    if colour.ndim != 3 or lineart.ndim != 2:
        raise ValueError(f"expected h x w x 3 colour and H x W line-art, got {colour.shape} and {lineart.shape}")
    height, width = lineart.shape
    upsampled = cv2.resize(colour.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    if (height, width) == colour.shape[:2]:
        return _as_dtype(upsampled, colour.dtype)
    paper = (lineart >= LINE_THRESHOLD).astype(np.uint8)
    scale = max(height / colour.shape[0], width / colour.shape[1])
    reach = math.ceil(1.5 * scale)  # how far from a line the bilinear colour is mixed
    # paper farther than `reach` (Chebyshev distance) from every line: an erosion, fast in OpenCV
    reliable = cv2.erode(paper, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8),
                         borderType=cv2.BORDER_CONSTANT, borderValue=1)
    flat = upsampled.reshape(-1, 3)
    if not reliable.any():
        return _as_dtype(upsampled, colour.dtype) if not paper.any() else _as_dtype(
            _fill_regions(flat, paper, reliable).reshape(height, width, 3), colour.dtype)
    regions = cv2.connectedComponents(paper, connectivity=4)[1].ravel()
    reliable_index = np.flatnonzero(reliable)
    # labels number the mask's pixels 1.. in row-major order, as flatnonzero lists them
    _, labels = cv2.distanceTransformWithLabels(1 - reliable, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    source = reliable_index[labels.ravel() - 1]
    lines = np.flatnonzero(paper.ravel() == 0)
    source[lines] = lines  # line pixels: the generator's own (dark) colour
    result = np.take(flat, source, axis=0)
    stray = regions[source] != regions  # nearest reliable pixel is in another region (never a line pixel)
    if stray.any():
        means = _region_means(flat, regions, reliable.ravel().view(bool), stray)
        result[stray] = means[regions[stray]]
    return _as_dtype(result.reshape(height, width, 3), colour.dtype)


def _fill_regions(flat: np.ndarray, paper: np.ndarray, reliable: np.ndarray) -> np.ndarray:
    """Every paper pixel takes its region's mean colour (no pixel is far from the lines)."""
    regions = cv2.connectedComponents(paper, connectivity=4)[1].ravel()
    on_paper = paper.ravel().astype(bool)
    result = flat.copy()
    result[on_paper] = _region_means(flat, regions, reliable.ravel().astype(bool), on_paper)[regions[on_paper]]
    return result


def _region_means(flat: np.ndarray, regions: np.ndarray, reliable: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """n_regions x 3: the mean colour of each region holding a `wanted` pixel, over its reliable
    pixels (all its pixels when it has none). Flat (N,) / (N, 3) inputs; other rows are zero."""
    n = int(regions.max()) + 1
    needed = np.zeros(n, bool)
    needed[regions[wanted]] = True
    in_needed = needed[regions]
    has_reliable = np.bincount(regions[reliable & in_needed], minlength=n) > 0
    use = np.flatnonzero(in_needed & (reliable | ~has_reliable[regions]))
    labels = regions[use]
    counts = np.maximum(np.bincount(labels, minlength=n), 1)[:, None]
    sums = np.stack([np.bincount(labels, weights=flat[use, c], minlength=n) for c in range(3)], 1)
    return (sums / counts).astype(np.float32)


def _as_dtype(image: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype == np.uint8:
        return np.clip(image + 0.5, 0, 255).astype(np.uint8)
    return image.astype(dtype)
