"""Shared GAN networks: blocks, the pix2pix U-Net generator and the PatchGAN discriminator (tiny widths)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from colorize.errors import ConfigError
from colorize.nets.blocks import (ResidualDown, ResidualUp, UpConv, count_parameters, group_count,
                                  init_weights, maybe_spectral, norm_layer)
from colorize.nets.patchgan import PatchDiscriminator, output_size, receptive_field
from colorize.nets.unet import UNetGenerator, unet_config_dict

TINY = dict(base_channels=4, max_channels=16)


# --- blocks -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, cls", [("batch", nn.BatchNorm2d), ("instance", nn.InstanceNorm2d),
                                       ("group", nn.GroupNorm), ("none", nn.Identity)])
def test_norm_layer_kinds(kind, cls):
    layer = norm_layer(kind, 24)
    assert isinstance(layer, cls)
    if kind == "batch":
        assert layer.eps == nn.BatchNorm2d(1).eps
    if kind == "instance":
        assert layer.affine
    if kind == "group":
        assert layer.num_groups == 24  # largest divisor of 24 that is <= 32


def test_norm_layer_unknown_names_the_known_kinds():
    with pytest.raises(ConfigError, match="batch, instance, group, none"):
        norm_layer("layer", 8)


def test_group_count_divides_channels():
    assert group_count(64) == 32
    assert group_count(48) == 24
    assert group_count(3) == 3


def test_init_weights_normal_statistics():
    net = nn.Sequential(nn.Conv2d(32, 64, 3), nn.BatchNorm2d(64), nn.ConvTranspose2d(64, 32, 4))
    init_weights(net, "normal", 0.02)
    conv, bn, convt = net
    assert abs(conv.weight.std().item() - 0.02) < 0.002
    assert abs(convt.weight.std().item() - 0.02) < 0.002
    assert abs(bn.weight.mean().item() - 1.0) < 0.01
    assert conv.bias.abs().sum() == 0 and bn.bias.abs().sum() == 0 and convt.bias.abs().sum() == 0


@pytest.mark.parametrize("kind", ["xavier", "kaiming", "orthogonal"])
def test_init_weights_other_kinds_change_the_weights(kind):
    conv = nn.Conv2d(16, 16, 3)
    before = conv.weight.clone()
    init_weights(conv, kind)
    assert not torch.equal(before, conv.weight)
    assert conv.bias.abs().sum() == 0


def test_init_weights_reaches_spectral_norm_original_weight():
    conv = maybe_spectral(nn.Conv2d(16, 32, 3), True)
    init_weights(conv, "normal", 0.5)
    original = conv.parametrizations.weight.original
    assert abs(original.std().item() - 0.5) < 0.05


def test_init_weights_unknown_kind():
    with pytest.raises(ConfigError, match="normal, xavier"):
        init_weights(nn.Conv2d(1, 1, 1), "uniform")


def test_spectral_norm_bounds_the_largest_singular_value():
    linear = maybe_spectral(nn.Linear(8, 8), True)
    with torch.no_grad():
        for _ in range(20):  # let the power iteration converge
            linear(torch.randn(4, 8))
    linear.eval()
    assert torch.linalg.matrix_norm(linear.weight, ord=2).item() == pytest.approx(1.0, abs=0.05)
    assert maybe_spectral(nn.Linear(2, 2), False).__class__ is nn.Linear


def test_residual_and_upconv_shapes():
    x = torch.randn(2, 8, 16, 12)
    assert ResidualDown(8, 16, norm="group", spectral=True)(x).shape == (2, 16, 8, 6)
    assert ResidualDown(8, 8, norm="none")(x).shape == (2, 8, 8, 6)
    assert ResidualUp(8, 4, norm="batch", upsample="bilinear")(x).shape == (2, 4, 32, 24)
    assert UpConv(8, 3)(x).shape == (2, 3, 32, 24)
    with pytest.raises(ConfigError, match="upsample"):
        UpConv(8, 3, upsample="bicubic")


def test_residual_down_gradient_reaches_input_through_shortcut():
    block = ResidualDown(4, 4, norm="none")
    with torch.no_grad():  # silence the main path: only the shortcut can carry the gradient
        for conv in (block.main[0], block.main[3]):
            conv.weight.zero_()
            conv.bias.zero_()
    x = torch.randn(1, 4, 8, 8, requires_grad=True)
    block(x).sum().backward()
    assert x.grad.abs().min() > 0


# --- U-Net ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("depth, height, width", [(1, 2, 6), (3, 16, 24), (5, 32, 64), (8, 256, 256)])
def test_unet_output_shape_and_range(depth, height, width):
    net = UNetGenerator(depth=depth, **TINY)  # default dropout_layers=3 is capped at depth - 1
    assert net.stride == 2 ** depth
    y = net(torch.rand(2, 1, height, width) * 2 - 1)
    assert y.shape == (2, 3, height, width)
    assert y.min() >= -1 and y.max() <= 1


def test_unet_rejects_sizes_that_are_not_multiples_of_the_stride():
    net = UNetGenerator(depth=4, **TINY)
    with pytest.raises(ValueError, match="multiples of 16.*40 x 24"):
        net(torch.zeros(1, 1, 40, 24))
    with pytest.raises(ValueError, match="B x 1 x H x W"):
        net(torch.zeros(1, 3, 32, 32))


def test_unet_rejects_bad_config():
    with pytest.raises(ConfigError, match="dropout_layers"):
        UNetGenerator(depth=3, dropout_layers=-1)
    with pytest.raises(ConfigError, match="dropout must"):
        UNetGenerator(depth=3, dropout=1.0)
    with pytest.raises(ConfigError, match="depth"):
        UNetGenerator(depth=0)


def test_unet_dropout_is_on_in_training_and_off_in_eval():
    net = UNetGenerator(depth=4, dropout=0.5, dropout_layers=2, **TINY)
    dropouts = [m for m in net.modules() if isinstance(m, nn.Dropout)]
    assert len(dropouts) == 2
    assert all(isinstance(level[-1], nn.Dropout) for level in net.decoder[2:])  # the 2 innermost
    x = torch.randn(2, 1, 32, 32)
    net.train()
    assert not torch.equal(net(x), net(x))
    net.eval()
    assert torch.equal(net(x), net(x))


def test_unet_dropout_layers_capped_below_the_output_level():
    net = UNetGenerator(depth=2, dropout_layers=3, **TINY)
    assert [any(isinstance(m, nn.Dropout) for m in level) for level in net.decoder] == [False, True]


def test_unet_norm_placement_matches_pix2pix():
    net = UNetGenerator(depth=5, **TINY)
    has_norm = [any(isinstance(m, nn.BatchNorm2d) for m in level) for level in net.encoder]
    assert has_norm == [False, True, True, True, False]  # none on the first and innermost
    assert isinstance(net.decoder[0][-1], nn.Tanh)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net.decoder[0])


@pytest.mark.parametrize("norm", ["instance", "group", "none"])
def test_unet_other_norms_run(norm):
    net = UNetGenerator(depth=3, norm=norm, **TINY)
    assert net(torch.randn(1, 1, 16, 16)).shape == (1, 3, 16, 16)


@pytest.mark.parametrize("level", range(4))
def test_unet_skip_connection_carries_gradient_at_every_level(level):
    """Detach the input of the encoder level below `level`: x still gets gradient, so skip `level` carries it."""
    depth = 5
    net = UNetGenerator(depth=depth, dropout=0.0, **TINY)
    net.encoder[level + 1].register_forward_pre_hook(lambda module, args: (args[0].detach(),))
    x = torch.randn(2, 1, 32, 32, requires_grad=True)
    net(x).square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_unet_every_parameter_gets_gradient():
    net = UNetGenerator(depth=4, dropout=0.0, **TINY)
    x = torch.randn(2, 1, 32, 32, requires_grad=True)
    net(x).square().sum().backward()
    assert x.grad.abs().sum() > 0
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


def test_unet_config_rebuilds_the_same_architecture():
    net = UNetGenerator(in_channels=1, out_channels=2, depth=3, norm="instance", dropout=0.3,
                        dropout_layers=1, **TINY)
    config = unet_config_dict(net)
    assert config == net.config and config["out_channels"] == 2 and config["norm"] == "instance"
    rebuilt = UNetGenerator(**config)
    rebuilt.load_state_dict(net.state_dict())  # strict: same keys and shapes
    net.eval(), rebuilt.eval()
    x = torch.randn(1, 1, 16, 16)
    assert torch.equal(net(x), rebuilt(x))


def test_unet_default_is_pix2pix_size():
    with torch.device("meta"):  # shapes only: skips allocating and initialising 54 M weights
        net = UNetGenerator()
    assert count_parameters(net) == 54_412_483  # pix2pix's 54.4 M with a 1-channel input


# --- PatchGAN ---------------------------------------------------------------------------------------

def test_receptive_field_analytic():
    assert receptive_field(3) == 70
    assert receptive_field(1) == 16
    assert receptive_field(2) == 34


@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_receptive_field_matches_gradient_probe(n_layers):
    """Back-propagate from one central logit: the input pixels that get gradient form the receptive field."""
    d = PatchDiscriminator(in_channels=1, base_channels=2, n_layers=n_layers, norm="none")
    init_weights(d, "normal", 0.5)
    x = torch.randn(1, 1, 128, 128, requires_grad=True)
    logits = d(x)
    h, w = logits.shape[-2:]
    logits[0, 0, h // 2, w // 2].backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
    cols = torch.nonzero(x.grad[0, 0].abs().sum(0)).flatten()
    expected = receptive_field(n_layers)
    assert len(rows) == len(cols) == expected
    assert rows.max() - rows.min() + 1 == expected  # contiguous, not clipped by the border
    assert cols.min() > 0 and cols.max() < 127


@pytest.mark.parametrize("size, n_layers", [(256, 3), (64, 3), (48, 2), (40, 1)])
def test_patchgan_output_shape(size, n_layers):
    d = PatchDiscriminator(in_channels=4, base_channels=4, n_layers=n_layers)
    logits = d(torch.randn(2, 4, size, size + 16))
    assert logits.shape == (2, 1, output_size(size, n_layers), output_size(size + 16, n_layers))
    if (size, n_layers) == (256, 3):
        assert logits.shape[-2:] == (30, 32)  # pix2pix's 30 x 30 map at 256 x 256, 32 at 272


def test_patchgan_width_cap_and_pix2pix_size():
    with torch.device("meta"):
        d = PatchDiscriminator(in_channels=6)
    assert count_parameters(d) == 2_768_705  # pix2pix's basic D on 6 channels
    widths = [m.out_channels for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert widths == [64, 128, 256, 512, 1]
    d5 = PatchDiscriminator(base_channels=4, n_layers=5)
    assert max(m.out_channels for m in d5.modules() if isinstance(m, nn.Conv2d)) == 32  # capped at 8 x base


def test_patchgan_rejects_small_or_wrong_inputs():
    d = PatchDiscriminator(base_channels=4)
    with pytest.raises(ValueError, match="at least 24 px"):
        d(torch.randn(1, 4, 16, 64))
    with pytest.raises(ValueError, match="B x 4 x H x W"):
        d(torch.randn(1, 3, 64, 64))
    with pytest.raises(ConfigError):
        PatchDiscriminator(n_layers=0)


def test_patchgan_spectral_norm_and_config():
    d = PatchDiscriminator(base_channels=4, norm="none", spectral_norm=True)
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert all(hasattr(c, "parametrizations") for c in convs)
    rebuilt = PatchDiscriminator(**d.config)
    rebuilt.load_state_dict(d.state_dict())
    assert d(torch.randn(1, 4, 32, 32)).shape == (1, 1, 2, 2)
