"""What the VGG19 perceptual/style loss costs per training step, by depth and input resize.

    python benchmarks/bench_vgg.py                     # CPU, batch 1 of 256 x 256, median of 3
    python benchmarks/bench_vgg.py --device cuda --batch 8 --repeats 20

For until = relu3_1 / relu4_1 / relu5_1 and resize = None / 128 it prints GFLOP per image for one
VGG pass (counted by torch's FlopCounterMode, multiply-add = 2 FLOP; the loss runs fake and real, so
twice this), and the median milliseconds per batch for the loss forward and forward + backward (what
a generator step pays). The U-Net generator's forward is printed as the yardstick. The VGG is
randomly initialised: speed does not depend on the weights, and no download is needed.
"""

from __future__ import annotations

import argparse

import torch
from torch.utils.flop_counter import FlopCounterMode

from colorize.gans.losses.perceptual import VGGLoss, vgg19_features
from colorize.nets.unet import UNetGenerator

from common import timed  # benchmarks/common.py

CASES = {  # until -> (perceptual layers, style layers)
    "relu3_1": (("relu1_1", "relu2_1", "relu3_1"), ("relu2_1", "relu3_1")),
    "relu4_1": (("relu1_1", "relu2_1", "relu3_1", "relu4_1"), ("relu2_1", "relu3_1", "relu4_1")),
    "relu5_1": (("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"), ("relu2_1", "relu3_1", "relu4_1")),
}


def gflop_per_image(fn, *inputs: torch.Tensor) -> float:
    """Forward GFLOP of fn(*inputs), divided by the batch size."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        fn(*inputs)
    return counter.get_total_flops() / 1e9 / inputs[0].shape[0]


def median_ms(step, repeats: int, device: torch.device) -> float:
    """Median wall time of step() in ms after one warm-up call (synchronising on CUDA)."""
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else None
    return timed(step, repeats=repeats, sync=sync).median * 1e3


def bench_case(until: str, resize: int | None, args, device: torch.device) -> tuple[float, float, float]:
    """(GFLOP per image for one VGG pass, forward ms, forward + backward ms) for one configuration."""
    perceptual, style = CASES[until]
    loss = VGGLoss(vgg19_features(until), perceptual, None, style, resize=resize).to(device)
    fake = torch.rand(args.batch, 3, args.size, args.size, device=device) * 2 - 1
    real = torch.rand_like(fake) * 2 - 1
    flops = gflop_per_image(lambda x: loss._run(loss._prepare(x)), fake)

    def forward():
        with torch.no_grad():
            loss(fake, real)

    def forward_backward():
        leaf = fake.detach().requires_grad_(True)
        terms = loss(leaf, real)
        (terms["perceptual"] + terms["style"]).backward()

    return flops, median_ms(forward, args.repeats, device), median_ms(forward_backward, args.repeats, device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)

    unet = UNetGenerator().to(device).eval()
    lineart = torch.zeros(args.batch, 1, args.size, args.size, device=device)
    print(f"device {device}, batch {args.batch} x 3 x {args.size} x {args.size}, "
          f"{torch.get_num_threads()} CPU threads, median of {args.repeats}")
    with torch.no_grad():
        unet_ms = median_ms(lambda: unet(lineart), args.repeats, device)
    print(f"U-Net generator forward (eval, no grad): {gflop_per_image(unet, lineart):.1f} GFLOP/image, "
          f"{unet_ms:.0f} ms/batch")
    del unet
    print(f"{'until':8} {'resize':>6} {'GFLOP/img/pass':>15} {'fwd ms':>9} {'fwd+bwd ms':>11}")
    for until in CASES:
        for resize in (None, 128):
            flops, fwd, fwd_bwd = bench_case(until, resize, args, device)
            print(f"{until:8} {str(resize):>6} {flops:15.1f} {fwd:9.0f} {fwd_bwd:11.0f}", flush=True)


if __name__ == "__main__":
    main()
