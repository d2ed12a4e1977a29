"""API tokens: random secrets shown once, stored as SHA-256 digests, named uniquely, revocable."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from orientation.core.models import ApiToken

NAME_LENGTH = 120


class TokenError(ValueError):
    """A token cannot be made or found under that name (message shown as is)."""


def digest(token: str) -> str:
    """The stored form of a token (high-entropy secrets need no slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, territory_id: int | None, now: datetime) -> str:
    """Make a token and return its clear value, which is never stored; a name is used once, ever."""
    name = name.strip()
    if not name or len(name) > NAME_LENGTH or not name.isprintable():
        raise TokenError(f"a token name is 1 to {NAME_LENGTH} printable characters")
    existing = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if existing is not None:
        # Revoked tokens keep their name: the audit log says "token:NAME", which must name one token only.
        state = "a revoked token" if existing.revoked_at is not None else "a live token"
        raise TokenError(f"the name {name!r} is already used by {state}; choose another")
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


def list_tokens(session: Session) -> Sequence[ApiToken]:
    """Every token, revoked ones included, oldest first."""
    return session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)).all()


def revoke_token(session: Session, name: str, now: datetime) -> ApiToken:
    """Revoke the token of that name: from now on it answers 401. Revoking twice keeps the first date."""
    token = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        raise TokenError(f"no token named {name!r}")
    if token.revoked_at is None:
        token.revoked_at = now
    return token
