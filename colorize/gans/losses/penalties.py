"""Gradient penalties that keep a discriminator smooth: WGAN-GP and R1.

    gp = gradient_penalty(lambda x: D(torch.cat([lineart, x], 1)), real, fake.detach())
    d_loss = adv.d(real_scores, fake_scores) + 10.0 * gp

    real.requires_grad_(True); real_scores = D(real)
    d_loss = adv.d(real_scores, fake_scores) + gamma / 2 * r1_penalty(real_scores, real)

Both build their gradients with create_graph=True, so the penalty itself back-propagates into D's
weights. Both are computed in float32: squared gradient norms overflow fp16. Under fp16 autocast
with a GradScaler, prefer bf16 (or fp32) for the step that computes a penalty, because autograd.grad
bypasses the scaler and small fp16 gradients underflow to zero.
"""

from __future__ import annotations

from typing import Callable

import torch

# Keeps sqrt differentiable where a gradient is exactly zero (d sqrt(x)/dx is infinite at 0 -> NaN).
_NORM_EPS = 1e-12


def _check_pair(real: torch.Tensor, fake: torch.Tensor) -> None:
    if real.shape != fake.shape:
        raise ValueError(f"gradient_penalty needs real and fake of one shape, got {tuple(real.shape)} "
                         f"and {tuple(fake.shape)}")


def interpolate(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Random points on the segments between paired real and fake samples: B x ... (leaf, requires grad).

    One weight per sample, drawn on the inputs' device and dtype (so it works on any device without
    a host-to-device copy and is reproducible under torch.manual_seed).
    """
    _check_pair(real, fake)
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    alpha = torch.rand(shape, device=real.device, dtype=real.dtype)
    mixed = alpha * real.detach() + (1.0 - alpha) * fake.detach()
    return mixed.requires_grad_(True)


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     target: float = 1.0) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): mean over samples of (||d critic(x) / dx||_2 - target)^2.

    critic: maps a batch shaped like `real` to scores of any shape (summed per sample; a PatchGAN map is
    fine). Wrap a conditional D in a closure that concatenates the condition. real, fake: B x ...,
    same shape; both are detached here, so the penalty trains only the critic. Returns a float32 scalar.
    """
    mixed = interpolate(real, fake)
    scores = critic(mixed)
    (grads,) = torch.autograd.grad(scores.float().sum(), mixed, create_graph=True)
    norms = (grads.float().flatten(1).square().sum(1) + _NORM_EPS).sqrt()
    return (norms - target).square().mean()


def r1_penalty(real_scores: torch.Tensor, real_inputs: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): mean over samples of ||d real_scores / d real_inputs||_2^2, float32 scalar.

    real_inputs must have had requires_grad set before D was run on them (the scores must depend on
    them through the graph). Multiply by gamma / 2 in the variant.
    """
    if not real_inputs.requires_grad:
        raise ValueError("r1_penalty needs real_inputs.requires_grad_(True) before computing real_scores")
    (grads,) = torch.autograd.grad(real_scores.float().sum(), real_inputs, create_graph=True)
    return grads.float().flatten(1).square().sum(1).mean()
