"""colorize.cel.regions: closed paper regions of line-art, gaps closed up to `gap`, specks merged."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from colorize.cel.regions import segment_regions
from colorize.data.toon import ToonClip, ToonConfig
from colorize.errors import InputError


def circle_art(size: int = 96, radius: int = 30, gap: int = 0, thickness: int = 2) -> np.ndarray:
    """A black circle outline on white with a vertical opening of `gap` pixels at its right side."""
    art = np.full((size, size), 255, np.uint8)
    cv2.circle(art, (size // 2, size // 2), radius, 0, thickness)
    if gap:
        centre = size // 2
        art[centre - gap // 2: centre - gap // 2 + gap, centre + radius - 4: centre + radius + 4] = 255
    return art


def inside_outside(regions, size: int = 96) -> tuple[int, int]:
    return int(regions.labels[size // 2, size // 2]), int(regions.labels[2, 2])


def test_closed_circle_is_two_regions_and_lines_are_label_zero():
    art = circle_art()
    regions = segment_regions(art, gap=0, min_area=0)
    inside, outside = inside_outside(regions)
    assert regions.count == 2 and {inside, outside} == {1, 2}
    assert (regions.labels[art < 128] == 0).all() and (regions.labels[art >= 128] > 0).all()
    assert regions.labels.dtype == np.int32 and regions.fill.dtype == np.int32
    assert regions.fill.min() >= 1 and regions.fill.max() == regions.count
    assert (regions.fill[art >= 128] == regions.labels[art >= 128]).all()
    assert regions.areas.sum() == art.size


@pytest.mark.parametrize("gap_px", [1, 2, 3])
def test_gaps_up_to_the_configured_size_close(gap_px):
    art = circle_art(gap=gap_px)
    assert (art[48 - 1: 48 + 2, 76:82] == 255).all() or gap_px < 3  # the opening is really there
    assert segment_regions(art, gap=0, min_area=0).count == 1       # open without gap closing
    inside, outside = inside_outside(segment_regions(art, gap=3, min_area=16))
    assert inside != outside and inside > 0 and outside > 0


def test_gaps_wider_than_the_setting_stay_open():
    art = circle_art(gap=8)
    inside, outside = inside_outside(segment_regions(art, gap=3, min_area=16))
    assert inside == outside
    inside, outside = inside_outside(segment_regions(art, gap=9, min_area=16))
    assert inside != outside


def test_gap_pixels_go_to_a_side_and_every_paper_pixel_is_labelled():
    art = circle_art(gap=3)
    regions = segment_regions(art, gap=3, min_area=16)
    assert regions.count == 2
    assert (regions.labels[art >= 128] > 0).all()


def test_narrow_closed_stripe_keeps_its_own_region():
    """A closed area narrower than the erosion disk (no seed survives) still becomes a region."""
    art = np.full((40, 60), 255, np.uint8)
    art[10, 5:55] = art[13, 5:55] = 0          # a 2-pixel-high stripe between two lines
    art[10:14, 5] = art[10:14, 54] = 0
    regions = segment_regions(art, gap=4, min_area=16)
    stripe, outside = regions.labels[11, 30], regions.labels[2, 2]
    assert stripe > 0 and stripe != outside
    assert (regions.labels[11:13, 6:54] == stripe).all()


def test_tiny_regions_merge_into_a_neighbour():
    art = np.full((64, 64), 255, np.uint8)
    cv2.rectangle(art, (20, 20), (23, 23), 0, 1)   # encloses 2 x 2 = 4 paper pixels
    cv2.rectangle(art, (35, 35), (50, 50), 0, 1)   # encloses 14 x 14 = 196
    regions = segment_regions(art, gap=0, min_area=16)
    assert regions.count == 2
    assert regions.labels[21, 21] > 0 and regions.labels[42, 42] > 0
    assert regions.labels[42, 42] != regions.labels[2, 2]
    kept = segment_regions(art, gap=0, min_area=0)
    assert kept.count == 3


def test_line_pixels_take_the_nearer_side():
    art = np.full((20, 41), 255, np.uint8)
    art[:, 18:23] = 0                              # a 5-pixel solid line between two halves
    regions = segment_regions(art, gap=0, min_area=0)
    left, right = regions.labels[5, 2], regions.labels[5, 38]
    assert left != right
    assert (regions.fill[:, 18:20] == left).all() and (regions.fill[:, 21:23] == right).all()


def test_coverage_is_smooth_ink_darkness():
    ramp = np.tile(np.arange(256, dtype=np.uint8)[::-1], (8, 1))
    regions = segment_regions(ramp, gap=0, min_area=0)
    assert regions.coverage.dtype == np.float32
    np.testing.assert_allclose(regions.coverage[0], np.arange(256) / 255.0, atol=1e-6)
    aa = cv2.circle(np.full((64, 64), 255, np.uint8), (32, 32), 20, 0, 2, cv2.LINE_AA)
    cov = segment_regions(aa).coverage
    assert 0 < ((cov > 0.05) & (cov < 0.95)).sum()  # anti-aliased greys kept as partial coverage
    assert cov[aa == 255].max() == 0 and cov[aa == 0].min() == 1


@pytest.mark.parametrize("shape", [(37, 53), (1, 1), (1, 40), (40, 1)])
def test_odd_and_degenerate_sizes(shape):
    rng = np.random.default_rng(0)
    art = np.where(rng.random(shape) < 0.2, 0, 255).astype(np.uint8)
    regions = segment_regions(art, gap=3, min_area=4)
    assert regions.labels.shape == shape and regions.fill.shape == shape
    assert regions.fill.min() >= 1 and regions.fill.max() == regions.count
    assert set(np.unique(regions.fill)) == set(range(1, regions.count + 1))


def test_all_paper_and_all_ink():
    paper = segment_regions(np.full((30, 50), 255, np.uint8))
    assert paper.count == 1 and (paper.labels == 1).all() and paper.coverage.max() == 0
    ink = segment_regions(np.zeros((30, 50), np.uint8))
    assert ink.count == 1 and (ink.labels == 0).all() and (ink.fill == 1).all()
    assert ink.coverage.min() == 1


def test_toon_shapes_are_separated_by_their_outlines():
    """On a toon frame with known outlines, no region spans two different fill colours' shapes."""
    clip = ToonClip(ToonConfig(width=128, height=96, n_shapes=4, seed=1, outline_px=1))
    art = np.where(clip.outline_mask(0), 0, 255).astype(np.uint8)
    truth = clip.labels(0)
    regions = segment_regions(art, gap=0, min_area=0)
    paper = art == 255
    for region in range(1, regions.count + 1):
        ids = np.unique(truth[paper & (regions.labels == region)])
        assert ids.size <= 1, f"region {region} spans shapes {ids}"


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4), np.float32),
                                 np.zeros((0, 5), np.uint8), [[255]]])
