"""The `orientation` command: serve, migrate, demo data, tokens, Twilio number, simulator, clock."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click
from flask.cli import FlaskGroup
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from orientation.core.config import from_environment
from orientation.core.db import make_engine, make_session_factory, transaction

if TYPE_CHECKING:
    from flask import Flask


def _sessions() -> sessionmaker[Session]:
    config = from_environment()
    # No pool: a command runs a few transactions, and pooled connections were left open when it returned.
    return make_session_factory(make_engine(config.database_url, poolclass=NullPool))


def _now() -> datetime:
    from orientation.core.clock import system_clock

    return system_clock()


def _app() -> Flask:
    """The app the commands that need one use (`shell`, `routes`, `jobs run`), on the CLI's clock."""
    from orientation import create_app

    return create_app(clock=lambda: _now())


# A FlaskGroup brings Flask's `shell` and `routes` (its `run` is replaced by ours below). Our own commands
# build what they need themselves, without an app context, as before: hence with_appcontext=False.
@click.group(cls=FlaskGroup, create_app=_app, add_version_option=False, load_dotenv=False, set_debug_flag=False)
def main() -> None:
    """Orientation, the patient line of a CPTS."""


@main.command(with_appcontext=False)
@click.option("--host", default=None, help="Default: PUBLIC_BASE_URL's host when it is this machine, else 127.0.0.1.")
@click.option("--port", default=None, type=int, help="Default: PUBLIC_BASE_URL's port when it is this machine.")
def run(host: str | None, port: int | None) -> None:
    """Serve the app with the development server (production: gunicorn, see the Procfile)."""
    from orientation import create_app
    from orientation.core.config import serve_address

    app = create_app()
    config = from_environment()
    default_host, default_port = serve_address(config.public_base_url)
    host, port = host or default_host, port or default_port
    click.echo(f"Orientation on http://{host}:{port}, links to {config.public_base_url}")
    click.echo(f"(database: {config.database_url.split('@')[-1]})")
    if not config.has_twilio_credentials:
        click.echo("No Twilio credentials: SMS and calls go to the outbox; try `orientation simulate-call`.")
    app.run(host=host, port=port, debug=False, use_reloader=False)


@main.group(cls=click.Group)
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations up to REVISION (default: every head)."""
    from orientation.core import migrate

    config = from_environment()
    migrate.upgrade(config.database_url, revision)
    click.echo(f"database at {revision}")


@main.group(cls=click.Group)
def demo() -> None:
    """Demo data."""


@demo.command("load")
def demo_load() -> None:
    """Create the "CPTS Démo" territory and cover the current week with shifts."""
    from orientation.cli.demo import DEMO_NUMBER, demo_coordinator, load_demo

    with transaction(_sessions()) as session:
        territory = load_demo(session, _now())
        click.echo(f"demo territory {territory.name!r} (id {territory.id}) on {DEMO_NUMBER}")
        email, password = demo_coordinator(session, territory, _now())
    base = from_environment().public_base_url
    click.echo(f"console: {base}/connexion  login: {email}  password: {password}  (simulator: {base}/simulateur)")


@main.group(cls=click.Group)
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--territory", "territory_id", type=int, default=None, help="Limit the token to one territory.")
def token_create(name: str, territory_id: int | None) -> None:
    """Create an API token; the token is printed alone on the last line."""
    from sqlalchemy.exc import IntegrityError

    from orientation.core.models import Territory
    from orientation.services.tokens import TokenError, create_token

    try:
        with transaction(_sessions()) as session:
            if territory_id is not None and session.get(Territory, territory_id) is None:
                raise click.ClickException(f"no territory {territory_id}")
            value = create_token(session, name, territory_id, _now())
    except TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    except IntegrityError as exc:  # the same name created at the same moment by another command
        raise click.ClickException(f"the name {name!r} is already used; choose another") from exc
    scope = f"territory {territory_id}" if territory_id is not None else "all territories"
    click.echo(f"token {name!r} for {scope} (shown once, keep it):")
    click.echo(value)


@token.command("list")
def token_list() -> None:
    """List the API tokens (never their secrets): name, scope, creation, revocation."""
    from orientation.services.tokens import list_tokens

    with transaction(_sessions()) as session:
        tokens = list_tokens(session)
        if not tokens:
            click.echo("no API token")
        for item in tokens:
            scope = f"territory {item.territory_id}" if item.territory_id is not None else "all territories"
            state = f"revoked {item.revoked_at:%Y-%m-%d %H:%M} UTC" if item.revoked_at else "live"
            click.echo(f"{item.name}\t{scope}\tcreated {item.created_at:%Y-%m-%d %H:%M} UTC\t{state}")


@token.command("revoke")
@click.argument("name")
def token_revoke(name: str) -> None:
    """Revoke the API token NAME: every request with it answers 401 from now on."""
    from orientation.services.tokens import TokenError, revoke_token

    try:
        with transaction(_sessions()) as session:
            revoked = revoke_token(session, name, _now())
            when = revoked.revoked_at
    except TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"token {name!r} revoked (since {when:%Y-%m-%d %H:%M} UTC)")


@main.group(cls=click.Group)
def twilio() -> None:
    """Twilio configuration."""


@twilio.command("configure-number")
@click.argument("number")
@click.option(
    "--fallback-url",
    default=None,
    help='The voice fallback URL ("primary handler fails"), e.g. a TwiML Bin holding `orientation twilio '
    "fallback-twiml`; default: this deployment's /twilio/fallback.",
)
@click.option(
    "--sms-sender",
    default=None,
    help=(
        "Who the line's SMS come from: an E.164 number, an alphanumeric sender ID (3-11 letters, digits, "
        "spaces) or a Messaging Service SID (MG…); an empty string for the line's own number."
    ),
)
@click.option(
    "--sms-replies/--no-sms-replies",
    default=None,
    help="Whether the SMS ask volunteers to answer by SMS (default: yes for a number, no otherwise).",
)
def twilio_configure(number: str, fallback_url: str | None, sms_sender: str | None, sms_replies: bool | None) -> None:
    """Point a Twilio number's voice, status, messaging and fallback URLs at this deployment."""
    from callflows.telephony import TelephonyError, TwilioTelephony
    from orientation.core.phones import InvalidPhone, to_e164
    from orientation.core.sms_sender import InvalidSender, parse_sender

    config = from_environment()
    if not config.has_twilio_credentials:
        raise click.ClickException("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN first")
    if not config.public_base_url.startswith("https://"):
        click.echo(f"warning: PUBLIC_BASE_URL is {config.public_base_url}; Twilio needs a public https URL", err=True)
    try:
        e164 = to_e164(number)
    except InvalidPhone as exc:
        raise click.ClickException(str(exc)) from exc
    sms: dict[str, Any] = {}
    if sms_sender is not None:
        try:
            sms["sms_sender"] = parse_sender(sms_sender)
        except InvalidSender as exc:
            raise click.ClickException(f"--sms-sender: {exc}") from exc
    if sms_replies is not None:
        sms["sms_replies"] = sms_replies
    if sms and _territory_of(e164) is None:
        raise click.ClickException(f"{e164} is no line's number here: add it to a territory first")
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
            fallback_url=fallback_url or f"{base}/twilio/fallback",
        )
    except TelephonyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{e164} ({sid}) now calls {base}/twilio/voice")
    if sms:
        _save_sms_settings(e164, sms)


