"""The reference-guided colorizer: attention that carries colours, the generator's two modes, the variant."""

from __future__ import annotations

import pytest
import torch

from colorize.config import from_dict, to_dict
from colorize.errors import ConfigError
from colorize.gans.registry import build_variant
from colorize.gans.variant import DataInfo
from colorize.gans.variants.reference import ReferencePix2Pix
from colorize.jobs.train import TrainConfig, build_colorizer_variant
from colorize.nets.files import load_generator, save_generator
from colorize.nets.reference import ReferenceUNet, attend


def tiny_net(**kwargs) -> ReferenceUNet:
    torch.manual_seed(0)
    return ReferenceUNet(depth=3, base_channels=8, max_channels=16, norm="instance", dropout=0.0,
                         dropout_layers=0, feature_channels=16, feature_stride=4, **kwargs).eval()


def test_attention_copies_values_from_the_matching_position_whatever_the_chunk():
    torch.manual_seed(1)
    h, w = 4, 5
    query = torch.randn(1, 8, h, w)
    perm = torch.randperm(h * w)
    key = query.flatten(2)[:, :, perm].reshape(1, 8, h, w)      # the same features, shuffled
    values = torch.randn(1, 3, h, w)
    carried, confidence = attend(query, key, values, torch.tensor(200.0), torch.tensor(0.0))
    # Query i's twin is key position j with perm[j] == i, which carries value j.
    expected = values.flatten(2)[:, :, torch.argsort(perm)]
    torch.testing.assert_close(carried.flatten(2), expected, atol=1e-3, rtol=0)
    assert confidence.min() > 0.99
    chunked, _ = attend(query, key, values, torch.tensor(200.0), torch.tensor(0.0), chunk=3)
    torch.testing.assert_close(chunked, carried)


def test_locality_prefers_the_nearer_of_two_identical_matches():
    query = torch.ones(1, 4, 1, 8)
    key = torch.ones(1, 4, 1, 8)
    values = torch.arange(8.0).view(1, 1, 1, 8)
    carried, _ = attend(query, key, values, torch.tensor(10.0), torch.tensor(500.0))
    torch.testing.assert_close(carried, values, atol=0.05, rtol=0)


def test_generator_without_reference_equals_a_dropped_reference_and_keeps_shapes():
    net = tiny_net()
    line = torch.rand(2, 1, 32, 48) * 2 - 1
    ref = torch.rand(2, 3, 32, 48) * 2 - 1
    with torch.no_grad():
        alone = net(line)
        dropped = net(line, ref, line, has_ref=torch.zeros(2, 1))
        guided = net(line, ref, line)
    assert alone.shape == guided.shape == (2, 3, 32, 48)
    torch.testing.assert_close(alone, dropped)
    assert not torch.allclose(alone, guided)


def test_reference_of_another_size_and_bad_frame_sizes_are_errors():
    net = tiny_net()
    with pytest.raises(ValueError, match="same size"):
        net(torch.zeros(1, 1, 32, 32), torch.zeros(1, 3, 64, 32), torch.zeros(1, 1, 64, 32))
    with pytest.raises(ValueError, match="multiples of 8"):
        net(torch.zeros(1, 1, 30, 32))


def test_every_parameter_gets_a_gradient_even_when_all_references_are_dropped():
    net = tiny_net().train()
    line = torch.rand(2, 1, 32, 32)
    net(line, torch.rand(2, 3, 32, 32), line, has_ref=torch.zeros(2, 1)).mean().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_generator_file_round_trip_rebuilds_the_reference_architecture(tmp_path):
    net = tiny_net()
    path = save_generator(tmp_path / "g.safetensors", net,
                          {"architecture": {"name": "reference_unet", "kwargs": net.config}, "stride": net.stride})
    loaded, meta = load_generator(path)
    assert isinstance(loaded, ReferenceUNet) and loaded.takes_reference and meta["stride"] == 8
    line = torch.rand(1, 1, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded(line, line.expand(-1, 3, -1, -1), line), net(line, line.expand(-1, 3, -1, -1), line))


def _tiny_train_config(**reference) -> TrainConfig:
    return from_dict(TrainConfig, {
        "data": {"crop": 32},
        "model": {"generator": {"depth": 3, "base_channels": 8, "max_channels": 16, "dropout": 0.0,
                                "dropout_layers": 0, "norm": "instance"},
                  "discriminator": {"base_channels": 8, "n_layers": 2}, "loss": {"perceptual": 0.0}},
        "reference": {"enabled": True, "feature_channels": 16, **reference}})


