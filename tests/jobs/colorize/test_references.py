"""Keyframes and the per-shot reference plan of `colorize video`, with a stub generator that makes
every output the mean colour of its reference (gray without one), so where colour travels is visible."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from colorize.data.toon import ToonClip, ToonConfig
from colorize.errors import InputError
from colorize.images import write_image
from colorize.engine.model import Colorizer
from colorize.jobs.colorize.references import (Keyframes, ReferenceGuide, Segment, attach_keys, follow_references,
                                               frame_number)
from colorize.lineart.recipes import LineArtConfig
from colorize.media.frames import Frame
from colorize.media.shots import mark_cuts

RED, BLUE, GREEN = (230, 20, 20), (20, 20, 230), (20, 230, 20)


class MeanOfReference(nn.Module):
    """Line-art in [-1, 1] -> the reference's mean colour everywhere, or 0 (mid gray) without one."""

    takes_reference = True

    def forward(self, lineart, ref_color=None, ref_lineart=None):
        b, _, h, w = lineart.shape
        if ref_color is None:
            return lineart.new_zeros(b, 3, h, w)
        return ref_color.mean(dim=(2, 3), keepdim=True).expand(b, 3, h, w)


def stub_colorizer() -> Colorizer:
    return Colorizer(MeanOfReference(), "cpu", stride=1, lineart_config=LineArtConfig(backend="opencv"))


def toon_frames(n: int = 12, cut_every: int = 6) -> list[Frame]:
    clip = ToonClip(ToonConfig(width=64, height=48, n_frames=n, seed=11, cut_every=cut_every))
    return list(mark_cuts(Frame(i, i / 12, clip.frame(i)) for i in range(n)))


def keyframe_dir(tmp_path, colours: dict[int, tuple[int, int, int]]):
    for number, colour in colours.items():
        write_image(tmp_path / f"key_{number:04d}.png", np.full((48, 64, 3), colour, np.uint8))
    return tmp_path


def mean_colours(colorizer, frames, keys=None, batch_size=4, follow=True, self_reference=True
                 ) -> list[tuple[int, ...]]:
    """Mean colour of each output: following references (keys attached as the jobs attach them), or
    (follow False) every frame alone."""
    if not follow:
        items = colorizer.iter_colorized(iter(frames), is_lineart=False, batch_size=batch_size)
    else:
        frames = attach_keys(iter(frames), keys or Keyframes({}))
        items = follow_references(frames, colorizer, False, batch_size, self_reference)
    return [tuple(int(round(c)) for c in item.colour.reshape(-1, 3).mean(0)) for item in items]


def close(a, b, tol=3) -> bool:
    return max(abs(x - y) for x, y in zip(a, b)) <= tol


def test_frame_numbers_come_from_the_last_digits_of_the_name(tmp_path):
    from pathlib import Path

    assert frame_number(Path("shot2_000120.png")) == 120
    assert frame_number(Path("7.jpg")) == 7
    with pytest.raises(InputError, match="no frame number"):
        frame_number(Path("hero.png"))


