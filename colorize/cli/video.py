"""CLI commands of the video family (see colorize.cli): `video`, `frames` and `export`.

    colorize video clip.mp4 -o colour.mp4 [--model generator.safetensors] [--lineart] [--side-by-side]
    colorize frames lineart_frames/ colour_frames/ --lineart      # resumable; torchrun shards it
    colorize export -o colorizer.pt                                # or .onnx (pip install "colorize[export]")

Without --model the shipped default model (colorize/assets/model/generator.safetensors) is used, and
for --lineart input the drawings model (colorize/assets/drawings/), fine-tuned on artists' line-art.
"""

from __future__ import annotations

from pathlib import Path

import click

from colorize.cli.params import FiniteFloat, backend_option, created_note, new_folder
from colorize.engine.sizes import parse_working_size
from colorize.errors import InputError
from colorize.jobs.colorize.options import DEFAULTS
from colorize.media.encode import X264_PRESETS

# Every flag's default is ColorizeOptions' (colorize/jobs/colorize/options.py, the one declaration);
# tests/jobs/colorize/test_options.py checks that each flag is an option and an API keyword.
DEFAULT_SIZE_HELP = DEFAULTS["size"]

_MODEL_HELP = ("Generator file (.safetensors or a training checkpoint). Default: the shipped model "
               "(colorize/assets/model/; with --lineart the drawings model, colorize/assets/drawings/).")


def _inference_options(command):
    """The flags `video` and `frames` share: model, input kind, device, batching, precision, tiles,
    backend."""
    options = [
        click.option("--model", type=click.Path(path_type=Path, dir_okay=False), default=None, help=_MODEL_HELP),
        click.option("--lineart", "lineart", is_flag=True, default=DEFAULTS["lineart"],
                     help="Input is line-art already (dark lines on light; light lines on a dark ground are "
                     "inverted, a drawing heavy with solid blacks is not). "
                          "Without it, line-art is drawn from colour input with the model's recipe."),
        click.option("--batch-size", type=click.IntRange(min=1), default=DEFAULTS["batch_size"], show_default=True,
                     help="Frames per generator pass."),
        click.option("--device", default=DEFAULTS["device"], show_default=True, help="auto, cpu, cuda or cuda:N."),
        click.option("--precision", type=click.Choice(["bf16", "fp16", "fp32"]), default=DEFAULTS["precision"],
                     show_default=True, help="Mixed precision on GPU; on the CPU only the openvino backend uses it "
                          "(bf16 where the CPU computes it natively: outputs within 3 of 255 levels, "
                          "the same PSNR on held-out real-art clips); fp32 everywhere else."),
        click.option("--tile", type=click.IntRange(min=0), default=DEFAULTS["tile"], show_default=True,
                     help="Process frames in N x N overlapping tiles (0: only frames too large for memory)."),
        backend_option,
        click.option("--paint", type=click.Choice(["auto", "flat", "shaded", "free"]), default=DEFAULTS["paint"],
                     show_default=True, help="Ink and paint: each closed region of the line-art gets one colour "
                     "(flat), one colour with the model's soft shading (shaded), or the model's colour per "
                     "pixel (free). auto: flat for --lineart input; free for --lineart input that keyframes "
                     "or --sheet colour, and for colour video (docs/cel.md). "
                     "Flat and shaded line-art without keys or sheets leave the paper around a "
                     "drawing on paper white and lay the model's guessed colours on pale (0.7 of "
                     "their chroma, less where the model paints a region in several hues)."),
        click.option("--lines", type=click.Choice(["auto", "keep", "colour", "drop"]), default=DEFAULTS["lines"],
                     show_default=True,
                     help="keep: the line-art's own lines are put back over the paint in black, pixel for "
                     "pixel (the drawing's for --lineart input, the model's line-art recipe's for colour "
                     "video); colour: the same lines, in the colours the keys give them, as carried onto the "
                     "frame (a key's dark-yellow outline stays dark yellow; without keys, the model's "
                     "darkest colour beside each line); drop: paint only. auto: keep for --lineart "
                     "input, colour for --lineart input that keyframes or --sheet colour, drop for "
                     "colour video."),
    ]
    options.append(click.option("--size", callback=_working_size, default=None, metavar="N|full", help=(
        f"Working resolution: the generator colours frames scaled so their longer side is at most N px, "
        f"and the colour is put back at full size under the full-resolution lines (colours stop at the "
        f"lines). full or 0: every pixel through the generator. Measured on a loaded 2-core CPU, 720p with a "
        f"keyframe: 0.67 frames/s end to end at 384 vs 0.21 at full; on held-out real-art clips "
        f"21.5 vs 20.7 dB PSNR (README, 'Working resolution'). [default: {DEFAULT_SIZE_HELP}]")))
    for option in reversed(options):
        command = option(command)
    return command


