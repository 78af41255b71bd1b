"""`colorize gan list|train|sample|interpolate|evaluate` end to end on tiny digits runs."""

from __future__ import annotations

import json

import pytest
import torch

from colorize.cli import main
from colorize.images import read_rgb

TINY = ["--size", "16", "--batch-size", "10", "--device", "cpu", "--set", "model.g_base=4", "--set", "model.d_base=4",
        "--set", "model.z_dim=8", "--set", "model.grid_size=10", "--set", "trainer.sample_every=2"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def run_cli(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["-q", *map(str, args)])
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def assert_one_line_error(code, err, expected_code, fragment):
    assert code == expected_code
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and fragment in lines[0] and "Traceback" not in err, err


@pytest.fixture(scope="module")
def cgan_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "cgan"
    with pytest.raises(SystemExit) as exit_info:
        main(["-q", "gan", "train", "--variant", "cgan", "--data", "digits", "--out", str(run), "--steps", "2", *TINY])
    assert exit_info.value.code == 0
    return run


def test_list_names_every_variant(capsys):
    code, out, _ = run_cli(capsys, "gan", "list")
    names = {line.split()[0] for line in out.splitlines()}
    assert code == 0 and {"dcgan", "lsgan", "wgan", "wgan-gp", "cgan", "acgan", "infogan", "began", "cyclegan"} <= names


def test_train_writes_a_resumable_run(cgan_run, capsys):
    config = json.loads((cgan_run / "config.json").read_text())
    assert config["variant"] == "cgan" and config["model"]["g_base"] == 4 and config["data_info"]["num_classes"] == 10
    assert (cgan_run / "last.pt").is_file() and (cgan_run / "loss.png").is_file()
    # a second train into the same folder must not clobber it ...
    code, _, err = run_cli(capsys, "gan", "train", "--variant", "cgan", "--out", cgan_run, "--steps", "3", *TINY)
    assert_one_line_error(code, err, 1, "--resume")
    # ... but --resume continues from RUN/config.json
    code, out, _ = run_cli(capsys, "gan", "train", "--out", cgan_run, "--steps", "3", "--resume")
    assert code == 0 and "3 steps (1 run" in out
    assert torch.load(cgan_run / "last.pt", weights_only=True)["step"] == 3


def test_sample_grid_and_label(cgan_run, tmp_path, capsys):
    code, _, _ = run_cli(capsys, "gan", "sample", cgan_run, "-n", "20", "-o", tmp_path / "grid.png")
    grid = read_rgb(tmp_path / "grid.png")
    assert code == 0 and grid.shape == (2 + 2 * 18, 2 + 10 * 18, 3)  # one column per class, 16 px + 2 px pad
    code, _, _ = run_cli(capsys, "gan", "sample", cgan_run, "-n", "8", "--label", "3", "-o", tmp_path / "threes.png")
    assert code == 0 and read_rgb(tmp_path / "threes.png").shape == (2 + 18, 2 + 8 * 18, 3)


def test_sample_rejects_a_label_out_of_range(cgan_run, tmp_path, capsys):
    code, _, err = run_cli(capsys, "gan", "sample", cgan_run, "--label", "12", "-o", tmp_path / "x.png")
    assert_one_line_error(code, err, 2, "out of range")
    assert not (tmp_path / "x.png").exists()


def test_interpolate_strip(cgan_run, tmp_path, capsys):
    code, _, _ = run_cli(capsys, "gan", "interpolate", cgan_run, "--from", "3", "--to", "8", "--steps", "5",
                         "--rows", "2", "-o", tmp_path / "strip.png")
    assert code == 0 and read_rgb(tmp_path / "strip.png").shape == (2 + 2 * 18, 2 + 5 * 18, 3)


def test_evaluate_prints_offline_scores(cgan_run, tmp_path, capsys, monkeypatch):
    from colorize.data.digits import DigitsDataset
    from colorize.metrics import classifier as clf

    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path))
    train = DigitsDataset(16, "train")  # a quick classifier in the cache, so evaluate does not train one
    clf.load_or_train_classifier(train.images, train.labels, 10, tmp_path / "digits-classifier-16px.safetensors",
                                 steps=20)
    code, out, err = run_cli(capsys, "gan", "evaluate", cgan_run, "-n", "50")
    scores = dict(line.split(": ") for line in out.splitlines())
    assert code == 0 and {"classifier_fd", "class_accuracy", "real_fd"} <= set(scores)
    assert 0.0 <= float(scores["class_accuracy"]) <= 1.0 and float(scores["classifier_fd"]) >= 0
    assert "FID unavailable" in err  # torchvision cannot load Inception here: one line, not a failure


def test_unknown_variant_and_unknown_key_are_usage_errors(tmp_path, capsys):
    code, _, err = run_cli(capsys, "gan", "train", "--variant", "nope", "--out", tmp_path / "r", "--steps", "1")
    assert_one_line_error(code, err, 2, "unknown GAN variant")
    code, _, err = run_cli(capsys, "gan", "train", "--variant", "dcgan", "--out", tmp_path / "r", "--set", "model.zdim=3")
    assert_one_line_error(code, err, 2, "zdim")
    assert not (tmp_path / "r" / "last.pt").exists()


def test_missing_run_folder_is_one_line(tmp_path, capsys):
    code, _, err = run_cli(capsys, "gan", "sample", tmp_path / "none", "-o", tmp_path / "g.png")
    assert_one_line_error(code, err, 1, "not a GAN run folder")


def test_cyclegan_on_two_folders(tmp_path, capsys):
    import numpy as np

    from colorize.images import write_image

    for domain, value in (("A", 30), ("B", 220)):
        for i in range(4):
            write_image(tmp_path / "data" / domain / f"{i}.png", np.full((20, 20, 3), value + i, dtype=np.uint8))
    code, out, err = run_cli(capsys, "gan", "train", "--variant", "cyclegan", "--data", tmp_path / "data",
                             "--out", tmp_path / "cyc", "--steps", "1", "--size", "16", "--batch-size", "2",
                             "--set", "model.g_base=4", "--set", "model.d_base=4", "--set", "model.n_blocks=1",
                             "--set", "model.d_layers=2", "--device", "cpu")
    assert code == 0, err
    assert json.loads((tmp_path / "cyc" / "config.json").read_text())["data_info"]["channels"] == 3


def test_gan_config_takes_a_shipped_variant_name_or_says_which_exist(tmp_path, capsys):
    from colorize.cli.gan import _train_config

    cfg = _train_config(None, None, None, None, None, None, None, "wgan-gp", (), tmp_path / "run", False)
    # the variant file's own trainer keys win, the shipped gan.toml fills the rest
    assert cfg.variant == "wgan-gp" and cfg.trainer.batch_size == 320 and cfg.trainer.log_every == 25
    code, _, err = run_cli(capsys, "gan", "train", "--config", "wgan-gq", "--out", tmp_path / "run2")
    assert_one_line_error(code, err, 2, "shipped config")
    assert not (tmp_path / "run2").exists()
