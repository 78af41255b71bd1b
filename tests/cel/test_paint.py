"""colorize.cel.paint / lines / frame: flat, shaded and free paint, bit-exact kept lines, CelConfig."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from colorize.cel import CelConfig, cel_frame, composite_lines, render_cel, segment_regions
from colorize.cel.paint import paint
from colorize.errors import InputError


def two_halves(size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Line-art: a closed square in the middle; colour: red inside the square, blue
    elsewhere, with the red bleeding 3 px across the line (as an upsampled colorizer output does)."""
    art = np.full((size, size), 255, np.uint8)
    low, high = size // 4, 3 * size // 4 - 1
    cv2.rectangle(art, (low, low), (high, high), 0, 2)
    colour = np.zeros((size, size, 3), np.uint8)
    colour[:] = (30, 60, 200)
    colour[low - 3:high + 4, low - 3:high + 4] = (220, 40, 30)
    return art, colour


def test_flat_is_one_colour_per_region_and_paint_does_not_cross_a_closed_line():
    art, colour = two_halves()
    regions = segment_regions(art, gap=3, min_area=16)
    flat = paint(colour, regions, "flat")
    for region in range(1, regions.count + 1):
        assert len(np.unique(flat[regions.fill == region], axis=0)) == 1
    inside, outside = flat[32, 32], flat[2, 2]
    assert np.abs(inside.astype(int) - (220, 40, 30)).max() <= 3     # medians ignore the bleed
    assert np.abs(outside.astype(int) - (30, 60, 200)).max() <= 3
    line = art < 128
    assert set(map(tuple, flat[line])) <= {tuple(inside), tuple(outside)}  # lines take a side's paint


def test_flat_is_robust_to_specks_in_the_source():
    art, colour = two_halves()
    rng = np.random.default_rng(1)
    noisy = colour.copy()
    specks = rng.random(art.shape) < 0.1
    noisy[specks] = rng.integers(0, 256, (int(specks.sum()), 3), dtype=np.uint8)
    flat = paint(noisy, segment_regions(art), "flat")
    assert np.abs(flat[32, 32].astype(int) - (220, 40, 30)).max() <= 6


def test_shaded_keeps_a_gradient_inside_a_region_with_flat_chroma():
    size = 128
    art = np.full((size, size), 255, np.uint8)
    ramp = np.linspace(60, 200, size, dtype=np.float32)
    colour = np.zeros((size, size, 3), np.uint8)
    colour[:] = np.stack([ramp, ramp * 0.5, ramp * 0.2], -1).astype(np.uint8)[None, :, :]
    regions = segment_regions(art)
    shaded = paint(colour, regions, "shaded", shade_sigma=4.0)
    flat = paint(colour, regions, "flat")
    lightness = cv2.cvtColor(shaded, cv2.COLOR_RGB2Lab)[64, :, 0].astype(int)
    assert lightness[-10] - lightness[10] > 30                     # a gradient left to right
    assert len(np.unique(flat.reshape(-1, 3), axis=0)) == 1        # where flat has none
    chroma = cv2.cvtColor(shaded, cv2.COLOR_RGB2Lab)[64, 10:-10, 1:].astype(int)
    assert np.ptp(chroma, axis=0).max() <= 12                       # chroma stays (nearly) flat


def test_shaded_does_not_cross_a_closed_line():
    art, colour = two_halves(96)
    outside = (colour == (30, 60, 200)).all(axis=2)
    outside[:, 48:] = False
    colour[outside] = (10, 20, 70)                                # a dark left half outside the square
    regions = segment_regions(art)
    shaded = paint(colour, regions, "shaded", shade_sigma=4.0)
    flat = paint(colour, regions, "flat")
    inside = regions.labels == regions.labels[48, 48]
    assert np.abs(shaded[inside].astype(int) - flat[inside].astype(int)).max() <= 12


def test_free_is_the_source_unchanged():
    art, colour = two_halves()
    out = paint(colour, segment_regions(art), "free")
    assert np.array_equal(out, colour) and out is not colour
    assert np.array_equal(cel_frame(colour, art, paint="free", lines="drop"), colour)


