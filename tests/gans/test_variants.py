"""Every registered GAN variant trains a few steps on tiny digits, reloads from its checkpoint and samples."""

from __future__ import annotations

import json
import math

import pytest
import torch

from colorize.errors import ConfigError
from colorize.gans.registry import PRESETS, build_variant, list_variants, resolve_model_config
from colorize.gans.trainer import StepContext
from colorize.gans.variant import DataInfo
from colorize.gans.variants.cyclegan import ImagePool
from colorize.jobs.gan import load_run, run_config_from_dict, train_run

SIZE = 16
VARIANTS = [name for name in list_variants() if not name.startswith("pix2pix")]  # colorizers: own tests
TINY = {"g_base": 8, "d_base": 8, "z_dim": 8, "grid_size": 20}
TINY_CYCLE = {"g_base": 4, "d_base": 4, "n_blocks": 1, "n_down": 1, "d_layers": 2, "pool_size": 4}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tiny_run_config(name: str, steps: int = 2, **trainer) -> dict:
    model = TINY_CYCLE if name == "cyclegan" else TINY
    return {"variant": name, "model": dict(model), "data": {"source": "digits", "size": SIZE},
            "trainer": {"steps": steps, "batch_size": 10 if name != "cyclegan" else 4, "device": "cpu",
                        "log_every": 1, "sample_every": steps, "checkpoint_every": 1000, **trainer}}


@pytest.mark.parametrize("name", VARIANTS)
def test_variant_trains_reloads_and_samples(name, tmp_path):
    cfg = run_config_from_dict(tiny_run_config(name, ema_decay=0.5))
    summary = train_run(cfg, tmp_path / "run")
    assert summary["steps"] == 2
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    losses = {k: v for r in records for k, v in r.items() if k != "step" and not k.startswith("lr_")}
    assert losses and all(math.isfinite(v) for v in losses.values()), losses
    assert (tmp_path / "run" / "samples" / "step_0000002.png").is_file()

    variant, loaded_cfg = load_run(tmp_path / "run")
    assert loaded_cfg.variant == name and variant.name == name
    state = torch.load(tmp_path / "run" / "last.pt", weights_only=True)
    ema_key = next(iter(state["ema"]))
    assert torch.equal(variant.ema_module().state_dict()[ema_key], state["ema"][ema_key])  # EMA weights used
    if name == "cyclegan":
        a = torch.rand(3, 1, SIZE, SIZE) * 2 - 1
        out = variant.translate(a)
        assert out.shape == a.shape and out.abs().max() <= 1
    else:
        images = variant.sample(5)
        assert images.shape == (5, 1, SIZE, SIZE)
        assert 0 <= images.min() and images.max() <= 1 and torch.isfinite(images).all()
        strip = variant.interpolate(1, 2, steps=3, rows=2)
        assert strip.shape == (6, 1, SIZE, SIZE)


def test_presets_are_dcgan_with_other_objectives():
    lsgan, wgan, gp = (resolve_model_config(n) for n in ("lsgan", "wgan", "wgan-gp"))
    assert lsgan.loss == "lsgan" and wgan.loss == gp.loss == "wasserstein"
    assert wgan.clip == 0.01 and wgan.optimizer == "rmsprop" and wgan.n_critic == 5
    assert gp.penalty == "gp" and tuple(gp.betas) == (0.0, 0.9) and gp.d_norm == "none"
    assert type(lsgan) is type(resolve_model_config("dcgan"))
    # user options win over the preset
    assert resolve_model_config("wgan", {"n_critic": 2}).n_critic == 2
    assert set(PRESETS) <= set(list_variants())


def test_model_config_is_strict():
    with pytest.raises(ConfigError, match="z_dimm"):
        resolve_model_config("dcgan", {"z_dimm": 3})
    with pytest.raises(ConfigError, match="label_smoothing"):
        resolve_model_config("lsgan", {"label_smoothing": 0.1})
    with pytest.raises(ConfigError, match="unknown GAN variant"):
        resolve_model_config("stylegan9")


def test_conditional_variant_needs_labels():
    with pytest.raises(ConfigError, match="labelled data"):
        build_variant("cgan", TINY, DataInfo(channels=1, size=SIZE, num_classes=0))


def _context(variant, step: int = 0) -> StepContext:
    opts = variant.configure_optimizers()
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    import contextlib

    return StepContext(step, torch.device("cpu"), opts, scaler, contextlib.nullcontext)


def _digits_batch(n: int = 10):
    from colorize.data.digits import DigitsDataset

    ds = DigitsDataset(SIZE)
    return [ds.images[:n], ds.labels[:n]]


