"""DCGAN-family networks for noise-driven GANs (dcgan, lsgan, wgan, wgan-gp, cgan, acgan, infogan, began).

    G = DCGANGenerator(in_dim=64, channels=1, size=32, base=16, num_classes=10)
    x = G(z, y)                      # B x 64 (+ B labels) -> B x 1 x 32 x 32 in [-1, 1]
    D = DCGANDiscriminator(channels=1, size=32, base=16, num_classes=10)
    score, feat = D(x, y)            # B scores (projection term added when conditional), B x F features

Resolutions are powers of two from 8 up. Widths double per halving of resolution, capped at base x 8.
The discriminator returns its flattened last feature map so variants can hang heads (AC-GAN's
classifier, InfoGAN's Q) on the same trunk without a second network.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from colorize.errors import ConfigError
from colorize.nets.blocks import NormKind, ResidualDown, ResidualUp, UpConv, maybe_spectral, norm_layer

GeneratorUp = Literal["transposed", "upconv", "residual"]
DiscriminatorBlock = Literal["conv", "residual"]
GENERATOR_UPS = ("transposed", "upconv", "residual")
DISCRIMINATOR_BLOCKS = ("conv", "residual")
MAX_WIDTH_MULT = 8


def pyramid_levels(size: int) -> int:
    """Number of x2 steps between 4 x 4 and `size` (a power of two >= 8)."""
    levels = math.log2(size) - 2 if size > 0 else -1
    if size < 8 or levels != int(levels):
        raise ConfigError(f"GAN image size must be a power of two of at least 8, got {size}")
    return int(levels)


def width(base: int, levels_above: int) -> int:
    """Channels `levels_above` halvings above full resolution: base x 2^levels, capped at base x 8."""
    return base * min(2 ** levels_above, MAX_WIDTH_MULT)


def _up_block(kind: str, cin: int, cout: int, norm: NormKind) -> nn.Module:
    """B x cin x H x W -> B x cout x 2H x 2W. "transposed" is classic DCGAN (may show checkerboards);
    "upconv" resizes then convolves (no checkerboards); "residual" is a pre-activation ResidualUp."""
    if kind == "residual":
        return ResidualUp(cin, cout, norm=norm)
    if kind == "transposed":
        up = nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=norm == "none")
    elif kind == "upconv":
        up = UpConv(cin, cout, bias=norm == "none")
    else:
        raise ConfigError(f"unknown generator upsampling {kind!r} (known: {', '.join(GENERATOR_UPS)})")
    return nn.Sequential(up, norm_layer(norm, cout), nn.ReLU())


class DCGANGenerator(nn.Module):
    """Vector (+ optional class label) -> image.

    forward(z, y=None, class_vec=None): z is B x in_dim; with `num_classes`, a learnt embedding of y
    (B int64), or an explicit B x embed_dim `class_vec` (for interpolating between classes), is
    concatenated to z. Output: B x channels x size x size, tanh, in [-1, 1].
    """

    def __init__(self, in_dim: int, channels: int, size: int, base: int = 32, up: GeneratorUp = "upconv",
                 norm: NormKind = "batch", num_classes: int = 0, embed_dim: int = 32):
        super().__init__()
        levels = pyramid_levels(size)
        self.in_dim, self.num_classes = in_dim, num_classes
        self.embed = nn.Embedding(num_classes, embed_dim) if num_classes else None
        first = width(base, levels)
        total_in = in_dim + (embed_dim if num_classes else 0)
        self.project = nn.Linear(total_in, first * 16, bias=norm == "none")
        self.start = nn.Sequential(norm_layer(norm, first), nn.ReLU())
        widths = [width(base, levels - i) for i in range(levels + 1)]
        self.ups = nn.Sequential(*[_up_block(up, widths[i], widths[i + 1], norm) for i in range(levels)])
        # ResidualUp is pre-activation, so its stack still needs the final norm + ReLU.
        tail = [norm_layer(norm, base), nn.ReLU()] if up == "residual" else []
        self.to_image = nn.Sequential(*tail, nn.Conv2d(base, channels, 3, padding=1), nn.Tanh())

    def class_vector(self, y: torch.Tensor) -> torch.Tensor:
        """B int64 labels -> B x embed_dim class embeddings (conditional generators only)."""
        if self.embed is None:
            raise ValueError("this generator is not class-conditional")
        return self.embed(y)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None,
                class_vec: torch.Tensor | None = None) -> torch.Tensor:
        if self.embed is not None:
            if class_vec is None:
                if y is None:
                    raise ValueError("a class-conditional generator needs labels y or class_vec")
                class_vec = self.embed(y)
            z = torch.cat([z, class_vec.to(z.dtype)], dim=1)
        h = self.project(z).view(z.shape[0], -1, 4, 4)
        return self.to_image(self.ups(self.start(h)))


def _down_block(kind: str, cin: int, cout: int, norm: NormKind, spectral: bool) -> nn.Module:
    """B x cin x H x W -> B x cout x H/2 x W/2 (strided 4x4 conv, or ResidualDown)."""
    if kind == "residual":
        return ResidualDown(cin, cout, norm=norm, spectral=spectral)
    if kind != "conv":
        raise ConfigError(f"unknown discriminator block {kind!r} (known: {', '.join(DISCRIMINATOR_BLOCKS)})")
    conv = maybe_spectral(nn.Conv2d(cin, cout, 4, stride=2, padding=1, bias=norm == "none"), spectral)
    return nn.Sequential(conv, norm_layer(norm, cout), nn.LeakyReLU(0.2))


class DCGANDiscriminator(nn.Module):
    """Image (+ optional label) -> (score, features).

    forward(x, y=None): x is B x channels x size x size in [-1, 1]. Returns the B raw scores (logits
    or critic values, the loss decides) and the B x feature_dim flattened 4 x 4 feature map. With
    `num_classes`, the projection discriminator's term <embed(y), features> (Miyato & Koyama 2018) is
    added to the score, which conditions D without concatenating labels to its input.
    """

    def __init__(self, channels: int, size: int, base: int = 32, block: DiscriminatorBlock = "conv",
                 norm: NormKind = "batch", spectral: bool = False, num_classes: int = 0):
        super().__init__()
        levels = pyramid_levels(size)
        # No norm on the first layer (DCGAN): normalising raw pixels throws away their statistics.
        self.from_image = nn.Sequential(
            maybe_spectral(nn.Conv2d(channels, base, 3, padding=1), spectral), nn.LeakyReLU(0.2))
        widths = [width(base, i) for i in range(levels + 1)]
        self.downs = nn.Sequential(*[_down_block(block, widths[i], widths[i + 1], norm, spectral)
                                     for i in range(levels)])
        self.feature_dim = widths[-1] * 16
        self.score = maybe_spectral(nn.Linear(self.feature_dim, 1), spectral)
        self.embed = (maybe_spectral(nn.Embedding(num_classes, self.feature_dim), spectral)
                      if num_classes else None)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """B x channels x size x size -> B x feature_dim."""
        return self.downs(self.from_image(x)).flatten(1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        feat = self.features(x)
        score = self.score(feat).squeeze(1)
        if self.embed is not None:
            if y is None:
                raise ValueError("a projection discriminator needs labels y")
            score = score + (self.embed(y) * feat).sum(dim=1)
        return score, feat
