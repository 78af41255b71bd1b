"""Coverage of frames by keys: how much of each frame's drawing is seen in some key of its shot.

    for fc in coverage(lineart_frames, keys={0, 40}):       # Frames with line-art and cuts marked
        print(fc.index, fc.shot, fc.coverage)                # share of the frame's drawing seen in a key
    scores = shot_scores(arts, starts=[0, 12], cfg)          # the per-shot table suggest/advice use

What "seen" means. Every frame is reduced to small line-art (longer side `flow_side`, 160 px). Its
*drawn content* is the ink plus a `band` of paper around it (the flow-size pixels within `band` px of
ink); a closed paper region smaller than `region_max` of the frame (an eye, a button, a character's
fill) counts with its area too, as seen as far as its outline is (its area is spread over the band
pixels that border it). A key sees all of its own frame. From a key a "seen" mask is carried frame by
frame, forwards and backwards, along dense DIS flow between consecutive line-arts (as the temporal
mode carries colour): pulled along the flow, times a per-pixel reliability of the step,

    1       the forward and backward flows agree (round trip) and the carried line-art matches
            this frame's line-art (both blurred by `check_blur`, within `photometric_tolerance`);
    unsure  (0.9) the line-art matches but the flows disagree (flat paper where flow is ambiguous);
    0       the line-art does not match (something appeared, was uncovered or deformed past the
            flow) or the flow leaves the frame (content entering across the border).

So content that walks or pops in is unseen by the keys before it, and the share of a drawing that
one key sees decays with every unreliable step. score(k, t) = content-weighted mean of key k's mask
at frame t, in [0, 1]; **coverage of frame t = max over the keys k of its shot of score(k, t)** (the
best single key; two keys that each see half of a frame do not add up: a deliberate lower bound that
keeps the scores a table the greedy search can use). A frame with no drawn content is fully covered.

Cost and memory: a shot is held as its small line-arts (160 x 90 uint8 for 16:9, 14 KB each) plus one
mask per key still alive (uint8, same size) and the shot's score table (n x n float32). A shot longer
than `max_shot` (480) frames is analysed in pieces of at most that many frames, so no key is asked to
cover more than 480 frames and memory is bounded whatever the clip's length: at 160 x 90, 480 line-arts
(7 MB), at most 480 alive masks (7 MB) and the temporaries of one carry step (~3x that), two 480 x 480
tables (2 MB): under ~40 MB in the worst case, a few MB typically. A mask that sees less than
`min_seen` (0.5) of a frame is dropped (its later scores count as 0), and a key whose frame is reached
by a complete mask (every pixel seen) shares it (the same mask is carried the same way), so a still
shot carries one mask. The flow runs twice per pair of frames in each of the two sweeps (DIS at 160 px).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

import cv2
import numpy as np
import torch

from colorize.errors import InputError
from colorize.lineart.ink import InkConfig, ink_lineart
from colorize.lineart.polarity import light_on_dark
from colorize.media.flow import MIN_FLOW_SIDE, dis_flow
from colorize.media.frames import Frame

# cv2.remap takes at most this many channels at once (OpenCV 5 wraps up to 128).
REMAP_CHANNELS = 128
# Flow-size line-art darker than this is ink: shrinking a one-pixel line by 2-4x leaves it grey.
INK_LEVEL = 200


@dataclass
class KeysConfig:
    """How coverage is measured and keys are suggested (validated; ValueError names the field).

    threshold: a frame is covered when at least this share of its drawn content is seen in a key.
    lineart: the input is line-art already (dark lines on light; light on dark is inverted);
        otherwise line-art is drawn from the colour frames with the ink recipe.
    ink: the ink recipe's settings (colorize.lineart.ink), for colour input.
    draw_side: colour frames are shrunk to at most this long a side before the ink is drawn
        (0 = full size; 320 costs ~1.5 ms a frame against ~30 ms at 720p).
    flow_side: line-art is shrunk to at most this long a side for the flow and the masks.
    flow_preset: DIS preset: "medium" (what the temporal mode uses; 4.3 ms a flow at 160 x 90 on the
        loaded 2-core machine) or "fast" (0.7 ms, half the analysis time; coarser at motion
        boundaries: a character that stops was 0.78 seen from the key before it against 0.92).
    flow_blur, check_blur: sigma in flow-size pixels of the blur before the flow / the line check.
    photometric_tolerance: grey levels the carried line-art may differ from this frame's.
    round_trip: squared flow-size pixels the forward-backward round trip may miss by (+1 % of motion).
    unsure: per-step reliability where the lines match but the flows disagree.
    band: flow-size pixels around ink that count as drawn content.
    region_max: closed paper regions up to this share of the frame count with their area.
    min_seen: a key's mask is dropped once it sees less than this share of a frame (its scores
        from there on count as 0: a key that sees less than half a frame does not cover it, and
        dropping such masks early is what keeps the sweeps short on moving shots).
    max_shot: longer shots are analysed in pieces of at most this many frames (memory bound).
    first_frame: without max_keys, every shot's first frame is a key.
    """

    threshold: float = 0.9
    lineart: bool = False
    ink: InkConfig = field(default_factory=InkConfig)
    draw_side: int = 320
    flow_side: int = 160
    flow_preset: str = "medium"
    flow_blur: float = 1.0
    check_blur: float = 1.0
    photometric_tolerance: float = 40.0
    round_trip: float = 0.5
    unsure: float = 0.9
    band: int = 1
    region_max: float = 0.02
    min_seen: float = 0.5
    max_shot: int = 480
    first_frame: bool = True

    def __post_init__(self) -> None:
        for name in ("threshold", "unsure", "region_max", "min_seen"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:  # (False for NaN too)
                raise ValueError(f"{name} must be 0 to 1, got {value}")
        for name in ("flow_blur", "check_blur", "round_trip"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 <= value <= 20.0):
                raise ValueError(f"{name} must be 0 to 20, got {value}")
        if not 0.0 <= self.photometric_tolerance <= 255.0:
            raise ValueError(f"photometric_tolerance must be 0 to 255, got {self.photometric_tolerance}")
        if self.flow_preset not in ("medium", "fast"):
            raise ValueError(f"flow_preset must be medium or fast, got {self.flow_preset!r}")
        if self.flow_side < 2 * MIN_FLOW_SIDE:
            raise ValueError(f"flow_side must be at least {2 * MIN_FLOW_SIDE} pixels, got {self.flow_side}")
        if self.draw_side != 0 and self.draw_side < self.flow_side:
            raise ValueError(f"draw_side must be 0 (full size) or at least flow_side, got {self.draw_side}")
        if not 0 <= self.band <= 8:
            raise ValueError(f"band must be 0 to 8 pixels, got {self.band}")
        if not 1 <= self.max_shot <= 480:  # the memory bound of the module docstring
            raise ValueError(f"max_shot must be 1 to 480 frames, got {self.max_shot}")


# ------------------------------------------------------------------------------------ small line-art

def shrink(image: np.ndarray, side: int) -> np.ndarray:
    """`image` scaled (area filter) so that its longer side is at most `side` px (never enlarged)."""
    h, w = image.shape[:2]
    scale = side / max(h, w) if side else 1.0
    if scale >= 1.0:
        return image
    size = (max(MIN_FLOW_SIDE, round(w * scale)), max(MIN_FLOW_SIDE, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def small_lineart(image: np.ndarray, cfg: KeysConfig) -> np.ndarray:
    """The line-art the coverage works on: h x w uint8 (255 paper), longer side <= cfg.flow_side.

    image: H x W x 3 uint8 RGB colour (drawn with the ink recipe at cfg.draw_side) or, with
    cfg.lineart, H x W (x 3) uint8 line-art (made gray; light lines on dark are inverted).
    """
    if cfg.lineart:
        gray = gray_of(image)
        flipped = bool(light_on_dark(torch.from_numpy(gray)[None, None].float().div_(255))[0])
        return shrink(255 - gray if flipped else gray, cfg.flow_side)
    drawn = ink_lineart(shrink(image, cfg.draw_side), cfg.ink, 1)
    return shrink(drawn, cfg.flow_side)


def gray_of(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)


def content_weights(art: np.ndarray, cfg: KeysConfig) -> np.ndarray:
    """h x w float32: what each pixel of small line-art `art` counts for in the frame's drawn content.

    1 on the ink and the paper within cfg.band px of it; a closed paper region (not touching the
    frame's border) of at most cfg.region_max of the frame adds its area, spread evenly over the band pixels bordering it;
    0 elsewhere (open paper, large regions: they are seen as far as their outlines are).
    """
    ink = (art < INK_LEVEL).astype(np.uint8)
    band = cv2.dilate(ink, np.ones((2 * cfg.band + 1,) * 2, np.uint8)) if cfg.band else ink
    weights = band.astype(np.float32)
    count, labels = cv2.connectedComponents(1 - band, connectivity=4)
    if count <= 1:
        return weights
    areas = np.bincount(labels.ravel(), minlength=count).astype(np.float32)
    small = areas <= cfg.region_max * art.size
    small[0] = False  # label 0: the band itself
    # a region cut by the frame's border is not closed in this frame (and half of it is off screen)
    small[np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])] = False
    if not small.any():
        return weights
    kept = np.where(small[labels], labels, 0).astype(np.float32)
    # each band pixel next to a small region takes that region's label (the largest, if several)
    border = (cv2.dilate(kept, np.ones((3, 3), np.uint8)).astype(np.int64)) * band
    touching = np.bincount(border.ravel(), minlength=count).astype(np.float32)
    share = np.where(touching > 0, areas / np.maximum(touching, 1), 0).astype(np.float32)
    share[0] = 0.0
    return weights + share[border]


# ----------------------------------------------------------------------------------- carried masks

def _flow_input(art: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(art, (0, 0), sigma) if sigma > 0 else art


def make_engine(preset: str) -> cv2.DISOpticalFlow:
    """OpenCV's DIS flow at `preset` ("medium", what the temporal mode uses, or "fast")."""
    return cv2.DISOpticalFlow_create({"medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
                                      "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST}[preset])


def pull_step(src: np.ndarray, dst: np.ndarray, cfg: KeysConfig, engine: cv2.DISOpticalFlow
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How a mask on frame `src` is carried onto the adjacent frame `dst` (both h x w uint8 line-art).

    Returns (map_x, map_y, reliability): cv2.remap maps (h x w float32) that pull src's pixels onto
    dst's, and h x w uint16 reliability in 256ths (256 reliable, cfg.unsure * 256, 0: see the module
    docstring), so that carried = remap(mask) * reliability >> 8.
    """
    h, w = dst.shape
    src_f, dst_f = _flow_input(src, cfg.flow_blur), _flow_input(dst, cfg.flow_blur)
    if max(h, w) < MIN_FLOW_SIDE:  # DIS refuses such tiny frames: no motion, the line check decides
        back = fwd = np.zeros((h, w, 2), np.float32)
    else:
        back, fwd = dis_flow(dst_f, src_f, engine), dis_flow(src_f, dst_f, engine)  # dst -> src, src -> dst
    map_x = np.arange(w, dtype=np.float32)[None, :] + back[..., 0]
    map_y = np.arange(h, dtype=np.float32)[:, None] + back[..., 1]
    inside = (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)
    fwd_there = cv2.remap(fwd, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    error = np.sum((back + fwd_there) ** 2, axis=-1)
    magnitude = np.sum(back**2, axis=-1) + np.sum(fwd_there**2, axis=-1)
    consistent = error < 0.01 * magnitude + cfg.round_trip
    src_c, dst_c = _flow_input(src, cfg.check_blur), _flow_input(dst, cfg.check_blur)
    carried = cv2.remap(src_c, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    matches = cv2.absdiff(carried, dst_c) <= cfg.photometric_tolerance
    reliability = np.where(matches & inside, np.where(consistent, 256, round(cfg.unsure * 256)), 0)
    return map_x, map_y, reliability.astype(np.uint16)


def _carry(masks: np.ndarray, step: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """h x w x K uint8 masks moved by one pull_step and scaled by its reliability."""
    map_x, map_y, reliability = step
    moved = np.empty_like(masks)
    for c in range(0, masks.shape[-1], REMAP_CHANNELS):
        chunk = np.ascontiguousarray(masks[..., c:c + REMAP_CHANNELS])
        out = cv2.remap(chunk, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        moved[..., c:c + REMAP_CHANNELS] = out.reshape(chunk.shape)  # cv2 drops a single channel's axis
    return (np.multiply(moved, reliability[..., None], dtype=np.uint16) >> 8).astype(np.uint8)


def _sweep(arts: list[np.ndarray], starts: list[int], order: range, cfg: KeysConfig, scores: np.ndarray) -> None:
    """Carry one mask per start position along `order` (positions into `arts`), writing
    scores[i, t] = the content-weighted share of frame t seen from starts[i] (i: index into starts)."""
    engine = make_engine(cfg.flow_preset)
    row_of: dict[int, list[int]] = {}
    for i, s in enumerate(starts):
        row_of.setdefault(s, []).append(i)
    masks: np.ndarray | None = None  # h x w x K uint8; channel c stands for the start rows rows[c]
    rows: list[list[int]] = []
    previous = None
    for t in order:
        if masks is not None and previous is not None:
            masks = _carry(masks, pull_step(arts[previous], arts[t], cfg, engine))
        if t in row_of:
            masks, rows = _start(masks, rows, row_of[t], arts[t].shape)
        previous = t
        if masks is None:
            continue
        seen = _seen(masks, content_weights(arts[t], cfg))
        for c, group in enumerate(rows):
            scores[group, t] = seen[c]
        alive = seen >= cfg.min_seen
        if not alive.all():
            masks = masks[..., alive] if alive.any() else None
            rows = [g for g, a in zip(rows, alive) if a]


def _seen(masks: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """K float32: the weights-weighted mean of each h x w x K uint8 mask (in 0..1; 1 when nothing
    is drawn). Only the drawn pixels (a fraction of the frame) are read."""
    drawn = np.flatnonzero(weights)
    if len(drawn) == 0:
        return np.ones(masks.shape[-1], np.float32)
    values = masks.reshape(-1, masks.shape[-1])[drawn].astype(np.float32)
    w = weights.ravel()[drawn]
    return (w @ values) / (255.0 * float(w.sum()))


def _start(masks: np.ndarray | None, rows: list[list[int]], new: list[int], shape: tuple[int, int]
           ) -> tuple[np.ndarray, list[list[int]]]:
    """Add a full mask for the start rows `new`, or let them share an alive mask that is full already
    (a full mask is carried the same way whichever key it came from)."""
    if masks is not None:
        full = np.flatnonzero(masks.reshape(-1, masks.shape[-1]).min(axis=0) == 255)
        if len(full):
            rows[full[0]] = rows[full[0]] + new
            return masks, rows
    fresh = np.full((*shape, 1), 255, np.uint8)
    masks = fresh if masks is None else np.concatenate([masks, fresh], axis=-1)
    return masks, rows + [list(new)]


def shot_scores(arts: list[np.ndarray], starts: list[int], cfg: KeysConfig) -> np.ndarray:
    """len(starts) x n float32: score[i, t] = share of frame t's drawn content seen from the key at
    position starts[i] of the shot (arts: its n small line-arts, one size). 1 on the key's own frame."""
    n = len(arts)
    scores = np.zeros((len(starts), n), np.float32)
    if not starts:
        return scores
    if len({a.shape for a in arts}) > 1:
        raise InputError("the frames of a shot must share one size")
    _sweep(arts, starts, range(n), cfg, scores)
    backward = np.zeros_like(scores)
    _sweep(arts, starts, range(n - 1, -1, -1), cfg, backward)
    return np.maximum(scores, backward)


# ------------------------------------------------------------------------------------------ shots

@dataclass(frozen=True)
class ShotLinearts:
    """One shot (or a max_shot piece of one): its number, frame numbers and small line-arts."""

    shot: int
    numbers: list[int]
    arts: list[np.ndarray]


def iter_shot_linearts(frames: Iterable[Frame], cfg: KeysConfig) -> Iterator[ShotLinearts]:
    """Group a stream of line-art Frames (cuts marked; image H x W uint8, any size) into shots of
    small line-arts, cut into pieces of at most cfg.max_shot frames. Holds one piece at a time.

    ValueError for a frame whose cut was never marked (media.shots.mark_cuts marks them once).
    """
    shot, numbers, arts = -1, [], []
    as_lineart = replace(cfg, lineart=True)
    for frame in frames:
        if frame.cut is None:
            raise ValueError("coverage needs frames with shot cuts marked (media.shots.mark_cuts)")
        if (frame.cut or len(arts) == cfg.max_shot) and arts:
            yield ShotLinearts(shot, numbers, arts)
            numbers, arts = [], []
        if frame.cut or shot < 0:
            shot += 1
        numbers.append(frame.index)
        if frame.lineart is not None:  # drawn by a stage already: paper is light, only shrink it
            arts.append(shrink(gray_of(frame.lineart), cfg.flow_side))
        else:
            arts.append(small_lineart(frame.image, as_lineart))
    if arts:
        yield ShotLinearts(shot, numbers, arts)


@dataclass(frozen=True)
class FrameCoverage:
    """One frame's coverage: its number, its shot and the share of its drawn content seen in a key."""

    index: int
    shot: int
    coverage: float


def coverage(frames: Iterable[Frame], keys: set[int], cfg: KeysConfig | None = None) -> Iterator[FrameCoverage]:
    """Per frame (in order), the share of its drawn content seen in some key of its shot.

    frames: Frames with cuts marked whose .lineart (drawn by a stage: H x W uint8, 255 paper, any
    size) or, without one, image is line-art (as input: gray or RGB; light on dark is inverted); keys: frame numbers (Frame.index) of the keys. A shot without a key has coverage 0
    (but 1 for a blank frame: nothing to miss). See the module docstring for what "seen" means.
    """
    cfg = cfg if cfg is not None else KeysConfig()
    for piece in iter_shot_linearts(frames, cfg):
        starts = [i for i, number in enumerate(piece.numbers) if number in keys]
        scores = shot_scores(piece.arts, starts, cfg)
        best = scores.max(axis=0) if starts else np.zeros(len(piece.arts), np.float32)
        for number, value in zip(piece.numbers, best):
            yield FrameCoverage(number, piece.shot, float(value))
