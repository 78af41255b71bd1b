"""The colorizer's training config: its defaults are the shipped train.toml, and the CPU preset is small."""

from __future__ import annotations

from pathlib import Path

import pytest

from colorize.config import from_dict, load_toml, read_toml, to_dict
from colorize.gans.variants.pix2pix import Pix2Pix
from colorize.data.reference import ReferenceSampling
from colorize.gans.variants.reference import ReferenceModelConfig
from colorize.jobs.train import ReferenceConfig, TrainConfig
from colorize.resources import configs_dir

PIPELINES = configs_dir()  # the shipped configs (colorize/assets/configs/)


def _flat(data: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_train_config_defaults_are_the_shipped_train_toml():
    assert to_dict(TrainConfig()) == to_dict(load_toml(TrainConfig, PIPELINES / "train.toml"))


def test_train_toml_writes_out_every_default():
    written = _flat(read_toml(PIPELINES / "train.toml"))
    defaults = {k: v for k, v in _flat(to_dict(TrainConfig())).items() if v is not None}  # TOML has no null
    assert sorted(set(defaults) - set(written)) == []


def test_a_partial_table_keeps_the_colorizer_defaults():
    cfg = from_dict(TrainConfig, {"trainer": {"steps": 10}, "model": {"loss": {"l1": 50.0}}})
    assert cfg.trainer.ema_decay == TrainConfig().trainer.ema_decay == 0.999
    assert cfg.model.loss.vgg_resize == 128 and cfg.model.loss.l1 == 50.0


def test_cpu_preset_is_small_and_needs_no_vgg():
    cfg = load_toml(TrainConfig, PIPELINES / "train_cpu.toml")
    assert not cfg.model.loss.uses_vgg
    assert 96 <= cfg.data.crop <= 128 and cfg.data.resize_short == 0
    weights = sum(p.numel() for p in Pix2Pix(cfg.model).G.parameters())
    assert weights < 3_000_000, weights


def test_the_reference_table_feeds_the_sampling_and_the_variant_their_own_keys():
    ref = ReferenceConfig(enabled=True, max_offset=5, dropout=0.1, hue_jitter=0.2, feature_channels=16,
                          feature_stride=8, temporal=0.5)
    assert ref.sampling() == ReferenceSampling(max_offset=5, dropout=0.1, hue_jitter=0.2, pairs=True)
    assert ref.model() == ReferenceModelConfig(feature_channels=16, feature_stride=8, temporal=0.5)
    assert ReferenceConfig(temporal=0.0).sampling().pairs is False  # no neighbour pairs without the loss
    for bad in ({"max_offset": 0}, {"dropout": 1.5}, {"temporal": -1.0}):
        with pytest.raises(ValueError):
            ReferenceConfig(**bad)
