"""StepContext: the one place a variant's step touches loss scaling and optimizers."""

from __future__ import annotations

import contextlib

import torch

from colorize.gans.variant import StepContext


def test_an_optimizer_can_step_several_times_per_iteration_under_loss_scaling():
    """n_critic > 1 with fp16-style scaling: GradScaler forbids two steps without update()."""
    net = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", enabled=True, init_scale=2.0 ** 4)
    ctx = StepContext(0, torch.device("cpu"), {"d": opt}, scaler, contextlib.nullcontext)
    before = net.weight.detach().clone()
    for _ in range(3):
        ctx.backward(net(torch.ones(2, 4)).mean(), "d")
        ctx.step("d")
    assert not torch.equal(before, net.weight)
    assert all(p.grad is None for p in net.parameters())  # zeroed for the next critic step


def test_scaled_gradients_are_unscaled_before_the_update():
    """The same step with and without loss scaling moves the weights identically."""
    results = []
    for enabled in (False, True):
        torch.manual_seed(0)
        net = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(net.parameters(), lr=0.5)
        scaler = torch.amp.GradScaler("cpu", enabled=enabled, init_scale=1024.0)
        ctx = StepContext(0, torch.device("cpu"), {"g": opt}, scaler, contextlib.nullcontext)
        ctx.backward(net(torch.arange(3.0)).sum(), "g")
        ctx.step("g")
        results.append(net.weight.detach().clone())
    assert torch.allclose(results[0], results[1])
