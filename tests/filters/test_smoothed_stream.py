"""`colorize video --smooth`: the smoothing filter of the colour stream, reset at shot cuts."""

from __future__ import annotations

import numpy as np

from colorize.data.toon import ToonClip, ToonConfig
from colorize.engine.model import ColorizedFrame
from colorize.filters.smoothing import smoothed
from colorize.lineart.recipes import LineArtConfig, lineart_numpy
from colorize.media.frames import Frame
from colorize.media.shots import mark_cuts


def _items(cut_every: int = 6, n: int = 12, seed: int = 4):
    """ColorizedFrames whose 'colour' is the true frame with per-frame brightness flicker."""
    clip = ToonClip(ToonConfig(width=96, height=64, n_frames=n, seed=seed, cut_every=cut_every))
    rng = np.random.default_rng(0)
    for frame in mark_cuts(Frame(i, i / 12, clip.frame(i)) for i in range(n)):
        rgb = frame.image
        flicker = np.clip(rgb.astype(np.float32) * rng.uniform(0.8, 1.2), 0, 255).astype(np.uint8)
        yield ColorizedFrame(frame, lineart_numpy(rgb, LineArtConfig()), flicker)


def test_smoothing_changes_frames_inside_a_shot_but_never_the_first_frame_after_a_cut():
    raw = list(_items())
    out = list(smoothed(iter(raw), strength=0.5))
    assert [o.source.index for o in out] == list(range(12))
    for first_of_shot in (0, 6):  # nothing from the previous shot may leak into a new one
        assert np.array_equal(out[first_of_shot].colour, raw[first_of_shot].colour)
    changed = [not np.array_equal(o.colour, r.colour) for o, r in zip(out, raw)]
    assert sum(changed[1:6]) >= 4 and sum(changed[7:]) >= 4


def test_smoothing_lowers_temporal_inconsistency_against_the_true_frames():
    from colorize.metrics.temporal import temporal_consistency

    raw = list(_items(cut_every=0))
    out = list(smoothed(iter(raw), strength=0.5))
    truth = [r.source.image for r in raw]
    before = temporal_consistency([r.colour for r in raw], truth)["tc"]
    after = temporal_consistency([o.colour for o in out], truth)["tc"]
    assert after < 0.7 * before, (before, after)


def test_smoothing_follows_the_cuts_marked_on_the_frames_and_refuses_unmarked_ones():
    import dataclasses

    import pytest

    def with_cut(item, cut):
        return dataclasses.replace(item, source=dataclasses.replace(item.source, cut=cut))

    raw = [with_cut(item, item.source.index in (0, 3)) for item in _items(cut_every=0)]
    out = list(smoothed(iter(raw), strength=0.5))
    assert np.array_equal(out[3].colour, raw[3].colour)       # the marked cut resets the smoother
    assert not np.array_equal(out[4].colour, raw[4].colour)
    with pytest.raises(ValueError, match="mark_cuts"):
        list(smoothed(iter([with_cut(item, None) for item in raw]), strength=0.5))
