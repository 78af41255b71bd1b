"""Keys on both sides: a frame between two keyframes takes its colours from both.

The temporal mode (temporal.py) carries a keyframe's colours forwards only, so the frames before a
later key never see it: whatever enters the shot after the first key is painted with the generator's
guess until the later key arrives, then jumps. `carry_both_ways` runs the same chain twice:

    for item in carry_both_ways(items, cfg):      # ColorizedFrames in, ColorizedFrames out, in order
        ...

* forwards, exactly as `temporal.carry_colours` (same propagator, same results), also keeping each
  pixel's confidence c_f: the product of the reliability along the chain since the key (c = 1 on
  the key's frame, c_t = m_t(x) * c_{t-1}(x + b(x)); m from the key chain's settings, as for c_b);
* backwards from the next key, over the frames since the last key (or the cut), reusing the
  forward pass's flows (the step from t+1 to t is the step from t to t+1 with the two flows
  swapped) and its prepared line-art, so no flow is measured twice: B_t and c_b;
* blended per pixel: with keys at a < t < b, w_f = c_f * (b - t) * trust(d_f), w_b = c_b * (t - a) *
  trust(d_b) (d: the chain's drift, how far its key's line-art, moved as the chain moved it, lies
  from this frame's; trust(d) = 1 / (1 + (d / DRIFT)^2)) and

      alpha = (w_b + eps * (t - a)) / (w_f + w_b + eps * (b - a)),    r_t = F_t + alpha * (B_t - F_t)

  (eps, tiny, fades by distance alone where neither chain is reliable; there both are the
  generator's colours, carried). Before a shot's first key (no earlier one) alpha = c_b: the key's
  colours go backwards wherever the motion holds, the shot's own forward colours elsewhere.
  The two chains blended between keys carry more (KEY_CARRY 0.97 against the temporal mode's 0.9:
  the nearer key bounds their drift), also where the flows disagree or the lines differ a little
  (KEY_UNSURE, KEY_TOLERANCE), and take the generator's pull through a low-pass (KEY_DETAIL,
  TemporalConfig.detail: the keys' texture and line colour are kept, only drift in colour is
  corrected). Between two keys, where neither key reaches (1 - max(c_f, c_b)) the blend is
  low-passed with its edges kept (FILL_BLUR, FILL_EDGE): both chains carry the generator's guess
  there, whose fine texture changes every frame. The figures that chose them are here and in
  docs/keyframes.md.
* re-anchored on their keys: a chain's positions in its key are its flows composed, and a pixel it
  once lost keeps a wrong position from then on (the walker's swinging legs, the paper a moving
  figure drags). Every frame the backward chain reaches (between two keys, or before a shot's first
  key) and every frame between two keys going forwards is also matched straight to the chain's key
  by one flow (`key_match`), and where that match passes the checks and lies near the chain's own position,
  the chain takes the key's colour from the matched place and carries on from it (`reanchor`,
  DIRECT_ERODE, DIRECT_REACH, DIRECT_TOLERANCE); those pixels count as fully confident.

Each frame also carries how surely its colour came from a key (ColorizedFrame.key_reach, for the
ink of `lines colour` and the paint of what no key reaches, colorize.cel): 1 on a key's frame, then going forwards the previous
reach carried along the motion times each step's mask (over REACH_HELD), and between keys or before
the first max(c_f, c_b); None before a shot's first key when none comes later.

Streaming: after a key (or a cut) each frame is spilled to a private temporary folder (line-art,
generator colour, forward result and confidence, prepared line-art, flows; the source frame's
arrays) until the next key, the next cut or the end, unless the frame says no key comes later
(media.frames.Frame.keys_ahead False, set by attach_keys from the keyframe numbers): then it and
those waiting go out at once as the temporal mode makes them, and the key chain is not followed. A
key runs the backward pass over the spill in reverse (each blended frame written back), then yields
the spilled frames in order; a cut or the end yields them forward-only, so a shot with one key (or
none) comes out exactly as the temporal mode makes it. Memory holds two frames and a few numbers per
spilled frame; disk holds the frames since the last key.
"""

from __future__ import annotations

import dataclasses
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

import cv2
import numpy as np

from colorize.filters.flow import (consistent_flows, edge_lowpass, flows_between, inside, line_matches, remap,
                                   sample_maps, upscale_flow)
from colorize.filters.temporal import Carried, Guide, TemporalConfig, TemporalPropagator, carry_frame

