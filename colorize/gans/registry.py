"""The explicit registry of GAN variants: name -> "module:Class", imported only when asked for.

Explicit on purpose: a variant is found by the name written here, not by file-name magic, and a
config can only ever instantiate a class listed below.

Some names are presets: the same class with other default options (lsgan, wgan and wgan-gp are
DCGAN with another objective, penalty and optimizer). A config's `[model]` table is applied on top
of the preset's options, and the built variant reports the preset's name (checkpoints record it).

    cls = get_variant("wgan-gp")                            # DCGAN
    variant = build_variant("wgan-gp", {"z_dim": 32}, DataInfo(channels=1, size=32))
"""

from __future__ import annotations

import importlib
from typing import Any

from colorize.config import from_dict
from colorize.errors import ConfigError
from colorize.gans.variant import DataInfo, Variant

VARIANTS: dict[str, str] = {
    "pix2pix": "colorize.gans.variants.pix2pix:Pix2Pix",
    "pix2pix-ref": "colorize.gans.variants.reference:ReferencePix2Pix",
    "dcgan": "colorize.gans.variants.dcgan:DCGAN",
    "lsgan": "colorize.gans.variants.dcgan:DCGAN",
    "wgan": "colorize.gans.variants.dcgan:DCGAN",
    "wgan-gp": "colorize.gans.variants.dcgan:DCGAN",
    "cgan": "colorize.gans.variants.cgan:CGAN",
    "acgan": "colorize.gans.variants.acgan:ACGAN",
    "infogan": "colorize.gans.variants.infogan:InfoGAN",
    "began": "colorize.gans.variants.began:BEGAN",
    "cyclegan": "colorize.gans.variants.cyclegan:CycleGAN",
}

# name -> default option overrides of its class's Config (before the user's [model] table).
PRESETS: dict[str, dict[str, Any]] = {
    "lsgan": {"loss": "lsgan"},
    # Arjovsky et al. 2017: clipping 0.01, RMSProp 5e-5, 5 critic updates per generator update.
    "wgan": {"loss": "wasserstein", "clip": 0.01, "optimizer": "rmsprop", "lr_g": 5e-5, "lr_d": 5e-5,
             "n_critic": 5},
    # Gulrajani et al. 2017: penalty 10, Adam(1e-4, 0, 0.9), 5 critic updates, no BatchNorm in the critic
    # (the penalty is per sample; batch statistics would couple the samples).
    "wgan-gp": {"loss": "wasserstein", "penalty": "gp", "penalty_weight": 10.0, "optimizer": "adam",
                "lr_g": 1e-4, "lr_d": 1e-4, "betas": [0.0, 0.9], "n_critic": 5, "d_norm": "none"},
}

DESCRIPTIONS: dict[str, str] = {
    "pix2pix": "the line-art colorizer: U-Net generator + PatchGAN, L1 + adversarial",
    "pix2pix-ref": "the colorizer guided by a colour keyframe of the same shot (attention on line-art)",
    "dcgan": "unconditional DCGAN, BCE-with-logits loss",
    "lsgan": "DCGAN with the least-squares loss",
    "wgan": "Wasserstein critic with weight clipping, RMSProp, n_critic 5",
    "wgan-gp": "Wasserstein critic with gradient penalty, Adam(0, 0.9), n_critic 5",
    "cgan": "class-conditional G (label embedding) and projection D",
    "acgan": "class-conditional G, D with an auxiliary classifier head",
    "infogan": "categorical + continuous latent codes recovered by a Q head",
    "began": "autoencoder discriminator with k_t balance control and M_global",
    "cyclegan": "two generators between two unpaired folders; cycle + identity losses",
}


def register_variant(name: str, target: str, preset: dict[str, Any] | None = None) -> None:
    """Add a variant ("module:Class") under `name`, e.g. from a plug-in or a test."""
    VARIANTS[name] = target
    if preset:
        PRESETS[name] = dict(preset)


def list_variants() -> list[str]:
    return sorted(VARIANTS)


def get_variant(name: str) -> type[Variant]:
    """The Variant class registered as `name`; ConfigError listing the known names otherwise."""
    try:
        target = VARIANTS[name]
    except KeyError:
        raise ConfigError(f"unknown GAN variant {name!r} (known: {', '.join(list_variants())})") from None
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Variant)):
        raise TypeError(f"{target} is not a Variant subclass")
    return cls


def resolve_model_config(name: str, options: dict[str, Any] | None = None) -> Any:
    """The variant's Config: class defaults, then the preset's overrides, then `options` (strict)."""
    cls = get_variant(name)
    merged = {**PRESETS.get(name, {}), **(options or {})}
    return from_dict(cls.Config, merged, "model")


def build_variant(name: str, options: dict[str, Any] | Any, data: DataInfo) -> Variant:
    """Instantiate variant `name` for `data`; `options` is a [model] dict or an already resolved Config."""
    cls = get_variant(name)
    cfg = options if isinstance(options, cls.Config) else resolve_model_config(name, options)
    try:
        variant = cls(cfg, data)
    except ValueError as exc:
        raise ConfigError(f"model: {exc}") from None
    variant.name = name  # presets share a class; checkpoints record the preset's name
    return variant


def describe(name: str) -> str:
    """One line for `colorize gan list`."""
    return DESCRIPTIONS.get(name, "")


__all__ = ["VARIANTS", "PRESETS", "register_variant", "list_variants", "get_variant",
           "resolve_model_config", "build_variant", "describe"]
