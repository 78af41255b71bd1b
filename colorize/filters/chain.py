"""A carry chain's colour kept sharp: the image it started from, sampled once, plus a smooth rest.

The temporal chains (temporal.py, keyed.py) move the previous frame's result onto the current frame
with a bilinear warp. One warp by a fraction of a pixel is a small blur; a chain repeats it every
frame, so a character moving a fraction of a pixel per frame was blurred by every step since its key
(twenty half-pixel steps spread a sharp edge over about seven pixels, where sampling the key once
keeps it within one or two). `ChainState` keeps the chain's colour as

    result = gain * anchor(coords) + rest

* `anchor`: H x W x 3 uint8, the image the chain started from (the artist's key, or the shot's
  first output), never resampled;
* `coords`: H x W x 2 float32, where each pixel of this frame lies in the anchor: the flows since
  the anchor composed (coords_t(x) = coords_{t-1}(x + b(x))), so the anchor is sampled once,
  whatever the number of steps;
* `gain`: H x W float32, the share of the anchor's colour the pixel still holds;
* `rest`: H x W x 3 float32, everything else: the generator's colour blended in where the chain did
  not carry, and the generator's low-frequency pull (TemporalConfig.detail). The rest is smooth or
  comes from the generator's own soft output, so its bilinear warps lose little.

`moved(maps)` warps the state along one step's sampling maps; `blended(...)` is the same fusion as
temporal.blend / temporal.blend_detail, done on the two parts, the result rounded to whole levels each
step as theirs is. On a chain's first step the result is the plain blend's (up to rounding); the two
differ only by the blur the old chain accumulated.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from colorize.filters.flow import lowpass, remap


@dataclass(frozen=True)
class ChainState:
    """One frame of a chain (see the module docstring): result = gain * anchor(coords) + rest."""

    anchor: np.ndarray
    coords: np.ndarray
    gain: np.ndarray
    rest: np.ndarray
    lines: np.ndarray | None = None

    @classmethod
    def start(cls, image: np.ndarray, lines: np.ndarray | None = None) -> "ChainState":
        """A chain that starts from `image` (H x W x 3 uint8): the anchor itself, all of it.
        `lines`: the anchor's line-art (H x W uint8), to measure the chain's drift against."""
        h, w = image.shape[:2]
        grid = np.empty((h, w, 2), np.float32)
        grid[..., 0] = np.arange(w, dtype=np.float32)[None, :]
        grid[..., 1] = np.arange(h, dtype=np.float32)[:, None]
        return cls(image, grid, np.ones((h, w), np.float32), np.zeros((h, w, 3), np.float32), lines)

    def drift(self, lines: np.ndarray, sigma: float = 3.0) -> np.ndarray | None:
        """H x W float32: how far the anchor's line-art, moved as this chain moved it, is from this
        frame's `lines` (grey levels, blurred by sigma px); None without the anchor's line-art."""
        if self.lines is None:
            return None
        moved = cv2.remap(self.lines, self.coords, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return lowpass(cv2.absdiff(moved, lines).astype(np.float32), sigma)

    def reanchored(self, coords: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, "ChainState"]:
        """The chain with the pixels `where` (H x W bool) moved to `coords` (H x W x 2 float32, positions
        in the anchor found some other way) and holding the anchor's colour there whole (gain 1, no
        rest); elsewhere as it was. Returns the result (H x W x 3 uint8) and the new state, whose
        later steps carry on from the corrected positions."""
        mask = where.astype(np.uint8)
        coords = cv2.copyTo(coords.astype(np.float32, copy=False), mask, self.coords.copy())
        gain = self.gain.copy()
        gain[where] = 1.0
        rest = cv2.copyTo(np.zeros_like(self.rest), mask, self.rest.copy())
        result = _summed(_sample(self.anchor, coords), gain, rest, np.uint8)
        return result, ChainState(self.anchor, coords, gain, rest, self.lines)

    def moved(self, maps: tuple[np.ndarray, np.ndarray]) -> "Moved":
        """The state carried onto the next frame along `maps` (its H x W sampling positions in this
        frame, filters.flow.sample_maps): the anchor sampled once at the composed positions."""
        coords = cv2.remap(self.coords, maps[0], maps[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        gain = remap(self.gain, maps)  # 0 outside the frame: nothing is carried from there
        return Moved(self.anchor, coords, gain, _sample(self.anchor, coords), remap(self.rest, maps), self.lines)


@dataclass(frozen=True)
class Moved:
    """A state warped one step (ChainState.moved): the anchor sampled at the new positions (`sharp`,
    H x W x 3 uint8), the warped `gain` and `rest`; `colour()` is what a plain warp of the result
    would give, less its blur."""

    anchor: np.ndarray
    coords: np.ndarray
    gain: np.ndarray
    sharp: np.ndarray
    rest: np.ndarray
    lines: np.ndarray | None = None

    def colour(self) -> np.ndarray:
        """H x W x 3 uint8: the carried colour (to flatten it, or to look at)."""
        return _summed(self.sharp, self.gain, self.rest, np.uint8)

    def blended(self, output: np.ndarray, mask: np.ndarray, carry: float, sigma: float
                ) -> tuple[np.ndarray, ChainState]:
        """The frame's result (H x W x 3 uint8) and state: the carried colour w fused with the
        generator's `output` (H x W x 3 uint8) under `mask` (H x W float32 in [0, 1]), as
        temporal.blend (sigma 0: r = a * w + (1 - a) * o with a = mask * carry) or temporal.blend_detail
        (r = m * (w + (1 - carry) * (lowpass(o) - lowpass(w))) + (1 - m) * o) would."""
        o = output.astype(np.float32)
        rest = self.rest
        if sigma > 0:
            kept = mask
            carried = _summed(self.sharp, self.gain, rest, np.float32)
            pull = lowpass(cv2.subtract(o, carried), sigma)  # lowpass(o) - lowpass(w), in one low-pass
            rest = cv2.scaleAdd(pull, 1.0 - carry, rest)
        else:
            kept = cv2.multiply(mask, carry)
        # cv2.blendLinear: (w1 * a + w2 * b) / (w1 + w2) per pixel, the weights summing to 1 here
        rest = cv2.blendLinear(rest, o, kept, np.float32(1.0) - kept)
        gain = cv2.multiply(kept, self.gain)
        scaled = cv2.multiply(self.sharp, cv2.merge([gain, gain, gain]), dtype=cv2.CV_32F)
        # the result in whole levels 0..255, as the re-warping chain's uint8 results were, and the rest
        # made to match it: a pull of under half a level a step (a generator's faint tint of a key's
        # white paper) does not pile up (the chains' settings were chosen with that; without it, held-out
        # clips with two keys read ΔE 4.81 against 4.72, and keyed cel clips' paper went a level grey)
        total = np.clip(np.rint(cv2.add(scaled, rest)), 0, 255)
        state = ChainState(self.anchor, self.coords, gain, cv2.subtract(total, scaled), self.lines)
        return total.astype(np.uint8), state


def _sample(anchor: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8: `anchor` sampled (bilinear, 0 outside) at `coords` (H x W x 2 float32)."""
    return cv2.remap(anchor, coords, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def _summed(sharp: np.ndarray, gain: np.ndarray, rest: np.ndarray, dtype: type) -> np.ndarray:
    """sharp * gain + rest (H x W x 3, gain H x W) as float32, or as uint8 rounded and clipped."""
    scaled = cv2.multiply(sharp, cv2.merge([gain, gain, gain]), dtype=cv2.CV_32F)
    return cv2.add(scaled, rest, dtype=cv2.CV_8U if dtype is np.uint8 else cv2.CV_32F)
