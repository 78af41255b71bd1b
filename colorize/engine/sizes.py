"""The engine's size settings and their one parser; no torch here, so `colorize --help` stays light."""

from __future__ import annotations

from colorize.errors import InputError

# Frames with more pixels than this are tiled automatically: above it a full-width U-Net's
# activations stop fitting comfortably in a few GB. Batches are split to stay under it too.
DEFAULT_MAX_PIXELS = 2048 * 2048
DEFAULT_TILE = 1024
DEFAULT_TILE_OVERLAP = 64
# The working size `colorize video` / `colorize frames` use by default (longer side, pixels), chosen by
# benchmarks/bench_colorize.py: see the README's "What to expect".
DEFAULT_WORKING_SIZE = 384


def parse_working_size(size: int | str | None) -> int:
    """The working resolution a `size` setting asks for: None -> the default (384), "full" or 0 -> 0
    (full resolution), N >= 0 (or "N") -> N. InputError for anything else."""
    if size is None:
        return DEFAULT_WORKING_SIZE
    if isinstance(size, str) and size.strip().lower() == "full":
        return 0
    try:
        value = int(size)
    except (TypeError, ValueError):
        value = -1
    if value < 0 or isinstance(size, bool):
        raise InputError(f"size must be a number of pixels (>= 0) or 'full', got {size!r}")
    return value
