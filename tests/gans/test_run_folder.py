"""Run-folder rules and live logs (metrics.jsonl + TensorBoard), independent of any variant."""

from __future__ import annotations

import json
import sys

import pytest
import torch

from colorize.errors import ColorizeError, ConfigError
from colorize.gans.run_folder import MetricsLog, check_start, family


def test_fresh_run_is_refused_where_a_run_exists(tmp_path):
    assert check_start(tmp_path / "new", {"a": 1}, resume=False) == []
    (tmp_path / "metrics.jsonl").write_text("")
    with pytest.raises(ColorizeError, match="already holds a training run"):
        check_start(tmp_path, {"a": 1}, resume=False)


def test_resume_allows_only_safe_keys_and_names_the_others(tmp_path):
    saved = {"trainer": {"steps": 10, "ema_decay": 0.9}, "model": {"l1": 100.0}}
    (tmp_path / "config.json").write_text(json.dumps(saved))
    assert check_start(tmp_path, saved, resume=True) == []
    more = {"trainer": {"steps": 20, "ema_decay": 0.9}, "model": {"l1": 100.0}}
    assert check_start(tmp_path, more, resume=True) == ["trainer.steps"]
    changed = {"trainer": {"steps": 20, "ema_decay": 0.0}, "model": {"l1": 50.0}}
    with pytest.raises(ConfigError) as info:
        check_start(tmp_path, changed, resume=True)
    message = str(info.value)
    assert "model.l1, trainer.ema_decay differ" in message and "\n" not in message


def test_families_keep_scales_apart():
    keys = ["d", "g", "g_adv", "l1", "perceptual", "val_psnr", "val_ssim", "val_l1", "lr_g"]
    assert {k: family(k, keys) for k in keys} == {
        "d": "adversarial", "g": "generator total", "g_adv": "adversarial", "l1": "reconstruction",
        "perceptual": "reconstruction", "val_psnr": "validation PSNR (dB)", "val_ssim": "validation",
        "val_l1": "validation", "lr_g": "learning rate"}
    assert family("g", ["g", "d"]) == "adversarial"  # a plain GAN's g is its adversarial loss


def test_tensorboard_gets_scalars_and_grids(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log = MetricsLog(tmp_path)
    log.scalars(5, {"d": 0.7, "l1": 0.2})
    log.scalars(10, {"val_psnr": 18.5})
    log.image(10, "samples", torch.rand(3, 16, 24))
    log.close()
    events = EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    assert set(events.Tags()["scalars"]) == {"adversarial/d", "reconstruction/l1", "validation_PSNR/val_psnr"}
    assert events.Scalars("validation_PSNR/val_psnr")[0].value == pytest.approx(18.5)
    assert events.Tags()["images"] == ["samples"]
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(ln)["step"] for ln in lines] == [5, 10]


def test_without_tensorboard_only_metrics_jsonl(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails as if not installed
    log = MetricsLog(tmp_path)
    log.scalars(1, {"d": 0.5})
    log.image(1, "samples", torch.rand(3, 8, 8))
    log.close()
    assert log.tensorboard_missing and not (tmp_path / "tensorboard").exists()
    assert (tmp_path / "metrics.jsonl").read_text().strip() == '{"step": 1, "d": 0.5}'


def test_resume_drops_records_newer_than_the_checkpoint(tmp_path):
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "d": 1.0}) + "\n" for s in (2, 4, 6)))
    MetricsLog(tmp_path, resume_step=4).close()
    assert [json.loads(ln)["step"] for ln in (tmp_path / "metrics.jsonl").read_text().splitlines()] == [2, 4]
