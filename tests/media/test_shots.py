"""Shot-cut detection on toon clips with hard cuts at known frames, in colour and as line-art."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from colorize.data.toon import ToonClip, ToonConfig
from colorize.errors import InputError
from colorize.lineart.recipes import LineArtConfig, lineart_numpy
from colorize.media.frames import Frame
from colorize.media.shots import ShotConfig, ShotDetector, edge_change, iter_shots

CUT_EVERY = 12


def _clip(n_frames: int = 48, fps: float = 12.0, seed: int = 0, cut_every: int = CUT_EVERY,
          width: int = 128, height: int = 96) -> ToonClip:
    return ToonClip(ToonConfig(width=width, height=height, n_frames=n_frames, fps=fps, seed=seed,
                               cut_every=cut_every))


def _as(kind: str, rgb: np.ndarray) -> np.ndarray:
    return rgb if kind == "colour" else lineart_numpy(rgb, LineArtConfig())


def _starts(images, cfg: ShotConfig | None = None) -> list[int]:
    """Indices of the frames the detector says start a shot."""
    detector = ShotDetector(cfg)
    return [i for i, image in enumerate(images) if detector.update(image)]


@pytest.mark.parametrize("kind", ["colour", "lineart"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cuts_are_found_exactly_at_the_scene_changes(kind, seed):
    clip = _clip(seed=seed)
    assert _starts(_as(kind, rgb) for rgb in clip) == [0, 12, 24, 36]


@pytest.mark.parametrize("kind", ["colour", "lineart"])
def test_fast_motion_inside_a_shot_is_not_a_cut(kind):
    # At 4 fps the shapes move up to ~9% of the frame and turn up to ~20 degrees per frame.
    clip = _clip(n_frames=24, fps=4.0, seed=3, cut_every=0)
    assert _starts(_as(kind, rgb) for rgb in clip) == [0]


@pytest.mark.parametrize("kind", ["colour", "lineart"])
def test_a_fast_camera_pan_is_not_a_cut(kind):
    # A 96 x 72 window sliding 6 px (6% of its width) per frame over one wide toon frame.
    wide = ToonClip(ToonConfig(width=256, height=72, n_frames=1, seed=4)).frame(0)
    frames = (_as(kind, wide[:, 6 * i:6 * i + 96].copy()) for i in range(24))
    assert _starts(frames) == [0]


def test_a_still_shot_has_no_cut_and_scores_zero():
    frame = _clip(n_frames=1).frame(0)
    detector = ShotDetector()
    assert [detector.update(frame) for _ in range(5)] == [True, False, False, False, False]
    # DIS flow between identical frames is zero up to float noise (0.0005 was seen once in a full,
    # loaded run): far below any cut threshold either way.
    assert detector.last_score == pytest.approx(0.0, abs=1e-2)
    assert detector.last_score < ShotConfig().threshold / 10


def test_cut_scores_are_well_separated_from_motion_scores():
    detector = ShotDetector()
    cut_scores, motion_scores = [], []
    for i, rgb in enumerate(_clip(n_frames=36, seed=5)):
        detector.update(lineart_numpy(rgb, LineArtConfig()))
        if i:
            (cut_scores if i % CUT_EVERY == 0 else motion_scores).append(detector.last_score)
    assert min(cut_scores) > ShotConfig().threshold > max(motion_scores)
    assert min(cut_scores) - max(motion_scores) > 0.2


def test_min_shot_ignores_cuts_too_close_to_the_previous_one():
    clip = _clip(n_frames=18, cut_every=3)
    assert _starts(clip, ShotConfig(min_shot=1)) == [0, 3, 6, 9, 12, 15]
    assert _starts(clip, ShotConfig(min_shot=6)) == [0, 6, 12]


def test_iter_shots_numbers_shots_and_streams():
    pulled = []

    def frames():
        for i, rgb in enumerate(_clip(n_frames=30)):
            pulled.append(i)
            yield Frame(index=i, time=i / 12.0, image=rgb)

    stream = iter_shots(frames(), ShotConfig())
    first_shot, first = next(stream)
    assert (first_shot, first.index, pulled) == (0, 0, [0])  # lazily: one frame in, one frame out
    rest = list(stream)
    assert [shot for shot, _ in rest] == [0] * 11 + [1] * 12 + [2] * 6
    assert [frame.index for _, frame in rest] == list(range(1, 30))


def test_a_change_of_frame_size_starts_a_shot():
    small, large = _clip(n_frames=1).frame(0), _clip(n_frames=1, width=96, height=96).frame(0)
    detector = ShotDetector()
    assert [detector.update(image) for image in (small, small, large, large)] == [True, False, True, False]
    assert detector.shot == 1


def test_a_size_change_that_keeps_the_thumbnail_still_starts_a_shot():
    # Square drawings of 341 and 369 px give thumbnails of one size; the frames still differ.
    art = np.full((341, 341), 255, np.uint8)
    bigger = cv2.resize(art, (369, 369))
    detector = ShotDetector()
    assert [detector.update(image) for image in (art, bigger, bigger)] == [True, True, False]


def test_gray_and_rgb_line_art_give_the_same_decisions():
    line_frames = [lineart_numpy(rgb, LineArtConfig()) for rgb in _clip(n_frames=26)]
    as_rgb = [np.repeat(line[..., None], 3, axis=2) for line in line_frames]
    assert _starts(line_frames) == _starts(as_rgb) == [0, 12, 24]


def test_edge_change_is_zero_for_the_same_edges_and_one_for_disjoint_ones():
    left = np.zeros((40, 40), bool)
    left[:, 5] = True
    right = np.zeros((40, 40), bool)
    right[:, 30] = True
    assert edge_change(left, left, left, left) == 0.0
    assert edge_change(right, left, right, left) == 1.0


@pytest.mark.parametrize("bad", [np.zeros((8, 8, 3), np.float32), np.zeros((8, 8, 4), np.uint8),
                                 np.zeros((0, 8), np.uint8), "frame.png"])
def test_unusable_frames_raise_input_error(bad):
    with pytest.raises(InputError, match="shot detection needs"):
        ShotDetector().update(bad)


@pytest.mark.parametrize("field", [{"threshold": 0.0}, {"threshold": float("nan")}, {"min_shot": 0},
                                   {"side": 4}, {"edge_tolerance": -1}])
def test_config_rejects_bad_values(field):
    with pytest.raises(ValueError, match=next(iter(field))):
        ShotConfig(**field)
