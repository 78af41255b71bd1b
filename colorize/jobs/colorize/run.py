"""Whole jobs built on the Colorizer: a video end to end, and a folder tree of frames (resumable).

    colorize_video("in.mp4", "out.mp4", ColorizeOptions(model="generator.safetensors"))
    summary = colorize_folder("frames/", "colour/", ColorizeOptions(is_lineart=True))

Video: decode -> line-art -> generator -> temporal mode -> encode, with decoding (and the line-art),
the generator and encoding in their own threads (bounded queues, so memory is flat however long the
clip) while the main thread runs the temporal mode and smoothing, frame after frame.
The output keeps the input's frame count, fps, size and audio, and appears only when complete.

Folder: every image below IN_DIR becomes OUT_DIR/<same relative path>.png, written atomically; images
whose output already exists are skipped, so a killed job resumes where it stopped. Under torchrun
each rank takes every WORLD_SIZE-th image. With a reference-guided model (keyframes or
self-reference, and the temporal mode) each folder is an image sequence coloured like a video, shot by
shot, and ranks take whole sequences (see colorize.jobs.colorize.sequences).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import numpy as np

from colorize.errors import InputError
from colorize.jobs.colorize.backends import check_backend
from colorize.images import (check_writable, list_images, output_paths, read_rgb, refuse_input_as_output,
                             remove_stale_partials, write_bytes, write_image)
from colorize.jobs.colorize.model import (DEFAULT_MAX_PIXELS, DEFAULT_TILE_OVERLAP, DEFAULT_WORKING_SIZE,
                                          ColorizedFrame, Colorizer)
from colorize.media.threads import BackgroundSink, prefetch
from colorize.progress import bar
from colorize.runtime import Precision, dist_info

if TYPE_CHECKING:
    from colorize.jobs.colorize.references import ReferenceGuide


@dataclass
class ColorizeOptions:
    """Settings of `colorize video` / `colorize frames` (CLI flags map one to one).

    model: generator file (None: the default model). is_lineart: inputs are line-art already.
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
    precision: Precision = "bf16"
    is_lineart: bool = False
    size: int = DEFAULT_WORKING_SIZE
    tile: int = 0
    tile_overlap: int = DEFAULT_TILE_OVERLAP
    max_pixels: int = DEFAULT_MAX_PIXELS
    side_by_side: bool = False
    crf: int = 18
    preset: str = "ultrafast"
    queue_size: int = 8
    backend: str = "auto"            # where the generator runs: auto, torch, onnxruntime, openvino (see backends.py)
    smooth: float = 0.0   # video only: temporal smoothing strength in [0, 1) (0 = off); resets at shot cuts
    temporal: bool | None = None     # carry colours along the motion (None: on for reference-guided models)
    reference: Path | None = None    # colour keyframe for frame 0 / each folder sequence's first frame
    references: Path | None = None   # folder of keyframes named by frame number (folders: DIR/<sequence>)
    self_reference: bool = True      # a shot without a keyframe follows its first output (guided models)
    shots: bool = True               # folders: detect shot cuts within a sequence (off: one shot each)

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.size < 0:
            raise ValueError(f"size must be >= 0 (0 = full resolution), got {self.size}")
        if self.tile < 0:
            raise ValueError(f"tile must be >= 0 (0 = automatic), got {self.tile}")
        check_backend(self.backend)
        if self.queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {self.queue_size}")
        if not 0.0 <= self.smooth < 1.0:
            raise ValueError(f"smooth must be in [0, 1), got {self.smooth}")


def load_colorizer(options: ColorizeOptions) -> Colorizer:
    """The Colorizer these options describe (the model is loaded once, here)."""
    return Colorizer.from_file(options.model, device=options.device, precision=options.precision,
                               tile=options.tile, tile_overlap=options.tile_overlap,
                               max_pixels=options.max_pixels, size=options.size, backend=options.backend)


# ------------------------------------------------------------------------------------------ video

def side_by_side(item: ColorizedFrame) -> np.ndarray:
    """line-art | colorized | original, as one H x 3W x 3 uint8 RGB frame."""
    original = item.source.image
    if original.ndim == 2:
        original = np.repeat(original[:, :, None], 3, axis=2)
    lineart = np.repeat(item.lineart[:, :, None], 3, axis=2)
    return np.concatenate([lineart, item.colour, original], axis=1)


