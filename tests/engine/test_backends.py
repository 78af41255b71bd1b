"""Inference backends: ONNX Runtime and OpenVINO agree with eager torch, "auto" falls back cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from colorize.errors import ColorizeError, InputError
from colorize.engine import backends
from colorize.engine.backends import TorchBackend, make_backend
from colorize.engine.model import Colorizer, Reference
from colorize.nets.reference import ReferenceUNet
from tests.jobs.colorize._models import line_drawing, tiny_unet

RUNTIMES = [name for name in ("onnxruntime", "openvino") if backends.installed(name)]
CPU = torch.device("cpu")
# With OpenVINO and ONNX Runtime loaded into the test process, a later test of the full suite (the
# video job in test_sequences) died with SIGSEGV and no Python traceback, every time; without them the
# suite passed. The tests that load a runtime therefore run in a child pytest process of their own.
IN_CHILD = os.environ.get("COLORIZE_TEST_RUNTIMES") == "1"
in_child = pytest.mark.skipif(not IN_CHILD, reason="runs in a child process (test_runtimes_in_a_child_process)")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Exports go to one folder per test session (each tiny model is exported once), not ~/.cache."""
    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path_factory.getbasetemp() / "backend-cache"))
    monkeypatch.delenv("COLORIZE_BACKEND", raising=False)


def tiny_reference_unet() -> ReferenceUNet:
    """depth 3 (stride 8), feature stride 4, few positions so the attention grid is pooled too."""
    torch.manual_seed(0)
    net = ReferenceUNet(depth=3, base_channels=8, max_channels=16, dropout=0.0, dropout_layers=0,
                        feature_channels=16, feature_stride=4, attention_positions=64)
    return _randomise_norms(net).eval().requires_grad_(False)


def _randomise_norms(net: nn.Module) -> nn.Module:
    """BatchNorm running statistics away from (0, 1), so an exporter that drops them is caught."""
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.2, 0.2)
            module.running_var.uniform_(0.5, 2.0)
    return net


def frames(batch: int, height: int, width: int) -> torch.Tensor:
    """B x 1 x H x W line-art in [-1, 1] (1 = paper)."""
    art = np.stack([line_drawing(height, width, seed=i) for i in range(batch)])
    return torch.from_numpy(art).float().div(127.5).sub(1.0)[:, None]


@in_child
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_runtimes_agree_with_eager_torch_with_and_without_a_reference(runtime):
    net = tiny_reference_unet()
    backend = make_backend(net, runtime, CPU)
    assert backend.name == runtime
    for height, width in ((64, 96), (48, 128)):  # one export serves every size
        x = frames(3, height, width)
        ref_colour = torch.rand(1, 3, height, width) * 2 - 1
        with torch.inference_mode():
            plain = net(x)
            guided = net(x, ref_colour.expand(3, -1, -1, -1), x[:1].expand(3, -1, -1, -1))
            code = backend.encode_reference(ref_colour, x[:1])
            assert torch.allclose(backend.run(x), plain, atol=1e-4)
            assert torch.allclose(backend.run(x, code), guided, atol=1e-4)


@in_child
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_plain_unet_runs_on_the_runtimes_too(runtime):
    net = _randomise_norms(tiny_unet(norm="batch")).eval().requires_grad_(False)
    x = frames(2, 48, 80)
    with torch.inference_mode():
        assert torch.allclose(make_backend(net, runtime, CPU).run(x), net(x), atol=1e-4)


@in_child
@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_colorizer_on_a_runtime_gives_torchs_frames(runtime):
    """The video path (working size, a keyframe encoded once, line-guided upsampling) end to end."""
    net = tiny_reference_unet()
    lines = np.stack([line_drawing(72, 120, seed=i) for i in range(3)])
    key = Reference(np.full((72, 120, 3), (200, 90, 30), np.uint8), lines[0])
    results = {}
    for name in ("torch", runtime):
        colorizer = Colorizer(net, CPU, stride=net.stride, size=64, backend=name, precision="fp32")
        results[name] = (colorizer.colour_arrays(lines), colorizer.colour_arrays(lines, key))
        assert colorizer.backend.name == name
    for got, want in zip(results[runtime], results["torch"]):
        assert np.abs(got.astype(int) - want.astype(int)).max() <= 1


@in_child
@pytest.mark.skipif("openvino" not in RUNTIMES, reason="openvino is not installed")
def test_openvino_in_bf16_stays_close_to_fp32():
    """precision bf16 (the default) lets OpenVINO compute in bf16 where the CPU does natively."""
    net = tiny_reference_unet()
    x = frames(2, 64, 96)
    ref_colour = torch.rand(1, 3, 64, 96) * 2 - 1
    with torch.inference_mode():
        want = net(x, ref_colour.expand(2, -1, -1, -1), x[:1].expand(2, -1, -1, -1))
        backend = make_backend(net, "openvino", CPU, precision="bf16")
        got = backend.run(x, backend.encode_reference(ref_colour, x[:1]))
    assert (got - want).abs().max() < 0.05  # ~6 of 255 levels at most; fp32 CPUs give 1e-6


