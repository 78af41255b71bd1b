"""Tiny generator files and line drawings shared by the colorize job tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from colorize.config import to_dict
from colorize.lineart.recipes import LineArtConfig
from colorize.nets.files import save_generator
from colorize.nets.unet import UNetGenerator



def tiny_unet(norm: str = "none", dropout: float = 0.0) -> UNetGenerator:
    """depth 4 (stride 16), 8 base channels: a few thousand parameters."""
    return UNetGenerator(depth=4, base_channels=8, max_channels=32, norm=norm, dropout=dropout,
                         dropout_layers=2 if dropout else 0)


def save_tiny_model(path: Path, net: UNetGenerator | None = None, lineart: bool = True) -> Path:
    net = net or tiny_unet()
    meta = {"architecture": {"name": "unet", "kwargs": net.config}, "stride": net.stride}
    if lineart:
        meta["lineart"] = to_dict(LineArtConfig(backend="opencv"))
    return save_generator(path, net, meta)


def line_drawing(height: int, width: int, seed: int = 0) -> np.ndarray:
    """H x W uint8 line-art: white paper with a few black rectangles' outlines and lines."""
    rng = np.random.default_rng(seed)
    img = np.full((height, width), 255, np.uint8)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, width - 10)), int(rng.integers(0, height - 10))
        x1, y1 = int(rng.integers(x0 + 5, width)), int(rng.integers(y0 + 5, height))
        cv2.rectangle(img, (x0, y0), (x1, y1), 0, 1)
    return img