def test_bad_lineart_is_a_one_line_input_error(bad):
    with pytest.raises(InputError) as info:
        segment_regions(bad)
    assert "\n" not in str(info.value)


def test_bad_settings_are_input_errors():
    art = np.full((8, 8), 255, np.uint8)
    with pytest.raises(InputError, match="gap"):
        segment_regions(art, gap=-1)
    with pytest.raises(InputError, match="min_area"):
        segment_regions(art, min_area=-5)


def test_surround_is_the_paper_around_a_drawing_and_none_in_a_scene():
    from colorize.cel.regions import surround_region

    drawing = segment_regions(circle_art())
    inside, outside = inside_outside(drawing)
    assert surround_region(drawing) == outside != inside
    cut = circle_art()
    cv2.rectangle(cut, (30, 70), (66, 95), 0, 2)          # a body cut by the bottom edge
    regions = segment_regions(cut)
    assert surround_region(regions) == regions.labels[2, 2]
    assert regions.labels[93, 48] not in (0, regions.labels[2, 2])   # the cut body is its own region
    scene = np.full((96, 96), 255, np.uint8)
    cv2.line(scene, (0, 50), (95, 46), 0, 2)              # a horizon: sky and ground share the rim
    cv2.circle(scene, (30, 20), 8, 0, 2)
    assert surround_region(segment_regions(scene)) == 0
    blank = segment_regions(np.full((40, 60), 255, np.uint8))
    assert surround_region(blank) == 1                    # an empty sheet is all paper
    assert surround_region(segment_regions(np.zeros((40, 60), np.uint8))) == 0   # all ink: no paper
