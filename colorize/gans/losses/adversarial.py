"""Adversarial losses as (discriminator, generator) pairs, chosen by name in a config.

    adv = get_adversarial("lsgan")
    d_loss = adv.d(D(real_pair), D(fake_pair.detach()))     # discriminator step
    g_loss = adv.g(D(fake_pair))                             # generator step

Every function takes the discriminator's raw outputs (logits for "vanilla", scores otherwise) of any
shape (B, B x 1, or a PatchGAN's B x 1 x h x w map, averaged over every patch) and returns a float32
scalar. D losses are the sum of the real and fake terms; pix2pix halves its D loss, and that factor
belongs to the variant, not here.

Why float32: under autocast D's outputs may be fp16/bf16. The means over large patch maps and the
squares in LSGAN lose precision (bf16 has 8 mantissa bits) or overflow (fp16 tops out at 65504) in
half precision, and elementwise ops keep their input's dtype even inside autocast, so casting the
inputs once makes every op below run in float32. Casting is differentiable: gradients flow back in
the outputs' dtype.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F

from colorize.errors import ConfigError


def _f32(x: torch.Tensor) -> torch.Tensor:
    return x.float()


def d_vanilla(real: torch.Tensor, fake: torch.Tensor, smooth: float = 0.0) -> torch.Tensor:
    """Original GAN D loss: BCE(sigmoid(real), 1 - smooth) + BCE(sigmoid(fake), 0), from logits.

    `smooth` is one-sided label smoothing (Salimans et al. 2016): real targets become 1 - smooth,
    fake targets stay 0, so D is not rewarded for over-confidence without pushing fakes towards real.
    """
    if not 0.0 <= smooth < 1.0:
        raise ConfigError(f"label smoothing must be in [0, 1), got {smooth}")
    real, fake = _f32(real), _f32(fake)
    real_loss = F.binary_cross_entropy_with_logits(real, torch.full_like(real, 1.0 - smooth))
    fake_loss = F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    return real_loss + fake_loss


def g_vanilla(fake: torch.Tensor) -> torch.Tensor:
    """Non-saturating G loss: BCE(sigmoid(fake), 1) = mean softplus(-fake); strong gradients early on."""
    fake = _f32(fake)
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def d_lsgan(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Least-squares D loss (Mao et al. 2017): mean (real - 1)^2 + mean fake^2 on raw scores."""
    real, fake = _f32(real), _f32(fake)
    return (real - 1.0).square().mean() + fake.square().mean()


def g_lsgan(fake: torch.Tensor) -> torch.Tensor:
    """Least-squares G loss: mean (fake - 1)^2."""
    return (_f32(fake) - 1.0).square().mean()


def d_hinge(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Hinge D loss (SAGAN/BigGAN): mean relu(1 - real) + mean relu(1 + fake); zero once the margin is met."""
    real, fake = _f32(real), _f32(fake)
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def g_hinge(fake: torch.Tensor) -> torch.Tensor:
    """Hinge G loss: -mean fake (no margin on the generator side)."""
    return -_f32(fake).mean()


def d_wasserstein(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """WGAN critic loss: mean fake - mean real. Needs a Lipschitz constraint (gradient penalty, spectral norm)."""
    return _f32(fake).mean() - _f32(real).mean()


def g_wasserstein(fake: torch.Tensor) -> torch.Tensor:
    """WGAN generator loss: -mean fake."""
    return -_f32(fake).mean()


class AdversarialLoss(NamedTuple):
    """A matched pair: d(real_outputs, fake_outputs) -> scalar, g(fake_outputs) -> scalar."""

    d: Callable[..., torch.Tensor]
    g: Callable[[torch.Tensor], torch.Tensor]


ADVERSARIAL: dict[str, AdversarialLoss] = {
    "vanilla": AdversarialLoss(d_vanilla, g_vanilla),
    "lsgan": AdversarialLoss(d_lsgan, g_lsgan),
    "hinge": AdversarialLoss(d_hinge, g_hinge),
    "wasserstein": AdversarialLoss(d_wasserstein, g_wasserstein),
}


def get_adversarial(name: str) -> AdversarialLoss:
    """The (d, g) pair called `name`; ConfigError listing the known names otherwise."""
    try:
        return ADVERSARIAL[name]
    except KeyError:
        known = ", ".join(sorted(ADVERSARIAL))
        raise ConfigError(f"unknown adversarial loss {name!r} (known: {known})") from None
