"""Which colour reference each frame of a video uses: keyframes by frame number, else each shot's first output.

    keys = Keyframes.from_options(reference="key.png", references_dir="keys/")   # {frame number: path}
    frames = attach_keys(frames, keys)      # Frame.key: each keyframe read and resized once
    for item in follow_references(frames, colorizer, is_lineart=False, batch_size=4):
        ...                                 # ColorizedFrame, each shot following its reference

Rules, applied frame by frame as the video streams (nothing is looked ahead, so memory stays flat):
* A shot cut drops the current reference: no colour is carried across a cut. Cuts are read from the
  frames (`Frame.cut`, set once by `media.shots.mark_cuts`); the guide detects nothing itself.
* A keyframe (an image in --references DIR whose name ends in its frame number, or --reference for
  frame 0) becomes the reference from its frame on, until the next cut or keyframe. Its line-art is
  the line-art of that frame of the video (the keyframe is a colouring of it).
* A shot without a keyframe takes its own first output frame as the reference (`self_reference`),
  so its colours stay put for the whole shot instead of being guessed anew every frame. Only the
  shot's first frame is used, never a chain of outputs: feeding each output back drifts
  (benchmarks/bench_reference.py measures it).
* With model sheets (--sheet: coloured character or prop sheets not tied to a frame), a shot
  without a keyframe follows the sheets instead, combined into one mosaic at the frames' shape
  (`ModelSheet`): the generator's reference attention matches the frame's regions to the sheets'
  by line-art features, so a character no key shows takes the sheet's colours.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import cv2
import numpy as np

from colorize.engine.model import ColorizedFrame, Colorizer, Reference
from colorize.errors import InputError
from colorize.images import list_images, read_rgb
from colorize.media.frames import batch_by_size, resize_to

_NUMBER = re.compile(r"(\d+)(?!.*\d)")  # the last run of digits


def frame_number(path: Path) -> int:
    """The frame number a keyframe file names: the last run of digits in its stem (`shot_0120.png` -> 120)."""
    match = _NUMBER.search(path.stem)
    if match is None:
        raise InputError(f"keyframe {path.name} has no frame number in its name (e.g. 000120.png for frame 120)")
    return int(match.group(1))


@dataclass(frozen=True)
class Keyframes:
    """Colour keyframes by 0-based frame number. Images are read only when their frame arrives."""

    by_frame: dict[int, Path]

    @classmethod
    def from_options(cls, reference: str | os.PathLike | None = None,
                     references_dir: str | os.PathLike | None = None, recursive: bool = True) -> "Keyframes":
        """--reference IMAGE (frame 0) and --references DIR (numbers from the names; with `recursive`
        False only DIR's own images, not its subfolders'); InputError for a missing file, an empty
        folder, a name without a number, or two keyframes for one frame."""
        by_frame: dict[int, Path] = {}
        if references_dir is not None:
            folder = Path(references_dir)
            if not folder.is_dir():
                raise InputError(f"--references {folder} is not a folder of keyframe images")
            for path in list_images(folder, recursive=recursive):
                number = frame_number(path)
                if number in by_frame:
                    raise InputError(f"two keyframes for frame {number}: {by_frame[number].name} and {path.name}")
                by_frame[number] = path
        if reference is not None:
            path = Path(reference)
            if not path.is_file():
                raise InputError(f"--reference image not found: {path}")
            if 0 in by_frame:
                raise InputError(f"frame 0 has two keyframes: --reference {path} and {by_frame[0]}")
            by_frame[0] = path
        return cls(by_frame)

    def __bool__(self) -> bool:
        return bool(self.by_frame)

    def check_within(self, frame_count: int, source: str) -> None:
        """InputError when a keyframe names a frame the video does not have."""
        late = sorted(n for n in self.by_frame if n >= frame_count)
        if late:
            raise InputError(f"keyframe {self.by_frame[late[0]].name} is for frame {late[0]}, but {source} "
                             f"has {frame_count} frames (numbered from 0)")

    def load(self, number: int, height: int, width: int) -> np.ndarray:
        """Keyframe `number` as H x W x 3 uint8 RGB at the video's size (RGBA, gray and 16-bit accepted;
        another size is resized, which keeps the colours where the drawing is)."""
        return resize_to(read_rgb(self.by_frame[number]), (width, height))


def attach_keys(frames: Iterable, keyframes: Keyframes) -> Iterator:
    """Frames (media.frames.Frame) with `.key` set on those `keyframes` names by number (the image read
    and resized to the frame once, here: run it in the decode thread) and `.keys_ahead` on every frame:
    whether `keyframes` holds one for a later frame number."""
    last = max(keyframes.by_frame, default=-1)
    for frame in frames:
        key = frame.key
        if frame.index in keyframes.by_frame:
            h, w = frame.image.shape[:2]
            key = keyframes.load(frame.index, h, w)
        yield dataclasses.replace(frame, key=key, keys_ahead=frame.index < last)


def sheet_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The model sheet images `paths` names: each image, and each folder's images (sorted, not
    recursive); InputError for a missing path or a folder without images."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = list_images(path, recursive=False)
            if not found:
                raise InputError(f"--sheet folder {path} holds no images")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"--sheet image not found: {path}")
    return files


class ModelSheet:
    """Model sheets as one reference: the sheets laid out in a grid on white paper at the frames'
    shape (each scaled to fit its cell, aspect kept), with the line-art the model's recipe draws
    from it; one Reference per frame shape, made when a shot first needs it."""

    def __init__(self, images: list[np.ndarray], colorizer: Colorizer):
        if not images:
            raise ValueError("a model sheet needs at least one image")
        self.images, self.colorizer = images, colorizer
        self._by_shape: dict[tuple[int, int], Reference] = {}

    def reference(self, height: int, width: int) -> Reference:
        """The sheets' Reference at H x W (colour H x W x 3 uint8, line-art H x W uint8)."""
        if (height, width) not in self._by_shape:
            colour = sheet_mosaic(self.images, height, width)
            drawn = self.colorizer.lineart_arrays(colour[None], self.colorizer.lineart_config is None)[0]
            self._by_shape[(height, width)] = Reference(colour, drawn)
        return self._by_shape[(height, width)]


