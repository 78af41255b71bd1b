"""Paired (line-art, colour) training data from videos and frame folders, with an on-disk line-art cache.

    cfg = PairedDataConfig(every=2, crop=256, resize_short=288, cache_dir="runs/a/cache")
    index = prepare_pairs(["ep01.mp4", "frames/ep02"], cfg)     # streams, draws line-art once, caches
    train = PairedDataset(index, "train", cfg)                  # random scale / crop / flip
    val = PairedDataset(index, "val", cfg)                      # centre crop, the later frames
    train[0] -> {"lineart": 1 x crop x crop, "color": 3 x crop x crop (float in [0, 1]), "clip", "frame"}

Line-art is made once, by the project's own stage (colorize.stages.lineart), in `prepare_pairs`:
DataLoader workers only read two small PNGs and augment them. Each input becomes one cache folder

    <cache_dir>/<name>-<key>/color/000000.png    H x W x 3 RGB frame (resized if resize_short)
                            /line/000000.png     H x W line-art, 255 paper, 0 ink
                            /complete.json       written last: the frames list and the cache key

where <key> hashes everything the pairs depend on (absolute path, file sizes and mtimes, every,
resize_short, max_frames_per_clip, the line-art settings). A folder without complete.json was
interrupted: its finished pairs (each PNG is written atomically) are kept and the rest are redone.

Validation is split by time, per clip: the last `val_fraction` of each clip's frames (at least one
when a clip has two or more), so the model is judged on moments it never trained on.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator, Literal, Sequence

import cv2
import numpy as np
import torch

from colorize.config import to_dict
from colorize.data.transforms import PairTransform, train_transform, val_transform
from colorize.errors import InputError
from colorize.images import atomic_path, check_writable, list_images, read_rgb, write_image
from colorize.progress import progress
from colorize.runtime import resolve_device
from colorize.stages.extract import Frame, iter_folder, iter_frames, probe, resize_to
from colorize.stages.lineart import LineArtConfig, choose_backend, iter_lineart

Split = Literal["train", "val"]

CACHE_VERSION = 1  # bump when the cache layout or the pairing logic changes
MARKER_NAME = "complete.json"
_PNG_FAST = [cv2.IMWRITE_PNG_COMPRESSION, 1]  # the cache is rewritten rarely but read every epoch


@dataclass
class PairedDataConfig:
    """How pairs are sampled, cached, split and augmented.

    every: keep every N-th frame of each input. crop: side of the square training crops.
    scale: random scale factors (low, high) before cropping. flip: random horizontal flips.
    val_fraction: the last fraction of each clip's frames (by time) held out for validation.
    max_frames_per_clip: stop after this many kept frames per input (None: all).
    resize_short: resize frames so the short side has this many pixels before anything else.
    cache_dir: where pairs are cached (None: $XDG_CACHE_HOME or ~/.cache, then colorize/pairs).
    lineart: the line-art stage's settings.
    """

    every: int = 1
    crop: int = 256
    scale: tuple[float, float] = (0.8, 1.2)
    flip: bool = True
    val_fraction: float = 0.1
    max_frames_per_clip: int | None = None
    resize_short: int | None = None
    cache_dir: str | None = None
    lineart: LineArtConfig = field(default_factory=LineArtConfig)

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError(f"every must be 1 or more, got {self.every}")
        if self.crop < 8:
            raise ValueError(f"crop must be at least 8 pixels, got {self.crop}")
        low, high = self.scale
        if not 0 < low <= high:
            raise ValueError(f"scale must be (low, high) with 0 < low <= high, got {tuple(self.scale)}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.max_frames_per_clip is not None and self.max_frames_per_clip < 1:
            raise ValueError(f"max_frames_per_clip must be 1 or more, got {self.max_frames_per_clip}")
        if self.resize_short is not None and self.resize_short < 8:
            raise ValueError(f"resize_short must be at least 8 pixels, got {self.resize_short}")


# ------------------------------------------------------------------------------------------- index

@dataclass(frozen=True)
class FrameRef:
    """One cached pair: source frame `index`, its `time` in seconds, and its file `name` in the cache."""

    index: int
    time: float
    name: str


@dataclass(frozen=True)
class ClipPairs:
    """The cached pairs of one input, frames sorted by time; the last `n_val` are validation."""

    source: Path
    folder: Path
    frames: tuple[FrameRef, ...]
    n_val: int

    def split(self, split: Split) -> tuple[FrameRef, ...]:
        """The train frames (earlier) or val frames (the last n_val)."""
        cut = len(self.frames) - self.n_val
        return self.frames[:cut] if split == "train" else self.frames[cut:]

    def paths(self, ref: FrameRef) -> tuple[Path, Path]:
        """(colour PNG, line-art PNG) of a cached frame."""
        return self.folder / "color" / ref.name, self.folder / "line" / ref.name


@dataclass(frozen=True)
class PairIndex:
    """Every input's cached pairs. Plain paths and numbers: cheap to pickle into DataLoader workers."""

    clips: tuple[ClipPairs, ...]

    def samples(self, split: Split) -> list[tuple[int, FrameRef]]:
        """(clip number, frame) for every pair in `split`, clip by clip, in time order."""
        if split not in ("train", "val"):
            raise ValueError(f"split must be 'train' or 'val', got {split!r}")
        return [(c, ref) for c, clip in enumerate(self.clips) for ref in clip.split(split)]

    def count(self, split: Split) -> int:
        return sum(len(clip.split(split)) for clip in self.clips)


