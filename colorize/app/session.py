"""What the preview app does, without the browser: open a clip, show a frame, set a keyframe, preview, render.

    clip = open_video("shot.mp4", workdir)                  # or open_frames([...png], workdir, fps=12)
    frame, lines = frame_view(clip, 12, model)             # scrub: the frame and its line-art
    key = save_keyframe(clip, 12, guess_keyframe(clip, 12, model))   # or a coloured key the user drew
    add_sheet(clip, "hero.png")                            # a model sheet for the shots no key covers
    preview_clip(clip, model, key, seconds=2)              # line-art | colour | original MP4 from frame 12

The whole clip is rendered by colorize.app.render.Render (the command line in a child process).

A `Clip` is one browser session's work: its source (a video, or a folder of frames in natural order)
and a private work folder holding small scrub images, the keys, model sheets, the preview and the renders. All
colouring goes through colorize.api (the functions behind `colorize video` / `colorize frames`; a
render runs those commands in a child process, so it can be stopped), so the app shows exactly what
the command line would produce. Nothing here imports gradio; errors are
colorize.errors.ColorizeError with one sentence, which the UI shows as a message.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import cv2
import numpy as np

from colorize import api
from colorize.errors import InputError
from colorize.app.media import describe_outputs, first_frame, middle_frame, playable, seek_frame  # noqa: F401
from colorize.images import is_image, list_images, read_rgb, write_image
from colorize.media.frames import resize_to
from colorize.progress import progress

if TYPE_CHECKING:
    from colorize.engine.model import Colorizer

#: The longer side of the scrub images (the full-resolution frame is read only for the keyframe).
SCRUB_SIDE = 512
#: Frames per second given to a folder of frames when the user gives none.
DEFAULT_FOLDER_FPS = 12.0


@dataclass
class Clip:
    """One clip being worked on. kind "video": `source` is the video file; kind "frames": `frames`
    are the images in natural order (`source` their folder in `workdir`). `numbers[i]` is the frame
    number a keyframe for position i carries (the video's frame index, or the number in the frame's
    file name, as `colorize frames` reads it). `size` = (width, height)."""

    kind: str
    source: Path
    workdir: Path
    fps: float
    size: tuple[int, int]
    numbers: list[int]
    frames: list[Path] = field(default_factory=list)
    upload: Path | None = None  # the folder the uploaded source was moved into (removed with the clip)
    cuts: list[int] = field(default_factory=lambda: [0])  # positions that start a shot (0 first)
    # caches of colorize.app.keying: the paint bucket per (key frame, line-art input), the coverage tables
    paints: dict = field(default_factory=dict, repr=False)
    tables: list | None = field(default=None, repr=False)

    @property
    def frame_count(self) -> int:
        return len(self.numbers)

    @property
    def keys_dir(self) -> Path:
        return self.workdir / "keys"

    @property
    def sheets_dir(self) -> Path:
        """The clip's model sheets (see add_sheet), as `--sheet DIR` reads them."""
        return self.workdir / "sheets"

    def sheets(self) -> list[Path]:
        """The model sheets added so far, in the order they were added."""
        return sorted(self.sheets_dir.glob("*.png")) if self.sheets_dir.is_dir() else []

    def describe(self) -> str:
        """One line for the page: what was opened."""
        what = self.source.name if self.kind == "video" else f"{self.frames[0].name} … {self.frames[-1].name}"
        shots = f", {len(self.cuts)} shots" if len(self.cuts) > 1 else ""
        return f"{what}: {self.frame_count} frames, {self.size[0]}x{self.size[1]} at {self.fps:g} fps{shots}"

    def shots(self) -> list[range]:
        """The clip's shots as ranges of positions, in order."""
        ends = self.cuts[1:] + [self.frame_count]
        return [range(start, end) for start, end in zip(self.cuts, ends)]

    def shot_of(self, position: int) -> int:
        """The number (0 first) of the shot holding `position`."""
        return sum(1 for cut in self.cuts if cut <= position) - 1

    def keys(self) -> dict[int, Path]:
        """The keyframes saved so far, by frame position (keys/<number>.png, as `--references` reads them)."""
        if not self.keys_dir.is_dir():
            return {}
        by_number = {n: i for i, n in enumerate(self.numbers)}
        found = {by_number.get(int(p.stem)): p for p in self.keys_dir.glob("*.png") if p.stem.isdigit()}
        return {position: found[position] for position in sorted(k for k in found if k is not None)}


