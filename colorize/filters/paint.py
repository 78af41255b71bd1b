"""Ink and paint as a stream filter: each colour frame repainted region by region under its own lines.

    for item in painted(items, CelConfig(paint="flat", lines="keep")):
        ...                                   # item.colour: flat paint per closed region, lines on top

The colour the frame has so far (the generator's, or the colours the temporal mode carried from a
key) is the paint source; the frame's full-resolution line-art (`ColorizedFrame.lineart`: the input
itself for line-art input, the model's recipe for colour video) closes the regions and, with
`lines="keep"`, is composited over the paint pixel for pixel (colorize.cel). It runs last in the
stream, so nothing after it blurs the lines. Stateless: one frame at a time.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Iterable, Iterator

from colorize.cel import CelConfig, render_cel

if TYPE_CHECKING:
    from colorize.engine.model import ColorizedFrame


def painted(items: Iterable["ColorizedFrame"], cfg: CelConfig) -> Iterator["ColorizedFrame"]:
    """Each item with its colour repainted as `cfg` says (see colorize.cel.render_cel)."""
    for item in items:
        yield dataclasses.replace(item, colour=render_cel(item.colour, item.lineart, cfg, item.key_reach))
