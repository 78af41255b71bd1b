"""Folders of frames as image sequences: what `colorize frames` does with a reference-guided model.

    seqs = plan_sequences("cuts/", "colour/", reference=None, references="keys/")
    for target, colour in colour_sequences(seqs, colorizer, plan, shots=True, unreadable=[]):
        write_image(target, colour)                      # only the outputs still missing

A folder's own images form one sequence, in natural frame order (frame_2 before frame_10); each
subfolder with images is a sequence of its own (one folder per cut, as studios keep them). Within a
sequence everything works as for a video: its frames, with cuts found by `media.shots.mark_cuts`
(or, with shots off, the whole sequence one shot) and keyframes attached, go through the same colour
stream (colorize.jobs.colorize.stream): a keyframe colours its frame on until the next cut or
keyframe, a shot without one follows its own first output, and the temporal mode carries each
shot's colours along the motion.

Frame numbers: a keyframe colours the frame whose name carries the same number (the last run of
digits, `cut01_0012.png` is frame 12, as keyframe names are read). In a sequence whose frame names do
not all carry distinct numbers, a frame's number is its 0-based position in the natural order.

Keyframes: `reference` colours the first frame of every sequence. `references` DIR holds keyframes
for the sequence IN_DIR/<rel> in DIR/<rel> (for a folder that is one sequence: DIR itself).

Resume: outputs already written are kept; a sequence with missing outputs restarts at the first
frame of the shot holding its first missing one, so the recomputed reference (keyframe or the
shot's own first output) is the one the finished frames were coloured with, and the temporal mode,
which starts afresh at every cut, carries the same colours again. Cut detection restarted
at a cut is in the same state as the uninterrupted pass, so the shots are the same too.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from colorize.engine.model import Colorizer
from colorize.errors import InputError
from colorize.images import is_image, list_images, output_paths, read_rgb, refuse_input_as_output
from colorize.jobs.colorize.references import Keyframes, attach_keys, follows_references, frame_number
from colorize.jobs.colorize.stream import ColourPlan, colour_stream
from colorize.jobs.keys.advice import advise_keys
from colorize.media.frames import Frame
from colorize.media.shots import mark_cuts
from colorize.media.threads import prefetch

_DIGITS = re.compile(r"(\d+)")


def natural_key(path: Path) -> list:
    """Sort key that orders numbers by value: frame_2 < frame_10 (text compared case-insensitively)."""
    return [int(part) if part.isdigit() else part.lower() for part in _DIGITS.split(path.name)]


@dataclass(frozen=True)
class Sequence:
    """One folder's frames in natural order: `files[i]` is written to `targets[i]` and has frame
    number `numbers[i]`; `keyframes` by frame number; `relative` is the folder below IN_DIR."""

    relative: Path
    files: list[Path]
    targets: list[Path]
    numbers: list[int]
    keyframes: Keyframes

    def pending(self) -> list[int]:
        """Positions of frames whose output does not exist yet."""
        return [i for i, target in enumerate(self.targets) if not target.exists()]


def frame_numbers(files: list[Path]) -> list[int]:
    """The number each frame's name carries, or 0..n-1 when some name has none or two share one."""
    try:
        numbers = [frame_number(f) for f in files]
    except InputError:
        return list(range(len(files)))
    return numbers if len(set(numbers)) == len(numbers) else list(range(len(files)))


def plan_sequences(in_dir: str | Path, out_dir: str | Path, reference: str | Path | None = None,
                   references: str | Path | None = None) -> list[Sequence]:
    """Every sequence below `in_dir` (sorted by folder), with its outputs and checked keyframes.

    InputError for OUT_DIR inside IN_DIR, no images, a missing keyframe file or folder, a keyframe
    for a frame number the sequence does not have, or a --references DIR with none for any sequence.
    """
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    refuse_input_as_output(out_dir, [in_dir], folder_job=True)
    files = list_images(in_dir)
    targets = output_paths(in_dir, out_dir, files)
    if references is not None and not Path(references).is_dir():
        raise InputError(f"--references {references} is not a folder of keyframe images")
    by_folder: dict[Path, list[Path]] = {}
    for f in files:
        by_folder.setdefault(f.parent.relative_to(in_dir), []).append(f)
    seqs = []
    for relative in sorted(by_folder):
        ordered = sorted(by_folder[relative], key=natural_key)
        numbers = frame_numbers(ordered)
        keys = sequence_keyframes(reference, _keyframe_folder(references, relative), numbers[0])
        _check_numbers(keys, numbers, in_dir / relative)
        seqs.append(Sequence(relative, ordered, [targets[f] for f in ordered], numbers, keys))
    if references is not None and not any(len(s.keyframes.by_frame) > (reference is not None) for s in seqs):
        raise InputError(f"--references {references} holds no keyframes for the frames of {in_dir} (keyframes "
                         "of IN_DIR/<folder> go in DIR/<folder>)")
    return seqs


