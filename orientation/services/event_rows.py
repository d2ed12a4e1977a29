"""Writing a webhook's event rows in one statement, with the one row UPDATE it left for the end folded in.

On PostgreSQL, N event rows go as one `INSERT INTO events … SELECT … UNION ALL SELECT …` instead of psycopg's
executemany (a Bind/Execute per row), and a row's UPDATE the handler left for the end (`rows.defer_changes`)
rides in front of it as a data-modifying CTE: one statement, one round trip, where there were two or more.
Each shape (how many rows, which table and columns are updated) is built once and cached: a multi-row VALUES
has no cache key in SQLAlchemy and would be compiled again at every execution. SQLite runs the plain statements.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from sqlalchemy import Connection, Insert, Table, bindparam, insert, select, union_all

from orientation.core.models import Event
from orientation.services.rows import RowUpdate, update_statement

_EVENTS = cast(Table, Event.__table__)
COLUMNS = ("request_id", "kind", "idempotency_key", "payload", "response", "actor", "at")
# inline(): no RETURNING of the new ids, which nothing reads (SQLAlchemy adds it to a one-row INSERT otherwise).
_INSERT = insert(_EVENTS).inline()


@cache
def _folded(count: int, table: Table | None, names: tuple[str, ...]) -> Insert:
    """PostgreSQL: `count` event rows from bound parameters e0_…, e1_…, behind the UPDATE (if any) as a CTE."""
    selects = [
        select(*(bindparam(f"e{i}_{name}", type_=_EVENTS.c[name].type) for name in COLUMNS)) for i in range(count)
    ]
    rows = selects[0] if count == 1 else union_all(*selects)
    statement = insert(_EVENTS).from_select(list(COLUMNS), rows)
    if table is not None:
        statement = statement.add_cte(update_statement(table, names).cte("written"))
    return statement


def write(connection: Connection, values: list[dict[str, Any]], pending: RowUpdate | None) -> None:
    """Write the event rows (each a dict of COLUMNS) and the pending row update, in as few statements as can be."""
    if connection.dialect.name != "postgresql" or not values or (pending is None and len(values) == 1):
        if pending is not None:
            pending.run(connection)
        if values:
            # One row (most callbacks): a plain execute, cheaper than executemany's; several: one executemany.
            connection.execute(_INSERT, values[0] if len(values) == 1 else values)
        return
    params = {f"e{i}_{name}": row[name] for i, row in enumerate(values) for name in COLUMNS}
    if pending is None:
        connection.execute(_folded(len(values), None, ()), params)
        return
    params.update(pending.params())
    connection.execute(_folded(len(values), pending.table, pending.names), params)
