"""A zoomed crop that shows where the colour of a working-resolution run goes: bilinear vs line-guided.

    python benchmarks/bench_upsample_crop.py --clip /work/realart/clips/heldout/clip_0002 --frame 6 \
        --out docs/real/upsample_crop.png

One frame of a held-out real-art clip (`colorize clips` folder) is upscaled (--upscale, 3 by default:
256 -> 768 px) and colorized with the default model at working size --size (384), the clip's first
frame as the keyframe, exactly as `colorize video --size 384` colours it: the line-art and keyframe
are area-downscaled, the generator runs at 384 px, and the colour comes back to full size. The image
shows, on one zoomed crop, side by side: the full-resolution line-art | the colour upsampled
bilinearly (what a plain resize gives: colour smeared across the lines) | the colour upsampled under
the full-resolution lines (colorize.engine.upsample.line_guided_upsample, what colorize does) |
the truth. The crop is the window where the line-guided colour gains most over the bilinear one
against the truth (a chosen window: it shows what happens at the lines, not a typical frame), unless
--at X,Y is given. Also prints PSNR against the truth of both, over the whole frame and the crop.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import torch

from colorize.images import read_rgb, write_image
from colorize.engine.model import Colorizer, tensor_to_uint8, uint8_to_tensor
from colorize.engine.upsample import line_guided_upsample, working_size


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", type=Path, required=True)
    parser.add_argument("--frame", type=int, default=6, help="frame of the clip's first shot")
    parser.add_argument("--upscale", type=int, default=3)
    parser.add_argument("--size", type=int, default=384, help="working size")
    parser.add_argument("--crop", type=int, default=128, help="side of the crop, full-resolution pixels")
    parser.add_argument("--zoom", type=int, default=2, help="each crop pixel drawn as zoom x zoom pixels")
    parser.add_argument("--at", default=None, help="X,Y of the crop's top-left corner (default: chosen)")
    parser.add_argument("--out", type=Path, default=Path("docs/real/upsample_crop.png"))
    return parser.parse_args()


def small_colour(colorizer: Colorizer, frame: np.ndarray, key: np.ndarray, size: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(full-resolution line-art H x W uint8, the generator's colour at the working size h x w x 3
    float32 in [0, 1]): the steps of Colorizer.colorize_batch before its upsampling."""
    lines = colorizer.lineart_of(frame[None], is_lineart=False)
    reference = torch.cat([uint8_to_tensor(key[None], colorizer.device),
                           colorizer.lineart_of(key[None], is_lineart=False)], 1)
    small = working_size(*frame.shape[:2], size)
    x = torch.nn.functional.interpolate(torch.cat([lines, reference], 1), size=small, mode="area")
    colour = colorizer.colorize_batch(x[:, :1], x[:, 1:], size=0)
    return tensor_to_uint8(lines)[0, ..., 0], colour[0].permute(1, 2, 0).float().cpu().numpy()


def best_window(bilinear: np.ndarray, guided: np.ndarray, truth: np.ndarray, side: int) -> tuple[int, int]:
    """Top-left (x, y) of the side x side window where the line-guided colour is closer to the truth
    than the bilinear one by the most (summed absolute error, all H x W x 3 uint8)."""
    error = lambda image: np.abs(image.astype(np.float32) - truth.astype(np.float32)).sum(axis=2)
    diff = error(bilinear) - error(guided)
    box = cv2.boxFilter(diff, -1, (side, side), normalize=False, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
    h, w = diff.shape
    box = box[:h - side + 1, :w - side + 1]
    y, x = np.unravel_index(int(np.argmax(box)), box.shape)
    return int(x), int(y)


def panel(image: np.ndarray, label: str, zoom: int) -> np.ndarray:
    """The crop zoomed (nearest, so pixels stay visible) with a caption bar above it."""
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    big = cv2.resize(image, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST)
    bar = np.full((22, big.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, label, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([bar, big], axis=0)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / mse)


def main() -> None:
    args = parse_args()
    torch.set_num_threads(1)
    files = sorted(args.clip.glob("frame_*.png"))

    def big(i: int) -> np.ndarray:
        return cv2.resize(read_rgb(files[i]), None, fx=args.upscale, fy=args.upscale, interpolation=cv2.INTER_CUBIC)

    truth, key = big(args.frame), big(0)
    colorizer = Colorizer.from_file(None, device="cpu")
    lines, colour = small_colour(colorizer, truth, key, args.size)
    h, w = lines.shape
    bilinear = np.clip(cv2.resize(colour, (w, h), interpolation=cv2.INTER_LINEAR) * 255 + 0.5, 0, 255).astype(np.uint8)
    guided = np.clip(line_guided_upsample(colour, lines) * 255 + 0.5, 0, 255).astype(np.uint8)
    side = args.crop
    x, y = (int(v) for v in args.at.split(",")) if args.at else best_window(bilinear, guided, truth, side)
    crop = (slice(y, y + side), slice(x, x + side))
    gap = np.full((22 + side * args.zoom, 6, 3), 255, np.uint8)
    panels = [panel(lines[crop], "line-art (full res.)", args.zoom), gap,
              panel(bilinear[crop], "bilinear", args.zoom), gap,
              panel(guided[crop], "line-guided (colorize)", args.zoom), gap,
              panel(truth[crop], "truth", args.zoom)]
    write_image(args.out, np.concatenate(panels, axis=1))
    print(f"{args.clip.name} frame {args.frame}, {w}x{h} coloured at {args.size} px, crop {side} px at ({x}, {y}) "
          f"-> {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")
    for name, image in (("bilinear", bilinear), ("line-guided", guided)):
        print(f"  {name:12s} PSNR whole frame {psnr(image, truth):6.2f} dB, crop {psnr(image[crop], truth[crop]):6.2f} dB")


if __name__ == "__main__":
    main()
