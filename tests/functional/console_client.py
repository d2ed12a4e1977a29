"""Drive the console as a browser would: accounts, login with the CSRF token of the form, form posts."""

from __future__ import annotations

import re
from datetime import datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from orientation.core.clock import FrozenClock
from orientation.core.models import Territory
from orientation.web.console.accounts import create_user
from orientation.web.console.models import User
from tests import factories

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def account(
    session: Session,
    now: datetime,
    email: str = "coord@example.org",
    territory_id: int | None = None,
    role: str = "coordinator",
) -> User:
    """A console account with PASSWORD (a coordinator without a territory gets a new one)."""
    if role == "coordinator" and territory_id is None:
        territory_id = factories.territory(session, now).id
    user = create_user(session, email, PASSWORD, role, territory_id, now)
    session.commit()
    return user


def csrf_token(client: FlaskClient, path: str = "/connexion") -> str:
    """The CSRF token of a page's form."""
    page = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(app: Flask, email: str, password: str = PASSWORD, address: str = "127.0.0.1") -> FlaskClient:
    """A client logged in to the console."""
    client = app.test_client()
    response = client.post(
        "/connexion",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": address},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def post(client: FlaskClient, path: str, data: dict[str, object], page: str | None = None) -> tuple[int, str, str]:
    """Post a console form with the token of the page it sits on; returns status, body and Location."""
    token = csrf_token(client, page or path)
    response = client.post(path, data={**data, "csrf_token": token})
    return response.status_code, response.get_data(as_text=True), response.headers.get("Location", "")


def coordinator(app: Flask, session: Session, clock: FrozenClock) -> tuple[Territory, FlaskClient]:
    """A territory and its coordinator, logged in ("coord@example.org")."""
    # The clock is set by the fixture before the login: a console session ends after 30 idle minutes.
    territory = factories.territory(session, clock())
    account(session, clock(), territory_id=territory.id)
    return territory, login(app, "coord@example.org")
