"""The one training loop, driven by the colorizer (pix2pix) on generated toon frames, on CPU."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from colorize.gans.trainer import ResumableSampler, TrainingInterrupted, linear_decay
from colorize.gans.variants.pix2pix import Pix2Pix
from colorize.jobs.train import build_datasets, train_colorizer
from colorize.nets import files as ckpt
from tests.gans._tiny import tiny_config, toon_frames
from tests.gans.test_visual import parse_page


def _val_l1(generator: torch.nn.Module, val_set) -> float:
    generator.eval()
    losses = []
    with torch.no_grad():
        for batch in DataLoader(val_set, batch_size=8):
            fake = (generator(batch["lineart"] * 2 - 1) + 1) / 2
            losses.append(F.l1_loss(fake, batch["color"]).item())
    return sum(losses) / len(losses)


@pytest.mark.slow
def test_training_lowers_validation_l1_well_below_untrained(tmp_path):
    frames = toon_frames(tmp_path)
    cfg = tiny_config(tmp_path, steps=32)
    _, val = build_datasets([frames], cfg)
    torch.manual_seed(0)
    untrained = _val_l1(Pix2Pix(cfg.model).G, val)

    summary = train_colorizer([frames], tmp_path / "run", cfg)

    generator, meta = ckpt.load_generator(tmp_path / "run" / "generator.safetensors")
    trained = _val_l1(generator, val)
    assert summary["steps"] == 32
    assert trained < 0.6 * untrained, (untrained, trained)
    assert meta["lineart"] == dataclasses.asdict(cfg.data.lineart)
    run = tmp_path / "run"
    for name in ("last.pt", "best.pt", "config.json", "metrics.jsonl", "loss.png", "index.html"):
        assert (run / name).is_file(), name
    assert list((run / "samples").glob("step_*.png"))
    page = parse_page(run / "index.html")  # the results page links the loss plot and every grid
    assert set(page.images) == {"loss.png"} | {f"samples/{p.name}" for p in (run / "samples").glob("*.png")}


def _interrupt_at(step: int):
    original = Pix2Pix.train_step

    def train_step(self, batch, ctx):
        if ctx.iteration == step:
            raise KeyboardInterrupt
        return original(self, batch, ctx)

    return train_step


def test_interrupted_run_resumes_to_identical_weights(tmp_path, monkeypatch):
    frames = toon_frames(tmp_path)
    cfg = tiny_config(tmp_path, steps=6, lr_decay_start=0.0)  # LR changes every step: resume must match
    cfg = dataclasses.replace(cfg, model=dataclasses.replace(
        cfg.model, generator=dataclasses.replace(cfg.model.generator, dropout=0.5, dropout_layers=1)))

    train_colorizer([frames], tmp_path / "straight", cfg)

    with monkeypatch.context() as m:
        m.setattr(Pix2Pix, "train_step", _interrupt_at(3))
        with pytest.raises(TrainingInterrupted):
            train_colorizer([frames], tmp_path / "resumed", cfg)
    assert ckpt.load_checkpoint(tmp_path / "resumed" / "last.pt")["step"] == 3
    train_colorizer([frames], tmp_path / "resumed", cfg, resume=True)

    straight = ckpt.load_checkpoint(tmp_path / "straight" / "last.pt")
    resumed = ckpt.load_checkpoint(tmp_path / "resumed" / "last.pt")
    assert resumed["step"] == straight["step"] == 6
    for key, value in straight["model"].items():
        assert torch.equal(value, resumed["model"][key]), key
    assert straight["schedulers"]["g"] == resumed["schedulers"]["g"]


def test_checkpoint_loads_with_weights_only_and_rejects_strangers(tmp_path):
    frames = toon_frames(tmp_path)
    train_colorizer([frames], tmp_path / "run", tiny_config(tmp_path, steps=2))
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    assert state["step"] == 2 and "generator" in state

    not_a_checkpoint = tmp_path / "notes.pt"
    not_a_checkpoint.write_text("hello")
    with pytest.raises(ckpt.InputError, match="not a loadable"):
        ckpt.load_generator(not_a_checkpoint)

    class Evil:  # a pickle that would run code if loaded without weights_only
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    evil = tmp_path / "evil.pt"
    torch.save({"format": "colorize-train", "x": Evil()}, evil)
    with pytest.raises(ckpt.InputError):
        ckpt.load_checkpoint(evil)


def test_generator_of_another_architecture_is_refused(tmp_path):
    from colorize.nets.unet import UNetGenerator

    net = UNetGenerator(depth=3, base_channels=4)
    path = tmp_path / "g.safetensors"
    ckpt.save_generator(path, net, {"architecture": {"name": "unet", "kwargs": {"depth": 4, "base_channels": 4}}})
    with pytest.raises(ckpt.InputError, match="does not match"):
        ckpt.load_generator(path)

    ckpt.GENERATOR_ARCHITECTURES["other"] = lambda **kw: UNetGenerator(**kw)
    try:
        ckpt.save_generator(path, net, {"architecture": {"name": "other", "kwargs": {}}})
    finally:
        del ckpt.GENERATOR_ARCHITECTURES["other"]
    with pytest.raises(ckpt.InputError, match="architecture 'other'"):
        ckpt.load_generator(path)


def test_sampler_resumes_mid_epoch_and_shards_ranks():
    full = ResumableSampler(10, seed=1)
    stream = [k for _, k in zip(range(25), full)]
    resumed = [k for _, k in zip(range(12), ResumableSampler(10, seed=1, start=13))]
    assert resumed == stream[13:25]
    assert sorted(i for i, _ in stream[:10]) == list(range(10))  # an epoch is a permutation
    rank0 = {i for _, (i, _) in zip(range(5), ResumableSampler(10, 1, rank=0, world=2))}
    rank1 = {i for _, (i, _) in zip(range(5), ResumableSampler(10, 1, rank=1, world=2))}
    assert not rank0 & rank1


def test_linear_decay_holds_then_reaches_zero():
    f = linear_decay(100, 0.5)
    assert f(0) == f(49) == 1.0
    assert f(75) == pytest.approx(0.5)
    assert f(100) == 0.0


WORKER = Path(__file__).with_name("ddp_worker.py")


@pytest.mark.slow
def test_two_process_gloo_training_keeps_ranks_identical(tmp_path):
    frames = toon_frames(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(WORKER), str(frames), str(tmp_path / "run")]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rank0 = torch.load(tmp_path / "run" / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "run" / "rank1.pt", weights_only=True)
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    assert sorted(p.name for p in (tmp_path / "run").glob("*.pt")) == ["best.pt", "last.pt", "rank0.pt", "rank1.pt"]
    assert ckpt.load_checkpoint(tmp_path / "run" / "last.pt")["step"] == 4


@pytest.mark.slow
def test_sigterm_finishes_the_step_saves_and_resumes(tmp_path):
    """A real signal (as a scheduler or `kill` sends) mid-run: last.pt at a step boundary, exit 130."""
    import signal
    import time

    frames = toon_frames(tmp_path)
    script = tmp_path / "train.py"
    script.write_text(
        "import sys\n"
        "from tests.gans._tiny import tiny_config\n"
        "from colorize.jobs.train import train_colorizer\n"
        "from pathlib import Path\n"
        "tmp = Path(sys.argv[1])\n"
        "train_colorizer([sys.argv[2]], tmp / 'run', tiny_config(tmp, steps=100000, log_every=1))\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path), str(frames)], env=env,
                            stderr=subprocess.PIPE, text=True)
    metrics = tmp_path / "run" / "metrics.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and not (metrics.is_file() and metrics.read_text().count("\n") >= 2):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert "stopping after this step" in stderr
    state = ckpt.load_checkpoint(tmp_path / "run" / "last.pt")
    assert state["step"] >= 2


# ------------------------------------------------------------------- what is exported is what was validated

def _psnr_of(generator: torch.nn.Module, val_set, batch_size: int) -> float:
    """Mean over batches of the batch-mean PSNR, as the Trainer's validation averages it."""
    from colorize.gans.variants.pix2pix import image_scores

    scores = []
    with torch.no_grad():
        for batch in DataLoader(val_set, batch_size=batch_size):
            fake = ((generator(batch["lineart"] * 2 - 1) + 1) / 2).clamp(0, 1)
            scores.append(image_scores(fake, batch["color"])["psnr"])
    return sum(scores) / len(scores)


