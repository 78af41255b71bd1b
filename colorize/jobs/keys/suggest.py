"""Which frames to key: greedy key choice per shot on the coverage table (colorize.jobs.keys.coverage).

    suggest_keys("clip.mp4")                 # [0, 14, 57]: every frame >= cfg.threshold covered
    suggest_keys("frames/", max_keys=3)      # per shot: first, last and the frame that covers most
    plans = plan_clip("clip.mp4")            # ShotPlan per shot: keys and each frame's coverage

suggest_keys works per shot (cuts from media.shots.mark_cuts, on the full-size frames, as `colorize
video` finds them) on the table score(k, t) for every candidate k and frame t of the shot: without
max_keys, the shot's first frame (`first_frame`, since today's keys colour forwards only) and then
greedily the frame that raises the shot's coverage, capped at `threshold`, most, until every frame is
at `threshold`; with max_keys, a budget of max_keys keys per shot (keys carry both ways within a shot,
colorize.filters.keyed, and coverage is per shot, so a clip-wide budget left short shots keyless): the
shot's first and last frames when max_keys >= 2 (`bracket_keys`), then greedily the frames that add the
most coverage.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from colorize.errors import InputError
from colorize.images import list_images, read_rgb
from colorize.jobs.keys.coverage import KeysConfig, iter_shot_linearts, shot_scores, small_lineart
from colorize.media.frames import Frame
from colorize.media.shots import mark_cuts
from colorize.progress import progress


@dataclass
class ShotPlan:
    """The keys suggested for one shot (or piece of one): frame numbers `first`..`last` (the
    numbers of its frames are `numbers`), its keys, and each frame's coverage with them."""

    shot: int
    numbers: list[int]
    keys: list[int]
    coverage: list[float]

    @property
    def first(self) -> int:
        return self.numbers[0]

    @property
    def last(self) -> int:
        return self.numbers[-1]

    def to_dict(self) -> dict:
        return {"shot": self.shot, "first": self.first, "last": self.last, "keys": self.keys,
                "coverage": [round(c, 4) for c in self.coverage],
                "min_coverage": round(min(self.coverage), 4)}


def greedy_keys(scores: np.ndarray, threshold: float | None, limit: int | None = None,
                chosen: Iterable[int] = ()) -> tuple[list[int], list[float]]:
    """Greedy set cover on a shot's n x n table (scores[k, t]: frame t seen from key k).

    Starting from the positions `chosen`, add the position that raises sum_t min(coverage_t, cap)
    most (cap = threshold, or 1 without one; ties go to the earliest frame) until every frame is at
    `threshold` (with one) or `limit` keys were added. Returns (added positions, their gains); the
    gains do not increase, so per-shot sequences merged by gain are the greedy over many shots.
    """
    cap = 1.0 if threshold is None else threshold
    covered = np.zeros(scores.shape[1], np.float32)
    for k in chosen:
        covered = np.maximum(covered, scores[k])
    added, gains = [], []
    while limit is None or len(added) < limit:
        if threshold is not None and (covered >= threshold - 1e-6).all():
            break
        gain = (np.minimum(scores, cap) - np.minimum(covered, cap)[None, :]).clip(min=0).sum(axis=1)
        k = int(np.argmax(gain))
        if gain[k] <= 1e-6:
            break
        added.append(k)
        gains.append(float(gain[k]))
        covered = np.maximum(covered, scores[k])
    return added, gains


def bracket_keys(length: int, max_keys: int) -> list[int]:
    """The positions a shot of `length` frames is keyed at before any greedy pick, with a budget of
    `max_keys`: its first and last frames when the budget allows two (one frame for a one-frame shot),
    none with a budget of one. Why the ends: keys carry both ways (colorize.filters.keyed), so a frame
    between two keys is coloured from both sides, each chain re-anchored by the nearer key, and no
    frame of the shot is left to a single chain running away from its key; a mid-shot key leaves the
    frames beyond it with one chain only, and the frames before the shot's first key get the
    generator's guess wherever its motion does not reach back."""
    if max_keys < 2:
        return []
    return [0] if length == 1 else [0, length - 1]


