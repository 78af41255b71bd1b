"""Temporal smoothing: flicker removed (TC, PSNR) and speed (frames/s) of TemporalSmoother on CPU.

    python benchmarks/bench_temporal.py            # 3 toon clips per row, 2 s timing budget per size
    python benchmarks/bench_temporal.py --quick    # 1 clip per row, 0.5 s budgets

Part 1: toon clips (256 x 192, 24 frames) whose "outputs" are the true frames with a random brightness
gain (+-15%) and hue shift (+-12 degrees) per frame, the flicker of a frame-by-frame colorizer. For
each guide (the clip's line-art, or its gray input) and motion speed (12 fps: normal; 4 fps: three times
faster per frame), prints TC (colorize.metrics.temporal, flow on the true frames; 1 = as stable as the
truth) and mean PSNR against the true frames, unsmoothed (strength 0) and at several strengths.

Part 2: frames/s of one smoother call (flows, masks, warp, blend) on a moving toon clip at 256 x 192
and 1920 x 1080, with the default flow size (longer side 640) and, at 1080p, with full-size flow;
and frames/s of ShotDetector.update (thumbnail, histogram, edges, flow on the thumbnail) at both sizes.
Never run by the tests.
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

from colorize.data.toon import ToonClip, ToonConfig
from colorize.metrics.temporal import temporal_consistency
from colorize.lineart.recipes import LineArtConfig, lineart_numpy
from colorize.media.shots import ShotDetector
from colorize.filters.smoothing import SmoothingConfig, TemporalSmoother

from common import rate  # benchmarks/common.py

STRENGTHS = (0.0, 0.3, 0.5, 0.7, 0.85)
SPEED_SIZES = {"256x192": (256, 192), "1080p": (1920, 1080)}


def flicker(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random brightness gain (+-15%) and hue shift (+-12 degrees) for the whole frame."""
    hsv = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2HSV)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-12.0, 12.0)) % 360.0
    hsv[..., 2] *= rng.uniform(0.85, 1.15)
    return (cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).clip(0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def make_guide(rgb: np.ndarray, kind: str) -> np.ndarray:
    return lineart_numpy(rgb, LineArtConfig()) if kind == "lineart" else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def quality(clip: ToonClip, guide_kind: str, strength: float) -> tuple[float, float]:
    """(TC, mean PSNR dB) of one clip's flickering outputs after smoothing at `strength`."""
    rng = np.random.default_rng(clip.cfg.seed + 100)
    smoother = TemporalSmoother(SmoothingConfig(strength=strength))
    outputs, psnrs = [], []  # 24 small frames: the TC call needs them twice
    for rgb in clip:
        out = smoother(make_guide(rgb, guide_kind), flicker(rgb, rng))
        outputs.append(out)
        mse = np.mean((out.astype(np.float64) - rgb) ** 2)
        psnrs.append(10.0 * np.log10(255.0**2 / mse))
    return temporal_consistency(outputs, iter(clip))["tc"], float(np.mean(psnrs))


def quality_table(seeds: list[int]) -> None:
    print(f"TC / PSNR (dB) vs truth, 256x192 toon clips, 24 frames, mean of {len(seeds)} clip(s)")
    print(f"{'guide':8} {'fps':>4} " + " ".join(f"{'s=' + str(s):>14}" for s in STRENGTHS))
    for guide_kind in ("lineart", "input"):
        for fps in (12.0, 4.0):
            cells = []
            for strength in STRENGTHS:
                runs = [quality(ToonClip(ToonConfig(width=256, height=192, n_frames=24, fps=fps, seed=seed,
                                                    antialias=True)), guide_kind, strength)
                        for seed in seeds]
                tc, db = np.mean(runs, axis=0)
                cells.append(f"{tc:6.2f} / {db:5.2f}")
            print(f"{guide_kind:8} {fps:4.0f} " + " ".join(f"{c:>14}" for c in cells))


def moving_frames(size: tuple[int, int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """8 (line-art, RGB) frames of a moving toon clip of size (W, H), drawn before any timing."""
    w, h = size
    clip = ToonClip(ToonConfig(width=w, height=h, n_frames=8, seed=0, antialias=True))
    return [(lineart_numpy(rgb, LineArtConfig()), rgb) for rgb in clip]


def calls_per_second(call, frames: list, budget_s: float) -> float:
    """Call `call(*frames[i])` over the frames in a loop (after two warm-up calls) for `budget_s`."""
    call(*frames[0])
    i = iter(range(1, 10**12))
    return rate(lambda: call(*frames[next(i) % len(frames)]), 1, budget_s)


def speed_table(budget_s: float) -> None:
    print(f"\nTemporalSmoother speed on CPU (cv2 threads: {cv2.getNumThreads()})")
    rows = [(name, size, SmoothingConfig()) for name, size in SPEED_SIZES.items()]
    rows.append(("1080p", SPEED_SIZES["1080p"], SmoothingConfig(flow_side=0)))
    for name, size, cfg in rows:
        scaled = cfg.flow_side and cfg.flow_side < max(size)
        flow = f"flow at {cfg.flow_side} px" if scaled else "full-size flow"
        fps = calls_per_second(TemporalSmoother(cfg), moving_frames(size), budget_s)
        print(f"{name:8} {flow:18} {fps:7.2f} frames/s")
    print("\nShotDetector speed on CPU (RGB frames)")
    for name, size in SPEED_SIZES.items():
        detector = ShotDetector()
        fps = calls_per_second(lambda _, rgb: detector.update(rgb), moving_frames(size), budget_s)
        print(f"{name:8} {fps:7.1f} frames/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one clip per row, short timing budgets")
    args = parser.parse_args()
    quality_table([0] if args.quick else [0, 1, 2])
    speed_table(0.5 if args.quick else 2.0)


if __name__ == "__main__":
    main()
