"""The one declaration of `colorize video` / `colorize frames` settings, and the plan they make.

    options = ColorizeOptions(references=Path("keys/"), smooth=0.3)
    colorizer = load_colorizer(options)
    plan = colour_plan(options, colorizer, keyed=True)       # stream.ColourPlan

`ColorizeOptions` is the source the other interfaces follow: the CLI flags (colorize/cli/video.py
takes its defaults from here), the API keywords (colorize/api.py colorize_video / colorize_folder)
and the pipeline's colorize step (colorize/pipeline.py ColorizeStep); tests/jobs/colorize/test_options.py
checks that every one of them has the same names and defaults. No torch is imported here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from colorize.engine.sizes import DEFAULT_MAX_PIXELS, DEFAULT_TILE_OVERLAP, DEFAULT_WORKING_SIZE

if TYPE_CHECKING:
    from colorize.engine.model import Colorizer
    from colorize.cel import CelConfig
    from colorize.jobs.colorize.stream import ColourPlan
    from colorize.runtime import Precision


@dataclass
class ColorizeOptions:
    """Settings of `colorize video` / `colorize frames` (CLI flags and API keywords map one to one).

    model: generator file (None: the default model). lineart: inputs are line-art already.
    size: working resolution, the longer side the generator sees (0: full resolution; larger frames
    are colorized downscaled and upsampled under their full-resolution lines, see Colorizer).
    tile: 0 tiles only frames above max_pixels; N > 0 forces N x N tiles. crf/preset: x264 settings;
    `ultrafast` keeps the encoder out of the generator's way (x264 `medium` manages ~40 frames/s of
    1080p on 2 cores, `veryfast` ~60, `ultrafast` ~110; on 2 CPU cores, end-to-end speed with the
    default model measured 81-83% of the generator alone with `veryfast`, 91-97% with `ultrafast`).
    The cost is a larger file at the same quality; pass a slower preset to trade speed for size.
    queue_size: frames buffered between threads.
    """

    model: Path | None = None
    device: str = "auto"
    batch_size: int = 4
    precision: "Precision" = "bf16"
    lineart: bool = False
    size: int = DEFAULT_WORKING_SIZE
    tile: int = 0
    tile_overlap: int = DEFAULT_TILE_OVERLAP
    max_pixels: int = DEFAULT_MAX_PIXELS
    side_by_side: bool = False       # video only: line-art | colour | original
    crf: int = 18                    # video only
    preset: str = "ultrafast"        # video only
    even: bool = False               # video only: pad an odd width / height by one black pixel, 4:2:0 H.264
    queue_size: int = 8
    backend: str = "auto"            # where the generator runs: auto, torch, onnxruntime, openvino (engine/backends.py)
    smooth: float = 0.0   # video only: temporal smoothing strength in [0, 1) (0 = off); resets at shot cuts
    temporal: bool | None = None     # carry colours along the motion (None: on for reference-guided models)
    reference: Path | None = None    # colour keyframe for frame 0 / each folder sequence's first frame
    references: Path | None = None   # folder of keyframes named by frame number (folders: DIR/<sequence>)
    self_reference: bool = True      # a shot without a keyframe follows its first output (guided models)
    shots: bool = True               # folders only: detect shot cuts within a sequence (off: one shot each)
    paint: str = "auto"              # ink and paint: flat / shaded paint per closed region, free (per pixel);
                                     # auto: flat for line-art input, free for keyed line-art and colour (docs/cel.md)
    lines: str = "auto"              # keep: the line-art's own lines over the paint, black; colour: the
                                     # same lines in the keys' colours; drop: paint only; auto: keep for
                                     # line-art input, colour for keyed line-art, drop for colour input
    sheet: tuple[Path, ...] = ()     # model sheets (images or folders): the reference of shots no keyframe covers

    def __post_init__(self) -> None:
        from colorize.engine.backends import BACKENDS

        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.size < 0:
            raise ValueError(f"size must be >= 0 (0 = full resolution), got {self.size}")
        if self.tile < 0:
            raise ValueError(f"tile must be >= 0 (0 = automatic), got {self.tile}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {self.queue_size}")
        if not 0.0 <= self.smooth < 1.0:
            raise ValueError(f"smooth must be in [0, 1), got {self.smooth}")
        self.cel()  # checks paint and lines

    def cel(self) -> "CelConfig":
        """The ink-and-paint settings for this input ("auto" resolved by `lineart`; unless keyframes or
        sheets colour it, the paper around a drawing kept white and the guessed colours laid on pale;
        colorize.cel.cel_config; ValueError names a bad paint or lines)."""
        from colorize.cel import cel_config

        return cel_config(self.paint, self.lines, self.lineart, keyed=self.keyed or bool(self.sheet))

    @property
    def keyed(self) -> bool:
        """Whether keyframes were given (--reference or --references)."""
        return self.reference is not None or self.references is not None

    @property
    def sheets(self) -> list[Path]:
        """The model sheet images: each --sheet image, and the images of each --sheet folder."""
        from colorize.jobs.colorize.references import sheet_files

        return sheet_files(self.sheet)


#: Every option's default, by name (the CLI and the API take theirs from here).
DEFAULTS = {f.name: f.default for f in fields(ColorizeOptions)}


def load_colorizer(options: ColorizeOptions) -> "Colorizer":
    """The Colorizer these options describe (the model is loaded once, here)."""
    from colorize.engine.model import Colorizer

    return Colorizer.from_file(options.model, device=options.device, lineart=options.lineart,
                               precision=options.precision,
                               tile=options.tile, tile_overlap=options.tile_overlap,
                               max_pixels=options.max_pixels, size=options.size, backend=options.backend)


def colour_plan(options: ColorizeOptions, colorizer: "Colorizer", keyed: bool) -> "ColourPlan":
    """The ColourPlan of a stream these options colour with `colorizer`: follow references (keyframes
    when `keyed`, self-reference; references.follows_references decides and refuses keyframes for a
    model without references), the temporal mode (as asked, else on for a reference-guided model;
    its flow at the working size; with keys, carried backwards from each key too), smoothing, the
    model sheets' mosaic, ink and paint. InputError for keyframes or sheets and a plain model, or an unreadable sheet."""
    from colorize.filters.temporal import TemporalConfig
    from colorize.jobs.colorize.references import follows_references, model_sheet
    from colorize.jobs.colorize.stream import ColourPlan

    sheets = options.sheets
    follow = follows_references(colorizer, keyed or bool(sheets), options.self_reference)
    carry = colorizer.takes_reference if options.temporal is None else options.temporal
    return ColourPlan(lineart=options.lineart, batch_size=options.batch_size, follow=follow,
                      self_reference=options.self_reference,
                      temporal=TemporalConfig.at_working_size(colorizer.size) if carry else None,
                      both_ways=keyed and carry, smooth=options.smooth,
                      sheet=model_sheet(sheets, colorizer) if sheets and follow else None,
                      cel=options.cel())
