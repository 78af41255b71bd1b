"""jobs.export: TorchScript and ONNX export of a generator file."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from colorize.errors import ColorizeError
from tests.jobs.colorize._models import save_tiny_model


@pytest.fixture
def model_file(tmp_path) -> Path:
    return save_tiny_model(tmp_path / "generator.safetensors")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.load is deprecated in torch 2.13
def test_torchscript_export_matches_the_generator(tmp_path, model_file):
    from colorize.jobs.export import export_generator
    from colorize.nets.files import load_generator

    out = export_generator(model_file, tmp_path / "g.pt")
    scripted = torch.jit.load(str(out))
    net, _ = load_generator(model_file)
    x = torch.rand(2, 1, 48, 80) * 2 - 1  # another batch and size than the tracing example
    with torch.no_grad():
        assert torch.allclose(scripted(x), net(x), atol=1e-5)


def test_onnx_export_without_the_extra_names_the_install_line(tmp_path, model_file, monkeypatch):
    import sys

    from colorize.jobs.export import export_generator

    monkeypatch.setitem(sys.modules, "onnxscript", None)  # makes `import onnxscript` fail
    with pytest.raises(ColorizeError, match=r'pip install "colorize\[export\]"'):
        export_generator(model_file, tmp_path / "g.onnx")
    assert not (tmp_path / "g.onnx").exists()
