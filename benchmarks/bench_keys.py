"""Cost per frame and peak memory of `colorize keys` (colorize.jobs.keys) on a long generated shot.

    python benchmarks/bench_keys.py                      # 1280x720, 480 frames (one max_shot piece)
    python benchmarks/bench_keys.py --frames 960 --size 1280x720

A procedural toon clip (colorize.data.toon, no cuts) at --size; its frames are drawn on the fly, never
held. Prints, in ms per frame: the line-art (shrink to draw_side + ink recipe + shrink to flow_side),
the cut detection on the full-size frames (media.shots.mark_cuts), the key analysis of plan_shots
(every frame a candidate key: forward and backward sweeps) on the prepared small line-arts, the same
on a still shot (one frame repeated: masks shared), and coverage() with keys at both ends. Then the
peak of Python-tracked memory (tracemalloc; numpy's buffers are tracked) of the whole streaming
suggest (toon frame -> cuts -> line-art -> plan_shots) at half and at all of --frames, and the
process's max RSS. Never run by the tests.

Measured on the shared 2-core machine at load average 7-9 (--frames 480, then 960; toon seed 5, 1280x720):
line-art 7-16 ms/frame, cut detection 10-15, plan_shots 46-91 (moving toon shot: shapes rotate and
squash, 32 keys in 480 frames), still shot 24-38, coverage() with two keys 3-11; the whole streaming
suggest (toon drawing included, under tracemalloc) 82-148 ms/frame, peak traced memory 14.4 MiB at 240
frames, 22.8 at 480, 25.4 at 960 (two max_shot pieces: bounded); max RSS ~197 MiB (imports included).
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

from colorize.data.toon import ToonClip, ToonConfig
from colorize.jobs.keys import KeysConfig, coverage, lineart_frames, plan_shots, small_lineart
from colorize.media.frames import Frame
from colorize.media.shots import mark_cuts


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="1280x720", help="frame WIDTHxHEIGHT")
    parser.add_argument("--frames", type=int, default=480)
    parser.add_argument("--seed", type=int, default=5)
    return parser.parse_args()


def toon_frames(clip: ToonClip, count: int):
    for i in range(count):
        yield Frame(index=i, time=i / 24, image=clip.frame(i % len(clip)))


def timed(label: str, count: int, run) -> None:
    start = time.perf_counter()
    result = run()
    print(f"{label:<44} {1000 * (time.perf_counter() - start) / count:8.2f} ms/frame")
    return result


def main() -> None:
    args = parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    clip = ToonClip(ToonConfig(width=width, height=height, n_frames=args.frames, fps=24.0, seed=args.seed))
    cfg = KeysConfig()
    sample = min(args.frames, 48)
    images = [clip.frame(i) for i in range(sample)]
    timed(f"line-art ({width}x{height} -> {cfg.flow_side} px)", sample,
          lambda: [small_lineart(image, cfg) for image in images])
    timed("cut detection (mark_cuts, full size)", sample,
          lambda: list(mark_cuts(Frame(i, 0.0, image) for i, image in enumerate(images))))
    del images
    arts = [Frame(i, i / 24, small_lineart(clip.frame(i), cfg), cut=i == 0) for i in range(args.frames)]
    plans = timed(f"plan_shots, moving shot of {args.frames}", args.frames, lambda: plan_shots(iter(arts), cfg=cfg))
    print(f"  keys {[k for p in plans for k in p.keys]}")
    still = [Frame(i, i / 24, arts[0].image, cut=i == 0) for i in range(args.frames)]
    timed(f"plan_shots, still shot of {args.frames}", args.frames, lambda: plan_shots(iter(still), cfg=cfg))
    keys = {0, args.frames - 1}
    timed("coverage() with keys at both ends", args.frames, lambda: list(coverage(iter(arts), keys, cfg)))
    del arts, still
    for count in (args.frames // 2, args.frames):
        tracemalloc.start()
        start = time.perf_counter()
        plans = plan_shots(lineart_frames(toon_frames(clip, count), cfg), cfg=cfg)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"streaming suggest, {count} frames: {1000 * seconds / count:.1f} ms/frame (traced), "
              f"peak traced memory {peak / 2**20:.1f} MiB, {len(plans)} piece(s)")
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
