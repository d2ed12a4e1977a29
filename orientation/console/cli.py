"""`orientation user …`: console accounts."""

from __future__ import annotations

import click

from orientation.console.models import ROLES


@click.group("user")
def user() -> None:
    """Console accounts (administrators, coordinators)."""


@user.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="admin: every territory; coordinator: one.")
@click.option("--territory", "territory_id", type=int, default=None, help="The coordinator's territory id.")
@click.option("--name", default=None, help="The name shown in the console.")
@click.option("--password", default=None, help="Asked for (hidden) when not given.")
def user_create(email: str, role: str, territory_id: int | None, name: str | None, password: str | None) -> None:
    """Create a console account."""
    from orientation.cli import _now, _sessions
    from orientation.console.accounts import AccountError, create_user
    from orientation.db import transaction
    from orientation.models import Territory

    if password is None:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    with transaction(_sessions()) as session:
        if territory_id is not None and session.get(Territory, territory_id) is None:
            raise click.ClickException(f"no territory {territory_id}")
        try:
            created = create_user(session, email, password, role, territory_id, _now(), name=name)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        scope = "all territories" if created.territory_id is None else f"territory {created.territory_id}"
        click.echo(f"user {created.email} ({created.role}, {scope}) created, id {created.id}")
