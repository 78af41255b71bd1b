"""Cost per frame of the temporal mode's propagator at video sizes: flow at 640 px vs at the working size.

    python benchmarks/bench_temporal_cost.py --clip /work/realart/clips/heldout/clip_0001
    python benchmarks/bench_temporal_cost.py --clip DIR --size 1920x1080 --working 384,512 --rounds 6

Frames of a `colorize clips` folder are scaled to --size, their line-art drawn with the default model's
recipe; the "generator output" is each true frame with a random colour offset (a flickering
colorizer), the first frame is the keyframe. Each variant runs TemporalPropagator over the same
frames, interleaved round by round (A, B, A, B) so a loaded machine slows them alike; prints the
median and the fastest round in ms per frame. Variants: TemporalConfig() (flow at up to 640 px, what
a full-resolution run uses) and TemporalConfig.at_working_size(N) for each --working N (what
`colorize video --size N` uses). Single-threaded OpenCV, as on the shared 2-core machine. Never run
by the tests.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from colorize.images import read_rgb
from colorize.engine.model import Colorizer, tensor_to_uint8
from colorize.filters.temporal import TemporalConfig, TemporalPropagator


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", type=Path, required=True, help="a folder of frame_*.png (colorize clips)")
    parser.add_argument("--size", default="1280x720", help="frame WIDTHxHEIGHT")
    parser.add_argument("--working", default="384", help="working sizes, comma-separated")
    parser.add_argument("--frames", type=int, default=13)
    parser.add_argument("--rounds", type=int, default=4)
    return parser.parse_args()


def ms_per_frame(cfg: TemporalConfig, lines: list[np.ndarray], outputs: list[np.ndarray],
                 keyframe: np.ndarray) -> float:
    """Mean ms of one propagator call over frames 1.. (frame 0, the keyframe, starts the chain)."""
    propagator = TemporalPropagator(cfg)
    propagator(lines[0], outputs[0], keyframe=keyframe)
    start = time.perf_counter()
    for line, output in zip(lines[1:], outputs[1:]):
        propagator(line, output)
    return 1000 * (time.perf_counter() - start) / (len(lines) - 1)


def main() -> None:
    args = parse_args()
    cv2.setNumThreads(1)
    width, height = (int(v) for v in args.size.lower().split("x"))
    files = sorted(args.clip.glob("frame_*.png"))[:args.frames]
    frames = [cv2.resize(read_rgb(f), (width, height), interpolation=cv2.INTER_CUBIC) for f in files]
    colorizer = Colorizer.from_file(None, device="cpu")
    lines = [tensor_to_uint8(colorizer.lineart_of(f[None], is_lineart=False))[0, ..., 0] for f in frames]
    rng = np.random.default_rng(0)
    outputs = [np.clip(f.astype(np.int16) + rng.integers(-20, 20, 3), 0, 255).astype(np.uint8) for f in frames]
    variants = {"flow at 640 px (full resolution)": TemporalConfig()}
    for size in (int(v) for v in args.working.split(",")):
        variants[f"flow at the working size {size}"] = TemporalConfig.at_working_size(size)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, cfg in variants.items():
            times[name].append(ms_per_frame(cfg, lines, outputs, frames[0]))
    print(f"{len(files)} frames of {args.clip.name} at {width}x{height}, {args.rounds} interleaved rounds:")
    for name, values in times.items():
        print(f"  {name:36s} median {np.median(values):6.1f} ms/frame, fastest round {min(values):6.1f} "
              f"(rounds: {', '.join(f'{v:.0f}' for v in values)})")


if __name__ == "__main__":
    main()
