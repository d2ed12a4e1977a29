"""`orientation directory …`: imports of the national open data."""

from __future__ import annotations

import click


@click.group("directory")
def directory() -> None:
    """The territory directory."""