if TYPE_CHECKING:
    from colorize.engine.model import ColorizedFrame

#: Weight per frame of distance where neither chain is reliable (a cross-fade by distance alone).
EPS = 1e-3
#: A step mask at or above this keeps the forward key_reach whole: the temporal mode carries only
#: `unsure` (0.75) where just the flows disagree, mostly flat paint the key did show, and as a plain
#: product of masks the reach of what the first key showed faded within a few frames (with the ink's
#: colour share the reach itself, the drawing's lines went dark all over: on bench_keyed_lineart's
#: stream outputs, first key, 26.39 / 1.65 / 0.64 -> 25.29 / 1.78 / 1.40; at REACH_HELD 0.5 26.29 /
#: 1.64 / 1.10, at 0.75 25.88 / 1.73 / 1.30).
REACH_HELD = 0.5
#: Carry weight of the chains between two keys: each is re-anchored by the nearer key, so it needs
#: less of the generator's pull against drift than a chain with no key ahead (the temporal mode's 0.9).
#: Held-out real-art clips, keys at each shot's first and last frames (benchmarks/bench_keys_both.py,
#: PSNR dB / ΔE / TC): 0.9 22.89 / 6.05 / 1.29, 0.95 23.47 / 5.47 / 1.31, 0.97 23.71 / 5.19 / 1.34.
KEY_CARRY = 0.97
#: Sigma (px) of a blur of the blend weights (0: none; 3 and 8 px measured no better).
ALPHA_BLUR = 0.0
#: TemporalConfig.detail of those chains: the generator's pull low-passed, the keys' detail kept
#: (at carry 0.97: 23.71 / 5.19 / 1.34 without, 23.82 / 5.10 / 1.36 with a 4 px low-pass).
KEY_DETAIL = 4.0
#: TemporalConfig.unsure and .photometric_tolerance of those chains: between two keys a pixel whose
#: flows disagree (flat paint, 0.92) or whose blurred lines differ by up to 96 grey levels still carries
#: (the temporal mode: 0.75 and 32), since each chain is re-anchored by the nearer key; every pixel
#: a chain drops takes the generator's fresh guess, which it re-guesses every frame (the flicker of
#: the clips where TC was worst).
KEY_UNSURE = 0.92
KEY_TOLERANCE = 96.0
#: Sigma (px) of the low-pass the blend gets where neither key reaches (weight 1 - max(c_f, c_b)),
#: between two keys only: there both chains carry the generator's guess, and its fine texture is
#: what flickers. Clips 4, 6, 7 of the held-out set, frames strictly between the keys (PSNR dB / TC):
#: as before 23.22 / 2.56; unsure 0.9 + tolerance 96 24.01 / 2.05; fill low-pass 4 px alone
#: 23.31 / 1.79; both 24.03 / 1.48. All 8 clips (bench_keys_both.py --suggest 3, PSNR / ΔE / worst
#: clip TC): fill 4 px 24.64 / 4.57 / 1.70, 8 px 24.32 / 4.74 / 1.66 (clip 7 1.69 -> 1.48); with c_f
#: from the key chain's masks 24.55 / 4.66 / 1.54 (clip 6); and unsure 0.92, fill 12 px
#: 24.47 / 4.69 / 1.48 (unsure 0.95: clip 6 1.43 but clip 7 1.66-1.79). Chosen on these 8 clips.
FILL_BLUR = 12.0
#: The colour sigma (grey levels) of the fill's low-pass (flow.edge_lowpass, a bilateral filter): the
#: plain Gaussian of FILL_BLUR it replaces spread a moving figure's colour over the paper around it
#: wherever neither key reached (a grey haze around a door on white paper in the keyed cel clips).
#: Keys at both ends, DRIFT 10, Gaussian -> 30 -> 60 (PSNR dB / ΔE / TC): held-out real-art clips
#: (bench_keys_both.py --suggest 3 --only-main) 25.44 / 4.01 / 0.91 -> 25.80 / 3.79 / 1.01 -> 25.80 /
#: 3.79 / 0.98 (worst clip TC 1.98 -> 2.47 -> 2.34), with the suggested keys 28.22 / 2.40 / 1.16 ->
#: 28.43 / 2.34 / 1.23 -> 28.43 / 2.34 / 1.22; keyed cel clips (bench_keyed_lineart.py, free + colour)
#: 30.58 / 0.69 / 1.44 -> 31.08 / 0.61 / 1.36 -> 31.06 / 0.61 / 1.37.
FILL_EDGE = 60.0
#: Grey levels of drift (chain.ChainState.drift: the key's line-art moved as the chain moved it,
#: against this frame's, both blurred as for the line check, then over 3 px) at which a chain's weight
#: in the blend between two keys halves: where a chain's key lines no longer lie on this frame's, it has
#: lost the drawing there, and the other chain, whose key lines still fit, should colour it, rather than
#: the two being cross-faded into a double image. Held-out clips, two keys (bench_keys_both, PSNR dB /
#: ΔE / TC): off 24.31 / 4.86 / 0.81, 60 24.34 / 4.84 / 0.81, 20 24.38 / 4.82 / 0.83, 10 24.40 / 4.81 /
#: 0.83, 5 24.41 / 4.80 / 0.83; on the README sample a leaf and a mushroom the girl passes are one
#: shape instead of two. 10 was kept then; with the chains since (re-anchoring, FILL_EDGE), 10 -> 5
#: (the suggested-keys clips' 321 frames; keyed cel clips, free + colour): two keys 25.80 / 3.79 /
#: 0.98 / worst 2.34 -> 25.82 / 3.79 / 0.98 / 2.32, suggested keys 28.43 / 2.34 / 1.22 / 2.91 -> 28.50 /
#: 2.32 / 1.23 / 2.94, cel clips keyed at both ends 31.06 / 0.61 / 1.37 -> 31.09 / 0.60 / 1.38; the
#: blue streak the backward chain drags from an entering ghost over the paper (a keyed cel clip) is
#: gone at frame 11 and shorter at frame 17.
DRIFT = 5.0
#: Re-anchoring the chains on their key (`reanchor`; the backward chain wherever it runs, the forward
#: one between two keys, where it is blended): a chain's positions in its key
#: are the flows since the key composed, and a pixel the chain lost (a leg that swung, paper a
#: character dragged along) keeps a wrong position for every later frame. Each such frame is also
#: matched straight to the chain's key by one flow; where that match passes the checks (the
#: forward-backward round trip and the line check) and lies within DIRECT_REACH flow pixels of the
#: chain's own position, the chain takes the key's colour from there and carries on from it.
#: DIRECT_ERODE (flow pixels) erodes the passed area first: the checks pass in speckles on flat paint,
#: where a flow straight across many frames is most ambiguous, and each speckle is a colour that
#: flickers. Held-out real-art clips, two keys (bench_keys_both --only-main, PSNR dB / ΔE / TC / worst
#: clip TC): without 24.42 / 4.72 / 0.83 / 1.63; erode 0, reach unbounded 25.22 / 3.93 / 1.72 / 3.38
#: (a leaf took a mushroom's colours on the README sample); erode 2, 4, 7 (unbounded) 25.33 / 3.96 /
#: 1.31, 25.26 / 4.04 / 1.14, 25.14 / 4.17 / 1.03; erode 4 with reach 10, 16, 32: 25.11 / 4.26 / 0.91,
#: 25.17 / 4.22 / 0.92 / 1.87, 25.25 / 4.11 / 0.96; only where the chain's confidence is under 0.5 or
#: 0.9 (erode 4): 24.53 / 4.59 / 0.94, 24.74 / 4.41 / 1.03.
#: The line check of those matches is the temporal mode's (32 grey levels), not the looser one of the
#: chains between keys (KEY_TOLERANCE): one flow straight across many frames is wrong more often than a
#: step (96: 25.25 / 4.13 / 0.96 / 1.94). As shipped (erode 4, reach 16, check 32): 25.21 / 4.17 / 0.94 /
#: 1.87. Before a shot's only key (keyed at its last frame; the two-key run's generator outputs):
#: 23.05 / 5.47 / 1.26 without, 23.58 / 4.97 / 1.37 with.
DIRECT_ERODE = 4
DIRECT_REACH = 16.0
DIRECT_TOLERANCE = 32.0


