"""Animation-like clips composited from real cartoon art: characters moving over backgrounds.

A clip is a run of shots. Each shot has a stage (a painted background scaled to cover the camera's
whole path, or a plain/gradient ground), a camera that pans and zooms across it, characters that
travel, scale, rotate and may be mirrored (walk cycles play where a source has frame sequences),
characters entering from outside the view, and sometimes a foreground sprite crossing in front
(an occlusion). Shots end in hard cuts. Everything is drawn from one seeded generator per clip, so
a seed gives the same frames on every run; frames are rendered one at a time (memory flat).

    clip = RealArtClip(load_sources(folders), ClipConfig(seed=3), index=0)
    for rgb in clip: ...                 # H x W x 3 uint8 RGB frames, len(clip) of them
    clip.cuts                            # frame numbers where a new shot starts (0 excluded)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import cv2
import numpy as np

from colorize.data.art import ArtSource, ImageCache


@dataclass
class ClipConfig:
    """What clips to draw. Sizes in pixels; fractions are of the frame's width or height.

    shot_length: (min, max) frames per shot; a cut starts each new shot. n_characters: (min, max)
    characters per shot. character_size: (min, max) character height as a fraction of the view.
    translate: a character's sideways travel over a shot is between half and all of this fraction
    of the width (plus up to 0.3 of that vertically). scale: largest
    relative size change over a shot. rotate: largest rotation over a shot, degrees. flip: chance a
    character is mirrored. pan: longest camera travel over a shot (fraction of the view). zoom:
    largest zoom in over a shot (0.3 = up to 1.3x). enter: chance a character walks in from outside
    the view. occlusion: chance per shot of a foreground sprite crossing the view. plain_ground:
    chance a shot is played on a plain or gradient ground instead of a background painting.
    walk_fps: frames of a sequence shown per second of clip.
    """

    seed: int = 0
    width: int = 256
    height: int = 256
    n_frames: int = 48
    fps: float = 12.0
    shot_length: tuple[int, int] = (16, 32)
    n_characters: tuple[int, int] = (1, 3)
    character_size: tuple[float, float] = (0.25, 0.6)
    translate: float = 0.4
    scale: float = 0.25
    rotate: float = 10.0
    flip: float = 0.5
    pan: float = 0.3
    zoom: float = 0.3
    enter: float = 0.3
    occlusion: float = 0.2
    plain_ground: float = 0.15
    walk_fps: float = 8.0

    def __post_init__(self) -> None:
        if self.width < 16 or self.height < 16:
            raise ValueError(f"frame size must be at least 16x16, got {self.width}x{self.height}")
        if self.n_frames < 1:
            raise ValueError(f"n_frames must be at least 1, got {self.n_frames}")
        if not self.fps > 0 or not self.walk_fps >= 0:
            raise ValueError("fps must be positive and walk_fps 0 or more")
        _check_range("shot_length", self.shot_length, 1)
        _check_range("n_characters", self.n_characters, 0)
        _check_range("character_size", self.character_size, 0.01)
        for name in ("flip", "enter", "occlusion", "plain_ground"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a probability between 0 and 1, got {getattr(self, name)}")
        for name in ("translate", "scale", "rotate", "pan", "zoom"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be 0 or more, got {getattr(self, name)}")


def _check_range(name: str, pair: tuple, low: float) -> None:
    if not low <= pair[0] <= pair[1]:
        raise ValueError(f"{name} must be (min, max) with {low} <= min <= max, got {tuple(pair)}")


@dataclass(frozen=True)
class Actor:
    """A figure's path over one shot, in stage pixels: start/end centre, height, angle (degrees)."""

    source: int                   # index into the clip's sources
    frames: tuple                 # image paths: one for a still, several for a walk cycle
    start: tuple[float, float]
    end: tuple[float, float]
    height: tuple[float, float]
    angle: tuple[float, float]
    flip: bool
    phase: int
    entering: bool = False
    screen_space: bool = False    # an occluder: drawn in view pixels in front of everything


@dataclass(frozen=True)
class Shot:
    """Frames [start, end) of a clip: stage size, background, camera path and actors (back to front)."""

    start: int
    end: int
    stage: tuple[int, int]                    # (width, height) of the stage in pixels
    background: tuple[int, object] | None     # (source index, path) or None for a plain ground
    ground: tuple[tuple[int, int, int], tuple[int, int, int]]  # top/bottom colours of a plain ground
    camera: tuple[tuple[float, float, float], tuple[float, float, float]]  # (cx, cy, zoom) start, end
    actors: tuple[Actor, ...]


