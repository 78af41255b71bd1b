"""Fixtures of the colorize job tests: a tiny generator file and its Colorizer."""

from __future__ import annotations

from pathlib import Path

import pytest

from colorize.engine.model import Colorizer
from tests.jobs.colorize._models import save_tiny_model


@pytest.fixture
def model_file(tmp_path) -> Path:
    return save_tiny_model(tmp_path / "generator.safetensors")


@pytest.fixture
def colorizer(model_file) -> Colorizer:
    return Colorizer.from_file(model_file, device="cpu")
