"""The training dataset over a PairIndex (colorize.data.paired), and the readers of its cached PNGs.

    index = prepare_pairs(["ep01.mp4", "frames/ep02"], cfg)
    train = PairedDataset(index, "train", cfg)     # random scale / crop / flip, line-art augmentation
    val = PairedDataset(index, "val", cfg)         # centre crop, identical on every call
    train[0] -> {"lineart": 1 x crop x crop, "color": 3 x crop x crop (float in [0, 1]), "clip", "frame"}
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from colorize.data.lineart_augment import LineArtAugmentConfig, LineArtAugmenter, recipe_path
from colorize.data.paired import PairedDataConfig, PairIndex, Split
from colorize.data.transforms import PairTransform, train_transform, val_transform
from colorize.errors import InputError
from colorize.images import read_rgb


def read_lineart(path: Path) -> np.ndarray:
    """A cached line-art PNG as H x W uint8; InputError if it has gone missing or is unreadable."""
    data = np.fromfile(str(path), dtype=np.uint8) if path.is_file() else np.zeros(0, np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if img is None:
        raise InputError(f"cached line-art {path} is missing or corrupt; delete {path.parent.parent} "
                         f"and run again to rebuild it")
    return img


def read_color(path: Path) -> np.ndarray:
    """A cached colour PNG as H x W x 3 uint8 RGB; InputError (naming the cache folder) if unusable."""
    try:
        return read_rgb(path)
    except InputError:
        raise InputError(f"cached frame {path} is missing or corrupt; delete {path.parent.parent} "
                         f"and run again to rebuild it") from None


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """H x W (x C) uint8 -> C x H x W float32 in [0, 1].

    Converted in numpy: torch's multi-threaded kernels cost more to wake than a 256 x 256 crop is
    worth, and on a busy CPU they made this the slowest step of an item (tens of ms, measured).
    """
    chw = image[None] if image.ndim == 2 else image.transpose(2, 0, 1)
    scaled = np.ascontiguousarray(chw, dtype=np.float32)
    scaled /= 255.0  # division, not * (1/255): 255 must map to exactly 1.0
    return torch.from_numpy(scaled)


class PairedDataset(torch.utils.data.Dataset):
    """(line-art, colour) crops of one split of a PairIndex.

    item -> {"lineart": 1 x crop x crop float32 in [0, 1] (1 = paper), "color": 3 x crop x crop
    float32 in [0, 1], "clip": clip number in the index, "frame": source frame index}.
    Train items are randomly scaled, cropped and flipped (the same geometry for both images); val
    items are centre crops, identical on every call. Holds only paths and the transform: no file
    handles and no tensors, so it pickles into DataLoader workers (fork or spawn).
    """

    def __init__(self, index: PairIndex, split: Split, cfg: PairedDataConfig):
        self.split = split
        self.clips = index.clips
        self.items = index.samples(split)
        if split == "train":
            self.transform: PairTransform = train_transform(cfg.crop, cfg.scale, cfg.flip)
        else:
            self.transform = val_transform(cfg.crop)
        self.primary = cfg.lineart.method
        self.augment = LineArtAugmenter(cfg.lineart_augment if split == "train" else LineArtAugmentConfig(),
                                        self.primary)
        self._rng = np.random.default_rng(0)
        self._seeded_from: int | None = None

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        clip, ref = self.items[i]
        color_path, line_path = self.clips[clip].paths(ref)
        self._reseed_if_new_worker()
        line_path = recipe_path(line_path, self.augment.pick_recipe(self._rng), self.primary)
        color, line = self.transform(read_color(color_path), read_lineart(line_path))
        line = self.augment(line, self._rng)
        return {"lineart": to_tensor(line), "color": to_tensor(color), "clip": clip, "frame": ref.index}

    def _reseed_if_new_worker(self) -> None:
        """Seed the augmentation from torch's per-process seed whenever that seed changes.

        Forked DataLoader workers inherit the parent's albumentations generator, so without this
        every worker, and every epoch (workers are re-forked), would repeat the same crops. torch
        gives each worker of each epoch its own initial seed; in the main process it follows
        torch.manual_seed, which makes single-process runs repeatable.
        """
        seed = torch.initial_seed()
        if seed != self._seeded_from:
            self.transform.reseed(seed % 2**32)
            self._rng = np.random.default_rng(seed % 2**32)
            self._seeded_from = seed