def smoothed(items: Iterable[ColorizedFrame], strength: float) -> Iterator[ColorizedFrame]:
    """Blend each colour frame with the previous one warped by optical flow on the line-art, where
    the flow is reliable; shot cuts (`source.cut`, marked once by media.shots.mark_cuts) reset it,
    so no colour crosses a cut. Holds one previous frame: memory stays flat."""
    from colorize.jobs.colorize.smoothing import SmoothingConfig, TemporalSmoother

    smoother = TemporalSmoother(SmoothingConfig(strength=strength))
    for item in items:
        if item.source.cut is None:
            raise ValueError("smoothing needs frames with shot cuts marked (media.shots.mark_cuts)")
        if item.source.cut:
            smoother.reset()
        yield dataclasses.replace(item, colour=smoother(item.lineart, item.colour))


def temporal(items: Iterable[ColorizedFrame], keyframes=None, cfg=None) -> Iterator[ColorizedFrame]:
    """The temporal mode (colorize.jobs.colorize.temporal.carry_colours): each colour frame keeps the
    previous result's colours moved along the line-art's motion where that motion is reliable, the
    generator's output elsewhere; a keyframe's frame starts from the keyframe (`keyframes`: a
    references.Keyframes). Shot cuts (`source.cut`, marked by media.shots.mark_cuts) reset it.
    `cfg`: a TemporalConfig (None: the defaults, flow at up to 640 px). Holds one previous frame."""
    from colorize.jobs.colorize.temporal import carry_colours

    return carry_colours(items, keyframes, cfg)


def temporal_config(colorizer: Colorizer):
    """The temporal mode's settings for this colorizer: its flow runs at the working size."""
    from colorize.jobs.colorize.temporal import TemporalConfig

    return TemporalConfig.at_working_size(colorizer.size)


def use_temporal(options: ColorizeOptions, colorizer: Colorizer) -> bool:
    """Whether the temporal mode runs: as asked, else on for a reference-guided model (the default)."""
    return colorizer.takes_reference if options.temporal is None else options.temporal


def reference_guide(options: ColorizeOptions, colorizer: Colorizer, keyframes) -> "ReferenceGuide | None":
    """The per-shot reference plan for a video: keyframes and/or self-reference on a reference-guided
    model; None (every frame alone) for a plain model without keyframes or with self-reference off."""
    from colorize.jobs.colorize.references import ReferenceGuide

    if keyframes and not colorizer.takes_reference:
        raise InputError("--reference/--references need a reference-guided model; this one colours from "
                         "line-art only (train one with [reference] enabled = true, or use the default model)")
    if not colorizer.takes_reference or not (keyframes or options.self_reference):
        return None
    return ReferenceGuide(keyframes, self_reference=options.self_reference)


