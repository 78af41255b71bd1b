"""The paint bucket of the app: colour a key by clicking the closed regions of its line-art.

    paint = KeyPaint.start(lineart)                     # regions found once (colorize.cel.segment_regions)
    paint.fill_at(120, 64, (224, 90, 71))               # the region under pixel (x=120, y=64): one colour
    paint.fill_all(guess_table(guess, paint.regions))   # every region: the model's flat guess
    paint.undo()                                        # back one step (a bounded stack)
    key = paint.render()                                # H x W x 3 uint8: the fills, the drawing's lines on top
    swatches = sheet_palette(model_sheet)               # a model sheet's main colours, most used first

The regions are those the ink-and-paint output paints (colorize.cel, same gap and minimum area), so a
key coloured here is flat per region exactly as `--paint flat` paints a frame, and its lines are the
line-art's, composited bit-exactly (colorize.cel.composite_lines). The state is small: the line-art,
its Regions, and `fills`, a dict region label -> RGB; unfilled regions show paper (white). Nothing
here imports gradio (colorize.app.ui wires it to the page).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from colorize.cel import Regions, composite_lines, segment_regions
from colorize.cel.frame import DEFAULT_GAP, DEFAULT_MIN_AREA
from colorize.cel.paint import per_region, region_medians
from colorize.errors import InputError

RGB = tuple[int, int, int]
#: Steps `undo` can take back.
MAX_UNDO = 50
PAPER: RGB = (255, 255, 255)
#: Swatches a palette offers.
PALETTE_SIZE = 8


@dataclass
class KeyPaint:
    """A key being coloured with the bucket: `lineart` (H x W uint8, 255 paper), its `regions`,
    `fills` (region label 1..count -> (r, g, b) ints 0-255), the undo stack of earlier fills, and
    `guess` (guess_table of the model's colouring, (count + 1) x 3 uint8 RGB) once it was made."""

    lineart: np.ndarray
    regions: Regions
    fills: dict[int, RGB] = field(default_factory=dict)
    history: list[dict[int, RGB]] = field(default_factory=list)
    guess: np.ndarray | None = None

    @classmethod
    def start(cls, lineart: np.ndarray, gap: int = DEFAULT_GAP, min_area: int = DEFAULT_MIN_AREA) -> "KeyPaint":
        """Nothing filled yet; the regions of `lineart` as the ink-and-paint output finds them."""
        return cls(lineart, segment_regions(lineart, gap=gap, min_area=min_area))

    @property
    def shape(self) -> tuple[int, int]:
        return self.regions.shape

    def region_at(self, x: int, y: int) -> int:
        """The region (1..count) under pixel (x, y); a line pixel gives the region under its line
        (the nearer side). InputError outside the image."""
        h, w = self.shape
        if not (0 <= x < w and 0 <= y < h):
            raise InputError(f"pixel ({x}, {y}) is outside the {w}x{h} key")
        return int(self.regions.fill[y, x])

    def fill_at(self, x: int, y: int, colour: RGB) -> int:
        """Fill the region under (x, y) with `colour`; returns its label. One undo step."""
        label = self.region_at(x, y)
        colour = as_rgb(colour)
        if self.fills.get(label) != colour:
            self._push()
            self.fills[label] = colour
        return label

    def fill_all(self, table: np.ndarray) -> None:
        """Every region takes its row of `table` ((count + 1) x 3 uint8 RGB; row 0 unused). One undo step."""
        if table.shape != (self.regions.count + 1, 3):
            raise InputError(f"a colour table for {self.regions.count} regions needs {self.regions.count + 1} "
                             f"rows of RGB, got shape {table.shape}")
        self._push()
        self.fills = {label: as_rgb(table[label]) for label in range(1, self.regions.count + 1)}

    def set_fills(self, fills: dict[int, RGB]) -> None:
        """Replace the fills (labels outside 1..count are ignored). One undo step."""
        self._push()
        self.fills = {int(k): as_rgb(v) for k, v in fills.items() if 1 <= int(k) <= self.regions.count}

    def undo(self) -> bool:
        """Back to the fills before the last step; False when there is nothing to undo."""
        if not self.history:
            return False
        self.fills = self.history.pop()
        return True

    def _push(self) -> None:
        self.history.append(dict(self.fills))
        del self.history[:-MAX_UNDO]

    def table(self) -> np.ndarray:
        """(count + 1) x 3 uint8 RGB: each region's fill, paper white where unfilled (row 0 unused)."""
        table = np.full((self.regions.count + 1, 3), 255, np.uint8)
        if self.fills:
            labels = np.fromiter(self.fills, np.int64, len(self.fills))
            table[labels] = np.array(list(self.fills.values()), np.uint8)
        return table

    def render(self) -> np.ndarray:
        """The key: H x W x 3 uint8 RGB, each region its fill (line pixels the region under them) and
        the line-art's lines composited over it bit-exactly."""
        return composite_lines(per_region(self.table(), self.regions.fill), self.lineart)

    def describe(self) -> str:
        return f"{len(self.fills)} of {self.regions.count} regions painted"


def as_rgb(colour) -> RGB:
    """(r, g, b) ints from a sequence of three 0-255 numbers or a '#rrggbb' / 'rgb(r, g, b)' string."""
    if isinstance(colour, str):
        return parse_colour(colour)
    values = [int(round(float(v))) for v in colour]
    if len(values) != 3 or min(values) < 0 or max(values) > 255:
        raise InputError(f"a colour is three values 0-255 (R, G, B), got {colour!r}")
    return values[0], values[1], values[2]


def parse_colour(text: str) -> RGB:
    """'#rrggbb', '#rgb', 'rgb(r, g, b)' or 'rgba(r, g, b, a)' (what a colour picker gives) as (r, g, b)."""
    text = text.strip().lower()
    try:
        if text.startswith("#") and len(text) in (4, 7):
            digits = text[1:] if len(text) == 7 else "".join(c * 2 for c in text[1:])
            return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
        if text.startswith("rgb"):
            parts = text[text.index("(") + 1:text.rindex(")")].split(",")[:3]
            return as_rgb(float(p) for p in parts)
    except ValueError:
        pass
    raise InputError(f"not a colour: {text!r} (give #rrggbb)")


def hex_colour(colour: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*as_rgb(colour))


# ------------------------------------------------------------------------------------------ palettes

def guess_table(colour: np.ndarray, regions: Regions) -> np.ndarray:
    """(count + 1) x 3 uint8 RGB: each region's flat colour in `colour` (H x W x 3 uint8, the model's
    guess at the regions' size): the median in Lab over its paper, as `--paint flat` paints it, so
    filling every region from this table reproduces render_cel(colour, lineart, flat, keep)."""
    lab = region_medians(colour, regions)
    return cv2.cvtColor(lab[:, None, :], cv2.COLOR_Lab2RGB)[:, 0, :]


def key_table(key: np.ndarray, regions: Regions) -> np.ndarray:
    """(count + 1) x 3 uint8 RGB: each region's colour in an existing key (H x W x 3 uint8 RGB at the
    regions' size): the per-channel median in RGB over its paper (all its pixels where it has none),
    so a key painted here comes back exactly."""
    table = np.full((regions.count + 1, 3), 255, np.uint8)
    for ids in (regions.fill, regions.labels):  # the paper's medians overwrite the whole region's
        flat = ids.ravel().astype(np.int64)
        chosen = flat > 0
        keys = flat[chosen] * 256
        for c in range(3):
            hist = np.bincount(keys + key[..., c].ravel()[chosen], minlength=(regions.count + 1) * 256)
            cum = hist.reshape(regions.count + 1, 256).cumsum(axis=1)
            median = (cum < ((cum[:, -1] + 1) // 2)[:, None]).sum(axis=1)
            table[cum[:, -1] > 0, c] = median[cum[:, -1] > 0]
    return table


def guess_palette(table: np.ndarray, regions: Regions, size: int = PALETTE_SIZE) -> list[RGB]:
    """The flat colours of the largest regions (by paper area), distinct colours only, largest first."""
    order = np.argsort(-regions.areas[1:], kind="stable") + 1
    return distinct([as_rgb(table[label]) for label in order], size)


def sheet_palette(sheet: np.ndarray, size: int = PALETTE_SIZE, min_share: float = 0.005) -> list[RGB]:
    """A model sheet's main colours, most used first: the peaks of its colour histogram in Lab.

    sheet: H x W x 3 uint8 RGB. It is shrunk to at most 256 px, its background (the colour of most of
    its border) is left out, and its pixels are counted in Lab bins of 8 levels; the fullest bins
    that differ from the ones already taken (distinct) give a swatch each: the median RGB of their
    pixels, so a flat-painted area gives its exact colour; the outline's dark grey ink comes last. Anti-aliased edges spread over many bins and
    never make a peak. Bins holding less than `min_share` of the pixels are not offered.
    """
    sheet = np.asarray(sheet)
    if sheet.ndim != 3 or sheet.shape[2] < 3 or sheet.dtype != np.uint8:
        raise InputError(f"a model sheet must be an RGB image, got an array of shape {sheet.shape}")
    sheet = np.ascontiguousarray(sheet[..., :3])
    scale = min(1.0, 256 / max(sheet.shape[:2]))
    if scale < 1.0:  # nearest: a resampled edge would invent colours between two paints
        sheet = cv2.resize(sheet, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    pixels = sheet.reshape(-1, 3)
    lab = cv2.cvtColor(sheet, cv2.COLOR_RGB2Lab).reshape(-1, 3).astype(np.int32)
    border = np.concatenate([sheet[0], sheet[-1], sheet[:, 0], sheet[:, -1]])
    background = np.array(np.median(border, axis=0), np.int32)
    keep = np.abs(pixels.astype(np.int32) - background).max(axis=1) > 24
    bins = ((lab[:, 0] >> 3) << 10) | ((lab[:, 1] >> 3) << 5) | (lab[:, 2] >> 3)
    counts = np.bincount(bins[keep], minlength=1 << 15)
    candidates = []
    for b in np.argsort(-counts, kind="stable")[:4 * size]:
        if counts[b] < max(1, min_share * keep.size):
            break
        members = pixels[keep & (bins == b)]
        candidates.append(as_rgb(np.median(members, axis=0)))
    # the outline's ink (dark and grey) is on every sheet: offered after the paints
    candidates.sort(key=lambda c: max(c) < 64 and max(c) - min(c) < 24)
    return distinct(candidates, size)


def distinct(colours: list[RGB], size: int, min_distance: float = 12.0) -> list[RGB]:
    """The first `size` colours of the list that lie at least `min_distance` (Lab, OpenCV's 8-bit
    scale) from every colour taken before them."""
    taken: list[RGB] = []
    labs: list[np.ndarray] = []
    for colour in colours:
        lab = cv2.cvtColor(np.array([[colour]], np.uint8), cv2.COLOR_RGB2Lab)[0, 0].astype(np.float32)
        if all(np.linalg.norm(lab - other) >= min_distance for other in labs):
            taken.append(colour)
            labs.append(lab)
            if len(taken) == size:
                break
    return taken


def swatch_strip(colours: list[RGB], cell: int = 32) -> np.ndarray:
    """cell x (len * cell) x 3 uint8: one square per colour, left to right (a page's clickable palette);
    an empty list gives one white square."""
    colours = colours or [PAPER]
    strip = np.repeat(np.array(colours, np.uint8)[None], cell, axis=0)
    return np.repeat(strip, cell, axis=1)


def swatch_at(colours: list[RGB], x: int, cell: int = 32) -> RGB | None:
    """The colour of the strip's square at column x (None past the end or for no colours)."""
    index = int(x) // cell
    return colours[index] if colours and 0 <= index < len(colours) else None


# ------------------------------------------------------------------------------------------ display

def display_scale(shape: tuple[int, int], side: int = 768) -> float:
    """The factor the canvas is shown at: small keys enlarged by a whole factor (pixels stay sharp
    squares, and the browser never shows an image larger than it is), large ones shrunk to `side`."""
    longest = max(shape)
    return float(max(1, side // longest)) if longest < side else side / longest


def display(image: np.ndarray, scale: float) -> np.ndarray:
    """`image` at `scale` (display_scale): nearest when enlarging, area when shrinking."""
    if scale == 1.0:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_NEAREST if scale > 1 else cv2.INTER_AREA)


def from_display(x: float, y: float, scale: float, shape: tuple[int, int]) -> tuple[int, int]:
    """A click (x, y) on the canvas shown at `scale` as the key's pixel (x, y), clipped to it."""
    h, w = shape
    return min(w - 1, max(0, int(x // scale))), min(h - 1, max(0, int(y // scale)))