def multiply(paint_rgb: np.ndarray, art: np.ndarray) -> np.ndarray:
    """The bit-exact definition: round(paint * lineart / 255) per channel, in integers."""
    return ((paint_rgb.astype(np.int64) * art[..., None] + 127) // 255).astype(np.uint8)


def test_keep_lines_is_bit_exact_multiply_composite():
    rng = np.random.default_rng(0)
    art = rng.integers(0, 256, (37, 53), dtype=np.uint8)
    art[:5] = 0
    art[-5:] = 255
    painted = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    out = composite_lines(painted, art)
    assert np.array_equal(out, multiply(painted, art))
    assert (out[:5] == 0).all() and np.array_equal(out[-5:], painted[-5:])
    exact = np.rint(painted.astype(np.float64) * art[..., None] / 255.0).astype(np.uint8)
    assert np.array_equal(out, exact)                   # no ties: float rounding agrees


def test_coloured_ink_and_coverage_input():
    art = np.array([[0, 128, 255]], np.uint8)
    painted = np.full((1, 3, 3), 200, np.uint8)
    out = composite_lines(painted, art, line_colour=(255, 0, 0))
    assert out[0, 0].tolist() == [255, 0, 0] and out[0, 2].tolist() == [200, 200, 200]
    coverage = 1.0 - art.astype(np.float32) / 255.0
    assert np.array_equal(composite_lines(painted, coverage), composite_lines(painted, art))
    with pytest.raises(InputError):
        composite_lines(painted, art, line_colour=(300, 0, 0))
    with pytest.raises(InputError):
        composite_lines(painted, art[:, :2])


def test_cel_frame_keeps_the_drawing_ink_and_lines_exact():
    art, colour = two_halves()
    art = cv2.GaussianBlur(art, (3, 3), 0)                     # anti-aliased greys too
    for mode in ("flat", "shaded", "free"):
        out = cel_frame(colour, art, paint=mode, lines="keep")
        regions = segment_regions(art)
        painted = paint(colour, regions, mode)
        assert np.array_equal(out, multiply(painted, art))
        ink = art < 128
        still_ink = (out.max(axis=2) < 128)[ink].mean()
        assert still_ink >= 0.9, f"{mode}: only {still_ink:.0%} of the ink pixels stay ink"
        assert (out[art == 0] == 0).all()


def test_lines_drop_has_no_dark_line_pixels():
    art, colour = two_halves()
    out = cel_frame(colour, art, paint="flat", lines="drop")
    assert out[art < 128].max(axis=1).min() >= 150            # lines took the red or blue paint


@pytest.mark.parametrize("shape", [(37, 53), (1, 1), (8, 3)])
def test_odd_sizes_all_modes(shape):
    rng = np.random.default_rng(2)
    art = np.where(rng.random(shape) < 0.3, 0, 255).astype(np.uint8)
    colour = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    for mode in ("flat", "shaded", "free"):
        for lines in ("keep", "drop"):
            out = cel_frame(colour, art, paint=mode, lines=lines, gap=2, min_area=3)
            assert out.shape == (*shape, 3) and out.dtype == np.uint8


def test_all_paper_and_all_ink_frames():
    colour = np.zeros((20, 30, 3), np.uint8)
    colour[:, :15] = (200, 10, 10)
    colour[:, 15:] = (10, 10, 200)
    paper = np.full((20, 30), 255, np.uint8)
    flat = cel_frame(colour, paper, paint="flat", lines="keep")
    assert len(np.unique(flat.reshape(-1, 3), axis=0)) == 1       # one region, one colour
    ink = np.zeros((20, 30), np.uint8)
    assert (cel_frame(colour, ink, paint="flat", lines="keep") == 0).all()
    dropped = cel_frame(colour, ink, paint="flat", lines="drop")
    assert len(np.unique(dropped.reshape(-1, 3), axis=0)) == 1


def test_colour_source_must_match_the_lineart():
    art, colour = two_halves()
    with pytest.raises(InputError, match="resize the colour"):
        cel_frame(colour[:32], art)
    with pytest.raises(InputError, match="H x W x 3"):
        cel_frame(colour[..., 0], art)
    with pytest.raises(InputError, match="H x W uint8"):
        cel_frame(colour, np.dstack([art] * 3))
    with pytest.raises(InputError, match="paint"):
        paint(colour, segment_regions(art), "watercolour")


@pytest.mark.parametrize("kwargs, field", [({"paint": "glossy"}, "paint"), ({"lines": "maybe"}, "lines"),
                                           ({"gap": -1}, "gap"), ({"gap": 2.5}, "gap"),
                                           ({"min_area": -1}, "min_area"), ({"gap": True}, "gap"),
                                           ({"paper": -1.0}, "paper"), ({"paper": "white"}, "paper")])
def test_cel_config_rejects_bad_settings_in_one_line(kwargs, field):
    with pytest.raises(ValueError, match=field) as info:
        CelConfig(**kwargs)
    assert "\n" not in str(info.value)


def test_render_cel_equals_cel_frame():
    art, colour = two_halves()
    cfg = CelConfig(paint="shaded", lines="keep", gap=2, min_area=8)
    assert np.array_equal(render_cel(colour, art, cfg),
                          cel_frame(colour, art, paint="shaded", lines="keep", gap=2, min_area=8))


def test_regions_missed_by_the_sampled_statistics_get_their_own_median():
    """A one-pixel stripe on an odd row has no pixel in the every-second-pixel sample."""
    art = np.full((20, 40), 255, np.uint8)
    art[10, 2:38] = art[12, 2:38] = 0
    art[10:13, 2] = art[10:13, 37] = 0
    colour = np.full((20, 40, 3), 200, np.uint8)
    colour[11] = (0, 150, 0)
    regions = segment_regions(art, gap=0, min_area=0)
    stripe = regions.labels[11, 20]
    assert stripe > 0 and stripe != regions.labels[0, 0]
    flat = paint(colour, regions, "flat")
    assert np.abs(flat[11, 20].astype(int) - (0, 150, 0)).max() <= 3


def test_many_regions_take_the_chunked_histograms(monkeypatch):
    """More regions than one histogram pass holds: the chunked path gives the same paint."""
    import colorize.cel.paint as paint_module

    art = np.full((64, 64), 255, np.uint8)
    art[::4, :] = 0
    art[:, ::4] = 0                                           # a grid of 3 x 3 cells
    rng = np.random.default_rng(3)
    colour = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    regions = segment_regions(art, gap=0, min_area=0)
    whole = paint(colour, regions, "flat")
    monkeypatch.setattr(paint_module, "_CHUNK", 7)
    assert regions.count > 7
    assert np.array_equal(paint(colour, regions, "flat"), whole)


def tinted_paper() -> tuple[np.ndarray, np.ndarray]:
    """A closed square drawn on paper; the source paints the paper a faint cream (Lab distance ~7
    from white) and the square a light but clearly coloured pink (~25 from white)."""
    art, _ = two_halves()
    colour = np.zeros(art.shape + (3,), np.uint8)
    colour[:] = (250, 244, 230)
    colour[16:48, 16:48] = (250, 200, 210)
    return art, colour


@pytest.mark.parametrize("mode", ["flat", "shaded"])
def test_paint_near_white_is_left_paper_and_colour_is_kept(mode):
    art, colour = tinted_paper()
    regions = segment_regions(art)
    out = paint(colour, regions, mode, paper=12.0)
    assert (out[2, 2] == 255).all() and (out[regions.fill == regions.labels[2, 2]] == 255).all()
    assert np.abs(out[32, 32].astype(int) - (250, 200, 210)).max() <= 3      # the pink is paint, not paper
    assert np.array_equal(paint(colour, regions, mode), paint(colour, regions, mode, paper=0.0))
    assert not (paint(colour, regions, mode)[2, 2] == 255).all()             # off: the cream stays


def test_paper_is_an_option_off_by_default_and_kept_lines_stay_exact():
    from colorize.cel import cel_config
    from colorize.cel.paint import PAPER_TINT

    assert cel_config("auto", "auto", lineart=True).paper == 0 == cel_config("flat", "keep", lineart=False).paper
    art, colour = tinted_paper()
    out = render_cel(colour, art, CelConfig(paint="flat", lines="keep", paper=PAPER_TINT))
    assert (out[2, 2] == 255).all() and (out[art == 0] == 0).all()


@pytest.mark.parametrize("mode", ["flat", "shaded"])
def test_surround_leaves_the_paper_around_a_drawing_white_and_paints_the_rest(mode):
    art, colour = two_halves()                       # the source paints the paper blue, the square red
    regions = segment_regions(art)
    out = paint(colour, regions, mode, surround=True)
    outside = regions.fill == regions.labels[2, 2]
    assert (out[outside] == 255).all()
    assert np.array_equal(out[~outside], paint(colour, regions, mode)[~outside])
    scene = art.copy()
    scene[:, 40] = 0                                 # a line across the frame: a scene, not a drawing
    assert np.array_equal(paint(colour, segment_regions(scene), mode, surround=True),
                          paint(colour, segment_regions(scene), mode))


def test_surround_is_on_for_line_art_without_keys_only():
    from colorize.cel import cel_config
    from colorize.jobs.colorize.options import ColorizeOptions

    assert cel_config("auto", "auto", lineart=True).surround
    assert cel_config("flat", "keep", lineart=True).surround
    assert not cel_config("auto", "auto", lineart=True, keyed=True).surround
    assert not cel_config("flat", "keep", lineart=False).surround
    assert ColorizeOptions(lineart=True).cel().surround
    assert not ColorizeOptions(lineart=True, references=Path("keys")).cel().surround
    assert not ColorizeOptions(lineart=True, sheet=(Path("sheet.png"),)).cel().surround
    art, colour = two_halves()
    out = render_cel(colour, art, CelConfig(paint="flat", lines="keep", surround=True))
    assert (out[2, 2] == 255).all() and (out[art == 0] == 0).all()   # kept lines stay exact
    with pytest.raises(ValueError, match="surround"):
        CelConfig(surround="yes")


@pytest.mark.parametrize("mode", ["flat", "shaded"])
def test_chroma_scales_each_regions_hue_towards_grey_and_keeps_its_lightness(mode):
    art, colour = two_halves()                       # blue paper, red square
    regions = segment_regions(art)
    full = cv2.cvtColor(paint(colour, regions, mode), cv2.COLOR_RGB2Lab).astype(int)
    half = cv2.cvtColor(paint(colour, regions, mode, chroma=0.5), cv2.COLOR_RGB2Lab).astype(int)
    grey = paint(colour, regions, mode, chroma=0.0)
    inside = regions.fill == regions.labels[20, 20]
    assert (np.abs(half[..., 1:] - 128) < np.abs(full[..., 1:] - 128) - 10).any(axis=-1)[inside].all()
    assert np.abs(half[..., 0] - full[..., 0]).max() <= 3       # the rounding of Lab <-> RGB only
    assert np.abs(grey.astype(int) - grey[..., :1]).max() <= 2  # no hue left: R = G = B
    assert np.array_equal(paint(colour, regions, "free", chroma=0.0), colour)   # free ignores it
    around = paint(colour, regions, mode, surround=True, chroma=0.5)
    assert (around[~inside & (regions.fill == regions.labels[2, 2])] == 255).all()


def test_guessed_colours_are_paler_only_without_a_key():
    from colorize.cel import cel_config
    from colorize.cel.frame import GUESS_CHROMA
    from colorize.jobs.colorize.options import ColorizeOptions

    assert 0 < GUESS_CHROMA < 1
    assert cel_config("auto", "auto", lineart=True).chroma == GUESS_CHROMA
    assert cel_config("auto", "auto", lineart=True, keyed=True).chroma == 1
    assert cel_config("flat", "keep", lineart=False).chroma == 1     # colour input: the model's colours
    assert ColorizeOptions(lineart=True).cel().chroma == GUESS_CHROMA
    assert ColorizeOptions(lineart=True, references=Path("keys")).cel().chroma == 1
    art, colour = two_halves()
    out = render_cel(colour, art, cel_config("auto", "auto", lineart=True))
    assert (out[art == 0] == 0).all()                                # kept lines stay exact
    for bad in (-0.1, 1.5, True, "0.5"):
        with pytest.raises(ValueError, match="chroma"):
            CelConfig(chroma=bad)


def chroma_of(rgb: np.ndarray) -> np.ndarray:
    """H x W Lab chroma (8-bit units: distance of a, b from the grey at 128)."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).astype(float)
    return np.hypot(lab[..., 1] - 128, lab[..., 2] - 128)


@pytest.mark.parametrize("mode", ["flat", "shaded"])
def test_doubt_pales_a_region_painted_in_several_hues_and_keeps_one_painted_in_one(mode):
    art, colour = two_halves()                       # blue paper, red square
    regions = segment_regions(art)
    inside = regions.fill == regions.labels[32, 32]
    outside = regions.fill == regions.labels[2, 2]
    mixed = colour.copy()
    mixed[20:44, 20:32] = (200, 170, 120)            # the square's left half tan, the right half red
    sure = paint(colour, regions, mode, doubt=8.0)
    plain = paint(mixed, regions, mode)
    unsure = paint(mixed, regions, mode, doubt=8.0)
    # one clear hue: the spread is only the bleed across the line, the chroma nearly all kept
    assert (chroma_of(sure)[inside] > 0.9 * chroma_of(paint(colour, regions, mode))[inside]).all()
    # two hues half and half: the median's hue is a coin toss, painted much paler (near grey)
    assert (chroma_of(unsure)[inside] < 0.2 * chroma_of(plain)[inside]).all()
    assert np.array_equal(unsure[outside], plain[outside])     # the other region is untouched
    lab_unsure = cv2.cvtColor(unsure, cv2.COLOR_RGB2Lab).astype(int)
    lab_plain = cv2.cvtColor(plain, cv2.COLOR_RGB2Lab).astype(int)
    # lightness kept (shaded: a saturated red lit up leaves the RGB gamut, so its L comes back clipped)
    assert np.median(np.abs(lab_unsure[..., 0] - lab_plain[..., 0])[inside]) <= 3
    assert np.array_equal(paint(mixed, regions, mode, doubt=0.0), plain)       # 0: off
    assert np.array_equal(paint(mixed, regions, "free", doubt=8.0), mixed)     # free ignores it


def test_doubt_is_set_for_guesses_only_and_validated():
    from colorize.cel import cel_config
    from colorize.cel.frame import GUESS_DOUBT

    assert GUESS_DOUBT > 0
    assert cel_config("auto", "auto", lineart=True).doubt == GUESS_DOUBT
    assert cel_config("auto", "auto", lineart=True, keyed=True).doubt == 0
    assert cel_config("flat", "keep", lineart=False).doubt == 0
    art, colour = two_halves()
    assert np.array_equal(cel_frame(colour, art, doubt=8.0), render_cel(colour, art, CelConfig(doubt=8.0)))
    for bad in (-1, 300, True, "8"):
        with pytest.raises(ValueError, match="doubt"):
            CelConfig(doubt=bad)


def tall_figure() -> np.ndarray:
    """A figure as tall as the frame (an ellipse cut at the top and the bottom): its paper is two
    regions, left and right of it, neither holding 75 % of the rim."""
    art = np.full((64, 96), 255, np.uint8)
    cv2.ellipse(art, (48, 32), (20, 40), 0, 0, 360, 0, 2)
    return art


def test_paper_cut_into_pieces_by_the_frame_is_white_where_the_source_paints_it_near_paper():
    from colorize.cel.regions import split_surround, surround_region

    art = tall_figure()
    regions = segment_regions(art)
    assert surround_region(regions) == 0
    left, right, inside = (regions.labels[32, x] for x in (5, 90, 48))
    assert len({left, right, inside}) == 3 and 0 not in (left, right, inside)
    colour = np.zeros((64, 96, 3), np.uint8)
    colour[:] = (236, 238, 242)                        # the hedge on paper: a faint blue-grey
    colour[regions.fill == inside] = (200, 120, 60)    # the figure
    out = paint(colour, regions, "flat", surround=True, chroma=0.7)
    for side in (left, right):
        assert (out[regions.fill == side] == 255).all()
    assert (out[regions.fill == inside] != 255).any(axis=-1).all()
    assert (paint(colour, regions, "flat")[regions.fill == left] != 255).any(axis=-1).all()  # rule off: the tint stays
    sky = colour.copy()
    sky[regions.fill == left] = sky[regions.fill == right] = (120, 170, 235)   # a ground the model sees
    assert (paint(sky, regions, "flat", surround=True)[regions.fill == left] != 255).any(axis=-1).all()
    paper_like = np.zeros(regions.count + 1, bool)
    paper_like[left] = True                            # one side alone holds less than 75 % of the rim
    assert not split_surround(regions, paper_like).any()
