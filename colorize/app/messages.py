"""Messages on the app's page: a library error as a one-line toast, never a traceback or an internal path.

    @reported
    def handler(...): ...          # a ColorizeError becomes gr.Error(its words, server paths cut to names)
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Callable

import gradio as gr

from colorize.errors import ColorizeError


def reported(fn: Callable) -> Callable:
    """Show a ColorizeError (bad input, a model that cannot follow keyframes, ...) as a message on
    the page instead of a traceback; anything else is a bug and keeps its traceback in the log."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ColorizeError as exc:
            raise gr.Error(hide_internal_paths(str(exc)), print_exception=False) from None

    return wrapper


# a path inside the app's work folders (colorize-app-XXXX, where uploads land too): shown by its name only
_INTERNAL = re.compile(r"/[^\s'\"]*?colorize-app-[^/\s'\"]+(?:/[^\s'\"]*)?")


def hide_internal_paths(message: str) -> str:
    """`message` with every path inside the app's work folders cut to its last part (a file's name)."""
    return _INTERNAL.sub(lambda match: Path(match.group(0).rstrip(":.,")).name + match.group(0)[
        len(match.group(0).rstrip(":.,")):], message)
