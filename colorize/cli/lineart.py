"""CLI commands of the lineart family (see colorize.cli): `colorize lineart INPUT OUTPUT`."""

from __future__ import annotations

from pathlib import Path

import click

from colorize.cli.params import FiniteFloat, created_note, new_folder
from colorize.config import override

# LineArtConfig's defaults, written out for --help because importing the stage (and so torch) here
# would slow every `colorize` command down; tests/cli/test_lineart_cli.py checks they match.
HELP_DEFAULTS = {"sigma": 1.0, "low": 0.1, "high": 0.2, "thickness": 1, "backend": "auto", "batch_size": 8,
                 "method": "canny", "ink.dark": 0.3}


def _default(name: str) -> str:
    return f"(default {HELP_DEFAULTS[name]})"


@click.command("lineart")
@click.argument("input", type=click.Path(exists=True, path_type=Path))
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--method", type=click.Choice(["canny", "ink"]), default=None,
              help="canny: edges (a line each side of a drawn stroke; fills keep only their outline). "
                   "ink: the dark ink itself plus colour boundaries without ink (one line per stroke, "
                   f"solid blacks kept; CPU). {_default('method')}")
@click.option("--dark", "ink_dark", type=FiniteFloat(0, 1), default=None,
              help="ink: pixels darker than this (0-1, brightest channel) are ink. "
                   f"{_default('ink.dark')}")
@click.option("--sigma", type=FiniteFloat(min=0), default=None,
              help=f"Gaussian blur before edge detection, in pixels; 0 = none. {_default('sigma')}")
@click.option("--low", type=FiniteFloat(min=0), default=None,
              help="Weak-edge threshold on the gradient magnitude of a 0-1 image (kornia units; a "
                   f"sharp black/white edge is about 2.6). {_default('low')}")
@click.option("--high", type=FiniteFloat(min=0), default=None,
              help="Strong-edge threshold, at least --low; weak edges are kept only "
                   f"where they touch strong ones. {_default('high')}")
@click.option("--thickness", type=int, default=None,
              help=f"Line width in pixels (1 = thin Canny lines). {_default('thickness')}")
@click.option("--backend", type=click.Choice(["auto", "kornia", "opencv"]), default=None,
              help="auto = kornia on a GPU, OpenCV on the CPU (fast); kornia runs on --device. "
                   f"{_default('backend')}")
@click.option("--device", default="auto", show_default=True,
              help="auto (CUDA when present), cpu, cuda or cuda:N.")
@click.option("--batch-size", "batch_size", type=int, default=None,
              help=f"Frames per kornia batch. {_default('batch_size')}")
def lineart_command(input: Path, output: Path, device: str, **flags) -> None:
    """Draw black-on-white line-art (Canny edges, or --method ink) for a video or a folder of images.

    INPUT is a video file or a folder of images (searched recursively). OUTPUT is a folder, which
    gets one PNG per frame (frame_000000.png ... for a video, the same relative names for a folder),
    or a path ending .mp4, which gets a line-art video at the input's frame rate with its audio.
    """
    from colorize.images import refuse_input_as_output
    from colorize.lineart.recipes import LineArtConfig
    from colorize.jobs.lineart import run_lineart

    flags["ink.dark"] = flags.pop("ink_dark")
    cfg = override(LineArtConfig(), flags)  # None flags keep the defaults; bad values -> ConfigError
    refuse_input_as_output(output, [input], folder_job=True)
    created = new_folder(output)
    written = run_lineart(input, output, cfg, device=device)
    click.echo(f"{written}{created_note(created)}")


def register(group: click.Group) -> None:
    """Add this family's commands to the top-level group."""
    group.add_command(lineart_command)
