"""Closed paper regions of a line-art drawing, with its lines kept apart as a coverage layer.

Cel animation is ink and paint: every area enclosed by the artist's lines takes one paint. This
module finds those areas at full resolution, on line-art as colorize draws it (H x W uint8, 255
paper, 0 ink, anti-aliased greys in between):

1. paper = pixels lighter than `ink_level` (default 128: less than half covered by ink);
2. gap closing (trapped ball): the paper is eroded by a disk of radius ceil(gap / 2), so an opening
   of up to `gap` pixels between two line ends no longer connects the two sides; the 4-connected
   components of the eroded paper are the seeds. A paper component that loses every pixel to the
   erosion (a narrow stripe) becomes a seed as a whole, so thin closed areas keep their own region;
3. the seeds grow back over the whole frame with OpenCV's watershed on a relief that is flat on paper
   and rises into the lines: all paper reachable through paper is claimed before any ink pixel, so a
   region never grows across a closed line, the pixels in a gap go to the nearer seed, and each line
   pixel goes to the nearer side of its line (the floods from both sides meet at the line's middle);
4. regions of fewer than `min_area` pixels (specks, hatching cells) are dissolved and flooded again
   from their neighbours: they merge into the region that reaches them first (the nearest, through
   paper where they touch one, across the line otherwise).

    regions = segment_regions(lineart, gap=3, min_area=16)
    regions.labels      # H x W int32: 1..count on paper, 0 on line pixels
    regions.fill        # H x W int32: 1..count everywhere (a line pixel takes the region under it)
    regions.coverage    # H x W float32: 0 paper .. 1 full ink
    surround_region(regions)   # the id of the paper around a drawing on paper, 0 for a scene

Pure OpenCV/numpy, no scikit-image. At 1280x720 the step costs a few tens of milliseconds on one
core (benchmarks/bench_cel.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from colorize.errors import InputError

# A pixel is line (label 0) when ink covers at least half of it: lineart < INK_LEVEL.
INK_LEVEL = 128
MAX_GAP = 32
#: The share of the frame's rim one region must hold to be the paper around a drawing (surround_region).
SURROUND_SHARE = 0.75


@dataclass(frozen=True)
class Regions:
    """The closed regions of one line-art frame (all arrays H x W, the line-art's size).

    labels: int32, 1..count for the paper pixels of each region; 0 is reserved for line pixels
        (lineart < ink_level). Every id in 1..count has at least one pixel in `fill`.
    fill: int32, 1..count for every pixel: paper as in `labels`, each line pixel the region whose
        flood reached it first (the paint "under" the line). With no paper at all (an all-ink frame)
        the whole frame is region 1.
    count: number of regions (>= 1).
    coverage: float32 in [0, 1], the ink's darkness 1 - lineart / 255 (0 paper, 1 full ink), kept
        smooth so anti-aliased lines composite smoothly.
    areas: int64, count + 1 entries: paper pixels per label (areas[0] = line pixels).
    """

    labels: np.ndarray
    fill: np.ndarray
    count: int
    coverage: np.ndarray
    areas: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.labels.shape


def check_lineart(lineart: np.ndarray) -> None:
    """InputError unless `lineart` is H x W uint8 (callers turn RGB/RGBA drawings into gray first)."""
    if not isinstance(lineart, np.ndarray) or lineart.dtype != np.uint8 or lineart.ndim != 2:
        got = f"{lineart.dtype} {lineart.shape}" if isinstance(lineart, np.ndarray) else type(lineart).__name__
        raise InputError(f"cel line-art must be an H x W uint8 array (255 paper, 0 ink), got {got}")
    if lineart.size == 0:
        raise InputError(f"cel line-art is empty ({lineart.shape})")


def segment_regions(lineart: np.ndarray, gap: int = 3, min_area: int = 16,
                    ink_level: int = INK_LEVEL) -> Regions:
    """Closed paper regions of `lineart` (H x W uint8, 255 paper, 0 ink) at its full resolution.

    gap: openings in the lines up to this many pixels wide still close a region (0 = only fully
        closed lines separate regions); at most MAX_GAP.
    min_area: regions with fewer pixels (paper and the line pixels they take) merge into a neighbour.
    ink_level: pixels darker than this are line pixels (label 0).
    Returns Regions; deterministic.
    """
    check_lineart(lineart)
    if not 0 <= gap <= MAX_GAP:
        raise InputError(f"gap must be 0 to {MAX_GAP} pixels, got {gap}")
    if min_area < 0:
        raise InputError(f"min_area must be at least 0, got {min_area}")
    lineart = np.ascontiguousarray(lineart)
    coverage = (255 - lineart).astype(np.float32) * np.float32(1.0 / 255.0)
    paper = (lineart >= ink_level).view(np.uint8)
    seeds = _seeds(paper, gap)
    fill, count = _grow(_relief(paper), seeds, min_area)
    labels = np.where(paper.view(bool), fill, 0).astype(np.int32)
    areas = np.bincount(labels.ravel(), minlength=count + 1)
    return Regions(labels=labels, fill=fill, count=count, coverage=coverage, areas=areas)


def disk(radius: int) -> np.ndarray:
    """(2r+1) x (2r+1) uint8 disk: the pixels within `radius` of the centre (Euclidean)."""
    y, x = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    return (x * x + y * y <= radius * radius + radius // 2).astype(np.uint8)


def _seeds(paper: np.ndarray, gap: int) -> np.ndarray:
    """H x W int32 markers: 1..n on the seed of each region-to-be, 0 elsewhere.

    Seeds are the 4-connected components of the paper after erosion by a disk that no gap of up to
    `gap` pixels lets through, plus every paper component that the erosion removed entirely.
    """
    n_raw, raw = cv2.connectedComponents(paper, connectivity=4, ltype=cv2.CV_32S)
    if gap <= 0:
        return raw
    # Outside the frame is paper (erode's default border), so the frame's edge is no line.
    eroded = cv2.erode(paper, disk((gap + 1) // 2))
    n_seeds, seeds = cv2.connectedComponents(eroded, connectivity=4, ltype=cv2.CV_32S)
    seeded = np.zeros(n_raw, bool)
    seeded[raw[eroded.view(bool)]] = True
    seeded[0] = True  # the ink
    orphans = np.flatnonzero(~seeded)
    if orphans.size:
        # Narrow closed areas the disk cannot enter: each becomes one seed, numbered after the others
        # (those under min_area are dissolved with the other small regions in _grow). Orphan ids
        # exceed every seed id, so the maximum puts them over the (zero) seeds there.
        lut = np.zeros(n_raw, np.int32)
        lut[orphans] = np.arange(n_seeds, n_seeds + orphans.size, dtype=np.int32)
        np.maximum(seeds, np.take(lut, raw), out=seeds)
    return seeds


def _relief(paper: np.ndarray) -> np.ndarray:
    """(H+2) x (W+2) x 3 uint8 image for cv2.watershed: 0 on paper, the L1 distance to the paper on
    ink, and a one-pixel paper frame around it (watershed claims the image's outer ring as -1).

    OpenCV's watershed floods in order of the difference between neighbouring pixels, so all paper
    reachable through paper (difference 0) is claimed before any flood enters a line (difference
    1), and inside a line the floods from both sides advance one pixel per step and meet at its middle.
    (On the line-art's own grey, a solid line's flat interior would go to whichever side entered first.)
    """
    ink = (1 - paper).astype(np.uint8)
    ramp = cv2.distanceTransform(ink, cv2.DIST_L1, 3, dstType=cv2.CV_8U)
    ramp = cv2.copyMakeBorder(ramp, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    return cv2.cvtColor(ramp, cv2.COLOR_GRAY2BGR)


def _flood(relief: np.ndarray, markers: np.ndarray) -> np.ndarray:
    """cv2.watershed of H x W int32 `markers` (0 = unclaimed) over `relief` (padded by one pixel);
    H x W int32 where the pixels on which two floods meet are -1 (see _fill_boundaries)."""
    padded = cv2.copyMakeBorder(markers, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    cv2.watershed(relief, padded)
    return padded[1:-1, 1:-1]


def _grow(relief: np.ndarray, seeds: np.ndarray, min_area: int) -> tuple[np.ndarray, int]:
    """Flood `seeds` over the frame, dissolve the regions smaller than `min_area` and flood those
    again from their neighbours; returns the fill (H x W int32, 1..count, no zeros) and count."""
    if not seeds.any():  # no paper at all: the frame is one region
        return np.ones(seeds.shape, np.int32), 1
    flooded = _flood(relief, seeds)
    areas = np.bincount((flooded + 1).ravel())       # index 0: the -1 pixels, 1: none, k + 1: region k
    areas[:2] = 0
    keep = areas >= max(min_area, 1)
    if not keep.any():                                 # everything is small: keep it all
        keep = areas > 0
    # One table maps the first flood to the markers of the second: kept regions renumbered 1..count
    # in order, small regions and the -1 pixels back to 0 so that their neighbours flood them.
    count = int(keep.sum())
    table = np.where(keep, np.cumsum(keep), 0).astype(np.int32)
    if count < areas.size - 2:                         # something was dissolved (or an id vanished)
        flooded = _flood(relief, np.take(table, flooded + 1))
    return np.ascontiguousarray(_fill_boundaries(flooded)), count


def _fill_boundaries(labels: np.ndarray) -> np.ndarray:
    """Replace the pixels < 1 of a watershed result by the largest label among their 8 neighbours."""
    todo = labels < 1
    if not todo.any():
        return labels
    work = labels.astype(np.float32)  # exact for labels < 2**24; cv2.dilate has no int32 kernel
    kernel = np.ones((3, 3), np.uint8)
    while todo.any():
        if todo.all():  # nothing to grow from (cannot happen after a seeded flood): one region
            return np.ones(labels.shape, np.int32)
        work[todo] = 0
        grown = cv2.dilate(work, kernel)
        work = np.where(todo, grown, work)
        todo = work < 1
    return work.astype(np.int32)


def rim_counts(regions: Regions) -> tuple[np.ndarray, int]:
    """(count + 1 ints: each region's paper pixels on the frame's rim, the rim's length in pixels)."""
    labels = regions.labels
    rim = np.concatenate([labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1]])
    return np.bincount(rim[rim > 0], minlength=regions.count + 1), rim.size


def split_surround(regions: Regions, paper_like: np.ndarray, share: float = SURROUND_SHARE) -> np.ndarray:
    """(count + 1) bool: the paper around a drawing that the frame's edges cut into pieces, or none.

    A drawing cut by the frame on several sides (a figure as tall as the frame, a plate touching three
    edges) splits its paper into regions beside it and in the corners, none holding `share` of the
    rim (surround_region finds none). Those pieces are taken as paper when the rim regions that
    `paper_like` marks (count + 1 bool: e.g. painted within a faint tint of white) together hold
    `share` of the rim; all False otherwise. A scene's sky and ground are not paper-like.
    """
    counts, rim = rim_counts(regions)
    pieces = paper_like & (counts > 0)
    pieces[0] = False
    return pieces if counts[pieces].sum() >= share * rim else np.zeros_like(pieces)


def surround_region(regions: Regions, share: float = SURROUND_SHARE) -> int:
    """The region that is the paper around a drawing, or 0 when the frame is not a drawing on paper.

    A drawing on paper (a character, a prop, a cel with no background) has one paper region all
    around it: it holds the frame's whole rim, or most of it where the drawing is cut by an edge (a
    figure cut at the waist). A scene's lines run off the edges and split the rim between several
    regions (sky and ground meet at the horizon), none holding `share` of it. Returns that region's
    id (1..count) when its paper pixels make at least `share` of the rim's pixels, else 0.
    """
    counts, rim = rim_counts(regions)
    top = int(counts.argmax())
    return top if top > 0 and counts[top] >= share * rim else 0
