"""Keys on both sides (colorize/filters/keyed.py): in-betweens take colours from the key before and after."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

from colorize.data.toon import ToonClip, ToonConfig
from colorize.engine.model import ColorizedFrame
from colorize.filters.chain import ChainState
from colorize.filters.keyed import DIRECT_REACH, blend_chains, carry_both_ways, reanchor
from colorize.filters.temporal import Carried, TemporalConfig, carry_colours, prepare_guide
from colorize.lineart.recipes import LineArtConfig, lineart_numpy
from colorize.media.flow import make_flow_engine
from colorize.media.frames import Frame

H, W = 96, 128
STEP = 4      # pan: px per frame
N = 13        # frames of the pan: the last one sees 48 px the first never did
RED, BLUE, GRAY = (220, 30, 30), (30, 30, 220), (128, 128, 128)


def _wide_scene(seed: int = 5) -> np.ndarray:
    clip = ToonClip(ToonConfig(width=W + STEP * N, height=H, n_frames=1, seed=seed, n_shapes=10))
    return clip.frame(0)


def _pan(scene: np.ndarray, n: int = N) -> list[np.ndarray]:
    return [np.ascontiguousarray(scene[:, STEP * k:STEP * k + W]) for k in range(n)]


def _flat(colour, h: int = H, w: int = W) -> np.ndarray:
    return np.full((h, w, 3), colour, np.uint8)


def _items(frames, outputs, keys: dict[int, np.ndarray], cuts=(0,), hint: bool = False) -> list[ColorizedFrame]:
    """ColorizedFrames of `frames`; `hint`: each frame says whether a key comes later (keys_ahead),
    as attach_keys does, else nothing is said (None)."""
    last = max(keys, default=-1)
    return [ColorizedFrame(Frame(i, i / 12, f, cut=i in cuts, key=keys.get(i), keys_ahead=i < last if hint else None),
                           lineart_numpy(f, LineArtConfig()), o)
            for i, (f, o) in enumerate(zip(frames, outputs))]


def _tint(image: np.ndarray) -> np.ndarray:
    """Mean colour of a region, H x W x 3 -> (R, G, B) floats."""
    return image.reshape(-1, 3).astype(np.float32).mean(0)


def test_a_frame_between_two_keys_takes_each_keys_colour_where_each_key_saw():
    """A pan: the left edge of the middle frame was seen only by the first key (red), its right edge
    only by the last key (blue); the generator knows nothing (gray). Forwards only, the right edge
    stays the generator's; both ways, it is the later key's."""
    frames = _pan(_wide_scene())
    items = _items(frames, [_flat(GRAY)] * N, {0: _flat(RED), N - 1: _flat(BLUE)})
    both = [item.colour for item in carry_both_ways(iter(items))]
    forward = [item.colour for item in carry_colours(iter(items))]
    mid = N // 2
    seen_by_first = slice(0, STEP * (N - 1 - mid))        # frame columns the last key never saw
    seen_by_last = slice(W - STEP * mid, W)               # frame columns the first key never saw
    left, right = _tint(both[mid][:, seen_by_first]), _tint(both[mid][:, seen_by_last])
    assert left[0] - left[2] > 40, left       # red from the first key
    assert right[2] - right[0] > 40, right    # blue from the last key
    fwd_right = _tint(forward[mid][:, seen_by_last])
    assert abs(fwd_right[2] - fwd_right[0]) < 10, fwd_right  # forwards, nothing reached it
    assert np.array_equal(both[0], _flat(RED)) and np.array_equal(both[-1], _flat(BLUE))
    # nearer the last key, more of its colour (distance weights)
    share = [_tint(both[k][:, W // 2 - 8:W // 2 + 8]) for k in (3, N - 4)]
    assert share[1][2] - share[1][0] > share[0][2] - share[0][0]


def test_an_object_seen_only_in_the_later_key_is_coloured_from_it():
    """No key at the shot's start, one at its end: the content entering during the pan (and shown
    only by that key) takes the key's colour in the frames before it, not the generator's."""
    frames = _pan(_wide_scene(seed=9))
    items = _items(frames, [_flat(GRAY)] * N, {N - 1: _flat(BLUE)})
    both = [item.colour for item in carry_both_ways(iter(items))]
    entered = slice(W - STEP * 4, W)  # in frame N - 5, the columns that entered since frame 0
    tint = _tint(both[N - 5][:, entered])
    assert tint[2] - tint[0] > 60, tint
    forward = [item.colour for item in carry_colours(iter(items))]
    assert np.array_equal(forward[N - 5], _flat(GRAY))


@pytest.mark.parametrize("keys", [{0: RED}, {}, {0: RED, 7: BLUE}])
def test_without_a_later_key_in_the_shot_the_output_is_the_temporal_modes(keys):
    """One key per shot (the second shot's key starts it), or none: exactly carry_colours, bit for bit."""
    first, second = _pan(_wide_scene(seed=3), 7), _pan(_wide_scene(seed=8), 6)
    rng = np.random.default_rng(0)
    outputs = [rng.integers(0, 255, (H, W, 3), dtype=np.uint8) for _ in range(13)]
    items = _items(first + second, outputs, {k: _flat(c) for k, c in keys.items()}, cuts=(0, 7))
    both = list(carry_both_ways(iter(items)))
    forward = list(carry_colours(iter(items)))
    assert [b.source.index for b in both] == list(range(13))
    for b, f in zip(both, forward):
        assert np.array_equal(b.colour, f.colour) and np.array_equal(b.lineart, f.lineart)
        assert np.array_equal(b.source.image, f.source.image) and b.source.cut == f.source.cut


def test_a_later_key_changes_only_the_frames_of_its_own_shot_since_the_last_key():
    frames = _pan(_wide_scene(), 6) + _pan(_wide_scene(seed=8), 7)
    outputs = [_flat(GRAY)] * 13
    keys = {0: _flat(RED), 9: _flat(BLUE)}
    both = [i.colour for i in carry_both_ways(iter(_items(frames, outputs, keys, cuts=(0, 6))))]
    forward = [i.colour for i in carry_colours(iter(_items(frames, outputs, keys, cuts=(0, 6))))]
    changed = [k for k in range(13) if not np.array_equal(both[k], forward[k])]
    assert changed and set(changed) <= {6, 7, 8}


def test_blend_weights_follow_confidence_and_distance():
    red, blue = _flat(RED, 2, 2), _flat(BLUE, 2, 2)
    ones, zeros = np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)
    near_first = blend_chains(red, ones, blue, ones, t=1, a=0, b=10)
    assert near_first[0, 0, 0] > 190
    assert np.array_equal(blend_chains(red, zeros, blue, ones, t=9, a=0, b=10), blue)  # only one reliable
    only_forward = blend_chains(red, ones, blue, None, t=9, a=0, b=10)  # (eps leaves a trace of distance)
    assert np.abs(only_forward.astype(int) - red).max() <= 3
    middle = blend_chains(red, None, blue, None, t=5, a=0, b=10)  # neither: a cross-fade by distance
    assert abs(int(middle[0, 0, 0]) - int(middle[0, 0, 2])) <= 1
    assert np.array_equal(blend_chains(red, None, blue, ones * 0.5, t=3, a=None, b=10),
                          _flat((125, 30, 125), 2, 2))  # before the first key: alpha = c_b