def sheet_mosaic(images: list[np.ndarray], height: int, width: int) -> np.ndarray:
    """H x W x 3 uint8: `images` (H_i x W_i x 3 uint8) in the grid that shows them largest, each
    scaled to fit its cell (aspect kept) and centred on white."""
    def scale_of(cols: int) -> float:
        rows = -(-len(images) // cols)
        return min(min(height / rows / im.shape[0], width / cols / im.shape[1]) for im in images)

    cols = max(range(1, len(images) + 1), key=scale_of)
    rows = -(-len(images) // cols)
    canvas = np.full((height, width, 3), 255, np.uint8)
    cell_h, cell_w = height // rows, width // cols
    for n, image in enumerate(images):
        scale = min(cell_h / image.shape[0], cell_w / image.shape[1])
        h, w = max(1, int(image.shape[0] * scale)), max(1, int(image.shape[1] * scale))
        small = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        top = (n // cols) * cell_h + (cell_h - h) // 2
        left = (n % cols) * cell_w + (cell_w - w) // 2
        canvas[top:top + h, left:left + w] = small
    return canvas


def model_sheet(paths: list[Path], colorizer: Colorizer) -> ModelSheet:
    """The ModelSheet of sheet image files (read once, here); InputError for an unreadable one."""
    return ModelSheet([read_rgb(p) for p in paths], colorizer)


@dataclass(frozen=True)
class Segment:
    """Frames [start, end) of a batch that share one reference.

    keyframe: a keyframe image (H x W x 3 uint8) that becomes the reference at `start`; None keeps the
    current one. new_shot: a cut at `start` drops the current reference first. self_reference: the
    frame at `start` is colorized without a reference and its output becomes the shot's reference.
    sheet: the model sheets become the reference at `start`.
    """

    start: int
    end: int
    keyframe: np.ndarray | None = None
    new_shot: bool = False
    self_reference: bool = False
    sheet: bool = False


class ReferenceGuide:
    """Plans, batch by batch, which frames share a reference (see the module docstring for the rules);
    a frame's keyframe is its `.key` (attach_keys).

    Holds two counters: memory is flat at any video length.
    """

    def __init__(self, self_reference: bool = True, sheet: bool = False):
        self.self_reference = self_reference
        self.sheet = sheet     # a shot without a keyframe follows the model sheets
        self.cuts = 0          # shots started so far (the first frame starts one)
        self.used = 0          # keyframes applied so far

    def plan(self, frames: Sequence) -> list[Segment]:
        """Segments covering `frames` (Frames with `cut` set by media.shots.mark_cuts, consecutive in
        the video); ValueError for frames whose cuts were never marked."""
        starts: list[Segment] = []
        for i, frame in enumerate(frames):
            cut = getattr(frame, "cut", None)
            if cut is None:
                raise ValueError("ReferenceGuide needs frames with shot cuts marked (media.shots.mark_cuts)")
            self.cuts += cut
            key = getattr(frame, "key", None)
            if key is not None:
                starts.append(Segment(i, i, keyframe=key, new_shot=cut))
                self.used += 1
            elif cut:
                starts.append(Segment(i, i, new_shot=True, sheet=self.sheet,
                                      self_reference=self.self_reference and not self.sheet))
        return _close(starts, len(frames))


def _close(starts: list[Segment], length: int) -> list[Segment]:
    """Give each segment its end (the next one's start, or `length`); frames before the first event
    keep the current reference. A self-reference segment is split after its first frame, which runs
    alone (its output is the reference of the rest)."""
    if not starts or starts[0].start > 0:
        starts = [Segment(0, 0)] + starts
    segments = []
    for seg, nxt in zip(starts, starts[1:] + [None]):
        end = nxt.start if nxt is not None else length
        if seg.self_reference and end - seg.start > 1:
            segments.append(Segment(seg.start, seg.start + 1, new_shot=seg.new_shot, self_reference=True))
            segments.append(Segment(seg.start + 1, end))
        else:
            segments.append(dataclasses.replace(seg, end=end))
    return segments


def follows_references(colorizer: Colorizer, keyed: bool, self_reference: bool) -> bool:
    """Whether a stream follows references (the one place this is decided): a reference-guided model
    with keyframes (`keyed`) or self-reference. InputError for keyframes given to a model that takes none."""
    if keyed and not colorizer.takes_reference:
        raise InputError("--reference/--references need a reference-guided model; this one colours from "
                         "line-art only (train one with [reference] enabled = true, or use the default model)")
    return colorizer.takes_reference and (keyed or self_reference)


def follow_references(frames: Iterable, colorizer: Colorizer, is_lineart: bool, batch_size: int,
                      self_reference: bool = True, sheet: ModelSheet | None = None) -> Iterator[ColorizedFrame]:
    """Colorizer.iter_colorized for consecutive frames of a reference-guided model (cuts marked by
    media.shots.mark_cuts, keyframes attached by attach_keys): each shot follows its keyframe or,
    the model `sheet` when given, else with `self_reference` its own first output; a shot without
    any is coloured frame by frame. A reference is encoded once per shot (a sheet once per frame
    shape) and reused."""
    colorizer.check_takes_reference()
    guide = ReferenceGuide(self_reference=self_reference, sheet=sheet is not None)
    reference: Reference | None = None
    for group in batch_by_size(frames, batch_size):
        lines = colorizer.group_lineart(group, is_lineart)
        outputs = []
        for seg in guide.plan(group):
            if seg.new_shot:
                reference = None
            if seg.keyframe is not None:
                reference = Reference(seg.keyframe, lines[seg.start])
            elif seg.sheet:
                reference = sheet.reference(*lines[seg.start].shape)
            colour = colorizer.colour_arrays(lines[seg.start:seg.end], reference)
            if seg.self_reference:
                # the written (uint8) frame, so a re-run from the saved frame gives the same result
                reference = Reference(colour[0], lines[seg.start])
            outputs.append(colour)
        for frame, line, col in zip(group, lines, np.concatenate(outputs)):
            yield ColorizedFrame(frame, line, col)
