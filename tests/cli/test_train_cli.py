"""`colorize train` as a user runs it: tiny config, resume, and the offline VGG message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from colorize.cli import cli, main
from tests.gans._tiny import toon_frames

TINY = """
[data]
crop = 64
scale = [1.0, 1.0]
every = 1
resize_short = 0
[model.generator]
depth = 4
base_channels = 8
dropout_layers = 1
[model.discriminator]
base_channels = 8
n_layers = 2
[model.loss]
perceptual = 0.0
[trainer]
steps = 4
batch_size = 4
num_workers = 0
sample_every = 2
checkpoint_every = 2
"""


def _run(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.mark.slow
def test_train_then_resume_to_more_steps(tmp_path, capsys):
    frames = toon_frames(tmp_path)
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    run = tmp_path / "run"
    code, out, err = _run(["-q", "train", str(frames), "--out", str(run), "--config", str(config)], capsys)
    assert code == 0, err
    assert "trained to step 4" in out
    assert json.loads((run / "config.json").read_text())["trainer"]["steps"] == 4

    code, out, err = _run(["-q", "train", str(frames), "--out", str(run), "--resume", "--steps", "6"], capsys)
    assert code == 0, err
    assert "trained to step 6" in out
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(steps) and steps[-1] == 6


def test_train_reference_flag_makes_a_keyframe_model(tmp_path, capsys):
    from colorize.nets.files import load_generator

    frames = toon_frames(tmp_path)
    config = tmp_path / "tiny.toml"
    config.write_text(TINY + "[reference]\nfeature_channels = 16\n")
    run = tmp_path / "run"
    code, out, err = _run(["-q", "train", str(frames), "--out", str(run), "--config", str(config),
                           "--reference", "--steps", "2"], capsys)
    assert code == 0, err
    net, meta = load_generator(run / "generator.safetensors")
    assert meta["architecture"]["name"] == "reference_unet" and meta["takes_reference"]
    assert json.loads((run / "config.json").read_text())["reference"]["enabled"] is True


def test_missing_vgg_weights_is_one_line_and_no_work_is_done(tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    frames = toon_frames(tmp_path)
    config = tmp_path / "tiny.toml"
    config.write_text(TINY.replace("perceptual = 0.0", "perceptual = 1.0"))
    code, _, err = _run(["-q", "train", str(frames), "--out", str(tmp_path / "run"), "--config", str(config)],
                        capsys)
    assert code == 1
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "--vgg-weights" in lines[0] and "--no-vgg" in lines[0]
    assert not (tmp_path / "run").exists()


def test_unknown_config_key_is_a_usage_error(tmp_path, capsys):
    config = tmp_path / "bad.toml"
    config.write_text("[trainer]\nstepz = 3\n")
    code, _, err = _run(["train", str(tmp_path), "--out", str(tmp_path / "run"), "--config", str(config)], capsys)
    assert code == 2
    assert "unknown config key trainer.stepz" in err


def test_a_config_name_that_is_neither_a_file_nor_shipped_lists_the_shipped_ones(tmp_path, capsys):
    code, _, err = _run(["train", str(tmp_path), "--out", str(tmp_path / "run"), "--config", "train_gpu"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "config file not found: train_gpu" in err and "train_cpu" in err
    assert not (tmp_path / "run").exists()


def test_a_shipped_config_name_is_the_same_as_its_file(monkeypatch):
    from colorize.cli.train import _load_config
    from colorize.config import load_toml, to_dict
    from colorize.jobs.train import TrainConfig
    from colorize.resources import configs_dir

    cfg, saved = _load_config("train_cpu", Path("unused"), resume=False)
    assert saved is None and to_dict(cfg) == to_dict(load_toml(TrainConfig, configs_dir() / "train_cpu.toml"))
    default, _ = _load_config(None, Path("unused"), resume=False)
    assert to_dict(default) == to_dict(TrainConfig())  # no --config: the shipped train.toml = the defaults


def _tiny_run(tmp_path, capsys, *extra):
    frames = toon_frames(tmp_path)
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    run = tmp_path / "run"
    code, out, err = _run(["-q", "train", str(frames), "--out", str(run), "--config", str(config), *extra], capsys)
    assert code == 0, err
    return frames, config, run


def test_set_overrides_typed_keys_and_refuses_unknown_ones(tmp_path, capsys):
    frames, _, run = _tiny_run(tmp_path, capsys, "--set", "trainer.steps=2", "--set", "model.loss.l1=50",
                               "--set", "data.scale=[0.9, 1.1]")
    saved = json.loads((run / "config.json").read_text())
    assert saved["trainer"]["steps"] == 2 and saved["model"]["loss"]["l1"] == 50.0
    assert saved["data"]["scale"] == [0.9, 1.1]
    for bad, message in [("trainer.stepz=3", "unknown config key trainer.stepz"),
                         ("trainer.steps=many", "trainer.steps: expected a whole number, got 'many'"),
                         ("trainer.steps", "--set expects KEY=VALUE")]:
        code, _, err = _run(["train", str(frames), "--out", str(tmp_path / "other"), "--set", bad], capsys)
        assert code == 2 and message in err and "Traceback" not in err, err
        assert not (tmp_path / "other").exists()


def test_fresh_run_into_a_run_folder_is_refused(tmp_path, capsys):
    frames, config, run = _tiny_run(tmp_path, capsys, "--steps", "2")
    log = (run / "metrics.jsonl").read_text()
    code, _, err = _run(["train", str(frames), "--out", str(run), "--config", str(config)], capsys)
    assert code == 1 and "Traceback" not in err
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "already holds a training run; pass --resume" in errors[0]
    assert (run / "metrics.jsonl").read_text() == log


def test_resume_keeps_the_saved_config_and_refuses_changes(tmp_path, capsys):
    frames, config, run = _tiny_run(tmp_path, capsys, "--steps", "2")
    code, _, err = _run(["train", str(frames), "--out", str(run), "--resume", "--set", "model.loss.l1=5",
                         "--set", "trainer.ema_decay=0.5"], capsys)
    assert code == 2 and "Traceback" not in err
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "model.loss.l1, trainer.ema_decay differ" in errors[0]
    config.write_text(TINY.replace("crop = 64", "crop = 32"))  # --config on resume must match the run too
    code, _, err = _run(["train", str(frames), "--out", str(run), "--resume", "--config", str(config)], capsys)
    assert code == 2 and "data.crop" in err
    code, out, err = _run(["train", str(frames), "--out", str(run), "--resume", "--steps", "3"], capsys)
    assert code == 0, err
    assert f"resuming {run} with its saved config ({run / 'config.json'}); changed: trainer.steps 2 -> 3" in err
    assert json.loads((run / "config.json").read_text())["trainer"]["steps"] == 3


def test_train_help_lists_the_keys_a_resume_may_change():
    from colorize.jobs.train import COLORIZER_RESUME_SAFE_KEYS

    result = CliRunner().invoke(cli, ["train", "--help"], terminal_width=400)
    text = " ".join(result.output.split())
    for key in COLORIZER_RESUME_SAFE_KEYS:
        assert key in text, key
    assert "--config train_cpu" in text and "--set" in text


@pytest.mark.parametrize("command", [[], ["extract"], ["lineart"], ["assemble"], ["run"], ["train"],
                                     ["evaluate"], ["video"], ["frames"], ["export"], ["gan"]])
def test_every_command_has_help(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_init_starts_from_a_model_files_weights_and_refuses_another_architecture(tmp_path, capsys):
    import torch

    from colorize.nets.files import load_generator

    frames, config, run = _tiny_run(tmp_path, capsys)
    source = run / "generator.safetensors"
    code, _, err = _run(["-q", "train", str(frames), "--out", str(tmp_path / "tuned"), "--config", str(config),
                         "--init", str(source), "--set", "trainer.steps=1", "--set", "model.optim.lr_g=0"], capsys)
    assert code == 0, err
    assert json.loads((tmp_path / "tuned" / "config.json").read_text())["init"] == str(source)
    before, _ = load_generator(source)
    after, _ = load_generator(tmp_path / "tuned" / "generator.safetensors")
    conv = lambda net: next(v for k, v in net.state_dict().items() if k.endswith("weight"))
    assert torch.equal(conv(before), conv(after))  # lr 0: the weights it started from, unchanged

    code, _, err = _run(["train", str(frames), "--out", str(tmp_path / "other"), "--config", str(config),
                         "--init", str(source), "--set", "model.generator.base_channels=16"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "holds another generator" in err and "base_channels (8 vs 16)" in err
    assert not (tmp_path / "other" / "last.pt").exists()
