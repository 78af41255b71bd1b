"""The `colorize` command: a thin click group. Commands parse flags, build a config, call the library.

Command families live in their own modules (stages, train, video, gan) and register themselves here.
User errors (colorize.errors.ColorizeError) become one line on stderr and their exit code; Ctrl-C
exits 130 and SIGTERM 143, both after the same clean-up (no output under its final name, temporary
files removed). Library log records under the `colorize` logger (the colour jobs' advice on where
to key) are printed as one "note: ..." line on stderr each. Nothing here knows about tensors.
"""

from __future__ import annotations

import logging
import sys

import click

from colorize import __version__
from colorize.cli.params import Terminated, terminate_as_interrupt
from colorize.errors import ColorizeError
from colorize.progress import set_quiet, write_line


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("-q", "--quiet", is_flag=True, help="No progress bars (errors are still printed).")
@click.version_option(__version__, prog_name="colorize")
def cli(quiet: bool) -> None:
    """Colorize line-art video: extract frames, draw line-art, train, colorize, reassemble."""
    set_quiet(quiet)
    _print_notes()


class _NoteHandler(logging.Handler):
    """A library log record (e.g. "clip.mp4: shot 1 (frames 12-35): ... key frame 20 next") as one
    "note: " line on stderr, above the progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        write_line(f"note: {record.getMessage()}")


def _print_notes() -> None:
    """Send the `colorize` logger's records (WARNING and up) to stderr as notes, once per process."""
    logger = logging.getLogger("colorize")
    if not any(isinstance(h, _NoteHandler) for h in logger.handlers):
        logger.addHandler(_NoteHandler(logging.WARNING))


def _register_commands() -> None:
    from colorize.cli import app, clips, evaluate, gan, keys, lineart, pipeline, stages, train, video

    for module in (stages, lineart, pipeline, train, evaluate, video, keys, gan, clips, app):
        module.register(cli)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI, turning user errors into one line and an exit code."""
    try:
        with terminate_as_interrupt():
            cli.main(args=argv, prog_name="colorize", standalone_mode=False)
    except click.exceptions.Abort as exc:  # click turns KeyboardInterrupt into Abort
        _interrupted(exc.__cause__ or exc.__context__)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ColorizeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        _interrupted(exc)
    sys.exit(0)


def _interrupted(cause: BaseException | None) -> None:
    """Exit as a shell expects after Ctrl-C (130) or SIGTERM (143), with one word on stderr."""
    if isinstance(cause, Terminated):
        click.echo("terminated", err=True)
        sys.exit(143)
    click.echo("interrupted", err=True)
    sys.exit(130)
