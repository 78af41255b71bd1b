"""CLI command `colorize app`: the preview app in the browser (see colorize.app; needs the [app] extra).

    colorize app                                  # http://127.0.0.1:7860/ with the shipped model
    colorize app --model run/generator.safetensors --port 8000 --root ~/shots
    COLORIZE_APP_AUTH=anna:s3cret colorize app --host 0.0.0.0     # other machines: a login is required
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("app")
@click.option("--model", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Generator file (.safetensors or a training checkpoint). Default: the shipped model.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to serve on. The default answers this machine only; any other (0.0.0.0: every "
                   "network) needs a login (--auth).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port to serve on (0: any free port). Default: 7860, or a free port when 7860 is taken.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The only folder 'Path on this machine' may open (after ~, .. and links are resolved). "
                   "Default: the folder the app starts in.")
@click.option("--auth", default=None, metavar="USER:PASSWORD",
              help="Ask for this login on the page. Also read from $COLORIZE_APP_AUTH or --auth-file, which "
                   "keep the password out of the shell history.")
@click.option("--auth-file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="A file whose first line is USER:PASSWORD.")
@click.option("--max-upload", default="2GB", show_default=True, metavar="SIZE",
              help="The largest file a browser may upload (500MB, 2GB, ...).")
def app_command(model: Path | None, host: str, port: int | None, device: str, root: Path | None,
                auth: str | None, auth_file: Path | None, max_upload: str) -> None:
    """Open a preview app in the browser: load a clip or a cut's frames, scrub them with their
    line-art and shot cuts, key one frame or more (one per shot: upload a colouring or take the
    model's guess), preview a few seconds as line-art | colour | original, then render the whole clip
    (Stop ends a render) and download it.

    Serves until Ctrl-C. Each browser session works in its own private folder, removed when the tab
    closes. Needs the [app] extra (pip install 'colorize[app]'); nothing is fetched from the network.
    """
    from colorize.app import guard, launch

    login = guard.read_auth(auth, auth_file)
    guard.check_exposure(host, login)  # before the model loads: refused at once, exit 2
    launch(model, host=host, port=port, device=device, root=root, auth=login, max_upload=max_upload,
           announce=lambda url: click.echo(f"colorize app: open {url} in a browser (Ctrl-C to stop)"))


def register(group: click.Group) -> None:
    """Add this family's commands to the top-level group."""
    group.add_command(app_command)