def colorize_video(input: str | os.PathLike, output: str | os.PathLike, options: ColorizeOptions,
                   colorizer: Colorizer | None = None) -> Path:
    """Colorize video `input` into MP4 `output` (same frame count, fps, size and audio); returns output.

    A variable-frame-rate input keeps each frame's timestamp (see media.video.frame_times).

    With a reference-guided model every shot follows a keyframe (options.reference for frame 0,
    options.references by frame number) or else its own first output frame; shot cuts drop the
    reference. The temporal mode (options.temporal; by default on for a reference-guided model) then
    carries each shot's colours along the line-art's motion (see `temporal`), and options.smooth
    smooths what comes out. `colorizer` overrides options.model (tests and callers that already hold one).
    InputError for an unreadable input, a missing model or keyframe, a keyframe past the last frame,
    or an unwritable output; the output appears only when complete.
    """
    from colorize.media.encode import VideoWriter
    from colorize.media.shots import mark_cuts
    from colorize.media.video import frame_times, iter_frames, probe
    from colorize.jobs.colorize.references import Keyframes

    refuse_input_as_output(output, [input, options.model, options.reference])
    info = probe(input)
    keyframes = Keyframes.from_options(options.reference, options.references)
    keyframes.check_within(info.frame_count, info.path.name)
    # The writer checks the output name and folder now, before the model is loaded; ffmpeg starts
    # with the first frame.
    times = frame_times(info)  # None for a constant rate; a variable rate keeps every frame's time
    writer = VideoWriter(output, fps=info.fps, audio_from=info.path if info.has_audio else None,
                         crf=options.crf, preset=options.preset, frame_times=times)
    colorizer = colorizer or load_colorizer(options)
    guide = reference_guide(options, colorizer, keyframes)
    carry = use_temporal(options, colorizer)
    frames = iter_frames(info.path, times=times)
    if guide is not None or options.smooth > 0 or carry:
        frames = mark_cuts(frames)  # one detector pass (in the decode thread) serves guide and smoother
    # line-art drawn in the decode thread: it overlaps the generator instead of waiting for it
    frames = prefetch(colorizer.draw_lineart(frames, options.is_lineart), maxsize=options.queue_size, name="decode")
    compose = side_by_side if options.side_by_side else (lambda item: item.colour)
    progress = bar(total=info.frame_count, desc=f"colorize {info.path.name}")
    coloured = None
    try:
        with writer, BackgroundSink(writer.write, maxsize=options.queue_size, name="encode") as sink:
            # the generator in its own thread: it colours the next batch while this thread runs the
            # temporal mode (one frame after another) on this one; one batch ahead bounds memory
            coloured = prefetch(colorizer.iter_colorized(frames, options.is_lineart, options.batch_size, guide),
                                maxsize=options.batch_size, name="generator")
            items = coloured
            if carry:
                items = temporal(items, keyframes, temporal_config(colorizer))
            if options.smooth > 0:
                items = smoothed(items, options.smooth)
            for item in items:
                sink.put(compose(item))
                progress.update(1)
    finally:
        if coloured is not None:
            coloured.close()  # stops the generator thread if we left early
        frames.close()  # stops the decoder thread if we left early
        progress.close()
    return Path(output)


# ----------------------------------------------------------------------------------------- folder

@dataclass(frozen=True)
class FolderSummary:
    """What `colorize_folder` did on this rank: images assigned, newly written and already done."""

    assigned: int
    written: int
    skipped: int
    rank: int = 0
    world_size: int = 1


@dataclass(frozen=True)
class _Job:
    """One image to colorize: source path and output path (and, once read, its pixels)."""

    source: Path
    target: Path
    image: np.ndarray | None = None


def plan_folder(in_dir: str | os.PathLike, out_dir: str | os.PathLike, rank: int = 0,
                world_size: int = 1) -> list[tuple[Path, Path]]:
    """This rank's (input, output) pairs, in sorted order: every world_size-th image from `rank`.

    The split depends only on the sorted input listing, so every rank (and every rerun) agrees on
    it. InputError when OUT_DIR is IN_DIR or lies inside it (outputs would mix with the inputs).
    """
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    refuse_input_as_output(out_dir, [in_dir], folder_job=True)
    files = list_images(in_dir)
    targets = output_paths(in_dir, out_dir, files)
    return [(f, targets[f]) for f in files[rank::world_size]]


def _read_jobs(pairs: list[tuple[Path, Path]], unreadable: list[Path]) -> Iterator[_Job]:
    """Decode each pending input (RGBA/gray/16-bit become RGB uint8; see images.read_rgb).

    An image that cannot be read is appended to `unreadable` and skipped, so one bad file does not
    cost the others their outputs.
    """
    for source, target in pairs:
        try:
            image = read_rgb(source)
        except InputError:
            unreadable.append(source)
            continue
        yield _Job(source, target, image)


def _unreadable_error(unreadable: list[Path], in_dir: Path, pending: int) -> InputError:
    """One line: how many failed, which ones (the first few), and that a rerun retries only them."""
    names = [str(p.relative_to(in_dir)) if p.is_relative_to(in_dir) else str(p) for p in unreadable]
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    done = pending - len(unreadable)
    return InputError(f"{len(unreadable)} of {pending} images in {in_dir} could not be read (damaged or not "
                      f"images): {shown}; the other {done} were colorized, and a rerun retries only the "
                      "missing ones")


def copy_manifest(in_dir: Path, out_dir: Path) -> None:
    """Copy IN_DIR/manifest.json (frame rate and timing from `colorize extract`) into OUT_DIR, so the
    colour frames can be assembled without retyping the fps; an existing copy is left alone."""
    source, target = in_dir / "manifest.json", out_dir / "manifest.json"
    if source.is_file() and not target.exists():
        write_bytes(target, source.read_bytes())


