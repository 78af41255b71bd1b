"""Procedural toon clips: flat-coloured outlined shapes moving over a background, with known ground truth.

Tests, demos and benchmarks need cartoon-like video without binary fixtures. A `ToonClip` draws
ellipses, polygons, rounded rectangles and stars, each with one fill colour and a dark outline for
the whole scene (so a colorizer can learn colour from shape appearance), moving, rotating and
occluding each other over a pale gradient with a few soft background blobs.

    clip = ToonClip(ToonConfig(width=128, height=96, n_frames=24, seed=3))
    rgb = clip.frame(5)            # H x W x 3 uint8 RGB
    ink = clip.outline_mask(5)     # H x W bool: exactly the pixels drawn as outline
    ids = clip.labels(5)           # H x W int32: visible shape id, 0 = background
    write_toon_video("demo.mp4", ToonConfig(tone_hz=440.0))

Frame i is a pure function of (config, i): any frame can be drawn in any order, nothing accumulates
between frames, and memory stays flat at any clip length. Geometry is defined in fractions of the
frame and motion per second, so one seed gives the same animation at any size or frame rate.
"""

from __future__ import annotations

import colorsys
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from colorize.images import write_image
from colorize.progress import progress

# Fixed-point precision for OpenCV drawing: 4 fractional bits gives sub-pixel, smooth motion.
_SHIFT = 4
_SCALE = 1 << _SHIFT
_SHAPE_KINDS = ("ellipse", "polygon", "rounded_rect", "star")
_MAX_SHAPES = 255  # labels are drawn in a uint8 layer
# palette="by_kind": every shape kind is a "character" with its own colours (hue, saturation, value),
# as in animation model sheets, so the colours can be learnt from line-art alone.
_KIND_COLOURS = {"ellipse": (0.0, 0.75, 0.95), "polygon": (0.6, 0.7, 0.85),
                 "rounded_rect": (0.33, 0.65, 0.8), "star": (0.14, 0.85, 1.0)}


@dataclass
class ToonConfig:
    """What clip to draw. Sizes in pixels; `cut_every` > 0 starts a new scene every that many frames.

    `outline_px` is OpenCV's line thickness: 1 draws one-pixel lines, larger values draw lines about
    outline_px + 1 pixels wide (OpenCV rounds thick lines to odd widths); 0 draws no outlines.
    `tone_hz` > 0 gives the written video a sine tone as audio. `antialias` smooths fills and
    outlines in the RGB frames only; `outline_mask` and `labels` stay the aliased (exact) geometry.
    """

    width: int = 128
    height: int = 96
    n_frames: int = 24
    fps: float = 12.0
    seed: int = 0
    n_shapes: int = 5
    outline_px: int = 2
    tone_hz: float = 0.0
    cut_every: int = 0
    antialias: bool = False
    palette: str = "random"   # "random": new hues every scene; "by_kind": fixed colours per shape kind
    hue_range: tuple[float, float] = (0.0, 1.0)  # "random" shape hues lie in [low, high) turns

    def __post_init__(self) -> None:
        low, high = self.hue_range
        if not 0.0 <= low < high <= 1.0:
            raise ValueError(f"hue_range must be (low, high) with 0 <= low < high <= 1, got {tuple(self.hue_range)}")
        if self.palette not in ("random", "by_kind"):
            raise ValueError(f"palette must be 'random' or 'by_kind', got {self.palette!r}")
        if self.width < 8 or self.height < 8:
            raise ValueError(f"frame size must be at least 8x8, got {self.width}x{self.height}")
        if self.n_frames < 1:
            raise ValueError(f"n_frames must be at least 1, got {self.n_frames}")
        if not self.fps > 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if not 0 <= self.n_shapes <= _MAX_SHAPES:
            raise ValueError(f"n_shapes must be between 0 and {_MAX_SHAPES}, got {self.n_shapes}")
        if self.outline_px < 0:
            raise ValueError(f"outline_px must be 0 or more, got {self.outline_px}")
        if self.tone_hz < 0:
            raise ValueError(f"tone_hz must be 0 (silent) or positive, got {self.tone_hz}")
        if self.cut_every < 0:
            raise ValueError(f"cut_every must be 0 (no cuts) or positive, got {self.cut_every}")


