"""Temporal consistency of a colorized video: does it flicker more than the ground truth does?

Definition (the warping error of Lai et al. 2018, "Learning Blind Video Temporal Consistency",
made relative to the ground truth so that motion and codec noise cancel out):

    For each pair of consecutive frames t-1, t of the ground truth G (H x W x 3 RGB uint8):
      b_t = DIS optical flow from G_t to G_{t-1} (for each pixel x of frame t, where it was in t-1)
      f_t = DIS optical flow from G_{t-1} to G_t
      M_t(x) = 1 where x + b_t(x) lies inside the frame and the flows agree (Sundaram et al. 2010):
               |b_t(x) + f_t(x + b_t(x))|² < 0.01 (|b_t(x)|² + |f_t(x + b_t(x))|²) + 0.5
      E_t(V) = sum_x M_t(x) mean_c (V_t(x, c) - V_{t-1}(x + b_t(x), c))² / sum_x M_t(x)
               (values in [0, 1]; V_{t-1} is sampled bilinearly with cv2.remap)
    pred_warp_error = mean over t of E_t(P),   gt_warp_error = mean over t of E_t(G)
    TC = pred_warp_error / gt_warp_error

The same flow and mask (both from the ground truth, never from the prediction) are used for both
videos, so TC = 1 means "as stable as the real animation"; TC > 1 means added flicker. Pairs whose
mask is empty (a scene cut that hides everything) are skipped. A static ground truth (identical
frames) has a warp error of 0, where the ratio means nothing: TC is then nan, `note` says why, and
pred_warp_error alone tells how much the prediction flickers.

Streaming: `TemporalConsistency.update(pred, gt)` holds only the previous pair of frames.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from colorize.errors import InputError
from colorize.media.flow import (MIN_FLOW_SIDE, backward_warp, dis_flow, make_flow_engine, occlusion_mask,
                                 to_gray)

# A ground-truth warp error below this (RMS ~0.008 of a grey level, finer than uint8 can express) is
# zero: identical frames. A real translation of a smooth texture still measures ~1e-6, far above.
STATIC_GT_ERROR = 1e-9


def warp_error(prev: np.ndarray, cur: np.ndarray, flow: np.ndarray, mask: np.ndarray) -> float:
    """Mean squared difference (values scaled to [0, 1]) between `cur` and `prev` warped onto it.

    prev, cur: H x W x 3 uint8; flow: cur -> prev (H x W x 2); mask: H x W bool of pixels to count.
    Returns nan when the mask is empty.
    """
    if not mask.any():
        return math.nan
    warped = backward_warp(prev.astype(np.float32) / 255.0, flow)
    diff = (cur.astype(np.float32) / 255.0 - warped) ** 2
    return float(diff[mask].mean())


class TemporalConsistency:
    """Streaming TC accumulator: feed frame pairs in order with `update`, then read `result()`.

    Holds only the previous prediction and ground-truth frames (and one flow engine).
    """

    def __init__(self) -> None:
        self._engine = make_flow_engine()
        self._prev: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # pred, gt, gt gray
        self._pred_errors: list[float] = []
        self._gt_errors: list[float] = []
        self.frames = 0

    def update(self, pred: np.ndarray, gt: np.ndarray) -> None:
        """Add frame t of both videos (H x W x 3 uint8 RGB, same size)."""
        if pred.shape != gt.shape:
            raise InputError(f"frame {self.frames}: prediction is {_size(pred)} but ground truth is "
                             f"{_size(gt)}; both videos must have the same size")
        gray = to_gray(gt)
        if self._prev is not None and max(gt.shape[:2]) >= MIN_FLOW_SIDE:
            self._add_pair(pred, gt, gray)
        self._prev = (pred, gt, gray)
        self.frames += 1

    def _add_pair(self, pred: np.ndarray, gt: np.ndarray, gray: np.ndarray) -> None:
        prev_pred, prev_gt, prev_gray = self._prev
        if prev_gt.shape != gt.shape:
            raise InputError(f"frame {self.frames} is {_size(gt)} but the frame before it is "
                             f"{_size(prev_gt)}; a video must keep one size")
        backward = dis_flow(gray, prev_gray, self._engine)
        forward = dis_flow(prev_gray, gray, self._engine)
        mask = occlusion_mask(backward, forward)
        if not mask.any():
            return  # a cut to a new shot: nothing in frame t was visible in t-1
        self._pred_errors.append(warp_error(prev_pred, pred, backward, mask))
        self._gt_errors.append(warp_error(prev_gt, gt, backward, mask))

    def result(self) -> dict:
        """{'tc', 'pred_warp_error', 'gt_warp_error', 'pairs', 'note'} (floats may be nan)."""
        pairs = len(self._gt_errors)
        pred_error = float(np.mean(self._pred_errors)) if pairs else math.nan
        gt_error = float(np.mean(self._gt_errors)) if pairs else math.nan
        note = None
        if self.frames < 2:
            note = "needs at least 2 frames"
        elif self._prev is not None and max(self._prev[1].shape[:2]) < MIN_FLOW_SIDE:
            note = f"frames are too small for optical flow (width or height must be >= {MIN_FLOW_SIDE} px)"
        elif pairs == 0:
            note = "no pixel could be followed between any two frames"
        elif gt_error < STATIC_GT_ERROR:
            note = "ground truth is static (warp error ~0), so the ratio is undefined"
        tc = pred_error / gt_error if note is None else math.nan
        return {"tc": tc, "pred_warp_error": pred_error, "gt_warp_error": gt_error, "pairs": pairs,
                "note": note}


def temporal_consistency(pred_frames: Iterable[np.ndarray], gt_frames: Iterable[np.ndarray]) -> dict:
    """TC of a predicted video against its ground truth (see the module docstring), streaming.

    Both iterables yield H x W x 3 uint8 RGB frames in order; a different number of frames is an
    InputError. Returns {'tc', 'pred_warp_error', 'gt_warp_error', 'pairs', 'note'}.
    """
    accumulator = TemporalConsistency()
    for pred, gt in _zip_equal(pred_frames, gt_frames):
        accumulator.update(pred, gt)
    return accumulator.result()


_END = object()


def _zip_equal(pred_frames: Iterable, gt_frames: Iterable):
    """zip() that raises InputError (not ValueError) when one side runs out first."""
    pred_iter, gt_iter = iter(pred_frames), iter(gt_frames)
    count = 0
    while True:
        pred, gt = next(pred_iter, _END), next(gt_iter, _END)
        if pred is _END and gt is _END:
            return
        if pred is _END or gt is _END:
            longer = "ground truth" if pred is _END else "prediction"
            raise InputError(f"the prediction and the ground truth have different frame counts "
                             f"(the {longer} has more than {count} frames)")
        yield pred, gt
        count += 1


def _size(frame: np.ndarray) -> str:
    return f"{frame.shape[1]}x{frame.shape[0]}"
