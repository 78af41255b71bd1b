"""Temporal mode: carry each shot's colours along the motion, and let the generator fill in the rest.

A reference-guided generator re-guesses every frame from its keyframe, so on real drawings the same
patch of colour changes from frame to frame. `TemporalPropagator` keeps the colours where the motion
says they are: the previous *output* (or the artist's keyframe, on a keyframe's frame) is moved onto
the current frame along dense optical flow measured on the line-art, and kept wherever that flow can be
trusted; the generator's own (keyframe-guided) output decides wherever it cannot (occlusions, content
entering the frame, deformation the flow does not follow):

    propagator = TemporalPropagator(TemporalConfig())
    for frame in frames:                        # guide: H x W uint8 line-art; output: H x W x 3 uint8 RGB
        if frame.cut:
            propagator.reset()                  # nothing before a cut is carried into the next shot
        yield propagator(guide, output, keyframe=None)   # keyframe: the artist's H x W x 3 colours, if any

For frame t with line-art g_t, generator output o_t and the previous line-art g_{t-1} and result r_{t-1}:

    b = flow g_t -> g_{t-1}          (DIS on blurred line-art: colorize.filters.flow, the core smoothing shares)
    m = reliability(x)               (1: flows consistent and the warped line-art matches; `unsure`:
                                      the line-art matches but the flows disagree; 0: a line does not
                                      match, or the flow leaves the frame)
    r_t = m * (carry * r_{t-1}(x + b(x)) + (1 - carry) * o_t) + (1 - m) * o_t

This is the smoother's recursion with a high carry weight (0.9 by default, against --smooth's 0.5):
reliable pixels mostly keep the propagated colour, and the (1 - carry) share of the generator's output
each frame re-anchors the result to the keyframe-guided guess, so a long shot cannot drift further than
the generator itself (a colour error made k frames ago keeps carry^k of its weight). A keyframe frame
starts the chain from the keyframe itself (r_t = keyframe), so its true colours are what is carried.

Why explicit fusion and not a learned recurrent generator (one that also sees the warped previous
output and its confidence): that needs training on real-art clips with a warp loss, hours of CPU time
this project does not have; the fusion needs none and works with any reference-guided model.

Chosen by measurement on the held-out real-art clips with the real-art model (keyframe + temporal,
PSNR dB / TC): the line check on raw Canny line-art threw away half of every frame (its edges jitter),
so both line-arts are blurred first; pixels where only the forward-backward check fails are mostly flat
paint where flow is ambiguous, and carrying them at 0.75 instead of 0 took TC from 1.73 to 1.19 at
carry 0.85 (carrying them fully, 0.91, smeared the background a character uncovers, so the line check
still gates them). carry 0.85 / 0.9 / 0.95 gave 20.94 / 21.12 / 21.32 dB at TC 1.19 / 1.16 / 1.16;
0.9 keeps more re-anchoring for long shots. `regions=True` (off) makes the carried colour constant
inside each closed paper region of the line-art (the mean of the warped colour where most of the region
is reliable): 18.02 dB / TC 1.83 against 20.94 / 1.19, since painted art shades inside its regions.
A flow on the line-art's distance map (to give DIS texture in flat paper) measured no better and went.

Cost: the flow is most of it, so with a working size (`TemporalConfig.at_working_size`, what the
video and folder jobs use) it runs at that size; each frame's line-art is scaled and blurred once and
one set of sampling maps warps both the line-art and the colour. At 1280x720 on the loaded 2-core CPU
(load average 4-5, 12 frames, median of 4 interleaved rounds) one propagator call took 302 ms with the
flow at 640 px and the old per-call preparation, 133 ms with the flow at the working size 384
(the scratch A/B of this change; benchmarks/bench_temporal_cost.py compares the flow sizes).
On the held-out real-art clips upscaled to 768 px and coloured at 384 (keyframe + temporal, 120
frames; bench_colorize.py --quality) the flow at 384 gave 23.38 dB / TC 1.12 against 23.44 / 0.98
with it at 640, in half the time: a little steadiness traded for speed.

The carried colour is kept sharp (chain.ChainState): r_{t-1}(x + b(x)) is not a bilinear warp of the
previous result, which blurs by a little at every step and so blurred a character moving by fractions
of a pixel more with every frame since its key, but the chain's start (the keyframe, or the shot's
first output) sampled once at the flows composed since, plus the warped remainder (the generator's
colour blended in, smooth). Held-out real-art clips, keys at each shot's first and last frames: the
output's edges (mean |Laplacian|) went from 0.60 to 0.80 of the truth's, PSNR 24.24 to 24.33 dB
(docs/keyframes.md).

State: the previous line-art (prepared for the flow and for the line check), the previous result and
its chain state (one frame each), and the flow engine.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

import cv2
import numpy as np

from colorize.errors import InputError
from colorize.filters.chain import ChainState
from colorize.filters.flow import (FlowSettings, blend, check_pair, check_same_size, checked_settings,
                                   consistent_flows, feathered, flows_between, inside, line_matches, lowpass, remap,
                                   sample_maps, upscale_flow)
from colorize.media.flow import MIN_FLOW_SIDE, make_flow_engine

if TYPE_CHECKING:
    from colorize.engine.model import ColorizedFrame


@dataclass
class TemporalConfig:
    """How much colour is carried along the motion and where (validated; ValueError names the field).

    carry: weight of the propagated colour where the flow is reliable, 0 <= carry < 1; the rest,
        (1 - carry), is the generator's output of this frame (re-anchoring against drift).
    photometric_tolerance: grey levels (0..255) the warped previous line-art may differ from the
        current line-art at a pixel that still carries colour; lower is safer at lines.
    feather: sigma in pixels that softens the reliability mask's borders (0 = hard mask).
    flow_side: the flow runs on line-art scaled to at most this long a side (0 = full size).
    flow_blur: sigma in pixels of the blur the line-art gets before the flow only.
    check_blur: sigma in pixels of a blur both line-arts get before the photometric check only
        (0 = compare them as they are).
    regions: also flatten the carried colour inside each closed paper region of the line-art.
    region_reliable: fraction of a region's pixels that must be reliable before it is flattened.
    keyframe_start: on a keyframe's frame, the result is the keyframe itself (the artist's colours
        start the chain) rather than the generator's guess from it.
    detail: sigma in pixels of the low-pass through which the generator pulls the carried colour
        (blend_detail: drift in colour is corrected, carried detail kept); 0 = the plain blend.
    """

    carry: float = 0.9
    photometric_tolerance: float = 32.0
    feather: float = 1.0
    flow_side: int = 640
    flow_blur: float = 1.5
    check_blur: float = 2.0
    round_trip: float = 0.5
    unsure: float = 0.75
    regions: bool = False
    region_reliable: float = 0.6
    keyframe_start: bool = True
    detail: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.carry < 1.0:  # (False for NaN too)
            raise ValueError(f"carry must be at least 0 and below 1, got {self.carry}")
        if not 0.0 <= self.unsure <= 1.0:
            raise ValueError(f"unsure must be 0 to 1, got {self.unsure}")
        if not (math.isfinite(self.round_trip) and self.round_trip >= 0.0):
            raise ValueError(f"round_trip must be 0 or more squared pixels, got {self.round_trip}")
        if not (math.isfinite(self.check_blur) and 0.0 <= self.check_blur <= 20.0):
            raise ValueError(f"check_blur must be 0 to 20 pixels, got {self.check_blur}")
        if not (math.isfinite(self.detail) and 0.0 <= self.detail <= 50.0):
            raise ValueError(f"detail must be 0 to 50 pixels, got {self.detail}")
        if not 0.0 <= self.region_reliable <= 1.0:
            raise ValueError(f"region_reliable must be 0 to 1, got {self.region_reliable}")
        self.flow  # checks the flow and line-check settings (filters.flow.checked_settings)

    @classmethod
    def at_working_size(cls, size: int, **fields) -> "TemporalConfig":
        """The config for frames coloured at working size `size` (Colorizer.size; 0 = full resolution):
        the flow runs at that size, as the generator does, rather than at `flow_side`'s 640 (the flow
        is the mode's main cost, and the colour it carries was made at that size); the line check,
        the warp and the fusion stay at full resolution, so carried colour still stops at the
        full-resolution lines. `fields` override the rest."""
        if size > 0:
            fields.setdefault("flow_side", min(cls.flow_side, max(size, 2 * MIN_FLOW_SIDE)))
        return cls(**fields)

    @property
    def flow(self) -> FlowSettings:
        """Where the flow runs (colorize.filters.flow.FlowSettings)."""
        return checked_settings(self.photometric_tolerance, self.feather, self.flow_side, self.flow_blur)


class TemporalPropagator:
    """Colour carried along line-art motion within a shot; call `reset()` at every cut.

    `propagator(guide, output, keyframe=None)`: guide H x W uint8 line-art (or H x W x 3 uint8 RGB,
    made gray), output H x W x 3 uint8 RGB (the generator's result for this frame), keyframe an
    optional H x W x 3 uint8 RGB colouring of this frame. Returns a new H x W x 3 uint8 RGB array; the
    inputs are not modified. The first frame of a shot is the output (or the keyframe) as it is.
    `step(...)` is the same call returning a `Carried` (the result and what made it: the prepared
    guide, the flows, the reliability), for filters that also run the chain backwards (keyed.py).
    Holds only the previous frame's prepared guide and result: memory is flat at any clip length.
    """

    def __init__(self, cfg: TemporalConfig | None = None) -> None:
        self.cfg = cfg if cfg is not None else TemporalConfig()
        self._flow = self.cfg.flow
        self.engine = make_flow_engine()
        self._prev_guide: Guide | None = None
        self._prev_result: np.ndarray | None = None
        self._prev_state: ChainState | None = None  # the previous result kept sharp (chain.py)
        self.frames = 0  # frames seen since the last reset

    def reset(self) -> None:
        """Forget the previous frame (a cut): the next result is that frame's output as it is."""
        self._prev_guide = None
        self._prev_result = None
        self._prev_state = None
        self.frames = 0

    def __call__(self, guide: np.ndarray, output: np.ndarray, keyframe: np.ndarray | None = None) -> np.ndarray:
        return self.step(guide, output, keyframe).result

    def step(self, guide: np.ndarray, output: np.ndarray, keyframe: np.ndarray | None = None,
             key_flows: bool = False) -> "Carried":
        """The frame's result with what made it. `key_flows`: on a keyframe's frame, still measure
        the flows to the previous frame (`Carried.flows`; the result stays the keyframe)."""
        guide = check_pair(guide, output, self.frames)
        if keyframe is not None and keyframe.shape != output.shape:
            raise InputError(f"frame {self.frames}: the keyframe is {keyframe.shape[1]}x{keyframe.shape[0]} "
                             f"but the frame is {output.shape[1]}x{output.shape[0]}")
        if self._prev_guide is not None:
            check_same_size(guide, self._prev_guide.check, self.frames)
        prepared = prepare_guide(guide, self.cfg)  # each frame's guide is scaled and blurred once, not twice
        can_carry = self._prev_guide is not None and max(guide.shape) >= MIN_FLOW_SIDE
        if keyframe is not None and self.cfg.keyframe_start:
            flows = flows_between(prepared.flow, self._prev_guide.flow, self.engine) if can_carry and key_flows else None
            carried = Carried(keyframe.copy(), prepared, flows)
        elif not can_carry or self.cfg.carry == 0:
            carried = Carried(output.copy(), prepared)
        else:
            flows = flows_between(prepared.flow, self._prev_guide.flow, self.engine)
            carried = carry_frame(self.cfg, guide, prepared, self._prev_guide, flows, self._prev_result, output,
                                  self._prev_state)
        # a copy: the caller owns (and may reuse) the array handed back
        self._prev_guide, self._prev_result = prepared, carried.result.copy()
        self._prev_state = carried.state
        self.frames += 1
        return carried


@dataclass(frozen=True)
class Guide:
    """One frame's line-art as the propagator uses it: `flow` (h x w uint8, scaled and blurred for
    the flow) and `check` (H x W uint8, blurred for the line check)."""

    flow: np.ndarray
    check: np.ndarray


@dataclass(frozen=True)
class Carried:
    """One step of the chain: `result` (H x W x 3 uint8 RGB), the frame's prepared `guide`, the
    `flows` (backward this -> previous, forward previous -> this; h x w x 2 float32 at the flow size)
    when they were measured, and, when colour was carried, the `mask` (H x W float32 reliability)
    and the sampling `maps` (this frame -> previous, full size) it was carried with; `state`: the
    result as the chain keeps it (chain.ChainState; None: the chain starts from `result`)."""

    result: np.ndarray
    guide: Guide
    flows: tuple[np.ndarray, np.ndarray] | None = None
    mask: np.ndarray | None = None
    maps: tuple[np.ndarray, np.ndarray] | None = None
    state: ChainState | None = None


def prepare_guide(guide: np.ndarray, cfg: TemporalConfig) -> Guide:
    """The H x W uint8 guide as the flow sees it (scaled to the flow size, blurred by flow_blur) and
    as the line check sees it (blurred by check_blur at full size); both new arrays."""
    flow = cfg.flow.prepare(guide)
    flow = flow.copy() if flow is guide else flow
    check = cv2.GaussianBlur(guide, (0, 0), cfg.check_blur) if cfg.check_blur > 0 else guide.copy()
    return Guide(flow, check)


def carry_frame(cfg: TemporalConfig, guide: np.ndarray, cur: Guide, prev: Guide,
                flows: tuple[np.ndarray, np.ndarray], prev_result: np.ndarray, output: np.ndarray,
                prev_state: ChainState | None = None) -> Carried:
    """One step of the chain: `prev_result` (H x W x 3 uint8, the neighbour frame's result) moved
    onto this frame (line-art `guide`, H x W uint8, prepared as `cur`) along `flows` = (this ->
    neighbour, neighbour -> this) at the flow size, kept where reliable and blended with this
    frame's generator `output` (H x W x 3 uint8). The neighbour is the previous frame going forwards,
    the next one going backwards (keyed.py): the step does not care which. `prev_state`: the
    neighbour's `Carried.state` (chain.ChainState, the same colour kept sharp), so what the chain
    carries from its start is sampled once rather than warped again every step; None starts one
    from `prev_result`."""
    size = (guide.shape[1], guide.shape[0])
    backward, forward = flows
    consistent = consistent_flows(backward, forward, size, cfg.round_trip)
    maps = sample_maps(upscale_flow(backward, size))  # one set of maps warps the line-art and the colour
    mask = reliability(cfg, cur, prev, maps, consistent)
    moved = (prev_state if prev_state is not None else ChainState.start(prev_result, prev.check)).moved(maps)
    if cfg.regions:
        carried, mask = flatten_regions(guide, moved.colour(), mask, cfg.region_reliable)
        result = blend_detail(output, carried, mask, cfg.carry, cfg.detail) if cfg.detail > 0 else \
            blend(output, carried, mask, cfg.carry)
        state = ChainState.start(result)  # flattened colour is the chain's new start
    else:
        result, state = moved.blended(output, mask, cfg.carry, cfg.detail)
    return Carried(result, cur, flows, mask, maps, state)


def reliability(cfg: TemporalConfig, cur: Guide, prev: Guide, maps: tuple[np.ndarray, np.ndarray],
                consistent: np.ndarray) -> np.ndarray:
    """H x W float32 in [0, 1]: the share of the carried colour pixel x may take (times cfg.carry).

    1 where the flows agree and the warped neighbour line-art matches this one; cfg.unsure
    where only the flows disagree (on real drawings mostly flat paint, where flow is ambiguous,
    rather than occlusions: the lines of what appears or is uncovered fail the line check); 0
    where the line check fails or the flow leaves the frame. Both line-arts are blurred by
    cfg.check_blur for the check, so a line that moved by a pixel still matches.
    """
    matches = line_matches(remap(prev.check, maps), cur.check, cfg.photometric_tolerance)
    unsure = matches & ~consistent & inside(maps)
    weight = (consistent & matches).astype(np.float32) + np.float32(cfg.unsure) * unsure
    return feathered(weight, cfg.feather)


def blend_detail(output: np.ndarray, carried: np.ndarray, mask: np.ndarray, carry: float, sigma: float
                 ) -> np.ndarray:
    """Key detail kept: m * (w + (1 - carry) * (lowpass(o) - lowpass(w))) + (1 - m) * o, uint8 RGB.

    The pull towards the generator output o corrects the carried colour w only in its low
    frequencies (Gaussian of `sigma` px), so w's texture, shading and line colour are kept whole
    where the flow is reliable; output, carried: H x W x 3 uint8; mask: H x W float32 in [0, 1].
    """
    o, w = output.astype(np.float32), carried.astype(np.float32)
    pull = lowpass(o - w, sigma)  # lowpass(o) - lowpass(w): the low-pass is linear
    kept = w + np.float32(1.0 - carry) * pull
    m = mask[..., None]
    return np.clip(np.rint(m * kept + (1.0 - m) * o), 0, 255).astype(np.uint8)


def carry_colours(items: Iterable["ColorizedFrame"], cfg: TemporalConfig | None = None
                  ) -> Iterator["ColorizedFrame"]:
    """The temporal mode over a stream of ColorizedFrames (a video's, or one folder sequence's): each
    colour frame replaced by the propagator's result; shot cuts (`source.cut`, marked once by
    media.shots.mark_cuts) reset it, and a frame with a keyframe (`source.key`, H x W x 3 uint8 at
    the frame's size, attached once by the job) starts from the keyframe. Holds one previous frame.

    ValueError for frames whose cuts were never marked. The result depends only on the frames since
    the last cut, so a job restarted at a cut rebuilds the same colours.
    """
    propagator = TemporalPropagator(cfg)
    for item in items:
        if item.source.cut is None:
            raise ValueError("the temporal mode needs frames with shot cuts marked (media.shots.mark_cuts)")
        if item.source.cut:
            propagator.reset()
        key = getattr(item.source, "key", None)
        yield dataclasses.replace(item, colour=propagator(item.lineart, item.colour, key))


def flatten_regions(guide: np.ndarray, carried: np.ndarray, mask: np.ndarray, min_reliable: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Region-aware carry: in each closed paper region of `guide` (H x W uint8, 255 = paper) where at
    least `min_reliable` of the pixels have mask 1, the carried colour becomes the mean of `carried`
    (H x W x 3 uint8) over those reliable pixels, and the mask (H x W float32) becomes 1 inside it.

    Returns new (carried, mask). Lines (dark pixels) and mostly unreliable regions are left as they are.
    """
    count, labels = cv2.connectedComponents((guide >= 128).astype(np.uint8), connectivity=4)
    reliable = (mask >= 0.999).ravel()
    flat_labels = labels.ravel()
    size = np.bincount(flat_labels, minlength=count)
    good = np.bincount(flat_labels[reliable], minlength=count)
    sums = np.stack([np.bincount(flat_labels[reliable], carried.reshape(-1, 3)[reliable, c], minlength=count)
                     for c in range(3)], 1)
    chosen = (good >= min_reliable * np.maximum(size, 1)) & (good > 0)
    chosen[0] = False  # label 0 is the lines
    means = np.round(sums / np.maximum(good, 1)[:, None]).astype(np.uint8)
    inside = chosen[labels]
    carried, mask = carried.copy(), mask.copy()
    carried[inside] = means[labels[inside]]
    mask[inside] = 1.0
    return carried, mask