@pytest.mark.slow
def test_exported_generator_scores_exactly_what_validation_measured(tmp_path):
    """EMA on (0.999, as the shipped train.toml) and BatchNorm: a short run must export trained weights."""
    frames = toon_frames(tmp_path)
    cfg = tiny_config(tmp_path, steps=30, ema_decay=0.999, sample_every=10, val_batches=0)
    cfg = dataclasses.replace(cfg, model=dataclasses.replace(
        cfg.model, generator=dataclasses.replace(cfg.model.generator, norm="batch")))
    _, val = build_datasets([frames], cfg)
    torch.manual_seed(0)
    untrained = _psnr_of(Pix2Pix(cfg.model).G.eval(), val, 4)

    summary = train_colorizer([frames], tmp_path / "run", cfg)

    generator, meta = ckpt.load_generator(tmp_path / "run" / "generator.safetensors")
    exported = _psnr_of(generator, val, cfg.trainer.batch_size)
    best = summary["best"]
    assert meta["step"] == best["step"]
    assert exported == pytest.approx(best["value"], abs=1e-3), (exported, best)
    from_best = ckpt.load_generator(tmp_path / "run" / "best.pt")[0]
    assert _psnr_of(from_best, val, cfg.trainer.batch_size) == pytest.approx(exported, abs=1e-4)
    # The warmed-up average follows the trained weights: close to the raw generator of the same step,
    # and better than the random start (without warm-up it would still be ~97% initial weights).
    state = ckpt.load_checkpoint(tmp_path / "run" / "best.pt")
    raw = ckpt.GENERATOR_ARCHITECTURES["unet"](**meta["architecture"]["kwargs"])
    raw.load_state_dict({k[2:]: v for k, v in state["model"].items() if k.startswith("G.")})
    trained = _psnr_of(raw.eval(), val, cfg.trainer.batch_size)
    assert exported > untrained and abs(exported - trained) < 1.0, (untrained, exported, trained)


