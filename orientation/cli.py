"""The `orientation` command: serve, migrate, demo data, tokens, Twilio number, simulator, clock."""

from __future__ import annotations

import sys
from datetime import datetime

import click
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from orientation.config import from_environment
from orientation.db import make_engine, make_session_factory, transaction


def _sessions() -> sessionmaker[Session]:
    config = from_environment()
    # No pool: a command runs a few transactions, and pooled connections were left open when it returned.
    return make_session_factory(make_engine(config.database_url, poolclass=NullPool))


def _now() -> datetime:
    from orientation.clock import system_clock

    return system_clock()


@click.group()
def main() -> None:
    """Orientation, the patient line of a CPTS."""


@main.command()
@click.option("--host", default=None, help="Default: PUBLIC_BASE_URL's host when it is this machine, else 127.0.0.1.")
@click.option("--port", default=None, type=int, help="Default: PUBLIC_BASE_URL's port when it is this machine.")
def run(host: str | None, port: int | None) -> None:
    """Serve the app with the development server (production: gunicorn, see the Procfile)."""
    from orientation import create_app
    from orientation.config import serve_address

    app = create_app()
    config = from_environment()
    default_host, default_port = serve_address(config.public_base_url)
    host, port = host or default_host, port or default_port
    click.echo(f"Orientation on http://{host}:{port}, links to {config.public_base_url}")
    click.echo(f"(database: {config.database_url.split('@')[-1]})")
    if not config.has_twilio_credentials:
        click.echo("No Twilio credentials: SMS and calls go to the outbox; try `orientation simulate-call`.")
    app.run(host=host, port=port, debug=False, use_reloader=False)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations up to REVISION (default: every head)."""
    from orientation import migrate

    config = from_environment()
    migrate.upgrade(config.database_url, revision)
    click.echo(f"database at {revision}")


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("load")
def demo_load() -> None:
    """Create the "CPTS Démo" territory and cover the current week with shifts."""
    from orientation.demo import DEMO_NUMBER, demo_coordinator, load_demo

    with transaction(_sessions()) as session:
        territory = load_demo(session, _now())
        click.echo(f"demo territory {territory.name!r} (id {territory.id}) on {DEMO_NUMBER}")
        email, password = demo_coordinator(session, territory, _now())
    base = from_environment().public_base_url
    click.echo(f"console: {base}/connexion  login: {email}  password: {password}  (simulator: {base}/simulateur)")


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--territory", "territory_id", type=int, default=None, help="Limit the token to one territory.")
def token_create(name: str, territory_id: int | None) -> None:
    """Create an API token; the token is printed alone on the last line."""
    from orientation.models import Territory
    from orientation.services.tokens import create_token

    with transaction(_sessions()) as session:
        if territory_id is not None and session.get(Territory, territory_id) is None:
            raise click.ClickException(f"no territory {territory_id}")
        value = create_token(session, name, territory_id, _now())
    scope = f"territory {territory_id}" if territory_id is not None else "all territories"
    click.echo(f"token {name!r} for {scope} (shown once, keep it):")
    click.echo(value)


@main.group()
def twilio() -> None:
    """Twilio configuration."""


@twilio.command("configure-number")
@click.argument("number")
def twilio_configure(number: str) -> None:
    """Point a Twilio number's voice, status, messaging and fallback URLs at this deployment."""
    from callflows.telephony import TelephonyError, TwilioTelephony
    from orientation.phones import InvalidPhone, to_e164

    config = from_environment()
    if not config.has_twilio_credentials:
        raise click.ClickException("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN first")
    if not config.public_base_url.startswith("https://"):
        click.echo(f"warning: PUBLIC_BASE_URL is {config.public_base_url}; Twilio needs a public https URL", err=True)
    try:
        e164 = to_e164(number)
    except InvalidPhone as exc:
        raise click.ClickException(str(exc)) from exc
    telephony = TwilioTelephony(
        config.twilio_account_sid or "", config.twilio_auth_token or "", config.twilio_api_base_url
    )
    base = config.public_base_url
    try:
        sid = telephony.configure_number(
            e164,
            voice_url=f"{base}/twilio/voice",
            status_callback=f"{base}/twilio/status",
            sms_url=f"{base}/twilio/sms",
            fallback_url=f"{base}/twilio/fallback",
        )
    except TelephonyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{e164} ({sid}) now calls {base}/twilio/voice")


@main.command("simulate-call")
@click.option("--url", "target", default=None, help="The running app (default: PUBLIC_BASE_URL).")
@click.option("--to", "to", default=None, help="The line's number (default: the demo line).")
@click.option("--from", "from_", default="+33611223344", show_default=True, help="The caller's number.")
def simulate_call(target: str | None, to: str | None, from_: str) -> None:
    """Play a call against the running app: read what the line says, type the keys."""
    from orientation.demo import DEMO_NUMBER
    from orientation.simulator.console import play

    config = from_environment()
    sys.exit(play(target or config.public_base_url, config, to or DEMO_NUMBER, from_))


@main.group()
def journal() -> None:
    """The local journal of calls taken while the database was down."""


@journal.command("replay")
def journal_replay() -> None:
    """Bring journaled calls into the database (idempotent: each line is applied once)."""
    from orientation.services.journal_replay import replay

    config = from_environment()
    report = replay(_sessions(), config.journal_dir, _now())
    click.echo(f"journal: {report.applied} applied, {report.already} already applied, {report.failed} failed")
    if report.failed:
        sys.exit(1)


@main.command()
def clock() -> None:
    """Run the scheduler (the one clock process; jobs are kept in the database)."""
    from orientation.scheduler import run_clock

    run_clock(from_environment())


def _register_domain_commands() -> None:
    from directory.cli import directory
    from orientation.console.cli import user
    from orientation.exports import export
    from orientation.privacy_cli import privacy
    from volunteers.cli import rota

    for group in (directory, rota, export, user, privacy):
        main.add_command(group)


_register_domain_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