@dataclass(frozen=True)
class Settings:
    """The page's render settings: temporal mode on/off, smoothing (video only), working size
    (None: the default; 0: full resolution), ink and paint (paint auto / flat / shaded / free, lines
    auto / keep / colour / drop; auto: flat + keep for line-art input, free + colour with keys, free +
    drop for colour video, see colorize.cel.cel_config) -- the options of `colorize video` / `colorize frames`."""

    temporal: bool = True
    smooth: float = 0.0
    size: int | None = None
    paint: str = "auto"
    lines: str = "auto"

    def __post_init__(self) -> None:
        from colorize.cel import cel_config

        try:
            cel_config(self.paint, self.lines, lineart=False)
        except ValueError as exc:
            raise InputError(str(exc)) from None

    def cli_args(self, kind: str) -> list[str]:
        args = ["--temporal" if self.temporal else "--no-temporal"]
        args += ["--size", str(self.size)] if self.size is not None else []
        args += ["--smooth", f"{self.smooth:g}"] if self.smooth and kind == "video" else []
        return args + ["--paint", self.paint, "--lines", self.lines]

    def api_kwargs(self) -> dict:
        return {"temporal": self.temporal, "smooth": self.smooth, "size": self.size, "paint": self.paint,
                "lines": self.lines}


# ------------------------------------------------------------------------------------------ opening

def open_video(path: str | os.PathLike, workdir: str | os.PathLike) -> Clip:
    """Probe a video and decode it once into small scrub images (workdir/scrub/NNNNNN.jpg).

    The video itself is never copied or changed. InputError for a file that is not a readable video.
    """
    from colorize.media.video import iter_frames, probe

    info = probe(path)
    workdir = _fresh_workdir(workdir)
    count, cuts = 0, _CutFinder()
    for frame in progress(iter_frames(info.path, size=scrub_size((info.width, info.height))),
                          total=info.frame_count, desc="opening"):
        write_image(_scrub_path(workdir, frame.index), frame.image, _JPEG)
        cuts.update(frame.index, frame.image)
        count = frame.index + 1
    return Clip("video", info.path, workdir, info.fps, (info.width, info.height), list(range(count)),
                cuts=cuts.cuts)


def open_frames(files: Sequence[str | os.PathLike] | str | os.PathLike, workdir: str | os.PathLike,
                fps: float = DEFAULT_FOLDER_FPS) -> Clip:
    """A cut as a folder of frames: uploaded image files, or a folder (its own images, not its subfolders').

    The frames are linked (copied where links fail) into workdir/frames under their own names, so the
    render colours exactly this sequence, in natural order (frame_2 before frame_10). InputError for
    no images, two files of one name, or frames of different sizes.
    """
    from colorize.jobs.colorize.sequences import frame_numbers, natural_key

    if isinstance(files, (str, os.PathLike)):
        paths = list_images(files, recursive=False)
    else:
        paths = [Path(f) for f in files if is_image(Path(f))]
    if not paths:
        raise InputError("no image files among the frames given (PNG, JPEG, ...)")
    names = [p.name for p in paths]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"two frames are named {twice[0]}: give each frame of the cut its own name")
    if not (math.isfinite(fps) and fps > 0):
        raise InputError(f"frames per second must be a positive number, got {fps!r}")
    paths.sort(key=natural_key)
    workdir = _fresh_workdir(workdir)
    folder = workdir / "frames"
    folder.mkdir()
    linked = [_link(p, folder / p.name) for p in paths]
    first = read_rgb(linked[0])
    size = (first.shape[1], first.shape[0])
    cuts = _CutFinder()
    for index, path in enumerate(progress(linked, desc="opening")):
        image = first if index == 0 else read_rgb(path)
        if (image.shape[1], image.shape[0]) != size:
            raise InputError(f"{path.name} is {image.shape[1]}x{image.shape[0]}, but {linked[0].name} is "
                             f"{size[0]}x{size[1]}: the frames of a cut must share one size")
        scrub = resize_to(image, scrub_size(size))
        write_image(_scrub_path(workdir, index), scrub, _JPEG)
        cuts.update(index, scrub)
    return Clip("frames", folder, workdir, float(fps), size, frame_numbers(linked), linked, cuts=cuts.cuts)


