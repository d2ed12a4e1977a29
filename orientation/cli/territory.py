"""`orientation territory …`: a territory's settings from the command line (crisis mode)."""

from __future__ import annotations

import getpass
from typing import Any

import click


@click.group("territory")
def territory() -> None:
    """A territory's settings."""


def _actor() -> str:
    """Who ran the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers: still say it came from the command line
        return "cli"


def crisis_changes(state: str, offers: int | None, announcement: str | None) -> dict[str, Any]:
    """The crisis settings the options ask for, validated by the API's model (the one definition of bounds)."""
    from pydantic import ValidationError

    from orientation.web.api.schemas import CrisisIn, field_errors

    given: dict[str, Any] = {"enabled": state == "on"}
    if offers is not None:
        given["offers"] = offers
    if announcement is not None:
        given["announcement"] = announcement
    try:
        return CrisisIn.model_validate(given).model_dump(exclude_unset=True)
    except ValidationError as exc:
        problems = "; ".join(f"--{field}: {message}" for field, message in field_errors(exc).items())
        raise click.BadParameter(problems) from exc


@territory.command("crisis")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.option(
    "--territory",
    "territory_id",
    type=int,
    default=None,
    help="The territory's id (needed when the instance serves several).",
)
@click.option("--offers", type=int, default=None, help="Volunteers offered one waiting caller at once (1 to 10).")
@click.option(
    "--announcement",
    default=None,
    help='Said after the welcome of every call while crisis mode is on (500 characters at most; "" removes it).',
)
def crisis(state: str, territory_id: int | None, offers: int | None, announcement: str | None) -> None:
    """Switch crisis mode on or off; the other settings stay as they are unless given."""
    from sqlalchemy import select

    from orientation.cli import _now, _sessions
    from orientation.core.db import transaction
    from orientation.core.models import Territory
    from orientation.services.territories import record_settings_change, update_territory

    changes = {"crisis": crisis_changes(state, offers, announcement)}
    with transaction(_sessions()) as session:
        if territory_id is None:
            found = list(session.scalars(select(Territory).order_by(Territory.id).limit(2)))
            if len(found) != 1:
                raise click.UsageError("say which territory with --territory ID" if found else "no territory yet")
            line = found[0]
        else:
            picked = session.get(Territory, territory_id)
            if picked is None:
                raise click.ClickException(f"no territory {territory_id}")
            line = picked
        update_territory(session, line, changes)
        record_settings_change(session, line, changes, _actor(), "cli", _now())
        mode = "ON" if line.crisis_enabled else "off"
        said = "an announcement" if line.crisis_announcement else "no announcement"
        click.echo(f"{line.name}: crisis mode {mode}, {line.crisis_offers} offers at once, {said}")