@dataclass(frozen=True)
class _Shape:
    """One shape of a scene: outline in unit coordinates plus its colours and motion law."""

    shape_id: int
    unit_points: np.ndarray  # N x 2 float, centred at 0, radius about 1
    fill: tuple[int, int, int]
    ink: tuple[int, int, int]
    radius: float  # fraction of min(width, height)
    start: tuple[float, float]  # centre at t=0, fractions of (width, height)
    velocity: tuple[float, float]  # fractions of (width, height) per second
    angle0: float  # radians
    spin: float  # radians per second
    squash_hz: float  # a gentle breathing of the aspect ratio, cycles per second
    squash_phase: float


@dataclass(frozen=True)
class _Scene:
    background: np.ndarray  # H x W x 3 uint8 RGB, read-only
    shapes: tuple[_Shape, ...]  # in drawing order: later shapes occlude earlier ones


def _hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return int(round(r * 255)), int(round(g * 255)), int(round(b * 255))


def _unit_ellipse(rng: np.random.Generator) -> np.ndarray:
    aspect = rng.uniform(0.55, 1.0)
    t = np.linspace(0.0, 2 * math.pi, 64, endpoint=False)
    return np.stack([np.cos(t), aspect * np.sin(t)], axis=1)


def _unit_polygon(rng: np.random.Generator) -> np.ndarray:
    sides = int(rng.integers(3, 7))
    t = np.arange(sides) * (2 * math.pi / sides)
    return np.stack([np.cos(t), np.sin(t)], axis=1)


def _unit_star(rng: np.random.Generator) -> np.ndarray:
    tips = int(rng.integers(5, 7))
    inner = rng.uniform(0.38, 0.55)
    t = np.arange(2 * tips) * (math.pi / tips)
    r = np.where(np.arange(2 * tips) % 2 == 0, 1.0, inner)
    return np.stack([r * np.cos(t), r * np.sin(t)], axis=1)


def _unit_rounded_rect(rng: np.random.Generator) -> np.ndarray:
    half_w, half_h = 1.0, rng.uniform(0.45, 0.85)
    corner = rng.uniform(0.15, 0.4) * half_h
    arc = np.linspace(0.0, math.pi / 2, 8)
    points = []
    # Walk the four corners counter-clockwise; each corner is a quarter circle of radius `corner`.
    for (sx, sy), a0 in zip(((1, 1), (-1, 1), (-1, -1), (1, -1)), (0.0, 0.5, 1.0, 1.5)):
        cx, cy = sx * (half_w - corner), sy * (half_h - corner)
        a = arc + a0 * math.pi
        points.append(np.stack([cx + corner * np.cos(a), cy + corner * np.sin(a)], axis=1))
    return np.concatenate(points)


_UNIT_SHAPES = {
    "ellipse": _unit_ellipse,
    "polygon": _unit_polygon,
    "rounded_rect": _unit_rounded_rect,
    "star": _unit_star,
}


def _make_shape(rng: np.random.Generator, shape_id: int, hue: float, palette: str = "random") -> _Shape:
    kind = _SHAPE_KINDS[int(rng.integers(len(_SHAPE_KINDS)))]
    speed = rng.uniform(0.12, 0.35)
    heading = rng.uniform(0.0, 2 * math.pi)
    saturation, value = rng.uniform(0.55, 0.95), rng.uniform(0.75, 1.0)
    if palette == "by_kind":
        hue, saturation, value = _KIND_COLOURS[kind]
    return _Shape(
        shape_id=shape_id,
        unit_points=_UNIT_SHAPES[kind](rng),
        fill=_hsv(hue, saturation, value),
        # Ink is a very dark tint of the fill (max channel <= 0.14 * 255 = 36), as in cel animation.
        ink=_hsv(hue, rng.uniform(0.3, 0.7), rng.uniform(0.04, 0.14)),
        radius=rng.uniform(0.12, 0.24),
        start=(rng.uniform(0.15, 0.85), rng.uniform(0.15, 0.85)),
        velocity=(speed * math.cos(heading), speed * math.sin(heading)),
        angle0=rng.uniform(0.0, 2 * math.pi),
        spin=rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 1.5),
        squash_hz=rng.uniform(0.2, 0.8),
        squash_phase=rng.uniform(0.0, 2 * math.pi),
    )


