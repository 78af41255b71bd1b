"""Where may a pixel take its colour from the previous frame? The flow-reliability core of the filters.

Both filters (temporal.py carries colour, smoothing.py blends it) move the previous frame onto the
current one along dense optical flow measured on the *line-art* (never on the flickering colour),
and trust that motion only where it passes two checks:

    FlowSettings(flow_side, flow_blur)    the flow runs on line-art scaled to at most flow_side px
                                          (`size`) and blurred by flow_blur (`prepare`): thin lines on
                                          flat paper give DIS little to match, a blurred line more
    flows(cur, prev, engine)              (backward cur -> prev, forward prev -> cur) at that size
    consistency_mask / consistent_flows   the forward-backward round trip returns (at the flow size,
                                          brought to full size conservatively)
    line check                            the warped previous line-art matches the current one
                                          (`line_matches`): where the flow is wrong, lines disagree
    feathered(weight, feather)            soft borders that stay exactly 0 where a check failed
    blend(output, carried, mask, w)       m * (w * carried + (1 - w) * output) + (1 - m) * output

Everything here is a plain function of arrays; the filters hold the state (previous frame).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from colorize.errors import InputError
from colorize.media.flow import MIN_FLOW_SIDE, backward_warp, dis_flow, occlusion_mask


@dataclass(frozen=True)
class FlowSettings:
    """Where the flow runs: on line-art scaled so its longer side is at most `flow_side` px (0 = full
    size), blurred by `flow_blur` px (sigma, at that size) for the flow only. ValueError names a bad field."""

    flow_side: int = 640
    flow_blur: float = 1.5

    def __post_init__(self) -> None:
        if not (math.isfinite(self.flow_blur) and 0.0 <= self.flow_blur <= 20.0):
            raise ValueError(f"flow_blur must be 0 to 20 pixels, got {self.flow_blur}")
        if self.flow_side != 0 and self.flow_side < 2 * MIN_FLOW_SIDE:
            raise ValueError(f"flow_side must be 0 (full size) or at least {2 * MIN_FLOW_SIDE} pixels, "
                             f"got {self.flow_side}")

    def size(self, size: tuple[int, int]) -> tuple[int, int]:
        """(width, height) the flow runs at for guides of `size` = (W, H) (never larger than W x H)."""
        w, h = size
        scale = self.flow_side / max(w, h) if self.flow_side else 1.0
        if scale >= 1.0:
            return w, h
        return max(MIN_FLOW_SIDE, round(w * scale)), max(MIN_FLOW_SIDE, round(h * scale))

    def prepare(self, guide: np.ndarray) -> np.ndarray:
        """H x W uint8 line-art as DIS sees it: scaled to `size` (INTER_AREA) and blurred (uint8)."""
        h, w = guide.shape
        size = self.size((w, h))
        small = guide if size == (w, h) else cv2.resize(guide, size, interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(small, (0, 0), self.flow_blur) if self.flow_blur > 0 else small

    def flows(self, cur: np.ndarray, prev: np.ndarray, engine: cv2.DISOpticalFlow
              ) -> tuple[np.ndarray, np.ndarray]:
        """(backward cur -> prev, forward prev -> cur) DIS flows between two H x W uint8 guides, each
        h x w x 2 float32 in pixels of the flow size (cur(x) ~ prev(x + b(x))); `upscale_flow` brings
        one to full size."""
        return flows_between(self.prepare(cur), self.prepare(prev), engine)


#: Pixels outside the frame within which a flow's target still counts as landing on it, sampled from
#: the frame's edge (sample_maps): flow on the paper at the rim follows the motion of what is nearest
#: and often points a few pixels out of the frame; sampled there, the chains carried nothing (outside
#: reads 0) and the rim and its corners took the generator's colour (the drawings generator's own
#: corners are dark). Measured against no slack: held-out real-art clips, two keys, 25.82 -> 26.00 dB;
#: painted keyed clips 21.28 -> 21.57 dB; cel keyed clips within 0.02 dB. (consistent_flows counts
#: it in the flow's pixels, flow_side; its round trip still reads 0 outside the frame.)
EDGE_SLACK = 4.0


def checked_settings(photometric_tolerance: float, feather: float, flow_side: int, flow_blur: float) -> FlowSettings:
    """The FlowSettings of a filter's config, after checking the fields every filter shares (the
    line check's tolerance in grey levels, 0..255, and the mask's feather, 0..20 px); ValueError
    names a bad one."""
    if not 0.0 <= photometric_tolerance <= 255.0:
        raise ValueError(f"photometric_tolerance must be 0 to 255 grey levels, got {photometric_tolerance}")
    if not (math.isfinite(feather) and 0.0 <= feather <= 20.0):
        raise ValueError(f"feather must be 0 to 20 pixels, got {feather}")
    return FlowSettings(flow_side, flow_blur)


def flows_between(cur: np.ndarray, prev: np.ndarray, engine: cv2.DISOpticalFlow) -> tuple[np.ndarray, np.ndarray]:
    """(backward, forward) DIS flows between two guides already prepared (FlowSettings.prepare)."""
    return dis_flow(cur, prev, engine), dis_flow(prev, cur, engine)


def upscale_flow(flow: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an h x w x 2 flow to size = (W, H), scaling the vectors with it (a copy if already W x H)."""
    small_h, small_w = flow.shape[:2]
    if (small_w, small_h) == size:
        return flow.copy()
    big = cv2.resize(flow, size, interpolation=cv2.INTER_LINEAR)
    big[..., 0] *= size[0] / small_w
    big[..., 1] *= size[1] / small_h
    return big


