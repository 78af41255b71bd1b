"""The colour stream (colorize/jobs/colorize/stream.py): one plan, one function, filters in order."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from colorize.data.toon import ToonClip, ToonConfig
from colorize.filters.temporal import TemporalConfig
from colorize.jobs.colorize import stream
from colorize.jobs.colorize.references import Keyframes, attach_keys
from colorize.jobs.colorize.stream import ColourPlan, colour_stream, filters
from colorize.media.frames import Frame
from colorize.media.shots import mark_cuts


def _frames(n: int = 6) -> list[Frame]:
    clip = ToonClip(ToonConfig(width=64, height=48, n_frames=n, seed=5))
    return list(mark_cuts(Frame(i, i / 12, clip.frame(i)) for i in range(n)))


def test_the_paint_slot_is_free_by_default_and_refuses_unknown_paints():
    assert ColourPlan().paint == "free" and filters(ColourPlan()) == []
    with pytest.raises(ValueError, match="paint"):
        ColourPlan(paint="cel")


def test_filters_run_temporal_then_smoothing_and_cuts_are_needed_only_then():
    plan = ColourPlan(temporal=TemporalConfig(), smooth=0.3)
    assert [f.func.__name__ for f in filters(plan)] == ["carry_colours", "smoothed"]
    assert plan.needs_cuts and ColourPlan(follow=True).needs_cuts and not ColourPlan().needs_cuts


def test_a_plain_plan_is_the_colorizer_frame_by_frame(colorizer):
    frames = _frames()
    alone = [item.colour for item in colorizer.iter_colorized(iter(frames), False, 4)]
    streamed = [item.colour for item in colour_stream(iter(frames), colorizer, ColourPlan(batch_size=4))]
    assert all(np.array_equal(a, b) for a, b in zip(alone, streamed)) and len(streamed) == 6


def test_a_filter_plugs_in_through_the_plan(colorizer, monkeypatch):
    """A new filter is a function of the item stream, added by `filters`: here a spy that inverts."""
    def invert(items):
        for item in items:
            yield dataclasses.replace(item, colour=255 - item.colour)

    monkeypatch.setattr(stream, "filters", lambda plan: [invert])
    plain = [i.colour for i in colorizer.iter_colorized(iter(_frames()), False, 4)]
    inverted = [i.colour for i in colour_stream(iter(_frames()), colorizer, ColourPlan())]
    assert all(np.array_equal(255 - a, b) for a, b in zip(plain, inverted))


def test_keyframes_are_read_once_per_frame_for_the_whole_stream(tmp_path, monkeypatch):
    """attach_keys reads each keyframe once; neither the guide nor the temporal mode reads it again."""
    from colorize.images import write_image

    write_image(tmp_path / "000000.png", np.full((48, 64, 3), 200, np.uint8))
    write_image(tmp_path / "000003.png", np.full((48, 64, 3), 50, np.uint8))
    loads = []
    original = Keyframes.load
    monkeypatch.setattr(Keyframes, "load", lambda self, *a: loads.append(a[0]) or original(self, *a))
    frames = list(attach_keys(_frames(), Keyframes.from_options(references_dir=tmp_path)))
    assert loads == [0, 3] and [f.key is not None for f in frames] == [i in (0, 3) for i in range(6)]


def test_closing_the_stream_early_stops_the_generator_thread(colorizer):
    import threading

    items = colour_stream(iter(_frames(12)), colorizer, ColourPlan(batch_size=2))
    next(items)
    workers = [t for t in threading.enumerate() if t.name == "generator"]
    assert workers
    items.close()
    for worker in workers:
        worker.join(5)
    assert not any(worker.is_alive() for worker in workers)
