"""pix2pix's PatchGAN discriminator: judges overlapping patches, not the whole image.

    d = PatchDiscriminator(in_channels=4)               # line-art (1) + colour (3), concatenated by the caller
    logits = d(torch.cat([lineart, colour], dim=1))     # B x 1 x h x w, one raw logit per 70 x 70 patch
    receptive_field(3) == 70

Layers (n_layers = 3, the pix2pix "70 x 70 PatchGAN"):
    conv4x4 s2 -> LeakyReLU(0.2)                                   no norm on the first layer
    n_layers - 1 times: conv4x4 s2 -> norm -> LeakyReLU(0.2)       widths x2 each, capped at 8 x base
    conv4x4 s1 -> norm -> LeakyReLU(0.2)
    conv4x4 s1 -> 1 channel                                        raw logits (losses apply sigmoid/hinge)
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from colorize.errors import ConfigError
from colorize.nets.blocks import NormKind, maybe_spectral, norm_layer

KERNEL, PADDING = 4, 1


def receptive_field(n_layers: int) -> int:
    """Side in pixels of the input patch that one output logit sees (70 for n_layers = 3).

    Walk back from one output pixel: a k x k conv with stride s turns a span of r pixels into
    (r - 1) * s + k. The last two convs have stride 1, the n_layers before them stride 2.
    """
    strides = [2] * n_layers + [1, 1]
    span = 1
    for stride in reversed(strides):
        span = (span - 1) * stride + KERNEL
    return span


def output_size(size: int, n_layers: int) -> int:
    """Output side for an input side `size`: each stride-2 conv halves it (floor), each stride-1 conv takes 1."""
    for _ in range(n_layers):
        size = (size + 2 * PADDING - KERNEL) // 2 + 1
    return size - 2


def _conv(in_channels: int, out_channels: int, stride: int, bias: bool, spectral: bool) -> nn.Module:
    conv = nn.Conv2d(in_channels, out_channels, KERNEL, stride=stride, padding=PADDING, bias=bias)
    return maybe_spectral(conv, spectral)


class PatchDiscriminator(nn.Module):
    """B x in_channels x H x W in [-1, 1] -> B x 1 x h x w raw logits, h = output_size(H, n_layers).

    in_channels: 4 for pix2pix (line-art + colour concatenated by the caller; conditioning by input).
    spectral_norm: wrap every conv in spectral normalisation (usually with norm="none").
    """

    def __init__(self, in_channels: int = 4, base_channels: int = 64, n_layers: int = 3, norm: NormKind = "batch",
                 spectral_norm: bool = False):
        super().__init__()
        if n_layers < 1:
            raise ConfigError(f"PatchDiscriminator needs n_layers >= 1, got {n_layers}")
        self.config: dict[str, Any] = dict(in_channels=in_channels, base_channels=base_channels,
                                           n_layers=n_layers, norm=norm, spectral_norm=spectral_norm)
        self.in_channels, self.n_layers = in_channels, n_layers
        self.receptive_field = receptive_field(n_layers)
        self.net = nn.Sequential(*self._layers(in_channels, base_channels, n_layers, norm, spectral_norm))

    @staticmethod
    def _layers(in_channels: int, base: int, n_layers: int, norm: NormKind, spectral: bool) -> list[nn.Module]:
        bias = norm == "none"  # the norm's shift replaces the bias
        layers: list[nn.Module] = [_conv(in_channels, base, 2, True, spectral), nn.LeakyReLU(0.2)]
        width = base
        for n in range(1, n_layers + 1):
            stride = 2 if n < n_layers else 1  # the last widening conv keeps the resolution
            next_width = base * min(2 ** n, 8)
            layers += [_conv(width, next_width, stride, bias, spectral), norm_layer(norm, next_width),
                       nn.LeakyReLU(0.2)]
            width = next_width
        layers.append(_conv(width, 1, 1, True, spectral))
        return layers

    def min_input_size(self) -> int:
        """Smallest input side giving a 1 x 1 logit map."""
        size = 1
        while output_size(size, self.n_layers) < 1:
            size += 1
        return size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"PatchDiscriminator expects B x {self.in_channels} x H x W, got {tuple(x.shape)}")
        if min(x.shape[-2:]) < self.min_input_size():
            raise ValueError(f"PatchDiscriminator(n_layers={self.n_layers}) needs inputs of at least "
                             f"{self.min_input_size()} px per side, got {x.shape[-2]} x {x.shape[-1]}")
        logits = self.net(x)
        assert logits.shape == (x.shape[0], 1, output_size(x.shape[-2], self.n_layers),
                                output_size(x.shape[-1], self.n_layers)), logits.shape
        return logits
