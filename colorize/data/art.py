"""Folders of real cartoon art, as the clips stage reads them, and a small image cache.

An art folder holds one source (one package, one artist's set) laid out by kind:

    ART/source.json             {"name": ..., "version": ..., "licence": ...} (more keys are kept)
    ART/characters/**.png       RGBA sprites and characters, transparent around the figure
    ART/backgrounds/**.png|jpg  opaque paintings, larger than a frame
    ART/sequences/NAME/*.png    animation frames of one figure (a walk cycle), in name order

Any of the three kind folders may be missing; a source with none of them is an error. The
source's name, version and licence travel into every manifest written from it.

    sources = load_sources(["art/kenney", "art/pingus"])
    cache = ImageCache()
    rgba = cache.rgba(sources[0].characters[0])       # H x W x 4 uint8, RGB order, alpha 255 = opaque
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import cv2
import numpy as np

from colorize.errors import InputError
from colorize.images import IMAGE_SUFFIXES

SOURCE_FILE = "source.json"
REQUIRED_KEYS = ("name", "version", "licence")


@dataclass(frozen=True)
class ArtSource:
    """One art folder: its recorded origin and its images by kind (sorted, so runs are deterministic)."""

    folder: Path
    info: dict[str, Any]
    characters: tuple[Path, ...] = ()
    backgrounds: tuple[Path, ...] = ()
    sequences: tuple[tuple[Path, ...], ...] = ()

    @property
    def name(self) -> str:
        return str(self.info["name"])

    @property
    def figures(self) -> tuple[tuple[Path, ...], ...]:
        """Everything that can play a character: stills as one-frame sequences, then the sequences."""
        return tuple((p,) for p in self.characters) + self.sequences

    def relative(self, path: Path) -> str:
        """`path` relative to the art folder, with forward slashes (as manifests record it)."""
        return path.relative_to(self.folder).as_posix()


def _images_below(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
                  and not p.name.startswith("."))


def _read_info(folder: Path) -> dict[str, Any]:
    path = folder / SOURCE_FILE
    if not path.is_file():
        raise InputError(f"art folder {folder} has no {SOURCE_FILE}; add one with the source's name, "
                         "version and licence")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if not isinstance(info, dict):
        raise InputError(f"{path} must hold a JSON object with {', '.join(REQUIRED_KEYS)}")
    missing = [k for k in REQUIRED_KEYS if not str(info.get(k, "")).strip()]
    if missing:
        raise InputError(f"{path} has no {missing[0]!r}; every source needs {', '.join(REQUIRED_KEYS)}")
    return info


def load_source(folder: str | os.PathLike) -> ArtSource:
    """Read one art folder (see the module docstring); InputError naming the folder when unusable."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"art folder {folder} does not exist")
    info = _read_info(folder)
    sequences_dir = folder / "sequences"
    sequences = []
    if sequences_dir.is_dir():
        for sub in sorted(p for p in sequences_dir.iterdir() if p.is_dir()):
            frames = _images_below(sub)
            if frames:
                sequences.append(tuple(frames))
    source = ArtSource(folder=folder, info=info, characters=tuple(_images_below(folder / "characters")),
                       backgrounds=tuple(_images_below(folder / "backgrounds")), sequences=tuple(sequences))
    if not (source.characters or source.backgrounds or source.sequences):
        raise InputError(f"art folder {folder} has no images under characters/, backgrounds/ or sequences/")
    return source


def load_sources(folders: Iterable[str | os.PathLike]) -> list[ArtSource]:
    """Read every art folder; InputError when none is given or none has a character to animate."""
    sources = [load_source(f) for f in folders]
    if not sources:
        raise InputError("no art folders given")
    if not any(s.figures for s in sources):
        raise InputError("none of the art folders has characters/ or sequences/ to animate")
    return sources


@dataclass
class ImageCache:
    """Decoded RGBA images by path, least recently used dropped beyond `capacity` (memory stays flat)."""

    capacity: int = 48
    _items: OrderedDict = field(default_factory=OrderedDict)

    def rgba(self, path: Path) -> np.ndarray:
        """H x W x 4 uint8 in RGB(A) order; images without alpha get alpha 255. InputError if unreadable."""
        key = str(path)
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        image = _read_rgba(path)
        self._items[key] = image
        if len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return image


def _read_rgba(path: Path) -> np.ndarray:
    data = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if data is None:
        raise InputError(f"cannot read image {path}")
    if data.dtype != np.uint8:  # 16-bit PNGs: keep the top byte
        data = (data / 257).astype(np.uint8) if data.dtype == np.uint16 else np.clip(data, 0, 255).astype(np.uint8)
    if data.ndim == 2:
        data = cv2.cvtColor(data, cv2.COLOR_GRAY2BGRA)
    elif data.shape[2] == 3:
        data = cv2.cvtColor(data, cv2.COLOR_BGR2BGRA)
    return np.ascontiguousarray(cv2.cvtColor(data, cv2.COLOR_BGRA2RGBA))


__all__ = ["ArtSource", "ImageCache", "REQUIRED_KEYS", "SOURCE_FILE", "load_source", "load_sources"]
