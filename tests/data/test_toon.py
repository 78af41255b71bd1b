"""colorize.data.toon: deterministic procedural clips with exact outline and label ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from colorize.data.toon import ToonClip, ToonConfig, write_toon_frames, write_toon_video
from colorize.errors import ConfigError
from colorize.images import read_rgb


def _clip(**kw) -> ToonClip:
    return ToonClip(ToonConfig(**{"width": 64, "height": 48, "n_frames": 12, **kw}))


def _colour_histogram(rgb: np.ndarray, bins: int = 4) -> np.ndarray:
    """Normalised joint RGB histogram with bins**3 cells."""
    q = (rgb // (256 // bins)).reshape(-1, 3).astype(np.int64)
    cells = np.bincount(q[:, 0] * bins * bins + q[:, 1] * bins + q[:, 2], minlength=bins**3)
    return cells / cells.sum()


def test_frames_have_the_configured_shape_and_type():
    clip = _clip(width=40, height=24, n_frames=3)
    frames = list(clip)
    assert len(clip) == 3 and len(frames) == 3
    for f in frames:
        assert f.shape == (24, 40, 3) and f.dtype == np.uint8
    assert clip.outline_mask(0).shape == (24, 40) and clip.outline_mask(0).dtype == bool
    assert clip.labels(0).shape == (24, 40) and clip.labels(0).dtype == np.int32


def test_same_config_gives_identical_frames_and_random_access_matches_sequential():
    sequential = list(_clip(seed=7, cut_every=5))
    other = _clip(seed=7, cut_every=5)
    for i in (11, 3, 0, 7, 5, 4):  # jumps across scenes in both directions
        np.testing.assert_array_equal(other.frame(i), sequential[i])
    assert not np.array_equal(_clip(seed=8).frame(0), sequential[0])


def test_out_of_range_frame_is_an_index_error():
    with pytest.raises(IndexError):
        _clip(n_frames=4).frame(4)


def test_outline_pixels_are_dark_ink_and_cover_a_real_share_of_the_frame():
    clip = _clip(outline_px=2)
    for i in (0, 6):
        frame, mask = clip.frame(i), clip.outline_mask(i)
        assert 0.02 < mask.mean() < 0.4
        assert frame[mask].max() <= 40  # every outline pixel is ink
        # Away from outlines the image is fills and background, which are never that dark.
        assert frame[~mask].max(axis=1).min() > 60


def _neighbourhood(a: np.ndarray, radius: int, pad) -> np.ndarray:
    """(2r+1)^2 x H x W: every shift of `a` within `radius`, padded with `pad` beyond the frame."""
    padded = np.pad(a, radius, constant_values=pad)
    h, w = a.shape
    size = 2 * radius + 1
    return np.stack([padded[dy:dy + h, dx:dx + w] for dy in range(size) for dx in range(size)])


def _near_label_change(labels: np.ndarray, radius: int) -> np.ndarray:
    """True where a different label (or the frame edge) lies within `radius` pixels."""
    return (_neighbourhood(labels, radius, -1) != labels[None]).any(axis=0)


@pytest.mark.parametrize("seed", [0, 1])
def test_one_pixel_outlines_lie_on_label_boundaries(seed):
    clip = _clip(outline_px=1, n_shapes=6, seed=seed)
    for i in (0, 5, 11):
        labels, mask = clip.labels(i), clip.outline_mask(i)
        assert mask.any()
        # Star and polygon concave corners fill a wedge with ink, hence radius 2 for the last few.
        assert _near_label_change(labels, 2)[mask].all()
        assert _near_label_change(labels, 1)[mask].mean() > 0.97


@pytest.mark.parametrize("outline_px", [1, 2])
def test_every_label_boundary_is_inked(outline_px):
    clip = _clip(outline_px=outline_px, n_shapes=6)
    for i in (0, 5, 11):
        labels, mask = clip.labels(i), clip.outline_mask(i)
        inside = np.zeros_like(mask)
        inside[1:-1, 1:-1] = True  # label changes against the frame edge are not drawn lines
        changes = (_neighbourhood(labels, 1, 0) != labels[None]).any(axis=0) & inside
        inked_nearby = _neighbourhood(mask, 1, False).any(axis=0)
        assert changes.any() and inked_nearby[changes].all()


def test_labels_map_each_shape_to_one_fill_colour_over_time():
    clip = _clip(outline_px=1, n_frames=8)
    colours: dict[int, set] = {}
    for i in range(len(clip)):
        frame, labels, mask = clip.frame(i), clip.labels(i), clip.outline_mask(i)
        for shape_id in np.unique(labels[~mask]):
            if shape_id == 0:
                continue
            pixels = frame[(labels == shape_id) & ~mask]
            colours.setdefault(int(shape_id), set()).update(map(tuple, np.unique(pixels, axis=0)))
    assert colours
    assert all(len(c) == 1 for c in colours.values()), colours


def test_shapes_move_between_frames():
    clip = _clip()
    moved = (clip.labels(0) != clip.labels(3)).mean()
    assert moved > 0.02
    assert not np.array_equal(clip.frame(0), clip.frame(1))


def test_cut_every_makes_a_hard_cut_and_nowhere_else():
    clip = _clip(n_frames=16, cut_every=8)
    hist = [_colour_histogram(f) for f in clip]
    change = [0.5 * np.abs(hist[i + 1] - hist[i]).sum() for i in range(len(hist) - 1)]
    at_cut = change[7]  # frame 7 -> frame 8
    elsewhere = max(change[:7] + change[8:])
    assert at_cut > 0.5, change
    assert elsewhere < 0.2, change
    assert clip.scene_index(7) == 0 and clip.scene_index(8) == 1


def test_antialias_softens_edges_but_keeps_exact_geometry():
    hard, soft = _clip(), _clip(antialias=True)
    np.testing.assert_array_equal(hard.outline_mask(2), soft.outline_mask(2))
    np.testing.assert_array_equal(hard.labels(2), soft.labels(2))
    colours = lambda f: len(np.unique(f.reshape(-1, 3), axis=0))  # noqa: E731
    assert colours(soft.frame(2)) > colours(hard.frame(2))


def test_same_seed_draws_the_same_animation_at_another_size():
    small, large = _clip(width=64, height=48), _clip(width=128, height=96)
    coarse = large.labels(4)[::2, ::2]
    assert (coarse == small.labels(4)).mean() > 0.9


@pytest.mark.parametrize("bad", [{"width": 4}, {"n_frames": 0}, {"fps": 0.0}, {"n_shapes": 300},
                                 {"outline_px": -1}, {"cut_every": -2}])
def test_invalid_configs_are_config_errors(bad):
    from colorize.config import from_dict

    with pytest.raises(ConfigError):
        from_dict(ToonConfig, bad)


def test_write_toon_frames_round_trips(tmp_path):
    cfg = ToonConfig(width=32, height=32, n_frames=3)
    paths = write_toon_frames(tmp_path / "frames", cfg)
    assert [p.name for p in paths] == ["frame_000000.png", "frame_000001.png", "frame_000002.png"]
    np.testing.assert_array_equal(read_rgb(paths[2]), ToonClip(cfg).frame(2))


def test_write_toon_video_writes_a_playable_mp4(tmp_path):
    pytest.importorskip("colorize.media.encode")
    import cv2

    cfg = ToonConfig(width=64, height=48, n_frames=6, tone_hz=440.0)
    out = write_toon_video(tmp_path / "toon.mp4", cfg)
    cap = cv2.VideoCapture(str(out))
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    assert out == tmp_path / "toon.mp4" and count == 6
