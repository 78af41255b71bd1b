"""Keys in the app: colour a key frame with the paint bucket, and how well the keys cover each shot.

    paint = key_paint(clip, 21, model)           # the bucket on frame 21's line-art (cached per frame)
    paint.fill_at(x, y, (224, 90, 71)); fill_from_guess(clip, 21, paint, model)
    use_as_key(clip, 21, paint)                  # keys/<number>.png, as an uploaded key
    tables = coverage_tables(clip)               # once per clip: who sees what, per shot
    shot_coverage(clip, tables)                  # per shot: share of frames covered, the key to add next

The bucket's regions are found on the line-art the render paints (the model's recipe at full
resolution, or the frame itself for line-art input), see colorize.app.bucket. Coverage is
colorize.jobs.keys on the clip's scrub images (small line-art drawn with the ink recipe): the score
table of each shot (every frame as a key) is made once, so a change of keys costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from colorize import api
from colorize.app.bucket import KeyPaint, guess_table, key_table
from colorize.app.session import Clip, _scrub_path, check_index, full_frame, lineart_of, save_keyframe
from colorize.images import read_rgb
from colorize.progress import progress

if TYPE_CHECKING:
    from colorize.engine.model import Colorizer

#: Key frames whose regions stay cached per clip (each holds a few arrays of the frame's size).
CACHED_PAINTS = 4
#: Longer clips get no coverage on the timeline (its tables cost ~25 ms a frame on one loaded core).
COVERAGE_MAX_FRAMES = 2000


# ------------------------------------------------------------------------------------------ bucket

def key_paint(clip: Clip, index: int, model: "Colorizer", is_lineart: bool = False) -> KeyPaint:
    """The bucket for frame `index`: its full-resolution line-art's regions (computed once per frame
    and kept in clip.paints), filled with the flat colours of the frame's key when it has one."""
    position = check_index(clip, index)
    cached = clip.paints.get((position, is_lineart))
    if cached is not None:
        return cached
    lineart = lineart_of(full_frame(clip, position), model, is_lineart)
    paint = KeyPaint.start(lineart)
    key = clip.keys().get(position)
    if key is not None:
        colour = read_rgb(key)
        if colour.shape[:2] == lineart.shape:
            table = key_table(colour, paint.regions)
            paint.fills = {label: tuple(int(v) for v in table[label]) for label in range(1, paint.regions.count + 1)}
    while len(clip.paints) >= CACHED_PAINTS:
        clip.paints.pop(next(iter(clip.paints)))
    clip.paints[(position, is_lineart)] = paint
    return paint


def model_guess(clip: Clip, index: int, paint: KeyPaint, model: "Colorizer", is_lineart: bool = False) -> np.ndarray:
    """The model's flat colour per region of `paint` ((count + 1) x 3 uint8 RGB), from its colouring of
    the frame's line-art alone; made once per paint."""
    if paint.guess is None:
        colour = api.colorize_image(full_frame(clip, index), model, lineart=is_lineart, paint="free", lines="drop")
        paint.guess = guess_table(colour, paint.regions)
    return paint.guess


def fill_from_guess(clip: Clip, index: int, paint: KeyPaint, model: "Colorizer", is_lineart: bool = False) -> None:
    """Every region takes the model's flat guess (what `--paint flat` would make of it)."""
    paint.fill_all(model_guess(clip, index, paint, model, is_lineart))


def use_as_key(clip: Clip, index: int, paint: KeyPaint):
    """Write the painted key (fills, the line-art's lines on top) as frame `index`'s key, as an
    uploaded key is written; the clip's other keys stay. Returns its path."""
    return save_keyframe(clip, index, paint.render(), keep_others=True)


# ------------------------------------------------------------------------------------------ coverage

@dataclass(frozen=True)
class ShotTable:
    """One shot (or a max_shot piece of one): its frame positions and score table (scores[k, t]:
    share of frame t's drawing seen from a key at frame k, both as indices into positions)."""

    shot: int
    positions: list[int]
    scores: np.ndarray


def coverage_tables(clip: Clip) -> list[ShotTable]:
    """Every shot's score table on the scrub images (cuts as the clip's), made once and kept in clip.tables
    (none for a clip over COVERAGE_MAX_FRAMES). DIS's "fast" preset: advice, at half the cost."""
    if clip.tables is None and clip.frame_count > COVERAGE_MAX_FRAMES:
        clip.tables = []
    if clip.tables is None:
        from colorize.jobs.keys import KeysConfig, iter_shot_linearts, shot_scores, small_lineart
        from colorize.media.frames import Frame

        cfg = KeysConfig(flow_preset="fast")
        cuts = set(clip.cuts)

        def frames():
            for position in progress(range(clip.frame_count), desc="coverage"):
                art = small_lineart(read_rgb(_scrub_path(clip.workdir, position)), cfg)
                yield Frame(index=position, time=position / clip.fps, image=art, cut=position in cuts, lineart=art)

        clip.tables = [ShotTable(piece.shot, piece.numbers,
                                 shot_scores(piece.arts, list(range(len(piece.arts))), cfg))
                       for piece in iter_shot_linearts(frames(), cfg)]
    return clip.tables


@dataclass(frozen=True)
class ShotCoverage:
    """A shot's coverage by the keys: its first and last frame, its keys, the share of its frames
    whose drawing is at least `threshold` seen in one key, and the frame to key next (None: all covered)."""

    shot: int
    first: int
    last: int
    keys: list[int]
    covered: float
    next_key: int | None


def shot_coverage(clip: Clip, tables: list[ShotTable], threshold: float = 0.9) -> list[ShotCoverage]:
    """Per shot (pieces of a long shot merged), its coverage by clip.keys() (see ShotCoverage)."""
    from colorize.jobs.keys import greedy_keys

    keys = set(clip.keys())
    merged: dict[int, list] = {}
    for table in tables:
        index = {p: i for i, p in enumerate(table.positions)}
        chosen = [index[k] for k in sorted(keys) if k in index]
        best = table.scores[chosen].max(axis=0) if chosen else np.zeros(len(table.positions), np.float32)
        ok = int((best >= threshold - 1e-6).sum())
        added, _ = greedy_keys(table.scores, threshold, limit=1, chosen=chosen)
        entry = merged.setdefault(table.shot, [table.positions[0], table.positions[-1], [], 0, None])
        entry[1] = table.positions[-1]
        entry[2] += [table.positions[i] for i in chosen]
        entry[3] += ok
        if entry[4] is None and added:
            entry[4] = table.positions[added[0]]
    return [ShotCoverage(shot, first, last, found, done / (last - first + 1), nxt)
            for shot, (first, last, found, done, nxt) in sorted(merged.items())]
