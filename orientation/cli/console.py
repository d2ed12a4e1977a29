"""`orientation user …`: console accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from orientation.web.console.models import ROLES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from orientation.web.console.models import User


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
    from orientation.core.db import transaction
    from orientation.core.models import Territory
    from orientation.web.console.accounts import AccountError, create_user

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


def _account(session: Session, email: str) -> User:
    from orientation.web.console.accounts import find_user

    found = find_user(session, email)
    if found is None:
        raise click.ClickException(f"no account {email}")
    return found


@user.command("list")
def user_list() -> None:
    """List the console accounts: e-mail, role, territory, state, last login."""
    from sqlalchemy import select

    from orientation.cli import _sessions
    from orientation.core.db import transaction
    from orientation.web.console.models import User

    with transaction(_sessions()) as session:
        for account in session.scalars(select(User).order_by(User.email)):
            scope = "all territories" if account.territory_id is None else f"territory {account.territory_id}"
            state = "active" if account.active else "disabled"
            last = f"{account.last_login_at:%Y-%m-%d %H:%M} UTC" if account.last_login_at else "never"
            click.echo(f"{account.email}\t{account.role}\t{scope}\t{state}\tlast login {last}")


@user.command("disable")
@click.argument("email")
def user_disable(email: str) -> None:
    """Disable an account: it cannot log in any more, and its open sessions end at once."""
    from orientation.cli import _sessions
    from orientation.core.db import transaction
    from orientation.web.console.accounts import disable

    with transaction(_sessions()) as session:
        account = _account(session, email)
        ended = disable(session, account)
        click.echo(f"user {account.email} disabled, {ended} session(s) ended")


@user.command("enable")
@click.argument("email")
def user_enable(email: str) -> None:
    """Let a disabled account log in again."""
    from orientation.cli import _sessions
    from orientation.core.db import transaction
    from orientation.web.console.accounts import enable

    with transaction(_sessions()) as session:
        account = _account(session, email)
        enable(account)
        click.echo(f"user {account.email} enabled")


@user.command("reset-password")
@click.argument("email")
@click.option("--password", default=None, help="Asked for (hidden) when not given.")
def user_reset_password(email: str, password: str | None) -> None:
    """Give an account a new password: its sessions end and its lockout is lifted."""
    from orientation.cli import _sessions
    from orientation.core.db import transaction
    from orientation.web.console.accounts import AccountError, set_password

    with transaction(_sessions()) as session:
        account = _account(session, email)
        if password is None:
            password = click.prompt("Nouveau mot de passe", hide_input=True, confirmation_prompt=True)
        try:
            ended = set_password(session, account, password)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"password of {account.email} changed, {ended} session(s) ended")
