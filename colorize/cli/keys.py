"""CLI command `colorize keys`: which frames to colour so that every frame's drawing is seen in a key.

    colorize keys clip.mp4                # frame numbers, one a line
    colorize keys frames/ --max 3 --json  # shots, suggested keys and per-frame coverage as JSON
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from colorize.cli.params import FiniteFloat

# KeysConfig.threshold's default, written out so that --help does not import the job (tests check it).
DEFAULT_THRESHOLD = 0.9


@click.command("keys")
@click.argument("input", type=click.Path(path_type=Path))
@click.option("--max", "max_keys", type=click.IntRange(min=1), default=None,
              help="Suggest at most N frames per shot: its first and last frames (N >= 2; keys carry both "
                   "ways, so keys bracketing a shot serve it best), then the frames that add most coverage.")
@click.option("--threshold", type=FiniteFloat(0.0, 1.0), default=None,
              help="Without --max: key until every frame has at least this share of its drawing seen in a "
                   f"key of its shot. [default: {DEFAULT_THRESHOLD}]")
@click.option("--lineart", "is_lineart", is_flag=True,
              help="Input is line-art already (dark lines on light). Without it, line-art is drawn from "
                   "the colour frames with the ink recipe.")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON: the keys, --max as max_per_shot (null without it) and the shots (first "
                   "and last frame, keys, each frame's coverage).")
def keys_command(input: Path, max_keys: int | None, threshold: float | None, is_lineart: bool,
                 as_json: bool) -> None:
    """Print the frame numbers of INPUT to colour as keys, one a line.

    INPUT is a video or a folder of frames (its own images, in natural order: frame_2 before frame_10;
    a frame's number is the last number in its name). Per shot (cuts detected as `colorize video` does),
    the first frame and then the frames that see most of what the keys so far do not, until every frame
    has --threshold of its drawing (line-art ink and the small closed regions it outlines) seen in a
    key, carried along the line-art's motion; content that enters or is uncovered is unseen. With --max N,
    at most N keys per shot: the shot's first and last frames, then the frames that add most coverage.
    """
    from colorize.config import from_dict
    from colorize.jobs.keys import KeysConfig, plan_clip

    settings = {"lineart": is_lineart, "threshold": threshold}
    cfg = from_dict(KeysConfig, {k: v for k, v in settings.items() if v is not None})
    plans = plan_clip(input, max_keys, cfg)
    keys = sorted(k for plan in plans for k in plan.keys)
    if as_json:
        click.echo(json.dumps({"keys": keys, "max_per_shot": max_keys, "shots": [plan.to_dict() for plan in plans]}))
        return
    for key in keys:
        click.echo(key)


def register(group: click.Group) -> None:
    """Add this family's command to the top-level group."""
    group.add_command(keys_command)
