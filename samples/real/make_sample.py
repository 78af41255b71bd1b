"""Write samples/real/sample.mp4: a 3.5 s clip of real cartoon art (Kenney's CC0 sprites; 256x192,
12 fps, two shots, 523 Hz tone), and samples/real/keys/: the true coloured first and last frames of each
shot, named by frame number, as an artist's key poses on both sides of the in-betweens.

Everything comes from samples/real/art/ (CC0, see SOURCES.md), so this runs offline:
  shot 1 (frames 0-20): a meadow built from grass tiles; the camera pans right while an adventurer
                        walks, a bee flies across and a ladybird crawls.
  shot 2 (frames 21-41): a desert from sand tiles; the camera zooms in while a robot walks left,
                        a man walks in from the left edge and a frog and a slime sit by a cactus.
The backgrounds are composed from the tiles (written to art/backgrounds/), then the clip is drawn
by colorize.data.clips with this scripted plan, so rerunning gives the same picture and sound:

    python samples/real/make_sample.py [OUTPUT.mp4]
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from colorize.data.art import ImageCache, load_source
from colorize.data.clips import Actor, ClipConfig, RealArtClip, Shot
from colorize.images import write_image
from colorize.media.encode import write_video

HERE = Path(__file__).resolve().parent
ART = HERE / "art"
CFG = ClipConfig(width=256, height=192, n_frames=42, fps=12.0, walk_fps=10.0, seed=0)
STAGE = (352, 208)       # stage pixels (wider than the view, so the camera can pan)
GROUND_TOP = 150         # stage row where the ground tiles start
TILE = 58                # tiles drawn at this size (the originals are 128 px)
TONE_HZ = 523.25


def _paste(canvas: np.ndarray, rgba: np.ndarray, x: int, y: int, size: int) -> None:
    """Composite a tile/sprite scaled to `size` px (square tiles) with its top-left at (x, y)."""
    tile = cv2.resize(rgba, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
    h, w = canvas.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + size, w), min(y + size, h)
    if x0 >= x1 or y0 >= y1:
        return
    part = tile[y0 - y:y1 - y, x0 - x:x1 - x]
    alpha = part[..., 3:4] / 255.0
    canvas[y0:y1, x0:x1] = canvas[y0:y1, x0:x1] * (1 - alpha) + part[..., :3] * alpha


def compose_background(top, bottom, surface: str, fill: str, props: list[tuple[str, int]]) -> np.ndarray:
    """Sky gradient from `top` to `bottom` (RGB), a row of `surface` tiles on `fill` tiles, props on it."""
    cache = ImageCache()
    width, height = STAGE
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    canvas = np.repeat(np.float32(top) * (1 - t) + np.float32(bottom) * t, width, axis=1)
    for x in range(0, width, TILE):
        _paste(canvas, cache.rgba(ART / "tiles" / f"{surface}.png"), x, GROUND_TOP, TILE)
        for y in range(GROUND_TOP + TILE, height, TILE):
            _paste(canvas, cache.rgba(ART / "tiles" / f"{fill}.png"), x, y, TILE)
    for name, x in props:
        _paste(canvas, cache.rgba(ART / "tiles" / f"{name}.png"), x, GROUND_TOP - TILE, TILE)
    return np.clip(canvas + 0.5, 0, 255).astype(np.uint8)


def _walk(name: str) -> tuple[Path, ...]:
    return tuple(sorted((ART / "sequences" / f"{name}_walk").glob("*.png")))


def _actor(frames, start, end, height, flip=False, angle=(0.0, 0.0), entering=False) -> Actor:
    if isinstance(frames, str):
        frames = (ART / "characters" / f"{frames}.png",)
    return Actor(source=0, frames=frames, start=start, end=end, height=(height, height), angle=angle,
                 flip=flip, phase=0, entering=entering)


def scripted_shots(meadow: Path, desert: Path) -> list[Shot]:
    feet = GROUND_TOP + 6  # sprites have a little transparent margin under their feet
    first = Shot(start=0, end=21, stage=STAGE, background=(0, meadow), ground=((0, 0, 0), (0, 0, 0)),
                 camera=((128.0, 96.0, 1.0), (214.0, 100.0, 1.0)),
                 actors=(_actor("ladybug", (250.0, feet - 16.0), (225.0, feet - 16.0), 34.0, flip=True),
                         _actor(_walk("femaleAdventurer"), (70.0, feet - 40.0), (215.0, feet - 40.0), 80.0),
                         _actor("bee", (330.0, 40.0), (190.0, 62.0), 40.0, flip=False, angle=(-8.0, 6.0))))
    second = Shot(start=21, end=42, stage=STAGE, background=(0, desert), ground=((0, 0, 0), (0, 0, 0)),
                  camera=((176.0, 104.0, 1.0), (190.0, 112.0, 1.3)),
                  actors=(_actor("frog", (250.0, feet - 20.0), (250.0, feet - 20.0), 40.0, flip=True),
                          _actor("slimeBlue", (120.0, feet - 14.0), (135.0, feet - 14.0), 28.0),
                          _actor(_walk("robot"), (270.0, feet - 40.0), (175.0, feet - 40.0), 80.0, flip=True),
                          _actor(_walk("malePerson"), (30.0, feet - 38.0), (115.0, feet - 38.0), 76.0,
                                 entering=True)))
    return [first, second]


def build_clip() -> RealArtClip:
    backgrounds = ART / "backgrounds"
    meadow = write_image(backgrounds / "meadow.png", compose_background(
        (120, 190, 245), (225, 240, 250), "grassMid", "grassCenter",
        [("bush", 12), ("mushroomRed", 120), ("plantPurple", 176), ("signRight", 290)]))
    desert = write_image(backgrounds / "desert.png", compose_background(
        (250, 200, 130), (255, 240, 200), "sandMid", "sandCenter",
        [("cactus", 20), ("rock", 150), ("cactus", 300)]))
    return RealArtClip([load_source(ART)], CFG, shots=scripted_shots(meadow, desert))


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else HERE / "sample.mp4"
    clip = build_clip()
    path = write_video(iter(clip), out, CFG.fps, tone_hz=TONE_HZ, crf=14)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB, {CFG.n_frames} frames, "
          f"{CFG.width}x{CFG.height} at {CFG.fps:g} fps, {TONE_HZ:g} Hz tone, cuts at {clip.cuts})")
    for shot in clip.shots:  # keys on both sides of each shot's move: its first and last frames
        for number in (shot.start, shot.end - 1):
            print(f"wrote {write_image(out.parent / 'keys' / f'{number:06d}.png', clip.frame(number))}")


if __name__ == "__main__":
    main(sys.argv[1:])
