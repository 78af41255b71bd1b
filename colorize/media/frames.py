"""Frames: the Frame record, folders of images as Frame streams, resizing and batching.

    for frame in iter_folder("frames/"):   # Frame(index, time, H x W x 3 uint8 RGB)
        ...
    for batch in batch_by_size(frames, 8):  # lists of equal-shape frames
        ...
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Iterator

import cv2
import numpy as np

from colorize.errors import InputError
from colorize.images import list_images, read_rgb


@dataclass(frozen=True)
class Frame:
    """One frame: `index` in the source (video frame number or folder position), `time` in seconds,
    `image` H x W x 3 uint8 RGB (or H x W uint8 for line-art, 255 = paper).

    `cut`: whether the frame starts a shot, set once per stream by `media.shots.mark_cuts` and read by
    whatever follows (keyframe guidance, temporal smoothing); None while the stream is not annotated.
    `lineart`: the frame's line-art (H x W uint8, 255 = paper) when a stage drew it ahead (the video job
    draws it in the decode thread, so it overlaps the generator); None otherwise.
    `key`: the artist's colour keyframe for this frame (H x W x 3 uint8 RGB at the frame's size),
    read and resized once when the stream is made; None for a frame without one.
    `keys_ahead`: whether a keyframe comes later in the stream (set with `key`, by attach_keys), so a
    filter that waits for the next key need not wait when none comes; None: not known.
    """

    index: int
    time: float
    image: np.ndarray
    cut: bool | None = None
    lineart: np.ndarray | None = None
    key: np.ndarray | None = None
    keys_ahead: bool | None = None


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    """Validate a (width, height) pair of positive whole numbers; ValueError otherwise."""
    if len(size) != 2 or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in size):
        raise ValueError(f"size must be (width, height) in whole pixels >= 1, got {size!r}")
    return int(size[0]), int(size[1])


def resize_to(image: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """Resize H x W (x C) uint8 `image` to `size` = (width, height); area filter when shrinking."""
    if size is None or (image.shape[1], image.shape[0]) == tuple(size):
        return image
    shrinking = size[0] * size[1] < image.shape[0] * image.shape[1]
    return cv2.resize(image, tuple(size), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def iter_folder(folder: str | os.PathLike, size: tuple[int, int] | None = None, fps: float = 1.0,
                ) -> Iterator[Frame]:
    """Stream Frames from the images in `folder` (sorted, recursive; see images.list_images).

    index = position in that order, time = index / fps (fps defaults to 1, so time = position when the
    rate is unknown). RGBA, gray and 16-bit images become RGB uint8. With `size` = (width, height)
    every image is resized; without it, an image whose size differs from the first is an InputError.
    """
    if size is not None:
        size = check_size(tuple(size))
    files = list_images(folder)
    first_size: tuple[int, int] | None = None
    for index, file in enumerate(files):
        image = read_rgb(file)
        shape = (image.shape[1], image.shape[0])
        if size is None:
            if first_size is None:
                first_size = shape
            elif shape != first_size:
                raise InputError(f"{file} is {shape[0]}x{shape[1]} but {files[0].name} is "
                                 f"{first_size[0]}x{first_size[1]}; frames in {folder} must share one size "
                                 f"(or pass a size to resize them)")
        yield Frame(index=index, time=index / fps, image=resize_to(image, size))


def batch_by_size(items: Iterable, batch_size: int) -> Iterator[list]:
    """Group consecutive items (with an `.image` array) into lists of <= batch_size equal-shape images."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    group: list = []
    for item in items:
        if group and (len(group) == batch_size or item.image.shape != group[0].image.shape):
            yield group
            group = []
        group.append(item)
    if group:
        yield group
