"""CLI command `colorize app`: the preview app in the browser (see colorize.app; needs the [app] extra).

    colorize app                                  # http://127.0.0.1:7860/ with the shipped model
    colorize app --model run/generator.safetensors --port 8000
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("app")
@click.option("--model", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Generator file (.safetensors or a training checkpoint). Default: the shipped model.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to serve on. The default answers this machine only; 0.0.0.0 opens the app "
                   "to the network (it has no login).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port to serve on (0: any free port). Default: 7860, or a free port when 7860 is taken.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
def app_command(model: Path | None, host: str, port: int | None, device: str) -> None:
    """Open a preview app in the browser: load a clip or a cut's frames, scrub them with their
    line-art, pick and colour a keyframe (upload a colouring or take the model's guess), preview a few
    seconds as line-art | colour | original, then render the whole clip (Stop ends a render) and
    download it.

    Serves until Ctrl-C. Needs the [app] extra (pip install 'colorize[app]'); nothing is fetched from
    the network.
    """
    from colorize.app import launch

    launch(model, host=host, port=port, device=device,
           announce=lambda url: click.echo(f"colorize app: open {url} in a browser (Ctrl-C to stop)"))


def register(group: click.Group) -> None:
    """Add this family's commands to the top-level group."""
    group.add_command(app_command)
