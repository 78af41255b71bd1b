"""The reference-guided colorizer: a U-Net that also sees a colour keyframe of the same shot.

    net = ReferenceUNet(depth=5, base_channels=24, max_channels=192)
    y = net(lineart)                                   # no reference: pix2pix behaviour
    y = net(lineart, ref_color, ref_lineart)           # carry the reference's colours to this frame
    y = net(lineart, ref_color, ref_lineart, has_ref)  # per-sample switch (training's reference dropout)

All tensors are in [-1, 1]: line-art B x 1 x H x W (1 = paper), colours B x 3 x H x W, `has_ref`
B x 1 (1 where a sample's reference is real). H and W must be multiples of `stride`.

How the colours travel: a small line-art encoder (shared by the frame and the reference) gives
B x C x H/s x W/s features, s = `feature_stride`. Every position of the frame attends to every
position of the reference, with cosine similarity scaled by a learnt temperature minus a learnt
penalty on squared distance (motion within a shot is mostly small, and two regions of the same
shape often look alike in line-art alone). The attention averages the reference's colours (area-
downsampled to H/s x W/s), which are upsampled and handed to the U-Net with the attention's
confidence (its largest weight) and the has-reference flag: 1 + 3 + 1 + 1 input channels. Without
a reference those five extra channels are zero and the encoder is not run.

Attention costs (H W / s^2)^2: 1536 positions for a 192 x 128 frame at s = 4; a 1080p frame at s = 4
would have 129,600, so above `attention_positions` the grid is average-pooled until it fits (1080p:
6 x 6, 3600 positions), and queries are processed in blocks that bound memory.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from colorize.errors import ConfigError
from colorize.nets.blocks import NormKind
from colorize.nets.unet import UNetGenerator

GUIDE_CHANNELS = 3 + 1 + 1  # warped colour, attention confidence, has-reference flag


class LineArtEncoder(nn.Module):
    """B x 1 x H x W line-art -> B x channels x H/stride x W/stride features for matching.

    Stride-2 convolutions down to 1/stride, then dilated residual convolutions that widen the receptive
    field (about 100 px at stride 4) so a flat region's features say which shape it lies in. GroupNorm,
    not BatchNorm: features of one frame must not depend on the others in its batch.
    """

    def __init__(self, channels: int = 64, stride: int = 4):
        super().__init__()
        if stride < 1 or stride & (stride - 1):
            raise ConfigError(f"feature_stride must be a power of two, got {stride}")
        if channels < 8 or channels % 8:
            raise ConfigError(f"feature_channels must be a multiple of 8, got {channels}")
        layers: list[nn.Module] = [nn.Conv2d(1, channels // 2, 3, padding=1), nn.LeakyReLU(0.2)]
        width = channels // 2
        for _ in range(int(math.log2(stride))):
            layers += [nn.Conv2d(width, channels, 4, stride=2, padding=1), nn.GroupNorm(8, channels),
                       nn.LeakyReLU(0.2)]
            width = channels
        if width != channels:  # stride 1
            layers += [nn.Conv2d(width, channels, 3, padding=1), nn.LeakyReLU(0.2)]
        self.down = nn.Sequential(*layers)
        self.context = nn.ModuleList(
            nn.Sequential(nn.Conv2d(channels, channels, 3, padding=d, dilation=d), nn.GroupNorm(8, channels),
                          nn.LeakyReLU(0.2))
            for d in (2, 4, 8))
        self.head = nn.Conv2d(channels, channels, 1)

    def forward(self, lineart: torch.Tensor) -> torch.Tensor:
        h = self.down(lineart)
        for block in self.context:
            h = h + block(h)
        return self.head(h)


def _grid_positions(height: int, width: int, device: torch.device) -> torch.Tensor:
    """(height * width) x 2 positions in units of the longer side (so distances do not depend on size)."""
    scale = 1.0 / max(height, width)
    ys = (torch.arange(height, device=device, dtype=torch.float32) + 0.5) * scale
    xs = (torch.arange(width, device=device, dtype=torch.float32) + 0.5) * scale
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([grid_y.flatten(), grid_x.flatten()], dim=1)


# Largest attention block, in weights (B x queries x keys): 16 M floats = 64 MB per temporary.
MAX_BLOCK = 2**24


def attend(query: torch.Tensor, key: torch.Tensor, values: torch.Tensor, temperature: torch.Tensor,
           locality: torch.Tensor, chunk: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """Carry `values` from the key positions to the query positions by feature similarity.

    query, key: B x C x h x w features of the frame and the reference; values: B x V x h x w.
    weights = softmax over key positions of temperature * cos(q, k) - locality * |p_q - p_k|^2.
    Returns (B x V x h x w carried values, B x 1 x h x w largest weight per query). Queries are
    processed at most `chunk` at a time and at most MAX_BLOCK weights per block, so memory is
    bounded whatever the frame size and batch.
    """
    b, _, h, w = query.shape
    chunk = max(1, min(chunk, MAX_BLOCK // (b * h * w)))
    q = F.normalize(query.flatten(2).float(), dim=1).transpose(1, 2)   # B x N x C
    k = F.normalize(key.flatten(2).float(), dim=1)                      # B x C x N
    v = values.flatten(2).float().transpose(1, 2)                       # B x N x V
    pos = _grid_positions(h, w, query.device)                          # N x 2
    key_sq = (pos * pos).sum(1)                                         # N
    out, confidence = [], []
    for start in range(0, h * w, chunk):
        p = pos[start:start + chunk]
        dist2 = (p * p).sum(1, keepdim=True) + key_sq[None] - 2 * p @ pos.T   # n x N
        # one fused op: -locality * dist2 + temperature * (q . k), without B x n x N temporaries
        bias = (dist2 * -locality).expand(b, -1, -1)
        logits = torch.baddbmm(bias, q[:, start:start + chunk] * temperature, k)
        weights = logits.softmax(dim=-1)                                 # B x n x N
        out.append(torch.bmm(weights, v))
        confidence.append(weights.amax(dim=-1))
    carried = torch.cat(out, 1).transpose(1, 2).reshape(b, -1, h, w)
    return carried, torch.cat(confidence, 1).reshape(b, 1, h, w)


def pool_factor(height: int, width: int, max_positions: int) -> int:
    """The smallest k such that a ceil(height / k) x ceil(width / k) grid has at most max_positions."""
    k = 1
    while math.ceil(height / k) * math.ceil(width / k) > max_positions:
        k += 1
    return k


def _all_same(batch: torch.Tensor) -> bool:
    """True when every sample of B x ... equals the first (the same keyframe repeated)."""
    return bool(torch.equal(batch, batch[:1].expand_as(batch)))


class ReferenceUNet(nn.Module):
    """U-Net colorizer guided by an optional colour reference; see the module docstring.

    U-Net arguments as UNetGenerator's (its input has 1 + GUIDE_CHANNELS channels). feature_channels /
    feature_stride: the matching encoder's width and resolution (1/stride). attention_chunk: queries
    per attention block (memory vs speed; no effect on the result). attention_positions: above this
    many feature positions (large frames), features and colours are average-pooled until they fit
    before attending, so the cost of attention stays bounded (4096: a 256 x 256 frame at stride 4
    is not pooled; 1080p is pooled 6 x 6).
    """

    takes_reference = True

    def __init__(self, depth: int = 8, base_channels: int = 64, max_channels: int = 512,
                 norm: NormKind = "batch", dropout: float = 0.5, dropout_layers: int = 3,
                 feature_channels: int = 64, feature_stride: int = 4, attention_chunk: int = 4096,
                 attention_positions: int = 4096):
        super().__init__()
        if attention_chunk < 1 or attention_positions < 1:
            raise ConfigError(f"attention_chunk and attention_positions must be >= 1, got {attention_chunk} "
                              f"and {attention_positions}")
        self.unet = UNetGenerator(1 + GUIDE_CHANNELS, 3, depth, base_channels, max_channels, norm, dropout,
                                  dropout_layers)
        self.encoder = LineArtEncoder(feature_channels, feature_stride)
        # Start sharp-ish (cosine differences of 0.1 matter) and mildly local; both are learnt.
        self.log_temperature = nn.Parameter(torch.tensor(math.log(20.0)))
        self.locality_raw = nn.Parameter(torch.tensor(math.log(math.expm1(4.0))))  # softplus -> 4
        self.config: dict[str, Any] = {**self.unet.config, "feature_channels": feature_channels,
                                       "feature_stride": feature_stride, "attention_chunk": attention_chunk,
                                       "attention_positions": attention_positions}
        del self.config["in_channels"], self.config["out_channels"]
        self.feature_stride = feature_stride
        self.attention_chunk = attention_chunk
        self.attention_positions = attention_positions
        self.stride = max(self.unet.stride, feature_stride)
        self.in_channels, self.out_channels = 1, 3

    def guide(self, lineart: torch.Tensor, ref_color: torch.Tensor, ref_lineart: torch.Tensor
              ) -> torch.Tensor:
        """B x (3 + 1) x H x W: the reference's colours carried to this frame, and the confidence."""
        if ref_color.shape[-2:] != lineart.shape[-2:] or ref_lineart.shape[-2:] != lineart.shape[-2:]:
            raise ValueError(f"reference {tuple(ref_color.shape[-2:])} and frame {tuple(lineart.shape[-2:])} "
                             f"must have the same size")
        b = lineart.shape[0]
        # One keyframe for a whole batch (a shot) is the usual case at inference: encode it once.
        shared = b > 1 and not self.training and _all_same(ref_color) and _all_same(ref_lineart)
        if shared:
            ref_color, ref_lineart = ref_color[:1], ref_lineart[:1]
        both = self.encoder(torch.cat([lineart, ref_lineart]))
        key, colours = self.pool_reference(both[b:], ref_color)
        return self.carry(both[:b], key, colours, lineart.shape[-2:]).to(lineart.dtype)

    def pool_reference(self, features: torch.Tensor, ref_color: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """A reference's encoder features (R x C x H/s x W/s) and colours (R x 3 x H x W) -> the keys and
        values the attention reads, both on the matching grid (pooled for large frames, see pool_factor).

        Inference backends call this once per keyframe and reuse the result for every frame of its shot.
        """
        colours = F.avg_pool2d(ref_color.float(), self.feature_stride) if self.feature_stride > 1 else ref_color
        k = pool_factor(*features.shape[-2:], self.attention_positions)
        if k > 1:  # a large frame: match on a coarser grid (ceil_mode keeps the borders)
            features = F.avg_pool2d(features, k, ceil_mode=True)
            colours = F.avg_pool2d(colours, k, ceil_mode=True)
        return features, colours

    def carry(self, query: torch.Tensor, key: torch.Tensor, colours: torch.Tensor, size) -> torch.Tensor:
        """B x (3 + 1) x H x W guide (carried colour, confidence) from the frames' encoder features
        (B x C x H/s x W/s) and a reference's pooled keys and colours (pool_reference; 1 or B of them).
        `size` = (H, W), the frames' size."""
        b = query.shape[0]
        k = pool_factor(*query.shape[-2:], self.attention_positions)
        if k > 1:
            query = F.avg_pool2d(query, k, ceil_mode=True)
        if key.shape[0] == 1 and b > 1:
            key, colours = key.expand(b, -1, -1, -1), colours.expand(b, -1, -1, -1)
        carried, confidence = attend(query, key, colours, self.log_temperature.exp(),
                                     F.softplus(self.locality_raw), self.attention_chunk)
        guide = torch.cat([carried, confidence * 2 - 1], 1)
        if guide.shape[-2:] != tuple(size):
            guide = F.interpolate(guide, size=tuple(size), mode="bilinear", align_corners=False)
        return guide

    def forward(self, lineart: torch.Tensor, ref_color: torch.Tensor | None = None,
                ref_lineart: torch.Tensor | None = None, has_ref: torch.Tensor | None = None) -> torch.Tensor:
        if lineart.dim() != 4 or lineart.shape[1] != 1:
            raise ValueError(f"ReferenceUNet expects B x 1 x H x W line-art, got {tuple(lineart.shape)}")
        b, _, h, w = lineart.shape
        if h % self.stride or w % self.stride:
            raise ValueError(f"ReferenceUNet needs H and W that are multiples of {self.stride}, got {h} x {w}")
        if ref_color is None:
            extra = lineart.new_zeros(b, GUIDE_CHANNELS, h, w)
        else:
            if ref_lineart is None:
                raise ValueError("a reference colour frame needs its line-art too")
            flag = lineart.new_ones(b, 1) if has_ref is None else has_ref.to(lineart.dtype).view(b, 1)
            flag = flag.view(b, 1, 1, 1)
            # Masked, not skipped, for samples without a reference: every parameter then gets a
            # gradient in every step, which keeps explicit gradient averaging across ranks simple.
            extra = torch.cat([self.guide(lineart, ref_color, ref_lineart), flag.expand(b, 1, h, w)], 1) * flag
        return self.unet(torch.cat([lineart, extra], 1))
