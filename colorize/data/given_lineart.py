"""Folders of true line-art with its colouring: pairs given, not drawn by a recipe.

    NAME/colour/0001.png    H x W x 3 colouring (any size; RGBA is composited on white)
    NAME/lineart/0001.png   H x W line-art of the same drawing (255 paper, 0 ink), matched by file name

Such a folder (pipelines/svgart/prepare_svg.py writes them from vector art) is one training input
when `[data] paired_folders = true`: its line-art is read instead of drawn, so the model learns what
an artist's own lines look like, and every pair is a still (its own shot: no keyframe reference).
The two images of a pair must have the same size; pairs of one folder may differ in size.

    is_pair_folder(path)           -> bool
    pair_files(path)               -> [(colour file, line-art file)], sorted by name; InputError if none
    iter_given_pairs(path, every, limit, resize_short) -> (Frame of the colour, H x W uint8 line-art)
"""

from __future__ import annotations

import os
from itertools import islice
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from colorize.errors import InputError
from colorize.images import is_image, read_rgb
from colorize.media.frames import Frame, resize_to

COLOUR, LINEART = "colour", "lineart"


def is_pair_folder(path: str | os.PathLike) -> bool:
    """True for a folder with colour/ and lineart/ subfolders."""
    path = Path(path)
    return (path / COLOUR).is_dir() and (path / LINEART).is_dir()


def pair_files(path: str | os.PathLike) -> list[tuple[Path, Path]]:
    """(colour, line-art) files of a pair folder, matched by name (suffix may differ), sorted.

    InputError when no colour image has its line-art (a colour image without one is an error too:
    it usually means a half-copied folder).
    """
    path = Path(path)
    lines = {f.stem: f for f in sorted((path / LINEART).iterdir()) if is_image(f)}
    colours = [f for f in sorted((path / COLOUR).iterdir()) if is_image(f)]
    missing = [f.name for f in colours if f.stem not in lines]
    if missing:
        raise InputError(f"{path / COLOUR / missing[0]} has no line-art in {path / LINEART} "
                         f"({len(missing)} colour images without one)")
    if not colours:
        raise InputError(f"no (colour, line-art) pairs in {path}: expected images in {COLOUR}/ and {LINEART}/")
    return [(f, lines[f.stem]) for f in colours]


def read_given_lineart(path: Path) -> np.ndarray:
    """A line-art file as H x W uint8 (RGB(A) is converted to gray, on white)."""
    return cv2.cvtColor(read_rgb(path), cv2.COLOR_RGB2GRAY)


def _short_side(image: np.ndarray, short: int | None) -> np.ndarray:
    if not short:
        return image
    h, w = image.shape[:2]
    factor = short / min(h, w)
    return resize_to(image, (max(1, round(w * factor)), max(1, round(h * factor))))


def iter_given_pairs(path: str | os.PathLike, every: int = 1, limit: int | None = None,
                     resize_short: int | None = None) -> Iterator[tuple[Frame, np.ndarray]]:
    """Stream (colour Frame, line-art) for every `every`-th pair, at most `limit`, both resized alike.

    Frame.index is the pair's position in name order, time = index (stills have no clock).
    InputError when a pair's two images differ in size.
    """
    for index, (colour_file, line_file) in islice(enumerate(pair_files(path)), 0, limit and limit * every, every):
        colour, line = read_rgb(colour_file), read_given_lineart(line_file)
        if colour.shape[:2] != line.shape:
            raise InputError(f"{line_file} is {line.shape[1]}x{line.shape[0]} but its colour image "
                             f"{colour_file.name} is {colour.shape[1]}x{colour.shape[0]}")
        yield Frame(index=index, time=float(index), image=_short_side(colour, resize_short)), \
            _short_side(line, resize_short)


def count_pairs(path: str | os.PathLike, every: int = 1, limit: int | None = None) -> int:
    n = -(-len(pair_files(path)) // every)
    return n if limit is None else min(n, limit)