def val_count(n_frames: int, val_fraction: float) -> int:
    """Frames of an n-frame clip held out: ceil(n * fraction), at least 1 when n >= 2 and fraction > 0,
    and never the whole clip (a clip must keep one frame to train on)."""
    if val_fraction <= 0 or n_frames < 2:
        return 0
    return min(n_frames - 1, max(1, math.ceil(n_frames * val_fraction - 1e-9)))


# ------------------------------------------------------------------------------------------- cache

def default_cache_dir() -> Path:
    """$XDG_CACHE_HOME/colorize/pairs, or ~/.cache/colorize/pairs."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "colorize" / "pairs"


def _fingerprint(path: Path) -> dict:
    """What identifies an input's content cheaply: its absolute path plus size and mtime of each file."""
    path = path.resolve()
    if path.is_dir():
        files = [[str(f.relative_to(path)), f.stat().st_size, f.stat().st_mtime_ns] for f in list_images(path)]
        return {"path": str(path), "files": files}
    stat = path.stat()
    return {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def cache_key(path: Path, cfg: PairedDataConfig, device: torch.device) -> dict:
    """Everything a clip's cached pairs depend on (augmentation settings are applied later, not cached).

    The line-art backend is the one actually used on `device` ("auto" means kornia on a GPU and
    OpenCV on a CPU, which may differ by a pixel here and there), not the configured word.
    """
    lineart = to_dict(cfg.lineart)
    lineart.pop("batch_size", None)  # how many frames per batch does not change the drawing
    lineart["backend"] = choose_backend(cfg.lineart, device)
    return {"version": CACHE_VERSION, "source": _fingerprint(path), "every": cfg.every,
            "resize_short": cfg.resize_short, "max_frames_per_clip": cfg.max_frames_per_clip,
            "lineart": lineart}


def clip_cache_folder(path: Path, cfg: PairedDataConfig, device: torch.device) -> Path:
    """<cache_dir>/<input name>-<16 hex of the key's hash>."""
    blob = json.dumps(cache_key(path, cfg, device), sort_keys=True).encode()
    digest = hashlib.sha256(blob).hexdigest()[:16]
    root = Path(cfg.cache_dir) if cfg.cache_dir else default_cache_dir()
    return root / f"{path.resolve().name}-{digest}"


def _read_marker(folder: Path) -> list[FrameRef] | None:
    """The frames of a completed cache folder, or None if it is unfinished, unreadable or has lost a
    file since (then the missing pairs are redrawn and the rest kept)."""
    try:
        data = json.loads((folder / MARKER_NAME).read_text())
        refs = [FrameRef(int(i), float(t), str(n)) for i, t, n in data["frames"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    complete = all((folder / kind / r.name).is_file() for r in refs for kind in ("color", "line"))
    return refs if complete else None


def _write_marker(folder: Path, path: Path, cfg: PairedDataConfig, device: torch.device,
                  frames: list[FrameRef]) -> None:
    """The completion marker: written (atomically) only after every pair of the clip is on disk."""
    marker = {"source": str(path.resolve()), "key": cache_key(path, cfg, device),
              "frames": [[f.index, f.time, f.name] for f in frames]}
    with atomic_path(folder / MARKER_NAME) as tmp:
        tmp.write_text(json.dumps(marker) + "\n")


# ------------------------------------------------------------------------------------------ frames

def short_side_size(height: int, width: int, short: int) -> tuple[int, int]:
    """(width, height) with the shorter side equal to `short`, aspect kept (rounded, at least 1 px)."""
    factor = short / min(height, width)
    return max(1, round(width * factor)), max(1, round(height * factor))


def _resize_short(frames: Iterable[Frame], short: int | None) -> Iterator[Frame]:
    for frame in frames:
        if short is not None:
            h, w = frame.image.shape[:2]
            frame = dataclasses.replace(frame, image=resize_to(frame.image, short_side_size(h, w, short)))
        yield frame


def check_input(path: Path) -> None:
    """InputError now, before any work, for a missing input, a folder with no images or a file that
    is not a readable video (so a typo in the last input does not surface after hours on the first)."""
    if not path.exists():
        raise InputError(f"input not found: {path}")
    if path.is_dir():
        list_images(path)  # raises InputError naming the folder when it holds no images
    else:
        probe(path)  # raises InputError naming the file when it is not a video OpenCV can read


def expected_frames(path: Path, cfg: PairedDataConfig) -> int:
    """How many frames `source_frames` will yield (for the progress bar's total)."""
    n = len(list_images(path)) if path.is_dir() else probe(path).frame_count
    n = math.ceil(n / cfg.every)
    return n if cfg.max_frames_per_clip is None else min(n, cfg.max_frames_per_clip)


def source_frames(path: Path, cfg: PairedDataConfig) -> Iterator[Frame]:
    """Stream the kept frames of a video or image folder: every N-th, at most max, resized short side."""
    if path.is_dir():
        frames: Iterable[Frame] = islice(iter_folder(path), 0, None, cfg.every)
    else:
        frames = iter_frames(path, every=cfg.every)
    return _resize_short(islice(frames, cfg.max_frames_per_clip), cfg.resize_short)


# ------------------------------------------------------------------------------------------ building

def _frame_name(position: int) -> str:
    return f"{position:06d}.png"


def _draw_missing(frames: Iterable[Frame], folder: Path, cfg: PairedDataConfig, device: torch.device,
                  refs: list[FrameRef]) -> Iterator[tuple[Frame, Frame]]:
    """Yield (colour frame, line-art frame) for every frame whose pair is not cached yet.

    Appends a FrameRef for every frame (cached or not) to `refs` as the stream passes. Colour frames
    wait in a queue while the line-art stage batches them, so memory stays at one batch.
    """
    pending: collections.deque[Frame] = collections.deque()

    def needing_lineart() -> Iterator[Frame]:
        for position, frame in enumerate(frames):
            ref = FrameRef(frame.index, frame.time, _frame_name(position))
            refs.append(ref)
            color_path, line_path = folder / "color" / ref.name, folder / "line" / ref.name
            if color_path.is_file() and line_path.is_file():
                continue  # finished before an interruption; each file was written atomically
            pending.append(dataclasses.replace(frame, index=position))
            yield pending[-1]

    for line in iter_lineart(needing_lineart(), cfg.lineart, device):
        color = pending.popleft()
        if line.index != color.index:
            raise RuntimeError(f"line-art stage reordered frames ({line.index} != {color.index})")
        yield color, line


def _build_clip(path: Path, folder: Path, cfg: PairedDataConfig, device: torch.device) -> list[FrameRef]:
    """Cache every pair of one input under `folder` and write the completion marker last."""
    refs: list[FrameRef] = []
    frames = progress(source_frames(path, cfg), total=expected_frames(path, cfg), desc=f"line-art {path.name}")
    for color, line in _draw_missing(frames, folder, cfg, device, refs):
        name = _frame_name(color.index)
        write_image(folder / "color" / name, color.image, _PNG_FAST)
        write_image(folder / "line" / name, line.image, _PNG_FAST)
    if not refs:
        raise InputError(f"no frames could be read from {path}")
    _write_marker(folder, path, cfg, device, refs)
    return refs


def prepare_clip(path: Path, cfg: PairedDataConfig, device: torch.device) -> ClipPairs:
    """One input's pairs: from its completed cache folder, or drawn now (resuming an interrupted one)."""
    folder = clip_cache_folder(path, cfg, device)
    refs = _read_marker(folder)
    if refs is None:
        check_writable(folder / MARKER_NAME)
        refs = _build_clip(path, folder, cfg, device)
    refs = sorted(refs, key=lambda r: (r.time, r.index))
    return ClipPairs(source=path, folder=folder, frames=tuple(refs), n_val=val_count(len(refs), cfg.val_fraction))


def prepare_pairs(inputs: Sequence[str | os.PathLike], cfg: PairedDataConfig,
                  device: str | torch.device = "auto") -> PairIndex:
    """Cache (colour, line-art) pairs for each video or image folder in `inputs`; return their index.

    Every input is checked before any work starts. Inputs already cached with the same settings are
    not decoded again. Raises InputError for no inputs, a missing input, a folder without images or
    a video that cannot be read.
    """
    paths = [Path(p) for p in inputs]
    if not paths:
        raise InputError("no training inputs given (pass videos or folders of frames)")
    for path in paths:
        check_input(path)
    dev = resolve_device(device)
    return PairIndex(clips=tuple(prepare_clip(path, cfg, dev) for path in paths))


# ------------------------------------------------------------------------------------------ dataset

def read_lineart(path: Path) -> np.ndarray:
    """A cached line-art PNG as H x W uint8; InputError if it has gone missing or is unreadable."""
    data = np.fromfile(str(path), dtype=np.uint8) if path.is_file() else np.zeros(0, np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if img is None:
        raise InputError(f"cached line-art {path} is missing or corrupt; delete {path.parent.parent} "
                         f"and run again to rebuild it")
    return img


def read_color(path: Path) -> np.ndarray:
    """A cached colour PNG as H x W x 3 uint8 RGB; InputError (naming the cache folder) if unusable."""
    try:
        return read_rgb(path)
    except InputError:
        raise InputError(f"cached frame {path} is missing or corrupt; delete {path.parent.parent} "
                         f"and run again to rebuild it") from None


def _to_tensor(image: np.ndarray) -> torch.Tensor:
    """H x W (x C) uint8 -> C x H x W float32 in [0, 1].

    Converted in numpy: torch's multi-threaded kernels cost more to wake than a 256 x 256 crop is
    worth, and on a busy CPU they made this the slowest step of an item (tens of ms, measured).
    """
    chw = image[None] if image.ndim == 2 else image.transpose(2, 0, 1)
    scaled = np.ascontiguousarray(chw, dtype=np.float32)
    scaled /= 255.0  # division, not * (1/255): 255 must map to exactly 1.0
    return torch.from_numpy(scaled)


class PairedDataset(torch.utils.data.Dataset):
    """(line-art, colour) crops of one split of a PairIndex.

    item -> {"lineart": 1 x crop x crop float32 in [0, 1] (1 = paper), "color": 3 x crop x crop
    float32 in [0, 1], "clip": clip number in the index, "frame": source frame index}.
    Train items are randomly scaled, cropped and flipped (the same geometry for both images); val
    items are centre crops, identical on every call. Holds only paths and the transform: no file
    handles and no tensors, so it pickles into DataLoader workers (fork or spawn).
    """

    def __init__(self, index: PairIndex, split: Split, cfg: PairedDataConfig):
        self.split = split
        self.clips = index.clips
        self.items = index.samples(split)
        if split == "train":
            self.transform: PairTransform = train_transform(cfg.crop, cfg.scale, cfg.flip)
        else:
            self.transform = val_transform(cfg.crop)
        self._seeded_from: int | None = None

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict:
        clip, ref = self.items[i]
        color_path, line_path = self.clips[clip].paths(ref)
        self._reseed_if_new_worker()
        color, line = self.transform(read_color(color_path), read_lineart(line_path))
        return {"lineart": _to_tensor(line), "color": _to_tensor(color), "clip": clip, "frame": ref.index}

    def _reseed_if_new_worker(self) -> None:
        """Seed the augmentation from torch's per-process seed whenever that seed changes.

        Forked DataLoader workers inherit the parent's albumentations generator, so without this
        every worker, and every epoch (workers are re-forked), would repeat the same crops. torch
        gives each worker of each epoch its own initial seed; in the main process it follows
        torch.manual_seed, which makes single-process runs repeatable.
        """
        seed = torch.initial_seed()
        if seed != self._seeded_from:
            self.transform.reseed(seed % 2**32)
            self._seeded_from = seed
