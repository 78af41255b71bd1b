"""The artist's lines over the paint, at full resolution ("lines keep").

The line-art's grey is the ink's coverage of each pixel (255 paper, 0 full ink, anti-aliased greys
between), so the composite is a multiply blend for black ink:

    out = round(paint * lineart / 255)                  (per channel, integers, no ties exist)

and in general, for ink of colour `ink`:

    out = round((paint * lineart + ink * (255 - lineart)) / 255)

Bit-exact means exactly that formula, computed in integers as (p * l + i * (255 - l) + 127) // 255:
a full-ink pixel (lineart 0) comes out exactly the ink colour (0 for black), a paper pixel (255)
exactly the paint, and an anti-aliased pixel exactly the rounded blend. p * l / 255 is never an exact
half (255 is odd), so rounding to nearest has a single answer and any correct implementation agrees.
"""

from __future__ import annotations

import numpy as np

from colorize.errors import InputError

BLACK = (0, 0, 0)


def composite_lines(painted: np.ndarray, lineart: np.ndarray,
                    line_colour: tuple[int, int, int] = BLACK) -> np.ndarray:
    """`painted` (H x W x 3 uint8 RGB) with the lines of `lineart` on top; H x W x 3 uint8 RGB.

    lineart: H x W uint8 line-art (255 paper, 0 ink), composited bit-exactly (module doc); or an
        H x W float coverage in [0, 1] (1 = full ink, as Regions.coverage), which is first turned into
        the line-art grey round(255 * (1 - coverage)).
    line_colour: the ink's RGB (0-255 each); black reproduces a black-ink drawing pixel for pixel.
    """
    if not isinstance(painted, np.ndarray) or painted.dtype != np.uint8 or painted.ndim != 3 \
            or painted.shape[2] != 3:
        got = f"{painted.dtype} {painted.shape}" if isinstance(painted, np.ndarray) else type(painted).__name__
        raise InputError(f"painted frame must be an H x W x 3 uint8 array, got {got}")
    grey = _as_lineart(lineart)
    if grey.shape != painted.shape[:2]:
        raise InputError(f"line-art is {grey.shape[1]}x{grey.shape[0]} but the painted frame is "
                         f"{painted.shape[1]}x{painted.shape[0]}")
    ink = np.asarray(line_colour, dtype=np.int64)
    if ink.shape != (3,) or ink.min() < 0 or ink.max() > 255:
        raise InputError(f"line colour must be three values 0-255 (R, G, B), got {line_colour!r}")
    paper = grey.astype(np.uint16)[..., None]
    blend = painted.astype(np.uint16) * paper       # at most 255 * 255 = 65025: fits uint16
    if ink.any():
        blend += ink.astype(np.uint16) * (255 - paper)  # the two weights sum to 255: still fits
    blend += 127
    return (blend // 255).astype(np.uint8)


def _as_lineart(lineart: np.ndarray) -> np.ndarray:
    """H x W uint8 line-art grey from uint8 line-art (as is) or float coverage (0 paper .. 1 ink)."""
    if not isinstance(lineart, np.ndarray) or lineart.ndim != 2:
        got = lineart.shape if isinstance(lineart, np.ndarray) else type(lineart).__name__
        raise InputError(f"line-art must be an H x W array (uint8 line-art or float coverage), got {got}")
    if lineart.dtype == np.uint8:
        return lineart
    if lineart.dtype.kind != "f":
        raise InputError(f"line-art must be uint8 (255 paper) or float coverage (0..1), got {lineart.dtype}")
    return (255.0 * (1.0 - np.clip(lineart, 0.0, 1.0)) + 0.5).astype(np.uint8)
