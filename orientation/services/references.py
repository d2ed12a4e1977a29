"""Human request references (P20-2026-000123), unique per territory and year, safe under concurrency."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orientation.core.models import ReferenceCounter


def format_reference(prefix: str, year: int, number: int) -> str:
    """The printed form of a reference."""
    return f"{prefix}-{year}-{number:06d}"


def next_number(session: Session, territory_id: int, year: int) -> int:
    """Take the next number of the territory's counter for the year.

    The UPDATE … RETURNING takes a row lock on PostgreSQL, so two calls at once get two numbers; the first
    call of a year inserts the row inside a savepoint and retries if another call inserted it first.
    """
    bump = (
        update(ReferenceCounter)
        .where(ReferenceCounter.territory_id == territory_id, ReferenceCounter.year == year)
        .values(value=ReferenceCounter.value + 1)
        .returning(ReferenceCounter.value)
    )
    for _ in range(3):
        value = session.execute(bump).scalar_one_or_none()
        if value is not None:
            return int(value)
        try:
            with session.begin_nested():
                session.execute(insert(ReferenceCounter).values(territory_id=territory_id, year=year, value=1))
            return 1
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a request reference")
