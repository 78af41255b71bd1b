"""Files shipped inside the package (colorize/assets/): the default model and the default configs.

    default_model_path()          # .../colorize/assets/model/generator.safetensors
    drawings_model_path()         # .../colorize/assets/drawings/generator.safetensors (line-art input)
    config_path("train_cpu")      # a shipped config by name, or any existing TOML file by path
    shipped_configs()             # ["gans/acgan", ..., "train", "train_cpu", "train_default_model"]

Found through importlib.resources, so they are where the package is: a source checkout, an editable
install or a wheel in site-packages alike (pyproject.toml lists them as package data). Wheels install
as plain files, so the paths are real files that OpenCV, safetensors and tomllib can open.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from colorize.errors import ConfigError


def assets_dir() -> Path:
    """colorize/assets/ of the imported package."""
    return Path(str(files("colorize") / "assets"))


def default_model_path() -> Path:
    """The model `colorize video` uses without --model: assets/model/generator.safetensors."""
    return assets_dir() / "model" / "generator.safetensors"


def drawings_model_path() -> Path:
    """The model for line-art input (`--lineart`) without --model: assets/drawings/generator.safetensors,
    the default model fine-tuned on artists' line-art on white paper (docs/cel.md)."""
    return assets_dir() / "drawings" / "generator.safetensors"


def configs_dir() -> Path:
    """assets/configs/: train.toml (every training default), presets, and gans/NAME.toml."""
    return assets_dir() / "configs"


def shipped_configs(folder: str = "") -> list[str]:
    """Names of the shipped configs (relative to configs/, no .toml), optionally only under `folder`."""
    root = configs_dir()
    return sorted(p.relative_to(root).with_suffix("").as_posix() for p in (root / folder).rglob("*.toml"))


def config_path(name_or_path: str | os.PathLike, folder: str = "") -> Path:
    """An existing TOML file, else the shipped config of that name (`train_cpu`, `gans/wgan`; with
    `folder="gans"` also plain `wgan`). ConfigError listing the shipped names when neither exists."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    stem = path.as_posix().removesuffix(".toml")
    for candidate in ([f"{folder}/{stem}"] if folder else []) + [stem]:
        shipped = configs_dir() / f"{candidate}.toml"
        if ".." not in Path(candidate).parts and shipped.is_file():
            return shipped
    names = ", ".join(shipped_configs(folder))
    raise ConfigError(f"config file not found: {path} (nor a shipped config of that name: {names})")
