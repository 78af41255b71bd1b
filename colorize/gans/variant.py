"""The step contract between a GAN variant and the one Trainer.

A variant is a small `nn.Module` subclass that owns its networks and knows how to take one training
step. The Trainer owns everything else: the loop, data loading, device placement, mixed precision,
gradient averaging across processes, learning-rate schedules, EMA, logging, sample grids, validation
and checkpoints. So a new variant is a few dozen lines, never a copy of the loop.

A variant implements:
    Config: ClassVar[type]                       dataclass of the variant's options (strict TOML)
    __init__(cfg, data: DataInfo)                build networks as submodules
    configure_optimizers() -> dict[str, Optimizer]   one per network group, e.g. {"g": ..., "d": ...}
    train_step(batch, ctx) -> dict[str, float]   one optimisation step; uses ctx for backward/step
    visualize(batch) -> Tensor 3 x H x W         a sample grid image in [0, 1]
and optionally:
    validate(batch) -> dict[str, float]          validation metrics for one batch (averaged by Trainer)
    best_metric: ClassVar[tuple[str, str]]       e.g. ("psnr", "max"): which validation figure picks `best`
    ema_module() -> nn.Module | None             the network whose EMA the Trainer keeps (usually G)
    export_generator() -> (nn.Module, meta)      what `generator.safetensors` holds
    sample(n, labels=None) -> Tensor             unconditional/conditional samples in [0, 1]
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, ClassVar

import torch
from torch import nn


@dataclasses.dataclass
class DataInfo:
    """What a variant needs to know about its data to size its networks."""

    channels: int = 3
    size: int = 64
    num_classes: int = 0
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


class StepContext:
    """Handed to `Variant.train_step`: the only way a step touches precision, scaling and processes.

        with ctx.autocast():
            loss = ...
        ctx.backward(loss, "d")   # scaled for fp16, plain otherwise
        ctx.step("d")             # averages grads across ranks, unscales, steps, zeroes grads
    """

    def __init__(self, iteration: int, device: torch.device, optimizers: dict[str, torch.optim.Optimizer],
                 scaler: torch.amp.GradScaler, autocast_factory, world_size: int = 1):
        self.iteration = iteration  # steps completed before this one (0-based index of this step)
        self.device = device
        self.optimizers = optimizers
        self.scaler = scaler
        self._autocast = autocast_factory
        self.world_size = world_size

    def autocast(self) -> contextlib.AbstractContextManager:
        """Mixed precision for forward passes (no-op on CPU / fp32)."""
        return self._autocast()

    def backward(self, loss: torch.Tensor, optimizer: str | None = None, retain_graph: bool = False) -> None:
        """Backpropagate `loss` (scaled when fp16 needs it). `optimizer` is documentation only."""
        self.scaler.scale(loss).backward(retain_graph=retain_graph)

    def step(self, name: str, clip_grad_norm: float | None = None) -> None:
        """Average gradients over ranks, optionally clip, step optimizer `name`, zero its grads."""
        opt = self.optimizers[name]
        params = [p for group in opt.param_groups for p in group["params"] if p.grad is not None]
        if self.world_size > 1:
            _all_reduce_mean(params, self.world_size)
        if clip_grad_norm is not None:
            self.scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(params, clip_grad_norm)
        self.scaler.step(opt)
        # Update the loss scale after every step: fp16's GradScaler refuses a second step of the same
        # optimizer (n_critic > 1) before update(). A no-op unless fp16 scaling is on.
        self.scaler.update()
        opt.zero_grad(set_to_none=True)

    def zero_grad(self, name: str) -> None:
        self.optimizers[name].zero_grad(set_to_none=True)


def _all_reduce_mean(params: list[nn.Parameter], world_size: int) -> None:
    """Average gradients across processes in one flat all-reduce.

    Why not DistributedDataParallel's wrapper: a GAN step backpropagates through D while updating G,
    toggles requires_grad and (WGAN-GP) uses double backward, which DDP's reducer does not support.
    Averaging the gradients of each optimizer right before its step is the same data-parallel maths.
    """
    import torch.distributed as dist

    if not params:
        return
    grads = [p.grad for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world_size
    offset = 0
    for g in grads:
        n = g.numel()
        g.copy_(flat[offset:offset + n].view_as(g))
        offset += n


def set_requires_grad(net: nn.Module, flag: bool) -> None:
    """Freeze/unfreeze a network (D while G steps), saving D's gradient memory and time."""
    for p in net.parameters():
        p.requires_grad_(flag)


class Variant(nn.Module):
    """Base class of every GAN variant; see the module docstring for the contract."""

    name: ClassVar[str] = ""
    Config: ClassVar[type] = object
    best_metric: ClassVar[tuple[str, str] | None] = None

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def train_step(self, batch: Any, ctx: StepContext) -> dict[str, float]:
        raise NotImplementedError

    def visualize(self, batch: Any) -> torch.Tensor:
        raise NotImplementedError

    def validate(self, batch: Any) -> dict[str, float]:
        return {}

    def ema_module(self) -> nn.Module | None:
        return None

    def export_generator(self) -> tuple[nn.Module, dict[str, Any]] | None:
        return None

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device