def colorize_folder(in_dir: str | os.PathLike, out_dir: str | os.PathLike, options: ColorizeOptions,
                    colorizer: Colorizer | None = None) -> FolderSummary:
    """Colorize every image below `in_dir` into `out_dir` (relative paths kept, PNG); resumable.

    Inputs are only read. Each output is written atomically, so an existing output is complete and
    is skipped on a rerun. Under torchrun (WORLD_SIZE > 1) this process handles only its share.
    With a reference-guided model and keyframes or self-reference, or with the temporal mode
    (options.temporal; by default on for a reference-guided model), each folder is a sequence
    coloured shot by shot as a video is (colorize.jobs.colorize.sequences); otherwise every image
    stands alone.
    Unreadable images are skipped; once every readable one is written, InputError lists them.
    """
    dist = dist_info()
    keyed = options.reference is not None or options.references is not None
    if keyed or options.self_reference or options.temporal is not False:
        from colorize.jobs.colorize.sequences import colorize_sequences, follows_references, plan_sequences

        seqs = plan_sequences(in_dir, out_dir, options.reference, options.references)
        colorizer = colorizer or load_colorizer(options)
        carry = temporal_config(colorizer) if use_temporal(options, colorizer) else None
        if follows_references(colorizer, keyed, options.self_reference) or carry is not None:
            mine = seqs[dist.rank::dist.world_size]  # whole sequences: a shot's frames need each other
            pairs = [(f, t) for seq in mine for f, t in zip(seq.files, seq.targets)]
            unreadable: list[Path] = []
            return _write_outputs(in_dir, out_dir, pairs, options, colorizer, unreadable,
                                  lambda pending, model: colorize_sequences(mine, model, options, unreadable,
                                                                            carry))
    pairs = plan_folder(in_dir, out_dir, dist.rank, dist.world_size)
    unreadable = []

    def colour_images(pending: list[tuple[Path, Path]], colorizer: Colorizer) -> Iterator[tuple[Path, np.ndarray]]:
        jobs = prefetch(_read_jobs(pending, unreadable), maxsize=options.queue_size, name="read")
        try:
            for item in colorizer.iter_colorized(jobs, options.is_lineart, options.batch_size):
                yield item.source.target, item.colour
        finally:
            jobs.close()

    return _write_outputs(in_dir, out_dir, pairs, options, colorizer, unreadable, colour_images)


_ColourStream = Callable[[list[tuple[Path, Path]], Colorizer], Iterator[tuple[Path, np.ndarray]]]


def _write_outputs(in_dir: str | os.PathLike, out_dir: str | os.PathLike, pairs: list[tuple[Path, Path]],
                   options: ColorizeOptions, colorizer: Colorizer | None, unreadable: list[Path],
                   colour: _ColourStream) -> FolderSummary:
    """Write what `colour` yields, (output path, H x W x 3 uint8 RGB), for this rank's `pairs`
    whose output is missing; the model is loaded only if something is. `colour(pending pairs,
    colorizer)` makes that stream and fills `unreadable` with the images it could not read."""
    dist = dist_info()
    if dist.rank == 0:
        copy_manifest(Path(in_dir), Path(out_dir))
    pending = [(s, t) for s, t in pairs if not t.exists()]
    summary = FolderSummary(assigned=len(pairs), written=len(pending), skipped=len(pairs) - len(pending),
                            rank=dist.rank, world_size=dist.world_size)
    if not pending:
        return summary
    check_writable(Path(out_dir) / "x.png")
    for target in {t.parent for _, t in pending}:  # one folder scan each, not one per image
        remove_stale_partials(target, whole_folder=True)
    colorizer = colorizer or load_colorizer(options)
    outputs = colour(pending, colorizer)
    rank = f" [rank {dist.rank}/{dist.world_size}]" if dist.enabled else ""
    progress = bar(total=len(pending), desc=f"colorize {Path(in_dir).name}{rank}")
    try:
        with BackgroundSink(lambda job: write_image(*job), maxsize=options.queue_size, name="write") as sink:
            for target, colour_image in outputs:
                sink.put((target, colour_image))
                progress.update(1)
    finally:
        outputs.close()
        progress.close()
    if unreadable:
        raise _unreadable_error(unreadable, Path(in_dir), len(pending))
    return dataclasses.replace(summary, written=len(pending) - len(unreadable))