def test_a_drifted_chain_gives_way_to_the_one_whose_key_lines_still_fit():
    """Both chains confident at mid-way: without drift a cross-fade (a double image where they
    disagree); where the forward chain's key lines lie far off this frame's, the backward chain
    colours the pixel; the fill (what neither key reaches) does not depend on drift."""
    red, blue = _flat(RED, 2, 2), _flat(BLUE, 2, 2)
    ones = np.ones((2, 2), np.float32)
    middle = blend_chains(red, ones, blue, ones, t=5, a=0, b=10)
    assert abs(int(middle[0, 0, 0]) - int(middle[0, 0, 2])) <= 1
    fits, drifted = np.zeros((2, 2), np.float32), np.full((2, 2), 60.0, np.float32)
    backward_wins = blend_chains(red, ones, blue, ones, t=5, a=0, b=10, drift_f=drifted, drift_b=fits)
    assert np.abs(backward_wins.astype(int) - blue).max() <= 10
    forward_wins = blend_chains(red, ones, blue, ones, t=5, a=0, b=10, drift_f=fits, drift_b=drifted)
    assert np.abs(forward_wins.astype(int) - red).max() <= 10
    same = blend_chains(red, ones, blue, ones, t=5, a=0, b=10, drift_f=drifted, drift_b=drifted)
    assert np.array_equal(same, middle)  # equal drift: the weights keep their ratio
    assert np.array_equal(blend_chains(red, None, blue, ones * 0.5, t=3, a=None, b=10, drift_b=drifted),
                          blend_chains(red, None, blue, ones * 0.5, t=3, a=None, b=10))  # no earlier key