def _batch(n: int = 4, size: int = 32) -> dict[str, torch.Tensor]:
    torch.manual_seed(2)
    return {"lineart": torch.rand(n, 1, size, size), "color": torch.rand(n, 3, size, size),
            "ref_color": torch.rand(n, 3, size, size), "ref_lineart": torch.rand(n, 1, size, size),
            "has_ref": torch.tensor([[1.0], [0.0], [1.0], [1.0]])[:n]}


def test_variant_steps_validates_both_modes_and_exports_a_reference_generator():
    import contextlib

    from colorize.gans.variant import StepContext

    variant = build_colorizer_variant(_tiny_train_config(), DataInfo(size=32))
    opts = variant.configure_optimizers()
    ctx = StepContext(0, torch.device("cpu"), opts, torch.amp.GradScaler("cpu", enabled=False),
                      contextlib.nullcontext)
    before = [p.detach().clone() for p in variant.G.encoder.parameters()]
    losses = variant.train_step(_batch(), ctx)
    assert {"d", "g", "l1", "g_adv"} <= set(losses)
    assert any(not torch.equal(a, b) for a, b in zip(before, variant.G.encoder.parameters()))
    variant.eval()
    scores = variant.validate(_batch())
    assert {"psnr", "ssim", "l1", "noref_psnr", "noref_ssim", "noref_l1"} <= set(scores)
    assert scores["psnr"] != scores["noref_psnr"]
    assert variant.visualize(_batch()).shape[0] == 3
    net, meta = variant.export_generator()
    assert meta["architecture"]["name"] == "reference_unet" and meta["takes_reference"]
    assert ReferenceUNet(**meta["architecture"]["kwargs"]).config == net.config


def test_train_config_builds_the_reference_variant_and_checks_the_stride():
    cfg = _tiny_train_config()
    variant = build_colorizer_variant(cfg, DataInfo(size=32))
    assert isinstance(variant, ReferencePix2Pix) and variant.G.encoder.head.out_channels == 16
    assert to_dict(cfg)["reference"]["enabled"] is True
    with pytest.raises(ConfigError, match="multiple"):
        _tiny_train_config(feature_stride=64)
    assert build_variant("pix2pix-ref", {"loss": {"perceptual": 0.0}}, DataInfo()).name == "pix2pix-ref"


def test_temporal_term_joins_the_generator_loss_when_batches_carry_a_neighbour():
    import contextlib

    from colorize.gans.variant import StepContext

    variant = build_colorizer_variant(_tiny_train_config(temporal=5.0), DataInfo(size=32))
    ctx = StepContext(0, torch.device("cpu"), variant.configure_optimizers(),
                      torch.amp.GradScaler("cpu", enabled=False), contextlib.nullcontext)
    batch = {**_batch(), "pair_lineart": torch.rand(4, 1, 32, 32), "pair_flow": torch.zeros(4, 2, 32, 32),
             "pair_mask": torch.ones(4, 1, 32, 32)}
    losses = variant.train_step(batch, ctx)
    assert losses["temporal"] > 0
    assert "temporal" not in variant.train_step(_batch(), ctx)


def test_a_keyframe_shared_by_the_batch_is_encoded_once_with_the_same_result():
    net = tiny_net()
    line = torch.rand(3, 1, 32, 32) * 2 - 1
    ref_color, ref_line = torch.rand(1, 3, 32, 32) * 2 - 1, torch.rand(1, 1, 32, 32) * 2 - 1
    calls = []
    net.encoder.register_forward_hook(lambda module, inputs, output: calls.append(inputs[0].shape[0]))
    with torch.no_grad():
        batched = net(line, ref_color.expand(3, -1, -1, -1), ref_line.expand(3, -1, -1, -1))
        alone = torch.cat([net(line[i:i + 1], ref_color, ref_line) for i in range(3)])
    assert calls[0] == 3 + 1  # three frames and one keyframe, not three copies of it
    torch.testing.assert_close(batched, alone, atol=1e-5, rtol=1e-4)


def test_large_frames_attend_on_a_pooled_grid():
    from colorize.nets.reference import pool_factor

    assert pool_factor(32, 48, 4096) == 1          # 192 x 128 at stride 4: as trained
    assert pool_factor(270, 480, 4096) == 6         # 1080p at stride 4: 45 x 80 = 3600 positions
    net = tiny_net(attention_positions=4)
    line = torch.rand(1, 1, 32, 48)
    with torch.no_grad():
        assert net(line, torch.rand(1, 3, 32, 48), line).shape == (1, 3, 32, 48)