def carry_both_ways(items: Iterable["ColorizedFrame"], cfg: TemporalConfig | None = None,
                    key_carry: float | None = KEY_CARRY, key_detail: float | None = KEY_DETAIL
                    ) -> Iterator["ColorizedFrame"]:
    """The temporal mode with keys on both sides (see the module docstring), over ColorizedFrames
    with cuts marked (`source.cut`) and keyframes attached (`source.key`). Frames come out in order,
    one per frame in, but those after a key or cut only once the next key, cut or the end arrives.
    `key_carry`, `key_detail`: the carry weight and TemporalConfig.detail of the two chains blended
    between keys (None: cfg's); frames after a shot's last key keep the temporal mode's own chain.
    ValueError for frames whose cuts were never marked."""
    cfg = cfg if cfg is not None else TemporalConfig()
    settings = (("carry", key_carry), ("detail", key_detail), ("unsure", KEY_UNSURE),
                ("photometric_tolerance", KEY_TOLERANCE))
    changes = {k: v for k, v in settings if v is not None and v != getattr(cfg, k)}
    key_cfg = dataclasses.replace(cfg, **changes) if changes else cfg
    with tempfile.TemporaryDirectory(prefix="colorize-keys-") as folder:
        yield from _BothWays(cfg, key_cfg, Path(folder)).run(items)


