"""Shared fixtures: deterministic torch, a temporary working folder, small generated toon clips."""

from __future__ import annotations

import os

import pytest
import torch

torch.set_num_threads(2)
# "auto" inference backends would export every tiny test model to ONNX (seconds each): tests run
# eager torch unless they ask for a backend (tests/jobs/colorize/test_backends.py); subprocesses inherit it.
os.environ.setdefault("COLORIZE_BACKEND", "torch")


@pytest.fixture(autouse=True)
def _deterministic_seed():
    torch.manual_seed(0)
    yield


@pytest.fixture(autouse=True)
def _sigchld_restored():
    """Each test leaves SIGCHLD as it found it. A torch DataLoader with worker processes installs a
    SIGCHLD handler for the rest of the process; a later OpenVINO model in the same process then died
    with SIGSEGV once the process waited on ffmpeg (three tests of three modules in one pytest run).
    The trainer restores it itself (gans.trainer._StopRequest); this covers tests that iterate loaders directly."""
    import signal

    before = signal.getsignal(signal.SIGCHLD)
    yield
    signal.signal(signal.SIGCHLD, before)


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module: on a shared 2-core machine two threads per process mostly wait
    on each other (used by the GAN variant tests, which run many tiny steps)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
