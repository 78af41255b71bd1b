"""colorize.cel.lines: the drawing's lines in the colours the keys give them (ink_colours, per-pixel ink)."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from colorize.cel import CelConfig, cel_config, composite_lines, ink_colours, render_cel
from colorize.cel.frame import UNSEEN_FLAT, UNSEEN_REACH
from colorize.cel.lines import UNSEEN_INK, UNSEEN_MARGIN
from colorize.errors import InputError

YELLOW, DARK_YELLOW, BLUE = (250, 210, 40), (150, 110, 10), (40, 80, 200)


def face(size: int = 64, line_colour=DARK_YELLOW, offset: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A drawing of a disc (2 px black line-art) and a colour source that paints the disc yellow on
    blue, its outline in `line_colour`, drawn `offset` px larger and blurred a little (as a key's
    outline carried onto the frame at a working size comes out)."""
    art = np.full((size, size), 255, np.uint8)
    centre, radius = (size // 2, size // 2), size // 3
    cv2.circle(art, centre, radius, 0, 2, lineType=cv2.LINE_AA)
    colour = np.empty((size, size, 3), np.uint8)
    colour[:] = BLUE
    cv2.circle(colour, centre, radius + offset, YELLOW, -1)
    cv2.circle(colour, centre, radius + offset, line_colour, 2)
    return art, cv2.GaussianBlur(colour, (0, 0), 0.7)


def test_per_pixel_ink_follows_the_integer_formula_exactly():
    rng = np.random.default_rng(0)
    art = rng.integers(0, 256, (17, 23), dtype=np.uint8)
    painted = rng.integers(0, 256, (17, 23, 3), dtype=np.uint8)
    ink = rng.integers(0, 256, (17, 23, 3), dtype=np.uint8)
    out = composite_lines(painted, art, ink)
    p, i, a = painted.astype(np.int64), ink.astype(np.int64), art.astype(np.int64)[..., None]
    assert np.array_equal(out, ((p * a + i * (255 - a) + 127) // 255).astype(np.uint8))
    assert np.array_equal(out[art == 0], ink[art == 0]) and np.array_equal(out[art == 255], painted[art == 255])
    with pytest.raises(InputError, match="line colours"):
        composite_lines(painted, art, ink[:, :5])


def test_ink_is_the_line_colour_the_source_draws_not_black_and_paint_elsewhere():
    for line_colour in (DARK_YELLOW, (0, 0, 0)):
        art, colour = face(line_colour=line_colour)
        ink = ink_colours(colour)
        on_line = art == 0  # the drawing's line, a pixel inside the source's outline
        error = np.abs(ink[on_line].astype(int) - line_colour).max(axis=1)
        assert np.median(error) <= 25, line_colour
        far = cv2.erode((art == 255).astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
        assert np.abs(ink[far].astype(int) - colour[far]).max() <= 1  # flat paint is its own ink


def test_lines_colour_keeps_the_drawing_s_lines_in_the_keys_colour():
    art, colour = face()
    out = render_cel(colour, art, CelConfig(paint="free", lines="colour"))
    assert np.array_equal(out, composite_lines(colour, art, ink_colours(colour)))
    on_line, paper = art == 0, art == 255
    assert np.array_equal(out[paper], colour[paper])                    # the paint, as the source has it
    assert np.array_equal(out[on_line], ink_colours(colour)[on_line])   # the drawing's lines, every one
    black = render_cel(colour, art, CelConfig(paint="free", lines="keep"))
    assert (black[on_line] == 0).all()
    # the key's dark-yellow outline: nearer it than black lines are
    truth = np.array(DARK_YELLOW)
    assert np.abs(out[on_line].astype(int) - truth).mean() < np.abs(black[on_line].astype(int) - truth).mean() / 3
    flat = render_cel(colour, art, CelConfig(paint="flat", lines="colour"))
    assert np.array_equal(flat[on_line], out[on_line])                  # ink from the source, whatever the paint


def test_auto_lines_are_in_the_keys_colours_with_keys_and_black_without():
    assert cel_config("auto", "auto", lineart=True, keyed=True).lines == "colour"
    assert cel_config("auto", "auto", lineart=True).lines == "keep"
    assert cel_config("auto", "auto", lineart=False, keyed=True).lines == "drop"
    assert cel_config("flat", "keep", lineart=True, keyed=True).lines == "keep"   # asked for: as asked
    with pytest.raises(ValueError, match="keep, colour or drop"):
        CelConfig(lines="ink")


def test_keyed_paper_comes_back_white_and_pale_paint_keeps_its_colour():
    """A key's white paper carried with a faint haze (a level or two off white) is white again; the
    fade ends at twice the limit, so a pale paint stays, and nothing jumps at the limit."""
    from colorize.cel.frame import KEYED_PAPER
    from colorize.cel.paint import paper_pixels

    haze, cream, art = (253, 254, 252), (240, 232, 210), np.full((8, 24), 255, np.uint8)
    colour = np.empty((8, 24, 3), np.uint8)
    colour[:, :8], colour[:, 8:16] = haze, cream
    colour[:, 16:] = np.linspace(236, 255, 8).round().astype(np.uint8)[None, :, None]  # greys up to white
    cfg = cel_config("auto", "auto", lineart=True, keyed=True)
    assert cfg.paper == KEYED_PAPER and cel_config("auto", "auto", lineart=True).paper == 0
    assert cel_config("shaded", "auto", lineart=True, keyed=True).paper == 0  # regions: not this rule
    out = render_cel(colour, art, cfg)
    assert (out[:, :8] == 255).all() and np.array_equal(out[:, 8:16], colour[:, 8:16])
    ramp = out[0, 16:].astype(int)
    assert (np.diff(ramp[:, 0]) >= 0).all() and ramp[-1].tolist() == [255] * 3  # still a ramp, ending white
    assert np.array_equal(paper_pixels(colour, 0), colour)
    on_ramp = render_cel(colour, art, CelConfig(paint="free", lines="drop"))
    assert np.array_equal(on_ramp, colour)  # off unless asked


def test_lines_no_key_reaches_are_darkened_and_lines_near_what_the_keys_show_keep_their_colour():
    """key_reach (ColorizedFrame.key_reach) 1: the keys' line colours, as without it; 0 everywhere:
    UNSEEN_INK of them, the rest black (a drawing the keys never showed keeps visible lines); a
    pixel within UNSEEN_MARGIN of one the keys reach keeps its full colour."""
    art, colour = face()
    cfg = CelConfig(paint="free", lines="colour")
    assert np.array_equal(render_cel(colour, art, cfg, np.ones(art.shape, np.float32)), render_cel(colour, art, cfg))
    unseen = ink_colours(colour, key_reach=np.zeros(art.shape, np.float32)).astype(int)
    assert np.abs(unseen - ink_colours(colour).astype(int) * UNSEEN_INK).max() <= 1
    out = render_cel(colour, art, cfg, np.zeros(art.shape, np.float32))
    on_line = art == 0
    assert np.array_equal(out[~on_line & (art == 255)], colour[~on_line & (art == 255)])  # paint untouched
    assert out[on_line].mean() < render_cel(colour, art, cfg)[on_line].mean() * 0.6
    reach = np.zeros(art.shape, np.float32)
    reach[:, :10] = 1.0
    near = ink_colours(colour, key_reach=reach)
    full = ink_colours(colour)
    assert np.array_equal(near[:, :10 + UNSEEN_MARGIN], full[:, :10 + UNSEEN_MARGIN])
    assert np.abs(near[:, 10 + UNSEEN_MARGIN + 1:].astype(int) - full[:, 10 + UNSEEN_MARGIN + 1:] * UNSEEN_INK).max() <= 1


def patchy_face() -> tuple[np.ndarray, np.ndarray]:
    """face() with its colour source in per-pixel patches (a guess copying a key's patches)."""
    art, colour = face()
    rng = np.random.default_rng(2)
    return art, np.clip(colour.astype(int) + rng.integers(-40, 40, colour.shape), 0, 255).astype(np.uint8)


def disc_inside(art: np.ndarray) -> np.ndarray:
    """The paper pixels inside face()'s disc, 3 px clear of its line."""
    inside = cv2.erode((art == 255).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    centre = art.shape[0] // 2
    return inside & (np.hypot(*np.mgrid[:art.shape[0], :art.shape[1]] - centre) < art.shape[0] // 3)


def test_a_region_no_key_reaches_is_one_pale_paint_up_to_its_lines_the_rest_as_the_keys_carry_it():
    """Keyed line-art (cel_config: unseen on): a drawing the keys never showed (the disc, reach 0)
    takes one pale paint over its whole region, also within UNSEEN_MARGIN of the reached paper
    around it (per pixel, that band kept the guess's patches); the paper the keys reach is the colour
    source's, pixel for pixel. With the keys reaching everywhere, or no reach (model sheets),
    nothing changes."""
    art, patchy = patchy_face()
    cfg = cel_config("auto", "auto", lineart=True, keyed=True)
    assert cfg.unseen and cfg.paint == "free"
    assert not cel_config("auto", "auto", lineart=False, keyed=True).unseen
    disc = disc_inside(art)
    centre = art.shape[0] // 2
    drawing = np.hypot(*np.mgrid[:art.shape[0], :art.shape[1]] - centre) <= art.shape[0] // 3 + 2
    reach = np.where(drawing, 0.0, 1.0).astype(np.float32)               # the disc and its line
    out = render_cel(patchy, art, cfg, reach)
    assert len(np.unique(out[disc].reshape(-1, 3), axis=0)) == 1          # one paint for the region
    free = render_cel(patchy, art, dataclasses.replace(cfg, unseen=False), None)
    paper = cv2.erode((art == 255).astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool) & ~drawing
    assert np.array_equal(out[paper], free[paper])
    assert np.array_equal(render_cel(patchy, art, cfg, np.ones(art.shape, np.float32)), free)
    assert np.array_equal(render_cel(patchy, art, cfg, None), free)


def test_a_region_the_keys_mostly_reach_stays_as_they_carry_it_and_one_half_reached_is_mixed():
    """The rule is per region, by its mean reach: a patch no key reaches in a region the keys mostly
    reach (mean >= UNSEEN_REACH) does not become a flat spot; at a mean between UNSEEN_FLAT and UNSEEN_REACH
    the region is the flat paint and the keys' colour mixed in proportion."""
    art, patchy = patchy_face()
    cfg = cel_config("auto", "auto", lineart=True, keyed=True)
    free = render_cel(patchy, art, dataclasses.replace(cfg, unseen=False), None)
    flat = render_cel(patchy, art, cfg, np.zeros(art.shape, np.float32))
    disc = disc_inside(art)
    spotted = np.ones(art.shape, np.float32)
    spotted[22:42, 22:42] = 0.0     # a patch no key reaches: its middle is over UNSEEN_MARGIN from any
    #                                 reached pixel (flat per pixel), a fifth of the disc's region
    assert np.array_equal(render_cel(patchy, art, cfg, spotted)[disc], free[disc])
    halfway = (UNSEEN_REACH + UNSEEN_FLAT) / 2
    mixed = render_cel(patchy, art, cfg, np.full(art.shape, halfway, np.float32))
    expected = (flat[disc].astype(float) + free[disc].astype(float)) / 2
    assert np.abs(mixed[disc].astype(float) - expected).max() <= 1.0