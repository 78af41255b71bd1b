"""Cel output: closed regions of the line-art, flat or shaded paint per region, the artist's lines kept.

    regions = segment_regions(lineart, gap=3, min_area=16)    # colorize.cel.regions
    painted = paint(colour, regions, "flat")                  # colorize.cel.paint
    out = composite_lines(painted, lineart)                   # colorize.cel.lines (bit-exact lines)
    out = composite_lines(painted, lineart, ink_colours(colour))  # the same lines, in the keys' colours
    out = cel_frame(colour, lineart, paint="flat", lines="keep")  # all three (colorize.cel.frame)
    cfg = cel_config("auto", "auto", lineart=True)            # "auto": flat + keep for line-art input,
                                                              # free + colour with keys, free + drop for colour

Arrays: line-art H x W uint8 (255 paper, 0 ink), colour H x W x 3 uint8 RGB of the same size. The painter is
`colorize.cel.paint.paint` (not re-exported: it would hide its module). Floor 2 (beside lineart): imports only the ground floor, media and lineart.
"""

from colorize.cel.frame import AUTO, CelConfig, cel_config, cel_frame, render_cel
from colorize.cel.lines import composite_lines, ink_colours
from colorize.cel.regions import Regions, segment_regions

__all__ = ["AUTO", "CelConfig", "cel_config", "Regions", "cel_frame", "composite_lines", "ink_colours", "render_cel",
           "segment_regions"]
