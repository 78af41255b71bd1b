"""`colorize train` as a user runs it: tiny config, resume, and the offline VGG message."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from colorize.cli import cli, main
from tests.gans._tiny import toon_frames

TINY = """
[data]
crop = 64
scale = [1.0, 1.0]
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
    from colorize.gans.checkpoint import load_generator

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


@pytest.mark.parametrize("command", [[], ["extract"], ["lineart"], ["assemble"], ["run"], ["train"],
                                     ["evaluate"], ["video"], ["frames"], ["export"], ["gan"]])
def test_every_command_has_help(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
