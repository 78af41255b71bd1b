"""BEGAN's discriminator: an autoencoder whose reconstruction error is the "realness" score.

    D = BEGANAutoencoder(channels=1, size=32, base=16, hidden=64)
    recon = D(x)     # B x C x H x W in [-1, 1] -> same shape (tanh)

Encoder: the DCGAN discriminator's trunk (no norm, as in BEGAN) then a linear bottleneck of
`hidden` units; decoder: a DCGAN generator (upsample + conv, no norm) fed by the bottleneck.
Reusing both keeps one definition of each conv stack.
"""

from __future__ import annotations

import torch
from torch import nn

from colorize.nets.dcgan import DCGANDiscriminator, DCGANGenerator


class BEGANAutoencoder(nn.Module):
    """Image -> `hidden`-d code -> image of the same shape."""

    def __init__(self, channels: int, size: int, base: int = 32, hidden: int = 64):
        super().__init__()
        trunk = DCGANDiscriminator(channels, size, base, block="conv", norm="none")
        self.from_image, self.downs = trunk.from_image, trunk.downs
        self.bottleneck = nn.Linear(trunk.feature_dim, hidden)
        self.decoder = DCGANGenerator(hidden, channels, size, base, up="upconv", norm="none")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """B x C x H x W -> B x hidden."""
        return self.bottleneck(self.downs(self.from_image(x)).flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x))
