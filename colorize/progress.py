"""Progress bars for long commands: frame counts and rates on stderr, silent with `-q`.

Library code calls `progress(iterable, total=..., desc=...)`; the CLI sets quiet mode once, so no
function needs a `quiet` argument threaded through it.
"""

from __future__ import annotations

import sys
from typing import Iterable, Iterator, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")

_QUIET = False


def set_quiet(quiet: bool) -> None:
    """Turn every progress bar off (`colorize -q ...`)."""
    global _QUIET
    _QUIET = quiet


def is_quiet() -> bool:
    return _QUIET


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "", unit: str = "frame",
             **kwargs) -> Iterator[T]:
    """Wrap `iterable` in a tqdm bar (count, rate, ETA when `total` is known) unless quiet."""
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=_QUIET, dynamic_ncols=True,
                leave=False, **kwargs)


def bar(total: int | None = None, desc: str = "", unit: str = "frame", enabled: bool = True,
        **kwargs) -> tqdm:
    """A manually advanced bar (`b.update(n)`, `b.set_postfix(...)`), off when quiet or not `enabled`
    (e.g. on every rank but 0 of a distributed job)."""
    return tqdm(total=total, desc=desc, unit=unit, disable=_QUIET or not enabled, dynamic_ncols=True,
                leave=False, **kwargs)


def write_line(line: str) -> None:
    """Print one line on stderr above any running bar (for the CLI's notes; never silenced by -q)."""
    tqdm.write(line, file=sys.stderr)
