"""Warp consistency between the outputs of two neighbouring frames (a short-term temporal loss).

    loss = warp_consistency(G(frame_n), G(frame_t), flow_n_to_t, mask)

`flow` (B x 2 x H x W, pixels, (dx, dy)) says for each pixel x of frame n where it is in frame t:
n(x) ~ t(x + flow(x)). It is computed on the true colour frames, never on the outputs (the data
side: colorize.data.reference), and `mask` (B x 1 x H x W, 1 = keep) drops pixels that are occluded
in one of the frames or where the flow fails its forward-backward check. The loss is the mean L1
difference, over kept pixels, between output n and output t moved onto n's pixels: 0 when the
colours travel with the drawing, as in the true animation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def backward_warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Sample B x C x H x W `image` at x + flow(x) (bilinear, zeros outside): `image` moved onto the
    pixels the flow starts from. flow: B x 2 x H x W in pixels."""
    b, _, h, w = flow.shape
    ys = torch.arange(h, device=flow.device, dtype=flow.dtype)
    xs = torch.arange(w, device=flow.device, dtype=flow.dtype)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    x = grid_x + flow[:, 0]
    y = grid_y + flow[:, 1]
    # grid_sample's normalised coordinates (align_corners=True: -1 and 1 are the outer pixel centres)
    grid = torch.stack([2 * x / max(w - 1, 1) - 1, 2 * y / max(h - 1, 1) - 1], dim=-1)
    return F.grid_sample(image, grid.to(image.dtype), mode="bilinear", padding_mode="zeros", align_corners=True)


def warp_consistency(current: torch.Tensor, other: torch.Tensor, flow: torch.Tensor, mask: torch.Tensor
                     ) -> torch.Tensor:
    """Masked mean |current - warp(other, flow)| over channels and kept pixels; 0 when nothing is kept."""
    warped = backward_warp(other.float(), flow.float())
    diff = (current.float() - warped).abs().mean(dim=1, keepdim=True) * mask
    return diff.sum() / mask.sum().clamp(min=1.0)
