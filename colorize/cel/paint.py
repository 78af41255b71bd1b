"""Paint for the closed regions of a line-art frame, taken from a colour source (the colorizer's output,
or the colours carried from a keyframe).

Modes:

* "flat": one colour per region, the per-channel median (in 8-bit CIE Lab, OpenCV's scaling) of the
  source over the region's paper pixels. Medians come from one histogram per region and channel
  (np.bincount over label * 256 + value), so the cost is a few passes over the frame whatever the
  number of regions. A source that smears across a line or leaves specks does not move a median.
* "shaded": the flat colour plus the source's low-frequency lightness inside the region: L minus
  the flat L, blurred with a Gaussian of `shade_sigma` normalised over the region's own paper (away
  from its lines), added to the flat L. Chroma (a, b) stays flat; no neighbour's paint or shading
  crosses a line.
* "free": the source unchanged, pixel for pixel.

Paper (`paper` > 0, flat and shaded): a region whose flat paint lies within `paper` (CIE Lab
distance, L 0-100) of white is left white paper, unshaded. A colorizer that sees a drawing on white
paper paints the paper a faint tint (cream, blue-grey); an animator expects the paper back as paper,
and so do the areas inside a drawing that the model leaves almost white.

In free paint (`paper_pixels`), the same tolerance works per pixel: a pixel within `paper` of white
is white, one twice as far keeps its colour, and those between fade from one to the other (no hard
edge where scanned off-white paper hovers about the limit). Colours carried from a key's white paper
come back a level or two off white (the generator's pull, rounding), a faint haze on the paper.

Surround (`surround`, flat and shaded): when the line-art is a drawing on paper, the one region all
around it (colorize.cel.regions.surround_region) is left white paper, whatever the source painted
there. Where the frame's edges cut that paper into pieces (a figure as tall as the frame, a plate
touching three edges), the rim pieces the source paints within PAPER_TINT of white are paper when
together they hold as much of the rim (colorize.cel.regions.split_surround). A colorizer hedges on
the area around a drawing (a pale grey, cream or blue-grey: it cannot know whether a ground was
meant); with no key to say otherwise, the paper the artist drew on stays paper. Callers turn it on only where nothing else colours the frame (colorize.cel.frame.cel_config).

Chroma (`chroma` < 1, flat and shaded): each region's paint keeps that share of its Lab a, b (scaled
towards the grey of the same lightness). Without a key the source's hues are the model's guess from
line-art alone; a paler guess is nearer the truth when the hue is wrong (colorize.cel.frame.GUESS_CHROMA).

Doubt (`doubt` > 0, flat and shaded): a region the source paints in several hues is one whose hue
the model is unsure of, so its chroma is divided further by 1 + (spread / doubt)^2, where spread is
the mean |a - median a| + |b - median b| (8-bit Lab) over the region's paper (region_spread): a region
painted one clear hue keeps its chroma, one painted in smudges of tan and blue-grey comes out nearly
grey (colorize.cel.frame.GUESS_DOUBT).

Line pixels (label 0) get the paint of the region under them (`Regions.fill`), so a frame painted
without its lines ("lines drop") has no dark seams.

Sizes: the colour source must have the line-art's H x W (H x W x 3 uint8 RGB). The caller resizes a
working-size colour output first (the engine upsamples to full size already); gray or RGBA sources are
converted by the caller too (colorize.images.to_rgb_uint8).
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from colorize.cel.regions import Regions, split_surround, surround_region
from colorize.errors import InputError

PaintMode = Literal["flat", "shaded", "free"]
PAINT_MODES = ("flat", "shaded", "free")
# Regions handled per histogram pass: (CHUNK x 256) int64 bins = 8 MB.
_CHUNK = 4096
# Blurred mask weight below which the shading estimate is shrunk towards 0 (flat).
MIN_SUPPORT = 0.1
# White paper in 8-bit OpenCV Lab.
PAPER_LAB = np.array([255, 128, 128], np.uint8)
#: A faint tint of white, CIE Lab distance (L 0-100): the paint a colorizer hedges with on paper
#: (pale grey, cream, blue-grey). CelConfig(paper=PAPER_TINT) whitens such regions anywhere (off by
#: default); the surround rule uses it for paper cut into pieces by the frame's edges.
PAPER_TINT = 12.0
#: Pixels next to a line left out of a region's hue spread (region_spread): the bleed band.
SPREAD_MARGIN = 3


def check_colour(colour: np.ndarray, shape: tuple[int, int]) -> None:
    """InputError unless `colour` is an H x W x 3 uint8 array of the line-art's `shape`."""
    if not isinstance(colour, np.ndarray) or colour.dtype != np.uint8 or colour.ndim != 3 \
            or colour.shape[2] != 3:
        got = f"{colour.dtype} {colour.shape}" if isinstance(colour, np.ndarray) else type(colour).__name__
        raise InputError(f"cel colour source must be an H x W x 3 uint8 RGB array, got {got}")
    if colour.shape[:2] != tuple(shape):
        raise InputError(f"cel colour source is {colour.shape[1]}x{colour.shape[0]} but the line-art is "
                         f"{shape[1]}x{shape[0]}; resize the colour to the line-art's size first")


