"""Shared timing and scoring for the benchmark scripts: one way to time, one way to score, one place
for results.

    from common import Scores, Timer, rate, save_results, timed

The scripts are run as `python benchmarks/bench_x.py`, so this folder is on sys.path and `common`
imports without any path edits. Only colorize's lower floors are imported here (metrics), never the
jobs, so this module survives changes to the colour job's layout.

- `timed(call, repeats=N)`: warm-up calls, then the median wall time of N calls (CUDA synchronised
  when `sync` is given). Medians, not means: on a shared machine a single slow call says more about
  the neighbours than about the code.
- `rate(call, items_per_call, budget_s=...)`: items/s of calls repeated for a time budget.
- `Timer`: labelled seconds accumulated over a run (`with timer("flow"): ...`).
- `Scores`: per-frame PSNR / CIEDE2000 ΔE (and PSNR inside masks, when given) of a table row, and the
  temporal-consistency ratio TC pooled over shots (warp error of the output / of the truth).
- `save_results(name, data)`: benchmarks/results/NAME.json, written atomically, with when/where.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from colorize.metrics.image import delta_e2000, delta_e2000_map, psnr
from colorize.metrics.temporal import TemporalConsistency

RESULTS = Path(__file__).resolve().parent / "results"


# --- timing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Wall times of repeated calls, in seconds (warm-up calls excluded)."""

    times: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def per_second(self, items_per_call: float = 1.0) -> float:
        """Items per second at the median call time."""
        return items_per_call / self.median


def timed(call: Callable[[], Any], repeats: int = 5, warmup: int = 1,
          sync: Callable[[], None] | None = None) -> Timing:
    """Call `call` `warmup` times untimed, then `repeats` times, each timed on its own.

    sync: called after each call before the clock stops (e.g. torch.cuda.synchronize), so queued
    GPU work is counted. repeats must be >= 1.
    """
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    for _ in range(warmup):
        call()
    if sync:
        sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        if sync:
            sync()
        times.append(time.perf_counter() - start)
    return Timing(tuple(times))


def rate(call: Callable[[], Any], items_per_call: float, budget_s: float, warmup: int = 1,
         sync: Callable[[], None] | None = None) -> float:
    """Items per second of `call` repeated (at least once) until `budget_s` seconds pass, after
    `warmup` untimed calls. For calls too short to time one by one."""
    for _ in range(warmup):
        call()
    if sync:
        sync()
    calls, start = 0, time.perf_counter()
    while calls == 0 or time.perf_counter() - start < budget_s:
        call()
        calls += 1
    if sync:
        sync()
    return calls * items_per_call / (time.perf_counter() - start)


class Timer:
    """Seconds per label, summed over a run: `with timer("flow"): ...`, then `timer.seconds`."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, label: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - start

    def run(self, label: str, call: Callable[[], Any]) -> Any:
        """call() timed under label; returns its result."""
        with self(label):
            return call()


# --- scoring ------------------------------------------------------------------------------------


def _to_tensor(images: list[np.ndarray]) -> torch.Tensor:
    """H x W x 3 uint8 RGB arrays -> N x 3 x H x W float in [0, 1]."""
    return torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 255


@dataclass
class Scores:
    """One table row: per-frame PSNR / ΔE2000 (and PSNR inside masks), warp errors pooled over shots.

    TC = summed output warp error / summed truth warp error over every frame pair within a shot, each
    shot weighted by its pairs (no pair crosses a cut); 1 = as steady as the truth.
    """

    psnr: list[float] = field(default_factory=list)
    delta_e: list[float] = field(default_factory=list)
    masked_psnr: list[float] = field(default_factory=list)   # "char PSNR": pixels inside the masks
    masked_delta_e: list[float] = field(default_factory=list)  # "char ΔE": mean ΔE2000 inside the masks
    pred_error: float = 0.0
    gt_error: float = 0.0
    pairs: int = 0

    def add_frames(self, outputs: list[np.ndarray], truth: list[np.ndarray],
                   masks: list[np.ndarray] | None = None) -> None:
        """outputs, truth: H x W x 3 uint8 RGB, pairwise equal sizes; masks: H x W, > 0 inside."""
        pred, gt = _to_tensor(outputs), _to_tensor(truth)
        self.psnr += psnr(pred, gt).tolist()
        self.delta_e += delta_e2000(pred, gt).tolist()
        for p, g, mask in zip(pred, gt, masks or []):
            inside = torch.from_numpy(mask > 0)
            if inside.any():
                mse = (p[:, inside] - g[:, inside]).pow(2).mean()
                self.masked_psnr.append(float(10 * torch.log10(1 / mse)))
                self.masked_delta_e.append(float(delta_e2000_map(p[None], g[None])[0][inside].mean()))

    def add_shot(self, outputs: list[np.ndarray], truth: list[np.ndarray],
                 masks: list[np.ndarray] | None = None) -> None:
        """Consecutive frames of one shot (no cut inside): per-frame scores and the shot's warp errors."""
        self.add_frames(outputs, truth, masks)
        add_warp_errors(self, outputs, truth)

    @property
    def tc(self) -> float:
        return self.pred_error / self.gt_error if self.gt_error > 0 else math.nan

    def row(self) -> dict[str, float]:
        """{"PSNR", "ΔE", "TC" (nan without pairs), "n" (frames), "char PSNR" and "char ΔE" (with masks
        only)}."""
        out = {"PSNR": float(np.mean(self.psnr)), "ΔE": float(np.mean(self.delta_e)), "TC": self.tc,
               "n": len(self.psnr)}
        if self.masked_psnr:
            out["char PSNR"] = float(np.mean(self.masked_psnr))
            out["char ΔE"] = float(np.mean(self.masked_delta_e))
        return out

    def summary(self) -> str:
        """One printable line: PSNR, ΔE, TC when there were pairs, frame count."""
        tc = f"  TC {self.tc:5.2f}" if self.gt_error > 0 else ""
        return f"PSNR {np.mean(self.psnr):6.2f} dB  ΔE {np.mean(self.delta_e):6.2f}{tc}  (n={len(self.psnr)})"


def add_warp_errors(scores: Scores, outputs: list[np.ndarray], truth: list[np.ndarray]) -> None:
    """Add one shot's warp errors (colorize.metrics.temporal) to scores.pred_error/gt_error/pairs,
    weighted by pairs, so TC is pooled over shots and no pair crosses a cut."""
    tc = TemporalConsistency()
    for p, g in zip(outputs, truth):
        tc.update(p, g)
    result = tc.result()
    if result["pairs"]:
        scores.pred_error += result["pred_warp_error"] * result["pairs"]
        scores.gt_error += result["gt_warp_error"] * result["pairs"]
        scores.pairs += result["pairs"]


# --- results ------------------------------------------------------------------------------------


def save_results(name: str, data: dict, folder: Path = RESULTS) -> Path:
    """Write data as folder/NAME.json (atomically: a temporary name, then a rename), with a
    "measured" block (UTC time, host CPU count, load average) unless data already has one.
    Returns the path. benchmarks/make_tables.py renders docs/benchmarks.md from these files."""
    folder.mkdir(parents=True, exist_ok=True)
    payload = dict(data)
    payload.setdefault("measured", {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    })
    path = folder / f"{name}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=float) + "\n")
    os.replace(tmp, path)
    return path