def test_keyframe_options_catch_mistakes(tmp_path):
    keys = keyframe_dir(tmp_path / "keys", {0: RED, 5: BLUE})
    assert sorted(Keyframes.from_options(references_dir=keys).by_frame) == [0, 5]
    with pytest.raises(InputError, match="frame 0 has two keyframes"):
        Keyframes.from_options(reference=keys / "key_0000.png", references_dir=keys)
    write_image(keys / "again_5.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(InputError, match="two keyframes for frame 5"):
        Keyframes.from_options(references_dir=keys)
    with pytest.raises(InputError, match="not found"):
        Keyframes.from_options(reference=tmp_path / "missing.png")
    with pytest.raises(InputError, match="not a folder"):
        Keyframes.from_options(references_dir=tmp_path / "nope")
    with pytest.raises(InputError, match="frame 5, but clip.mp4 has 5 frames"):
        Keyframes({5: keys / "key_0005.png"}).check_within(5, "clip.mp4")


def test_keyframes_of_another_size_or_with_alpha_are_fitted_to_the_frame(tmp_path):
    rgba = np.zeros((96, 128, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255
    write_image(tmp_path / "0.png", rgba)
    image = Keyframes({0: tmp_path / "0.png"}).load(0, 48, 64)
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8 and image[..., 0].mean() == 200


def test_plan_splits_batches_at_cuts_and_keyframes_and_runs_a_shots_first_frame_alone(tmp_path):
    keys = Keyframes.from_options(references_dir=keyframe_dir(tmp_path, {2: RED}))
    guide = ReferenceGuide(self_reference=True)
    frames = list(attach_keys(toon_frames(12, cut_every=6), keys))
    first = guide.plan(frames[:4])
    assert [(s.start, s.end, s.keyframe is not None, s.new_shot, s.self_reference) for s in first] == [
        (0, 1, False, True, True), (1, 2, False, False, False), (2, 4, True, False, False)]
    second = guide.plan(frames[4:8])  # the cut is at frame 6 = position 2 of this batch
    assert [(s.start, s.end, s.new_shot, s.self_reference) for s in second] == [
        (0, 2, False, False), (2, 3, True, True), (3, 4, False, False)]
    assert guide.cuts == 2 and guide.used == 1
    assert ReferenceGuide(self_reference=False).plan(toon_frames(3)) == [Segment(0, 3, new_shot=True)]


def test_a_keyframe_colours_its_shot_and_no_colour_crosses_the_cut(tmp_path):
    keys = Keyframes.from_options(reference=keyframe_dir(tmp_path, {0: RED}) / "key_0000.png")
    colours = mean_colours(stub_colorizer(), toon_frames(12, cut_every=6), keys)
    assert all(close(c, RED) for c in colours[:6]), colours
    assert all(close(c, (128, 128, 128)) for c in colours[6:]), colours  # the new shot starts gray


def test_keyframes_take_over_mid_shot_and_after_cuts_whatever_the_batch_size(tmp_path):
    keys = Keyframes.from_options(references_dir=keyframe_dir(tmp_path, {0: RED, 3: BLUE, 8: GREEN}))
    frames = toon_frames(12, cut_every=6)
    expected = [RED] * 3 + [BLUE] * 3 + [(128, 128, 128)] * 2 + [GREEN] * 4
    for batch_size in (1, 4, 5):
        colours = mean_colours(stub_colorizer(), frames, keys, batch_size)
        assert all(close(c, e) for c, e in zip(colours, expected)), (batch_size, colours)


def test_a_shot_without_keyframe_follows_its_own_first_output(tmp_path):
    class Drifting(MeanOfReference):
        """Without a reference, a colour that changes with every call: per-frame flicker."""

        calls = 0

        def forward(self, lineart, ref_color=None, ref_lineart=None):
            if ref_color is not None:
                return super().forward(lineart, ref_color, ref_lineart)
            Drifting.calls += 1
            return lineart.new_full((lineart.shape[0], 3, *lineart.shape[-2:]), -0.9 + 0.15 * (Drifting.calls % 12))

    colorizer = Colorizer(Drifting(), "cpu", stride=1, lineart_config=LineArtConfig(backend="opencv"))
    colours = mean_colours(colorizer, toon_frames(12, cut_every=6))
    assert len(set(colours[:6])) == 1 and len(set(colours[6:])) == 1 and colours[0] != colours[6]
    per_frame = mean_colours(colorizer, toon_frames(12, cut_every=6), batch_size=1, follow=False)
    assert len(set(per_frame)) == 12


def test_a_plain_model_refuses_a_guide():
    from colorize.nets.unet import UNetGenerator

    colorizer = Colorizer(UNetGenerator(depth=2, base_channels=4, max_channels=8), "cpu", stride=4,
                          lineart_config=LineArtConfig(backend="opencv"))
    assert not colorizer.takes_reference
    with pytest.raises(InputError, match="takes no colour reference"):
        list(follow_references(iter(toon_frames(2)), colorizer, False, 4))
    with pytest.raises(InputError, match="takes no colour reference"):
        colorizer.colorize_batch(torch.zeros(1, 1, 8, 8), torch.zeros(1, 4, 8, 8))


def test_the_guide_reads_the_cuts_marked_on_the_frames_and_refuses_unmarked_ones():
    frames = toon_frames(8, cut_every=0)
    assert [f.cut for f in frames] == [True] + [False] * 7
    marked = [dataclasses.replace(f, cut=f.index in (0, 5)) for f in frames]  # a cut the pixels do not show
    assert [s.start for s in ReferenceGuide(self_reference=True).plan(marked) if s.new_shot] == [0, 5]
    with pytest.raises(ValueError, match="mark_cuts"):
        ReferenceGuide().plan([dataclasses.replace(f, cut=None) for f in frames])


def test_attach_keys_tells_each_frame_whether_a_key_comes_later(tmp_path):
    keys = Keyframes.from_options(references_dir=keyframe_dir(tmp_path, {2: RED, 7: RED}))
    frames = list(attach_keys(toon_frames(10), keys))
    assert [f.keys_ahead for f in frames] == [True] * 7 + [False] * 3
    assert [f.index for f in frames if f.key is not None] == [2, 7]
    assert not any(f.keys_ahead for f in attach_keys(toon_frames(3), Keyframes({})))
