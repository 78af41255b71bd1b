"""colorize/app/bucket.py: the paint bucket fills closed regions of a key's line-art (no model, no browser)."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from colorize.app import bucket
from colorize.cel import CelConfig, composite_lines, render_cel
from colorize.errors import InputError

RED, BLUE = (220, 40, 30), (30, 60, 200)


def drawing() -> np.ndarray:
    """96 x 128 line-art: a closed box, a circle inside it, and an anti-aliased diagonal stroke that
    splits the open paper outside the box (255 paper, 0 ink)."""
    art = np.full((96, 128), 255, np.uint8)
    cv2.rectangle(art, (10, 10), (70, 80), 0, 2)
    cv2.circle(art, (40, 45), 15, 0, 2, lineType=cv2.LINE_AA)
    cv2.line(art, (80, 0), (127, 95), 0, 2, lineType=cv2.LINE_AA)
    return art


@pytest.fixture
def paint() -> bucket.KeyPaint:
    return bucket.KeyPaint.start(drawing())


def test_a_click_fills_exactly_its_closed_region_and_never_crosses_a_line(paint):
    before = paint.render()
    label = paint.fill_at(20, 20, RED)  # between the box's outline and the circle
    after = paint.render()
    changed = np.any(after != before, axis=2)
    region = paint.regions.fill == label
    assert changed.any() and not changed[~region].any()  # nothing outside the region changed
    inside = region & (paint.lineart == 255)
    assert (after[inside] == RED).all()  # its clean paper is exactly the colour
    # the circle's inside and the paper outside the box are other regions: untouched, still paper
    for x, y in ((40, 45), (5, 5), (120, 10)):
        assert paint.regions.fill[y, x] != label and tuple(after[y, x]) == (255, 255, 255)
    assert paint.region_at(40, 45) != paint.region_at(20, 20) != paint.region_at(5, 5)


def test_a_click_on_a_line_fills_the_region_under_it_and_outside_the_key_is_refused(paint):
    assert paint.regions.labels[10, 40] == 0  # on the box's top line
    label = paint.fill_at(40, 10, BLUE)
    assert label == paint.regions.fill[10, 40] and label > 0
    with pytest.raises(InputError, match="outside"):
        paint.fill_at(128, 0, RED)


def test_undo_restores_each_step_and_the_stack_is_bounded(paint):
    empty = paint.render()
    paint.fill_at(20, 20, RED)
    one = paint.render()
    paint.fill_at(40, 45, BLUE)
    paint.fill_at(40, 45, BLUE)  # the same colour again: no step
    assert paint.undo() and np.array_equal(paint.render(), one)
    assert paint.undo() and np.array_equal(paint.render(), empty)
    assert not paint.undo()
    for i in range(bucket.MAX_UNDO + 10):
        paint.fill_at(20, 20, (i, 0, 0))
    assert len(paint.history) == bucket.MAX_UNDO


def test_fill_all_from_the_guess_is_the_flat_paint_of_each_region(paint):
    rng = np.random.default_rng(1)
    guess = cv2.GaussianBlur(rng.integers(0, 256, (96, 128, 3), dtype=np.uint8), (0, 0), 4)  # a smooth "model output"
    table = bucket.guess_table(guess, paint.regions)
    paint.fill_all(table)
    flat = render_cel(guess, paint.lineart, CelConfig(paint="flat", lines="keep"))
    assert np.array_equal(paint.render(), flat)
    assert len(paint.fills) == paint.regions.count and paint.undo() and paint.fills == {}
    swatches = bucket.guess_palette(table, paint.regions, size=3)
    largest = int(np.argmax(paint.regions.areas[1:])) + 1
    assert swatches[0] == tuple(int(v) for v in table[largest]) and len(swatches) <= 3


def test_the_key_written_keeps_the_lines_bit_exact(paint):
    paint.fill_at(20, 20, RED)
    paint.fill_at(40, 45, BLUE)
    key = paint.render()
    fills = np.full((paint.regions.count + 1, 3), 255, np.uint8)
    fills[paint.region_at(20, 20)], fills[paint.region_at(40, 45)] = RED, BLUE
    assert np.array_equal(key, composite_lines(fills[paint.regions.fill], paint.lineart))
    ink = paint.lineart == 0
    assert (key[ink] == 0).all()  # full ink stays black whatever the paint under it


def test_a_model_sheet_gives_its_main_colours():
    sheet = np.full((200, 300, 3), 255, np.uint8)  # white paper, four paints outlined in black
    paints = [(200, 60, 50), (60, 120, 200), (250, 210, 160), (90, 170, 80)]
    for i, colour in enumerate(paints):
        x = 20 + 70 * i
        cv2.rectangle(sheet, (x, 40), (x + 50, 40 + 30 * (4 - i) + 20), colour, -1)
        cv2.rectangle(sheet, (x, 40), (x + 50, 40 + 30 * (4 - i) + 20), (0, 0, 0), 2, lineType=cv2.LINE_AA)
    found = bucket.sheet_palette(sheet)
    assert found[:4] == paints  # the largest first, exact colours; no paper white
    assert (255, 255, 255) not in found
    with pytest.raises(InputError, match="RGB image"):
        bucket.sheet_palette(np.zeros((4, 4), np.uint8))


def test_colours_swatches_and_the_canvas_scale():
    assert bucket.parse_colour("#E05A47") == (224, 90, 71) == bucket.parse_colour("rgba(224, 90, 71, 1)")
    assert bucket.parse_colour("#fff") == (255, 255, 255) and bucket.hex_colour((224, 90, 71)) == "#e05a47"
    with pytest.raises(InputError, match="not a colour"):
        bucket.parse_colour("red-ish")
    strip = bucket.swatch_strip([RED, BLUE], cell=8)
    assert strip.shape == (8, 16, 3) and tuple(strip[0, 12]) == BLUE
    assert bucket.swatch_at([RED, BLUE], 9, cell=8) == BLUE and bucket.swatch_at([RED], 9, cell=8) is None
    assert bucket.display_scale((96, 128)) == 6.0 and bucket.display_scale((720, 1280)) == 0.6
    assert bucket.from_display(599, 10, 6.0, (96, 128)) == (99, 1)
    assert bucket.from_display(767, 431, 0.6, (720, 1280)) == (1278, 718)


def test_a_click_repaints_a_720p_key_in_well_under_100_ms():
    art = cv2.resize(drawing(), (1280, 720), interpolation=cv2.INTER_NEAREST)
    paint = bucket.KeyPaint.start(art)
    times = []
    for i in range(5):
        start = time.perf_counter()
        paint.fill_at(200, 200, (i, 90, 71))
        bucket.display(paint.render(), bucket.display_scale(paint.shape))
        times.append(time.perf_counter() - start)
    assert sorted(times)[2] < 0.1  # the median; measured ~30 ms on the loaded 2-core machine
