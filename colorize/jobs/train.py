"""Training the colorizer: paired data from the user's clips + the pix2pix variant + the one Trainer.

    cfg = load_toml(TrainConfig, config_path("train_cpu"))   # a shipped config (resources.config_path)
    summary = train_colorizer(["clip1.mp4", "frames/"], "runs/mine", cfg, resume=False)

The `[data]`, `[model]`, `[trainer]` and `[reference]` tables of a training config map to
PairedDataConfig, Pix2PixConfig, TrainerConfig and ReferenceConfig; with `reference.enabled` the
generator also learns to follow a colour keyframe of the same shot (variants/reference.py). The
`[reference]` table holds keys of two owners, handed to each: sampling (data.reference.ReferenceSampling)
and the generator and its loss (gans.variants.reference.ReferenceModelConfig). Line-art is made with
the project's own stage and cached under RUN_DIR/cache unless data.cache_dir says otherwise.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Sequence

from torch import nn

from colorize.config import to_dict
from colorize.data.paired import PairedDataConfig, check_input, expand_clip_folders, prepare_pairs
from colorize.data.paired_dataset import PairedDataset
from colorize.data.reference import ReferencePairDataset, ReferenceSampling
from colorize.errors import ConfigError, InputError
from colorize.gans.run_folder import RESUME_SAFE_KEYS, check_start
from colorize.gans.trainer import Trainer, TrainerConfig
from colorize.gans.variant import DataInfo
from colorize.gans.variants.pix2pix import LossConfig, Pix2Pix, Pix2PixConfig
from colorize.gans.variants.reference import ReferenceModelConfig
from colorize.runtime import dist_info, seed_everything


# A resumed colorizer run may also change these: where the line-art cache lives (the same pairs) and
# where the (same) pretrained VGG19 is read from.
COLORIZER_RESUME_SAFE_KEYS = (*RESUME_SAFE_KEYS, "data.cache_dir", "model.loss.vgg_weights")


def _default_data() -> PairedDataConfig:
    # Every 2nd frame (neighbours are nearly identical); frames scaled to a 288 px short side so a
    # 256 px crop sees whole shapes, whatever the source resolution.
    return PairedDataConfig(every=2, scale=(0.8, 1.25), resize_short=288)


def _default_model() -> Pix2PixConfig:
    # The VGG sees 128 px frames: 4x cheaper than 256 (benchmarks/bench_train.py).
    return Pix2PixConfig(loss=LossConfig(vgg_resize=128))


def _default_trainer() -> TrainerConfig:
    return TrainerConfig(ema_decay=0.999)


@dataclasses.dataclass
class ReferenceConfig:
    """The `[reference]` table of a training config: train a reference-guided colorizer.

    enabled: train the reference-guided generator (False: plain pix2pix). Sampling keys (max_offset,
    dropout, hue_jitter; see ReferenceSampling) go to the dataset, the generator's keys (feature_channels,
    feature_stride) and the temporal loss weight (see ReferenceModelConfig) to the variant; one table
    for users, two owners in the code.
    """

    enabled: bool = False
    max_offset: int = 24
    dropout: float = 0.3
    hue_jitter: float = 0.5
    feature_channels: int = 64
    feature_stride: int = 4
    temporal: float = 0.0   # weight of the warp-consistency loss between neighbouring frames (0 = off)

    def __post_init__(self) -> None:
        self.sampling(), self.model()  # each owner checks its own keys

    def sampling(self) -> ReferenceSampling:
        """The dataset's part; neighbouring-frame pairs only when the temporal loss uses them."""
        return ReferenceSampling(self.max_offset, self.dropout, self.hue_jitter, pairs=self.temporal > 0)

    def model(self) -> ReferenceModelConfig:
        """The variant's part: the matching encoder and the temporal loss weight."""
        return ReferenceModelConfig(self.feature_channels, self.feature_stride, self.temporal)


@dataclasses.dataclass
class TrainConfig:
    """A colorizer training run: `[data]`, `[model]`, `[trainer]`, `[reference]` tables of the shipped train.toml.

    The defaults are exactly the shipped train.toml's (colorize/assets/configs/; tests/jobs/test_train.py
    checks it); a table given in part keeps these defaults for the keys it leaves out (config.from_dict).
    """

    data: PairedDataConfig = dataclasses.field(default_factory=_default_data)
    model: Pix2PixConfig = dataclasses.field(default_factory=_default_model)
    trainer: TrainerConfig = dataclasses.field(default_factory=_default_trainer)
    reference: ReferenceConfig = dataclasses.field(default_factory=ReferenceConfig)
    init: str = ""   # a generator file whose weights start the run (fine-tuning); "" = random weights

    def __post_init__(self):
        stride = 2 ** self.model.generator.depth
        if self.reference.enabled:
            stride = max(stride, self.reference.feature_stride)
        if self.data.crop % stride:
            raise ValueError(f"data.crop ({self.data.crop}) must be a multiple of the generator's stride "
                             f"2**depth = {stride}")


def _with_cache(cfg: TrainConfig, run_dir: Path) -> TrainConfig:
    if cfg.data.cache_dir is not None:
        return cfg
    data = dataclasses.replace(cfg.data, cache_dir=str(run_dir / "cache"))
    return dataclasses.replace(cfg, data=data)


