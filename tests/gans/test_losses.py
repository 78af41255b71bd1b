"""Adversarial loss pairs and gradient penalties: signs, exact values, shapes, float32 under autocast."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from colorize.errors import ConfigError
from colorize.gans.losses.adversarial import (ADVERSARIAL, AdversarialLoss, d_vanilla, g_vanilla,
                                              get_adversarial)
from colorize.gans.losses.penalties import gradient_penalty, interpolate, r1_penalty
from colorize.nets.patchgan import PatchDiscriminator

NAMES = sorted(ADVERSARIAL)


def full(value: float, shape=(4, 1, 3, 3)) -> torch.Tensor:
    return torch.full(shape, float(value))


# --- adversarial pairs ------------------------------------------------------------------------------

def test_registry_has_the_four_pairs():
    assert NAMES == ["hinge", "lsgan", "vanilla", "wasserstein"]
    assert all(isinstance(pair, AdversarialLoss) for pair in ADVERSARIAL.values())
    assert get_adversarial("hinge") is ADVERSARIAL["hinge"]


def test_unknown_name_is_a_config_error_listing_known_names():
    with pytest.raises(ConfigError, match="'wgan'.*hinge, lsgan, vanilla, wasserstein"):
        get_adversarial("wgan")


@pytest.mark.parametrize("name", NAMES)
def test_d_loss_lower_when_d_is_right(name):
    d = get_adversarial(name).d
    right = d(full(2.0), full(-2.0))   # real scored high, fake low
    wrong = d(full(-2.0), full(2.0))
    assert right < wrong


@pytest.mark.parametrize("name", NAMES)
def test_g_loss_decreases_as_fake_scores_rise(name):
    g = get_adversarial(name).g
    losses = [g(full(v)).item() for v in (-1.0, 0.0, 1.0)]
    assert losses[0] > losses[1] > losses[2]
    fake = torch.zeros(4, 1, 3, 3, requires_grad=True)
    g(fake).backward()
    assert (fake.grad < 0).all()  # gradient descent on G pushes every fake score up


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(4,), (4, 1), (4, 1, 5, 6)])
def test_any_shape_gives_a_scalar(name, shape):
    pair = get_adversarial(name)
    assert pair.d(torch.randn(shape), torch.randn(shape)).shape == ()
    assert pair.g(torch.randn(shape)).shape == ()


def test_exact_values():
    zeros = torch.zeros(8)
    assert d_vanilla(zeros, zeros).item() == pytest.approx(2 * math.log(2), rel=1e-6)
    assert g_vanilla(zeros).item() == pytest.approx(math.log(2), rel=1e-6)
    assert get_adversarial("lsgan").d(full(1.0), full(0.0)).item() == 0.0
    assert get_adversarial("hinge").d(full(1.0), full(-1.0)).item() == 0.0  # margins met
    assert get_adversarial("hinge").d(full(0.5), full(0.0)).item() == pytest.approx(1.5)
    assert get_adversarial("wasserstein").d(full(3.0), full(1.0)).item() == pytest.approx(-2.0)
    assert get_adversarial("wasserstein").g(full(3.0)).item() == pytest.approx(-3.0)


def test_one_sided_label_smoothing_moves_the_real_optimum():
    real = torch.full((8,), math.log(0.9 / 0.1), requires_grad=True)  # sigmoid(real) = 0.9
    d_vanilla(real, torch.zeros(8), smooth=0.1).backward()
    assert real.grad.abs().max() < 1e-6  # optimum at the smoothed target, not at +infinity
    fake = torch.zeros(8, requires_grad=True)
    d_vanilla(torch.zeros(8), fake, smooth=0.1).backward()
    assert (fake.grad > 0).all()  # fake targets stay 0: not smoothed
    with pytest.raises(ConfigError, match="smoothing"):
        d_vanilla(real, fake, smooth=1.0)


@pytest.mark.parametrize("name", NAMES)
def test_float32_under_cpu_bf16_autocast(name):
    pair = get_adversarial(name)
    head = nn.Linear(16, 1)
    x = torch.randn(64, 16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        real, fake = head(x), head(x + 1)
        assert real.dtype == torch.bfloat16  # the premise: D's outputs are half precision here
        d_loss, g_loss = pair.d(real, fake), pair.g(fake)
    assert d_loss.dtype == g_loss.dtype == torch.float32
    reference = pair.d(real.double(), fake.double())
    assert d_loss.item() == pytest.approx(reference.item(), rel=1e-5)  # no extra bf16 rounding
    d_loss.backward()
    assert head.weight.grad is not None and torch.isfinite(head.weight.grad).all()


# --- penalties --------------------------------------------------------------------------------------

def linear_critic(weight: torch.Tensor):
    return lambda x: x.flatten(1) @ weight


def test_gradient_penalty_zero_for_unit_norm_linear_critic():
    weight = torch.randn(3 * 8 * 8)
    weight = weight / weight.norm()
    real, fake = torch.randn(5, 3, 8, 8), torch.randn(5, 3, 8, 8)
    assert gradient_penalty(linear_critic(weight), real, fake).item() < 1e-10


@pytest.mark.parametrize("scale, expected", [(2.0, 1.0), (0.5, 0.25), (3.0, 4.0)])
def test_gradient_penalty_positive_otherwise(scale, expected):
    weight = torch.randn(3 * 8 * 8)
    weight = scale * weight / weight.norm()
    real, fake = torch.randn(5, 3, 8, 8), torch.randn(5, 3, 8, 8)
    assert gradient_penalty(linear_critic(weight), real, fake).item() == pytest.approx(expected, rel=1e-5)
    assert gradient_penalty(linear_critic(weight), real, fake, target=scale).item() < 1e-9


def test_gradient_penalty_trains_the_critic_only():
    d = PatchDiscriminator(in_channels=4, base_channels=4, norm="none")
    lineart = torch.randn(2, 1, 32, 32)
    real = torch.randn(2, 3, 32, 32)
    fake = torch.randn(2, 3, 32, 32, requires_grad=True)
    gp = gradient_penalty(lambda x: d(torch.cat([lineart, x], 1)), real, fake)
    assert gp.dtype == torch.float32 and gp.item() > 0
    gp.backward()  # create_graph=True: the penalty reaches D's weights
    weights = [p for name, p in d.named_parameters() if name.endswith("weight")]  # biases do not move dD/dx
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in weights)
    assert fake.grad is None  # inputs are detached: the generator is not trained by the penalty


def test_gradient_penalty_finite_when_critic_gradient_is_zero():
    weight = torch.zeros(3 * 4 * 4, requires_grad=True)
    gp = gradient_penalty(linear_critic(weight), torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4))
    gp.backward()
    assert gp.item() == pytest.approx(1.0, abs=1e-5)
    assert torch.isfinite(weight.grad).all()


def test_interpolates_lie_between_real_and_fake_with_one_weight_per_sample():
    real, fake = torch.randn(6, 2, 4, 4), torch.randn(6, 2, 4, 4)
    mixed = interpolate(real, fake)
    assert mixed.requires_grad and mixed.is_leaf and mixed.device == real.device
    alpha = (mixed - fake) / (real - fake)
    per_sample = alpha.flatten(1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample), atol=1e-4)
    assert (per_sample >= -1e-4).all() and (per_sample <= 1 + 1e-4).all()
    with pytest.raises(ValueError, match="one shape"):
        interpolate(real, fake[:, :1])


def test_gradient_penalty_float32_under_bf16_autocast():
    conv = nn.Conv2d(3, 1, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        gp = gradient_penalty(conv, torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8))
    assert gp.dtype == torch.float32 and torch.isfinite(gp)


def test_r1_penalty_is_the_squared_gradient_norm():
    weight = torch.randn(3 * 4 * 4)
    real = torch.randn(5, 3, 4, 4).requires_grad_(True)
    scores = linear_critic(weight)(real)
    assert r1_penalty(scores, real).item() == pytest.approx(weight.square().sum().item(), rel=1e-5)


def test_r1_penalty_backpropagates_into_d_and_needs_requires_grad():
    d = PatchDiscriminator(in_channels=3, base_channels=4, norm="none")
    real = torch.randn(2, 3, 32, 32)
    with pytest.raises(ValueError, match="requires_grad"):
        r1_penalty(d(real), real)
    real.requires_grad_(True)
    penalty = r1_penalty(d(real), real)
    penalty.backward()
    assert penalty.item() > 0
    weights = [p for name, p in d.named_parameters() if name.endswith("weight")]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in weights)


# ------------------------------------------------------------------------------ temporal (warp) loss

def test_backward_warp_moves_an_image_along_the_flow():
    from colorize.gans.losses.temporal import backward_warp

    image = torch.rand(1, 3, 8, 10)
    flow = torch.zeros(1, 2, 8, 10)
    flow[:, 0] = 2.0  # every pixel reads the one 2 px to its right
    warped = backward_warp(image, flow)
    torch.testing.assert_close(warped[..., :8], image[..., 2:])
    assert warped[..., 8:].abs().max() == 0  # outside the frame reads 0


def test_warp_consistency_is_zero_when_colours_move_with_the_drawing_and_counts_only_kept_pixels():
    from colorize.gans.losses.temporal import warp_consistency

    t = torch.rand(2, 3, 8, 10)
    n = torch.zeros_like(t)
    n[..., :8] = t[..., 2:]                     # frame n is frame t moved 2 px left
    flow = torch.zeros(2, 2, 8, 10)
    flow[:, 0] = 2.0
    mask = torch.zeros(2, 1, 8, 10)
    mask[..., :8] = 1.0
    assert warp_consistency(n, t, flow, mask).item() < 1e-6
    assert warp_consistency(n + 0.1, t, flow, mask).item() == pytest.approx(0.1, abs=1e-5)
    assert warp_consistency(n, t, flow, torch.zeros_like(mask)).item() == 0.0
