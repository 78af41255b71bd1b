"""Compare a colorized result with its ground truth: image metrics per frame, temporal consistency.

    result = evaluate("colorized.mp4", "original.mp4")     # videos, frame folders or single images
    result["psnr"], result["ssim"], result["delta_e2000"], result["lpips"], result["tc"]

Both inputs stream side by side (one batch of frames in memory); frames are paired by position.
Image metrics are the mean over frames of the per-frame value (so one identical frame makes the
mean PSNR +inf). Temporal consistency (colorize.metrics.temporal) is computed by default when
either input is a video; folders are taken as unrelated stills unless `temporal=True` says they
are a frame sequence.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from colorize.errors import InputError, WeightsUnavailable
from colorize.images import IMAGE_SUFFIXES, list_images, read_rgb
from colorize.metrics.image import LPIPSMetric, delta_e2000, psnr, ssim
from colorize.metrics.temporal import TemporalConsistency
from colorize.progress import progress
from colorize.runtime import resolve_device

IMAGE_METRICS = {"psnr": psnr, "ssim": ssim, "delta_e2000": delta_e2000}


@dataclass(frozen=True)
class Source:
    """One side of the comparison. `frame_count` is exact for folders and images, the container's
    estimate for videos."""

    role: str          # "prediction" or "ground truth", for messages
    path: Path
    kind: str          # "video", "folder" or "image"
    frame_count: int

    def images(self) -> Iterator[np.ndarray]:
        """Stream the frames as H x W x 3 uint8 RGB."""
        from colorize.media.frames import iter_folder
        from colorize.media.video import iter_frames

        if self.kind == "image":
            yield read_rgb(self.path)
        elif self.kind == "folder":
            yield from (frame.image for frame in iter_folder(self.path))
        else:
            yield from (frame.image for frame in iter_frames(self.path))


def open_source(path: str | os.PathLike, role: str) -> Source:
    """Classify `path` as a frame folder, a single image or a video; InputError if it is none."""
    from colorize.media.video import probe

    path = Path(path)
    if not path.exists():
        raise InputError(f"{role} not found: {path}")
    if path.is_dir():
        return Source(role, path, "folder", len(list_images(path)))
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return Source(role, path, "image", 1)
    return Source(role, path, "video", probe(path).frame_count)


class _Totals:
    """Running sums of per-frame metric values (float64 on the host, so long videos stay exact)."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.frames = 0

    def add(self, name: str, values: torch.Tensor) -> None:
        self.sums[name] = self.sums.get(name, 0.0) + float(values.double().sum())

    def mean(self, name: str) -> float:
        return self.sums.get(name, math.nan) / self.frames if self.frames else math.nan


def _to_batch(images: list[np.ndarray], device: torch.device) -> torch.Tensor:
    """N x (H x W x 3 uint8) -> N x 3 x H x W float32 in [0, 1] on `device` (copied as uint8: 4x less)."""
    batch = torch.from_numpy(np.stack(images)).to(device)
    return batch.permute(0, 3, 1, 2).float().div_(255.0)


def _make_lpips(lpips: bool | LPIPSMetric, weights, device: torch.device
                ) -> tuple[LPIPSMetric | None, str | None]:
    """The LPIPS metric to use, or None and a note saying why there is none."""
    if isinstance(lpips, LPIPSMetric):
        return lpips, None
    if not lpips:
        return None, "not computed (turned off)"
    try:
        return LPIPSMetric(device=device, backbone_weights=weights), None
    except WeightsUnavailable as exc:
        return None, f"unavailable ({str(exc).removeprefix('LPIPS unavailable offline: ').removeprefix('LPIPS unavailable: ')})"


def _check_counts(pred: Source, gt: Source) -> None:
    """Fail before decoding anything when both counts are exact and differ."""
    if pred.kind != "video" and gt.kind != "video" and pred.frame_count != gt.frame_count:
        raise InputError(f"the prediction {pred.path} has {pred.frame_count} frames but the ground truth "
                         f"{gt.path} has {gt.frame_count}; they must match one to one")