def _full_size(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A flow-size bool mask at size = (W, H), conservatively: a pixel is True only if every
    flow-resolution sample it is interpolated from is."""
    if mask.shape[::-1] == tuple(size):
        return mask
    return cv2.resize(mask.astype(np.uint8) * 255, size, interpolation=cv2.INTER_LINEAR) == 255


def consistency_mask(backward: np.ndarray, forward: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """H x W bool, size = (W, H): True where the flows agree (colorize.media.flow.occlusion_mask).

    The check runs at the flows' own resolution (at 1080p the full-size check would cost more than
    the flows) and is brought to full size conservatively.
    """
    return _full_size(occlusion_mask(backward, forward), size)


def consistent_flows(backward: np.ndarray, forward: np.ndarray, size: tuple[int, int], round_trip: float
                     ) -> np.ndarray:
    """H x W bool, size = (W, H): the forward-backward check of colorize.media.flow.occlusion_mask with
    `round_trip` squared pixels (at the flows' resolution) allowed besides 1 % of the motion; brought
    to full size as consistency_mask does."""
    inside = _lands_inside(backward) > 0
    forward_there = backward_warp(forward, backward)
    error = np.sum((backward + forward_there) ** 2, axis=-1)
    magnitude = np.sum(backward**2, axis=-1) + np.sum(forward_there**2, axis=-1)
    return _full_size(inside & (error < 0.01 * magnitude + round_trip), size)


def _lands_inside(flow: np.ndarray) -> np.ndarray:
    """H x W float32: 1 where x + flow(x) lies inside the frame or within EDGE_SLACK of it, else 0."""
    h, w = flow.shape[:2]
    xs = np.arange(w, dtype=np.float32)[None, :] + flow[..., 0]
    ys = np.arange(h, dtype=np.float32)[:, None] + flow[..., 1]
    return ((xs > -EDGE_SLACK) & (xs < w - 1 + EDGE_SLACK) &
            (ys > -EDGE_SLACK) & (ys < h - 1 + EDGE_SLACK)).astype(np.float32)


def sample_maps(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The absolute positions x + flow(x) (two H x W float32 maps) that cv2.remap samples; a position
    within EDGE_SLACK outside the frame is moved onto its edge."""
    h, w = flow.shape[:2]
    return (_onto_edge(np.arange(w, dtype=np.float32)[None, :] + flow[..., 0], w),
            _onto_edge(np.arange(h, dtype=np.float32)[:, None] + flow[..., 1], h))


def _onto_edge(positions: np.ndarray, length: int) -> np.ndarray:
    """`positions` (float32, changed in place and returned) with those within EDGE_SLACK outside
    [0, length - 1] moved onto the edge. In place: this runs on every chain step's full-size maps
    (at 720p about 1.4 ms on top of making them, where np.where's copies cost 3)."""
    low = positions < 0
    low &= positions > -EDGE_SLACK
    np.copyto(positions, np.float32(0), where=low)
    high = positions > length - 1
    high &= positions < length - 1 + EDGE_SLACK
    np.copyto(positions, np.float32(length - 1), where=high)
    return positions


def remap(image: np.ndarray, maps: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """colorize.media.flow.backward_warp with the maps already made: bilinear, 0 outside the frame."""
    return cv2.remap(image, maps[0], maps[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def inside(maps: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """H x W bool: the sampled position lies inside the frame."""
    map_x, map_y = maps
    h, w = map_x.shape
    return (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)


def line_matches(warped_prev: np.ndarray, cur: np.ndarray, tolerance: float) -> np.ndarray:
    """H x W bool, the line check: the previous line-art moved onto this frame differs from this
    frame's by at most `tolerance` grey levels (0..255)."""
    return cv2.absdiff(warped_prev, cur) <= tolerance


def feathered(weight: np.ndarray, feather: float) -> np.ndarray:
    """weight * blur(weight, feather): soft borders, exactly 0 wherever `weight` (H x W float32) is."""
    if feather == 0:
        return weight
    return weight * cv2.GaussianBlur(weight, (0, 0), feather)


#: edge_lowpass works at the size where its spatial sigma is this many pixels.
EDGE_SIGMA = 3.0


def lowpass(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian low-pass of about `sigma` px of `image` (H x W or H x W x C, uint8 or float32; same
    shape and dtype back), for the filters' wide low-passes (the generator's pull; the fill between
    two keys uses `edge_lowpass`).

    From sigma 4 on it is made at 1/k of the size (k = sigma // 2): area-downscaled, blurred, scaled
    back bilinearly, the two resizes' own variance taken off the blur's. On 1280x720 real-art frames
    it differs from cv2.GaussianBlur by 0.02-0.2 levels on average (up to ~20 at a few sharp corners
    and the frame's border) and is 2-10x faster (4 and 12 px). Below sigma 4 it is cv2.GaussianBlur.
    """
    k = int(sigma // 2)
    if k < 2:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    h, w = image.shape[:2]
    small = cv2.resize(image, (-(-w // k), -(-h // k)), interpolation=cv2.INTER_AREA)
    # area averaging adds about (k^2 - 1) / 12 px^2 of variance, the bilinear upscale (k^2 - 1) / 6
    left = sigma * sigma - (k * k - 1) / 4
    small = cv2.GaussianBlur(small, (0, 0), math.sqrt(max(left, 0.25)) / k)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def edge_lowpass(image: np.ndarray, sigma: float, edge: float) -> np.ndarray:
    """An edge-preserving low-pass of about `sigma` px of `image` (H x W x 3 uint8; the same back): a
    bilateral filter whose colour sigma is `edge` grey levels, so differences well under `edge` (a
    generator's fine texture) are smoothed and steps well over it (a drawing's outline against its
    paper) are kept rather than spread across. Made at the size where sigma is EDGE_SIGMA px
    (area-downscaled, filtered, scaled back bilinearly): at 1280x720 and sigma 12 it costs about what
    `lowpass` does, where the full-size filter costs ten times as much."""
    h, w = image.shape[:2]
    scale = min(1.0, EDGE_SIGMA / sigma)
    small = image if scale == 1.0 else cv2.resize(
        image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    small = cv2.bilateralFilter(small, -1, edge, sigma * scale)
    return small if scale == 1.0 else cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def blend(output: np.ndarray, warped_prev: np.ndarray, mask: np.ndarray, strength: float) -> np.ndarray:
    """m * (strength * warped_prev + (1 - strength) * output) + (1 - m) * output, as uint8 RGB.

    output, warped_prev: H x W x 3 uint8; mask: H x W float32 in [0, 1]. Rounded to nearest.
    """
    weight = mask * np.float32(strength)
    # cv2.blendLinear is (w1 * a + w2 * b) / (w1 + w2) per pixel: the same blend, ~7x faster than numpy.
    return cv2.blendLinear(warped_prev, output, weight, 1.0 - weight)


def check_pair(guide: np.ndarray, output: np.ndarray, index: int) -> np.ndarray:
    """The guide as a contiguous H x W uint8 gray image, or InputError naming what is wrong."""
    if not _is_image(output) or output.ndim != 3:
        raise InputError(f"frame {index}: smoothing needs an H x W x 3 uint8 RGB output, "
                         f"got {_describe(output)}")
    if not _is_image(guide):
        raise InputError(f"frame {index}: smoothing needs an H x W uint8 guide (line-art or gray input), "
                         f"got {_describe(guide)}")
    if guide.shape[:2] != output.shape[:2]:
        raise InputError(f"frame {index}: the guide is {guide.shape[1]}x{guide.shape[0]} but the output "
                         f"is {output.shape[1]}x{output.shape[0]}; they must have the same size")
    if guide.ndim == 3:
        return cv2.cvtColor(np.ascontiguousarray(guide), cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(guide)


def check_same_size(guide: np.ndarray, previous: np.ndarray, index: int) -> None:
    """InputError when a shot's frame `index` (H x W) differs in size from the one before it."""
    if guide.shape != previous.shape:
        raise InputError(f"frame {index} of the shot is {guide.shape[1]}x{guide.shape[0]} but the frame "
                         f"before it is {previous.shape[1]}x{previous.shape[0]}; a shot must keep one size")


def _is_image(array: np.ndarray) -> bool:
    return (isinstance(array, np.ndarray) and array.dtype == np.uint8
            and (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3)) and min(array.shape[:2]) > 0)


def _describe(array) -> str:
    if isinstance(array, np.ndarray):
        return f"a {array.dtype} array of shape {array.shape}"
    return f"a {type(array).__name__}"