def sequence_keyframes(reference: str | Path | None, folder: Path | None, first: int) -> Keyframes:
    """Keyframes of one sequence: `folder`'s own images by number, plus `reference` for its first
    frame (numbered `first`); InputError for a missing file or two keyframes for one frame."""
    keys = Keyframes.from_options(None, folder, recursive=False).by_frame if folder is not None else {}
    if reference is not None:
        path = Keyframes.from_options(reference).by_frame[0]  # checks that the file exists
        if first in keys:
            raise InputError(f"frame {first} has two keyframes: --reference {path} and {keys[first]}")
        keys = {**keys, first: path}
    return Keyframes(keys)


def _keyframe_folder(references: str | Path | None, relative: Path) -> Path | None:
    """DIR/<relative> when it holds images of its own (that sequence's keyframes), else None."""
    if references is None:
        return None
    folder = Path(references) / relative
    return folder if folder.is_dir() and any(is_image(p) for p in folder.iterdir()) else None


def _check_numbers(keys: Keyframes, numbers: list[int], folder: Path) -> None:
    missing = sorted(set(keys.by_frame) - set(numbers))
    if missing:
        n = missing[0]
        raise InputError(f"keyframe {keys.by_frame[n].name} is for frame {n}, but {folder} has no frame {n} "
                         f"(its frames are numbered {min(numbers)} to {max(numbers)})")


# ------------------------------------------------------------------------------------- streaming

def read_frames(seq: Sequence, start: int, stop: int | None, shots: bool,
                unreadable: list[Path] | None = None) -> Iterator[Frame]:
    """Frames seq.files[start:stop] with their numbers as `index` and `cut` marked: by the shot
    detector, or (shots off) only on the first frame. Unreadable images go to `unreadable` and are left out."""
    def decoded() -> Iterator[Frame]:
        for position in range(start, len(seq.files) if stop is None else stop):
            try:
                image = read_rgb(seq.files[position])
            except InputError:
                if unreadable is not None:
                    unreadable.append(seq.files[position])
                continue
            yield Frame(index=seq.numbers[position], time=float(position), image=image)

    if shots:
        return mark_cuts(decoded())
    return (Frame(f.index, f.time, f.image, cut=i == 0) for i, f in enumerate(decoded()))


def resume_start(seq: Sequence, first_missing: int, shots: bool) -> int:
    """Position of the first frame of the shot holding frame `first_missing` (0 with shots off)."""
    if not shots or first_missing == 0:
        return 0
    position_of = {number: i for i, number in enumerate(seq.numbers)}
    start = 0
    for frame in read_frames(seq, 0, first_missing + 1, shots):
        if frame.cut:
            start = position_of[frame.index]
    return start


def colour_sequences(seqs: Iterable[Sequence], colorizer: Colorizer, plan: ColourPlan, shots: bool,
                     unreadable: list[Path], queue_size: int = 8) -> Iterator[tuple[Path, np.ndarray]]:
    """(output path, H x W x 3 uint8 RGB colour) for every missing output of `seqs`, in order.

    Each sequence is one colour stream with `plan`, as `colorize video` colours a clip (a sequence
    follows references only where references.follows_references says so for its own keyframes).
    A sequence with missing outputs is coloured from the start of the shot of its first missing
    frame (see the module docstring): both the reference and the carried colours depend only on
    the frames since the cut, so they are rebuilt as the finished frames saw them; those frames are
    recomputed but not yielded. Frames are read in a background thread, `queue_size` ahead;
    unreadable ones are appended to `unreadable` and left out. A keyed sequence reports the shots its keys cover
    poorly (from its resume point on) through colorize.jobs.keys.advice.advise_keys.
    """
    for seq in seqs:
        pending = seq.pending()
        if not pending:
            continue
        missing = {seq.numbers[i] for i in pending}
        target_of = dict(zip(seq.numbers, seq.targets))
        start = resume_start(seq, pending[0], shots)
        frames = attach_keys(read_frames(seq, start, None, shots, unreadable), seq.keyframes)
        follow = follows_references(colorizer, bool(seq.keyframes) or plan.sheet is not None, plan.self_reference)
        if follow and seq.keyframes:  # keyed: line-art drawn in the read thread, the advisor beside it
            frames = advise_keys(colorizer.draw_lineart(frames, plan.lineart), seq.keyframes.by_frame,
                                 prefix=f"{seq.files[0].parent.name}: ")
        frames = prefetch(frames, maxsize=queue_size, name="read")
        both_ways = plan.both_ways and bool(seq.keyframes)  # without keys nothing goes backwards
        items = colour_stream(frames, colorizer, dataclasses.replace(plan, follow=follow, both_ways=both_ways))
        try:
            for item in items:
                if item.source.index in missing:
                    yield target_of[item.source.index], item.colour
        finally:
            items.close()
            frames.close()