def _paired_frames(pred: Source, gt: Source) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Frames of both sources in lockstep; InputError when one ends first or sizes differ."""
    pred_iter, gt_iter = pred.images(), gt.images()
    index = 0
    while True:
        p, g = next(pred_iter, None), next(gt_iter, None)
        if p is None and g is None:
            return
        if p is None or g is None:
            short, long = (pred, gt) if p is None else (gt, pred)
            raise InputError(f"the {short.role} {short.path} has {index} frames but the {long.role} "
                             f"{long.path} has more; they must match one to one")
        if p.shape != g.shape:
            raise InputError(f"frame {index} of the prediction {pred.path} is {p.shape[1]}x{p.shape[0]} but "
                             f"the ground truth {gt.path} is {g.shape[1]}x{g.shape[0]}; sizes must match")
        yield p, g
        index += 1


def evaluate(pred: str | os.PathLike, gt: str | os.PathLike, device: str | torch.device = "auto",
             lpips: bool | LPIPSMetric = True, lpips_weights: str | os.PathLike | None = None,
             temporal: bool | None = None, batch_size: int = 8) -> dict:
    """Compare `pred` with `gt` (each a video, a folder of frames or an image), frame by frame.

    Returns a dict: prediction, ground_truth, device, frames; psnr (dB), ssim, delta_e2000 (means
    over frames); lpips (mean, or None with `lpips_note` saying why); tc, pred_warp_error,
    gt_warp_error, tc_pairs, tc_note (tc is None when not computed, nan with a note when undefined).
    `temporal=None` computes TC when either input is a video. `lpips` may be an LPIPSMetric to use
    instead of loading one. Raises InputError for a missing or unreadable input, a frame count
    mismatch or a frame size mismatch.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    pred_src, gt_src = open_source(pred, "prediction"), open_source(gt, "ground truth")
    _check_counts(pred_src, gt_src)
    dev = resolve_device(device)
    lpips_metric, lpips_note = _make_lpips(lpips, lpips_weights, dev)
    if temporal is None:
        temporal = "video" in (pred_src.kind, gt_src.kind)
    tc = TemporalConsistency() if temporal else None

    totals = _Totals()
    batch_pred, batch_gt = [], []
    pairs = progress(_paired_frames(pred_src, gt_src), total=gt_src.frame_count, desc="evaluate")
    for p, g in pairs:
        if tc is not None:
            tc.update(p, g)
        batch_pred.append(p)
        batch_gt.append(g)
        if len(batch_pred) == batch_size:
            _score_batch(batch_pred, batch_gt, dev, lpips_metric, totals)
            batch_pred, batch_gt = [], []
    if batch_pred:
        _score_batch(batch_pred, batch_gt, dev, lpips_metric, totals)
    return _summary(pred_src, gt_src, dev, totals, lpips_metric is not None, lpips_note, tc)


@torch.no_grad()
def _score_batch(pred: list[np.ndarray], gt: list[np.ndarray], device: torch.device,
                 lpips_metric: LPIPSMetric | None, totals: _Totals) -> None:
    """Add one batch's per-frame metric values to the running totals."""
    pred_t, gt_t = _to_batch(pred, device), _to_batch(gt, device)
    for name, metric in IMAGE_METRICS.items():
        totals.add(name, metric(pred_t, gt_t))
    if lpips_metric is not None:
        totals.add("lpips", lpips_metric(pred_t, gt_t))
    totals.frames += len(pred)


def _summary(pred: Source, gt: Source, device: torch.device, totals: _Totals, has_lpips: bool,
             lpips_note: str | None, tc: TemporalConsistency | None) -> dict:
    result = {"prediction": str(pred.path), "ground_truth": str(gt.path), "device": str(device),
              "frames": totals.frames}
    result.update({name: totals.mean(name) for name in IMAGE_METRICS})
    result["lpips"] = totals.mean("lpips") if has_lpips else None
    result["lpips_note"] = lpips_note
    if tc is None:
        result.update(tc=None, pred_warp_error=None, gt_warp_error=None, tc_pairs=0,
                      tc_note="not computed: neither input is a video (temporal=True / --temporal "
                              "for frame sequences)")
    else:
        temporal = tc.result()
        result.update(tc=temporal["tc"], pred_warp_error=temporal["pred_warp_error"],
                      gt_warp_error=temporal["gt_warp_error"], tc_pairs=temporal["pairs"],
                      tc_note=temporal["note"])
    return result
