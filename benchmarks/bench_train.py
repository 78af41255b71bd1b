"""Training throughput of the colorizer: images/s at 256 x 256 with the default config (the shipped train.toml).

    python benchmarks/bench_train.py                 # CPU (and CUDA bf16 on/off when a GPU is present)
    python benchmarks/bench_train.py --steps 5 --device cpu --no-vgg

The VGG19 of the perceptual loss is randomly initialised here (the same cost as the pretrained one:
weights do not change FLOPs), so the benchmark runs offline. Data come from a generated toon clip
cached in a temporary folder; timing starts after warm-up steps, so it measures the step, not the
line-art cache or first-call overheads. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import torch

from colorize.config import load_toml, override
from colorize.data.toon import ToonConfig, write_toon_frames
from colorize.jobs.train import TrainConfig, build_datasets
from colorize.gans.losses.perceptual import deepest_layer, vgg19_features
from colorize.gans.trainer import Trainer
from colorize.gans.variant import DataInfo
from colorize.gans.variants.pix2pix import Pix2Pix
from colorize.progress import set_quiet
from colorize.resources import config_path



def measure(cfg: TrainConfig, frames: Path, run: Path, warmup: int, steps: int) -> float:
    """Images per second over `steps` timed steps after `warmup` untimed ones."""
    loss = cfg.model.loss
    vgg = None
    if loss.uses_vgg:
        layers = [*(loss.perceptual_layers if loss.perceptual else ()), *(loss.style_layers if loss.style else ())]
        vgg = vgg19_features(until=deepest_layer(layers))
    train, val = build_datasets([frames], cfg)
    variant = Pix2Pix(cfg.model, DataInfo(), vgg=vgg)
    timed = {}

    def clock(total):
        trainer_cfg = dataclasses.replace(cfg.trainer, steps=total, sample_every=10**9, checkpoint_every=10**9,
                                          log_every=10**9)
        trainer = Trainer(variant, train, run, trainer_cfg, full_config=cfg)
        if trainer.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        trainer.fit()
        if trainer.device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    clock(warmup)
    timed["seconds"] = clock(steps)
    return steps * cfg.trainer.batch_size / timed["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cpu, plus cuda if present)")
    parser.add_argument("--no-vgg", action="store_true", help="perceptual/style terms off")
    args = parser.parse_args()
    set_quiet(True)
    devices = [args.device] if args.device else ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    base = load_toml(TrainConfig, config_path("train"))
    if args.no_vgg:
        base = override(base, {"model.loss.perceptual": 0.0, "model.loss.style": 0.0})
    print(f"pix2pix default config: U-Net depth {base.model.generator.depth}, {base.data.crop}^2 crops, "
          f"batch {base.trainer.batch_size}, VGG perceptual {'off' if not base.model.loss.uses_vgg else 'on'}"
          f" (resize {base.model.loss.vgg_resize})")
    print(f"{'device':8} {'precision':9} {'images/s':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        frames = tmp / "frames"
        write_toon_frames(frames, ToonConfig(width=320, height=288, n_frames=24, seed=1, palette="by_kind"))
        for device in devices:
            precisions = ["fp32"] if device == "cpu" else ["fp32", "bf16"]
            for precision in precisions:
                cfg = override(base, {"trainer.device": device, "trainer.precision": precision,
                                      "trainer.num_workers": 2, "data.cache_dir": str(tmp / "cache"),
                                      "data.resize_short": None, "data.every": 1})
                rate = measure(cfg, frames, tmp / f"run_{device}_{precision}", args.warmup, args.steps)
                print(f"{device:8} {precision:9} {rate:9.2f}")


if __name__ == "__main__":
    main()