@dataclass(frozen=True)
class _Spilled:
    """A frame waiting on disk: its file and its position in the shot (all else is in the file,
    the ColorizedFrame without its arrays pickled beside them)."""

    path: Path
    position: int


@dataclass
class _Spill:
    """The frames waiting on disk: consecutive frames of one shot in consecutive files, so three
    numbers describe any number of them (memory stays flat however far apart the keys are)."""

    folder: Path
    first_file: int = 0
    first_position: int = 0
    count: int = 0

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, position: int) -> Path:
        """The file of a new frame at `position` in the shot (the one after the last spilled)."""
        if not self.count:
            self.first_position = position
        self.count += 1
        return self.folder / f"{self.first_file + self.count - 1:08d}.npz"

    def take(self) -> "_Records":
        """The spilled frames in order (made as they are read), and an empty spill after them."""
        first, start, count = self.first_file, self.first_position, self.count
        self.first_file, self.count = first + count, 0
        return _Records(self.folder, first, start, count)


class _Records:
    """A lazy sequence of _Spilled: file first_file + i holds the frame at position start + i."""

    def __init__(self, folder: Path, first_file: int, start: int, count: int):
        self.folder, self.first_file, self.start, self.count = folder, first_file, start, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> _Spilled:
        return _Spilled(self.folder / f"{self.first_file + i:08d}.npz", self.start + i)

    def __iter__(self) -> Iterator[_Spilled]:
        return (self[i] for i in range(self.count))

    def __reversed__(self) -> Iterator[_Spilled]:
        return (self[i] for i in reversed(range(self.count)))