def plan_shots(frames: Iterable[Frame], max_keys: int | None = None, cfg: KeysConfig | None = None
               ) -> list[ShotPlan]:
    """Suggested keys for a stream of line-art Frames (cuts marked), per shot (see suggest_keys).

    max_keys: a budget per shot (each shot, or piece of max_shot frames): bracket_keys, then greedily
    the frames that add most coverage, until the budget is spent or nothing adds coverage. Holds one
    shot's score table at a time.
    """
    cfg = cfg if cfg is not None else KeysConfig()
    if max_keys is not None and max_keys < 1:
        raise ValueError(f"max_keys must be at least 1, got {max_keys}")
    plans = []
    for piece in iter_shot_linearts(frames, cfg):
        scores = shot_scores(piece.arts, list(range(len(piece.arts))), cfg)
        if max_keys is None:
            chosen = [0] if cfg.first_frame else []
            added, _ = greedy_keys(scores, cfg.threshold, chosen=chosen)
        else:
            chosen = bracket_keys(len(piece.arts), max_keys)
            added, _ = greedy_keys(scores, None, limit=max_keys - len(chosen), chosen=chosen)
        positions = sorted(set(chosen + added))
        plans.append(ShotPlan(piece.shot, piece.numbers, positions, _best(scores, positions)))
    for plan in plans:
        plan.keys = [plan.numbers[k] for k in plan.keys]
    return plans


def _best(scores: np.ndarray, positions: list[int]) -> list[float]:
    if not positions:
        return [0.0] * scores.shape[1]
    return [float(v) for v in scores[positions].max(axis=0)]


# ------------------------------------------------------------------------------------ clips in

_DIGITS = re.compile(r"(\d+)")


def _natural_key(path: Path) -> list:
    """frame_2 before frame_10 (as colorize frames orders a sequence; text compared case-insensitively)."""
    return [int(part) if part.isdigit() else part.lower() for part in _DIGITS.split(path.name)]


def folder_numbers(files: list[Path]) -> list[int]:
    """The number each file's name carries (its last run of digits), or 0..n-1 when a name has
    none or two share one (the frame numbers `colorize frames` gives a sequence)."""
    numbers = []
    for f in files:
        found = _DIGITS.findall(f.stem)
        if not found:
            return list(range(len(files)))
        numbers.append(int(found[-1]))
    return numbers if len(set(numbers)) == len(numbers) else list(range(len(files)))


def open_clip(clip: str | os.PathLike) -> tuple[Iterator[Frame], int | None]:
    """(frames, count) of a video file or of a folder's own images in natural order (Frame.index:
    the video frame number, or the number in the image's name as folder_numbers gives it).

    InputError (one line) for a missing path, a file that is not a video, a folder without images.
    """
    path = Path(clip)
    if not path.exists():
        raise InputError(f"input not found: {path}")
    if path.is_dir():
        files = sorted(list_images(path, recursive=False), key=_natural_key)
        numbers = folder_numbers(files)
        return (Frame(index=n, time=float(i), image=read_rgb(f))
                for i, (n, f) in enumerate(zip(numbers, files))), len(files)
    from colorize.media.video import iter_frames, probe

    info = probe(path)
    return iter_frames(path), info.frame_count


def lineart_frames(frames: Iterable[Frame], cfg: KeysConfig) -> Iterator[Frame]:
    """Frames with cuts marked (media.shots.mark_cuts on the full-size frames, as `colorize video`
    finds them) and their image and .lineart replaced by small line-art (small_lineart)."""
    for frame in mark_cuts(frames):
        art = small_lineart(frame.image, cfg)
        yield replace(frame, image=art, lineart=art)


def plan_clip(clip: str | os.PathLike, max_keys: int | None = None, cfg: KeysConfig | None = None
              ) -> list[ShotPlan]:
    """suggest_keys with the per-shot detail: a ShotPlan per shot (keys, each frame's coverage).
    A progress bar (colorize.progress) counts the frames read."""
    cfg = cfg if cfg is not None else KeysConfig()
    frames, total = open_clip(clip)
    return plan_shots(lineart_frames(progress(frames, total=total, desc="keys"), cfg), max_keys, cfg)


def suggest_keys(clip: str | os.PathLike, max_keys: int | None = None, cfg: KeysConfig | None = None
                 ) -> list[int]:
    """The frame numbers to colour, sorted: per shot (cuts respected), the shot's first frame and
    then greedily the frames that see most of what is not yet covered, until every frame's coverage
    is at least cfg.threshold; with max_keys, at most max_keys per shot: its first and last frames
    (max_keys >= 2), then the frames that add most coverage (plan_shots).

    clip: a video file or a folder of frames (its own images, natural order; numbers from the names).
    """
    return sorted(k for plan in plan_clip(clip, max_keys, cfg) for k in plan.keys)
