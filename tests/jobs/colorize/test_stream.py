"""The colour stream (colorize/jobs/colorize/stream.py): one plan, one function, filters in order."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from colorize.cel import CelConfig, segment_regions

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


def test_no_cel_filter_without_a_cel_config_nor_for_free_paint_without_lines():
    assert ColourPlan().cel is None and filters(ColourPlan()) == []
    assert filters(ColourPlan(cel=CelConfig(paint="free", lines="drop"))) == []
    assert [f.func.__name__ for f in filters(ColourPlan(cel=CelConfig(paint="free")))] == ["painted"]


def test_paint_runs_last_and_needs_no_cuts():
    plan = ColourPlan(temporal=TemporalConfig(), smooth=0.3, cel=CelConfig())
    assert [f.func.__name__ for f in filters(plan)] == ["carry_colours", "smoothed", "painted"]
    assert not ColourPlan(cel=CelConfig()).needs_cuts


def test_a_flat_plan_paints_each_closed_region_one_colour_under_the_frame_lines(colorizer):
    items = list(colour_stream(iter(_frames(3)), colorizer, ColourPlan(cel=CelConfig(paint="flat", lines="keep"))))
    for item in items:
        regions = segment_regions(item.lineart)
        assert regions.count > 1
        for label in range(1, regions.count + 1):
            paper = item.colour[(regions.labels == label) & (item.lineart == 255)]  # lines leave paper as painted
            assert paper.size == 0 or (paper == paper[0]).all(), f"region {label} holds more than one colour"
        assert (item.colour[item.lineart == 0] == 0).all()  # black ink stays exactly black


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

