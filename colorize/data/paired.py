"""Paired (line-art, colour) training data from videos and frame folders, with an on-disk line-art cache.

    cfg = PairedDataConfig(every=2, crop=256, resize_short=288, cache_dir="runs/a/cache")
    index = prepare_pairs(["ep01.mp4", "frames/ep02"], cfg)     # streams, draws line-art once, caches
    train = PairedDataset(index, "train", cfg)                  # colorize.data.paired_dataset

Line-art is made once, by the project's own stage (colorize.lineart.recipes), in `prepare_pairs`:
DataLoader workers only read two small PNGs and augment them. Each input becomes one cache folder

    <cache_dir>/<name>-<key>/color/000000.png    H x W x 3 RGB frame (resized if resize_short)
                            /line/000000.png     H x W line-art, 255 paper, 0 ink
                            /line-ink/000000.png (with line-art augmentation: each other recipe)
                            /complete.json       written last: the frames list and the cache key

where <key> hashes everything the pairs depend on (absolute path, file sizes and mtimes, every,
resize_short, max_frames_per_clip, the line-art settings). A folder without complete.json was
interrupted: its finished pairs (each PNG is written atomically) are kept and the rest are redone.

Validation is split by time, per clip: `val_fraction` of each clip's frames (at least one when a clip
has two or more, and at least MIN_VAL_FRAMES where that leaves three quarters to train on), held out
as short runs of consecutive frames spread evenly over the clip, so the model is judged on moments
it never trained on, from every part of the clip (not only its last, often near-identical, frames).
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
import torch

from colorize.config import to_dict
from colorize.data.given_lineart import count_pairs, is_pair_folder, iter_given_pairs, pair_files
from colorize.data.lineart_augment import LineArtAugmentConfig, extra_recipes, recipe_folder
from colorize.errors import InputError
from colorize.images import atomic_path, check_writable, is_image, list_images, write_image
from colorize.lineart.recipes import LineArtConfig, choose_backend, iter_lineart, lineart_numpy
from colorize.media.frames import Frame, iter_folder, resize_to
from colorize.media.video import iter_frames, probe
from colorize.progress import progress
from colorize.runtime import resolve_device

Split = Literal["train", "val"]

CACHE_VERSION = 1  # bump when the cache layout or the pairing logic changes
MARKER_NAME = "complete.json"
_PNG_FAST = [cv2.IMWRITE_PNG_COMPRESSION, 1]  # the cache is rewritten rarely but read every epoch


@dataclass
class PairedDataConfig:
    """How pairs are sampled, cached, split and augmented.

    every: keep every N-th frame of each input. crop: side of the square training crops.
    scale: random scale factors (low, high) before cropping. flip: random horizontal flips.
    val_fraction: the fraction of each clip's frames held out for validation (short runs spread over the clip).
    max_frames_per_clip: stop after this many kept frames per input (None: all).
    resize_short: resize frames so the short side has this many pixels before anything else (0: keep).
    cache_dir: where pairs are cached (None: $XDG_CACHE_HOME or ~/.cache, then colorize/pairs).
    lineart: the line-art stage's settings.
    paired_folders: a folder with colour/ and lineart/ subfolders is one input of true line-art pairs
    (data.given_lineart): its line-art is read, not drawn, and each pair is a still without a reference.
    lineart_augment: line-art augmentation of training samples (off by default; see data.lineart_augment).
    """

    every: int = 1
    crop: int = 256
    scale: tuple[float, float] = (0.8, 1.2)
    flip: bool = True
    val_fraction: float = 0.1
    max_frames_per_clip: int | None = None
    resize_short: int | None = None
    cache_dir: str | None = None
    paired_folders: bool = False
    lineart: LineArtConfig = field(default_factory=LineArtConfig)
    lineart_augment: LineArtAugmentConfig = field(default_factory=LineArtAugmentConfig)

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
        if self.resize_short and self.resize_short < 8:
            raise ValueError(f"resize_short must be at least 8 pixels (0 = keep the size), got {self.resize_short}")


# ------------------------------------------------------------------------------------------- index

@dataclass(frozen=True)
class FrameRef:
    """One cached pair: source frame `index`, its `time` in seconds, and its file `name` in the cache."""

    index: int
    time: float
    name: str


@dataclass(frozen=True)
class ClipPairs:
    """The cached pairs of one input, frames sorted by time; `n_val` of them (see val_positions) are validation."""

    source: Path
    folder: Path
    frames: tuple[FrameRef, ...]
    n_val: int
    stills: bool = False   # given line-art pairs: unrelated drawings, each its own shot

    def split(self, split: Split) -> tuple[FrameRef, ...]:
        """The train frames or the val frames (short runs spread over the clip), each in time order."""
        held = set(val_positions(len(self.frames), self.n_val))
        return tuple(f for i, f in enumerate(self.frames) if (i in held) == (split == "val"))

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


MIN_VAL_FRAMES = 8     # per clip, where that is at most a quarter of it: a mean over 1-2 frames is noise
VAL_SEGMENT = 3        # consecutive validation frames per held-out run


def val_count(n_frames: int, val_fraction: float) -> int:
    """Frames of an n-frame clip held out: ceil(n * fraction), at least 1 when n >= 2 and fraction > 0,
    at least min(MIN_VAL_FRAMES, n // 4), and never the whole clip (one frame must stay to train on)."""
    if val_fraction <= 0 or n_frames < 2:
        return 0
    wanted = max(1, math.ceil(n_frames * val_fraction - 1e-9), min(MIN_VAL_FRAMES, n_frames // 4))
    return min(n_frames - 1, wanted)


def val_positions(n_frames: int, n_val: int) -> list[int]:
    """Positions (0-based, sorted) of the validation frames of an n-frame clip: runs of up to
    VAL_SEGMENT consecutive frames, one in the middle of each of ceil(n_val / VAL_SEGMENT) equal blocks.
    Each block keeps at least one training frame, so a very high fraction may hold out a few less."""
    if n_val <= 0:
        return []
    blocks = math.ceil(n_val / VAL_SEGMENT)
    bounds = [round(i * n_frames / blocks) for i in range(blocks + 1)]
    positions = []
    for i in range(blocks):
        start, length = bounds[i], bounds[i + 1] - bounds[i]
        size = min(n_val // blocks + (i < n_val % blocks), max(0, length - 1)) if length > 1 else 0
        first = start + (length - size) // 2
        positions += range(first, first + size)
    return positions


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
    # Only the chosen method's own settings change its drawing (all of them when others are cached too).
    extras = extra_recipes(cfg.lineart_augment, cfg.lineart.method)
    if cfg.lineart.method == "canny" and "ink" not in extras:
        lineart.pop("ink")
    if cfg.lineart.method == "ink" and "canny" not in extras:
        for name in ("sigma", "low", "high"):
            lineart.pop(name)
    key = {"version": CACHE_VERSION, "source": _fingerprint(path), "every": cfg.every,
           "resize_short": cfg.resize_short, "max_frames_per_clip": cfg.max_frames_per_clip,
           "lineart": lineart}
    if extras:
        key["extra_recipes"] = list(extras)
    if given(path, cfg):
        key["given_lineart"] = True   # the line-art is the folder's own: the recipe does not draw it
    return key


def clip_cache_folder(path: Path, cfg: PairedDataConfig, device: torch.device) -> Path:
    """<cache_dir>/<input name>-<16 hex of the key's hash>."""
    blob = json.dumps(cache_key(path, cfg, device), sort_keys=True).encode()
    digest = hashlib.sha256(blob).hexdigest()[:16]
    root = Path(cfg.cache_dir) if cfg.cache_dir else default_cache_dir()
    return root / f"{path.resolve().name}-{digest}"


def line_kinds(cfg: PairedDataConfig) -> tuple[str, ...]:
    """The cache sub-folders of line-art: "line" and one "line-<method>" per extra recipe."""
    extras = extra_recipes(cfg.lineart_augment, cfg.lineart.method)
    return ("line",) + tuple(recipe_folder(m, cfg.lineart.method) for m in extras)


def _read_marker(folder: Path, kinds: tuple[str, ...] = ("line",)) -> list[FrameRef] | None:
    """The frames of a completed cache folder, or None if it is unfinished, unreadable or has lost a
    file since (then the missing pairs are redrawn and the rest kept)."""
    try:
        data = json.loads((folder / MARKER_NAME).read_text())
        refs = [FrameRef(int(i), float(t), str(n)) for i, t, n in data["frames"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    complete = all((folder / kind / r.name).is_file() for r in refs for kind in ("color",) + kinds)
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
        if short:  # None or 0: keep the size (TOML has no null, so configs write 0)
            h, w = frame.image.shape[:2]
            frame = dataclasses.replace(frame, image=resize_to(frame.image, short_side_size(h, w, short)))
        yield frame


def given(path: Path, cfg: PairedDataConfig) -> bool:
    """Whether `path` is read as true line-art pairs (a pair folder, with data.paired_folders on)."""
    return cfg.paired_folders and is_pair_folder(path)


def expand_clip_folders(inputs: Sequence[str | os.PathLike], paired_folders: bool = False) -> list[Path]:
    """Inputs with every folder of clips replaced by its clips, in name order.

    A folder with no images of its own but subfolders that hold images (what `colorize clips` writes:
    clip_0000/, clip_0001/, ...) is a set of clips, each subfolder one clip with its own shots; taking
    it as one clip would join unrelated scenes. With `paired_folders`, a pair folder (colour/ + lineart/,
    data.given_lineart) is one input, and a folder of pair folders is its pair folders. Anything else
    is kept as given.
    """
    out: list[Path] = []
    for path in map(Path, inputs):
        if paired_folders and is_pair_folder(path):
            out.append(path)
            continue
        subfolders = sorted(p for p in path.iterdir() if p.is_dir()) if path.is_dir() else []
        has_own = path.is_dir() and any(is_image(p) for p in path.iterdir())
        clips = [p for p in subfolders if any(is_image(f) for f in p.iterdir())
                 or (paired_folders and is_pair_folder(p))]
        out.extend(clips if clips and not has_own else [path])
    return out


def check_input(path: Path, paired_folders: bool = False) -> None:
    """InputError now, before any work, for a missing input, a folder with no images or a file that
    is not a readable video (so a typo in the last input does not surface after hours on the first),
    or (with `paired_folders`) a pair folder whose colour images lack their line-art."""
    if not path.exists():
        raise InputError(f"input not found: {path}")
    if paired_folders and is_pair_folder(path):
        pair_files(path)
    elif path.is_dir():
        list_images(path)  # raises InputError naming the folder when it holds no images
    else:
        probe(path)  # raises InputError naming the file when it is not a video OpenCV can read


def expected_frames(path: Path, cfg: PairedDataConfig) -> int:
    """How many frames `source_frames` will yield (for the progress bar's total)."""
    if given(path, cfg):
        return count_pairs(path, cfg.every, cfg.max_frames_per_clip)
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
    """Yield (colour frame, line-art frame) for every frame whose pair (every line kind) is not cached yet.

    Appends a FrameRef for every frame (cached or not) to `refs` as the stream passes. Colour frames
    wait in a queue while the line-art stage batches them, so memory stays at one batch.
    """
    pending: collections.deque[Frame] = collections.deque()

    def needing_lineart() -> Iterator[Frame]:
        for position, frame in enumerate(frames):
            ref = FrameRef(frame.index, frame.time, _frame_name(position))
            refs.append(ref)
            names = ("color",) + line_kinds(cfg)
            if all((folder / kind / ref.name).is_file() for kind in names):
                continue  # finished before an interruption; each file was written atomically
            pending.append(dataclasses.replace(frame, index=position))
            yield pending[-1]

    for line in iter_lineart(needing_lineart(), cfg.lineart, device):
        color = pending.popleft()
        if line.index != color.index:
            raise RuntimeError(f"line-art stage reordered frames ({line.index} != {color.index})")
        yield color, line


def _copy_given(path: Path, cfg: PairedDataConfig, refs: list[FrameRef]) -> Iterator[tuple[Frame, Frame]]:
    """The pairs of a pair folder as (colour, line-art) Frames, appending their refs: nothing is drawn.
    Every recipe's cache folder gets the same true line-art (an artist draws one way)."""
    for position, (color, line) in enumerate(iter_given_pairs(path, cfg.every, cfg.max_frames_per_clip,
                                                               cfg.resize_short)):
        refs.append(FrameRef(color.index, color.time, _frame_name(position)))
        yield dataclasses.replace(color, index=position), Frame(position, color.time, line)


def _build_clip(path: Path, folder: Path, cfg: PairedDataConfig, device: torch.device) -> list[FrameRef]:
    """Cache every pair of one input under `folder` and write the completion marker last."""
    refs: list[FrameRef] = []
    if given(path, cfg):
        pairs = progress(_copy_given(path, cfg, refs), total=expected_frames(path, cfg), desc=f"pairs {path.name}")
        for color, line in pairs:
            name = _frame_name(color.index)
            write_image(folder / "color" / name, color.image, _PNG_FAST)
            for kind in line_kinds(cfg):
                write_image(folder / kind / name, line.image, _PNG_FAST)
        _write_marker(folder, path, cfg, device, refs)
        return refs
    frames = progress(source_frames(path, cfg), total=expected_frames(path, cfg), desc=f"line-art {path.name}")
    for color, line in _draw_missing(frames, folder, cfg, device, refs):
        name = _frame_name(color.index)
        write_image(folder / "color" / name, color.image, _PNG_FAST)
        write_image(folder / "line" / name, line.image, _PNG_FAST)
        for method in extra_recipes(cfg.lineart_augment, cfg.lineart.method):  # CPU: OpenCV draws both
            art = lineart_numpy(color.image, dataclasses.replace(cfg.lineart, method=method))
            write_image(folder / recipe_folder(method, cfg.lineart.method) / name, art, _PNG_FAST)
    if not refs:
        raise InputError(f"no frames could be read from {path}")
    _write_marker(folder, path, cfg, device, refs)
    return refs


def prepare_clip(path: Path, cfg: PairedDataConfig, device: torch.device) -> ClipPairs:
    """One input's pairs: from its completed cache folder, or drawn now (resuming an interrupted one)."""
    folder = clip_cache_folder(path, cfg, device)
    refs = _read_marker(folder, line_kinds(cfg))
    if refs is None:
        check_writable(folder / MARKER_NAME)
        refs = _build_clip(path, folder, cfg, device)
    refs = sorted(refs, key=lambda r: (r.time, r.index))
    return ClipPairs(source=path, folder=folder, frames=tuple(refs), n_val=val_count(len(refs), cfg.val_fraction),
                     stills=given(path, cfg))


def prepare_pairs(inputs: Sequence[str | os.PathLike], cfg: PairedDataConfig,
                  device: str | torch.device = "auto") -> PairIndex:
    """Cache (colour, line-art) pairs for each video or image folder in `inputs`; return their index.

    Every input is checked before any work starts. Inputs already cached with the same settings are
    not decoded again. Raises InputError for no inputs, a missing input, a folder without images or
    a video that cannot be read.
    """
    paths = expand_clip_folders(inputs, cfg.paired_folders)
    if not paths:
        raise InputError("no training inputs given (pass videos or folders of frames)")
    for path in paths:
        check_input(path, cfg.paired_folders)
    dev = resolve_device(device)
    return PairIndex(clips=tuple(prepare_clip(path, cfg, dev) for path in paths))
