"""`orientation user …`: console accounts."""

from __future__ import annotations

import click


@click.group("user")
def user() -> None:
    """Console accounts (administrators, coordinators)."""
