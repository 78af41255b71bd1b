"""`colorize app`: a preview app in the browser (optional extra `[app]`, Gradio).

    from colorize.app import launch
    launch(model=None, host="127.0.0.1", port=7860)      # serves until Ctrl-C (port None: 7860 or a free one)

Open a clip (a video, a cut's frames, or a path on this machine), scrub its frames with their
line-art, take a frame as the keyframe and colour it (a paint bucket on its line-art's closed regions,
the model's guess, or an uploaded colouring), preview a few seconds side by side, render the whole
clip and download it. The page is built in colorize.app.ui (the bucket's controls in ui_keys); the
work behind it is colorize.app.session, keying (bucket per key frame, coverage) and bucket, which
colour through colorize.api.

The app sits on the top floor beside the CLI: it imports the API and the jobs, nothing imports it
but `colorize app`. Nothing goes to the network: no share link, Gradio's analytics and version
check off, the page's fonts and scripts served by the app itself.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Callable

import colorize.app.guard as guard
from colorize.errors import ColorizeError, InputError

MISSING_EXTRA = "the app needs the [app] extra: pip install 'colorize[app]'"

# Set before gradio is imported: it reads them once. Gradio's analytics and its version check call
# api.gradio.app; the Hugging Face hub client (a gradio dependency) would send telemetry.
OFFLINE_ENVIRONMENT = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
                       "HF_HUB_DISABLE_TELEMETRY": "1", "GRADIO_SHARE": "False"}


class AppUnavailable(ColorizeError):
    """Gradio (the [app] extra) is not installed (exit code 1)."""


def import_gradio():
    """gradio, imported with the network switched off; AppUnavailable when it is not installed."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ[name] = value
    try:
        import gradio
    except ImportError:
        raise AppUnavailable(MISSING_EXTRA) from None
    return gradio


DEFAULT_PORT = 7860


def launch(model: str | os.PathLike | None = None, host: str = "127.0.0.1", port: int | None = None,
           device: str = "auto", block: bool = True, announce: Callable[[str], None] | None = None,
           root: str | os.PathLike | None = None, auth: tuple[str, str] | None = None,
           max_upload: int | str = guard.DEFAULT_MAX_UPLOAD):
    """Load `model` once (None: the shipped model) and serve the app at http://host:port/.

    port: None takes 7860 when it is free, else any free port; 0 any free port. announce(url) is
    called once the page answers. block=True serves until Ctrl-C (KeyboardInterrupt is re-raised
    after the server stops and the sessions' work folder is deleted); block=False returns the
    running gr.Blocks (tests; call `.close()` when done).

    root: the only folder "path on this machine" opens (None: the current folder). auth: (user,
    password) for Gradio's login page; required for a host other than loopback (ConfigError, exit 2).
    max_upload: the largest upload, bytes or "500MB". Uploads and each browser session's work live in
    a private folder (mode 0700) removed with the session (colorize.app.ui.Handlers).
    AppUnavailable without gradio, InputError for a model file that cannot be loaded or a port that is taken.
    """
    guard.check_exposure(host, auth)
    served = guard.served_root(root)
    upload_cap = guard.max_upload_bytes(max_upload)
    work_root = Path(tempfile.mkdtemp(prefix="colorize-app-"))  # mode 0700
    # Gradio's own upload folder (read when the page is built): inside the private work folder, not /tmp/gradio
    os.environ["GRADIO_TEMP_DIR"] = str(work_root / "uploads")
    try:
        import_gradio()
        from colorize import api
        from colorize.app import ui

        port = choose_port(host, port)
        colorizer = api.load_model(model, device=device)
        page = ui.build(colorizer, work_root, model, device, served, upload_cap)
    except BaseException:
        shutil.rmtree(work_root, ignore_errors=True)
        raise
    try:
        ui.serve(page, host, port, work_root, auth, upload_cap)
        if announce is not None:
            announce(f"http://{host}:{port}/")
        if not block:
            page.work_root = work_root  # the caller removes it after .close()
            return page
        while True:
            time.sleep(0.5)
    finally:
        if block:
            page.close()
            shutil.rmtree(work_root, ignore_errors=True)


def choose_port(host: str, port: int | None) -> int:
    """The port to serve on: `port` if free (InputError if taken), 7860 or any free one for None, any for 0."""
    if port is None:
        return DEFAULT_PORT if port_is_free(host, DEFAULT_PORT) else free_port(host)
    if port == 0:
        return free_port(host)
    if not port_is_free(host, port):
        raise InputError(f"port {port} on {host} is taken: pass another --port (or 0 for any free one)")
    return port


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS reports free on `host` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
