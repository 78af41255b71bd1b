"""colorize.resources: the default model and the default configs ship inside the package."""

from __future__ import annotations

from pathlib import Path

import pytest

import colorize
from colorize import resources
from colorize.config import load_toml, read_toml
from colorize.errors import ConfigError
from colorize.jobs.gan import load_run_config
from colorize.jobs.train import TrainConfig
from colorize.nets.files import load_generator


def test_assets_live_inside_the_imported_package():
    package = Path(colorize.__file__).resolve().parent
    assert resources.assets_dir().resolve() == package / "assets"
    assert resources.default_model_path().is_file()


def test_the_default_model_loads_and_carries_its_config():
    net, meta = load_generator(resources.default_model_path())
    assert meta["architecture"]["name"] and (resources.default_model_path().parent / "config.json").is_file()


def test_samples_model_is_a_relative_link_to_the_shipped_model():
    link = Path(colorize.__file__).resolve().parents[1] / "samples" / "model"
    assert link.is_symlink() and not Path(link.readlink()).is_absolute()
    assert link.resolve() == resources.default_model_path().parent.resolve()


def test_shipped_configs_are_listed_by_name():
    names = resources.shipped_configs()
    assert {"train", "train_cpu", "train_default_model", "gan", "gans/wgan-gp", "gans/cyclegan"} <= set(names)
    assert resources.shipped_configs("gans") == [n for n in names if n.startswith("gans/")]


@pytest.mark.parametrize("name", [n for n in resources.shipped_configs() if n.startswith("train")])
def test_every_shipped_training_config_loads_strictly(name):
    load_toml(TrainConfig, resources.config_path(name))


@pytest.mark.parametrize("name", resources.shipped_configs("gans"))
def test_every_shipped_gan_config_loads_strictly(name):
    cfg = load_run_config(name)  # strict: the variant's [model] keys and the trainer keys are all known
    shipped = read_toml(resources.config_path(name)).get("trainer", {})
    assert cfg.trainer.log_every == shipped.get("log_every", read_toml(resources.config_path("gan"))["trainer"]["log_every"])


def test_config_path_prefers_an_existing_file_then_a_shipped_name(tmp_path, monkeypatch):
    own = tmp_path / "train_cpu.toml"
    own.write_text("[trainer]\nsteps = 5\n")
    assert resources.config_path(own) == own
    monkeypatch.chdir(tmp_path)
    assert resources.config_path("train_cpu.toml") == Path("train_cpu.toml")   # the file here wins
    monkeypatch.chdir(Path(colorize.__file__).parent)
    assert resources.config_path("train_cpu") == resources.configs_dir() / "train_cpu.toml"
    assert resources.config_path("wgan", folder="gans") == resources.configs_dir() / "gans" / "wgan.toml"


def test_an_unknown_config_name_lists_the_shipped_ones(tmp_path):
    with pytest.raises(ConfigError, match=r"config file not found: .*nope.*train_cpu"):
        resources.config_path(tmp_path / "nope")
    with pytest.raises(ConfigError, match="not found"):
        resources.config_path("../configs/train")  # no climbing out of the shipped folder