def check_run_folder(run_dir: str | os.PathLike, cfg: TrainConfig, resume: bool) -> list[str]:
    """The run-folder rules (run_folder.check_start) for a colorizer run: a fresh run needs a folder
    without a run; a resume may change only COLORIZER_RESUME_SAFE_KEYS. Returns the keys it changes."""
    run_dir = Path(run_dir)
    return check_start(run_dir, to_dict(_with_cache(cfg, run_dir)), resume, COLORIZER_RESUME_SAFE_KEYS)


def build_datasets(inputs: Sequence[str | os.PathLike], cfg: TrainConfig) -> tuple[PairedDataset, PairedDataset]:
    """Prepare (and cache) pairs, then the train and validation datasets (split by time per clip).

    Under torchrun, rank 0 builds the cache first and the other ranks reuse it.
    """
    from colorize.runtime import barrier, init_distributed, resolve_device

    device = resolve_device(cfg.trainer.device)
    info = init_distributed(device)
    # a folder of clips (as `colorize clips` writes) is its clips; of pair folders, its pair folders
    inputs = expand_clip_folders(inputs, cfg.data.paired_folders)
    for path in inputs:  # on every rank, so a bad input fails everywhere instead of hanging a barrier
        check_input(path, cfg.data.paired_folders)
    if info.enabled and not info.is_main:
        barrier()  # wait for rank 0 to fill the cache
    index = prepare_pairs(inputs, cfg.data, device=device)
    if info.enabled and info.is_main:
        barrier()
    if cfg.reference.enabled:
        sampling = cfg.reference.sampling()
        train = ReferencePairDataset(index, "train", cfg.data, sampling)
        val = ReferencePairDataset(index, "val", cfg.data, sampling)
    else:
        train, val = PairedDataset(index, "train", cfg.data), PairedDataset(index, "val", cfg.data)
    if len(train) < cfg.trainer.batch_size * max(1, info.world_size):
        raise InputError(f"only {len(train)} training frames for a batch of {cfg.trainer.batch_size} per "
                         f"process: add clips, lower data.every or trainer.batch_size")
    return train, val


def build_colorizer_variant(cfg: TrainConfig, data: DataInfo, vgg: nn.Module | None = None) -> Pix2Pix:
    """pix2pix, or its reference-guided form when cfg.reference.enabled."""
    if cfg.reference.enabled:
        from colorize.gans.variants.reference import ReferencePix2Pix

        return ReferencePix2Pix(cfg.model, data, vgg=vgg, reference=cfg.reference.model())
    return Pix2Pix(cfg.model, data, vgg=vgg)


def train_colorizer(inputs: Sequence[str | os.PathLike], run_dir: str | os.PathLike, cfg: TrainConfig,
                    resume: bool = False, vgg: nn.Module | None = None) -> dict[str, Any]:
    """Train (or resume) a colorizer on `inputs` (videos and/or frame folders) into `run_dir`.

    `vgg` injects the perceptual network (tests); otherwise pretrained VGG19 is loaded when the
    perceptual or style weight is above zero. Returns the Trainer's summary.
    """
    run_dir = Path(run_dir)
    check_run_folder(run_dir, cfg, resume)  # before any work (the Trainer checks again, on every process)
    cfg = _with_cache(cfg, run_dir)
    data = DataInfo(channels=3, size=cfg.data.crop, extra={"lineart": to_dict(cfg.data.lineart)})
    seed_everything(cfg.trainer.seed)  # the initial weights are part of a reproducible run
    # The model first: a missing VGG should fail in seconds, before any line-art is drawn.
    variant = build_colorizer_variant(cfg, data, vgg)
    if cfg.init and not resume:  # a resume restores its own weights from last.pt
        init_generator(variant, cfg.init)
    train, val = build_datasets(inputs, cfg)
    trainer = Trainer(variant, train, run_dir, cfg.trainer, full_config=cfg, val_set=val,
                      resume_safe_keys=COLORIZER_RESUME_SAFE_KEYS)
    return trainer.fit(resume=resume)


def init_generator(variant: Pix2Pix, model: str | os.PathLike) -> None:
    """Start `variant`'s generator from the weights of the generator file `model` (fine-tuning).

    The file must hold the architecture the config builds (name and every constructor argument), so
    a fine-tune can never silently train something else; ConfigError names the differences.
    """
    from colorize.nets.files import load_generator

    net, meta = load_generator(model)
    wanted = variant.export_generator()[1]["architecture"]
    have = meta["architecture"]
    if have != wanted:
        keys = sorted(k for k in {*wanted.get("kwargs", {}), *have.get("kwargs", {})}
                      if wanted.get("kwargs", {}).get(k) != have.get("kwargs", {}).get(k))
        detail = f"{have.get('name')} vs {wanted.get('name')}" if have.get("name") != wanted.get("name") \
            else "differs in " + ", ".join(f"{k} ({have['kwargs'].get(k)} vs {wanted['kwargs'].get(k)})" for k in keys)
        raise ConfigError(f"init: {model} holds another generator than this config builds ({detail}); "
                          "set model.generator (and reference) to match it")
    variant.G.load_state_dict(net.state_dict())


def resolved_config_for_resume(run_dir: str | os.PathLike) -> dict[str, Any]:
    """The config a run was started with (RUN_DIR/config.json), for `--resume` without `--config`."""
    import json

    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise ConfigError(f"cannot resume: {path} not found (was the run started in that folder?)")
    return json.loads(path.read_text())


def is_main_process() -> bool:
    return dist_info().is_main
