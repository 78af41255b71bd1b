"""Training samples for the reference-guided colorizer: (line-art t, colour reference s, target t).

    shots = clip_shots(clip)                         # shot number of each cached frame (cached too)
    train = ReferencePairDataset(index, "train", data_cfg, ReferenceSampling(max_offset=24))
    train[0] -> {"lineart", "color"             (as PairedDataset),
                 "ref_color": 3 x crop x crop, "ref_lineart": 1 x crop x crop (zeros without a reference),
                 "has_ref": 1-element float tensor (1 = the reference is real), "clip", "frame",
                 with `pairs` also "pair_lineart": 1 x crop x crop (a neighbouring frame n of the
                 shot), "pair_flow": 2 x crop x crop (pixels, n -> t), "pair_mask": 1 x crop x crop}

The reference is another frame of the same shot, at most `max_offset` cached frames away (either
side; any split: a reference is an input, never a target). With probability `dropout` a sample has
no reference, so one model learns both modes. One random geometry (scale, crop, flip) moves all
four images, as a camera would. With probability `hue_jitter`, a referenced sample has the hues of
its target and its reference rotated by the same random angle: the colours then cannot be learnt
from the line-art and must be read from the reference.

Validation items always carry the first frame of their shot as reference (deterministic), which is
how `colorize video` uses a keyframe. Stills (given line-art pairs, data.given_lineart) never have a
reference: they train and validate the no-keyframe mode.

With `[data.lineart_augment]` enabled, a training sample's line-arts (target, reference and pair) all
come from one randomly picked recipe, and each is augmented after the geometry (data.lineart_augment).

The temporal pair's flow is DIS optical flow on the true colour crops after augmentation (so it
matches the crops exactly), masked by the forward-backward check of colorize.media.flow.

Shots come from colorize.media.shots.ShotDetector run over a clip's cached colour frames once; the
result is stored in the clip's cache folder as shots.json.
"""

from __future__ import annotations

import dataclasses
import json

import cv2
import numpy as np
import torch

from colorize.data.lineart_augment import LineArtAugmentConfig, LineArtAugmenter, recipe_path
from colorize.data.paired import ClipPairs, PairedDataConfig, PairIndex, Split
from colorize.data.paired_dataset import read_color, read_lineart, to_tensor
from colorize.data.transforms import train_transform, val_transform
from colorize.images import atomic_path

SHOTS_NAME = "shots.json"
_REF_TARGETS = ("ref_color", "ref_lineart")
_PAIR_TARGETS = ("pair_color", "pair_lineart")


