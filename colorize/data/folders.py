"""Any image folder as a GAN training set: one class per subfolder, or two unpaired domains.

    ds = ImageFolderDataset("faces/", size=64)          # ds[i] -> (C x 64 x 64 in [-1, 1], label)
    pair = UnpairedFolders("sketch/", "anime/", 64)     # pair[i] -> (image of A, unrelated image of B)

Classes: when `root` has subfolders holding images, each subfolder (sorted by name) is a class and
images directly in `root` are refused (ambiguous); otherwise every image has label 0 and
`num_classes` is 0. Images are read with colorize.images.read_rgb, centre-cropped to a square and
resized (area interpolation when shrinking) to `size`; `channels=1` keeps luminance only.
Nothing is held in memory but the file list: images are decoded on access, in the loader's workers.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from colorize.errors import ConfigError, InputError
from colorize.images import is_image, list_images, read_rgb


def load_square(path: Path, size: int, channels: int) -> torch.Tensor:
    """One image file -> channels x size x size float32 in [-1, 1] (centre crop, then resize)."""
    rgb = read_rgb(path)
    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = rgb[top:top + side, left:left + side]
    interp = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    square = cv2.resize(square, (size, size), interpolation=interp)
    if channels == 1:
        square = cv2.cvtColor(square, cv2.COLOR_RGB2GRAY)[:, :, None]
    tensor = torch.from_numpy(np.ascontiguousarray(square)).permute(2, 0, 1).float()
    return tensor / 127.5 - 1.0


def _check_channels(channels: int) -> None:
    if channels not in (1, 3):
        raise ConfigError(f"image channels must be 1 or 3, got {channels}")


def _class_folders(root: Path) -> list[Path]:
    """Subfolders of `root` that hold at least one image (recursively), sorted by name."""
    return sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")
                  and any(is_image(p) for p in d.rglob("*")))


class ImageFolderDataset(Dataset):
    """Images below `root`: `ds[i]` -> (channels x size x size float32 in [-1, 1], int label).

    `class_names` lists the subfolders used as classes ([] when unlabelled, every label 0).
    """

    def __init__(self, root: str | os.PathLike, size: int = 64, channels: int = 3):
        _check_channels(channels)
        self.root, self.size, self.channels = Path(root), size, channels
        files = list_images(self.root)  # InputError when missing or empty
        self.class_names = [d.name for d in _class_folders(self.root)]
        if self.class_names:
            loose = [p for p in files if p.parent == self.root]
            if loose:
                raise InputError(f"{self.root} mixes class subfolders with loose images such as "
                                 f"{loose[0].name}; move them into a class folder")
            index = {name: i for i, name in enumerate(self.class_names)}
            self.labels = [index[p.relative_to(self.root).parts[0]] for p in files]
        else:
            self.labels = [0] * len(files)
        self.files = files

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return load_square(self.files[index], self.size, self.channels), self.labels[index]


class UnpairedFolders(Dataset):
    """Two image folders for CycleGAN: `ds[i]` -> (A image i, B image (i * 7919 + 17) mod len(B)).

    Length is that of the larger folder; the smaller one wraps around. The index map for B is a
    fixed stride through B, so that A_i and B_j are unrelated even when both folders list files in
    the same (e.g. frame-number) order.
    """

    def __init__(self, a_root: str | os.PathLike, b_root: str | os.PathLike, size: int = 64, channels: int = 3):
        _check_channels(channels)
        self.a_files, self.b_files = list_images(a_root), list_images(b_root)
        self.size, self.channels = size, channels

    def __len__(self) -> int:
        return max(len(self.a_files), len(self.b_files))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        a = self.a_files[index % len(self.a_files)]
        b = self.b_files[(index * 7919 + 17) % len(self.b_files)]
        return load_square(a, self.size, self.channels), load_square(b, self.size, self.channels)


def unpaired_roots(data: str | os.PathLike, data_b: str | os.PathLike | None) -> tuple[Path, Path]:
    """The two domain folders: (`data`, `data_b`) when both are given, else `data`/A and `data`/B."""
    if data_b is not None:
        return Path(data), Path(data_b)
    root = Path(data)
    a, b = root / "A", root / "B"
    if not (a.is_dir() and b.is_dir()):
        raise InputError(f"{root} needs subfolders A/ and B/ for an unpaired (cyclegan) run, "
                         f"or pass the second domain with --data-b")
    return a, b
