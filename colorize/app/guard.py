"""What keeps the app safe to open beyond this machine: a root folder, a login, an upload cap.

    root = served_root("~/shots")                  # the folder "path on this machine" may open
    inside(root, "../etc/passwd")                  # InputError, the same words whether it exists or not
    auth = read_auth("anna:s3cret", None)          # ("anna", "s3cret"); also COLORIZE_APP_AUTH or a file
    check_exposure("0.0.0.0", auth)                # ConfigError (exit 2) for a network host without a login
    max_upload_bytes("500MB")                      # 500_000_000

Nothing here imports gradio: these are plain checks run before the page is built (colorize.app.launch)
and by the handlers (colorize.app.session.open_path).
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path

from colorize.errors import ConfigError, InputError

#: The environment variable read for USER:PASSWORD when --auth is not given (keeps it out of shell history).
AUTH_ENV = "COLORIZE_APP_AUTH"
#: The upload cap when none is given.
DEFAULT_MAX_UPLOAD = "2GB"

_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def served_root(root: str | os.PathLike | None) -> Path:
    """The folder "path on this machine" may open, resolved (None: the current folder); InputError if it
    is not a folder."""
    path = Path(os.path.expanduser(str(root))) if root is not None else Path.cwd()
    path = path.resolve()
    if not path.is_dir():
        raise InputError(f"--root {root} is not a folder")
    return path


class Refused(InputError):
    """A path the app will not open (outside the root, or missing): one message for both."""


def refused(text: str) -> Refused:
    """The one message for a path the app will not open: outside the root, or missing (same words, the
    path as typed, so the page does not tell which files exist or where the root lies)."""
    return Refused(f"no video or frame folder at {text!r} in the folder this app serves")


def inside(root: Path, text: str) -> Path:
    """`text` (as typed: `~`, relative to root, `..`, links) resolved, if it names an existing file or folder
    within `root`; else refused(text). A relative path is taken from root, not from the server's folder."""
    text = str(text).strip()
    if not text or "\x00" in text:
        raise refused(text)
    path = Path(os.path.expanduser(text))
    try:
        resolved = (root / path).resolve()  # root / an absolute path is that path
    except (OSError, RuntimeError):  # a link loop
        raise refused(text) from None
    if not is_within(root, resolved) or not resolved.exists():
        raise refused(text)
    return resolved


def is_within(root: Path, path: Path) -> bool:
    """True when resolved `path` is root or lies below it."""
    return path == root or root in path.parents


def read_auth(value: str | None, file: str | os.PathLike | None) -> tuple[str, str] | None:
    """(user, password) from --auth, else --auth-file (its first line), else $COLORIZE_APP_AUTH; None
    when none is given. ConfigError for a value that is not USER:PASSWORD with both parts."""
    source = "--auth"
    if value is None and file is not None:
        source = "--auth-file"
        try:
            lines = Path(file).read_text().splitlines()
        except (OSError, UnicodeDecodeError):
            raise ConfigError(f"cannot read the --auth-file {Path(file).name!r}") from None
        value = lines[0] if lines else ""
    if value is None:
        value, source = os.environ.get(AUTH_ENV) or None, AUTH_ENV
    if value is None:
        return None
    user, colon, password = value.strip().partition(":")
    if not colon or not user or not password:
        raise ConfigError(f"{source} must be USER:PASSWORD (both non-empty)")
    return user, password


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.x, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, auth: tuple[str, str] | None) -> None:
    """ConfigError (exit 2) when the app would answer other machines without a login."""
    if auth is None and not is_loopback(host):
        raise ConfigError(f"--host {host} opens the app to other machines: give a login with --auth USER:PASSWORD "
                          f"(or ${AUTH_ENV}, or --auth-file FILE), or serve on 127.0.0.1")


def max_upload_bytes(text: str | int) -> int:
    """An upload cap such as "500MB", "2GB", "1.5GiB" or a number of bytes, as bytes; ConfigError otherwise."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(text))
    unit = match.group(2).upper() if match else ""
    unit = unit if unit.endswith("B") or not unit else unit + "B"  # 500M = 500MB
    if not match or unit not in _UNITS or float(match.group(1)) <= 0:
        raise ConfigError(f"--max-upload must be a size such as 500MB or 2GB, got {text!r}")
    return int(float(match.group(1)) * _UNITS[unit])


def describe_bytes(count: int) -> str:
    """A byte count for messages: 500000000 -> '500 MB'."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if count >= size:
            return f"{count / size:g} {unit}"
    return f"{count} bytes"
