"""Run under torchrun by test_trainer: train 4 steps data-parallel, then dump this rank's weights."""

import sys
from pathlib import Path

import torch

from colorize.gans.trainer import Trainer
from colorize.gans.variant import DataInfo
from colorize.gans.variants.pix2pix import Pix2Pix
from colorize.jobs.train import build_datasets
from colorize.runtime import dist_info
from tests.gans._tiny import tiny_config

frames, run = Path(sys.argv[1]), Path(sys.argv[2])
cfg = tiny_config(run.parent, steps=4)
cfg.model.generator.norm = "batch"  # BatchNorm buffers must be kept in sync across ranks too
train, val = build_datasets([frames], cfg)
variant = Pix2Pix(cfg.model, DataInfo())
Trainer(variant, train, run, cfg.trainer, full_config=cfg, val_set=val).fit()
torch.save(variant.state_dict(), run / f"rank{dist_info().rank}.pt")
