"""Where and how tensors run: device choice, autocast, channels_last, compile, DDP, seeding. One place.

Nothing else in the package picks a device or hard-codes CUDA; code takes a `torch.device` (or makes
tensors on its input's device) and asks this module for contexts.

    dev = resolve_device("auto")                 # cuda if present, else cpu
    with autocast(dev, "bf16"):                 # no-op on CPU, bf16/fp16 autocast on GPU
        y = net(x)
    dist = init_distributed()                   # reads torchrun's env; gloo on CPU, NCCL on GPU
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
from typing import Literal

import numpy as np
import torch

from colorize.errors import ColorizeError

Precision = Literal["fp32", "bf16", "fp16"]


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """'auto' -> cuda (this process's local rank under torchrun) if available, else mps, else cpu.

    An explicit 'cuda' on a machine without one is a user error, not a silent fallback.
    """
    if isinstance(name, torch.device):
        return name
    name = name.lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ColorizeError(f"unknown device {name!r} (use auto, cpu, cuda or cuda:N)") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ColorizeError(f"device {name!r} was asked for but no CUDA GPU is available (use --device cpu)")
    return dev


def autocast_dtype(device: torch.device, precision: Precision) -> torch.dtype | None:
    """The autocast dtype for `precision` on `device`, or None where mixed precision is off.

    CPU autocast is deliberately off: on the CPUs we measured bf16 convolutions were slower than fp32.
    """
    if device.type != "cuda" or precision == "fp32":
        return None
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return torch.bfloat16 if precision == "bf16" else torch.float16


def autocast(device: torch.device, precision: Precision = "bf16"):
    """Autocast context for `device`; a nullcontext where mixed precision is off (CPU, fp32)."""
    dtype = autocast_dtype(device, precision)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def needs_grad_scaler(device: torch.device, precision: Precision) -> bool:
    """fp16 gradients underflow without loss scaling; bf16 has fp32's range and needs none."""
    return autocast_dtype(device, precision) == torch.float16


def make_grad_scaler(device: torch.device, precision: Precision) -> torch.amp.GradScaler:
    """A GradScaler that is enabled only for fp16 on GPU (a disabled one is a transparent no-op)."""
    return torch.amp.GradScaler(device.type, enabled=needs_grad_scaler(device, precision))


def prepare_module(module: torch.nn.Module, device: torch.device, channels_last: bool = False,
                   compile: bool = False) -> torch.nn.Module:
    """Move to device; channels_last and torch.compile only where they pay off (CUDA)."""
    module = module.to(device)
    if channels_last and device.type == "cuda":
        module = module.to(memory_format=torch.channels_last)
    if compile and device.type == "cuda":
        module = torch.compile(module)
    return module


def to_device(x: torch.Tensor, device: torch.device, channels_last: bool = False) -> torch.Tensor:
    """Move a batch (non_blocking from pinned memory) in the memory format the model expects."""
    x = x.to(device, non_blocking=True)
    if channels_last and device.type == "cuda" and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) so CPU runs are repeatable."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@dataclasses.dataclass(frozen=True)
class DistInfo:
    """This process's place in a (possibly single-process) data-parallel job."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Only rank 0 logs, writes sample grids and saves checkpoints."""
        return self.rank == 0


def init_distributed(device: torch.device | None = None) -> DistInfo:
    """Join the torchrun job described by RANK/WORLD_SIZE/LOCAL_RANK, if any; idempotent.

    Backend: NCCL when the device is CUDA, gloo otherwise (CPU clusters and tests).
    """
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world <= 1:
        return DistInfo()
    import torch.distributed as dist

    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", 0))
    if not dist.is_initialized():
        backend = "nccl" if device is not None and device.type == "cuda" else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(local)
        dist.init_process_group(backend=backend)
    return DistInfo(rank=rank, local_rank=local, world_size=world)


def dist_info() -> DistInfo:
    """The current job's DistInfo without initialising anything (rank 0 of 1 outside torchrun)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return DistInfo(dist.get_rank(), int(os.environ.get("LOCAL_RANK", 0)), dist.get_world_size())
    return DistInfo(int(os.environ.get("RANK", 0)), int(os.environ.get("LOCAL_RANK", 0)),
                    int(os.environ.get("WORLD_SIZE", 1)))


def barrier() -> None:
    """Wait for every rank (no-op outside a process group)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