def _working_size(ctx, param, value: str | None) -> int | None:
    """--size: N >= 0 or `full` (= 0), read by engine.sizes.parse_working_size; None keeps the default."""
    if value is None:
        return None
    try:
        return parse_working_size(value)
    except InputError:
        raise click.BadParameter(f"expected a size in pixels (>= 0) or 'full', got {value!r}") from None


# Model sheets, shared by `video` and `frames`.
_sheet_option = click.option(
    "--sheet", type=click.Path(path_type=Path), multiple=True, default=DEFAULTS["sheet"], metavar="IMAGE|DIR",
    help="Colour model sheet (a character or prop coloured once, not a frame of the clip); repeatable, "
         "or a folder of them. A shot no keyframe covers follows the sheets instead of its own first "
         "output: the model matches its regions to the sheets' by their line-art (reference-guided models).")

# The temporal mode's flag, shared by `video` and `frames` (the same default and meaning).
_temporal_option = click.option(
    "--temporal/--no-temporal", default=DEFAULTS["temporal"],
    help="Carry each shot's colours along the motion of the line-art (optical flow, checked "
         "forward-backward and against the lines; run at the working size) and let the model colour only "
         "what the motion cannot explain (new content, occlusions); a keyframe's own colours start the "
         "chain. Resets at shot cuts. Default: on for reference-guided models (such as the "
         "default one), off for models that colour from line-art only.")


