"""CLI commands of the train family (see colorize.cli)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Add this family's commands to the top-level group."""