def test_the_eager_split_path_equals_the_whole_network():
    net = tiny_reference_unet()
    x = frames(2, 64, 64)
    ref_colour = torch.rand(1, 3, 64, 64) * 2 - 1
    backend = make_backend(net, "torch", CPU)
    with torch.inference_mode():
        want = net(x, ref_colour.expand(2, -1, -1, -1), x[:1].expand(2, -1, -1, -1))
        assert torch.allclose(backend.run(x, backend.encode_reference(ref_colour, x[:1])), want, atol=1e-5)


def test_auto_falls_back_to_torch_when_no_runtime_is_installed(monkeypatch):
    monkeypatch.setattr(backends, "installed", lambda name: name == "torch")
    backend = make_backend(tiny_reference_unet(), "auto", CPU)
    assert type(backend) is TorchBackend


def test_auto_takes_the_first_installed_runtime_and_the_environment_can_name_one(monkeypatch):
    exported = []
    monkeypatch.setattr(backends, "installed", lambda name: name in ("torch", "onnxruntime"))
    monkeypatch.setattr(backends, "_exported", lambda net, runtime, precision: exported.append(runtime) or TorchBackend(net))
    make_backend(tiny_reference_unet(), "auto", CPU)
    assert exported == ["onnxruntime"]
    monkeypatch.setenv("COLORIZE_BACKEND", "torch")
    make_backend(tiny_reference_unet(), "auto", CPU)
    assert exported == ["onnxruntime"]


def test_an_explicit_runtime_that_is_missing_or_on_a_gpu_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(backends, "installed", lambda name: name == "torch")
    with pytest.raises(InputError, match="openvino is not installed"):
        make_backend(tiny_reference_unet(), "openvino", CPU)
    with pytest.raises(InputError, match="CPU only"):
        make_backend(tiny_reference_unet(), "onnxruntime", torch.device("cuda"))
    assert type(make_backend(tiny_reference_unet(), "auto", torch.device("cuda"))) is TorchBackend
    with pytest.raises(ValueError, match="backend must be one of"):
        make_backend(tiny_reference_unet(), "tensorrt", CPU)


class Unexportable(nn.Module):
    """A generator whose output depends on a Python branch on the data: the exporter refuses it."""

    stride = 1

    def forward(self, x):
        if float(x.mean()) > 0:
            return x.expand(-1, 3, -1, -1)
        return -x.expand(-1, 3, -1, -1)


@pytest.mark.slow
def test_a_model_a_runtime_cannot_export_falls_back_under_auto_and_is_an_error_when_asked_for(monkeypatch):
    runtime = (RUNTIMES or ["onnxruntime"])[0]
    monkeypatch.setattr(backends, "installed", lambda name: name in ("torch", runtime))
    monkeypatch.setattr(backends, "AUTO_ORDER", (runtime,))
    net = Unexportable()
    with pytest.warns(RuntimeWarning, match=f"backend {runtime} cannot"):
        backend = make_backend(net, "auto", CPU)
    assert type(backend) is TorchBackend
    x = frames(1, 16, 16)
    assert torch.equal(backend.run(x), net(x))
    with pytest.raises(ColorizeError, match=f"backend {runtime} cannot"):
        make_backend(net, runtime, CPU)


def test_exports_are_cached_by_the_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("COLORIZE_CACHE", str(tmp_path))
    calls = []
    monkeypatch.setattr(backends, "_export", lambda module, example, path: calls.append(path) or path.touch())
    net = tiny_reference_unet()
    first = backends.export_parts(net)
    assert sorted(first) == ["encoder", "unet"] and len(calls) == 2
    assert backends.export_parts(net) == first and len(calls) == 2  # from the cache
    with torch.no_grad():
        next(net.parameters()).add_(1.0)
    assert backends.export_parts(net) != first and len(calls) == 4  # other weights, another export
    assert all(p.parent == tmp_path / "backends" for p in calls)


def test_the_cli_backend_choices_are_the_library_s():
    from colorize.cli.params import BACKEND_CHOICES

    assert BACKEND_CHOICES == backends.BACKENDS


@pytest.mark.slow
@pytest.mark.skipif(IN_CHILD or not RUNTIMES, reason="the child itself, or no runtime installed")
def test_runtimes_in_a_child_process(tmp_path):
    """The in_child tests above, in their own pytest process (see IN_CHILD)."""
    env = {**os.environ, "COLORIZE_TEST_RUNTIMES": "1", "COLORIZE_CACHE": str(tmp_path)}
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", __file__,
                             "-k", "agree or runs_on_the_runtimes or runtime_gives or bf16"],
                            cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout.splitlines()[-1]
