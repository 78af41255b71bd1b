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

The ink need not be black, nor one colour. Artists colour their lines too (a key whose outlines are
dark yellow round a yellow face, light grey round white paper): `ink_colours(colour)` reads each
line's colour off the colour source (the keys' colours carried onto the frame), and the same formula
composites the drawing's lines in those colours ("lines colour"), each pixel its own ink. The lines'
shape and coverage are still the drawing's, pixel for pixel; only their colour comes from the keys.
"""

from __future__ import annotations

import cv2
import numpy as np

from colorize.errors import InputError

BLACK = (0, 0, 0)
#: ink_colours: sigma (px) of the neighbourhood a line pixel takes its ink from, and the grey levels
#: over which a neighbour's weight falls by e (the darker the neighbour, the more it counts). Chosen on
#: the held-out vector drawings' keyed cel clips and the held-out painted clips' ink line-art
#: (benchmarks/bench_keyed_lineart.py, the same stream outputs; PSNR dB, ink from the first key /
#: both keys / model sheets / painted clips): reach 1, softness 8: 26.31 / 30.09 / 23.49 / 21.41;
#: 1 and 16: 26.24 / 30.32 / 23.33 / 21.52; 0.7 and 16: 26.30 / 30.63 / 23.24 / 21.57; 1 and 64:
#: 25.73 / 30.77 / 22.88 / 21.52; 2 and 8: 26.19 / 29.59 / 23.61 / 21.11. Black ink: 21.55 / 22.53 /
#: 20.67 / 16.93. Making the ink at least 32 grey levels darker than the paint nearby (lines that stay
#: visible where the source is washed out) cost the painted clips 1.9 dB.
INK_REACH = 1.0
INK_SOFTNESS = 16.0
#: ink_colours(key_reach=...): a drawing no key showed (it entered the shot after its key) has only
#: the generator's guess round it, and its lines in that colour came out faint, nearly gone. Its ink
#: keeps UNSEEN_INK of that colour (the rest black), where no key reaches within UNSEEN_MARGIN px
#: (so a key's own lines, where the chains lose a pixel or two, keep their colour). Held-out vector
#: cel clips and painted clips' ink line-art (bench_keyed_lineart.py, the same stream outputs; PSNR dB
#: / ΔE2000 / TC), without / with: first key 26.39 / 1.65 / 0.64 -> 26.48 / 1.62 / 0.69, both ends
#: 30.39 / 0.70 / 1.44 -> 30.58 / 0.69 / 1.44, painted clips 21.52 / 7.28 / 1.18 -> 21.29 / 7.44 /
#: 1.62 (ink-recipe lines on colour boundaries, not an artist's: the painted video path drops its
#: lines). Share 0.3 / 0.7: first key 26.44 / 26.48, painted 21.06 / 21.46; black (0) with margins
#: 0-8 px: first key 26.29-26.32 at TC 0.85-1.10, painted 19.85-20.60.
UNSEEN_INK = 0.5
UNSEEN_MARGIN = 8


def composite_lines(painted: np.ndarray, lineart: np.ndarray,
                    line_colour: tuple[int, int, int] | np.ndarray = BLACK) -> np.ndarray:
    """`painted` (H x W x 3 uint8 RGB) with the lines of `lineart` on top; H x W x 3 uint8 RGB.

    lineart: H x W uint8 line-art (255 paper, 0 ink), composited bit-exactly (module doc); or an
        H x W float coverage in [0, 1] (1 = full ink, as Regions.coverage), which is first turned into
        the line-art grey round(255 * (1 - coverage)).
    line_colour: the ink's RGB (0-255 each); black reproduces a black-ink drawing pixel for pixel. Or
        an H x W x 3 uint8 image, each pixel's own ink (`ink_colours`), composited by the same formula.
    """
    if not isinstance(painted, np.ndarray) or painted.dtype != np.uint8 or painted.ndim != 3 \
            or painted.shape[2] != 3:
        got = f"{painted.dtype} {painted.shape}" if isinstance(painted, np.ndarray) else type(painted).__name__
        raise InputError(f"painted frame must be an H x W x 3 uint8 array, got {got}")
    grey = _as_lineart(lineart)
    if grey.shape != painted.shape[:2]:
        raise InputError(f"line-art is {grey.shape[1]}x{grey.shape[0]} but the painted frame is "
                         f"{painted.shape[1]}x{painted.shape[0]}")
    ink = _ink(line_colour, painted.shape)
    paper = grey.astype(np.uint16)[..., None]
    blend = painted.astype(np.uint16) * paper       # at most 255 * 255 = 65025: fits uint16
    if ink.any():
        blend += ink.astype(np.uint16) * (255 - paper)  # the two weights sum to 255: still fits
    blend += 127
    return (blend // 255).astype(np.uint8)


def ink_colours(colour: np.ndarray, reach: float = INK_REACH, softness: float = INK_SOFTNESS,
                key_reach: np.ndarray | None = None, nearby: np.ndarray | None = None) -> np.ndarray:
    """H x W x 3 uint8: each pixel's ink, the colour of the darkest paint near it in `colour` (H x W x 3
    uint8 RGB, the colour source), for `composite_lines`.

    A soft minimum: the neighbours' colours averaged with a Gaussian of sigma `reach` px, each also
    weighted by exp(-grey / softness), so the darkest nearby dominate. Where the colour source draws
    a line (the keys' outline carried onto the frame, a little blurred by the working size or a
    pixel off the drawing's), that is the line's colour, also on the drawing's line pixels beside
    it; on flat paint it is the paint itself.

    key_reach: H x W float32 in [0, 1], how surely the keys reach each pixel
    (engine.model.ColorizedFrame.key_reach); where none reaches within UNSEEN_MARGIN px, the ink is
    darkened to UNSEEN_INK of that colour, so a drawing the keys never showed keeps visible lines.
    nearby: reach_nearby(key_reach), for a caller that has it already (then key_reach is not read).
    """
    grey = cv2.cvtColor(colour, cv2.COLOR_RGB2GRAY).astype(np.float32)
    # exp(-255 / 16) ~ 1e-7: well inside float32, so no per-window normalisation is needed
    weight = np.exp(grey * np.float32(-1.0 / softness))
    weighted = cv2.multiply(colour, cv2.merge([weight, weight, weight]), dtype=cv2.CV_32F)
    total = cv2.GaussianBlur(weight, (0, 0), reach)
    mean = cv2.divide(cv2.GaussianBlur(weighted, (0, 0), reach), cv2.merge([total, total, total]))
    if nearby is None and key_reach is not None:
        nearby = reach_nearby(key_reach)
    if nearby is not None:
        mean *= (np.float32(UNSEEN_INK) + np.float32(1.0 - UNSEEN_INK) * nearby)[..., None]
    return np.clip(np.rint(mean), 0, 255).astype(np.uint8)


def reach_nearby(key_reach: np.ndarray) -> np.ndarray:
    """H x W float32: the highest key reach within UNSEEN_MARGIN px of each pixel (key_reach: H x W
    float32 in [0, 1], engine.model.ColorizedFrame.key_reach)."""
    size = 2 * UNSEEN_MARGIN + 1
    return cv2.dilate(np.clip(key_reach, 0.0, 1.0).astype(np.float32),
                      cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))


def _ink(line_colour: tuple[int, int, int] | np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The ink as an array that broadcasts over an H x W x 3 frame of `shape`: (3,) or H x W x 3."""
    if isinstance(line_colour, np.ndarray) and line_colour.ndim == 3:
        if line_colour.shape != shape or line_colour.dtype != np.uint8:
            raise InputError(f"line colours must be an H x W x 3 uint8 image of the frame's size {shape}, "
                             f"got {line_colour.dtype} {line_colour.shape}")
        return line_colour
    ink = np.asarray(line_colour, dtype=np.int64)
    if ink.shape != (3,) or ink.min() < 0 or ink.max() > 255:
        raise InputError(f"line colour must be three values 0-255 (R, G, B), got {line_colour!r}")
    return ink


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
