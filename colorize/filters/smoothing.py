"""Temporal smoothing of colorized frames: blend each output with the previous one, moved by optical flow.

A frame-by-frame colorizer flickers: the same cel gets a slightly different colour every frame.
`TemporalSmoother` pulls each output towards the previous *smoothed* output, warped onto the current
frame with DIS optical flow computed on the guide (the line-art or the input the colorizer saw, never
on the flickering output), but only where that flow can be trusted:

    smoother = TemporalSmoother(SmoothingConfig(strength=0.5))
    for shot, guide, output in items:            # guide: H x W uint8, output: H x W x 3 uint8 RGB
        if shot != previous_shot:
            smoother.reset()                      # a cut: nothing before it may leak into this shot
        yield smoother(guide, output)
    # or: iter_smoothed(items, cfg), which does exactly that; `smoothed` does it on a colour stream

For frame t with guide g_t and output o_t, and the previous guide g_{t-1} and smoothed output s_{t-1}:

    b = flow g_t -> g_{t-1}, f = flow g_{t-1} -> g_t   (DIS, on guides at most `flow_side` px long)
    reliable(x) = forward-backward consistent (colorize.media.flow.occlusion_mask, at flow size)
                  and |g_{t-1}(x + b(x)) - g_t(x)| <= photometric_tolerance   (the guide check)
    m = reliable * blur(reliable, feather)         (0 wherever unreliable, feathered at the borders)
    s_t = m * (strength * s_{t-1}(x + b(x)) + (1 - strength) * o_t) + (1 - m) * o_t

Multiplying the blurred mask by the hard one keeps m exactly 0 on every occluded, disoccluded or
mismatched pixel: a line the flow failed to follow, or a character that appeared, never takes a
colour from the previous frame. The guide check is what protects lines: where the flow is wrong, the warped previous
line-art does not match the current one. Being recursive, the filter averages along motion
trajectories with weights strength^k; uncorrelated flicker keeps (1 - strength) / (1 + strength) of its
variance (1/3 at the default 0.5).

The flow, its checks and the blend are the filters' shared core (colorize.filters.flow).

State: the previous guide and the previous smoothed output (one frame each) and the flow engine.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

import cv2
import numpy as np

from colorize.filters.flow import (FlowSettings, blend, check_pair, check_same_size, checked_settings,
                                   consistency_mask, feathered, line_matches, upscale_flow)
from colorize.media.flow import MIN_FLOW_SIDE, backward_warp, make_flow_engine

if TYPE_CHECKING:
    from colorize.engine.model import ColorizedFrame


@dataclass
class SmoothingConfig:
    """How strongly and where outputs are smoothed (validated on construction; ValueError names the field).

    strength: weight of the warped previous output where the flow is reliable, 0 <= strength < 1
        (0 returns the outputs unchanged).
    photometric_tolerance: how far (grey levels, 0..255) the warped previous guide may differ from the
        current guide at a pixel that is still smoothed; lower is safer for lines, higher smooths more.
    feather: sigma in pixels of the blur that softens the reliability mask's borders (0 = hard mask).
    flow_side, flow_blur: where the flow runs (colorize.filters.flow.FlowSettings): guides scaled so
        their longer side is at most flow_side px (0 = full size; the guide check always runs at
        full size), blurred by flow_blur px for the flow only (measured on toon line-art: lower TC
        and higher PSNR than no blur).
    """

    strength: float = 0.5
    photometric_tolerance: float = 16.0
    feather: float = 1.0
    flow_side: int = 640
    flow_blur: float = 1.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength < 1.0:  # (False for NaN too)
            raise ValueError(f"strength must be at least 0 and below 1, got {self.strength}")
        self.flow  # checks the flow and line-check settings (filters.flow.checked_settings)

    @property
    def flow(self) -> FlowSettings:
        return checked_settings(self.photometric_tolerance, self.feather, self.flow_side, self.flow_blur)


def guide_flows(cur: np.ndarray, prev: np.ndarray, cfg: SmoothingConfig,
                engine: cv2.DISOpticalFlow) -> tuple[np.ndarray, np.ndarray]:
    """(backward cur -> prev, forward prev -> cur) DIS flows between two H x W uint8 guides at the
    flow resolution (FlowSettings.flows with cfg's flow_side and flow_blur)."""
    return cfg.flow.flows(cur, prev, engine)


def reliability_mask(cur: np.ndarray, prev: np.ndarray, backward: np.ndarray, consistent: np.ndarray,
                     cfg: SmoothingConfig) -> np.ndarray:
    """H x W float32 in [0, 1]: how much pixel x of the current frame may take from the previous one.

    cur, prev: H x W uint8 guides; backward: full-size flow cur -> prev; consistent: H x W bool from
    `consistency_mask`. Exactly 0 wherever the flows disagree or leave the frame (occlusion,
    disocclusion, flow failure) or the warped previous guide differs from the current guide by more
    than cfg.photometric_tolerance; 1 away from those pixels, falling off over ~2 * feather px near them.
    """
    matches = line_matches(backward_warp(prev, backward), cur, cfg.photometric_tolerance)
    return feathered((consistent & matches).astype(np.float32), cfg.feather)


class TemporalSmoother:
    """Flow-guided recursive smoothing of one shot's outputs; call `reset()` at every cut.

    `smoother(guide, output)` takes the next guide (H x W uint8, or H x W x 3 uint8 RGB, converted to
    gray) and output (H x W x 3 uint8 RGB, same H x W) and returns the smoothed output (a new H x W x 3
    uint8 array; the inputs are not modified). The first frame after construction or reset() is
    returned unchanged, and so are frames too small for optical flow (both sides below 12 px).
    Holds only the previous guide and smoothed output.
    """

    def __init__(self, cfg: SmoothingConfig | None = None) -> None:
        self.cfg = cfg if cfg is not None else SmoothingConfig()
        self._engine = make_flow_engine()
        self._prev_guide: np.ndarray | None = None
        self._prev_output: np.ndarray | None = None
        self.frames = 0  # frames seen since the last reset

    def reset(self) -> None:
        """Forget the previous frame: the next output is returned as it is (call at a shot cut)."""
        self._prev_guide = None
        self._prev_output = None
        self.frames = 0

    def __call__(self, guide: np.ndarray, output: np.ndarray) -> np.ndarray:
        guide = check_pair(guide, output, self.frames)
        if self._prev_guide is None or self.cfg.strength == 0 or max(guide.shape) < MIN_FLOW_SIDE:
            smoothed = output.copy()
        else:
            smoothed = self._smooth(guide, output)
        # Copies: the caller owns (and may reuse or draw on) the arrays passed in and handed back.
        self._prev_guide, self._prev_output = guide.copy(), smoothed.copy()
        self.frames += 1
        return smoothed

    def _smooth(self, guide: np.ndarray, output: np.ndarray) -> np.ndarray:
        check_same_size(guide, self._prev_guide, self.frames)
        size = (guide.shape[1], guide.shape[0])
        backward, forward = guide_flows(guide, self._prev_guide, self.cfg, self._engine)
        consistent = consistency_mask(backward, forward, size)
        backward = upscale_flow(backward, size)
        mask = reliability_mask(guide, self._prev_guide, backward, consistent, self.cfg)
        warped = backward_warp(self._prev_output, backward)
        return blend(output, warped, mask, self.cfg.strength)


def iter_smoothed(items: Iterable[tuple[int, np.ndarray, np.ndarray]],
                  cfg: SmoothingConfig | None = None) -> Iterator[np.ndarray]:
    """Smooth a stream of (shot number, guide, output), resetting whenever the shot number changes.

    Yields one smoothed H x W x 3 uint8 RGB output per item, in order (pairs with
    colorize.media.shots.iter_shots, which numbers the shots).
    """
    smoother = TemporalSmoother(cfg)
    current_shot = None
    for shot, guide, output in items:
        if shot != current_shot:
            smoother.reset()
            current_shot = shot
        yield smoother(guide, output)


def smoothed(items: Iterable["ColorizedFrame"], strength: float) -> Iterator["ColorizedFrame"]:
    """The smoothing filter over a colour stream: each colour frame blended with the previous one
    warped by optical flow on the line-art, where the flow is reliable; shot cuts (`source.cut`,
    marked once by media.shots.mark_cuts) reset it, so no colour crosses a cut. Holds one previous
    frame: memory stays flat. ValueError for frames whose cuts were never marked."""
    smoother = TemporalSmoother(SmoothingConfig(strength=strength))
    for item in items:
        if item.source.cut is None:
            raise ValueError("smoothing needs frames with shot cuts marked (media.shots.mark_cuts)")
        if item.source.cut:
            smoother.reset()
        yield dataclasses.replace(item, colour=smoother(item.lineart, item.colour))
