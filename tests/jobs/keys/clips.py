"""Generated clips for the jobs/keys tests: slow pans over outlined discs, a character walking in."""

from __future__ import annotations

import cv2
import numpy as np

from colorize.media.frames import Frame


def scenery(width: int, height: int, seed: int) -> np.ndarray:
    """A pale background strewn with outlined discs (H x W x 3 uint8 RGB), wider than a frame for pans."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 235, np.uint8)
    for _ in range(width * height // 700):
        colour = tuple(int(v) for v in rng.integers(80, 230, 3))
        x, y, r = int(rng.integers(0, width)), int(rng.integers(0, height)), int(rng.integers(4, 10))
        cv2.circle(image, (x, y), r, colour, -1)
        cv2.circle(image, (x, y), r, (20, 20, 20), 1)
    return image


def character(image: np.ndarray, x: int) -> None:
    """Draw a boxy character with an eye and a belt, its left edge at column x (clipped by the frame)."""
    cv2.rectangle(image, (x, 14), (x + 34, 66), (200, 60, 60), -1)
    cv2.rectangle(image, (x, 14), (x + 34, 66), (10, 10, 10), 1)
    cv2.circle(image, (x + 12, 26), 6, (240, 240, 90), -1)
    cv2.circle(image, (x + 12, 26), 6, (10, 10, 10), 1)
    cv2.line(image, (x, 44), (x + 34, 44), (10, 10, 10), 1)


def pan_clip(n: int = 24, width: int = 128, height: int = 80, speed: int = 1, enter: int | None = 12,
             seed: int = 0, first_index: int = 0) -> list[Frame]:
    """A slow pan over `scenery`; from frame `enter` a character walks in from the right (10 px a
    frame, then stands at x = 80)."""
    ground = scenery(width + speed * n + 2, height, seed)
    frames = []
    for t in range(n):
        image = ground[:, speed * t: speed * t + width].copy()
        if enter is not None and t >= enter:
            character(image, max(80, width - 10 * (t - enter + 1)))
        frames.append(Frame(index=first_index + t, time=t / 12, image=image))
    return frames


def two_shots() -> list[Frame]:
    """Two 12-frame pans over different sceneries, the second tinted blue (a clear cut at 12)."""
    second = [Frame(f.index, f.time, (f.image * np.array([0.5, 0.6, 1.0])).astype(np.uint8))
              for f in pan_clip(n=12, enter=None, seed=2, first_index=12)]
    return pan_clip(n=12, enter=None, seed=1) + second