def paint(colour: np.ndarray, regions: Regions, mode: PaintMode = "flat",
          shade_sigma: float | None = None, paper: float = 0.0, surround: bool = False,
          chroma: float = 1.0, doubt: float = 0.0) -> np.ndarray:
    """Paint `regions` from `colour` (H x W x 3 uint8 RGB, the line-art's size); H x W x 3 uint8 RGB.

    mode: "flat", "shaded" or "free" (see the module doc). shade_sigma: the shading's Gaussian in
    pixels for "shaded" (default 1 % of the frame's longer side, at least 1). paper: regions painted
    within this Lab distance of white are left white (0: off; ignored by "free"). surround: the paper
    around a drawing on paper is left white (see the module doc; ignored by "free"). chroma: the
    share of each region's Lab chroma kept (1: as the source; ignored by "free"). doubt: the hue
    spread (8-bit Lab) at which a region keeps half of that chroma (0: off; see the module doc).
    """
    if mode not in PAINT_MODES:
        raise InputError(f"paint must be flat, shaded or free, got {mode!r}")
    check_colour(colour, regions.shape)
    if mode == "free":
        return colour.copy()
    sample = lab_sample(colour)
    flat_lab = region_medians(colour, regions, sample)           # (count + 1) x 3 uint8 Lab
    blank = paper_regions(flat_lab, paper)
    if surround:
        around = surround_region(regions)
        if around:
            blank[around] = True
        else:  # the source's own paint decides which pieces are paper, before any chroma change
            blank |= split_surround(regions, paper_regions(flat_lab, PAPER_TINT))
    keep = np.full(len(flat_lab), chroma, np.float32)
    if doubt > 0:
        keep /= 1 + (region_spread(sample, regions, flat_lab) / doubt) ** 2
    if (keep != 1).any():
        flat_lab[:, 1:] = np.clip(128 + keep[:, None] * (flat_lab[:, 1:].astype(np.float32) - 128) + 0.5, 0, 255)
    flat_lab[blank] = PAPER_LAB
    if mode == "flat":
        flat_rgb = cv2.cvtColor(flat_lab[:, None, :], cv2.COLOR_Lab2RGB)[:, 0, :]
        return per_region(flat_rgb, regions.fill)
    if shade_sigma is None:
        shade_sigma = max(1.0, 0.01 * max(regions.shape))
    lightness = cv2.cvtColor(np.ascontiguousarray(colour), cv2.COLOR_RGB2Lab)[..., 0]
    shading = region_shading(lightness, regions, flat_lab[:, 0], shade_sigma)
    if blank.any():
        shading[blank[regions.fill]] = 0.0
    out = per_region(flat_lab, regions.fill)
    shaded = out[..., 0].astype(np.float32) + shading
    out[..., 0] = np.clip(shaded + 0.5, 0, 255).astype(np.uint8)
    return cv2.cvtColor(out, cv2.COLOR_Lab2RGB)


def paper_pixels(colour: np.ndarray, paper: float) -> np.ndarray:
    """`colour` (H x W x 3 uint8 RGB) with its near-white pixels made paper: white within `paper` (CIE
    Lab distance, L 0-100) of white, unchanged from 2 * `paper` on, blended linearly between; a new
    H x W x 3 uint8 array (a copy when `paper` is 0)."""
    if paper <= 0:
        return colour.copy()
    lab = cv2.cvtColor(colour, cv2.COLOR_RGB2Lab).astype(np.float32)
    # 8-bit OpenCV Lab: L * 255 / 100, a and b + 128
    lightness = (np.float32(255.0) - lab[..., 0]) * np.float32(100.0 / 255.0)
    distance = np.sqrt(lightness * lightness + np.square(lab[..., 1] - 128) + np.square(lab[..., 2] - 128))
    white = np.clip(2.0 - distance * np.float32(1.0 / paper), 0.0, 1.0).astype(np.float32)
    if not white.any():
        return colour.copy()
    paper_white = np.full_like(colour, 255)
    return cv2.blendLinear(paper_white, colour, white, np.float32(1.0) - white)