def test_ema_decay_warms_up_then_holds():
    from colorize.gans.trainer import EMA

    ema = EMA(torch.nn.Linear(2, 2), 0.999)
    assert ema.decay_at(0) == pytest.approx(0.1)
    assert ema.decay_at(300) == pytest.approx(301 / 310)
    assert ema.decay_at(100000) == 0.999
    # 300 warmed-up updates keep a negligible share of the initial weights (a fixed 0.999: ~74%)
    kept = 1.0
    for n in range(300):
        kept *= ema.decay_at(n)
    assert kept < 1e-3 and 0.999 ** 300 > 0.7


def test_best_checkpoint_has_no_optimizer_state_and_files_have_the_usual_mode(tmp_path):
    frames = toon_frames(tmp_path)
    run = tmp_path / "run"
    train_colorizer([frames], run, tiny_config(tmp_path, steps=4, sample_every=2))
    best, last = ckpt.load_checkpoint(run / "best.pt"), ckpt.load_checkpoint(run / "last.pt")
    assert "optimizers" not in best and "rng" not in best and "generator" in best
    assert {"optimizers", "schedulers", "scaler", "rng"} <= set(last)
    assert (run / "best.pt").stat().st_size < 0.7 * (run / "last.pt").stat().st_size
    mask = os.umask(0)
    os.umask(mask)
    for path in [p for p in run.rglob("*") if p.is_file() and "cache" not in p.parts]:
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path


def test_run_folder_rules_fresh_and_resume(tmp_path):
    from colorize.errors import ColorizeError, ConfigError

    frames = toon_frames(tmp_path)
    run = tmp_path / "run"
    cfg = tiny_config(tmp_path, steps=2)
    train_colorizer([frames], run, cfg)
    log_before = (run / "metrics.jsonl").read_text()
    with pytest.raises(ColorizeError, match="already holds a training run; pass --resume"):
        train_colorizer([frames], run, cfg)
    changed = dataclasses.replace(cfg, model=dataclasses.replace(
        cfg.model, loss=dataclasses.replace(cfg.model.loss, l1=10.0)))
    with pytest.raises(ConfigError, match=r"model\.loss\.l1 differ"):
        train_colorizer([frames], run, changed, resume=True)
    assert (run / "metrics.jsonl").read_text() == log_before  # refused before touching anything
    longer = dataclasses.replace(cfg, trainer=dataclasses.replace(cfg.trainer, steps=4))
    assert train_colorizer([frames], run, longer, resume=True)["steps"] == 4
