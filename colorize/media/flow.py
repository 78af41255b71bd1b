"""Dense optical flow primitives (OpenCV DIS): grey conversion, flow, backward warping, occlusion masks.

Shared by shot detection, temporal smoothing, reference sampling and the temporal metrics.
Flows are H x W x 2 float32 (dx, dy) in pixels; images H x W x 3 uint8 RGB.
"""

from __future__ import annotations

import cv2
import numpy as np


# OpenCV's DIS refuses frames whose width and height are both below this.
MIN_FLOW_SIDE = 12


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8 RGB -> H x W uint8, the input DIS optical flow works on."""
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)


def make_flow_engine() -> cv2.DISOpticalFlow:
    """OpenCV's DIS optical flow at the 'medium' preset: dense, fast, robust to flat toon colours."""
    return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)


def dis_flow(src_gray: np.ndarray, dst_gray: np.ndarray, engine: cv2.DISOpticalFlow | None = None
             ) -> np.ndarray:
    """Flow from src to dst, H x W x 2 float32 (dx, dy): src(x) ~ dst(x + flow(x))."""
    engine = engine if engine is not None else make_flow_engine()
    return engine.calc(src_gray, dst_gray, None)


def _sample_coords(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Absolute sampling positions x + flow(x) as the two float32 maps cv2.remap takes."""
    h, w = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return grid_x + flow[..., 0], grid_y + flow[..., 1]


def backward_warp(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample `image` at x + flow(x) for every pixel x (bilinear; outside the frame reads 0).

    With flow = dis_flow(cur, prev), backward_warp(prev, flow) is prev moved onto cur's pixels.
    Works for H x W, H x W x C images of any dtype cv2.remap takes (uint8, float32).
    """
    map_x, map_y = _sample_coords(flow)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def occlusion_mask(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """H x W bool: True where a pixel of frame t is visible in frame t-1 (safe to compare).

    `backward` is the flow t -> t-1, `forward` the flow t-1 -> t. A pixel is kept when its backward
    vector lands inside frame t-1 and following the forward flow from there brings it back
    (Sundaram et al. 2010); disocclusions and flow failures break that round trip.
    """
    h, w = backward.shape[:2]
    map_x, map_y = _sample_coords(backward)
    inside = (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)
    forward_there = backward_warp(forward, backward)
    round_trip = np.sum((backward + forward_there) ** 2, axis=-1)
    magnitude = np.sum(backward**2, axis=-1) + np.sum(forward_there**2, axis=-1)
    return inside & (round_trip < 0.01 * magnitude + 0.5)
