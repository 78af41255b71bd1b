"""Advice for users who gave keys: one line for a shot whose frames its keys cover poorly.

    line = poorly_covered(shot, numbers, scores, keys={0, 40})   # str | None
    advisor = CoverageAdvisor({0, 40}); advisor.update(index, lineart, cut) ... advisor.finish()
    frames = advise_keys(frames, keys={0, 40}, prefix="clip.mp4: ")  # what `colorize video` runs

The colour jobs report the lines on the logger `colorize.advice` (level WARNING): the CLI prints them
on stderr as "note: ..." above the progress bar; a Python caller sees them on stderr through
logging's last-resort handler unless it configures logging itself.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Callable, Iterable, Iterator

import numpy as np

from colorize.errors import InputError
from colorize.jobs.keys.coverage import KeysConfig, gray_of, shot_scores, shrink
from colorize.jobs.keys.suggest import greedy_keys
from colorize.media.frames import Frame
from colorize.media.threads import BackgroundSink

#: Where the colour jobs report their advice (the CLI prints it as "note: ...").
ADVICE = logging.getLogger("colorize.advice")


def poorly_covered(shot: int, numbers: list[int], scores: np.ndarray, keys: Iterable[int],
                   threshold: float = 0.9) -> str | None:
    """One line for a shot whose frames are poorly covered by the user's keys, or None.

    shot: its number; numbers: its frames' numbers; scores: its n x n table (shot_scores with every
    position as a start); keys: the user's keys (frame numbers; those outside the shot are ignored).
    The line names the longest run of frames below `threshold` and the frame that would raise the
    shot's coverage most: "shot 2 (frames 40-95): frames 61-95 are poorly covered by its keys; key
    frame 70 next".
    """
    position = {n: i for i, n in enumerate(numbers)}
    chosen = [position[k] for k in keys if k in position]
    covered = scores[chosen].max(axis=0) if chosen else np.zeros(len(numbers), np.float32)
    low = covered < threshold - 1e-6
    if not low.any():
        return None
    run = _longest_run(low)
    added, _ = greedy_keys(scores, threshold, limit=1, chosen=chosen)
    where = f"frames {numbers[run[0]]}-{numbers[run[1]]}" if run[1] > run[0] else f"frame {numbers[run[0]]}"
    verb = "are" if run[1] > run[0] else "is"
    return (f"shot {shot} (frames {numbers[0]}-{numbers[-1]}): {where} {verb} poorly covered by its keys; "
            f"key frame {numbers[added[0]]} next")


def _longest_run(flags: np.ndarray) -> tuple[int, int]:
    """(first, last) positions of the longest run of True in a 1-D bool array (the earliest on ties)."""
    best, start = (0, -1), None
    for i, flag in enumerate([*flags.tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - 1 - start > best[1] - best[0]:
                best = (start, i - 1)
            start = None
    return best


class CoverageAdvisor:
    """Streaming check of the user's keys, for `colorize video` / `frames`: feed every frame's
    line-art as the job draws it; at the end of each shot, one line if its keys cover it poorly.

        advisor = CoverageAdvisor(keys={0, 40})
        for frame in frames:                                  # cuts marked
            line = advisor.update(frame.index, frame.lineart, frame.cut)   # str | None
        line = advisor.finish()

    Holds one shot's small line-arts (the bound: colorize.jobs.keys.coverage's docstring).
    """

    def __init__(self, keys: Iterable[int], cfg: KeysConfig | None = None) -> None:
        self.keys = set(keys)
        self.cfg = replace(cfg if cfg is not None else KeysConfig(), lineart=True)
        self._shot, self._numbers, self._arts = -1, [], []

    def update(self, index: int, lineart: np.ndarray, cut: bool) -> str | None:
        """Add frame `index` (line-art H x W uint8, 255 paper, any size, as the job drew it); the line
        for the shot a cut (or max_shot) ended."""
        line = None
        if (cut or len(self._arts) == self.cfg.max_shot) and self._arts:
            line = self.finish()
        if cut or self._shot < 0:
            self._shot += 1
        self._numbers.append(index)
        self._arts.append(shrink(gray_of(lineart), self.cfg.flow_side))
        return line

    def finish(self) -> str | None:
        """The line for the shot in progress (None if it is well covered or empty); forgets it."""
        numbers, arts = self._numbers, self._arts
        self._numbers, self._arts = [], []
        if not arts:
            return None
        # One pass for the whole table (every frame a candidate): the flows, which cost most, are the
        # same as for the keys' rows alone, and a second pass for a poorly covered shot would repeat them.
        scores = shot_scores(arts, list(range(len(arts))), self.cfg)
        return poorly_covered(self._shot, numbers, scores, self.keys, self.cfg.threshold)


def advise_keys(frames: Iterable[Frame], keys: Iterable[int], prefix: str = "",
                report: Callable[[str], None] | None = None, cfg: KeysConfig | None = None) -> Iterator[Frame]:
    """`frames` passed through unchanged, while a CoverageAdvisor beside them reports prefix + its line
    for every shot the user's `keys` (frame numbers) cover poorly (report: default ADVICE.warning).

    frames: Frames with cuts marked and `.lineart` drawn (H x W uint8, 255 paper: the line-art the
    colour job draws anyway). Only each frame's small line-art (longer side cfg.flow_side) is handed
    to the advisor's own thread, through a queue of up to cfg.max_shot of them, so the analysis at a
    shot's end overlaps the colouring instead of holding the frames back. A clean end waits for the
    last shot's line; closing early drops it. A shot whose frames differ in size is not advised on.
    """
    advisor = CoverageAdvisor(keys, cfg)
    say = report if report is not None else ADVICE.warning

    def consume(item: tuple[int, np.ndarray, bool] | None) -> None:
        try:
            line = advisor.finish() if item is None else advisor.update(*item)
        except InputError:  # frames of two sizes in one shot (a folder sequence): no table to advise from
            return
        if line:
            say(prefix + line)

    sink = BackgroundSink(consume, maxsize=advisor.cfg.max_shot, name="advice")
    try:
        for frame in frames:
            sink.put((frame.index, shrink(gray_of(frame.lineart), advisor.cfg.flow_side), bool(frame.cut)))
            yield frame
        sink.put(None)
        sink.close()
    except BaseException:
        sink.abort()
        raise