def _uniform(rng: np.random.Generator, pair: tuple[float, float]) -> float:
    return float(rng.uniform(pair[0], pair[1])) if pair[1] > pair[0] else float(pair[0])


def _shot_bounds(rng: np.random.Generator, cfg: ClipConfig) -> list[tuple[int, int]]:
    bounds, start = [], 0
    while start < cfg.n_frames:
        length = int(rng.integers(cfg.shot_length[0], cfg.shot_length[1] + 1))
        bounds.append((start, min(cfg.n_frames, start + length)))
        start += length
    return bounds


def _pick_figure(rng: np.random.Generator, sources: list[ArtSource]) -> tuple[int, tuple]:
    """A source first, weighted by the square root of its figure count (a large set does not drown
    the others, nor a set of three balls play as often as a whole cast), then one of its figures."""
    usable = [i for i, s in enumerate(sources) if s.figures]
    weights = np.sqrt([len(sources[i].figures) for i in usable])
    index = usable[int(rng.choice(len(usable), p=weights / weights.sum()))]
    figures = sources[index].figures
    return index, figures[int(rng.integers(len(figures)))]


def _camera_path(rng: np.random.Generator, cfg: ClipConfig, stage: tuple[int, int]) -> tuple:
    """Start and end (cx, cy, zoom): the view (W/zoom x H/zoom) stays inside the stage throughout."""
    ends = []
    zooms = (1.0 + _uniform(rng, (0.0, cfg.zoom)), 1.0 + _uniform(rng, (0.0, cfg.zoom)))
    travel = rng.uniform(-1.0, 1.0, size=2) * cfg.pan * np.array([cfg.width, cfg.height])
    centre = None
    for zoom in zooms:
        half = np.array([cfg.width, cfg.height]) / (2.0 * zoom)
        low, high = half, np.array(stage, dtype=float) - half
        if centre is None:
            centre = rng.uniform(low, np.maximum(low, high))
            point = centre
        else:
            point = np.clip(centre + travel, low, np.maximum(low, high))
        ends.append((float(point[0]), float(point[1]), float(zoom)))
    return tuple(ends)


def _plan_actor(rng: np.random.Generator, cfg: ClipConfig, sources: list[ArtSource], camera: tuple) -> Actor:
    source, frames = _pick_figure(rng, sources)
    (cx, cy, zoom), _ = camera
    view_w, view_h = cfg.width / zoom, cfg.height / zoom
    height = _uniform(rng, cfg.character_size) * view_h
    start = np.array([cx + rng.uniform(-0.4, 0.4) * view_w, cy + rng.uniform(-0.3, 0.35) * view_h])
    travel = rng.uniform(0.5, 1.0) * cfg.translate * cfg.width  # mostly sideways, as figures walk
    step = np.array([travel if rng.random() < 0.5 else -travel, rng.uniform(-0.3, 0.3) * travel])
    entering = bool(rng.random() < cfg.enter)
    if entering:  # start beyond the left or right edge of the view, walk well into it
        side = -1.0 if rng.random() < 0.5 else 1.0
        start[0] = cx + side * (0.5 * view_w + 0.6 * height)
        step[0] = -side * max(abs(step[0]), 0.6 * view_w)
    grow = 1.0 + _uniform(rng, (-cfg.scale, cfg.scale))
    angle0 = _uniform(rng, (-cfg.rotate, cfg.rotate)) / 2
    return Actor(source=source, frames=frames, start=tuple(start), end=tuple(start + step),
                 height=(height, height * grow), angle=(angle0, angle0 + _uniform(rng, (-cfg.rotate, cfg.rotate))),
                 flip=bool(rng.random() < cfg.flip), phase=int(rng.integers(0, 64)), entering=entering)