@click.command("video")
@click.argument("input", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Output MP4.")
@_inference_options
@click.option("--side-by-side", is_flag=True, default=DEFAULTS["side_by_side"], help="Write line-art | colorized | original in one video.")
@click.option("--crf", type=click.IntRange(0, 51), default=DEFAULTS["crf"], show_default=True,
              help="x264 quality (0 lossless, 18 visually lossless, 51 worst).")
@click.option("--preset", type=click.Choice(X264_PRESETS), default=DEFAULTS["preset"], show_default=True,
              help="x264 speed: ultrafast keeps the encoder out of the generator's way (larger files); "
                   "veryfast or medium make smaller files more slowly.")
@click.option("--even", is_flag=True, default=DEFAULTS["even"],
              help="Pad an odd width or height by one black pixel column / row (right / bottom) and "
                   "encode 4:2:0 H.264, which every browser and player decodes. Default: the size is kept "
                   "exactly, in 4:4:4 when a side is odd.")
@click.option("--smooth", type=FiniteFloat(0.0, 1.0, max_open=True), default=DEFAULTS["smooth"], show_default=True,
              help="Temporal smoothing strength against flicker: blends each frame with the previous one "
                   "warped by optical flow where the flow is reliable; resets at shot cuts (0 = off).")
@_temporal_option
@click.option("--reference", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Colour keyframe for frame 0: the first shot takes its colours from it "
                   "(reference-guided models, such as the default one).")
@click.option("--references", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder of colour keyframes named by frame number (000120.png colours frame 120 on, "
                   "until the next cut or keyframe).")
@click.option("--self-reference/--no-self-reference", default=DEFAULTS["self_reference"], show_default=True,
              help="A shot without a keyframe keeps the colours of its own first output frame "
                   "(reference-guided models); off: every frame is coloured alone.")
@_sheet_option
def video_command(input: Path, output: Path, side_by_side: bool, crf: int, preset: str, even: bool, smooth: float,
                  temporal: bool | None, reference: Path | None, references: Path | None, self_reference: bool,
                  sheet: tuple[Path, ...], **inference) -> None:
    """Colorize video INPUT into OUTPUT (same frame count, fps, size and audio).

    A variable frame rate (phones, screen recordings) is kept frame by frame. Shot cuts are detected
    as the video streams; no colour is carried across a cut. An odd width or
    height is kept exactly by encoding H.264 4:4:4 (yuv444p), which some players cannot open (--even
    pads it by one pixel instead); even sizes use the usual 4:2:0. OUTPUT must not be INPUT.
    """
    from colorize.media.encode import pixel_format
    from colorize.api import colorize_video
    from colorize.media.video import frame_times, probe

    created = new_folder(output)
    path = colorize_video(input, output, inference.pop("model"), reference, references, smooth,
                          self_reference=self_reference, side_by_side=side_by_side, crf=crf, preset=preset, even=even,
                          temporal=temporal, sheet=sheet, **inference)
    info = probe(path)
    audio = "with audio" if info.has_audio else "no audio"
    odd = ", odd size: H.264 4:4:4" if pixel_format((info.width, info.height)) == "yuv444p" else ""
    if even:
        source = probe(input)
        width = source.width * (3 if side_by_side else 1)   # line-art | colour | original
        if (width, source.height) != (info.width, info.height):
            odd = f", padded from {width}x{source.height} to even sides"
    rate = f"{info.fps:g} fps" if frame_times(info) is None else f"a variable frame rate (average {info.fps:g} fps)"
    click.echo(f"wrote {path} ({info.frame_count} frames, {info.width}x{info.height}{odd} at {rate}, "
               f"{audio}){created_note(created)}")


@click.command("frames")
@click.argument("in_dir", type=click.Path(path_type=Path))
@click.argument("out_dir", type=click.Path(path_type=Path))
@_inference_options
@click.option("--reference", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Colour keyframe for the first frame of every sequence (reference-guided models, such "
                   "as the default one).")
@click.option("--references", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder of colour keyframes named by frame number (key_0012.png colours the frame whose "
                   "name ends in 12 on, until the next cut or keyframe); keyframes of IN_DIR/<folder> go "
                   "in DIR/<folder>.")
@click.option("--shots/--no-shots", default=DEFAULTS["shots"], show_default=True,
              help="Detect shot cuts within each sequence, as `colorize video` does (no colour crosses a "
                   "cut); off: each folder is one shot.")
@click.option("--self-reference/--no-self-reference", default=DEFAULTS["self_reference"], show_default=True,
              help="A shot without a keyframe keeps the colours of its own first output frame "
                   "(reference-guided models); off: every image is coloured alone.")
@_temporal_option
@_sheet_option
def frames_command(in_dir: Path, out_dir: Path, reference: Path | None, references: Path | None, shots: bool,
                   self_reference: bool, temporal: bool | None, sheet: tuple[Path, ...], model: Path | None,
                   **inference) -> None:
    """Colorize every image below IN_DIR into OUT_DIR (same relative paths, PNG).

    With a reference-guided model (the default one) each folder is a sequence in natural frame order
    (frame_2 before frame_10) coloured like a video: shot cuts detected, keyframes, self-reference,
    the temporal mode. Finished outputs are skipped, so rerunning a killed job resumes it (a sequence from the start of
    the shot of its first missing frame). Images that cannot be read are listed once every other
    image is written (exit code 1); a rerun retries only those. OUT_DIR must lie outside IN_DIR.
    IN_DIR/manifest.json (from `colorize extract`) is copied, so `colorize assemble OUT_DIR` finds
    the frame rate. Under torchrun each rank takes its own share of the sequences (or images).
    """
    from colorize.api import colorize_folder

    created = new_folder(out_dir)
    summary = colorize_folder(in_dir, out_dir, model, reference, references, shots=shots,
                              self_reference=self_reference, temporal=temporal, sheet=sheet, **inference)
    rank = f" (rank {summary.rank} of {summary.world_size})" if summary.world_size > 1 else ""
    click.echo(f"colorized {summary.written} images into {out_dir}, {summary.skipped} already done{rank}"
               f"{created_note(created)}")


@click.command("export")
@click.option("--model", type=click.Path(path_type=Path, dir_okay=False), default=None, help=_MODEL_HELP)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Output file: .pt (TorchScript) or .onnx (ONNX, needs colorize[export]).")
def export_command(model: Path | None, output: Path) -> None:
    """Export the generator as TorchScript (.pt) or ONNX (.onnx): B x 1 x H x W in [-1, 1] -> B x 3 x H x W."""
    from colorize.images import refuse_input_as_output
    from colorize.jobs.export import export_generator

    refuse_input_as_output(output, [model])
    created = new_folder(output)
    click.echo(f"wrote {export_generator(model, output)}{created_note(created)}")


def register(group: click.Group) -> None:
    """Add this family's commands to the top-level group."""
    for command in (video_command, frames_command, export_command):
        group.add_command(command)