@dataclasses.dataclass
class ReferenceSampling:
    """How reference samples are drawn (the sampling keys of a training config's `[reference]` table).

    max_offset: how many cached frames (before or after, same shot) the reference may be from the
    target. dropout: probability a sample has no reference. hue_jitter: probability a referenced
    sample's hues are rotated (target and reference alike). pairs: also return a neighbouring frame and
    the flow to it (for a temporal loss), on the training split.
    """

    max_offset: int = 24
    dropout: float = 0.3
    hue_jitter: float = 0.5
    pairs: bool = False

    def __post_init__(self) -> None:
        if self.max_offset < 1:
            raise ValueError(f"max_offset must be 1 or more, got {self.max_offset}")
        for name in ("dropout", "hue_jitter"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")


def detect_clip_shots(clip: ClipPairs) -> list[int]:
    """Shot number of each of the clip's cached frames (in time order), by running the cut detector."""
    from colorize.media.shots import ShotDetector

    detector = ShotDetector()
    shots = []
    for ref in clip.frames:
        detector.update(read_color(clip.paths(ref)[0]))
        shots.append(detector.shot)
    return shots


def clip_shots(clip: ClipPairs) -> list[int]:
    """detect_clip_shots, cached as shots.json in the clip's folder (the cache is keyed by content).
    A clip of stills (given line-art pairs) is one shot per frame, without running the detector."""
    if clip.stills:
        return list(range(len(clip.frames)))
    path = clip.folder / SHOTS_NAME
    names = [r.name for r in clip.frames]
    try:
        data = json.loads(path.read_text())
        if data["frames"] == names:
            return [int(s) for s in data["shots"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    shots = detect_clip_shots(clip)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({"frames": names, "shots": shots}) + "\n")
    return shots


def shot_spans(shots: list[int]) -> list[tuple[int, int]]:
    """For each frame position, the [start, end) positions of its shot (shots are runs of equal numbers)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(shots) + 1):
        if i == len(shots) or shots[i] != shots[start]:
            spans += [(start, i)] * (i - start)
            start = i
    return spans


def rotate_hue(images: list[np.ndarray], turn: float) -> list[np.ndarray]:
    """Rotate the hue of H x W x 3 uint8 RGB images by `turn` of a full circle (the same for all)."""
    out = []
    for image in images:
        # float HSV (hue in degrees): the 8-bit conversion would cost up to 6 levels per channel
        hsv = cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2HSV)
        hsv[..., 0] = (hsv[..., 0] + 360.0 * turn) % 360.0
        rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
        out.append((rgb.clip(0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
    return out


def pair_flow(pair_color: np.ndarray, color: np.ndarray, valid: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """(2 x H x W flow from the pair frame to the target, 1 x H x W float mask of reliable pixels).

    DIS flow on the true colours, both directions, kept where they agree (colorize.media.flow);
    an all-zero mask when `valid` is False (no neighbour) or the frames are too small for DIS.
    """
    from colorize.media.flow import MIN_FLOW_SIDE, dis_flow, make_flow_engine, occlusion_mask, to_gray

    h, w = color.shape[:2]
    if not valid or max(h, w) < MIN_FLOW_SIDE:
        return torch.zeros(2, h, w), torch.zeros(1, h, w)
    engine = make_flow_engine()
    backward = dis_flow(to_gray(pair_color), to_gray(color), engine)   # pair pixel -> where it is in t
    forward = dis_flow(to_gray(color), to_gray(pair_color), engine)
    mask = occlusion_mask(backward, forward)
    return torch.from_numpy(backward.transpose(2, 0, 1).copy()), torch.from_numpy(mask[None].astype(np.float32))


class ReferencePairDataset(torch.utils.data.Dataset):
    """(line-art t, reference s, target t) samples of one split of a PairIndex; see the module docstring.

    Randomness (offset, dropout, hue, geometry) comes from a generator seeded like PairedDataset's
    augmentation: from torch's per-process seed, so runs repeat and DataLoader workers differ.
    """

    def __init__(self, index: PairIndex, split: Split, cfg: PairedDataConfig, ref: ReferenceSampling):
        self.split, self.ref = split, ref
        self.clips = index.clips
        self.items = index.samples(split)
        self.spans = [shot_spans(clip_shots(clip)) for clip in self.clips]
        self.positions = [{r.name: i for i, r in enumerate(clip.frames)} for clip in self.clips]
        self.pairs = split == "train" and ref.pairs
        targets = _REF_TARGETS + (_PAIR_TARGETS if self.pairs else ())
        if split == "train":
            self.transform = train_transform(cfg.crop, cfg.scale, cfg.flip, extra_targets=targets)
        else:
            self.transform = val_transform(cfg.crop, extra_targets=targets)
        self._seeded_from: int | None = None
        self._rng = np.random.default_rng(0)
        self.primary = cfg.lineart.method
        self.augment = LineArtAugmenter(cfg.lineart_augment if split == "train" else LineArtAugmentConfig(),
                                        self.primary)

    def __len__(self) -> int:
        return len(self.items)

    def reference_position(self, clip: int, position: int) -> int | None:
        """Cached-frame position of the reference for frame `position` of `clip` (None: no reference)."""
        if self.clips[clip].stills:
            return None   # unrelated drawings: no frame of them is a keyframe for another
        start, end = self.spans[clip][position]
        if self.split != "train":
            return start
        if self._rng.random() < self.ref.dropout:
            return None
        low, high = max(start, position - self.ref.max_offset), min(end, position + self.ref.max_offset + 1)
        return int(self._rng.integers(low, high))

    def __getitem__(self, i: int) -> dict:
        self._reseed_if_new_worker()
        clip_no, ref = self.items[i]
        clip = self.clips[clip_no]
        position = self.positions[clip_no][ref.name]
        recipe = self.augment.pick_recipe(self._rng)
        color_path, line_path = clip.paths(ref)
        color, line = read_color(color_path), self._read_line(line_path, recipe)
        ref_position = self.reference_position(clip_no, position)
        if ref_position is None:
            ref_color, ref_line = np.zeros_like(color), np.zeros_like(line)
        else:
            ref_color_path, ref_line_path = clip.paths(clip.frames[ref_position])
            ref_color, ref_line = read_color(ref_color_path), self._read_line(ref_line_path, recipe)
            if self.split == "train" and self._rng.random() < self.ref.hue_jitter:
                color, ref_color = rotate_hue([color, ref_color], self._rng.random())
        extra = {"ref_color": ref_color, "ref_lineart": ref_line}
        pair_position = self.pair_position(clip_no, position) if self.pairs else None
        if self.pairs:
            pair_ref = clip.frames[position if pair_position is None else pair_position]
            pair_color_path, pair_line_path = clip.paths(pair_ref)
            extra["pair_color"] = read_color(pair_color_path)
            extra["pair_lineart"] = self._read_line(pair_line_path, recipe)
        out = self.transform.group(color, line, **extra)
        for name in ("lineart", "ref_lineart", "pair_lineart"):
            if name in out and not (name == "ref_lineart" and ref_position is None):
                out[name] = self.augment(out[name], self._rng)
        item = {"lineart": to_tensor(out["lineart"]), "color": to_tensor(out["color"]),
                "ref_color": to_tensor(out["ref_color"]), "ref_lineart": to_tensor(out["ref_lineart"]),
                "has_ref": torch.tensor([0.0 if ref_position is None else 1.0]),
                "clip": clip_no, "frame": ref.index}
        if self.pairs:
            flow, mask = pair_flow(out["pair_color"], out["color"], valid=pair_position is not None)
            item.update(pair_lineart=to_tensor(out["pair_lineart"]), pair_flow=flow, pair_mask=mask)
        return item

    def _read_line(self, line_path, recipe: str) -> np.ndarray:
        """The cached line-art of `recipe` for the frame whose primary line-art is at `line_path`."""
        return read_lineart(recipe_path(line_path, recipe, self.primary))

    def pair_position(self, clip: int, position: int) -> int | None:
        """The neighbouring frame of the same shot for the temporal term (next, else previous; None
        for a one-frame shot)."""
        start, end = self.spans[clip][position]
        if position + 1 < end:
            return position + 1
        return position - 1 if position - 1 >= start else None

    def _reseed_if_new_worker(self) -> None:
        """Same policy as PairedDataset: reseed whenever torch's per-process seed changes."""
        seed = torch.initial_seed()
        if seed != self._seeded_from:
            self.transform.reseed(seed % 2**32)
            self._rng = np.random.default_rng(seed % 2**32)
            self._seeded_from = seed
