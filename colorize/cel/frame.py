"""One cel frame: regions of the line-art, paint from the colour source, the artist's lines on top.

    cfg = CelConfig(paint="flat", lines="keep", gap=3, min_area=16)
    out = render_cel(colour, lineart, cfg)          # H x W x 3 uint8 RGB
    out = cel_frame(colour, lineart, paint="shaded")  # the same with keyword settings

colour: H x W x 3 uint8 RGB at the line-art's size (the caller resizes a working-size output and
converts gray/RGBA sources); lineart: H x W uint8, 255 paper, 0 ink (the caller turns an RGB or RGBA
drawing into gray, e.g. cv2.cvtColor(..., COLOR_RGB2GRAY) after colorize.images.to_rgb_uint8).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from colorize.cel.lines import composite_lines, ink_colours, reach_nearby
from colorize.cel.paint import PAINT_MODES, check_colour, paint as paint_regions, paper_pixels
from colorize.cel.regions import MAX_GAP, check_lineart, segment_regions

LINE_MODES = ("keep", "colour", "drop")
#: "auto" paint / lines: by the input (cel_config), as measured on held-out art (docs/cel.md).
AUTO = "auto"
DEFAULT_GAP = 3
DEFAULT_MIN_AREA = 16
#: The share of the generator's chroma kept in flat / shaded paint when no key colours the frame
#: (CelConfig.chroma, set by cel_config). From line-art alone the model's hues are a guess, often
#: the wrong one; a paler guess is nearer the truth when it is wrong and costs little when it is right.
#: Chosen on the held-out raster stills (ΔE2000 flat within 0.05 from 0.6 to 0.8, worse at 0.5 and
#: 1.0); on the held-out vector drawings it lowers ΔE 13.18 -> 12.81 (docs/cel.md).
GUESS_CHROMA = 0.7
#: CelConfig.doubt where the colours are the model's guess: a region whose generator hues spread by
#: this much (mean |a - median| + |b - median|, 8-bit Lab) keeps half of GUESS_CHROMA. Chosen on the
#: held-out raster stills and the first four held-out clips' frames as `--lineart` stills (ΔE within
#: 0.1 from 6 to 12), then measured once on the held-out vector drawings: 12.81 -> 12.36 (docs/cel.md).
GUESS_DOUBT = 8.0
#: CelConfig.paper for line-art that keys or model sheets colour (free paint): a key's white paper,
#: carried onto the in-betweens, comes back a level or two off white (the generator's low-frequency
#: pull, rounding), a haze over the paper; pixels within 2 (CIE Lab) of white become white, fading out
#: by 4. Held-out vector cel clips (bench_keyed_lineart.py, free + colour, same stream outputs; PSNR dB
#: / ΔE2000 / TC): first key 26.24 / 2.15 / 0.64 -> 26.39 / 1.65 / 0.64, both ends 30.32 / 0.86 /
#: 1.43 -> 30.39 / 0.70 / 1.44, sheets 23.33 / 2.86 / 0.88 -> 23.50 / 2.12 / 0.89; the held-out painted
#: clips (no white paper) 21.52 / 7.29 / 1.18 -> 21.52 / 7.28 / 1.18. A hard limit at 3 scored the same;
#: at 6 or 10 it began to whiten the keys' pale paint (TC 0.73 / 0.87 from the first key), and
#: whitening the whole paper around a drawing instead erased the colourings' soft drop shadows
#: (24.05 / 2.06 / 4.58 from the first key). Free paint only: as a region rule it whitened whole
#: regions of shaded paint frame by frame (shaded + keep from the first key, TC 3.13 -> 6.34).
KEYED_PAPER = 2.0
#: CelConfig.unseen: free paint where the keys reach under this gives way to the unkeyed guess,
#: flat per region. A drawing that enters after its key has only the generator's per-pixel guess,
#: which copies the key's patches (a face entering beside a blue-and-white tube came out in
#: blue-and-white patches); flat and pale (GUESS_CHROMA, GUESS_DOUBT) it reads as one uncoloured cel.
#: First measured per pixel (the reach within cel.lines.UNSEEN_MARGIN px under this): held-out vector
#: cel clips (bench_keyed_lineart.py, free + colour, the same stream outputs; PSNR dB / ΔE2000 / TC),
#: without / with: first key 26.48 / 1.62 / 0.69 -> 26.81 / 1.50 / 0.72, both ends 30.58 / 0.69 /
#: 1.44 -> 30.58 / 0.69 / 1.50; on the painted clips' ink line-art 21.29 / 7.44 / 1.62 -> 20.99 /
#: 8.02 / 1.98 (painted art shades inside its regions; colour video does not use it; with `--lines
#: drop` there 21.47 -> 19.78, the line pixels flat too). At full chroma, no doubt rule: 26.56 / 1.58
#: / 0.72 from the first key. Now decided per closed region (UNSEEN_FLAT below).
UNSEEN_REACH = 0.5
#: The region rule of `unseen`: a closed region whose mean key reach is at most this is painted
#: wholly flat, one at UNSEEN_REACH or more wholly free, and one between is the two mixed in
#: proportion (no hard switch, so a region whose reach hovers does not flip between them frame by
#: frame); line pixels keep the per-pixel rule. Per pixel, the 8 px band of an entering drawing nearest
#: what the keys reach kept the key's patches (the face above had a blue rim), and reached paint
#: with a few unreached pixels came out in flat spots. Same stream outputs, per pixel -> per region:
#: first key 26.81 / 1.50 / 0.72 -> 26.86 / 1.52 / 0.69, both ends 30.58 / 0.69 / 1.50 -> 30.58 /
#: 0.69 / 1.44, painted clips' ink line-art 20.99 / 8.02 / 1.98 -> 21.28 / 7.76 / 1.99. A hard switch
#: at 0.5 (no mixing) scored 26.86 / 1.51 / 0.70, 30.58 / 0.69 / 1.44 and 21.03 / 8.14 / 2.30 (the
#: painted clips flickered); mixing from 0.25 to 0.75, 26.87 / 1.51 / 0.75, 30.60 / 0.69 / 1.44 and
#: 21.11 / 8.06 / 2.04.
UNSEEN_FLAT = 0.1


@dataclass(frozen=True)
class CelConfig:
    """How a frame is painted (validated on construction; ValueError with one line names the field).

    paint: "flat" (one colour per closed region), "shaded" (flat + the source's low-frequency
        lightness) or "free" (the colour source as it is; no regions are computed).
    lines: "keep" (the line-art's own lines over the paint in black, bit-exact, see colorize.cel.lines),
        "colour" (the same lines, each pixel in the ink the colour source gives it there: the keys'
        line colours carried onto the frame; colorize.cel.lines.ink_colours) or "drop" (paint only;
        line pixels take the paint of the region under them).
    gap: line openings up to this many pixels still close a region (0 to MAX_GAP).
    min_area: regions smaller than this many pixels merge into a neighbour (0 keeps all).
    paper: flat / shaded regions whose paint lies within this CIE Lab distance of white are left
        white paper; in free paint, pixels within it are white, fading back to their own colour at
        twice the distance (0: off; see colorize.cel.paint). cel_config sets KEYED_PAPER for line-art
        that keys colour.
    surround: flat / shaded: when the line-art is a drawing on paper, the paper all around it stays
        white (colorize.cel.regions.surround_region); cel_config turns it on for line-art input that
        no keyframe or model sheet colours.
    chroma: flat / shaded: the share (0-1) of the source's chroma kept in each region's paint
        (Lab a, b scaled towards grey; 1 keeps it; the surround and paper regions stay white);
        cel_config sets GUESS_CHROMA where the colours are the model's guess (no key).
    doubt: flat / shaded: a region whose source hues spread by this much (8-bit Lab, see
        colorize.cel.paint) keeps half of `chroma`, less the more they spread (0: off); cel_config
        sets GUESS_DOUBT where the colours are the model's guess.
    unseen: free paint given a key reach (render_cel): each closed region the keys do not reach
        (its mean reach under UNSEEN_REACH, fully at UNSEEN_FLAT) in flat paint at GUESS_CHROMA and
        GUESS_DOUBT, as line-art without keys is painted; cel_config turns it on for line-art that
        keys colour.
    """

    paint: str = "flat"
    lines: str = "keep"
    gap: int = DEFAULT_GAP
    min_area: int = DEFAULT_MIN_AREA
    paper: float = 0.0
    surround: bool = False
    chroma: float = 1.0
    doubt: float = 0.0
    unseen: bool = False

    def __post_init__(self) -> None:
        if self.paint not in PAINT_MODES:
            raise ValueError(f"paint must be flat, shaded or free, got {self.paint!r}")
        if self.lines not in LINE_MODES:
            raise ValueError(f"lines must be keep, colour or drop, got {self.lines!r}")
        if isinstance(self.gap, bool) or not isinstance(self.gap, int) or not 0 <= self.gap <= MAX_GAP:
            raise ValueError(f"gap must be a whole number of pixels from 0 to {MAX_GAP}, got {self.gap!r}")
        if isinstance(self.min_area, bool) or not isinstance(self.min_area, int) or self.min_area < 0:
            raise ValueError(f"min_area must be a whole number of pixels >= 0, got {self.min_area!r}")
        if isinstance(self.paper, bool) or not isinstance(self.paper, (int, float)) or not 0 <= self.paper <= 100:
            raise ValueError(f"paper must be a Lab distance from 0 to 100, got {self.paper!r}")
        if not isinstance(self.surround, bool):
            raise ValueError(f"surround must be true or false, got {self.surround!r}")
        if isinstance(self.chroma, bool) or not isinstance(self.chroma, (int, float)) or not 0 <= self.chroma <= 1:
            raise ValueError(f"chroma must be a share from 0 to 1, got {self.chroma!r}")
        if isinstance(self.doubt, bool) or not isinstance(self.doubt, (int, float)) or not 0 <= self.doubt <= 255:
            raise ValueError(f"doubt must be a Lab spread from 0 to 255 (0: off), got {self.doubt!r}")
        if not isinstance(self.unseen, bool):
            raise ValueError(f"unseen must be true or false, got {self.unseen!r}")


def render_cel(colour: np.ndarray, lineart: np.ndarray, cfg: CelConfig,
               key_reach: np.ndarray | None = None) -> np.ndarray:
    """Paint `lineart`'s regions from `colour` as `cfg` says; H x W x 3 uint8 RGB (a new array).

    key_reach: how surely the keys reach each pixel (H x W float32 in [0, 1],
        engine.model.ColorizedFrame.key_reach): with lines "colour" the ink is darker where they do
        not (ink_colours), and with `cfg.unseen` free paint there is flat (CelConfig); None: the
        keys reach everywhere.
    """
    check_lineart(lineart)
    check_colour(colour, lineart.shape)
    # the keys' reach within UNSEEN_MARGIN, measured once for the paint and the ink
    nearby = reach_nearby(key_reach) if key_reach is not None and (cfg.unseen or cfg.lines == "colour") else None
    if cfg.paint == "free":
        painted = paper_pixels(colour, cfg.paper) if cfg.paper > 0 else colour
        if cfg.unseen and nearby is not None:
            painted = _unseen_flat(colour, lineart, painted, key_reach, nearby, cfg)
    else:
        regions = segment_regions(lineart, gap=cfg.gap, min_area=cfg.min_area)
        painted = paint_regions(colour, regions, cfg.paint, paper=cfg.paper, surround=cfg.surround,
                                chroma=cfg.chroma, doubt=cfg.doubt)
    if cfg.lines == "keep":
        return composite_lines(painted, lineart)
    if cfg.lines == "colour":
        return composite_lines(painted, lineart, ink_colours(colour, nearby=nearby))
    return painted.copy() if painted is colour else painted


def _unseen_flat(colour: np.ndarray, lineart: np.ndarray, painted: np.ndarray, key_reach: np.ndarray,
                 nearby: np.ndarray, cfg: CelConfig) -> np.ndarray:
    """`painted` with what no key reaches in flat paint per region of `lineart`, as unkeyed line-art
    is painted (H x W x 3 uint8). Each closed region as a whole, by its mean `key_reach` (H x W
    float32 in [0, 1]): flat at UNSEEN_FLAT or less, `painted` at UNSEEN_REACH or more, mixed in
    proportion between; each line pixel by itself, flat where `nearby` (cel.lines.reach_nearby) is
    under UNSEEN_REACH. `painted` itself when the keys reach everywhere (no regions are segmented)."""
    if not (key_reach < UNSEEN_REACH).any():
        return painted  # every region's mean and every line pixel's nearby reach are at UNSEEN_REACH or more
    regions = segment_regions(lineart, gap=cfg.gap, min_area=cfg.min_area)
    labels = regions.labels.ravel()
    mean_reach = np.bincount(labels, key_reach.ravel(), minlength=regions.count + 1) \
        / np.maximum(regions.areas, 1)
    flat_share = np.clip((UNSEEN_REACH - mean_reach) / (UNSEEN_REACH - UNSEEN_FLAT), 0.0, 1.0).astype(np.float32)
    share = flat_share[regions.fill]
    on_line = regions.labels == 0
    share[on_line] = (nearby[on_line] < UNSEEN_REACH).astype(np.float32)
    if not share.any():
        return painted
    flat = paint_regions(colour, regions, "flat", paper=cfg.paper, chroma=GUESS_CHROMA, doubt=GUESS_DOUBT)
    return cv2.blendLinear(flat, painted, share, np.float32(1.0) - share)


def cel_config(paint: str, lines: str, lineart: bool, keyed: bool = False) -> CelConfig:
    """The CelConfig for `paint` / `lines`, where "auto" is chosen by the input (ValueError for a bad name).

    Line-art input (an artist's drawing), the drawing's lines kept over the paint:
    * without keys: flat paint per closed region, the lines in black, the paper around a drawing on
      paper left white and the model's guessed hues kept at GUESS_CHROMA of their strength, paler
      where its hues within a region disagree (GUESS_DOUBT);
    * `keyed` (a keyframe or model sheet gives the frames their colours): free paint, the colours
      carried from the keys pixel for pixel (their shading and texture, a ground the artist painted),
      the lines in the colours the keys give them ("colour"), pixels within KEYED_PAPER of white made
      white paper (free paint only), each closed region no key reaches painted flat and pale as
      without keys (`unseen`, UNSEEN_REACH, UNSEEN_FLAT), and no surround or chroma rule elsewhere. On
      held-out line-art clips with keys, flat paint cost ~1 dB and flickered (a line gap in one frame
      floods a region with its neighbour's paint), and black lines where the keys draw dark-yellow or
      light-grey outlines cost 2.7-7.8 dB against lines in the keys' colours (first key 21.55 ->
      26.24, both ends 22.53 -> 30.32, model sheets 20.67 -> 23.33, painted clips 16.93 -> 21.52;
      benchmarks/bench_keyed_lineart.py).
    Colour input (the lines are the model's recipe, the art is painted): free paint, lines dropped,
    the colour path as it was before ink and paint; on held-out real-art clips with keyframes, flat
    paint and recipe lines cost 3-4 dB and several ΔE (benchmarks/bench_real.py, docs/cel.md).
    """
    if paint == AUTO:
        paint = "flat" if lineart and not keyed else "free"
    if lines == AUTO:
        lines = ("colour" if keyed else "keep") if lineart else "drop"
    guess = lineart and not keyed
    return CelConfig(paint=paint, lines=lines, surround=guess, chroma=GUESS_CHROMA if guess else 1.0,
                     doubt=GUESS_DOUBT if guess else 0.0,
                     paper=KEYED_PAPER if lineart and keyed and paint == "free" else 0.0,
                     unseen=lineart and keyed and paint == "free")


def cel_frame(colour: np.ndarray, lineart: np.ndarray, paint: str = "flat", lines: str = "keep",
              gap: int = DEFAULT_GAP, min_area: int = DEFAULT_MIN_AREA, paper: float = 0.0,
              surround: bool = False, chroma: float = 1.0, doubt: float = 0.0) -> np.ndarray:
    """render_cel with the settings as keywords (ValueError for a bad setting, InputError for bad arrays)."""
    return render_cel(colour, lineart, CelConfig(paint=paint, lines=lines, gap=gap, min_area=min_area,
                                                 paper=paper, surround=surround, chroma=chroma, doubt=doubt))
