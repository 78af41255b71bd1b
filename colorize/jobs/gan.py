"""GAN runs: the run config, its datasets, training on the Trainer, reloading, sampling and scoring.

This is what `colorize gan ...` and benchmarks/bench_gans.py call; the CLI only parses flags.

    cfg = load_run_config("wgan-gp", {"trainer.steps": 500})   # a shipped config, or a TOML file
    summary = train_run(cfg, "runs/wgan-gp")
    variant, cfg = load_run("runs/wgan-gp")                  # EMA weights when the run kept them
    scores = evaluate_variant(variant, cfg)                   # classifier FD, class accuracy, ...

Run config (TOML / config.json), strict: unknown keys are errors.
    variant = "wgan-gp"
    [model]    the variant's Config (defaults: the class's, then the registry preset's)
    [data]     source = "digits" | an image folder; source_b (cyclegan's second folder); size; channels
    [trainer]  colorize.gans.trainer.TrainerConfig; missing keys take the shipped gan.toml's GAN defaults
    [data_info] written at training time (channels, size, classes), so sampling needs no data
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, Literal

import torch
from torch.utils.data import Dataset

from colorize.config import from_dict, read_toml, set_dotted, to_dict
from colorize.errors import ConfigError, InputError
from colorize.gans.registry import build_variant, get_variant, resolve_model_config
from colorize.gans.trainer import Trainer, TrainerConfig
from colorize.gans.variant import DataInfo, Variant
from colorize.nets import files as ckpt
from colorize.resources import config_path

UNPAIRED_VARIANTS = ("cyclegan",)


@dataclasses.dataclass
class GanDataConfig:
    source: str = "digits"          # "digits" (built in, offline) or an image folder (class = subfolder)
    source_b: str | None = None     # cyclegan: the B folder (else source/A and source/B)
    size: int = 32                  # images are resized to size x size
    channels: int = 0               # 1 or 3; 0 = 1 for digits, 3 for folders
    digit_style: Literal["bold", "inverted"] = "bold"   # cyclegan on digits: what domain B looks like


@dataclasses.dataclass
class GanRunConfig:
    variant: str = "dcgan"
    model: dict[str, Any] = dataclasses.field(default_factory=dict)
    data: GanDataConfig = dataclasses.field(default_factory=GanDataConfig)
    trainer: TrainerConfig = dataclasses.field(default_factory=TrainerConfig)
    data_info: DataInfo | None = None


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        out[key] = _deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def run_config_from_dict(data: dict[str, Any]) -> GanRunConfig:
    """Strictly parse a run config (the shipped gan.toml's trainer defaults under the given keys);
    model options resolved."""
    cfg = from_dict(GanRunConfig, _deep_merge(read_toml(config_path("gan")), data))
    model = resolve_model_config(cfg.variant, cfg.model)  # unknown [model] keys fail here
    return dataclasses.replace(cfg, model=to_dict(model))


def load_run_config(path: str | os.PathLike | None, overrides: dict[str, Any] | None = None) -> GanRunConfig:
    """A run config from a TOML file or a shipped config's name (`wgan-gp`, see
    resources.config_path), or the defaults when None, with dotted CLI overrides applied."""
    data: dict[str, Any] = read_toml(config_path(path, folder="gans")) if path is not None else {}
    for dotted, value in (overrides or {}).items():
        if value is not None:  # keys are checked by the strict parse below
            set_dotted(data, dotted, value, create=True)
    return run_config_from_dict(data)


def build_dataset(cfg: GanRunConfig, split: str = "train") -> tuple[Dataset, DataInfo]:
    """The run's training set (digits `split`, or the whole folder) and what the variant must know."""
    from colorize.data.digits import DigitsDataset, UnpairedDigits

    data = cfg.data
    unpaired = cfg.variant in UNPAIRED_VARIANTS
    if data.source == "digits":
        if data.channels not in (0, 1):
            raise ConfigError("digits are greyscale: data.channels must be 1 (or 0 for automatic)")
        ds = UnpairedDigits(data.size, split, data.digit_style) if unpaired else DigitsDataset(data.size, split)
        return ds, DataInfo(channels=1, size=data.size, num_classes=0 if unpaired else 10)
    from colorize.data.folders import ImageFolderDataset, UnpairedFolders, unpaired_roots

    channels = data.channels or 3
    if unpaired:
        ds = UnpairedFolders(*unpaired_roots(data.source, data.source_b), data.size, channels)
        return ds, DataInfo(channels=channels, size=data.size, num_classes=0)
    ds = ImageFolderDataset(data.source, data.size, channels)
    return ds, DataInfo(channels=channels, size=data.size, num_classes=ds.num_classes)


