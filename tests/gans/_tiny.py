"""Tiny colorizer configs and toon data shared by the gans tests (64 px, a few dozen steps on CPU)."""

from __future__ import annotations

from pathlib import Path

from colorize.config import from_dict
from colorize.data.toon import ToonConfig, write_toon_frames
from colorize.jobs.train import TrainConfig


def tiny_config(tmp: Path, steps: int = 8, **trainer) -> TrainConfig:
    """A 64 px U-Net (depth 4, width 16) vs a 2-layer PatchGAN, L1-heavy, no VGG, no workers."""
    return from_dict(TrainConfig, {
        "data": {"crop": 64, "scale": [1.0, 1.0], "val_fraction": 0.2, "cache_dir": str(tmp / "cache"),
                 "every": 1, "resize_short": None},
        "model": {"generator": {"depth": 4, "base_channels": 16, "dropout": 0.0, "dropout_layers": 0,
                                "norm": "instance"},
                  "discriminator": {"base_channels": 16, "n_layers": 2},
                  "loss": {"perceptual": 0.0, "style": 0.0},
                  "optim": {"lr_g": 1e-3, "lr_d": 1e-3}},
        "trainer": {"steps": steps, "batch_size": 4, "num_workers": 0, "sample_every": 1000,
                    "checkpoint_every": 1000, "log_every": 2, "lr_decay_start": 1.0, **trainer},
    })


def toon_frames(tmp: Path, n_frames: int = 30, seed: int = 3) -> Path:
    """A folder of 96 x 64 generated toon frames."""
    folder = tmp / f"toon_{seed}"
    if not folder.is_dir():
        write_toon_frames(folder, ToonConfig(width=96, height=64, n_frames=n_frames, seed=seed))
    return folder
