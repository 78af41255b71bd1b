"""CLI commands of the pipeline family (see colorize.cli): `colorize run PIPELINE.toml [--dry-run]`."""

from __future__ import annotations

import time
from pathlib import Path

import click


@click.command("run")
@click.argument("pipeline_file", metavar="PIPELINE.toml", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True,
              help="Validate the file and print the plan (every step and its settings); run nothing.")
def run_command(pipeline_file: Path, dry_run: bool) -> None:
    """Run the steps of a pipeline file in order (see pipelines/extract_lineart.toml for the format).

    The whole file is checked first (stages, keys, value types, inputs that must exist or be made by
    an earlier step), so a typo fails in a second instead of after an hour. Relative paths, inputs and
    outputs alike, resolve against the pipeline file's folder, so it runs the same from any folder.
    Stages: extract, lineart, train, colorize, assemble, toon, clips. A training config is no pipeline:
    it goes to `colorize train --config`. One line is printed per finished step.
    """
    # Imported here: it pulls in torch and every stage, which `colorize --help` should not wait for.
    from colorize.pipeline import describe, load_pipeline, plan, run_pipeline

    pipeline = load_pipeline(pipeline_file)
    total = len(pipeline.steps)
    if dry_run:
        lines = plan(pipeline)  # checks inputs first, so a failing file prints only the error
        click.echo(f"{pipeline.source}: {total} step{'s' if total != 1 else ''} (dry run, nothing written)")
        for line in lines:
            click.echo(line)
        return
    started = time.perf_counter()
    for result in run_pipeline(pipeline):
        click.echo(f"{describe(result.step, total)} ({result.seconds:.1f} s)")
    click.echo(f"done: {total} step{'s' if total != 1 else ''} in {time.perf_counter() - started:.1f} s")


def register(group: click.Group) -> None:
    """Add this family's commands to the top-level group."""
    group.add_command(run_command)