def _plan_occluder(rng: np.random.Generator, cfg: ClipConfig, sources: list[ArtSource]) -> Actor:
    """A big figure sweeping across the view in front of everything (view pixels, not stage ones)."""
    source, frames = _pick_figure(rng, sources)
    height = rng.uniform(0.7, 1.2) * cfg.height
    side = -1.0 if rng.random() < 0.5 else 1.0
    y = cfg.height * rng.uniform(0.5, 1.0)
    start = (cfg.width / 2 + side * (cfg.width / 2 + height / 2), y)
    end = (cfg.width / 2 - side * (cfg.width / 2 + height / 2), y)
    return Actor(source=source, frames=frames[:1], start=start, end=end, height=(height, height),
                 angle=(0.0, 0.0), flip=bool(rng.random() < 0.5), phase=0, screen_space=True)


def _ground_colours(rng: np.random.Generator) -> tuple:
    top, bottom = (tuple(int(c) for c in rng.integers(60, 256, size=3)) for _ in range(2))
    if rng.random() < 0.4:  # plain: one colour
        bottom = top
    return top, bottom


def plan_shots(sources: list[ArtSource], cfg: ClipConfig, index: int = 0) -> list[Shot]:
    """The whole clip's plan (cheap: no image is read). Deterministic in (cfg.seed, index)."""
    rng = np.random.default_rng([cfg.seed, index])
    backgrounds = [(i, p) for i, s in enumerate(sources) for p in s.backgrounds]
    margin = 1.0 + cfg.pan + 0.05
    shots = []
    for start, end in _shot_bounds(rng, cfg):
        stage = (int(math.ceil(cfg.width * margin)), int(math.ceil(cfg.height * margin)))
        background = None
        if backgrounds and rng.random() >= cfg.plain_ground:
            background = backgrounds[int(rng.integers(len(backgrounds)))]
        ground = _ground_colours(rng)
        camera = _camera_path(rng, cfg, stage)
        count = int(rng.integers(cfg.n_characters[0], cfg.n_characters[1] + 1))
        actors = [_plan_actor(rng, cfg, sources, camera) for _ in range(count)]
        actors.sort(key=lambda a: a.start[1] + a.height[0] / 2)  # lower on screen = nearer = drawn later
        if actors and rng.random() < cfg.occlusion:
            actors.append(_plan_occluder(rng, cfg, sources))
        shots.append(Shot(start=start, end=end, stage=stage, background=background, ground=ground,
                          camera=camera, actors=tuple(actors)))
    return shots


def _lerp(pair, t: float):
    a, b = np.asarray(pair[0], dtype=float), np.asarray(pair[1], dtype=float)
    return a + (b - a) * t


def _smooth(t: float) -> float:
    return t * t * (3.0 - 2.0 * t)


