"""Errors a user can act on.

Library code raises these with one plain sentence; the CLI prints that sentence on stderr and exits
with the error's code, never a traceback. Anything else escaping is a bug and keeps its traceback.
"""


class ColorizeError(Exception):
    """A failure caused by the user's input or environment (exit code 1)."""

    exit_code = 1


class InputError(ColorizeError):
    """An input file or folder is missing, unreadable, corrupt, empty or inconsistent (exit code 1)."""


class ConfigError(ColorizeError):
    """A configuration is malformed or has unknown keys (exit code 2, a usage error)."""

    exit_code = 2


class WeightsUnavailable(ColorizeError):
    """Pretrained weights are neither cached nor given as a local path (exit code 1)."""
