"""Line-art speed and memory: print frames/s per implementation, and extract+line-art on long 1080p clips.

    python benchmarks/bench_lineart.py            # 256x256 and 1920x1080, 10 s and 60 s clips at 24 fps
    python benchmarks/bench_lineart.py --quick    # shorter timing budgets, clips at 4 fps (40 / 240 frames)

Part 1 times one toon frame (repeated) per resolution: cv2.Canny alone on the gray image, kornia's
canny with and without hysteresis, our OpenCV path (lineart_numpy) and our kornia path
(lineart_tensor, batched), the latter on CUDA too when present. Each row runs until its time budget is
spent (at least one call after a warm-up call), so slow rows cost seconds, not hours.

Part 2 writes toon clips at 1920x1080 first (not timed), then streams each through
iter_frames -> iter_lineart in a fresh subprocess and reports frames/s and the child's peak RSS
(/proc VmHWM), next to its RSS after imports: a flat peak across clip lengths shows nothing accumulates.
Never run by the tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import torch

from colorize.data.toon import ToonClip, ToonConfig, write_toon_video
from colorize.lineart.recipes import LineArtConfig, lineart_numpy, lineart_tensor

from common import rate  # benchmarks/common.py: one warm-up call, then calls for a time budget

RESOLUTIONS = {"256x256": (256, 256), "1080p": (1920, 1080)}


def paired_speed_ratio(ours: Callable[[], None], baseline: Callable[[], None], budget_s: float) -> float:
    """Median over rounds of baseline time / our time, each round timing both back to back.

    On a shared machine the load changes from second to second; timing the two alternately makes
    the ratio far steadier than dividing two rates measured at different moments.
    """
    ours(), baseline()
    ratios, start = [], time.perf_counter()
    while len(ratios) < 3 or time.perf_counter() - start < budget_s:
        t0 = time.perf_counter()
        baseline()
        t1 = time.perf_counter()
        ours()
        ratios.append((t1 - t0) / (time.perf_counter() - t1))
    return float(np.median(ratios))


def implementation_rows(rgb: np.ndarray, cfg: LineArtConfig, batch: int, budget_s: float,
                        slow_budget_s: float) -> list[tuple[str, float]]:
    """(name, frames/s) for every implementation on one RGB frame, CPU first, CUDA when present."""
    import kornia.filters

    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    one = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255.0
    many = one.repeat(batch, 1, 1, 1)
    low, high = cfg.low, cfg.high
    rows = [
        ("cv2.Canny alone (gray uint8, L2)",
         rate(lambda: cv2.Canny(gray, low * 255, high * 255, L2gradient=True), 1, budget_s)),
        ("kornia canny, hysteresis (1 frame)",
         rate(lambda: kornia.filters.canny(one, low, high), 1, slow_budget_s)),
        ("kornia canny, no hysteresis (1 frame)",
         rate(lambda: kornia.filters.canny(one, low, high, hysteresis=False), 1, slow_budget_s)),
        ("ours: lineart_numpy (OpenCV, CPU)",
         rate(lambda: lineart_numpy(rgb, cfg), 1, budget_s)),
        ("ours (OpenCV) / cv2.Canny, paired rounds (ratio)",
         paired_speed_ratio(lambda: lineart_numpy(rgb, cfg),
                            lambda: cv2.Canny(gray, low * 255, high * 255, L2gradient=True), budget_s)),
        (f"ours: lineart_tensor CPU, batch {batch}",
         rate(lambda: lineart_tensor(many, cfg), batch, slow_budget_s)),
    ]
    if torch.cuda.is_available():
        on_gpu = many.cuda()
        rows.append((f"ours: lineart_tensor CUDA, batch {batch}",
                     rate(lambda: lineart_tensor(on_gpu, cfg), batch, budget_s,
                          sync=torch.cuda.synchronize)))
        rows.append((f"kornia canny CUDA, hysteresis, batch {batch}",
                     rate(lambda: kornia.filters.canny(on_gpu, low, high), batch, budget_s,
                          sync=torch.cuda.synchronize)))
    return rows


def proc_status_mib(field: str) -> float:
    """A memory field of /proc/self/status in MiB: VmRSS (resident now) or VmHWM (peak resident).

    VmHWM rather than getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a child started
    by a parent that once held gigabytes of 1080p batches would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_stream(video: str, device: str) -> None:
    """(Subprocess) stream a clip through extract + line-art; print frames/s and memory as JSON."""
    from colorize.media.video import iter_frames
    from colorize.lineart.recipes import iter_lineart

    with torch.inference_mode():
        rss_after_imports = proc_status_mib("VmRSS")
        count, start = 0, time.perf_counter()
        for _ in iter_lineart(iter_frames(video), LineArtConfig(), device):
            count += 1
        seconds = time.perf_counter() - start
    peak = proc_status_mib("VmHWM")
    print(json.dumps({"frames": count, "fps": count / seconds, "rss_start_mib": rss_after_imports,
                      "peak_rss_mib": peak}))


def clip_rows(seconds_list: list[float], fps: float, device: str, workdir: Path) -> list[dict]:
    """Write each 1080p toon clip (untimed), then measure extract + line-art in a fresh process."""
    rows = []
    for seconds in seconds_list:
        n_frames = int(round(seconds * fps))
        path = workdir / f"toon_{seconds:g}s.mp4"
        write_toon_video(path, ToonConfig(width=1920, height=1080, n_frames=n_frames, fps=fps, seed=0))
        done = subprocess.run([sys.executable, __file__, "--child", str(path), "--device", device],
                              capture_output=True, text=True, check=True)
        measured = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append({"clip": f"{seconds:g} s @ {fps:g} fps", **measured})
    return rows


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    """Print a plain-text table: the first column left-aligned, the numbers right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, ["-" * w for w in widths], *rows]:
        cells = [str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        print("  ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short budgets, 4 fps clips")
    parser.add_argument("--batch", type=int, default=None,
                        help="kornia batch size (default 8, or 2 with --quick: the CPU rows are slow)")
    parser.add_argument("--device", default="auto", help="device for part 2 (auto, cpu, cuda)")
    parser.add_argument("--no-clips", action="store_true", help="skip part 2")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_stream(args.child, args.device)
        return
    budget, slow_budget = (1.0, 2.0) if args.quick else (3.0, 10.0)
    batch = args.batch or (2 if args.quick else 8)
    cfg = LineArtConfig()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, cv2 {cv2.__version__} "
          f"({cv2.getNumThreads()} threads), cuda={torch.cuda.is_available()}")
    for name, (width, height) in RESOLUTIONS.items():
        rgb = ToonClip(ToonConfig(width=width, height=height, n_frames=1, antialias=True)).frame(0)
        rows = implementation_rows(rgb, cfg, batch, budget, slow_budget)
        print_table(f"Line-art at {name} (frames/s, higher is better)", ["implementation", "frames/s"],
                    [[n, f"{fps:,.2f}"] for n, fps in rows])
    if args.no_clips:
        return
    clip_fps = 4.0 if args.quick else 24.0
    with tempfile.TemporaryDirectory() as tmp:
        rows = clip_rows([10.0, 60.0], clip_fps, args.device, Path(tmp))
    print_table("Extract + line-art, 1920x1080 toon clips (fresh process each)",
                ["clip", "frames", "frames/s", "RSS after imports MiB", "peak RSS MiB"],
                [[r["clip"], r["frames"], f"{r['fps']:.1f}", f"{r['rss_start_mib']:.0f}",
                  f"{r['peak_rss_mib']:.0f}"] for r in rows])


if __name__ == "__main__":
    main()
