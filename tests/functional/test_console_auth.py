"""The console's door: login, logout, CSRF, throttled failures, secure cookies, the territory wall, accounts."""

from __future__ import annotations

import html

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from orientation import create_app
from orientation.core.clock import FrozenClock
from orientation.core.config import Config
from orientation.web.console.accounts import MAX_FAILURES, MAX_FAILURES_PER_ADDRESS, check_password
from orientation.web.console.models import User
from tests import factories
from tests.functional.console_client import PASSWORD, account, csrf_token, login


@pytest.fixture
def config(config: Config) -> Config:
    """The app's configuration without flask-limiter's login limit in the way: these tests count the lockout."""
    return config.with_overrides(rate_limit_login="1000 per minute")


def _try(app: Flask, email: str, password: str, address: str = "10.0.0.1") -> int:
    client = app.test_client()
    response = client.post(
        "/connexion",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


def test_a_page_of_the_console_sends_a_visitor_to_the_login_form(app: Flask) -> None:
    response = app.test_client().get("/t/1/demandes")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=/t/1/demandes")


def test_a_coordinator_logs_in_lands_on_their_dashboard_and_logs_out(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    territory = factories.territory(session, clock())
    account(session, clock(), territory_id=territory.id)
    client = login(app, "Coord@Example.org ")
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] == f"/t/{territory.id}/"
    assert "Tableau de bord" in client.get(f"/t/{territory.id}/").get_data(as_text=True)
    token = csrf_token(client, f"/t/{territory.id}/")
    assert client.post("/deconnexion", data={"csrf_token": token}).status_code == 302
    assert client.get(f"/t/{territory.id}/").status_code == 302


def test_a_wrong_password_is_refused_without_saying_whether_the_account_exists(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    account(session, clock())
    client = app.test_client()
    wrong = client.post(
        "/connexion", data={"email": "coord@example.org", "password": "nope", "csrf_token": csrf_token(client)}
    )
    unknown = client.post(
        "/connexion", data={"email": "who@example.org", "password": "nope", "csrf_token": csrf_token(client)}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect" in wrong.get_data(as_text=True)
    assert "Adresse e-mail ou mot de passe incorrect" in unknown.get_data(as_text=True)


def test_a_form_posted_without_its_csrf_token_is_refused(app: Flask, session: Session, clock: FrozenClock) -> None:
    account(session, clock())
    client = app.test_client()
    response = client.post("/connexion", data={"email": "coord@example.org", "password": PASSWORD})
    assert response.status_code == 400
    logged_in = login(app, "coord@example.org")
    assert logged_in.post("/deconnexion").status_code == 400


def test_twilio_webhooks_and_the_api_are_not_asked_for_a_csrf_token(app: Flask) -> None:
    client = app.test_client()
    # Refused for their own reasons (no signature, no token), never for a missing CSRF token.
    assert client.post("/twilio/voice", data={"CallSid": "CA1"}).status_code == 403
    assert client.post("/api/v1/territories", json={}).status_code == 401


def test_five_failures_lock_the_account_from_every_address_until_the_lockout_ends(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    account(session, clock())
    for _ in range(MAX_FAILURES):
        assert _try(app, "coord@example.org", "wrong password", address="127.0.0.1") == 401
    # Locked: the right password is refused, from that address and from any other one…
    assert _try(app, "coord@example.org", PASSWORD, address="127.0.0.1") == 401
    assert _try(app, "coord@example.org", PASSWORD, address="127.0.0.2") == 401
    # …until a quarter of an hour has passed.
    clock.advance(minutes=14)
    assert _try(app, "coord@example.org", PASSWORD, address="127.0.0.2") == 401
    clock.advance(minutes=1, seconds=1)
    assert _try(app, "coord@example.org", PASSWORD, address="127.0.0.2") == 302


def test_failures_spread_over_many_addresses_still_lock_the_account(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    account(session, clock())
    for n in range(MAX_FAILURES):
        assert _try(app, "coord@example.org", "wrong password", address=f"127.0.0.{10 + n}") == 401
    client = app.test_client()
    response = client.post(
        "/connexion",
        data={"email": "coord@example.org", "password": PASSWORD, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": "127.0.0.2"},
    )
    assert response.status_code == 401
    assert "ce compte est bloqué jusqu'à" in html.unescape(response.get_data(as_text=True))


def test_an_address_trying_many_accounts_is_locked_but_other_addresses_are_not(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    account(session, clock())
    # One wrong password on each of many accounts: no account reaches its limit, the address does.
    for n in range(MAX_FAILURES_PER_ADDRESS):
        assert _try(app, f"guess{n}@example.org", "wrong password", address="127.0.0.1") == 401
    client = app.test_client()
    refused = client.post(
        "/connexion",
        data={"email": "coord@example.org", "password": PASSWORD, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert refused.status_code == 401
    assert "depuis cette adresse" in refused.get_data(as_text=True)
    assert _try(app, "coord@example.org", PASSWORD, address="127.0.0.2") == 302


def test_behind_a_proxy_the_lockout_counts_the_forwarded_client_address(
    config: Config, clock: FrozenClock, engine: Engine, session: Session
) -> None:
    app = create_app(config.with_overrides(proxy_hops=1), clock=clock)
    try:
        account(session, clock())
        for n in range(MAX_FAILURES_PER_ADDRESS):
            client = app.test_client()
            client.post(
                "/connexion",
                data={"email": f"guess{n}@example.org", "password": "wrong", "csrf_token": csrf_token(client)},
                headers={"X-Forwarded-For": "203.0.113.7"},
            )

        def status(forwarded_for: str) -> int:
            client = app.test_client()
            return client.post(
                "/connexion",
                data={"email": "coord@example.org", "password": PASSWORD, "csrf_token": csrf_token(client)},
                headers={"X-Forwarded-For": forwarded_for},
            ).status_code

        # Every request comes from the proxy (127.0.0.1): only the forwarded address tells clients apart.
        assert status("203.0.113.7") == 401
        assert status("203.0.113.8") == 302
    finally:
        app.extensions["orientation"].engine.dispose()


def test_a_successful_login_clears_the_account_count_but_not_the_address_count(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    account(session, clock())
    for _ in range(MAX_FAILURES - 1):
        assert _try(app, "coord@example.org", "wrong password") == 401
    assert _try(app, "coord@example.org", PASSWORD) == 302
    # The account starts afresh: four more failures do not lock it.
    for _ in range(MAX_FAILURES - 1):
        assert _try(app, "coord@example.org", "wrong password") == 401
    assert _try(app, "coord@example.org", PASSWORD) == 302
    # The address kept its eight failures: twelve more on other accounts lock it.
    for n in range(MAX_FAILURES_PER_ADDRESS - 2 * (MAX_FAILURES - 1)):
        assert _try(app, f"guess{n}@example.org", "wrong password") == 401
    assert _try(app, "coord@example.org", PASSWORD) == 401


def test_failures_spread_over_more_than_the_window_do_not_lock(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    account(session, clock())
    for _ in range(MAX_FAILURES - 1):
        assert _try(app, "coord@example.org", "wrong password") == 401
    clock.advance(minutes=16)
    assert _try(app, "coord@example.org", "wrong password") == 401
    assert _try(app, "coord@example.org", PASSWORD) == 302


def test_the_session_cookie_is_http_only_same_site_lax_and_secure_behind_https(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    account(session, clock())
    client = app.test_client()
    response = client.post(
        "/connexion",
        data={"email": "coord@example.org", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("orientation_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_a_coordinator_gets_a_404_for_every_page_of_another_territory(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    mine = factories.territory(session, clock())
    other = factories.territory(
        session, clock(), name="CPTS Ailleurs", phone_numbers=["+33199000009"], reference_prefix="AIL"
    )
    account(session, clock(), territory_id=mine.id)
    client = login(app, "coord@example.org")
    for path in (
        "/",
        "/demandes",
        "/demandes.csv",
        "/rota",
        "/benevoles",
        "/annuaire",
        "/parametres",
        "/benevoles/nouveau",
    ):
        assert client.get(f"/t/{other.id}{path}").status_code == 404, path
        assert client.get(f"/t/{mine.id}{path}").status_code == 200, path
    token = csrf_token(client, f"/t/{mine.id}/rota")
    assert client.post(f"/t/{other.id}/rota/permanence", data={"csrf_token": token}).status_code == 404


def test_an_administrator_sees_every_territory(app: Flask, session: Session, clock: FrozenClock) -> None:
    first = factories.territory(session, clock())
    second = factories.territory(
        session, clock(), name="CPTS Ailleurs", phone_numbers=["+33199000009"], reference_prefix="AIL"
    )
    account(session, clock(), email="admin@example.org", role="admin")
    client = login(app, "admin@example.org")
    home = client.get("/").get_data(as_text=True)
    assert "CPTS Paris 20" in home and "CPTS Ailleurs" in home
    assert client.get(f"/t/{first.id}/parametres").status_code == 200
    assert client.get(f"/t/{second.id}/parametres").status_code == 200


def test_a_disabled_account_is_logged_out_and_cannot_log_in(app: Flask, session: Session, clock: FrozenClock) -> None:
    territory = factories.territory(session, clock())
    user = account(session, clock(), territory_id=territory.id)
    client = login(app, "coord@example.org")
    user.active = False
    session.commit()
    assert client.get(f"/t/{territory.id}/").status_code == 302
    assert _try(app, "coord@example.org", PASSWORD) == 401


def test_a_login_never_redirects_to_another_site(app: Flask, session: Session, clock: FrozenClock) -> None:
    account(session, clock())
    client = app.test_client()
    response = client.post(
        "/connexion?next=//evil.example/x",
        data={"email": "coord@example.org", "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/"


def test_the_user_create_command_hashes_the_password_with_argon2(
    session: Session, clock: FrozenClock, database_url: str, monkeypatch: object
) -> None:
    from orientation.cli import main

    territory = factories.territory(session, clock())
    runner = CliRunner()
    env = {"DATABASE_URL": database_url}
    result = runner.invoke(
        main,
        ["user", "create", "new@example.org", "--role", "coordinator", "--territory", str(territory.id)],
        input="a long enough secret\na long enough secret\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    session.expire_all()
    created = session.scalar(select(User).where(User.email == "new@example.org"))
    assert created is not None and created.territory_id == territory.id and created.role == "coordinator"
    assert created.password_hash.startswith("$argon2id$")
    assert check_password(created.password_hash, "a long enough secret")
    refused = runner.invoke(
        main, ["user", "create", "c@example.org", "--role", "coordinator", "--password", "x" * 12], env=env
    )
    assert refused.exit_code != 0 and "territoire" in refused.output


def test_the_user_create_command_refuses_a_weak_password_and_says_why_in_french(
    session: Session, clock: FrozenClock, database_url: str
) -> None:
    from orientation.cli import main

    territory = factories.territory(session, clock())
    runner = CliRunner()
    args = ["user", "create", "marie.curie@example.org", "--role", "coordinator", "--territory", str(territory.id)]
    for weak, why in (
        ("curie-marie-75", "il reprend votre adresse e-mail ou votre nom"),
        ("bonjour123456", "trop facile à deviner"),
        ("Xk9#mP2!qL", "trop court (au moins 12 caractères)"),
    ):
        refused = runner.invoke(
            main, [*args, "--name", "Marie Curie", "--password", weak], env={"DATABASE_URL": database_url}
        )
        assert refused.exit_code == 1 and why in refused.output, refused.output
    session.expire_all()
    assert session.scalar(select(User).where(User.email == "marie.curie@example.org")) is None