def paper_regions(flat_lab: np.ndarray, paper: float) -> np.ndarray:
    """(count + 1) bool: which regions' flat paint (8-bit OpenCV Lab rows) lies within `paper` of white.

    The distance is CIE76 in true Lab units (L 0-100): OpenCV stores L * 255 / 100 and a, b + 128.
    """
    if paper <= 0:
        return np.zeros(len(flat_lab), bool)
    lab = flat_lab.astype(np.float32)
    distance = np.sqrt(((255.0 - lab[:, 0]) * (100.0 / 255.0)) ** 2 + (lab[:, 1] - 128) ** 2 + (lab[:, 2] - 128) ** 2)
    return distance <= paper


def per_region(table: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8 image of `table[ids]` (table: n x 3 uint8, ids: H x W ints < n).

    Each row is packed into one uint32 so the lookup gathers one word per pixel (np.take), several
    times faster than numpy's fancy indexing of n x 3 rows.
    """
    packed = np.zeros((table.shape[0], 4), np.uint8)
    packed[:, :3] = table
    words = np.take(packed.view(np.uint32).ravel(), ids)
    return cv2.cvtColor(words.view(np.uint8).reshape(*ids.shape, 4), cv2.COLOR_RGBA2RGB)


def lab_sample(colour: np.ndarray) -> np.ndarray:
    """ceil(H/2) x ceil(W/2) x 3 uint8: `colour` (H x W x 3 uint8 RGB) in 8-bit Lab on every second
    pixel each way, the sample region_medians and region_spread measure."""
    return cv2.cvtColor(np.ascontiguousarray(colour[::2, ::2]), cv2.COLOR_RGB2Lab)


def region_medians(colour: np.ndarray, regions: Regions, sample: np.ndarray | None = None) -> np.ndarray:
    """(count + 1) x 3 uint8 Lab: per region and channel, the (lower) median of `colour` (H x W x 3
    uint8 RGB) in Lab over the region's paper pixels. Row 0 is unused.

    The statistics are taken on every second pixel in each direction (a colour source is a
    working-size output upsampled, so this loses nothing and costs a quarter); regions that the
    sample misses (thinner than two pixels) are measured on all their pixels, and a region with no
    paper at all (an all-ink frame) on its line pixels. `sample`: lab_sample(colour), if the caller has it.
    """
    n = regions.count + 1
    if sample is None:
        sample = lab_sample(colour)
    medians, empty = _medians(sample.reshape(-1, 3), regions.labels[::2, ::2].ravel(), n)
    for ids in (regions.labels, regions.fill):
        empty[0] = False
        if not empty.any():
            break
        chosen = empty[ids]
        if not chosen.any():  # the missing regions have no paper: measure them on `fill`
            continue
        pixels = cv2.cvtColor(np.ascontiguousarray(colour[chosen][:, None, :]), cv2.COLOR_RGB2Lab)
        found, missing = _medians(pixels[:, 0, :], ids[chosen], n)
        medians[empty & ~missing] = found[empty & ~missing]
        empty &= missing
    return medians


def region_spread(sample: np.ndarray, regions: Regions, medians: np.ndarray,
                  margin: int = SPREAD_MARGIN) -> np.ndarray:
    """(count + 1) float32: per region, the mean |a - median a| + |b - median b| of the colour source
    over the region's paper at least `margin` pixels from any line (`sample`: the source's
    lab_sample; `medians`: region_medians' (count + 1) x 3 Lab rows). The margin leaves out
    the band where a working-size output bleeds a neighbour's colour across the line, which says
    nothing about the region's own hue. 0 for a region with no such pixels (no evidence of doubt).
    """
    n = regions.count + 1
    paper = (regions.labels > 0).view(np.uint8)
    if margin:
        paper = cv2.erode(paper, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1,) * 2))
    ids = (regions.labels[::2, ::2] * paper[::2, ::2]).ravel()
    pixels = sample.reshape(-1, 3)
    deviation = np.zeros(ids.shape, np.float32)
    for c in (1, 2):
        deviation += np.abs(pixels[:, c].astype(np.float32) - medians[ids, c])
    counts = np.bincount(ids, minlength=n)
    total = np.bincount(ids, weights=deviation, minlength=n)
    spread = (total / np.maximum(counts, 1)).astype(np.float32)
    spread[0] = 0.0
    return spread


def _medians(channels: np.ndarray, labels: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower medians (n x C uint8) of N x C uint8 `channels` grouped by `labels` (N ints in 0..n-1),
    and which groups are empty (n bool)."""
    out = np.zeros((n, channels.shape[1]), np.uint8)
    empty = np.zeros(n, bool)
    for start in range(0, n, _CHUNK):
        stop = min(n, start + _CHUNK)
        if start == 0 and stop == n:
            keys, values = labels.astype(np.intp) * 256, channels
        else:  # very many regions: one chunk at a time keeps the histograms small
            chosen = (labels >= start) & (labels < stop)
            keys, values = (labels[chosen].astype(np.intp) - start) * 256, channels[chosen]
        for c in range(channels.shape[1]):
            hist = np.bincount(keys + values[:, c], minlength=(stop - start) * 256)
            cum = hist.reshape(stop - start, 256).cumsum(axis=1)
            half = (cum[:, -1] + 1) // 2
            out[start:stop, c] = (cum < np.maximum(half, 1)[:, None]).sum(axis=1).clip(0, 255)
            empty[start:stop] = cum[:, -1] == 0
    return out, empty


def region_shading(lightness: np.ndarray, regions: Regions, centre: np.ndarray, sigma: float) -> np.ndarray:
    """H x W float32: the low-frequency part of `lightness` (H x W uint8) around each region's
    `centre` (count + 1 values, the flat paint's L), so that centre + shading is the region-masked
    low-pass of the source's lightness.

    Per region, the deviation from its centre is blurred by a Gaussian of `sigma` pixels inside that
    region only (normalised convolution: blur(deviation * mask) / blur(mask)), so no neighbour's
    shading crosses a line. The mask is the region's paper at least sigma / 2 pixels from any line:
    a colorizer's working-size output bleeds the neighbour's colours across a line, and counting that
    band would draw a dark halo inside every region; the blur carries the interior's shading there.
    Regions smaller than (4 sigma)^2 pixels, or with less than (2 sigma)^2 pixels of such paper
    (slivers), stay flat: no low frequency fits in them. The work runs
    at sigma / 2 pixels per sample, one small crop per shaded region, and is upsampled at the end.
    """
    height, width = regions.shape
    step = max(1, int(sigma / 2))
    small = (max(1, round(width / step)), max(1, round(height / step)))
    paper = (regions.labels > 0).view(np.uint8)
    margin = max(1, int(round(sigma / 2)))
    inner = cv2.erode(paper, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1,) * 2))
    weight = inner.astype(np.float32)
    # Each low-resolution sample averages pixels of one region only (the mask keeps a margin of at
    # least one sample from every line), so sum((L - c) w) = sum(L w) - c sum(w) with that region's c.
    weighted = cv2.resize(lightness.astype(np.float32) * weight, small, interpolation=cv2.INTER_AREA)
    weight = cv2.resize(weight, small, interpolation=cv2.INTER_AREA)
    ids = cv2.resize(regions.fill, small, interpolation=cv2.INTER_NEAREST)
    weighted -= centre.astype(np.float32)[ids] * weight
    shading = np.zeros(weight.shape, np.float32)
    sigma_small = sigma / step
    pad = int(np.ceil(3 * sigma_small))
    support = np.bincount(ids.ravel(), weights=weight.ravel(), minlength=regions.count + 1)
    shaded = (regions.areas >= (4 * sigma) ** 2) & (support * step * step >= (2 * sigma) ** 2)
    shaded[0] = False
    for region in np.flatnonzero(shaded):
        mask = ids == region
        x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
        box = (slice(max(0, y - pad), y + h + pad), slice(max(0, x - pad), x + w + pad))
        inside = mask[box]
        num = cv2.GaussianBlur(weighted[box] * inside, (0, 0), sigma_small, borderType=cv2.BORDER_CONSTANT)
        den = cv2.GaussianBlur(weight[box] * inside, (0, 0), sigma_small, borderType=cv2.BORDER_CONSTANT)
        # Far from any supporting pixel the estimate rests on a few: shrink it towards flat there.
        local = num / np.maximum(den, MIN_SUPPORT)
        shading[box][inside] = local[inside]
    return cv2.resize(shading, (width, height), interpolation=cv2.INTER_LINEAR)