class _BothWays:
    """The filter's state: the forward propagator, the previous frame's forward confidence, the
    frames spilled since the last key or cut, and where that key was."""

    def __init__(self, cfg: TemporalConfig, key_cfg: TemporalConfig, folder: Path):
        self.cfg, self.key_cfg, self.folder = cfg, key_cfg, folder
        self.forward = TemporalPropagator(cfg)
        self.confidence: np.ndarray | None = None  # None: 0 everywhere (no key yet in this shot)
        self.reach: np.ndarray | None = None  # the forward result's reach from the last key (None: no key yet)
        self.keyed: Carried | None = None  # the previous frame's key chain at key_cfg.carry (None: no key yet)
        self.pending = _Spill(folder)
        self.position = 0            # frames since the cut
        self.key_at: int | None = None  # position of the shot's last key so far
        self.key_step: Carried | None = None  # that key's own step (its colour and prepared line-art)
        self.engine = self.forward.engine

    def run(self, items: Iterable["ColorizedFrame"]) -> Iterator["ColorizedFrame"]:
        for item in items:
            if item.source.cut is None:
                raise ValueError("the temporal mode needs frames with shot cuts marked (media.shots.mark_cuts)")
            if item.source.cut:
                yield from self.flush()
                self.forward.reset()
                self.confidence, self.position, self.key_at, self.keyed = None, 0, None, None
                self.key_step = self.reach = None
            key = getattr(item.source, "key", None)
            step = self.forward.step(item.lineart, item.colour, key, key_flows=bool(self.pending))
            self.reach = _carried_on(self.reach, step, key is not None)
            if key is not None:
                self._follow_key_chain(item, step, True)
                yield from self.backward(step)
                self.key_at, self.key_step = self.position, step
                yield dataclasses.replace(item, colour=step.result, key_reach=self.reach)
            elif getattr(item.source, "keys_ahead", None) is False:
                # no key comes later (media.frames.Frame.keys_ahead): nothing will blend this frame
                # or those waiting, so they go out now as the temporal mode makes them, and the key
                # chain, which only a later key would use, is not followed
                yield from self.flush()
                self.keyed = self.confidence = None
                yield dataclasses.replace(item, colour=step.result, key_reach=self.reach)
            else:
                self._follow_key_chain(item, step, False)
                self.spill(item, step)
            self.position += 1
        yield from self.flush()

    def _follow_key_chain(self, item: "ColorizedFrame", step: Carried, keyed: bool) -> None:
        """Move the chain from the last key (and the forward confidence) onto this frame, re-anchored
        on that key where the frame matches it straight (`reanchor`)."""
        self.keyed = self._key_chain(item, step, keyed)
        # c_f from the key chain's own reliability (key_cfg), as c_b is: with the temporal mode's
        # stricter masks c_f fell faster than c_b and the blend leaned on the backward chain
        self.confidence = self._confidence(self.keyed if self.keyed is not None else step, keyed)
        if not keyed and self.keyed is not None and self.keyed is not step and self.key_step is not None:
            self.keyed, matched = reanchor(self.key_cfg, self.keyed, self.key_step, self.engine)
            self.confidence = _raised(self.confidence, matched)

    def _confidence(self, step: Carried, keyed: bool) -> np.ndarray | None:
        """This frame's forward confidence (H x W float32) from the previous one's (None: zero)."""
        if keyed:
            return np.ones(step.result.shape[:2], np.float32)
        if self.confidence is None or step.mask is None:
            return None
        return step.mask * remap(self.confidence, step.maps)

    def _key_chain(self, item: "ColorizedFrame", step: Carried, keyed: bool) -> Carried | None:
        """This frame of the chain from the last key at key_cfg.carry (the temporal mode's own
        step when the carries agree), on the step's flows and mask; None before a shot's first key."""
        if keyed or (self.keyed is not None and self.key_cfg is self.cfg):
            return step
        if self.keyed is None or step.flows is None or step.mask is None:
            return None
        return carry_frame(self.key_cfg, item.lineart, step.guide, self.keyed.guide,
                           step.flows, self.keyed.result, item.colour, self.keyed.state)

    def spill(self, item: "ColorizedFrame", step: Carried) -> None:
        """Write the frame's arrays to the spill folder and keep its light record."""
        arrays = {"lineart": item.lineart, "output": item.colour, "forward": step.result,
                  "guide_flow": step.guide.flow, "guide_check": step.guide.check}
        if self.confidence is not None:
            arrays["confidence"] = self.confidence.astype(np.float16)
        if self.reach is not None:
            arrays["reach"] = self.reach.astype(np.float16)
        if self.keyed is not None and self.keyed is not step:
            arrays["forward_key"] = self.keyed.result
        chain = self.keyed.state if self.keyed is not None else None
        drift = chain.drift(step.guide.check) if chain is not None else None
        if drift is not None:
            arrays["drift"] = drift.astype(np.float16)
        if step.flows is not None:
            arrays["flow_back"], arrays["flow_fwd"] = step.flows
        source, names = item.source, ()
        if dataclasses.is_dataclass(source):
            names = tuple(f.name for f in dataclasses.fields(source)
                          if isinstance(getattr(source, f.name), np.ndarray))
            arrays.update({f"source_{n}": getattr(source, n) for n in names})
            source = dataclasses.replace(source, **{n: None for n in names})
        light = dataclasses.replace(item, source=source, lineart=None, colour=None)
        arrays["record"] = np.frombuffer(pickle.dumps((light, names)), np.uint8)  # our own file, read back below
        np.savez(self.pending.add(self.position), **arrays)

    def flush(self) -> Iterator["ColorizedFrame"]:
        """The spilled frames in order, as they were spilled (forward-only: no later key came)."""
        for record in self.pending.take():
            yield _restored(record, "forward", "reach")

    def backward(self, key_step: Carried) -> Iterator["ColorizedFrame"]:
        """Carry the key of `key_step` (this frame's step) backwards over the spill, blend each
        spilled frame with its forward result, and yield them in order."""
        pending = self.pending.take()
        if not pending:
            return
        later = self.position
        prev_guide, prev_result, prev_flows = key_step.guide, key_step.result, key_step.flows
        prev_state = None  # the backward chain starts from the key itself
        confidence: np.ndarray | None = np.ones(key_step.result.shape[:2], np.float32)
        for record in reversed(pending):
            with np.load(record.path) as data:
                arrays = {k: data[k] for k in data.files}
            output = arrays["output"]
            guide = Guide(arrays["guide_flow"], arrays["guide_check"])
            if prev_flows is None or self.key_cfg.carry == 0 or confidence is None:
                back, confidence, prev_state, drift_b = output, None, None, None
            else:
                step = carry_frame(self.key_cfg, arrays["lineart"], guide, prev_guide, (prev_flows[1], prev_flows[0]),
                                   prev_result, output, prev_state)
                confidence = step.mask * remap(confidence, step.maps)
                step, matched = reanchor(self.key_cfg, step, key_step, self.engine)  # re-anchored on its key
                confidence = _raised(confidence, matched)
                back = step.result
                prev_state = step.state
                drift_b = step.state.drift(guide.check) if step.state is not None else None
            forward_conf = arrays["confidence"].astype(np.float32) if "confidence" in arrays else None
            drift_f = arrays["drift"].astype(np.float32) if "drift" in arrays else None
            arrays["blended"] = blend_chains(arrays.get("forward_key", arrays["forward"]), forward_conf, back, confidence,
                                             record.position, self.key_at, later, drift_f, drift_b)
            arrays["blended_reach"] = _either(forward_conf, confidence, back.shape[:2]).astype(np.float16)
            np.savez(record.path, **arrays)
            prev_guide, prev_result = guide, back
            prev_flows = (arrays["flow_back"], arrays["flow_fwd"]) if "flow_back" in arrays else None
        for record in pending:
            yield _restored(record, "blended", "blended_reach")


