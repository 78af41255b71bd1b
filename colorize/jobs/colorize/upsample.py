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
    gets uint8 frames without a full-size float copy). Works on flat pixel indices: one gather builds
    the result, of 4-byte packed pixels for uint8 (boolean-mask indexing of H x W x 3 arrays costs
    several times more at video sizes).
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
    regions = cv2.connectedComponents(paper, connectivity=4)[1].ravel()
    reliable_index = np.flatnonzero(reliable)
    # labels number the mask's pixels 1.. in row-major order, as flatnonzero lists them
    _, labels = cv2.distanceTransformWithLabels(1 - reliable, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    labels = labels.ravel()
    labels -= 1
    source = reliable_index[labels]
    lines = np.flatnonzero(paper.ravel() == 0)
    source[lines] = lines  # line pixels: the generator's own (dark) colour
    stray = regions[source] != regions  # nearest reliable pixel is in another region (never a line pixel)
    if out_dtype == np.uint8:
        result = _gather_uint8(_as_dtype(upsampled, np.uint8), source)
    else:
        result = np.take(flat, source, axis=0).astype(out_dtype, copy=False)
    if stray.any():
        means = _region_means(flat, regions, reliable.ravel().view(bool), stray)
        result[stray] = _as_dtype(means, out_dtype)[regions[stray]]
    return result.reshape(height, width, 3)


def _gather_uint8(image: np.ndarray, source: np.ndarray) -> np.ndarray:
    """(N, 3) uint8 pixels of H x W x 3 uint8 `image` at flat indices `source`: gathered as packed
    4-byte words (one load per pixel) rather than 3-byte rows."""
    packed = cv2.cvtColor(image, cv2.COLOR_RGB2RGBA).reshape(-1).view(np.uint32)
    gathered = np.take(packed, source).view(np.uint8).reshape(-1, 1, 4)
    return cv2.cvtColor(gathered, cv2.COLOR_RGBA2RGB).reshape(-1, 3)


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
    labels = regions[use].astype(np.intp)  # bincount converts to intp anyway: once, not four times
    counts = np.maximum(np.bincount(labels, minlength=n), 1)[:, None]
    # one bincount over (pixel, channel) pairs instead of three strided ones
    pairs = (labels[:, None] * 3 + np.arange(3)).ravel()
    sums = np.bincount(pairs, weights=flat[use].astype(np.float64).ravel(), minlength=3 * n).reshape(n, 3)
    return (sums / counts).astype(np.float32)


def _as_dtype(image: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype == np.uint8:
        return np.clip(image + 0.5, 0, 255).astype(np.uint8)
    return image.astype(dtype, copy=False)