def _territory_of(e164: str) -> int | None:
    """The id of the territory this number reaches, if any."""
    from orientation.services.requests import territory_for_number

    with _sessions()() as session:
        territory = territory_for_number(session, e164)
        return territory.id if territory is not None else None


def _save_sms_settings(e164: str, changes: dict[str, Any]) -> None:
    """Record the line's SMS sender and replies setting, and say what the SMS will be like."""
    from orientation.services.requests import territory_for_number
    from orientation.services.territories import update_territory

    with _sessions()() as session:
        territory = territory_for_number(session, e164)
        assert territory is not None  # checked before Twilio was touched
        update_territory(session, territory, changes)
        session.commit()
        sender = territory.sms_sender or "the line's number"
        replies = "ask for SMS answers" if territory.replies_by_sms else "carry the form link only (no SMS answers)"
        click.echo(f"{territory.name}: SMS from {sender}; they {replies}")


@twilio.command("fallback-twiml")
def twilio_fallback_twiml() -> None:
    """Print the TwiML of the French technical-problem message, for a TwiML Bin used as the fallback URL."""
    from callflows.webhooks import technical_problem

    click.echo(technical_problem())


@main.command("simulate-call", with_appcontext=False)
@click.option("--url", "target", default=None, help="The running app (default: PUBLIC_BASE_URL).")
@click.option("--to", "to", default=None, help="The line's number (default: the demo line).")
@click.option("--from", "from_", default="+33611223344", show_default=True, help="The caller's number.")
def simulate_call(target: str | None, to: str | None, from_: str) -> None:
    """Play a call against the running app: read what the line says, type the keys."""
    from orientation.cli.demo import DEMO_NUMBER
    from orientation.simulator.console import play

    config = from_environment()
    sys.exit(play(target or config.public_base_url, config, to or DEMO_NUMBER, from_))


@main.group(cls=click.Group)
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


@main.command(with_appcontext=False)
def clock() -> None:
    """Run the scheduler (the one clock process; its jobs are fixed in code, see `orientation jobs list`)."""
    from orientation.cli.scheduler import run_clock

    run_clock(from_environment())


@main.group(cls=click.Group)
def jobs() -> None:
    """The clock's jobs, listed or run once by hand."""


@jobs.command("list")
def jobs_list() -> None:
    """Each job of the clock process: its id, when it runs (Europe/Paris) and what it does."""
    from orientation.cli.scheduler import JOBS, describe, describe_trigger

    width = max(len(spec.id) for spec in JOBS)
    for spec in JOBS:
        click.echo(f"{spec.id:<{width}}  {describe_trigger(spec.trigger):<18}  {describe(spec)}")


@jobs.command("run")
@click.argument("job_id", metavar="ID")
def jobs_run(job_id: str) -> None:
    """Run the job ID once, now, and print its result (e.g. `orientation jobs run dispatch_outbox`)."""
    from orientation.cli.scheduler import execute, job_by_id

    try:
        spec = job_by_id(job_id)
    except KeyError as exc:
        raise click.UsageError(exc.args[0]) from None
    app = _app()  # also sends the job's log lines to stderr (ORIENTATION_LOG_FORMAT)
    runtime = app.extensions["orientation"]
    try:
        run = execute(spec, runtime)
    finally:
        runtime.engine.dispose()
    if not run.ok:
        raise click.ClickException(f"job {spec.id} failed after {run.seconds:.3f} s: {run.error} (see the log above)")
    click.echo(f"job {spec.id}: {run.result} ({run.seconds:.3f} s)")


def _register_domain_commands() -> None:
    from directory.cli import directory
    from orientation.cli.console import user
    from orientation.cli.exports import export
    from orientation.cli.privacy import privacy
    from orientation.cli.territory import territory
    from volunteers.cli import rota

    for group in (directory, rota, export, user, privacy, territory):
        main.add_command(group)


_register_domain_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