class RealArtClip:
    """Frames of one planned clip; iterate for H x W x 3 uint8 RGB frames (rendered on demand)."""

    def __init__(self, sources: list[ArtSource], cfg: ClipConfig, index: int = 0,
                 cache: ImageCache | None = None, shots: list[Shot] | None = None) -> None:
        """`shots`: a scripted plan (covering frames 0..n_frames-1 in order) instead of a random one."""
        self.sources, self.cfg, self.index = sources, cfg, index
        self.cache = cache or ImageCache()
        self.shots = list(shots) if shots is not None else plan_shots(sources, cfg, index)
        self._stage_key, self._stage = None, None

    def __len__(self) -> int:
        return self.cfg.n_frames

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self.frame(i)

    @property
    def cuts(self) -> list[int]:
        """First frame of every shot after the first."""
        return [shot.start for shot in self.shots[1:]]

    def shot_at(self, i: int) -> Shot:
        if not 0 <= i < len(self):
            raise IndexError(f"frame {i} outside a clip of {len(self)} frames")
        return next(s for s in self.shots if s.start <= i < s.end)

    def camera(self, i: int) -> tuple[float, float, float]:
        """(cx, cy, zoom) at frame i: stage point shown at the view's centre, and magnification."""
        shot = self.shot_at(i)
        cx, cy, zoom = _lerp(shot.camera, _smooth(self._progress(shot, i)))
        return float(cx), float(cy), float(zoom)

    def actor_center(self, i: int, k: int) -> tuple[float, float]:
        """Where actor k of frame i's shot has its centre, in view pixels (x, y)."""
        shot = self.shot_at(i)
        actor = shot.actors[k]
        point = _lerp((actor.start, actor.end), self._progress(shot, i))
        if actor.screen_space:
            return float(point[0]), float(point[1])
        cx, cy, zoom = self.camera(i)
        return (float((point[0] - cx) * zoom + self.cfg.width / 2),
                float((point[1] - cy) * zoom + self.cfg.height / 2))

    def frame(self, i: int) -> np.ndarray:
        shot = self.shot_at(i)
        canvas = self._background(shot, i).astype(np.float32)
        for k, actor in enumerate(shot.actors):
            self._draw_actor(canvas, shot, actor, k, i)
        return np.clip(canvas + 0.5, 0, 255).astype(np.uint8)

    def _progress(self, shot: Shot, i: int) -> float:
        return (i - shot.start) / max(1, shot.end - shot.start - 1)

    def _stage_image(self, shot: Shot) -> np.ndarray:
        """The shot's stage (stage-sized RGB), kept while frames of the same shot are drawn."""
        if self._stage_key != shot.start:
            self._stage_key, self._stage = shot.start, self._paint_stage(shot)
        return self._stage

    def _paint_stage(self, shot: Shot) -> np.ndarray:
        width, height = shot.stage
        if shot.background is None:
            t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
            column = np.array(shot.ground[0], np.float32) * (1 - t) + np.array(shot.ground[1], np.float32) * t
            return np.repeat(column, width, axis=1).astype(np.uint8)
        rgba = self.cache.rgba(shot.background[1])
        rgb = _over_white(rgba)
        h, w = rgb.shape[:2]
        scale = max(width / w, height / h)  # cover the stage, keep the aspect, centre crop
        resized = cv2.resize(rgb, (max(width, round(w * scale)), max(height, round(h * scale))),
                             interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        y0, x0 = (resized.shape[0] - height) // 2, (resized.shape[1] - width) // 2
        return np.ascontiguousarray(resized[y0:y0 + height, x0:x0 + width])

    def _background(self, shot: Shot, i: int) -> np.ndarray:
        cx, cy, zoom = self.camera(i)
        matrix = np.array([[zoom, 0, self.cfg.width / 2 - cx * zoom], [0, zoom, self.cfg.height / 2 - cy * zoom]])
        return cv2.warpAffine(self._stage_image(shot), matrix, (self.cfg.width, self.cfg.height),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    def _actor_image(self, actor: Actor, shot: Shot, i: int) -> np.ndarray:
        step = int((i - shot.start) * self.cfg.walk_fps / self.cfg.fps) + actor.phase
        return self.cache.rgba(actor.frames[step % len(actor.frames)])

    def _draw_actor(self, canvas: np.ndarray, shot: Shot, actor: Actor, k: int, i: int) -> None:
        """Composite actor k over `canvas` (float32 RGB, in place), premultiplied to avoid dark fringes."""
        sprite = self._actor_image(actor, shot, i)
        t = self._progress(shot, i)
        zoom = 1.0 if actor.screen_space else self.camera(i)[2]
        size = float(_lerp(actor.height, t)) * zoom / sprite.shape[0]
        premultiplied = sprite.astype(np.float32)
        premultiplied[..., :3] *= premultiplied[..., 3:4] / 255.0
        if size < 0.8:  # shrink by area first: warpAffine alone would alias a big drawing's lines
            w, h = max(1, round(sprite.shape[1] * size)), max(1, round(sprite.shape[0] * size))
            premultiplied = cv2.resize(premultiplied, (w, h), interpolation=cv2.INTER_AREA)
            size *= sprite.shape[0] / h
        angle = math.radians(float(_lerp(actor.angle, t)))
        cos, sin = math.cos(angle) * size, math.sin(angle) * size
        mirror = -1.0 if actor.flip else 1.0
        centre = self.actor_center(i, k)
        half_w, half_h = premultiplied.shape[1] / 2, premultiplied.shape[0] / 2
        # sprite pixel (u, v) -> view: rotate(scale(mirror(u - half_w), v - half_h)) + centre
        matrix = np.array([[cos * mirror, -sin, 0.0], [sin * mirror, cos, 0.0]])
        matrix[:, 2] = np.array(centre) - matrix[:, :2] @ np.array([half_w, half_h])
        warped = cv2.warpAffine(premultiplied, matrix, (self.cfg.width, self.cfg.height), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
        alpha = warped[..., 3:4] / 255.0
        canvas *= 1.0 - alpha
        canvas += warped[..., :3]


def _over_white(rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    return (rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)


__all__ = ["Actor", "ClipConfig", "RealArtClip", "Shot", "plan_shots"]
