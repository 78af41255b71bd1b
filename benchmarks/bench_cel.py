"""Cel step speed: ms per frame of segment_regions, paint (flat, shaded) and composite_lines.

"ink" is composite_lines in the colours of colorize.cel.lines.ink_colours (`--lines colour`, the
default for keyed line-art, whose paint is free), with a key reach (the keys reach the left half of
the frame) as the keyed stream passes one. "keyed" is the whole cel step for keyed line-art with that
reach (render_cel with cel_config's keyed settings): the ink, white paper, and the regions no key
reaches segmented and painted flat (CelConfig.unseen; frames the keys reach everywhere skip that).

"guess" is flat paint with the rules `colorize --lineart` applies without keys (cel_config: the
surround, GUESS_CHROMA and the doubt rule, GUESS_DOUBT), the default for line-art without keys.

    PYTHONPATH=. python benchmarks/bench_cel.py            # 256x144, 720p, 1080p; toon (ink, canny) + real
    PYTHONPATH=. python benchmarks/bench_cel.py --quick    # fewer repeats
    PYTHONPATH=. python benchmarks/bench_cel.py --threads 0  # OpenCV's own thread count (default 1)

Line-art: a procedural toon frame (colorize.data.toon, anti-aliased, 12 shapes) drawn with the ink
and the Canny recipes (Canny's double lines make many narrow regions), and the real-art sample's first
key (samples/real/keys/000000.png, resized to each size, ink recipe). The colour source is the true
frame at a quarter of the size, upsampled back (what a colorizer at working size hands over).
Each figure is the median over repeats of one call (after a warm-up call), wall-clock and CPU. On a shared machine the
figures move with the load: say so when quoting them. Never run by the tests.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from colorize.cel.lines import composite_lines, ink_colours
from colorize.cel.frame import GUESS_CHROMA, GUESS_DOUBT, cel_config, render_cel
from colorize.cel.paint import paint
from colorize.cel.regions import segment_regions
from colorize.data.toon import ToonClip, ToonConfig
from colorize.images import read_rgb
from colorize.lineart.recipes import LineArtConfig, lineart_numpy

SIZES = {"256x144": (256, 144), "720p": (1280, 720), "1080p": (1920, 1080)}
REAL_KEY = Path(__file__).resolve().parents[1] / "samples/real/keys/000000.png"
KEYED = cel_config("auto", "auto", lineart=True, keyed=True)  # free paint, lines in colour, unseen


def median_ms(run, repeats: int) -> tuple[float, float]:
    """Median wall-clock and CPU (this process) milliseconds of one call, after a warm-up call.

    With one OpenCV thread the CPU time is what the call would take on an idle core; on a loaded
    machine the wall time is larger (waiting for a core), the CPU time much less so.
    """
    run()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return 1000.0 * statistics.median(walls), 1000.0 * statistics.median(cpus)


def working_size_source(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def inputs(width: int, height: int):
    """(name, rgb, lineart) rows at one size."""
    frame = ToonClip(ToonConfig(width=width, height=height, n_shapes=12, seed=2, antialias=True)).frame(3)
    rows = [("toon ink", frame, lineart_numpy(frame, LineArtConfig(method="ink"))),
            ("toon canny", frame, lineart_numpy(frame, LineArtConfig(method="canny")))]
    if REAL_KEY.is_file():
        key = cv2.resize(read_rgb(REAL_KEY), (width, height), interpolation=cv2.INTER_CUBIC)
        rows.append(("real key ink", key, lineart_numpy(key, LineArtConfig(method="ink"))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 9")
    parser.add_argument("--threads", type=int, default=1, help="cv2.setNumThreads (0 = OpenCV's default)")
    parser.add_argument("--gap", type=int, default=3)
    parser.add_argument("--min-area", type=int, default=16)
    args = parser.parse_args()
    if args.threads > 0:
        cv2.setNumThreads(args.threads)
    repeats = 3 if args.quick else 9
    print(f"cv2 threads {cv2.getNumThreads()}, gap {args.gap}, min_area {args.min_area}, median of {repeats}")
    print("ms/frame, wall / cpu; cel flat = segment + flat + lines")
    print(f"{'size':>8} {'line-art':>13} {'regions':>8} {'segment':>13} {'flat':>13} {'guess':>13} "
          f"{'shaded':>13} {'lines':>13} {'ink':>13} {'keyed':>13} {'cel flat':>13}")
    for size_name, (width, height) in SIZES.items():
        for name, rgb, art in inputs(width, height):
            source = working_size_source(rgb)
            regions = segment_regions(art, args.gap, args.min_area)
            flat = paint(source, regions, "flat")
            seg = median_ms(lambda: segment_regions(art, args.gap, args.min_area), repeats)
            flat_ms = median_ms(lambda: paint(source, regions, "flat"), repeats)
            guess_ms = median_ms(lambda: paint(source, regions, "flat", surround=True, chroma=GUESS_CHROMA,
                                               doubt=GUESS_DOUBT), repeats)
            shaded_ms = median_ms(lambda: paint(source, regions, "shaded"), repeats)
            lines_ms = median_ms(lambda: composite_lines(flat, art), repeats)
            reach = np.zeros(art.shape, np.float32)
            reach[:, :width // 2] = 1.0  # the keys reach half the frame: the rest entered after them
            ink_ms = median_ms(lambda: composite_lines(source, art, ink_colours(source, key_reach=reach)), repeats)
            keyed_ms = median_ms(lambda: render_cel(source, art, KEYED, reach), repeats)
            total = tuple(a + b + c for a, b, c in zip(seg, flat_ms, lines_ms))
            cells = " ".join(f"{w:>6.1f} /{c:>5.1f}" for w, c in
                             (seg, flat_ms, guess_ms, shaded_ms, lines_ms, ink_ms, keyed_ms, total))
            print(f"{size_name:>8} {name:>13} {regions.count:>8} {cells}")


if __name__ == "__main__":
    main()
