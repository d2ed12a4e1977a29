"""Drive the JSON API as a client would: a bearer token made by the token service, JSON in and out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from orientation.core.models import ApiToken, Territory
from orientation.services.tokens import create_token
from tests import factories

PREFIX = "/api/v1"


def free_name(session: Session, name: str) -> str:
    """The name, or NAME-2, NAME-3… when taken: tests make several tokens under one default name, and names are
    unique."""
    taken = set(session.scalars(select(ApiToken.name)))
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    return candidate


def make_token(session: Session, now: datetime, name: str = "coordination", territory_id: int | None = None) -> str:
    """A new API token, committed, as `orientation token create` makes it; returns its clear value."""
    value = create_token(session, free_name(session, name), territory_id, now)
    session.commit()
    return value


@dataclass
class ApiClient:
    """The Flask test client with the bearer header added and the /api/v1 prefix implied."""

    client: FlaskClient
    token: str | None

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token is not None else {}
        headers.update(extra or {})
        return headers

    def get(self, path: str, query: dict[str, Any] | None = None) -> TestResponse:
        """GET a path of the API, with query parameters URL-encoded (a `+` of an offset survives)."""
        return self.client.get(PREFIX + path, query_string=query, headers=self._headers())

    def post(self, path: str, body: Any) -> TestResponse:
        """POST a JSON body."""
        return self.client.post(PREFIX + path, json=body, headers=self._headers())

    def patch(self, path: str, body: Any) -> TestResponse:
        """PATCH with a JSON body."""
        return self.client.patch(PREFIX + path, json=body, headers=self._headers())

    def delete(self, path: str) -> TestResponse:
        """DELETE a resource."""
        return self.client.delete(PREFIX + path, headers=self._headers())

    def raw(self, method: str, path: str, data: bytes | str, content_type: str = "application/json") -> TestResponse:
        """Send a body as given (not JSON, truncated JSON…) to see how the API refuses it."""
        return self.client.open(
            PREFIX + path, method=method, data=data, headers=self._headers({"Content-Type": content_type})
        )


def other_territory(session: Session, now: datetime) -> Territory:
    """A second territory beside the factories' one, on its own line and prefix."""
    return factories.territory(
        session, now, name="CPTS Lyon 8", reference_prefix="L8", phone_numbers=["+33199000002"], postcodes=["69008"]
    )


def api(
    app: Flask, session: Session, now: datetime, name: str = "coordination", territory_id: int | None = None
) -> ApiClient:
    """A client holding a fresh token (for all territories unless one is given)."""
    return ApiClient(app.test_client(), make_token(session, now, name, territory_id))


def anonymous(app: Flask, token: str | None = None) -> ApiClient:
    """A client without a token, or with the given (possibly bad) one."""
    return ApiClient(app.test_client(), token)