def _draw_background(rng: np.random.Generator, cfg: ToonConfig, scene: int) -> np.ndarray:
    """A pale two-colour gradient plus a few soft blobs without outlines (label 0)."""
    # Successive scenes step the hue by about 0.38 turns, so a cut always changes the palette.
    hue = (rng.uniform(0.0, 1.0) * 0.2 + scene * 0.382) % 1.0
    top = np.array(_hsv(hue, rng.uniform(0.08, 0.3), rng.uniform(0.88, 1.0)), np.float32)
    bottom = np.array(_hsv(hue + rng.uniform(-0.1, 0.1), rng.uniform(0.15, 0.4),
                           rng.uniform(0.7, 0.9)), np.float32)
    h, w = cfg.height, cfg.width
    if rng.uniform() < 0.5:
        ramp = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    else:
        ramp = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :, None]
    image = np.ascontiguousarray(np.broadcast_to(top + (bottom - top) * ramp, (h, w, 3)))
    image = image.round().astype(np.uint8)
    for _ in range(int(rng.integers(2, 4))):
        colour = _hsv(hue + rng.uniform(-0.15, 0.15), rng.uniform(0.1, 0.35), rng.uniform(0.75, 0.95))
        centre = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        axes = (int(rng.uniform(0.15, 0.4) * w) + 1, int(rng.uniform(0.15, 0.4) * h) + 1)
        cv2.ellipse(image, centre, axes, rng.uniform(0, 180), 0, 360, colour, -1, cv2.LINE_AA)
    image.setflags(write=False)
    return image


def _bounce(position: float, lo: float, hi: float) -> float:
    """Fold an unbounded coordinate into [lo, hi] as if it bounced off the walls."""
    span = hi - lo
    u = (position - lo) % (2 * span)
    return lo + (u if u <= span else 2 * span - u)


