"""An inbound call's new request in one PostgreSQL statement: the year's counter bumped, the request and its
opening events inserted (three round trips and an executemany before: UPDATE, INSERT, the events' INSERT)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Integer, Select, String, Table, bindparam, func, insert, literal, select, union_all, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from orientation.core.models import Event, ReferenceCounter, Request
from orientation.services import requests as svc

_COUNTERS = cast(Table, ReferenceCounter.__table__)
_REQUESTS = cast(Table, Request.__table__)
_EVENTS = cast(Table, Event.__table__)
_ROW_COLUMNS = ("territory_id", "call_sid", "caller", "caller_is_mobile", "status", "created_at", "updated_at")
_EVENT_COLUMNS = ("kind", "payload", "actor")


def _reference(number: Any) -> Any:
    """format_reference in SQL: the bound "prefix-year-" then the number on six digits at least (never cut)."""
    digits = sql_cast(number, String)
    return bindparam("head", type_=String) + func.lpad(digits, func.greatest(6, func.length(digits)), "0")


@cache
def _statement(events: int) -> Select[Any]:
    """Built once per number of opening events (1 or 2), every value bound at each call."""
    # Named apart from the counters' columns: an UPDATE would also SET a column its parameters name.
    bump = (
        update(_COUNTERS)
        .where(
            _COUNTERS.c.territory_id == bindparam("b_territory"),
            _COUNTERS.c.year == bindparam("b_year", type_=Integer),
        )
        .values(value=_COUNTERS.c.value + 1)
        .returning(_COUNTERS.c.value)
        .cte("bump")
    )
    # No counter row yet for the year (its first call): the UPDATE changes nothing, so nothing is inserted and
    # the caller goes the savepoint way of references.next_number.
    values = [bindparam(f"r_{name}", type_=_REQUESTS.c[name].type) for name in _ROW_COLUMNS]
    # The other columns' scalar defaults (language, counters…) as literals: the models stay their one source.
    defaults = {
        column.name: literal(column.default.arg, type_=column.type)
        for column in _REQUESTS.c
        if column.name not in _ROW_COLUMNS and isinstance(column.default, ScalarElementColumnDefault)
    }
    request = (
        insert(_REQUESTS)
        .from_select(
            [*_ROW_COLUMNS, "reference", *defaults],
            select(*values, _reference(bump.c.value), *defaults.values()).select_from(bump),
            include_defaults=False,
        )
        .returning(_REQUESTS.c.id, _REQUESTS.c.reference)
        .cte("new_request")
    )
    at = bindparam("r_created_at", type_=_EVENTS.c.at.type)
    rows = [
        select(request.c.id, *[bindparam(f"e{i}_{name}", type_=_EVENTS.c[name].type) for name in _EVENT_COLUMNS], at)
        for i in range(events)
    ]
    # One INSERT of the events in their order (UNION ALL keeps it: ids as if added one after the other). A
    # data-modifying CTE runs whether or not the query reads it; the events' foreign key is checked at the end
    # of the statement, when the request row exists.
    source = union_all(*rows) if events > 1 else rows[0]
    opening = insert(_EVENTS).from_select(["request_id", *_EVENT_COLUMNS, "at"], source)
    return select(request.c.id, request.c.reference).add_cte(opening.cte("opening_events"))


def insert_numbered(
    session: Session,
    territory: svc.LineOfRequest,
    call_sid: str,
    caller_raw: str | None,
    now: datetime,
    then: str | None,
) -> tuple[int, str] | None:
    """The new request's (id, reference), numbered, inserted with its opening events in one statement; None when
    the territory has no counter for the year yet (nothing written)."""
    row = svc.unnumbered_request_row(territory, call_sid, caller_raw, now, then)
    events = svc.received_events(row, now, then)
    params: dict[str, Any] = {f"r_{name}": value for name, value in row.items()}
    params.update(b_territory=territory.id, b_year=now.year, head=f"{territory.reference_prefix}-{now.year}-")
    for index, event in enumerate(events):
        params.update({f"e{index}_{name}": event[name] for name in _EVENT_COLUMNS})
    found = session.execute(_statement(len(events)), params).first()
    return None if found is None else (int(found[0]), str(found[1]))
