"""CLI commands of the clips family (see colorize.cli): `colorize clips ART_DIR... -o OUT`."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("clips")
@click.argument("art_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder that gets clip_0000/ ... (PNG frames + shots.json) and manifest.json.")
@click.option("--n-clips", "n_clips", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many clips to draw; finished clips in OUTPUT are kept, not redrawn.")
@click.option("--seed", type=int, default=None, help="Random seed (default 0); the same seed gives the same clips.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a clip setting, typed as in TOML, e.g. --set n_frames=64 --set "
                   "shot_length=[16,32] --set zoom=0.5 (keys: see colorize.data.clips.ClipConfig).")
def clips_command(art_dirs: tuple[Path, ...], output: Path, n_clips: int, seed: int | None,
                  sets: tuple[str, ...]) -> None:
    """Draw animation-like training clips from folders of real cartoon art.

    Each ART_DIR holds source.json (name, version, licence) and any of characters/ (RGBA sprites),
    backgrounds/ (opaque paintings) and sequences/NAME/ (numbered animation frames). Characters move,
    scale, rotate and flip over backgrounds while the camera pans and zooms; shots end in cuts.
    """
    from colorize.config import override, parse_sets
    from colorize.data.clips import ClipConfig
    from colorize.jobs.clips import write_clips

    changes = parse_sets(sets)
    if seed is not None:
        changes["seed"] = seed
    cfg = override(ClipConfig(), changes)  # unknown keys or bad values -> ConfigError (exit 2)
    click.echo(str(write_clips(art_dirs, output, cfg, n_clips=n_clips)))


def register(group: click.Group) -> None:
    """Add this family's commands to the top-level group."""
    group.add_command(clips_command)
