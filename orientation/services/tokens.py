"""API tokens: random secrets shown once, stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.models import ApiToken


def digest(token: str) -> str:
    """The stored form of a token (high-entropy secrets need no slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, territory_id: int | None, now: datetime) -> str:
    """Make a token and return its clear value, which is never stored."""
    token = "ori_" + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=digest(token), territory_id=territory_id, created_at=now))
    session.flush()
    return token


def find_token(session: Session, token: str) -> ApiToken | None:
    """The live token matching a presented bearer value."""
    found = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if found is None or found.revoked_at is not None:
        return None
    return found
