"""`orientation rota …`: the rota from the command line."""

from __future__ import annotations

import click


@click.group("rota")
def rota() -> None:
    """The rota: shifts and weekly patterns."""
