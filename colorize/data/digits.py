"""scikit-learn's 8x8 handwritten digits as a small, real, labelled image set that needs no download.

`sklearn.datasets.load_digits` ships 1797 greyscale 8x8 digits (values 0-16) inside scikit-learn.
They are upsampled (bilinear) to the model size, so every GAN variant can train offline on a CPU:

    ds = DigitsDataset(size=32)                  # ds[i] -> (1 x 32 x 32 float32 in [-1, 1], label 0-9)
    pair = UnpairedDigits(size=32, style="bold") # pair[i] -> (plain digit, an unrelated bold digit)

Convention: ink is +1 (white), paper is -1 (black), as the digits are stored (ink = high values).
"""

from __future__ import annotations

import functools
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from colorize.errors import ConfigError

DigitStyle = Literal["bold", "inverted"]
DIGIT_STYLES = ("bold", "inverted")
NUM_DIGIT_CLASSES = 10
TRAIN_FRACTION = 0.8  # the first 80% (sklearn's fixed order) train, the rest is held out for metrics


@functools.lru_cache(maxsize=4)
def digit_tensors(size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """All 1797 digits as (N x 1 x size x size float32 in [-1, 1], N int64 labels); cached per size."""
    if size < 8:
        raise ConfigError(f"digits need a size of at least 8 pixels, got {size}")
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.from_numpy(bunch.images.astype(np.float32) / 16.0).unsqueeze(1)  # N x 1 x 8 x 8, [0, 1]
    if size != 8:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    images = images.clamp(0.0, 1.0) * 2.0 - 1.0
    return images.contiguous(), torch.from_numpy(bunch.target.astype(np.int64))


def _split(n: int, split: str) -> slice:
    cut = int(n * TRAIN_FRACTION)
    if split == "train":
        return slice(0, cut)
    if split == "test":
        return slice(cut, n)
    if split == "all":
        return slice(0, n)
    raise ConfigError(f"unknown digits split {split!r} (known: train, test, all)")


class DigitsDataset(Dataset):
    """Labelled digits: `ds[i]` -> (1 x size x size float32 in [-1, 1], int label 0-9).

    `split`: "train" (first 80%), "test" (last 20%) or "all"; deterministic, no augmentation.
    """

    num_classes = NUM_DIGIT_CLASSES
    channels = 1

    def __init__(self, size: int = 32, split: str = "train"):
        images, labels = digit_tensors(size)
        part = _split(len(images), split)
        self.images, self.labels = images[part], labels[part]
        self.size = size

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index], int(self.labels[index])


def stylize_digits(images: torch.Tensor, style: DigitStyle) -> torch.Tensor:
    """The second domain of the built-in unpaired pair, from B x 1 x H x W digits in [-1, 1].

    "bold": strokes thickened by a 3x3 grey dilation at 32 px (scaled with size), a shape change a
        CycleGAN must learn; "inverted": black ink on white paper, a pure intensity mapping.
    """
    if style == "inverted":
        return -images
    if style == "bold":
        radius = max(1, images.shape[-1] // 32)
        return F.max_pool2d(images, kernel_size=2 * radius + 1, stride=1, padding=radius)
    raise ConfigError(f"unknown digit style {style!r} (known: {', '.join(DIGIT_STYLES)})")


class UnpairedDigits(Dataset):
    """Two unpaired domains for CycleGAN: `ds[i]` -> (plain digit A_i, stylized digit B_j), j unrelated to i.

    B is the same split stylized (see `stylize_digits`) and then shuffled with a fixed permutation,
    so A_i and B_j are different digits (usually of a different class): nothing is paired.
    """

    channels = 1

    def __init__(self, size: int = 32, split: str = "train", style: DigitStyle = "bold"):
        plain = DigitsDataset(size, split)
        order = torch.randperm(len(plain), generator=torch.Generator().manual_seed(1234))
        self.a, self.labels_a = plain.images, plain.labels
        self.b = stylize_digits(plain.images[order], style)
        self.size = size

    def __len__(self) -> int:
        return len(self.a)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.a[index], self.b[index]
