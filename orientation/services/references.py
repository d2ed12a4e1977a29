"""Human request references (P20-2026-000123), unique per territory and year, safe under concurrency."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orientation.core.models import ReferenceCounter

_COUNTERS = cast(Table, ReferenceCounter.__table__)
# Built once, on the table (no ORM-enabled UPDATE and its session synchronisation): every inbound call runs it.
_BUMP = (
    update(_COUNTERS)
    .where(_COUNTERS.c.territory_id == bindparam("b_territory"), _COUNTERS.c.year == bindparam("b_year"))
    .values(value=_COUNTERS.c.value + 1)
    .returning(_COUNTERS.c.value)
)
_FIRST = insert(_COUNTERS).values(territory_id=bindparam("b_territory"), year=bindparam("b_year"), value=1)


def format_reference(prefix: str, year: int, number: int) -> str:
    """The printed form of a reference."""
    return f"{prefix}-{year}-{number:06d}"


def next_number(session: Session, territory_id: int, year: int) -> int:
    """Take the next number of the territory's counter for the year.

    The UPDATE … RETURNING takes a row lock on PostgreSQL, so two calls at once get two numbers; the first
    call of a year inserts the row inside a savepoint and retries if another call inserted it first.
    """
    params = {"b_territory": territory_id, "b_year": year}
    for _ in range(3):
        value = session.execute(_BUMP, params).scalar_one_or_none()
        if value is not None:
            return int(value)
        try:
            with session.begin_nested():
                session.execute(_FIRST, params)
            return 1
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a request reference")