def test_between_keys_only_what_neither_key_reaches_is_low_passed():
    rng = np.random.default_rng(0)
    forward = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)  # fine texture: the generator's re-guess
    reached = np.zeros((24, 24), np.float32)
    reached[:, :12] = 1.0  # the forward chain reaches the left half only
    out = blend_chains(forward, reached, forward, reached, t=5, a=0, b=10)
    assert np.array_equal(out[:, :8], forward[:, :8])  # a key's carried detail kept whole
    assert out[:, 16:].astype(float).std() < forward[:, 16:].astype(float).std() / 3  # the fill smoothed
    before_first = blend_chains(forward, None, forward, reached, t=5, a=None, b=10)
    assert np.array_equal(before_first, forward)  # before a shot's first key: as before


def test_the_fill_does_not_spread_a_figure_over_the_paper_around_it():
    """Where neither key reaches, the blend is low-passed, but a dark figure's colour stays off the
    white paper beside it (a plain Gaussian made a grey haze there)."""
    image = np.full((64, 64, 3), 255, np.uint8)
    image[16:48, 16:40] = 80
    nowhere = np.zeros((64, 64), np.float32)
    out = blend_chains(image, nowhere, image, nowhere, t=5, a=0, b=10)
    assert out[20:44, 45:50].min() > 240   # paper 5-9 px right of the figure
    assert out[20:44, 20:34].max() < 100   # the figure itself keeps its colour


def _run_gap(gap: int) -> tuple[int, int]:
    """Colour a still shot of gap + 1 frames (32 x 48) with keys at both ends: (traced bytes held
    just before the later key, after a garbage collection; peak traced bytes of the whole run)."""
    scene = np.ascontiguousarray(_wide_scene()[:32, :48])
    line = lineart_numpy(scene, LineArtConfig())
    key, out = _flat(RED, 32, 48), _flat(GRAY, 32, 48)
    held = []

    def items():
        for i in range(gap + 1):
            if i == gap:
                gc.collect()  # np.savez leaves reference cycles, freed by the collector's next pass
                held.append(tracemalloc.get_traced_memory()[0])
            yield ColorizedFrame(Frame(i, i / 12, scene, cut=i == 0, key=key if i in (0, gap) else None), line, out)

    tracemalloc.start()
    try:
        count = sum(1 for _ in carry_both_ways(items(), TemporalConfig()))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == gap + 1
    return held[0], peak


@pytest.mark.slow
def test_memory_is_flat_between_two_far_keys():
    """The frames between the keys wait on disk: with 320 frames between them no more is held than
    with 40 (an RGB frame is 4.6 kB, so holding the 280 extra frames would add over 1.3 MB; runs
    differ by allocator noise: 105 / 106 / 101 kB held at 40 / 320 / 640 frames alone, up to 21 kB
    apart inside the full suite, hence a margin of 25 frames), and the peak (which includes
    reference cycles np.savez leaves for the collector) stays far below holding the frames."""
    (held_short, peak_short), (held_long, peak_long) = _run_gap(40), _run_gap(320)
    assert held_long < held_short + 25 * 4_600, (held_short, held_long)
    assert peak_long < peak_short + 280 * 4_600 // 4, (peak_short, peak_long)


def _lost_chain(shift: float):
    """A key (the scene's left part), the frame 2 * STEP px further along the pan, and a chain from
    the key to that frame whose positions in the key are `shift` px right of where nothing moved."""
    scene = _wide_scene()
    key_image, frame = np.ascontiguousarray(scene[:, :W]), np.ascontiguousarray(scene[:, 2 * STEP:2 * STEP + W])
    cfg = TemporalConfig()
    key = Carried(key_image, prepare_guide(lineart_numpy(key_image, LineArtConfig()), cfg))
    start = ChainState.start(key_image)
    state = ChainState(key_image, start.coords + np.float32([shift, 0]), start.gain, start.rest)
    colour = state.reanchored(state.coords, np.zeros((H, W), bool))[0]  # the chain's colour, nothing moved
    lost = Carried(colour, prepare_guide(lineart_numpy(frame, LineArtConfig()), cfg), state=state)
    return cfg, key, lost, frame


def test_a_chain_that_lost_the_motion_is_re_anchored_where_the_frame_matches_its_key_straight():
    """The chain believes nothing moved; one flow straight from the frame to the key finds the pan,
    and where it passes its checks the chain samples the key there: the frame's true colours."""
    cfg, key, lost, truth = _lost_chain(0.0)
    fixed, matched = reanchor(cfg, lost, key, make_flow_engine())
    where = matched.astype(bool)
    error = lambda image: np.abs(image.astype(int) - truth.astype(int)).sum(2)  # noqa: E731
    assert where.mean() > 0.5
    assert error(fixed.result)[where].mean() < 2 < 60 < error(lost.result)[where].mean()
    assert np.array_equal(fixed.result[~where], lost.result[~where])
    assert np.allclose(fixed.state.coords[where][:, 0] - lost.state.coords[where][:, 0], 2 * STEP, atol=1)