def test_wgan_clips_critic_weights_and_runs_n_critic_updates():
    variant = build_variant("wgan", TINY, DataInfo(1, SIZE, 10))
    ctx = _context(variant)
    variant.train_step(_digits_batch(), ctx)
    assert all(p.abs().max() <= 0.01 + 1e-7 for p in variant.D.parameters())
    assert max(p.abs().max() for p in variant.G.parameters()) > 0.01  # G is not clipped
    d_opt, g_opt = ctx.optimizers["d"], ctx.optimizers["g"]
    d_steps = {int(s["step"]) for s in d_opt.state.values()}
    g_steps = {int(s["step"]) for s in g_opt.state.values()}
    assert d_steps == {5} and g_steps == {1}


def test_wgan_gp_logs_a_penalty():
    variant = build_variant("wgan-gp", TINY, DataInfo(1, SIZE, 10))
    logs = variant.train_step(_digits_batch(), _context(variant))
    assert "gp" in logs and logs["gp"] >= 0 and math.isfinite(logs["gp"])


def test_projection_discriminator_uses_labels():
    variant = build_variant("cgan", TINY, DataInfo(1, SIZE, 10)).eval()
    x = torch.randn(4, 1, SIZE, SIZE)
    torch.nn.init.normal_(variant.D.embed.parametrizations.weight.original if hasattr(variant.D.embed, "parametrizations")
                          else variant.D.embed.weight)
    s0, _ = variant.D(x, torch.zeros(4, dtype=torch.long))
    s1, _ = variant.D(x, torch.ones(4, dtype=torch.long))
    assert not torch.allclose(s0, s1)


def test_conditional_samples_follow_labels_through_the_embedding():
    variant = build_variant("acgan", TINY, DataInfo(1, SIZE, 10)).eval()
    torch.manual_seed(1)
    a = variant.sample(3, torch.tensor([2, 2, 2]))
    torch.manual_seed(1)
    b = variant.sample(3, torch.tensor([7, 7, 7]))
    assert a.shape == b.shape == (3, 1, SIZE, SIZE) and not torch.allclose(a, b)


def test_began_controls_k_and_logs_convergence():
    variant = build_variant("began", {**TINY, "lambda_k": 0.5}, DataInfo(1, SIZE, 10))
    ctx = _context(variant)
    for step in range(3):
        ctx.iteration = step
        logs = variant.train_step(_digits_batch(), ctx)
        assert 0.0 <= logs["k"] <= 1.0 and logs["m_global"] >= 0
    assert float(variant.k) == logs["k"] and "k" in variant.state_dict()  # checkpointed


def test_instance_noise_anneals_to_zero():
    variant = build_variant("dcgan", {**TINY, "instance_noise": 0.5, "noise_anneal_steps": 10}, DataInfo(1, SIZE))
    x = torch.zeros(2, 1, SIZE, SIZE)
    variant.current_step = 0
    assert variant.d_input(x).std() > 0.3
    variant.current_step = 10
    assert torch.equal(variant.d_input(x), x)


def test_image_pool_mixes_history_and_new_images():
    pool = ImagePool(4)
    first = torch.arange(4.0).view(4, 1, 1, 1)
    assert torch.equal(pool.query(first), first)  # filling: new images pass through
    torch.manual_seed(0)
    later = pool.query(torch.full((64, 1, 1, 1), 9.0))
    old = (later < 9).sum()
    assert 0 < old < 64  # about half come from history
    assert torch.equal(ImagePool(0).query(first), first)


def test_cyclegan_refuses_sizes_its_generator_cannot_halve():
    with pytest.raises(ConfigError, match="divisible"):
        build_variant("cyclegan", {**TINY_CYCLE, "n_down": 3}, DataInfo(1, 12, 0))


@pytest.mark.parametrize("options", [
    {"g_up": "residual", "d_block": "residual", "spectral": True, "d_norm": "none"},
    {"g_up": "transposed", "label_smoothing": 0.1, "instance_noise": 0.1, "augment": "color,translation,cutout"},
    {"loss": "hinge", "lr_d": 4e-4, "lr_g": 1e-4, "optimizer": "adam"},
])
def test_shared_options_train(options):
    variant = build_variant("cgan", {**TINY, **options}, DataInfo(1, SIZE, 10))
    ctx = _context(variant)
    logs = variant.train_step(_digits_batch(), ctx)
    assert all(math.isfinite(v) for v in logs.values())
    assert ctx.optimizers["d"].param_groups[0]["lr"] == resolve_model_config("cgan", {**TINY, **options}).lr_d
    assert variant.sample(2, torch.tensor([0, 1])).shape == (2, 1, SIZE, SIZE)
