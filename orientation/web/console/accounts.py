"""Console accounts: argon2 password hashes, account changes, and logins throttled per account and per address."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from orientation.web.console import sessions
from orientation.web.console.models import ROLES, LoginThrottle, User
from orientation.web.console.passwords import MIN_LENGTH, weakness

# Five failures for one account, from wherever, lock that account: spreading guesses over many addresses
# no longer helps. The price, someone knowing an e-mail can keep its owner out for a quarter of an hour at a
# time, is bounded (the lock ends by itself, an administrator's reset-password ends it at once).
MAX_FAILURES = 5
# One address may mistype more (an office behind one NAT), but not try passwords on account after account.
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = MIN_LENGTH
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
    problem = weakness(password, email, name)
    if problem is not None:
        raise AccountError(problem)
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


def set_password(session: Session, user: User, password: str) -> int:
    """Replace an account's password, end all its sessions and lift its lockout; returns the sessions ended."""
    problem = weakness(password, user.email, user.name)
    if problem is not None:
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key(user.email)))
    return sessions.end_all(session, user.id)


def disable(session: Session, user: User) -> int:
    """Disable an account: it can no longer log in and its sessions end now; returns the sessions ended."""
    user.active = False
    return sessions.end_all(session, user.id)


def enable(user: User) -> None:
    """Let a disabled account log in again."""
    user.active = True


def find_user(session: Session, email: str) -> User | None:
    """An account by email (case-insensitive)."""
    return session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def account_key(email: str) -> str:
    """The account's failure counter key: a hash, so the table keeps no e-mail in clear."""
    return hashlib.sha256(f"account\n{normalise_email(email)}".encode()).hexdigest()


def address_key(address: str) -> str:
    """The address's failure counter key: a hash, so the table keeps no address in clear."""
    return hashlib.sha256(f"address\n{address}".encode()).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt gave: the account, or why not (locked until when, and whether the account or
    the address is locked)."""

    user: User | None
    locked_until: datetime | None = None
    locked: str | None = None  # "account" or "address"


def _lock_end(session: Session, key: str, now: datetime) -> datetime | None:
    row = session.get(LoginThrottle, key)
    if row is not None and row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    return None


def _record_failure(session: Session, key: str, limit: int, now: datetime) -> datetime | None:
    row = session.get(LoginThrottle, key)
    if row is None or now - row.first_failure_at > FAILURE_WINDOW or (row.locked_until and row.locked_until <= now):
        # A fresh window: failures long ago (or before a lockout that is over) do not add up forever.
        if row is None:
            row = LoginThrottle(key=key, failures=0, first_failure_at=now)
            session.add(row)
        row.failures, row.first_failure_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= limit:
        row.locked_until = now + LOCKOUT
    return row.locked_until


def authenticate(session: Session, email: str, password: str, address: str, now: datetime) -> LoginResult:
    """Check a login; failures count per account and per address, and a locked one is refused outright."""
    by_account, by_address = account_key(email), address_key(address)
    account_lock = _lock_end(session, by_account, now)
    if account_lock is not None:
        return LoginResult(None, account_lock, "account")
    address_lock = _lock_end(session, by_address, now)
    if address_lock is not None:
        return LoginResult(None, address_lock, "address")
    user = find_user(session, email)
    valid = check_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        # Unknown e-mails are counted like real ones: the answers never tell which accounts exist.
        account_lock = _record_failure(session, by_account, MAX_FAILURES, now)
        address_lock = _record_failure(session, by_address, MAX_FAILURES_PER_ADDRESS, now)
        if account_lock is not None:
            return LoginResult(None, account_lock, "account")
        return LoginResult(None, address_lock, "address" if address_lock else None)
    # Success clears the account's count, not the address's: logging in to one's own account between
    # guesses must not reset the count of an address trying other accounts.
    row = session.get(LoginThrottle, by_account)
    if row is not None:
        session.delete(row)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return LoginResult(user)
