"""Differentiable augmentation of the discriminator's inputs (DiffAugment, Zhao et al. 2020), with kornia.

D sees every real *and* fake image through the same random augmentation, in D's step and in G's
step, so D cannot memorise a small training set while G still gets gradients through the (kornia,
differentiable) transforms. Policies are comma-separated names:

    "color"        brightness and contrast jitter (+ saturation for 3-channel images)
    "translation"  shift by up to 1/8 of the image, zero (black) fill
    "cutout"       erase one random square covering 6-25% of the image

    aug = DiffAugment("color,translation,cutout")
    d_real = D(aug(real)); d_fake = D(aug(fake))   # B x C x H x W in [-1, 1] -> same shape and range
"""

from __future__ import annotations

import torch
from torch import nn

from colorize.errors import ConfigError

POLICIES = ("color", "translation", "cutout")


def parse_policy(policy: str) -> list[str]:
    """"color, cutout" -> ["color", "cutout"]; "" -> []; ConfigError on an unknown name."""
    names = [p.strip() for p in policy.split(",") if p.strip()]
    unknown = [n for n in names if n not in POLICIES]
    if unknown:
        raise ConfigError(f"unknown augmentation {unknown[0]!r} (known: {', '.join(POLICIES)})")
    return names


def _op(name: str, channels: int) -> nn.Module:
    import kornia.augmentation as K

    if name == "color":
        # Saturation only means something for colour images.
        return K.ColorJiggle(brightness=0.3, contrast=0.3, saturation=0.3 if channels == 3 else 0.0, p=1.0)
    if name == "translation":
        return K.RandomAffine(degrees=0.0, translate=(0.125, 0.125), padding_mode="zeros", p=1.0)
    return K.RandomErasing(scale=(0.0625, 0.25), ratio=(1.0, 1.0), value=0.0, p=1.0)


class DiffAugment(nn.Module):
    """B x C x H x W in [-1, 1] -> the same, augmented per sample; identity for an empty policy.

    Every op is differentiable with respect to its input. Augmentation is drawn from torch's global
    RNG (which the Trainer seeds and checkpoints), so runs repeat. Active in train() and eval() mode:
    it is applied only where a variant calls it, i.e. on D's inputs during training.
    """

    def __init__(self, policy: str = "", channels: int = 3):
        super().__init__()
        self.policy = parse_policy(policy)
        self.ops = nn.ModuleList(_op(name, channels) for name in self.policy)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.policy:
            return x
        y = (x + 1.0) * 0.5  # kornia's colour ops expect [0, 1]
        for op in self.ops:
            y = op(y)
        return y * 2.0 - 1.0
