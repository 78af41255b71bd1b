"""Shape plumbing for fully convolutional generators: pad to the stride, crop back, tile and blend.

A U-Net of depth d only accepts H and W that are multiples of its stride (2**d), and a 4K frame may
not fit in memory in one piece. Both are solved here, independently of any network:

    padded, (h, w) = pad_to_multiple(x, stride)       # reflect (replicate where the image is too small)
    y = crop(net(padded), h, w)
    y = tiled_apply(net, x, tile=512, overlap=64, stride=stride)   # overlapping tiles, feathered blend

Tiles overlap and are blended with weights that ramp linearly across the overlap, so no tile edge
shows as a seam; image borders keep full weight (nothing to blend with there).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F


def round_up(value: int, multiple: int) -> int:
    """The smallest multiple of `multiple` that is >= `value`."""
    return -(-value // multiple) * multiple


def pad_to_multiple(x: torch.Tensor, stride: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad B x C x H x W on the bottom/right up to multiples of `stride`; returns (padded, (H, W)).

    Reflect padding continues lines naturally; it needs the pad to be smaller than the image side,
    so tiny images fall back to replicate.
    """
    h, w = x.shape[-2:]
    pad_h, pad_w = round_up(h, stride) - h, round_up(w, stride) - w
    if pad_h == 0 and pad_w == 0:
        return x, (h, w)
    mode = "reflect" if pad_h < h and pad_w < w else "replicate"
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode), (h, w)


def crop(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Undo pad_to_multiple: keep the top-left height x width of B x C x H x W."""
    return x[..., :height, :width]


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of size `tile` covering [0, length), neighbours overlapping >= `overlap`.

    The last tile is aligned to the end, so every tile has the full size (and so stays a multiple of
    the network's stride when `tile` is).
    """
    if length <= tile:
        return [0]
    step = max(tile - overlap, 1)
    starts = list(range(0, length - tile, step))
    starts.append(length - tile)
    return starts


def _ramp(size: int, overlap: int, ramp_start: bool, ramp_end: bool, like: torch.Tensor) -> torch.Tensor:
    """1-D weights of `size`: linear ramps (0 < w <= 1) over `overlap` at the ends that meet a neighbour."""
    w = torch.ones(size, device=like.device, dtype=torch.float32)
    n = min(overlap, size // 2)
    if n > 0:
        # (i + 0.5) / n keeps every weight > 0, so a pixel covered by one tile is never divided by 0.
        ramp = (torch.arange(n, device=like.device, dtype=torch.float32) + 0.5) / n
        if ramp_start:
            w[:n] = ramp
        if ramp_end:
            w[size - n:] = ramp.flip(0)
    return w


def feather_weights(tile_h: int, tile_w: int, overlap: int, edges: tuple[bool, bool, bool, bool],
                    like: torch.Tensor) -> torch.Tensor:
    """1 x 1 x tile_h x tile_w blending weights; `edges` = (top, bottom, left, right) meet a neighbour."""
    top, bottom, left, right = edges
    wy = _ramp(tile_h, overlap, top, bottom, like)
    wx = _ramp(tile_w, overlap, left, right, like)
    return (wy[:, None] * wx[None, :])[None, None]


def tiled_apply(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, tile: int, overlap: int,
                stride: int) -> torch.Tensor:
    """Apply a fully convolutional `fn` (B x Cin x h x w -> B x Cout x h x w) to B x Cin x H x W by tiles.

    `tile` is rounded up to a multiple of `stride` and `overlap` capped at half a tile; the image is padded to the stride first, so every
    tile is a valid network input. Overlapping outputs are averaged with feathered weights and the
    result is cropped back to H x W. Only one tile's activations are in memory at a time.
    """
    tile = round_up(max(tile, stride), stride)
    # An overlap of half a tile already blends every pixel; more would only multiply the tiles.
    overlap = min(overlap, tile // 2)
    padded, (h, w) = pad_to_multiple(x, stride)
    ph, pw = padded.shape[-2:]
    ys, xs = tile_starts(ph, tile, overlap), tile_starts(pw, tile, overlap)
    out: torch.Tensor | None = None
    weight_sum = torch.zeros(1, 1, ph, pw, device=x.device, dtype=torch.float32)
    for y in ys:
        for x0 in xs:
            th, tw = min(tile, ph), min(tile, pw)
            piece = fn(padded[..., y:y + th, x0:x0 + tw]).float()
            if out is None:
                out = torch.zeros(x.shape[0], piece.shape[1], ph, pw, device=x.device, dtype=torch.float32)
            edges = (y > 0, y + th < ph, x0 > 0, x0 + tw < pw)
            wgt = feather_weights(th, tw, overlap, edges, like=piece)
            out[..., y:y + th, x0:x0 + tw] += piece * wgt
            weight_sum[..., y:y + th, x0:x0 + tw] += wgt
    assert out is not None  # at least one tile always exists
    return crop(out / weight_sum, h, w)
