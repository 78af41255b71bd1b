"""CycleGAN's ResNet generator (Johnson et al. 2016 / Zhu et al. 2017): image -> image, same size.

    G = ResnetGenerator(in_channels=1, out_channels=1, base=32, n_down=2, n_blocks=6)
    y = G(x)     # B x 1 x H x W in [-1, 1] -> B x 1 x H x W in [-1, 1]; H, W divisible by 2^n_down

    7x7 conv (reflection padded) -> n_down stride-2 convs (widths x2) -> n_blocks residual blocks
    -> n_down upsamplings (upsample + conv, no checkerboards) -> 7x7 conv -> tanh
"""

from __future__ import annotations

import torch
from torch import nn

from colorize.errors import ConfigError
from colorize.nets.blocks import NormKind, UpConv, norm_layer


class ResnetBlock(nn.Module):
    """x + (reflect-pad conv3x3 -> norm -> ReLU -> reflect-pad conv3x3 -> norm)(x); shape preserved."""

    def __init__(self, channels: int, norm: NormKind):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=norm == "none"), norm_layer(norm, channels),
            nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=norm == "none"), norm_layer(norm, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """B x in_channels x H x W -> B x out_channels x H x W in [-1, 1] (tanh)."""

    def __init__(self, in_channels: int, out_channels: int, base: int = 64, n_down: int = 2, n_blocks: int = 9,
                 norm: NormKind = "instance"):
        super().__init__()
        if n_down < 0 or n_blocks < 0:
            raise ConfigError("ResnetGenerator needs n_down >= 0 and n_blocks >= 0")
        self.n_down = n_down
        bias = norm == "none"
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, base, 7, bias=bias),
                                   norm_layer(norm, base), nn.ReLU()]
        width = base
        for _ in range(n_down):
            layers += [nn.Conv2d(width, width * 2, 3, stride=2, padding=1, bias=bias), norm_layer(norm, width * 2),
                       nn.ReLU()]
            width *= 2
        layers += [ResnetBlock(width, norm) for _ in range(n_blocks)]
        for _ in range(n_down):
            layers += [UpConv(width, width // 2, bias=bias), norm_layer(norm, width // 2), nn.ReLU()]
            width //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(width, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        factor = 2 ** self.n_down
        if x.shape[-1] % factor or x.shape[-2] % factor:
            raise ValueError(f"ResnetGenerator input sides must be divisible by {factor}, got {tuple(x.shape[-2:])}")
        return self.net(x)
