"""Building blocks shared by every GAN variant's networks: norms, weight init, spectral norm, res/up blocks.

    norm_layer("batch", 64)             BatchNorm2d / InstanceNorm2d(affine) / GroupNorm / Identity
    init_weights(net, "normal", 0.02)   pix2pix's N(0, 0.02) convs, N(1, 0.02) norm scales, zero biases
    maybe_spectral(conv, True)          spectral-normalised conv (discriminators), or the conv unchanged
    ResidualDown(64, 128)               B x 64 x H x W -> B x 128 x H/2 x W/2 (discriminators, encoders)
    ResidualUp(128, 64)                 B x 128 x H x W -> B x 64 x 2H x 2W (generators)
    UpConv(128, 64)                     upsample + conv: B x 128 x H x W -> B x 64 x 2H x 2W
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

from colorize.errors import ConfigError

NormKind = Literal["batch", "instance", "group", "none"]
InitKind = Literal["normal", "xavier", "kaiming", "orthogonal"]
NORM_KINDS = ("batch", "instance", "group", "none")
INIT_KINDS = ("normal", "xavier", "kaiming", "orthogonal")
UPSAMPLE_MODES = ("nearest", "bilinear")

_NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm, nn.LayerNorm)
_WEIGHTED_TYPES = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)


def group_count(channels: int, max_groups: int = 32) -> int:
    """The largest divisor of `channels` that is at most `max_groups` (GroupNorm needs an exact divisor)."""
    return max(g for g in range(1, min(max_groups, channels) + 1) if channels % g == 0)


def norm_layer(kind: NormKind, channels: int) -> nn.Module:
    """A 2-d normalisation over `channels` feature maps, by name.

    "batch": BatchNorm2d with PyTorch's default eps and momentum (pix2pix's choice);
    "instance": InstanceNorm2d(affine=True), so it has a learnt scale and shift like the others;
    "group": GroupNorm with up to 32 groups (batch-size independent, good for batch 1 and DDP);
    "none": Identity (spectral-normalised discriminators, WGAN-GP critics).
    """
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "group":
        return nn.GroupNorm(group_count(channels), channels)
    if kind == "none":
        return nn.Identity()
    raise ConfigError(f"unknown norm {kind!r} (known: {', '.join(NORM_KINDS)})")


def _weight_tensors(module: nn.Module) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """(weight, bias) to initialise; for a spectral-normalised module, the un-normalised original."""
    if parametrize.is_parametrized(module, "weight"):
        weight = module.parametrizations.weight.original
    else:
        weight = getattr(module, "weight", None)
    return weight, getattr(module, "bias", None)


def _init_weight(weight: torch.Tensor, kind: InitKind, gain: float) -> None:
    if kind == "normal":
        nn.init.normal_(weight, 0.0, gain)
    elif kind == "xavier":
        nn.init.xavier_normal_(weight, gain=gain)
    elif kind == "kaiming":
        # Gain-free by design: kaiming picks the scale that keeps activations' variance at 1.
        nn.init.kaiming_normal_(weight, a=0.0, mode="fan_in")
    else:
        nn.init.orthogonal_(weight, gain=gain)


@torch.no_grad()
def init_weights(net: nn.Module, kind: InitKind = "normal", gain: float = 0.02) -> nn.Module:
    """Initialise `net` in place the pix2pix way and return it.

    Conv, transposed-conv, linear and embedding weights: N(0, gain) ("normal"), Xavier-normal with
    `gain`, Kaiming-normal (fan-in, gain ignored) or orthogonal with `gain`. Norm layers' scales:
    N(1, gain); every bias: 0. Spectral-normalised layers get their original (pre-normalisation)
    weight initialised; their power-iteration vectors are left as they are.
    """
    if kind not in INIT_KINDS:
        raise ConfigError(f"unknown init {kind!r} (known: {', '.join(INIT_KINDS)})")
    for module in net.modules():
        weight, bias = _weight_tensors(module)
        if isinstance(module, _NORM_TYPES):
            if weight is not None:  # affine=False norms have no parameters
                nn.init.normal_(weight, 1.0, gain)
        elif isinstance(module, _WEIGHTED_TYPES):
            _init_weight(weight, kind, gain)
        else:
            continue
        if bias is not None:
            nn.init.zeros_(bias)
    return net


def maybe_spectral(module: nn.Module, enabled: bool) -> nn.Module:
    """`module` with spectral normalisation on its weight when `enabled` (1-Lipschitz layers for D)."""
    return spectral_norm(module) if enabled else module


def _check_upsample(mode: str) -> None:
    if mode not in UPSAMPLE_MODES:
        raise ConfigError(f"unknown upsample mode {mode!r} (known: {', '.join(UPSAMPLE_MODES)})")


def _upsample(mode: str) -> nn.Upsample:
    """x2 upsampling; bilinear without align_corners so borders are not stretched."""
    _check_upsample(mode)
    return nn.Upsample(scale_factor=2, mode=mode, **({} if mode == "nearest" else {"align_corners": False}))


class UpConv(nn.Module):
    """Upsample x2 then a stride-1 conv: B x in x H x W -> B x out x 2H x 2W.

    Used instead of a transposed conv where checkerboard artefacts matter: a stride-2 transposed conv
    whose kernel is not divisible by the stride overlaps unevenly, while resize-then-conv cannot.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, upsample: str = "nearest",
                 bias: bool = True, spectral: bool = False):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f"UpConv needs an odd kernel size to keep 2H x 2W, got {kernel_size}")
        self.up = _upsample(upsample)
        conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=bias)
        self.conv = maybe_spectral(conv, spectral)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.up(x))


