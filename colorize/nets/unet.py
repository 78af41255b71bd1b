"""pix2pix's U-Net generator: line-art B x 1 x H x W in [-1, 1] -> colour B x 3 x H x W in [-1, 1].

    net = UNetGenerator(depth=8)          # stride 256; 54.4 M parameters, 12 GFLOP per 256 x 256 frame
    y = net(x)                            # H, W must be multiples of net.stride
    UNetGenerator(**net.config)           # rebuilds the same architecture (checkpoints store .config)

Encoder level i (i = 0 .. depth-1) halves H and W:  [LeakyReLU(0.2)] -> conv4x4 s2 -> [norm]
(no activation before the first level, which sees the image; no norm on the first and innermost).
Decoder level i mirrors it and doubles H and W:     ReLU -> convT4x4 s2 -> norm -> [dropout]
taking the concatenation of the level below's output and encoder level i's output (the skip), except
the innermost level, which takes the bottleneck alone. The outermost decoder level ends in tanh.
Dropout sits on the `dropout_layers` innermost decoder levels, as in the pix2pix paper (it is the
generator's noise source; nn.Dropout, so `eval()` turns it off and inference is deterministic).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from colorize.errors import ConfigError
from colorize.nets.blocks import NormKind, norm_layer


def level_channels(depth: int, base_channels: int, max_channels: int) -> list[int]:
    """Feature channels after each encoder level: base * 2**i, capped at max_channels."""
    return [min(base_channels * 2 ** i, max_channels) for i in range(depth)]


def _encoder_level(index: int, depth: int, in_channels: int, out_channels: int, norm: NormKind) -> nn.Sequential:
    """Level `index` of the encoder: B x in x H x W -> B x out x H/2 x W/2 (pre-activation output)."""
    has_norm = 0 < index < depth - 1 and norm != "none"
    layers: list[nn.Module] = [] if index == 0 else [nn.LeakyReLU(0.2)]
    # A norm's learnt shift makes the conv's bias redundant, so a bias only where no norm follows.
    layers.append(nn.Conv2d(in_channels, out_channels, 4, stride=2, padding=1, bias=not has_norm))
    if has_norm:
        layers.append(norm_layer(norm, out_channels))
    return nn.Sequential(*layers)


def _decoder_level(index: int, in_channels: int, out_channels: int, norm: NormKind,
                   dropout: float) -> nn.Sequential:
    """Level `index` of the decoder: B x in x H x W -> B x out x 2H x 2W; level 0 ends in tanh."""
    outermost = index == 0
    has_norm = not outermost and norm != "none"
    layers: list[nn.Module] = [
        nn.ReLU(),
        nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1, bias=not has_norm),
    ]
    if has_norm:
        layers.append(norm_layer(norm, out_channels))
    if outermost:
        layers.append(nn.Tanh())
    elif dropout > 0:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class UNetGenerator(nn.Module):
    """pix2pix U-Net: B x in_channels x H x W in [-1, 1] -> B x out_channels x H x W in [-1, 1].

    depth: number of stride-2 levels; H and W must be multiples of `stride` = 2**depth (8 -> 256,
    the pix2pix default, whose bottleneck is 1 x 1 at 256 x 256). base_channels / max_channels: the
    first level's width and the cap (64 / 512 in pix2pix). dropout: probability on the
    `dropout_layers` innermost decoder levels (at most depth-1 of them are used: never on the output
    level, so the default 3 also works for shallow nets).
    """

    def __init__(self, in_channels: int = 1, out_channels: int = 3, depth: int = 8, base_channels: int = 64,
                 max_channels: int = 512, norm: NormKind = "batch", dropout: float = 0.5,
                 dropout_layers: int = 3):
        super().__init__()
        _check_args(depth, dropout, dropout_layers)
        self.config: dict[str, Any] = dict(
            in_channels=in_channels, out_channels=out_channels, depth=depth, base_channels=base_channels,
            max_channels=max_channels, norm=norm, dropout=dropout, dropout_layers=dropout_layers)
        self.in_channels, self.out_channels, self.depth = in_channels, out_channels, depth
        self.stride = 2 ** depth
        widths = level_channels(depth, base_channels, max_channels)
        inputs = [in_channels] + widths[:-1]
        self.encoder = nn.ModuleList(
            _encoder_level(i, depth, inputs[i], widths[i], norm) for i in range(depth))
        self.decoder = nn.ModuleList(
            _decoder_level(
                i,
                in_channels=widths[i] if i == depth - 1 else 2 * widths[i],  # innermost has no skip
                out_channels=out_channels if i == 0 else widths[i - 1],
                norm=norm,
                dropout=dropout if depth - 1 - i < dropout_layers else 0.0,
            )
            for i in range(depth))

    def check_input(self, x: torch.Tensor) -> None:
        """ValueError unless x is B x in_channels x H x W with H and W multiples of `stride`."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"UNetGenerator expects B x {self.in_channels} x H x W, got {tuple(x.shape)}")
        height, width = x.shape[-2:]
        if height % self.stride or width % self.stride:
            raise ValueError(
                f"UNetGenerator(depth={self.depth}) needs H and W that are multiples of {self.stride}, "
                f"got {height} x {width} (pad or resize the frames, or lower the depth)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        skips = []
        h = x
        for level in self.encoder:
            h = level(h)
            skips.append(h)
        # Walk back up: the innermost level takes the bottleneck, every other level its skip too.
        for i in reversed(range(self.depth)):
            if i < self.depth - 1:
                h = torch.cat([h, skips[i]], dim=1)
            h = self.decoder[i](h)
        assert h.shape == (x.shape[0], self.out_channels, *x.shape[-2:]), h.shape
        return h


def _check_args(depth: int, dropout: float, dropout_layers: int) -> None:
    if depth < 1:
        raise ConfigError(f"UNetGenerator needs depth >= 1, got {depth}")
    if not 0.0 <= dropout < 1.0:
        raise ConfigError(f"UNetGenerator dropout must be in [0, 1), got {dropout}")
    if dropout_layers < 0:
        raise ConfigError(f"UNetGenerator dropout_layers must be >= 0, got {dropout_layers}")


def unet_config_dict(net: UNetGenerator) -> dict[str, Any]:
    """The constructor kwargs that rebuild `net`'s architecture: `UNetGenerator(**unet_config_dict(net))`."""
    return dict(net.config)
