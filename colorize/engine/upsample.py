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


def line_guided_upsample(colour: np.ndarray, lineart: np.ndarray, out_dtype=None) -> np.ndarray:
    """h x w x 3 colour (uint8 or float) + H x W uint8 line-art (255 = paper) -> H x W x 3.

    H, W >= h, w. The result's colours stop at the full-resolution lines (see the module docstring).
    `out_dtype` (default: the colour's): the result's dtype; uint8 rounds and clips, so the colour
    should then be on the 0..255 scale (the video job passes the generator's float colour x 255 and
    gets uint8 frames without a full-size float copy). Works on flat pixel indices, and moves only
    the paper pixels near a line (boolean-mask indexing of H x W x 3 arrays costs several times more
    at video sizes).
    """
    if colour.ndim != 3 or lineart.ndim != 2:
        raise ValueError(f"expected h x w x 3 colour and H x W line-art, got {colour.shape} and {lineart.shape}")
    out_dtype = np.dtype(out_dtype or colour.dtype)
    height, width = lineart.shape
    upsampled = cv2.resize(colour.astype(np.float32, copy=False), (width, height), interpolation=cv2.INTER_LINEAR)
    if (height, width) == colour.shape[:2]:
        return _as_dtype(upsampled, out_dtype)
    paper = (lineart >= LINE_THRESHOLD).astype(np.uint8)
    scale = max(height / colour.shape[0], width / colour.shape[1])
    reach = math.ceil(1.5 * scale)  # how far from a line the bilinear colour is mixed
    # paper farther than `reach` (Chebyshev distance) from every line: an erosion, fast in OpenCV
    reliable = cv2.erode(paper, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8),
                         borderType=cv2.BORDER_CONSTANT, borderValue=1)
    flat = upsampled.reshape(-1, 3)
    if not reliable.any():
        return _as_dtype(upsampled, out_dtype) if not paper.any() else _as_dtype(
            _fill_regions(flat, paper, reliable).reshape(height, width, 3), out_dtype)
    _, region_map, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    regions = region_map.ravel()
    reliable_index = np.flatnonzero(reliable)
    # Only paper pixels near a line move: reliable pixels are their own nearest reliable pixel and
    # line pixels keep the generator's own (dark) colour, so the result starts as the bilinear colour.
    band = np.flatnonzero(paper.ravel() > reliable.ravel())
    # labels number the mask's pixels 1.. in row-major order, as flatnonzero lists them
    _, labels = cv2.distanceTransformWithLabels(1 - reliable, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    source = reliable_index[labels.ravel()[band] - 1]
    result = _as_dtype(upsampled, out_dtype).reshape(-1, 3)
    result[band] = result[source]
    stray = regions[source] != regions[band]  # nearest reliable pixel is in another region
    if stray.any():
        band = band[stray]
        means = _region_means(upsampled, region_map, stats, reliable, np.unique(regions[band]))
        result[band] = _as_dtype(means, out_dtype)[regions[band]]
    return result.reshape(height, width, 3)


def _fill_regions(flat: np.ndarray, paper: np.ndarray, reliable: np.ndarray) -> np.ndarray:
    """Every paper pixel takes its region's mean colour (no pixel is far from the lines)."""
    count, region_map, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    regions = region_map.ravel()
    on_paper = paper.ravel().astype(bool)
    result = flat.copy()
    means = _region_means(flat.reshape(*paper.shape, 3), region_map, stats, reliable, np.arange(1, count))
    result[on_paper] = means[regions[on_paper]]
    return result


def _region_means(image: np.ndarray, region_map: np.ndarray, stats: np.ndarray, reliable: np.ndarray,
                  wanted: np.ndarray) -> np.ndarray:
    """n_regions x 3 float32: the mean colour of H x W x 3 float32 `image` over each `wanted` region's
    reliable pixels (all its pixels when it has none); other rows are zero.

    region_map / stats: cv2.connectedComponentsWithStats of the paper; reliable: H x W uint8 mask.
    Each region is measured inside its own bounding box, so small regions cost little and no pass
    over the whole frame is made per region (bincounts over every pixel cost ~100 ms at 720p).
    """
    means = np.zeros((len(stats), 3), np.float32)
    for label in wanted.tolist():
        x, y, w, h = stats[label, :4]
        box = (slice(y, y + h), slice(x, x + w))
        inside = (region_map[box] == label).view(np.uint8)
        mask = cv2.bitwise_and(inside, reliable[box])
        if not cv2.countNonZero(mask):
            mask = inside
        means[label] = cv2.mean(image[box], mask=mask)[:3]
    return means


def _as_dtype(image: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """`image` as `dtype`, a new array; uint8 rounds and clips (values on the 0..255 scale)."""
    if dtype == np.uint8:
        rounded = image + np.float32(0.5)
        return np.clip(rounded, 0, 255, out=rounded).astype(np.uint8)
    return image.astype(dtype)