class _CutFinder:
    """The shot cuts of a clip as it is opened, found by the detector the render uses
    (colorize.media.shots) on the scrub images; `cuts` lists the positions that start a shot."""

    def __init__(self) -> None:
        from colorize.media.shots import ShotDetector

        self.detector = ShotDetector()
        self.cuts: list[int] = []

    def update(self, position: int, image: np.ndarray) -> None:
        if self.detector.update(image) or not self.cuts:
            self.cuts.append(position)


def open_path(path: str | os.PathLike, workdir: str | os.PathLike, fps: float = DEFAULT_FOLDER_FPS,
              root: str | os.PathLike | None = None) -> Clip:
    """A path on the machine the app runs on, within `root` (None: no limit): a folder of frames or a
    video file. A path outside root (after `~`, `..` and links) is refused with the words a missing one
    gets (colorize.app.guard.refused); a folder's frames that link outside root are left out."""
    import colorize.app.guard as guard

    text = str(path)
    if root is None:
        resolved = Path(os.path.expanduser(text.strip()))
        if not text.strip() or not resolved.exists():
            raise guard.refused(text)
    else:
        root = Path(root).resolve()
        resolved = guard.inside(root, text)
    if not resolved.is_dir():
        return open_video(resolved, workdir)
    try:
        listed = list_images(resolved, recursive=False)
    except InputError:
        listed = []
    frames = [p for p in listed if root is None or guard.is_within(root, p.resolve())]
    if not frames:
        raise InputError(f"no image files in the folder {text!r} (PNG, JPEG, ...)")
    return open_frames(frames, workdir, fps)


# ------------------------------------------------------------------------------------------ viewing

def frame_view(clip: Clip, index: int, model: "Colorizer", is_lineart: bool = False
               ) -> tuple[np.ndarray, np.ndarray]:
    """Frame `index` at scrub size (H x W x 3 uint8 RGB) and the line-art the model sees in it
    (H x W uint8, 255 = paper), drawn with the model's own recipe."""
    image = read_rgb(_scrub_path(clip.workdir, check_index(clip, index)))
    return image, lineart_of(image, model, is_lineart)


def lineart_of(image: np.ndarray, model: "Colorizer", is_lineart: bool = False) -> np.ndarray:
    """The line-art `model` colours for `image` (H x W uint8, 255 = paper)."""
    from colorize.engine.model import tensor_to_uint8

    return tensor_to_uint8(model.lineart_of(image[None], is_lineart))[0, ..., 0]


def full_frame(clip: Clip, index: int) -> np.ndarray:
    """Frame `index` at full resolution, H x W x 3 uint8 RGB (a video is reached by seeking, see seek_frame)."""
    index = check_index(clip, index)
    if clip.kind == "frames":
        return read_rgb(clip.frames[index])
    return seek_frame(clip.source, index, clip.fps)


def check_index(clip: Clip, index: int | float) -> int:
    """`index` as a frame position of `clip`; InputError when it lies outside the clip."""
    position = int(round(float(index)))
    if not 0 <= position < clip.frame_count:
        raise InputError(f"frame {position} is outside the clip (frames 0 to {clip.frame_count - 1})")
    return position


