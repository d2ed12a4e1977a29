"""Console accounts: argon2 password hashes, account creation, and logins throttled per account and address."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orientation.console.models import ROLES, LoginThrottle, User

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()
# Verifying against this when the email is unknown makes both answers take as long: no account enumeration.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """Bad input for an account (French message, shown as is)."""


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def check_password(stored_hash: str, password: str) -> bool:
    """True when the password matches the stored argon2 hash."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    """Emails are compared trimmed and in lower case."""
    return email.strip().lower()


def create_user(
    session: Session,
    email: str,
    password: str,
    role: str,
    territory_id: int | None,
    now: datetime,
    name: str | None = None,
) -> User:
    """A new account; a coordinator belongs to exactly one territory, an administrator to none."""
    email = normalise_email(email)
    if not _EMAIL.match(email):
        raise AccountError("adresse e-mail invalide")
    if role not in ROLES:
        raise AccountError(f"rôle inconnu : {role} (admin ou coordinator)")
    if role == "coordinator" and territory_id is None:
        raise AccountError("un coordinateur appartient à un territoire (--territory)")
    if role == "admin":
        territory_id = None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"mot de passe trop court (au moins {MIN_PASSWORD_LENGTH} caractères)")
    if find_user(session, email) is not None:
        raise AccountError(f"le compte {email} existe déjà")
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        territory_id=territory_id,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace an account's password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"mot de passe trop court (au moins {MIN_PASSWORD_LENGTH} caractères)")
    user.password_hash = hash_password(password)


def find_user(session: Session, email: str) -> User | None:
    """An account by email (case-insensitive)."""
    return session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def throttle_key(email: str, address: str) -> str:
    """The counter's key: a hash, so the table keeps no address or email in clear."""
    return hashlib.sha256(f"{normalise_email(email)}\n{address}".encode()).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt gave: the account, or why not (locked until when)."""

    user: User | None
    locked_until: datetime | None = None


def locked_until(session: Session, email: str, address: str, now: datetime) -> datetime | None:
    """When the lockout of this account and address ends, or None when it may try."""
    row = session.get(LoginThrottle, throttle_key(email, address))
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    return None


def _record_failure(session: Session, key: str, now: datetime) -> datetime | None:
    row = session.get(LoginThrottle, key)
    if row is None or now - row.first_failure_at > FAILURE_WINDOW or (row.locked_until and row.locked_until <= now):
        # A fresh window: failures long ago (or before a lockout that is over) do not add up forever.
        if row is None:
            row = LoginThrottle(key=key, failures=0, first_failure_at=now)
            session.add(row)
        row.failures, row.first_failure_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= MAX_FAILURES:
        row.locked_until = now + LOCKOUT
    return row.locked_until


def authenticate(session: Session, email: str, password: str, address: str, now: datetime) -> LoginResult:
    """Check a login; failures are counted per account and address, and a locked pair is refused outright."""
    key = throttle_key(email, address)
    until = locked_until(session, email, address, now)
    if until is not None:
        return LoginResult(None, until)
    user = find_user(session, email)
    valid = check_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        return LoginResult(None, _record_failure(session, key, now))
    row = session.get(LoginThrottle, key)
    if row is not None:
        session.delete(row)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return LoginResult(user)