def train_run(cfg: GanRunConfig, run_dir: str | os.PathLike, resume: bool = False) -> dict[str, Any]:
    """Train `cfg` into `run_dir` on the shared Trainer; returns the Trainer's summary."""
    dataset, info = build_dataset(cfg, "train")
    cfg = dataclasses.replace(cfg, data_info=info)
    variant = build_variant(cfg.variant, cfg.model, info)
    trainer = Trainer(variant, dataset, run_dir, cfg.trainer, full_config=cfg)
    return trainer.fit(resume=resume)


def load_run(run_dir: str | os.PathLike, device: torch.device | str = "cpu", checkpoint: str = "last",
             use_ema: bool = True) -> tuple[Variant, GanRunConfig]:
    """Rebuild a trained variant from RUN/config.json and RUN/<checkpoint>.pt (weights_only loading).

    The generator gets the EMA weights when the run kept them and `use_ema`. Eval mode, on `device`.
    """
    run_dir = Path(run_dir)
    config_path = run_dir / "config.json"
    if not config_path.is_file():
        raise InputError(f"{run_dir} is not a GAN run folder (no config.json)")
    try:
        raw = json.loads(config_path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{config_path} is not valid JSON ({exc.msg})") from None
    cfg = run_config_from_dict(raw)
    if cfg.data_info is None:
        raise InputError(f"{config_path} has no data_info section (was it written by `colorize gan train`?)")
    state = ckpt.load_checkpoint(run_dir / f"{checkpoint}.pt", map_location="cpu")
    if state.get("variant") != cfg.variant:
        raise InputError(f"{run_dir / (checkpoint + '.pt')} holds variant {state.get('variant')!r}, "
                         f"but config.json says {cfg.variant!r}")
    variant = build_variant(cfg.variant, cfg.model, cfg.data_info)
    try:
        variant.load_state_dict(state["model"])
        if use_ema and state.get("ema") is not None and variant.ema_module() is not None:
            variant.ema_module().load_state_dict(state["ema"])
    except RuntimeError as exc:
        raise InputError(f"{run_dir}: checkpoint does not fit its config ({str(exc).splitlines()[0][:160]})") from None
    return variant.to(device).eval(), cfg


def is_conditional(variant: Variant) -> bool:
    """True when `sample(n, labels)` draws the given classes (cgan, acgan)."""
    return bool(getattr(variant, "num_classes", 0))


def has_codes(variant: Variant) -> bool:
    """True for InfoGAN, whose `labels` address an unsupervised categorical code."""
    return get_variant(variant.name).__name__ == "InfoGAN"


# ----------------------------------------------------------------------------- evaluation
def _digits_classifier(size: int):
    """The digits classifier (trained on plain + bold training digits), cached per size."""
    from colorize.data.digits import DigitsDataset, stylize_digits
    from colorize.metrics.classifier import cache_dir, load_or_train_classifier

    train = DigitsDataset(size, "train")
    images = torch.cat([train.images, stylize_digits(train.images, "bold")])
    labels = torch.cat([train.labels, train.labels])
    return load_or_train_classifier(images, labels, 10, cache_dir() / f"digits-classifier-{size}px.safetensors")


def _folder_classifier(dataset, run_dir: Path, limit: int = 4000):
    """A classifier of the folder's classes (first `limit` images), cached in the run folder."""
    from colorize.metrics.classifier import load_or_train_classifier

    n = min(len(dataset), limit)
    images = torch.stack([dataset[i][0] for i in range(n)])
    labels = torch.tensor([dataset[i][1] for i in range(n)])
    return load_or_train_classifier(images, labels, dataset.num_classes, run_dir / "classifier.safetensors"), images


def _reference_images(cfg: GanRunConfig, run_dir: Path | None):
    """(classifier or None, real images in [-1, 1] or None) samples are compared with: held-out digits,
    or the class folders' own images (their classifier is cached in the run folder)."""
    from colorize.data.digits import DigitsDataset, UnpairedDigits

    size = cfg.data.size
    if cfg.data.source == "digits":
        net = _digits_classifier(size)
        if cfg.variant in UNPAIRED_VARIANTS:
            test = UnpairedDigits(size, "test", cfg.data.digit_style)
            return net, test.b
        return net, DigitsDataset(size, "test").images
    dataset, info = build_dataset(cfg, "train")
    if cfg.variant in UNPAIRED_VARIANTS or info.num_classes < 2 or run_dir is None:
        return None, None
    net, images = _folder_classifier(dataset, run_dir)
    return net, images


def _dataset_images(cfg: GanRunConfig, n: int) -> torch.Tensor:
    """Up to n training images in [-1, 1] (cyclegan: of domain B)."""
    dataset, _ = build_dataset(cfg, "train")
    item = 1 if cfg.variant in UNPAIRED_VARIANTS else 0
    return torch.stack([dataset[i][item] for i in range(min(n, len(dataset)))])


def translation_sources(cfg: GanRunConfig, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Domain-A images a cyclegan run is shown: the held-out digits (all, with their labels), or the
    first n images of the A folder (no labels)."""
    if cfg.data.source == "digits":
        from colorize.data.digits import UnpairedDigits

        test = UnpairedDigits(cfg.data.size, "test", cfg.data.digit_style)
        return test.a, test.labels_a
    dataset, _ = build_dataset(cfg, "train")
    return torch.stack([dataset[i][0] for i in range(min(n, len(dataset)))]), None


@torch.no_grad()
def generate_for_eval(variant: Variant, cfg: GanRunConfig, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """n samples in [-1, 1] (cyclegan: its A -> B translations of the test digits) and the labels
    they were asked for (classes cycling 0..K-1; InfoGAN: categorical codes), or None."""
    if cfg.variant in UNPAIRED_VARIANTS:
        sources, labels = translation_sources(cfg, n)
        return torch.cat([variant.translate(sources[i:i + 256]).cpu() for i in range(0, len(sources), 256)]), labels
    k = variant.num_classes or (variant.cfg.n_cat if has_codes(variant) else 0)
    labels = torch.arange(n) % k if k else None
    return variant.sample(n, labels).cpu() * 2.0 - 1.0, labels


def evaluate_variant(variant: Variant, cfg: GanRunConfig, n: int = 1000, run_dir: str | os.PathLike | None = None,
                     inception_weights: str | os.PathLike | None = None, inception: bool = False) -> dict[str, Any]:
    """Offline scores of a trained variant; Inception FID only when asked (`inception` or weights given).

    classifier_fd:  Fréchet distance to held-out real images in the project classifier's feature space
    class_accuracy: conditional variants: fraction of samples classified as the class asked for
    code_accuracy:  InfoGAN: accuracy under the best code -> class matching (unsupervised)
    label_kept:     cyclegan: fraction of translated digits still classified as their source digit
    real_fd:        the same distance between real training and held-out images (the noise floor)
    """
    from colorize.metrics import classifier as clf_metrics
    from colorize.metrics.fid import fid, inception_extractor

    run_dir = Path(run_dir) if run_dir is not None else None
    # Inception first: when its weights are unavailable this fails in a moment, before any sampling.
    extract = (inception_extractor(inception_weights, device=variant.device)
               if inception or inception_weights is not None else None)
    net, real = _reference_images(cfg, run_dir)
    fake, asked = generate_for_eval(variant, cfg, n)
    scores: dict[str, Any] = {"samples": len(fake)}
    if net is not None:
        scores["classifier_fd"] = clf_metrics.classifier_fd(net, real, fake)
        if cfg.data.source == "digits" and cfg.variant not in UNPAIRED_VARIANTS:
            from colorize.data.digits import DigitsDataset

            scores["real_fd"] = clf_metrics.classifier_fd(net, DigitsDataset(cfg.data.size, "train").images, real)
        if asked is not None and cfg.variant in UNPAIRED_VARIANTS:
            scores["label_kept"] = clf_metrics.class_accuracy(net, fake, asked)
        elif asked is not None and has_codes(variant):
            scores["code_accuracy"] = clf_metrics.best_match_accuracy(net, fake, asked, net.num_classes)
        elif asked is not None:
            scores["class_accuracy"] = clf_metrics.class_accuracy(net, fake, asked)
    if extract is not None:
        reference = real if real is not None else _dataset_images(cfg, n)
        scores["fid"] = fid((reference + 1) * 0.5, (fake + 1) * 0.5, extract)
    return scores
