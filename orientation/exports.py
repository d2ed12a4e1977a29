"""`orientation export …`: the CSV files the coordinator and the ACI report need."""

from __future__ import annotations

import click


@click.group("export")
def export() -> None:
    """Exports (CSV)."""