class ToonClip:
    """A deterministic procedural toon clip; `frame(i)` is a pure function of (cfg, i).

    `len(clip)` frames; iterating yields them in order (H x W x 3 uint8 RGB). Shape ids are
    1..n_shapes within a scene (reused after a cut, with new shapes and colours).
    """

    def __init__(self, cfg: ToonConfig) -> None:
        self.cfg = cfg
        # One scene is drawn per cut; caching the last one keeps sequential access cheap while
        # memory stays bounded (a background image and a few small arrays).
        self._cached: tuple[int, _Scene] | None = None

    def __len__(self) -> int:
        return self.cfg.n_frames

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self.frame(i)

    def frame(self, i: int) -> np.ndarray:
        """Frame i as H x W x 3 uint8 RGB (anti-aliased if cfg.antialias)."""
        line = cv2.LINE_AA if self.cfg.antialias else cv2.LINE_8
        scene, polygons = self._geometry(i)
        image = scene.background.copy()
        for shape, points in zip(scene.shapes, polygons):
            cv2.fillPoly(image, [points], shape.fill, line, _SHIFT)
            if self.cfg.outline_px:
                cv2.polylines(image, [points], True, shape.ink, self.cfg.outline_px, line, _SHIFT)
        return image

    def outline_mask(self, i: int) -> np.ndarray:
        """H x W bool: the pixels of frame i drawn as outline ink and not covered by a later shape."""
        scene, polygons = self._geometry(i)
        mask = np.zeros((self.cfg.height, self.cfg.width), np.uint8)
        for points in polygons:
            cv2.fillPoly(mask, [points], 0, cv2.LINE_8, _SHIFT)  # an occluder hides older outlines
            if self.cfg.outline_px:
                cv2.polylines(mask, [points], True, 1, self.cfg.outline_px, cv2.LINE_8, _SHIFT)
        return mask.astype(bool)

    def labels(self, i: int) -> np.ndarray:
        """H x W int32: id of the shape visible at each pixel of frame i (its outline included), 0 = background."""
        scene, polygons = self._geometry(i)
        ids = np.zeros((self.cfg.height, self.cfg.width), np.uint8)
        for shape, points in zip(scene.shapes, polygons):
            cv2.fillPoly(ids, [points], shape.shape_id, cv2.LINE_8, _SHIFT)
            if self.cfg.outline_px:
                cv2.polylines(ids, [points], True, shape.shape_id, self.cfg.outline_px,
                              cv2.LINE_8, _SHIFT)
        return ids.astype(np.int32)

    def scene_index(self, i: int) -> int:
        """Which scene frame i belongs to (always 0 without cuts)."""
        return i // self.cfg.cut_every if self.cfg.cut_every else 0

    def _check_index(self, i: int) -> int:
        if not 0 <= i < len(self):
            raise IndexError(f"frame {i} out of range for a {len(self)}-frame toon clip")
        return int(i)

    def _scene(self, index: int) -> _Scene:
        if self._cached is None or self._cached[0] != index:
            self._cached = (index, self._build_scene(index))
        return self._cached[1]

    def _build_scene(self, index: int) -> _Scene:
        """Background and shapes of scene `index`, seeded by (cfg.seed, index) only."""
        rng = np.random.default_rng([self.cfg.seed, index])
        background = _draw_background(rng, self.cfg, index)
        n = self.cfg.n_shapes
        # Evenly spread hues (with jitter) keep shape colours distinct from each other.
        offset = rng.uniform(0.0, 1.0)
        hues = [offset + k / max(n, 1) + rng.uniform(-0.04, 0.04) for k in range(n)]
        low, high = self.cfg.hue_range
        if (low, high) != (0.0, 1.0):  # squeeze the spread hues into the range (held-out colours)
            hues = [low + (h % 1.0) * (high - low) for h in hues]
        order = rng.permutation(n)
        shapes = tuple(_make_shape(rng, int(k) + 1, hues[k], self.cfg.palette) for k in order)
        return _Scene(background=background, shapes=shapes)

    def _geometry(self, i: int) -> tuple[_Scene, list[np.ndarray]]:
        """Scene of frame i and each shape's outline as N x 1 x 2 int32 fixed-point pixels."""
        i = self._check_index(i)
        scene_index = self.scene_index(i)
        scene = self._scene(scene_index)
        t = (i - scene_index * self.cfg.cut_every) / self.cfg.fps
        return scene, [self._place(shape, t) for shape in scene.shapes]

    def _place(self, shape: _Shape, t: float) -> np.ndarray:
        w, h = self.cfg.width, self.cfg.height
        cx = _bounce(shape.start[0] + shape.velocity[0] * t, 0.05, 0.95) * w
        cy = _bounce(shape.start[1] + shape.velocity[1] * t, 0.05, 0.95) * h
        squash = 1.0 + 0.12 * math.sin(2 * math.pi * shape.squash_hz * t + shape.squash_phase)
        radius = shape.radius * min(w, h)
        angle = shape.angle0 + shape.spin * t
        cos, sin = math.cos(angle), math.sin(angle)
        local = shape.unit_points * np.array([radius * squash, radius / squash])
        x = cx + local[:, 0] * cos - local[:, 1] * sin
        y = cy + local[:, 0] * sin + local[:, 1] * cos
        fixed = np.round(np.stack([x, y], axis=1) * _SCALE).astype(np.int32)
        return fixed.reshape(-1, 1, 2)


def write_toon_video(path: str | os.PathLike, cfg: ToonConfig) -> Path:
    """Stream a toon clip into an MP4 at `path` (with a sine tone if cfg.tone_hz > 0); returns the path."""
    from colorize.media.encode import write_video

    clip = ToonClip(cfg)
    frames = progress(iter(clip), total=len(clip), desc="toon")
    return write_video(frames, path, cfg.fps, tone_hz=cfg.tone_hz)


def write_toon_frames(folder: str | os.PathLike, cfg: ToonConfig) -> list[Path]:
    """Write the clip as folder/frame_000000.png ... (atomic writes); returns the paths in order."""
    folder = Path(folder)
    clip = ToonClip(cfg)
    paths = []
    for i, rgb in enumerate(progress(iter(clip), total=len(clip), desc="toon")):
        paths.append(write_image(folder / f"frame_{i:06d}.png", rgb))
    return paths