def blend_chains(forward: np.ndarray, c_f: np.ndarray | None, backward: np.ndarray, c_b: np.ndarray | None,
                 t: int, a: int | None, b: int, drift_f: np.ndarray | None = None,
                 drift_b: np.ndarray | None = None) -> np.ndarray:
    """r = F + alpha * (B - F) (see the module docstring) as H x W x 3 uint8, for frame position t
    between keys at positions a (None: no earlier key in the shot) and b. forward, backward: H x W x 3
    uint8; c_f, c_b: H x W float32 confidences in [0, 1] (None: 0 everywhere); drift_f, drift_b:
    H x W float32 drifts of the chains (chain.ChainState.drift; None: no drift known), which lower
    each chain's weight between two keys (trust()); the fill still follows c_f and c_b alone."""
    shape = forward.shape[:2]
    c_b = np.zeros(shape, np.float32) if c_b is None else c_b
    if a is None:
        alpha = c_b
    else:
        c_f = np.zeros(shape, np.float32) if c_f is None else c_f
        w_f, w_b = c_f * np.float32(b - t) * trust(drift_f), c_b * np.float32(t - a) * trust(drift_b)
        alpha = (w_b + np.float32(EPS * (t - a))) / (w_f + w_b + np.float32(EPS * (b - a)))
    alpha = np.ascontiguousarray(alpha, np.float32)
    if ALPHA_BLUR > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), ALPHA_BLUR)
    blended = cv2.blendLinear(backward, forward, alpha, 1.0 - alpha)
    if a is None or FILL_BLUR <= 0:
        return blended
    # where neither key reaches (reach ~ 0) both chains carry the generator's guess, whose fine
    # texture it re-guesses every frame: keep only its low frequencies there (the flicker), the
    # keys' carried detail wherever a key reaches; edges kept (FILL_EDGE), so a figure's colour
    # is not spread over the paper around it.
    fill = np.float32(1.0) - np.maximum(c_f, c_b)
    return cv2.blendLinear(edge_lowpass(blended, FILL_BLUR, FILL_EDGE), blended, fill, np.float32(1.0) - fill)


def key_match(cfg: TemporalConfig, cur: Guide, key: Guide, engine: cv2.DISOpticalFlow, size: tuple[int, int]
              ) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """This frame matched straight to a key by one flow (no chain): the sampling maps of each pixel
    in the key (two H x W float32, full size `size` = (W, H)) and where the match holds (H x W bool):
    the flows' round trip returns (cfg.round_trip), the key's line-art moved by it lies within
    DIRECT_TOLERANCE grey levels of this frame's, and the position is inside the key."""
    backward, forward = flows_between(cur.flow, key.flow, engine)
    consistent = consistent_flows(backward, forward, size, cfg.round_trip)
    maps = sample_maps(upscale_flow(backward, size))
    holds = consistent & line_matches(remap(key.check, maps), cur.check, DIRECT_TOLERANCE) & inside(maps)
    return maps, holds


