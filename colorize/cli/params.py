"""Pieces every command shares: a finite-number option type, the "created folder" note, SIGTERM
handled like Ctrl-C, and the inference backend option.

    @click.option("--fps", type=FiniteFloat(min=0, min_open=True))   # nan, inf and 0 are refused
    created = new_folder(output)          # before writing; after: if created: echo(created_note(...))
    with terminate_as_interrupt(): ...    # SIGTERM -> Terminated (a KeyboardInterrupt): same clean-up
    @backend_option                       # --backend auto|torch|onnxruntime|openvino
"""

from __future__ import annotations

import contextlib
import math
import signal
from pathlib import Path
from typing import Iterator

import click


class FiniteFloat(click.ParamType):
    """A float option that refuses nan and +-inf (Python's float() accepts both) and, optionally, values
    outside [min, max] (min_open / max_open exclude the bound itself)."""

    name = "number"

    def __init__(self, min: float | None = None, max: float | None = None, min_open: bool = False,
                 max_open: bool = False) -> None:
        self.min, self.max, self.min_open, self.max_open = min, max, min_open, max_open

    def convert(self, value, param, ctx) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.min is not None and (number < self.min or (self.min_open and number == self.min)):
            self.fail(f"{number:g} is not {'>' if self.min_open else '>='} {self.min:g}", param, ctx)
        if self.max is not None and (number > self.max or (self.max_open and number == self.max)):
            self.fail(f"{number:g} is not {'<' if self.max_open else '<='} {self.max:g}", param, ctx)
        return number


def new_folder(path: str | Path) -> Path | None:
    """The topmost missing folder above `path` (writing `path` will create it), or None."""
    missing = None
    for parent in Path(path).absolute().parents:
        if parent.exists():
            break
        missing = parent
    return missing


def created_note(folder: Path | None) -> str:
    """'' or ' (created folder X)', appended to a command's summary line."""
    return f" (created folder {folder})" if folder is not None else ""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: raised in the main thread so the clean-up that runs on Ctrl-C runs here too."""


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into Terminated for the duration (main thread only; elsewhere a no-op)."""

    def handler(signum, frame):
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# colorize.engine.backends.BACKENDS, repeated so that --help does not import torch
# (tests/cli checks that they agree).
BACKEND_CHOICES = ("auto", "torch", "onnxruntime", "openvino")

backend_option = click.option(
    "--backend", type=click.Choice(BACKEND_CHOICES), default="auto", show_default=True,
    help="Where the generator runs on the CPU: eager torch, ONNX Runtime or OpenVINO (fp32, results equal "
         "to torch's within float rounding). auto: the fastest installed one (OpenVINO, then ONNX Runtime, "
         "then torch; measured in benchmarks/bench_colorize.py); the first run of a model exports it to "
         "ONNX once (cached in ~/.cache/colorize, or $COLORIZE_CACHE). A GPU always runs torch.")
