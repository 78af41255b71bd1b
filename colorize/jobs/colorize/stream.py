"""One colour stream: a shot's frames in, colour frames out, however the frames are stored.

    plan = ColourPlan(follow=True, temporal=TemporalConfig())   # or options.colour_plan(...)
    for item in colour_stream(frames, colorizer, plan):          # engine.model.ColorizedFrame
        write(item.colour)                                       # H x W x 3 uint8 RGB

`frames` are media.frames.Frame records in order, carrying what the stages need, attached once by
the job that reads them (the video job decodes, the folder job reads files):
* `.cut`: marked by media.shots.mark_cuts (needed when the plan follows references, or has a filter);
* `.key`: the frame's colour keyframe at its size (references.attach_keys), None for most frames;
* `.lineart`: drawn ahead (Colorizer.draw_lineart, in the decode thread), or drawn here when None.

The stream is: the generator (each shot following its keyframe or own first output when
`plan.follow`, in its own thread, one batch ahead), then the filters in order, each a function
`Iterator[ColorizedFrame] -> Iterator[ColorizedFrame]` that reads `source.cut` / `source.key` and holds
at most a frame or two in memory (`filters(plan)`): temporal (colorize.filters.temporal; with
`both_ways`, colorize.filters.keyed: keys carried backwards too, frames since a key spilled to disk
until the next key or cut), smoothing (colorize.filters.smoothing), then ink and paint
(colorize.filters.paint: regions painted, the lines put back on top; last, so nothing blurs the
lines after it).
A new filter adds its field to ColourPlan and its line to `filters`; the jobs need no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable, Iterable, Iterator

from colorize.cel import CelConfig
from colorize.engine.model import ColorizedFrame, Colorizer
from colorize.filters.keyed import carry_both_ways
from colorize.filters.paint import painted
from colorize.filters.smoothing import smoothed
from colorize.filters.temporal import TemporalConfig, carry_colours
from colorize.jobs.colorize.references import ModelSheet, follow_references
from colorize.media.threads import prefetch

#: A frame filter: colour frames in, colour frames out, in order, one for one.
Filter = Callable[[Iterable[ColorizedFrame]], Iterator[ColorizedFrame]]

@dataclass(frozen=True)
class ColourPlan:
    """How a stream of frames is coloured (options.colour_plan makes one from ColorizeOptions).

    lineart: the frames are line-art already. batch_size: frames per generator pass.
    follow: each shot follows a reference: its keyframe (`Frame.key`) or, with `self_reference`,
        its own first output (reference-guided models; references.follows_references decides).
    temporal: the temporal mode's settings (None: off). both_ways: the temporal mode also carries
        each key backwards over the frames before it (colorize.filters.keyed; with keys).
    smooth: smoothing strength in [0, 1) (0: off).
    cel: ink and paint (colorize.cel.CelConfig: flat / shaded / free paint, lines kept or dropped);
        None: the colour as the earlier stages left it.
    sheet: model sheets (references.ModelSheet) a shot without a keyframe follows (with `follow`).
    """

    lineart: bool = False
    batch_size: int = 4
    follow: bool = False
    self_reference: bool = True
    temporal: TemporalConfig | None = None
    both_ways: bool = False
    smooth: float = 0.0
    cel: CelConfig | None = None
    sheet: ModelSheet | None = None

    @property
    def needs_cuts(self) -> bool:
        """Whether the stream reads `Frame.cut` (the job marks cuts only then)."""
        return self.follow or self.temporal is not None or self.smooth > 0


def filters(plan: ColourPlan) -> list[Filter]:
    """The plan's filters, in the order they run on the generator's output."""
    chain: list[Filter] = []
    if plan.temporal is not None:
        carry = carry_both_ways if plan.both_ways else carry_colours
        chain.append(partial(carry, cfg=plan.temporal))
    if plan.smooth > 0:
        chain.append(partial(smoothed, strength=plan.smooth))
    if plan.cel is not None and (plan.cel.paint != "free" or plan.cel.lines != "drop" or plan.cel.paper > 0):
        chain.append(partial(painted, cfg=plan.cel))
    return chain


def colour_stream(frames: Iterable, colorizer: Colorizer, plan: ColourPlan) -> Iterator[ColorizedFrame]:
    """Colour frames for `frames` (see the module docstring for what each frame carries), in order.

    The generator runs in its own thread, one batch ahead of the filters (bounded: memory is flat);
    closing this generator stops it.
    """
    if plan.follow:
        coloured = follow_references(frames, colorizer, plan.lineart, plan.batch_size, plan.self_reference,
                                     plan.sheet)
    else:
        coloured = colorizer.iter_colorized(frames, plan.lineart, plan.batch_size)
    generator = prefetch(coloured, maxsize=plan.batch_size, name="generator")
    items: Iterable[ColorizedFrame] = generator
    for apply in filters(plan):
        items = apply(items)
    try:
        yield from items
    finally:
        generator.close()  # stops the generator thread if we left early
