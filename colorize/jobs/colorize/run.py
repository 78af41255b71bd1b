"""Whole jobs built on the Colorizer: a video end to end, and a folder tree of frames (resumable).

    colorize_video("in.mp4", "out.mp4", ColorizeOptions(model="generator.safetensors"))
    summary = colorize_folder("frames/", "colour/", ColorizeOptions(lineart=True))

Both are thin adapters over one colour stream (colorize.jobs.colorize.stream.colour_stream) with
the plan their options make (options.colour_plan): they read frames, attach what the stream needs
once (cuts, keyframes, line-art) and write what comes out.

Video: decode -> cuts, keyframes, line-art (decode thread) -> colour stream (generator thread, then
the filters in the main thread) -> encode (its own thread); bounded queues keep memory flat however
long the clip.
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
from typing import Iterator

import numpy as np

from colorize.engine.model import ColorizedFrame, Colorizer
from colorize.errors import InputError
from colorize.images import (check_writable, list_images, output_paths, read_rgb, refuse_input_as_output,
                             remove_stale_partials, write_bytes, write_image)
from colorize.jobs.colorize.options import ColorizeOptions, colour_plan, load_colorizer
from colorize.jobs.colorize.references import Keyframes, attach_keys
from colorize.jobs.colorize.sequences import colour_sequences, plan_sequences
from colorize.jobs.colorize.stream import ColourPlan, colour_stream
from colorize.jobs.keys.advice import advise_keys
from colorize.media.threads import BackgroundSink, prefetch
from colorize.progress import bar
from colorize.runtime import dist_info

__all__ = ["ColorizeOptions", "FolderSummary", "colorize_folder", "colorize_video", "load_colorizer"]


# ------------------------------------------------------------------------------------------ video

def side_by_side(item: ColorizedFrame) -> np.ndarray:
    """line-art | colorized | original, as one H x 3W x 3 uint8 RGB frame."""
    original = item.source.image
    if original.ndim == 2:
        original = np.repeat(original[:, :, None], 3, axis=2)
    lineart = np.repeat(item.lineart[:, :, None], 3, axis=2)
    return np.concatenate([lineart, item.colour, original], axis=1)


def colorize_video(input: str | os.PathLike, output: str | os.PathLike, options: ColorizeOptions,
                   colorizer: Colorizer | None = None) -> Path:
    """Colorize video `input` into MP4 `output` (same frame count, fps, size and audio); returns output.

    A variable-frame-rate input keeps each frame's timestamp (see media.video.frame_times).

    With a reference-guided model every shot follows a keyframe (options.reference for frame 0,
    options.references by frame number) or else its own first output frame; shot cuts drop the
    reference. The temporal mode (options.temporal; by default on for a reference-guided model) then
    carries each shot's colours along the line-art's motion, and options.smooth smooths what comes
    out (see colorize.jobs.colorize.stream). With keyframes, a shot whose frames they cover poorly (new
    content its keys do not show) gets one line on the logger colorize.advice naming the frame to key
    next (colorize.jobs.keys.advice.advise_keys, beside the stream on the line-art drawn anyway). `colorizer` overrides options.model (tests and callers
    that already hold one). InputError for an unreadable input, a missing model or keyframe, a
    keyframe past the last frame, or an unwritable output; the output appears only when complete.
    """
    from colorize.media.encode import VideoWriter
    from colorize.media.shots import mark_cuts
    from colorize.media.video import frame_times, iter_frames, probe

    refuse_input_as_output(output, [input, options.model, options.reference])
    info = probe(input)
    keyframes = Keyframes.from_options(options.reference, options.references)
    keyframes.check_within(info.frame_count, info.path.name)
    # The writer checks the output name and folder now, before the model is loaded; ffmpeg starts
    # with the first frame.
    times = frame_times(info)  # None for a constant rate; a variable rate keeps every frame's time
    writer = VideoWriter(output, fps=info.fps, audio_from=info.path if info.has_audio else None,
                         crf=options.crf, preset=options.preset, frame_times=times, even=options.even)
    colorizer = colorizer or load_colorizer(options)
    plan = colour_plan(options, colorizer, bool(keyframes))
    frames = iter_frames(info.path, times=times)
    if plan.needs_cuts:
        frames = attach_keys(mark_cuts(frames), keyframes)  # one detector pass serves the whole stream
    # line-art drawn in the decode thread: it overlaps the generator instead of waiting for it
    frames = colorizer.draw_lineart(frames, options.lineart)
    if plan.follow and keyframes:  # the user keyed a guided model: one line per shot its keys cover poorly
        frames = advise_keys(frames, keyframes.by_frame, prefix=f"{info.path.name}: ")
    frames = prefetch(frames, maxsize=options.queue_size, name="decode")
    compose = side_by_side if options.side_by_side else (lambda item: item.colour)
    progress = bar(total=info.frame_count, desc=f"colorize {info.path.name}")
    coloured = None
    try:
        with writer, BackgroundSink(writer.write, maxsize=options.queue_size, name="encode") as sink:
            coloured = colour_stream(frames, colorizer, plan)
            for item in coloured:
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
    seqs, plan = None, None
    if options.keyed or options.self_reference or options.temporal is not False:
        seqs = plan_sequences(in_dir, out_dir, options.reference, options.references)
        colorizer = colorizer or load_colorizer(options)
        plan = colour_plan(options, colorizer, options.keyed)
    if plan is not None and (plan.follow or plan.temporal is not None):
        mine = seqs[dist.rank::dist.world_size]  # whole sequences: a shot's frames need each other
        pairs = [(f, t) for seq in mine for f, t in zip(seq.files, seq.targets)]
    else:
        mine, pairs = None, plan_folder(in_dir, out_dir, dist.rank, dist.world_size)
    summary, pending = _pending(in_dir, out_dir, pairs)
    if not pending:
        return summary
    colorizer = colorizer or load_colorizer(options)
    unreadable: list[Path] = []
    if mine is not None:
        outputs = colour_sequences(mine, colorizer, plan, options.shots, unreadable, options.queue_size)
    else:
        plain = ColourPlan(options.lineart, options.batch_size, cel=options.cel())
        outputs = _colour_images(pending, colorizer, plain, unreadable, options.queue_size)
    _write_outputs(outputs, Path(in_dir), len(pending), options.queue_size)
    if unreadable:
        raise _unreadable_error(unreadable, Path(in_dir), len(pending))
    return dataclasses.replace(summary, written=len(pending) - len(unreadable))


def _colour_images(pending: list[tuple[Path, Path]], colorizer: Colorizer, plan: ColourPlan,
                   unreadable: list[Path], queue_size: int) -> Iterator[tuple[Path, np.ndarray]]:
    """(output path, colour) for images that stand alone, read in a background thread."""
    jobs = prefetch(_read_jobs(pending, unreadable), maxsize=queue_size, name="read")
    try:
        for item in colour_stream(jobs, colorizer, plan):
            yield item.source.target, item.colour
    finally:
        jobs.close()


def _pending(in_dir: str | os.PathLike, out_dir: str | os.PathLike, pairs: list[tuple[Path, Path]]
             ) -> tuple[FolderSummary, list[tuple[Path, Path]]]:
    """This rank's summary so far and its `pairs` whose output is missing; when some are, the output
    folder is checked and stale partial files are removed. Rank 0 copies the manifest."""
    dist = dist_info()
    if dist.rank == 0:
        copy_manifest(Path(in_dir), Path(out_dir))
    pending = [(s, t) for s, t in pairs if not t.exists()]
    summary = FolderSummary(assigned=len(pairs), written=len(pending), skipped=len(pairs) - len(pending),
                            rank=dist.rank, world_size=dist.world_size)
    if pending:
        check_writable(Path(out_dir) / "x.png")
        for target in {t.parent for _, t in pending}:  # one folder scan each, not one per image
            remove_stale_partials(target, whole_folder=True)
    return summary, pending


def _write_outputs(outputs: Iterator[tuple[Path, np.ndarray]], in_dir: Path, total: int, queue_size: int) -> None:
    """Write what `outputs` yields, (output path, H x W x 3 uint8 RGB), atomically in a background
    thread, with a progress bar of `total` images."""
    dist = dist_info()
    rank = f" [rank {dist.rank}/{dist.world_size}]" if dist.enabled else ""
    progress = bar(total=total, desc=f"colorize {in_dir.name}{rank}")
    try:
        with BackgroundSink(lambda job: write_image(*job), maxsize=queue_size, name="write") as sink:
            for target, colour_image in outputs:
                sink.put((target, colour_image))
                progress.update(1)
    finally:
        outputs.close()
        progress.close()