def test_a_straight_match_farther_than_the_reach_or_a_chain_from_another_image_is_not_followed():
    cfg, key, lost, _ = _lost_chain(2 * STEP + DIRECT_REACH + 8)  # the chain's positions 24 px off the match's
    same, matched = reanchor(cfg, lost, key, make_flow_engine())
    assert same is lost and not matched.any()
    other = Carried(key.result.copy(), key.guide)  # a key image that is not the chain's anchor
    assert reanchor(cfg, lost, other, make_flow_engine()) == (lost, None)


@pytest.mark.parametrize("keys", [{0: RED}, {0: RED, 8: BLUE}, {4: BLUE}])
def test_frames_after_the_last_key_come_out_at_once_and_as_without_the_hint(keys):
    """With keys_ahead said (attach_keys), a frame no later key will blend is yielded as soon as it
    is coloured, not held until the shot ends; the pixels are those made without the hint."""
    frames = _pan(_wide_scene(seed=4), 12)
    rng = np.random.default_rng(1)
    outputs = [rng.integers(0, 255, (H, W, 3), dtype=np.uint8) for _ in range(12)]
    keyed = {k: _flat(c) for k, c in keys.items()}
    plain = [item.colour for item in carry_both_ways(iter(_items(frames, outputs, keyed)))]
    pulled = []

    def hinted():
        for item in _items(frames, outputs, keyed, hint=True):
            pulled.append(item.source.index)
            yield item

    for n, item in enumerate(carry_both_ways(hinted())):
        assert np.array_equal(item.colour, plain[n]) and item.source.index == n
        if n > max(keys):
            assert len(pulled) == n + 1  # out before the next frame was asked for


@pytest.mark.parametrize("keys", [(0, N - 1), (N - 1,)])
def test_re_anchored_chains_stay_nearer_the_keys_colours_than_chains_left_to_drift(keys, monkeypatch):
    """A pan keyed with its own true frames (at both ends, or only at its end) and a generator that
    knows nothing: every frame the keys colour comes out nearer the truth with the chains re-anchored
    on their keys than with re-anchoring off (a reach no match is within)."""
    frames = _pan(_wide_scene(seed=6))
    items = _items(frames, [_flat(GRAY)] * N, {k: frames[k].copy() for k in keys})

    scored = [i for i in range(N) if i not in keys]

    def errors() -> np.ndarray:
        out = [item.colour for item in carry_both_ways(iter(items))]
        return np.array([np.abs(out[i].astype(int) - frames[i].astype(int)).mean() for i in scored])

    with_anchor = errors()
    monkeypatch.setattr("colorize.filters.keyed.DIRECT_REACH", -1.0)
    drifting = errors()
    assert (with_anchor < drifting).all(), (with_anchor, drifting)
    assert with_anchor.mean() < 0.9 * drifting.mean()


@pytest.mark.parametrize("hint", [False, True])
def test_key_reach_is_full_on_a_key_and_falls_where_content_entered_after_it(hint):
    """A pan keyed at its first frame: ColorizedFrame.key_reach is 1 on the key, stays high over
    what the key showed, and falls over the columns that entered since; keyed at both ends, the
    later key reaches those columns. Without keys it is None. The hint (keys_ahead) changes nothing."""
    frames = _pan(_wide_scene(seed=4), 12)
    outputs = [_flat(GRAY)] * 12
    first = list(carry_both_ways(iter(_items(frames, outputs, {0: _flat(RED)}, hint=hint))))
    assert np.array_equal(first[0].key_reach, np.ones((H, W), np.float32))
    late = first[10].key_reach
    entered, shown = slice(W - STEP * 10 + 8, W), slice(8, W - STEP * 10 - 8)
    assert late.shape == (H, W) and late.dtype == np.float32
    assert late[:, shown].mean() > 0.6 > 0.2 > late[:, entered].mean(), (late[:, shown].mean(), late[:, entered].mean())
    both = list(carry_both_ways(iter(_items(frames, outputs, {0: _flat(RED), 11: _flat(BLUE)}, hint=hint))))
    assert both[10].key_reach[:, entered].mean() > 0.6
    assert all(item.key_reach is None for item in carry_both_ways(iter(_items(frames, outputs, {}, hint=hint))))