def _conv3x3(in_channels: int, out_channels: int, spectral: bool, bias: bool = True) -> nn.Module:
    return maybe_spectral(nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=bias), spectral)


def _shortcut(in_channels: int, out_channels: int, spectral: bool) -> nn.Module:
    """1x1 conv where the channel count changes, else the identity (the residual path stays free)."""
    if in_channels == out_channels:
        return nn.Identity()
    return maybe_spectral(nn.Conv2d(in_channels, out_channels, 1), spectral)


class ResidualDown(nn.Module):
    """Residual downsampling block: B x in x H x W -> B x out x H/2 x W/2 (H, W even).

    main:     conv3x3 -> norm -> LeakyReLU(0.2) -> conv3x3 -> norm -> avgpool2
    shortcut: avgpool2 -> conv1x1 (only when in != out)
    output:   LeakyReLU(0.2)(main + shortcut)
    Post-activation (ResNet order), so it can also be a network's first block on raw [-1, 1] images.
    Average pooling instead of strided convs keeps the block smooth, which Lipschitz-constrained
    critics (spectral norm, gradient penalty) prefer.
    """

    def __init__(self, in_channels: int, out_channels: int, norm: NormKind = "batch", spectral: bool = False):
        super().__init__()
        bias = norm == "none"  # a norm's shift makes a conv bias redundant
        self.main = nn.Sequential(
            _conv3x3(in_channels, out_channels, spectral, bias), norm_layer(norm, out_channels),
            nn.LeakyReLU(0.2),
            _conv3x3(out_channels, out_channels, spectral, bias), norm_layer(norm, out_channels),
            nn.AvgPool2d(2),
        )
        self.shortcut = nn.Sequential(nn.AvgPool2d(2), _shortcut(in_channels, out_channels, spectral))
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.main(x) + self.shortcut(x))


class ResidualUp(nn.Module):
    """Residual upsampling block: B x in x H x W -> B x out x 2H x 2W.

    main:     norm -> ReLU -> upsample x2 -> conv3x3 -> norm -> ReLU -> conv3x3
    shortcut: upsample x2 -> conv1x1 (only when in != out)
    output:   main + shortcut
    Pre-activation (BigGAN/SNGAN generator order): the sum stays linear, so stacked blocks pass
    gradients straight through their shortcuts; the caller ends the stack with norm/act/conv/tanh.
    """

    def __init__(self, in_channels: int, out_channels: int, norm: NormKind = "batch", upsample: str = "nearest",
                 spectral: bool = False):
        super().__init__()
        self.main = nn.Sequential(
            norm_layer(norm, in_channels), nn.ReLU(),
            _upsample(upsample), _conv3x3(in_channels, out_channels, spectral),
            norm_layer(norm, out_channels), nn.ReLU(),
            _conv3x3(out_channels, out_channels, spectral),
        )
        self.shortcut = nn.Sequential(_upsample(upsample), _shortcut(in_channels, out_channels, spectral))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x) + self.shortcut(x)


def count_parameters(net: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters, for logs and model summaries."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad or not trainable_only)


__all__ = [
    "NORM_KINDS", "INIT_KINDS", "UPSAMPLE_MODES", "norm_layer", "group_count", "init_weights",
    "maybe_spectral", "UpConv", "ResidualDown", "ResidualUp", "count_parameters",
]
