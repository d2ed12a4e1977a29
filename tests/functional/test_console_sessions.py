"""Console sessions end on the server: logout, inactivity, 12 hours, a new password, a disabled account."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from orientation import cli, create_app
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.web.console.models import ConsoleSession, User
from tests import factories
from tests.functional.console_client import PASSWORD, account, csrf_token, login

COOKIE = "orientation_session"
NEW_PASSWORD = "quatre chevaux sous la pluie"


@pytest.fixture
def home(session: Session, clock: FrozenClock) -> str:
    """A coordinator account and the path of its dashboard."""
    territory = factories.territory(session, clock())
    account(session, clock(), territory_id=territory.id)
    return f"/t/{territory.id}/"


def _copy(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of the client's session cookie (as an attacker who copied it would)."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(COOKIE, cookie.value)
    return thief


def _opens(client: FlaskClient, path: str) -> bool:
    """True when the page opens; False when the login form is answered instead."""
    response = client.get(path)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/connexion")
        return False
    assert response.status_code == 200
    return True


def _run(args: list[str], database_url: str, tmp_path: Path, stdin: str | None = None) -> Result:
    env = {"DATABASE_URL": database_url, "ORIENTATION_INSTANCE": str(tmp_path / "instance")}
    return CliRunner().invoke(cli.main, args, env=env, input=stdin, catch_exceptions=False)


def _login_status(app: Flask, password: str) -> int:
    client = app.test_client()
    data = {"email": "coord@example.org", "password": password, "csrf_token": csrf_token(client)}
    return client.post("/connexion", data=data).status_code


def _live_sessions(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(ConsoleSession)) or 0)


def test_a_cookie_copied_before_logout_gets_the_login_page_after_it(app: Flask, home: str) -> None:
    client = login(app, "coord@example.org")
    thief = _copy(client, app)
    assert _opens(thief, home)  # the copy works while the session lives…

    token = csrf_token(client, home)
    assert client.post("/deconnexion", data={"csrf_token": token}).status_code == 302

    assert not _opens(thief, home)  # …and not after the logout
    assert not _opens(client, home)


def test_a_logout_ends_that_browser_only(app: Flask, session: Session, home: str) -> None:
    office, phone = login(app, "coord@example.org"), login(app, "coord@example.org")
    assert _live_sessions(session) == 2
    office.post("/deconnexion", data={"csrf_token": csrf_token(office, home)})
    assert not _opens(office, home)
    assert _opens(phone, home)
    assert _live_sessions(session) == 1


def test_a_session_ends_after_thirty_minutes_without_a_request(app: Flask, home: str, clock: FrozenClock) -> None:
    client = login(app, "coord@example.org")
    clock.advance(minutes=29)
    assert _opens(client, home)  # activity: the half hour starts again
    clock.advance(minutes=29)
    assert _opens(client, home)
    clock.advance(minutes=30)
    response = client.get(home)
    assert response.status_code == 302
    login_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre session a pris fin" in html.unescape(login_page)
    clock.advance(minutes=1)
    assert not _opens(client, home)  # ended for good, not just once


def test_the_inactivity_limit_is_configurable(
    config: Config, clock: FrozenClock, engine: Engine, session: Session
) -> None:
    territory = factories.territory(session, clock())
    account(session, clock(), territory_id=territory.id)
    app = create_app(config.with_overrides(session_idle_minutes=5), clock=clock)
    try:
        client = login(app, "coord@example.org")
        clock.advance(minutes=4)
        assert _opens(client, f"/t/{territory.id}/")
        clock.advance(minutes=5)
        assert not _opens(client, f"/t/{territory.id}/")
    finally:
        app.extensions["orientation"].engine.dispose()


def test_a_session_ends_twelve_hours_after_login_however_active(app: Flask, home: str, clock: FrozenClock) -> None:
    client = login(app, "coord@example.org")
    for _ in range(11 * 3 + 2):  # a page every 20 minutes until 11:40 after login
        clock.advance(minutes=20)
        assert _opens(client, home)
    clock.advance(minutes=19, seconds=59)
    assert _opens(client, home)
    clock.advance(seconds=1)
    assert not _opens(client, home)
    assert _opens(login(app, "coord@example.org"), home)  # a new login gives a new day


def test_a_cookie_without_a_session_row_opens_nothing(app: Flask, session: Session, home: str) -> None:
    client = login(app, "coord@example.org")
    thief = _copy(client, app)
    # Whatever ended the row (a purge, a restore of an old database…), the signed cookie alone is not enough.
    session.query(ConsoleSession).delete()
    session.commit()
    assert not _opens(thief, home)
    assert not _opens(client, home)


def test_reset_password_from_the_cli_ends_every_session_and_the_new_password_opens_the_console(
    app: Flask, session: Session, home: str, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    client = login(app, "coord@example.org")
    thief = _copy(client, app)

    result = _run(
        ["user", "reset-password", "Coord@Example.org"], database_url, tmp_path, stdin=f"{NEW_PASSWORD}\n" * 2
    )

    assert result.exit_code == 0, result.output
    assert "1 session(s) ended" in result.output
    assert not _opens(client, home) and not _opens(thief, home)
    assert _login_status(app, PASSWORD) == 401
    assert _opens(login(app, "coord@example.org", NEW_PASSWORD), home)


def test_reset_password_refuses_a_weak_password_and_says_why_in_french(
    app: Flask, session: Session, home: str, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    client = login(app, "coord@example.org")
    for weak, why in (
        ("motdepasse", "trop court (au moins 12 caractères)"),
        ("motdepasse2026", "trop facile à deviner"),
        ("coord.example.org", "reprend votre adresse e-mail ou votre nom"),
    ):
        result = _run(["user", "reset-password", "coord@example.org", "--password", weak], database_url, tmp_path)
        assert result.exit_code == 1 and why in result.output, result.output
    assert _opens(client, home)  # nothing changed: the session lives, the old password still works
    assert _opens(login(app, "coord@example.org"), home)


def test_reset_password_lifts_the_account_lockout(
    app: Flask, session: Session, home: str, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    for _ in range(5):
        client = app.test_client()
        data = {"email": "coord@example.org", "password": "x", "csrf_token": csrf_token(client)}
        assert client.post("/connexion", data=data).status_code == 401
    assert _login_status(app, PASSWORD) == 401  # locked
    result = _run(["user", "reset-password", "coord@example.org", "--password", NEW_PASSWORD], database_url, tmp_path)
    assert result.exit_code == 0, result.output
    assert _opens(login(app, "coord@example.org", NEW_PASSWORD), home)


def test_a_disabled_user_is_logged_out_at_once_and_cannot_log_in_until_enabled(
    app: Flask, session: Session, home: str, database_url: str, tmp_path: Path, frozen_cli: FrozenClock
) -> None:
    client = login(app, "coord@example.org")

    disabled = _run(["user", "disable", "coord@example.org"], database_url, tmp_path)

    assert disabled.exit_code == 0, disabled.output
    assert not _opens(client, home)
    assert _live_sessions(session) == 0
    assert _login_status(app, PASSWORD) == 401
    listed = _run(["user", "list"], database_url, tmp_path)
    assert "coord@example.org\tcoordinator" in listed.output and "disabled" in listed.output

    assert _run(["user", "enable", "coord@example.org"], database_url, tmp_path).exit_code == 0
    assert _opens(login(app, "coord@example.org"), home)


def test_user_commands_name_an_unknown_account_clearly(database_url: str, tmp_path: Path, engine: Engine) -> None:
    for command in (["disable"], ["enable"], ["reset-password", "--password", NEW_PASSWORD]):
        result = _run(["user", command[0], "nobody@example.org", *command[1:]], database_url, tmp_path)
        assert result.exit_code == 1 and "no account nobody@example.org" in result.output


def test_a_new_login_clears_the_accounts_dead_sessions(
    app: Flask, session: Session, home: str, clock: FrozenClock
) -> None:
    login(app, "coord@example.org")
    login(app, "coord@example.org")
    clock.advance(hours=1)
    login(app, "coord@example.org")
    rows = session.scalars(select(ConsoleSession)).all()
    assert len(rows) == 1 and rows[0].created_at == clock()
    user = session.scalar(select(User))
    assert user is not None and rows[0].user_id == user.id


def _change(client: FlaskClient, current: str, new: str, confirm: str | None = None) -> tuple[int, str]:
    token = csrf_token(client, "/compte/mot-de-passe")
    response = client.post(
        "/compte/mot-de-passe",
        data={"current": current, "new": new, "confirm": new if confirm is None else confirm, "csrf_token": token},
    )
    return response.status_code, html.unescape(response.get_data(as_text=True))


def test_changing_ones_password_in_the_console_ends_the_other_sessions_and_keeps_this_one(
    app: Flask, session: Session, home: str
) -> None:
    client, phone = login(app, "coord@example.org"), login(app, "coord@example.org")
    thief = _copy(client, app)

    status, _ = _change(client, PASSWORD, NEW_PASSWORD)

    assert status == 302
    assert "Mot de passe changé" in html.unescape(client.get(home).get_data(as_text=True))
    assert not _opens(phone, home) and not _opens(thief, home)  # the copy of the old cookie too
    assert _live_sessions(session) == 1
    assert _login_status(app, PASSWORD) == 401
    assert _opens(login(app, "coord@example.org", NEW_PASSWORD), home)


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        (PASSWORD, "motdepasse2026", None, "Nouveau mot de passe refusé : mot de passe trop facile à deviner"),
        (PASSWORD, "court", None, "trop court (au moins 12 caractères)"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "ne sont pas identiques"),
        ("not my password", NEW_PASSWORD, None, "Mot de passe actuel incorrect."),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(
    app: Flask, session: Session, home: str, current: str, new: str, confirm: str | None, message: str
) -> None:
    client, phone = login(app, "coord@example.org"), login(app, "coord@example.org")

    status, page = _change(client, current, new, confirm)

    assert status == 400 and message in page
    assert _opens(client, home) and _opens(phone, home)
    assert _opens(login(app, "coord@example.org"), home)


def test_wrong_current_passwords_count_towards_the_account_lockout(app: Flask, home: str) -> None:
    client = login(app, "coord@example.org")
    for _ in range(5):
        _change(client, "not my password", NEW_PASSWORD)
    status, page = _change(client, PASSWORD, NEW_PASSWORD)
    assert status == 400 and "ce compte est bloqué" in page
    assert _login_status(app, PASSWORD) == 401
