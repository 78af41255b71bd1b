"""CLI commands of the stages family (see colorize.cli): `colorize extract` and `colorize assemble`.

Thin wrappers: parse flags, build the config, call colorize.jobs (extract, assemble), print one summary
line. Input paths are not checked by click (no exists=True) so that a missing file gets the library's message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from colorize.cli.params import FiniteFloat, created_note, new_folder
from colorize.config import from_dict
from colorize.errors import InputError


class SizeType(click.ParamType):
    """`WxH` (e.g. 256x192) -> (width, height) in whole pixels."""

    name = "WxH"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", str(value))
        if not match or int(match.group(1)) < 1 or int(match.group(2)) < 1:
            self.fail(f"{value!r} is not a size like 256x192 (width x height, pixels >= 1)", param, ctx)
        return int(match.group(1)), int(match.group(2))


SIZE = SizeType()


@click.command("extract")
@click.argument("video", type=click.Path(dir_okay=False))
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.option("--every", type=int, default=1, show_default=True, metavar="N",
              help="Keep every N-th frame (the folder's frame rate becomes fps / N).")
@click.option("--start", type=FiniteFloat(min=0), default=0.0, show_default=True, metavar="S",
              help="First second to extract.")
@click.option("--end", type=FiniteFloat(min=0, min_open=True), default=None, metavar="S",
              help="Stop before this second (default: the end of the video).")
@click.option("--size", type=SIZE, default=None, metavar="WxH",
              help="Resize frames to WxH pixels, e.g. 256x192 (default: keep the video's size).")
def extract_command(video: str, out_dir: str, every: int, start: float, end: float | None,
                    size: tuple[int, int] | None) -> None:
    """Extract frames of VIDEO as numbered PNGs (frame_000000.png ...) plus manifest.json into OUT_DIR.

    Files are named by source frame number. OUT_DIR must be new or empty; it only appears once every
    frame is written.
    """
    from colorize.media.video import ExtractConfig
    from colorize.jobs.extract import MANIFEST_NAME, extract_to_folder

    cfg = from_dict(ExtractConfig, {"every": every, "start": start, "end": end,
                                    "size": list(size) if size else None})
    created = new_folder(out_dir)
    folder = extract_to_folder(video, out_dir, cfg)
    count = sum(1 for p in folder.glob("frame_*.png"))
    click.echo(f"extracted {count} frames to {folder} (timing in {folder / MANIFEST_NAME})"
               f"{created_note(created)}")


@click.command("assemble")
@click.argument("frames_dir", type=click.Path(file_okay=False))
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--fps", type=FiniteFloat(min=0, min_open=True), default=None,
              help="Frame rate of the video (e.g. 23.976). Default: the timing `colorize extract` wrote "
                   "in FRAMES_DIR/manifest.json (copied along by `colorize frames`): its output_fps, or "
                   "each frame's time for a variable-rate source.")
@click.option("--audio-from", type=click.Path(dir_okay=False), default=None, metavar="VIDEO",
              help="Add this file's audio track (AAC), cut or padded to the video's length.")
@click.option("--audio-start", type=FiniteFloat(min=0), default=0.0, show_default=True, metavar="S",
              help="Start the audio this many seconds into --audio-from (match extract --start).")
@click.option("--crf", type=click.IntRange(0, 51), default=18, show_default=True, metavar="N",
              help="x264 quality: 0 lossless, 18 visually lossless, 51 worst.")
@click.option("--preset", type=click.Choice(["ultrafast", "superfast", "veryfast", "faster", "fast",
                                             "medium", "slow", "slower", "veryslow"]),
              default="veryfast", show_default=True, metavar="P",
              help="x264 speed/size trade-off: ultrafast, superfast, veryfast, faster, fast, medium, "
                   "slow, slower or veryslow (slower = smaller file).")
def assemble_command(frames_dir: str, out: str, fps: float | None, audio_from: str | None, audio_start: float,
                     crf: int, preset: str) -> None:
    """Encode the images in FRAMES_DIR (sorted by name, one size) into the H.264 MP4 OUT.

    The size is kept exactly; an odd width or height is encoded as H.264 4:4:4 (yuv444p), which some
    players cannot open (even sizes use the usual 4:2:0). OUT appears only when encoding succeeded.
    """
    from colorize.jobs.assemble import assemble_folder
    from colorize.media.video import probe

    times = None
    if fps is None:
        fps, times = manifest_timing(Path(frames_dir))
    created = new_folder(out)
    path = assemble_folder(frames_dir, out, fps, audio_from=audio_from, crf=crf, preset=preset,
                           audio_start=audio_start, frame_times=times)
    info = probe(path)
    audio = "with audio" if info.has_audio else "no audio"
    click.echo(f"wrote {path}: {info.frame_count} frames, {info.width}x{info.height}, "
               f"{info.fps:.3f} fps, {info.duration:.2f} s, {audio}{created_note(created)}")


def manifest_timing(frames_dir: Path) -> tuple[float, list[float] | None]:
    """(output_fps, frame times or None) from FRAMES_DIR/manifest.json; a usage error naming --fps
    when there is none. Times come back (from 0) only for a variable-rate source."""
    manifest = frames_dir / "manifest.json"
    if not manifest.is_file():
        raise click.UsageError(f"--fps is needed: {frames_dir} has no manifest.json to take it from")
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        fps = float(data["output_fps"])
        times = [float(t) for t in data["times"]] if data.get("variable_frame_rate") else None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{manifest} holds no usable output_fps ({type(exc).__name__}); pass --fps") from None
    if not (fps > 0 and fps < float("inf")):
        raise InputError(f"{manifest} gives output_fps {fps!r}, not a positive frame rate; pass --fps")
    return fps, [t - times[0] for t in times] if times else None


def register(group: click.Group) -> None:
    """Add this family's commands to the top-level group."""
    group.add_command(extract_command)
    group.add_command(assemble_command)