# ------------------------------------------------------------------------------------------ keyframe

def guess_keyframe(clip: Clip, index: int, model: "Colorizer", is_lineart: bool = False) -> np.ndarray:
    """The model's colouring of frame `index` from its line-art alone (no reference): a starting key."""
    return api.colorize_image(full_frame(clip, index), model, lineart=is_lineart)


def save_keyframe(clip: Clip, index: int, colour: np.ndarray | str | os.PathLike, keep_others: bool = False) -> Path:
    """Make `colour` (an RGB image or an image file) the keyframe of frame `index`.

    Written as keys/<number>.png, the name `--references` reads (keep_others=False: the clip's other
    keyframes go; True: each keyed frame keeps its key, as one key per shot needs), resized to the
    frame size when it differs, as the command line resizes a key (see fit_note). Returns its path.
    """
    index = check_index(clip, index)
    image = read_rgb(colour) if isinstance(colour, (str, os.PathLike)) else _as_rgb(colour)
    if clip.keys_dir.exists() and not keep_others:
        shutil.rmtree(clip.keys_dir)
    clip.keys_dir.mkdir(parents=True, exist_ok=True)
    return write_image(clip.keys_dir / f"{clip.numbers[index]:06d}.png", resize_to(image, clip.size))


def remove_keyframes(clip: Clip) -> None:
    """Forget every keyframe of the clip."""
    shutil.rmtree(clip.keys_dir, ignore_errors=True)


def add_sheet(clip: Clip, sheet: str | os.PathLike, name: str | None = None) -> Path:
    """Keep a copy of model sheet image `sheet` (any image file; InputError if it is not one) with the
    clip, after the sheets added before: sheets/NNN-<name>.png in the clip's work folder (mode 0700),
    which the preview and the render give `colorize video --sheet`. name: the file's name as the user
    knows it (default: `sheet`'s). Returns the copy's path."""
    image = read_rgb(sheet)
    stem = re.sub(r"[^\w-]+", "_", Path(name or sheet).stem)[:40] or "sheet"
    clip.sheets_dir.mkdir(mode=0o700, exist_ok=True)
    numbers = (p.name.partition("-")[0] for p in clip.sheets())
    number = 1 + max((int(n) for n in numbers if n.isdigit()), default=0)
    return write_image(clip.sheets_dir / f"{number:03d}-{stem}.png", image)


def remove_sheets(clip: Clip) -> None:
    """Forget every model sheet of the clip."""
    shutil.rmtree(clip.sheets_dir, ignore_errors=True)


def fit_note(colour_size: tuple[int, int], clip: Clip) -> str:
    """'' when a key of (width, height) has the clip's aspect ratio; else a sentence saying it was
    stretched to the frame, as `colorize video --references` stretches it."""
    (w, h), (cw, ch) = colour_size, clip.size
    if abs(w / h - cw / ch) <= 0.01 * cw / ch:
        return ""
    return (f"your key is {w}x{h}, the clip {cw}x{ch}: it was stretched to the frame's shape, as the command "
            f"line does; crop it to {cw}:{ch} for an exact fit")


def coverage(clip: Clip) -> str:
    """The timeline in words: each shot's frames and the key(s) it follows, or that it has none."""
    keys = clip.keys()
    parts = []
    for number, shot in enumerate(clip.shots(), 1):
        keyed = [position for position in keys if position in shot]
        follows = (f"key{'s' if len(keyed) > 1 else ''} at {', '.join(map(str, keyed))}" if keyed
                   else "no key: follows the model sheets" if clip.sheets() else "no key: follows its own first frame")
        parts.append(f"shot {number} (frames {shot.start}–{shot.stop - 1}): {follows}")
    return "\n\n".join(parts)


def keyframe_position(clip: Clip, key: str | os.PathLike) -> int:
    """The frame position a keyframe written by `save_keyframe` colours."""
    return clip.numbers.index(int(Path(key).stem))