def reanchor(cfg: TemporalConfig, carried: Carried, key: Carried, engine: cv2.DISOpticalFlow
             ) -> tuple[Carried, np.ndarray | None]:
    """`carried` (a step of the chain that started from `key`'s colour) with the pixels that match
    the key straight (`key_match`, eroded by DIRECT_ERODE) within DIRECT_REACH of the chain's own
    position in the key taking the key's colour from the matched position (ChainState.reanchored).
    Returns the step and those pixels as H x W float32 0/1 (None, and the step as it was, for a
    chain that does not sample its key: no state, or one started from another image)."""
    state = carried.state
    if state is None or state.anchor is not key.result:
        return carried, None
    h, w = carried.result.shape[:2]
    maps, holds = key_match(cfg, carried.guide, key.guide, engine, (w, h))
    scale = w / carried.guide.flow.shape[1]  # the limits are in flow pixels, the size the flow runs at
    radius = round(DIRECT_ERODE * scale)
    if radius > 0:
        holds = cv2.erode(holds.astype(np.uint8), cv2.getStructuringElement(
            cv2.MORPH_RECT, (2 * radius + 1, 2 * radius + 1))).astype(bool)
    chain_x, chain_y = cv2.split(state.coords)
    holds &= cv2.magnitude(cv2.subtract(maps[0], chain_x), cv2.subtract(maps[1], chain_y)) <= DIRECT_REACH * scale
    if not holds.any():
        return carried, holds.astype(np.float32)
    result, moved = state.reanchored(cv2.merge(maps), holds)
    return dataclasses.replace(carried, result=result, state=moved), holds.astype(np.float32)


def _raised(confidence: np.ndarray | None, matched: np.ndarray | None) -> np.ndarray | None:
    """A chain's confidence where re-anchoring gave pixels their key's colour: full there."""
    if matched is None:
        return confidence
    return matched if confidence is None else np.maximum(confidence, matched)


def trust(drift: np.ndarray | None) -> np.ndarray | np.float32:
    """1 / (1 + (drift / DRIFT)^2): a chain's weight where its key's lines, moved as it moved them,
    lie `drift` grey levels off this frame's (H x W float32; None: 1, full weight)."""
    if drift is None:
        return np.float32(1.0)
    return np.float32(1.0) / (np.float32(1.0) + np.square(drift * np.float32(1.0 / DRIFT)))


def _carried_on(reach: np.ndarray | None, step: Carried, keyed: bool) -> np.ndarray | None:
    """The forward result's reach from the shot's last key (ColorizedFrame.key_reach) on this frame:
    1 on a key's frame, then carried along the motion and multiplied by each step's mask over
    REACH_HELD (H x W float32; None before the shot's first key)."""
    if keyed:
        return np.ones(step.result.shape[:2], np.float32)
    if reach is None or step.mask is None:
        return None
    held = np.minimum(step.mask * np.float32(1.0 / REACH_HELD), np.float32(1.0))
    return held * remap(reach, step.maps)


def _either(c_f: np.ndarray | None, c_b: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    """How surely a blended frame's colour comes from either key: max(c_f, c_b) (None: 0)."""
    if c_f is None or c_b is None:
        known = c_f if c_b is None else c_b
        return np.zeros(shape, np.float32) if known is None else known
    return np.maximum(c_f, c_b)


def _restored(record: _Spilled, colour: str, reach: str) -> "ColorizedFrame":
    """The spilled frame as a ColorizedFrame again, with colour `colour` ("forward" or "blended") and
    key_reach `reach` ("reach" or "blended_reach"; None where the file has none); its file is deleted."""
    with np.load(record.path) as data:
        light, names = pickle.loads(data["record"].tobytes())
        key_reach = data[reach].astype(np.float32) if reach in data.files else None
        item = dataclasses.replace(light, lineart=data["lineart"], colour=data[colour], key_reach=key_reach)
        if names:
            item = dataclasses.replace(item, source=dataclasses.replace(
                item.source, **{n: data[f"source_{n}"] for n in names}))
    record.path.unlink()
    return item
