"""colorize.runtime: device choice, autocast and loss scaling, module/batch placement, seeding, torchrun info."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from colorize import runtime
from colorize.errors import ColorizeError

CPU = torch.device("cpu")


def test_auto_picks_cpu_without_a_gpu_and_a_device_passes_through(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    if getattr(torch.backends, "mps", None) is not None:
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert runtime.resolve_device("auto") == CPU
    assert runtime.resolve_device("CPU") == CPU
    assert runtime.resolve_device(CPU) is CPU


def test_auto_on_a_gpu_takes_this_process_local_rank(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv("LOCAL_RANK", "3")
    assert runtime.resolve_device("auto") == torch.device("cuda", 3)


def test_an_unknown_device_or_a_missing_gpu_is_a_one_line_user_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ColorizeError, match="unknown device 'tpu7'"):
        runtime.resolve_device("tpu7")
    with pytest.raises(ColorizeError, match="no CUDA GPU is available"):
        runtime.resolve_device("cuda:0")


@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_cpu_runs_in_fp32_without_a_scaler(precision):
    assert runtime.autocast_dtype(CPU, precision) is None
    assert not runtime.needs_grad_scaler(CPU, precision)
    assert not runtime.make_grad_scaler(CPU, precision).is_enabled()
    with runtime.autocast(CPU, precision):
        assert torch.ones(2, 2).matmul(torch.ones(2, 2)).dtype == torch.float32


def test_gpu_precision_choices_and_fp16_is_the_only_one_scaled(monkeypatch):
    gpu = torch.device("cuda", 0)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert runtime.autocast_dtype(gpu, "bf16") == torch.bfloat16
    assert runtime.autocast_dtype(gpu, "fp16") == torch.float16
    assert runtime.autocast_dtype(gpu, "fp32") is None
    assert runtime.needs_grad_scaler(gpu, "fp16") and not runtime.needs_grad_scaler(gpu, "bf16")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert runtime.autocast_dtype(gpu, "bf16") == torch.float16  # older GPUs fall back to fp16 (scaled)


def test_prepare_module_and_to_device_leave_cpu_layouts_alone():
    net = torch.nn.Conv2d(3, 4, 3)
    prepared = runtime.prepare_module(net, CPU, channels_last=True, compile=True)
    assert prepared is net and net.weight.is_contiguous()  # channels_last and compile only on CUDA
    x = runtime.to_device(torch.rand(2, 3, 8, 8), CPU, channels_last=True)
    assert x.is_contiguous() and x.device == CPU


def test_seed_everything_repeats_python_numpy_and_torch():
    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    runtime.seed_everything(5)
    first = draw()
    runtime.seed_everything(5)
    assert draw() == first
    runtime.seed_everything(2**40 + 5)  # beyond NumPy's 32-bit seed range: still accepted
    assert len(draw()) == 3


def test_outside_torchrun_this_is_rank_0_of_1(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    info = runtime.init_distributed(CPU)
    assert info == runtime.DistInfo() == runtime.dist_info()
    assert info.is_main and not info.enabled
    runtime.barrier()  # no process group: returns at once


def test_dist_info_reads_torchrun_variables_without_joining(monkeypatch):
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("LOCAL_RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "4")
    info = runtime.dist_info()
    assert (info.rank, info.local_rank, info.world_size, info.enabled, info.is_main) == (2, 0, 4, True, False)