# ------------------------------------------------------------------------------------------ colouring

def preview_clip(clip: Clip, model: "Colorizer", key: str | os.PathLike | None, seconds: float = 2.0,
                 is_lineart: bool = False, settings: Settings = Settings(), start: int | None = None) -> Path:
    """A few seconds from the keyframe on, coloured with it: line-art | colour | original, as MP4.

    The frames [key, key + seconds) are written to a short lossless clip and coloured by
    `colorize_video` with the key as frame 0's reference (so shots, self-reference and the temporal
    mode act as in the full render), and the clip's model sheets (add_sheet) for a shot no key covers
    when `model` follows references. key None (a model that cannot follow keys): from `start` on, with no
    reference. Returns workdir/preview/preview.mp4, yuv420p H.264 (see playable).
    """
    from colorize.media.encode import write_video
    from colorize.media.video import iter_frames

    start = keyframe_position(clip, key) if key is not None else check_index(clip, start or 0)
    count = max(1, min(clip.frame_count - start, int(round(seconds * clip.fps))))
    folder = clip.workdir / "preview"
    folder.mkdir(exist_ok=True)
    if clip.kind == "video":
        frames = (f.image for f in iter_frames(clip.source, start=start / clip.fps,
                                               end=(start + count) / clip.fps))
    else:
        frames = (read_rgb(path) for path in clip.frames[start:start + count])
    excerpt = write_video(frames, folder / "excerpt.mp4", clip.fps, crf=0)
    kwargs = settings.api_kwargs()
    keys = _excerpt_keys(clip, range(start, start + count), folder / "keys") if key is not None else None
    sheets = [clip.sheets_dir] if clip.sheets() and model.takes_reference else []
    preview = api.colorize_video(excerpt, folder / "preview.mp4", model, references=keys, side_by_side=True,
                                 lineart=is_lineart, sheet=sheets, **kwargs)
    return playable(preview)[0]


def _excerpt_keys(clip: Clip, span: range, folder: Path) -> Path:
    """The clip's keys that fall in `span`, renumbered from the excerpt's first frame, in `folder`
    (as `--references` reads them): the preview follows every key it crosses, as the render does."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for position, path in clip.keys().items():
        if position in span:
            shutil.copyfile(path, folder / f"{position - span.start:06d}.png")
    return folder


# ------------------------------------------------------------------------------------------ helpers

_JPEG = [cv2.IMWRITE_JPEG_QUALITY, 90]  # scrub images only


def _as_rgb(image: np.ndarray) -> np.ndarray:
    """A drawn or uploaded key as H x W x 3 uint8 RGB (gray repeated, an alpha channel dropped)."""
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or min(image.shape[:2]) < 1:
        raise InputError(f"the coloured keyframe must be an RGB image, got an array of shape {image.shape}")
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    return np.ascontiguousarray(image[..., :3]) if image.shape[2] >= 3 else np.repeat(image[..., :1], 3, axis=2)


def scrub_size(size: tuple[int, int]) -> tuple[int, int]:
    """(width, height) scaled so the longer side is at most SCRUB_SIDE (never enlarged)."""
    scale = min(1.0, SCRUB_SIDE / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _scrub_path(workdir: Path, index: int) -> Path:
    return workdir / "scrub" / f"{index:06d}.jpg"


def _fresh_workdir(workdir: str | os.PathLike) -> Path:
    """An empty work folder for a newly opened clip (what an earlier clip left there goes)."""
    workdir = Path(workdir)
    if workdir.exists():
        shutil.rmtree(workdir)
    (workdir / "scrub").mkdir(parents=True)
    return workdir


def _link(source: Path, target: Path) -> Path:
    """A symbolic link to `source` at `target`, or a copy where links are not allowed."""
    try:
        target.symlink_to(source.resolve())
    except OSError:
        shutil.copyfile(source, target)
    return target
