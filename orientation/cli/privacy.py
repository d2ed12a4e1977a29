"""`orientation privacy …`: a person's data, exported or erased on request, by phone number."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orientation.core.phones import InvalidPhone, mask, to_e164

if TYPE_CHECKING:
    from orientation.core.config import Config
    from orientation.services.privacy import RecordingDeleter


@click.group("privacy")
def privacy() -> None:
    """A caller's personal data: export it, erase it (GDPR requests)."""


def _number(raw: str) -> str:
    try:
        return to_e164(raw)
    except InvalidPhone as exc:
        raise click.ClickException(str(exc)) from exc


def _recording_deleter(config: Config) -> RecordingDeleter | None:
    """Twilio's Recording DELETE with the configured account; None without one (demo: nothing at Twilio)."""
    if not config.has_twilio_credentials:
        return None
    from callflows.telephony import TwilioTelephony

    telephony = TwilioTelephony(
        config.twilio_account_sid or "", config.twilio_auth_token or "", config.twilio_api_base_url
    )
    return telephony.delete_recording


def _actor() -> str:
    """Who ran the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers: still say it came from the command line
        return "cli"


@privacy.command("export")
@click.argument("number")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write here.")
def privacy_export(number: str, output: Path | None) -> None:
    """Print (or write) as JSON everything held about NUMBER: requests, timelines, messages, volunteer record."""
    from orientation.cli import _now, _sessions
    from orientation.core.config import from_environment
    from orientation.core.db import transaction
    from orientation.services.person_data import export_person

    e164 = _number(number)
    with transaction(_sessions()) as session:
        document = export_person(session, from_environment().secret_key, e164, _now(), _actor())
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    # Health data: readable by the operator alone.
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    click.echo(f"{len(document['requests'])} requests, {len(document['messages'])} messages written to {output}")


@privacy.command("erase")
@click.argument("number")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def privacy_erase(number: str, yes: bool) -> None:
    """Erase NUMBER's data now (voice messages at Twilio, number, notes, messages, journal), keeping the figures."""
    from orientation.cli import _now, _sessions
    from orientation.core.config import from_environment
    from orientation.core.db import transaction
    from orientation.services.person_data import erase_person, erasure_preview

    e164 = _number(number)
    config = from_environment()
    secret_key = config.secret_key
    sessions = _sessions()
    with sessions() as session:
        preview = erasure_preview(session, secret_key, e164)
    if (preview.requests or preview.messages) and not yes:
        still_open = f" ({preview.still_open} still open)" if preview.still_open else ""
        click.confirm(
            f"Erase the data of {mask(e164)}: {preview.requests} requests{still_open}, {preview.messages} messages?",
            abort=True,
        )
    # Run even when nothing is held: the audit log keeps that the request was made and answered.
    with transaction(sessions) as session:
        done = erase_person(session, secret_key, e164, _now(), _actor(), _recording_deleter(config), config.journal_dir)
    click.echo(f"erased: {done.requests} requests, {done.messages} messages of {mask(e164)}")
    if done.recordings:
        where = "at Twilio" if config.has_twilio_credentials else "(no Twilio account: nothing stored at Twilio)"
        click.echo(f"voice messages deleted {where}: {done.recordings - done.recordings_left}")
    if done.recordings_left:
        click.echo(
            f"warning: Twilio did not delete {done.recordings_left} voice messages now; "
            "the nightly retention job tries again (or run `orientation privacy pseudonymise`)",
            err=True,
        )
    if done.journal_lines:
        click.echo(f"journal: {done.journal_lines} lines rewritten without the number")
    if preview.volunteer_ids:
        ids = ", ".join(str(i) for i in preview.volunteer_ids)
        click.echo(f"note: {mask(e164)} is also volunteer {ids}; remove them in the console or the API if asked")


@privacy.command("retention")
@click.argument("territory_id", type=int, required=False)
@click.argument("months", type=click.IntRange(min=1), required=False)
def privacy_retention(territory_id: int | None, months: int | None) -> None:
    """Show each territory's retention period and what is due; with TERRITORY_ID MONTHS, change it."""
    from sqlalchemy import select

    from orientation.cli import _now, _sessions
    from orientation.core.db import transaction
    from orientation.core.models import Territory
    from orientation.services.privacy import due_count, retention_months, set_retention_months

    with transaction(_sessions()) as session:
        query = select(Territory).order_by(Territory.id)
        if territory_id is not None:
            query = query.where(Territory.id == territory_id)
        territories = session.scalars(query).all()
        if territory_id is not None and not territories:
            raise click.ClickException(f"no territory {territory_id}")
        if months is not None:
            set_retention_months(territories[0], months)
        for territory in territories:
            due = due_count(session, territory, _now())
            click.echo(f"{territory.id}\t{territory.name}\t{retention_months(territory)} months\t{due} due now")


@privacy.command("pseudonymise")
def privacy_pseudonymise() -> None:
    """Pseudonymise now what retention has reached (the clock process does it every night)."""
    from orientation.cli import _now, _sessions
    from orientation.core.config import from_environment
    from orientation.services.privacy import pseudonymise_all

    config = from_environment()
    done = pseudonymise_all(_sessions(), config.secret_key, _now(), _recording_deleter(config))
    click.echo(f"{done} requests pseudonymised")
