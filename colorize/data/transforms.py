"""Augmentations for (colour, line-art) pairs: one geometry for both images, colour changes for one.

A pix2pix colorizer learns a pixel-to-pixel mapping, so every geometric change (scale, crop, flip)
must move the line-art and the colour frame identically; albumentations does that when the line-art
is registered as an additional *image* target of the same Compose (same sampled parameters, and
linear interpolation for both, so thin lines stay lines instead of nearest-neighbour stairs).
Photometric changes (jitter, blur, ...) must never reach the line-art, so they live in a second
Compose that only ever sees the colour image.

    t = train_transform(crop=256, scale=(0.8, 1.2), flip=True)
    color_out, line_out = t(color, line)       # H x W x 3 uint8, H x W uint8 -> crop x crop each
    t.reseed(1234)                              # per DataLoader worker, see PairedDataset

Padding (a frame smaller than the crop) is white in both images: 255 is paper in line-art, and a
white colour border is the matching "nothing drawn here".
"""

from __future__ import annotations

from typing import Sequence

import albumentations as A
import cv2
import numpy as np

PAPER = 255  # fill value for padding: paper in line-art, white in colour


class PairTransform:
    """Apply `geometric` identically to colour and line-art, then `color_only` to the colour alone.

    Call with colour (H x W x 3 uint8 RGB) and line-art (H x W uint8, same H and W); returns the pair
    with the output geometry of `geometric` (crop x crop for the builders below), dtypes unchanged.
    Picklable (plain albumentations objects), so it travels to DataLoader workers.
    """

    def __init__(self, geometric: A.Compose, color_only: A.Compose | None = None):
        self.geometric = geometric
        self.color_only = color_only

    def __call__(self, color: np.ndarray, lineart: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if color.shape[:2] != lineart.shape[:2]:
            raise ValueError(f"colour {color.shape[:2]} and line-art {lineart.shape[:2]} differ in size")
        out = self.geometric(image=color, lineart=lineart)
        color, lineart = out["image"], out["lineart"]
        if self.color_only is not None:
            color = self.color_only(image=color)["image"]
        # albumentations may hand back H x W x 1 for a 2-D input; the contract is H x W.
        return np.ascontiguousarray(color), np.ascontiguousarray(lineart.reshape(lineart.shape[:2]))

    def group(self, color: np.ndarray, lineart: np.ndarray, **others: np.ndarray) -> dict[str, np.ndarray]:
        """The same geometry on more same-size images (names given as `extra_targets` when building):
        returns {"color", "lineart", **others}; `color_only` reaches the colour image alone."""
        out = self.geometric(image=color, lineart=lineart, **others)
        color = out["image"] if self.color_only is None else self.color_only(image=out["image"])["image"]
        result = {"color": color, "lineart": out["lineart"], **{k: out[k] for k in others}}
        return {k: np.ascontiguousarray(v.reshape(v.shape[:2]) if v.ndim == 3 and v.shape[2] == 1 else v)
                for k, v in result.items()}

    def reseed(self, seed: int) -> None:
        """Restart the random streams from `seed` (forked workers otherwise share one stream)."""
        self.geometric.set_random_seed(seed)
        if self.color_only is not None:
            self.color_only.set_random_seed(seed + 1)


def _pair_compose(transforms: list, extra_targets: Sequence[str] = ()) -> A.Compose:
    """A Compose where the key `lineart` (and each of `extra_targets`) is another image that receives
    the same parameters."""
    return A.Compose(transforms, additional_targets={name: "image" for name in ("lineart", *extra_targets)})


def _pad_to(crop: int) -> A.PadIfNeeded:
    """Pad with paper-white up to crop x crop, centred, when a side is shorter than the crop."""
    return A.PadIfNeeded(min_height=crop, min_width=crop, border_mode=cv2.BORDER_CONSTANT, fill=PAPER,
                         position="center")


def train_transform(crop: int, scale: Sequence[float] = (0.8, 1.2), flip: bool = True,
                    color_only: A.Compose | None = None, extra_targets: Sequence[str] = ()) -> PairTransform:
    """Random scale in `scale` (factors, e.g. 0.8 to 1.2), white pad to `crop`, random crop, h-flip.

    `color_only` is an optional photometric Compose applied to the colour image alone (none by
    default: hue or brightness jitter would teach a colorizer the wrong palette).
    """
    low, high = float(scale[0]), float(scale[1])
    steps: list = []
    if (low, high) != (1.0, 1.0):
        # scale_limit is relative to 1; INTER_AREA when shrinking keeps 1-px lines from vanishing.
        steps.append(A.RandomScale(scale_limit=(low - 1.0, high - 1.0), interpolation=cv2.INTER_LINEAR,
                                   area_for_downscale="image", p=1.0))
    steps += [_pad_to(crop), A.RandomCrop(height=crop, width=crop)]
    if flip:
        steps.append(A.HorizontalFlip(p=0.5))
    return PairTransform(_pair_compose(steps, extra_targets), color_only)


def val_transform(crop: int, extra_targets: Sequence[str] = ()) -> PairTransform:
    """Deterministic: white pad to `crop` where needed, then the centre crop x crop."""
    return PairTransform(_pair_compose([_pad_to(crop), A.CenterCrop(height=crop, width=crop)], extra_targets))
