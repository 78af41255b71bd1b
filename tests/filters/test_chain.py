"""A chain's colour kept sharp: the start sampled once at composed positions, not warped every step."""

from __future__ import annotations

import cv2
import numpy as np

from colorize.data.toon import ToonClip, ToonConfig
from colorize.filters.chain import ChainState
from colorize.filters.flow import blend, sample_maps
from colorize.filters.temporal import TemporalConfig, TemporalPropagator, blend_detail
from colorize.lineart.recipes import LineArtConfig, lineart_numpy

H, W = 64, 96


def _picture(width: int = W, height: int = H) -> np.ndarray:
    return ToonClip(ToonConfig(width=width, height=height, n_frames=1, seed=3, n_shapes=4)).frame(0)


def _shifted(image: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """`image` moved by (dx, dy) px, sub-pixel exact for an even (dx, dy) * 2: made at twice the size
    and scaled down, as a drawing that really moved would be sampled."""
    big = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)
    moved = cv2.warpAffine(big, np.float32([[1, 0, 2 * dx], [0, 1, 2 * dy]]), big.shape[1::-1],
                           flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
    return cv2.resize(moved, image.shape[1::-1], interpolation=cv2.INTER_AREA)


def _half_pixel_maps() -> tuple[np.ndarray, np.ndarray]:
    """Sampling maps of a move half a pixel right and down: each pixel comes from (x - 0.5, y - 0.5)."""
    return sample_maps(np.full((H, W, 2), -0.5, np.float32))


def _sharpness(image: np.ndarray) -> float:
    return float(np.abs(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.CV_32F)).mean())


def test_a_started_chain_moved_nowhere_is_its_image():
    image = _picture()
    still = sample_maps(np.zeros((H, W, 2), np.float32))
    assert np.array_equal(ChainState.start(image).moved(still).colour(), image)


def test_the_first_step_is_the_plain_fusion():
    """One step from a fresh start gives what temporal.blend and blend_detail give (to rounding)."""
    rng = np.random.default_rng(0)
    image, output = _picture(), rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    mask = rng.random((H, W), dtype=np.float32)
    maps = _half_pixel_maps()
    warped = cv2.remap(image, *maps, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    moved = ChainState.start(image).moved(maps)
    plain, _ = moved.blended(output, mask, 0.9, 0.0)
    detail, _ = moved.blended(output, mask, 0.97, 4.0)
    assert np.abs(plain.astype(int) - blend(output, warped, mask, 0.9)).max() <= 1
    assert np.abs(detail.astype(int) - blend_detail(output, warped, mask, 0.97, 4.0)).max() <= 1


def test_sixteen_half_pixel_steps_keep_the_drawing_sharp():
    """Carried 16 times by half a pixel, the picture lands 8 px on and keeps its edges; warping the
    result again every step (a chain restarted from its own result) blurs them. The generator is
    soft but right (the true frame blurred), as a generator's output at working size is."""
    image, maps = _picture(), _half_pixel_maps()
    ones = np.ones((H, W), np.float32)
    chained, restarted = ChainState.start(image), ChainState.start(image)
    for k in range(1, 17):
        soft = cv2.GaussianBlur(_shifted(image, k / 2, k / 2), (0, 0), 3)
        result, chained = chained.moved(maps).blended(soft, ones, 0.97, 4.0)
        blurred, _ = restarted.moved(maps).blended(soft, ones, 0.97, 4.0)
        restarted = ChainState.start(blurred)
    truth = _shifted(image, 8, 8)
    inner = (slice(10, H - 2), slice(10, W - 2))  # what came in from outside the frame is not scored
    error = np.abs(result[inner].astype(np.float32) - truth[inner]).mean()
    error_restarted = np.abs(blurred[inner].astype(np.float32) - truth[inner]).mean()
    assert error < 0.5 * error_restarted
    assert _sharpness(result[inner]) > 0.8 * _sharpness(truth[inner]) > 1.5 * _sharpness(blurred[inner])


def test_a_keyed_drawing_moving_by_fractions_of_a_pixel_stays_sharp():
    """The propagator end to end (flows measured on the line-art): a picture moving 0.5 px right and
    0.25 px down a frame, keyed at the first frame, with a generator that knows nothing (gray)."""
    picture = _picture(2 * W, 2 * H)
    propagator = TemporalPropagator(TemporalConfig(carry=0.97, detail=4.0))
    gray = np.full((2 * H, 2 * W, 3), 128, np.uint8)
    for k in range(17):
        frame = _shifted(picture, 0.5 * k, 0.25 * k)
        result = propagator(lineart_numpy(frame, LineArtConfig()), gray, keyframe=frame if k == 0 else None)
    # the carried picture keeps most of the true frame's edges (0.68 of them when this was written;
    # the chain warped again every step kept 0.20)
    assert _sharpness(result) > 0.5 * _sharpness(frame)


def test_drift_is_small_where_the_chain_followed_the_lines_and_large_where_it_did_not():
    """A picture moved 4 px right: the chain carried along that move keeps its key's lines on the
    frame's lines; a chain that stayed put (flow 0) has them 4 px off."""
    picture = _picture()
    lines = lineart_numpy(picture, LineArtConfig())
    moved_lines = lineart_numpy(_shifted(picture, 4, 0), LineArtConfig())
    along = sample_maps(np.dstack([np.full((H, W), -4.0, np.float32), np.zeros((H, W), np.float32)]))
    stayed = sample_maps(np.zeros((H, W, 2), np.float32))
    start = ChainState.start(picture, lines)
    _, followed = start.moved(along).blended(picture, np.ones((H, W), np.float32), 0.97, 4.0)
    _, lost = start.moved(stayed).blended(picture, np.ones((H, W), np.float32), 0.97, 4.0)
    inner = (slice(4, H - 4), slice(8, W - 4))
    near_lines = cv2.dilate((moved_lines < 128).astype(np.uint8), np.ones((5, 5), np.uint8))[inner] > 0
    drift_followed, drift_lost = followed.drift(moved_lines)[inner], lost.drift(moved_lines)[inner]
    assert drift_followed[near_lines].mean() < 0.3 * drift_lost[near_lines].mean()
    assert ChainState.start(picture).drift(moved_lines) is None  # no key lines: no drift known


def test_reanchored_pixels_take_the_anchor_whole_at_the_new_positions_and_the_rest_is_kept():
    image = _picture()
    grid = ChainState.start(image).coords
    state = ChainState(image, grid, np.full((H, W), 0.5, np.float32), np.full((H, W, 3), 10.0, np.float32))
    where = np.zeros((H, W), bool)
    where[:, :W // 2] = True
    moved = grid + np.float32([3.0, 0.0])  # positions three pixels to the right in the anchor
    result, new = state.reanchored(moved, where)
    left, right = slice(0, W // 2), slice(W // 2, W)
    expected = cv2.remap(image, moved, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    assert np.array_equal(result[:, left], expected[:, left])
    assert np.array_equal(result[:, right], np.clip(np.rint(image[:, right] * 0.5 + 10), 0, 255).astype(np.uint8))
    assert np.array_equal(new.coords[:, left], moved[:, left]) and np.array_equal(new.coords[:, right], grid[:, right])
    assert (new.gain[:, left] == 1).all() and (new.gain[:, right] == 0.5).all()
    assert (new.rest[:, left] == 0).all() and (new.rest[:, right] == 10).all()
    assert new.anchor is image and state.gain[0, 0] == 0.5  # the old state is not touched
