"""Writing a few columns of a loaded row at once, by a Core UPDATE built once, without the unit of work."""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from sqlalchemy import Table, Update, bindparam, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from orientation.services.event_rows import RowUpdate

# Where a webhook's session keeps the row update deferred to its event rows' statement (defer_changes).
_DEFERRED = "orientation.deferred_update"
# Where a webhook's session collects its timeline entries (requests.collect_timeline): while it does, the
# session's writes end with flush_with_events.
TIMELINE_KEY = "orientation.timeline"


@cache
def _update(table: Table, names: tuple[str, ...]) -> Update:
    # One statement per table and set of columns, its values bound at each execution.
    values = {name: bindparam(f"b_{name}", type_=table.c[name].type) for name in names}
    return update(table).where(table.c.id == bindparam("b_id", type_=table.c.id.type)).values(values)


def write_columns(session: Session, row: Any, **values: Any) -> None:
    """Set these columns of a loaded row (an ORM object with an `id`), written now by one UPDATE.

    The object then holds them as loaded, so the commit's flush has nothing left to write for them: a
    webhook's one or two UPDATEs skip the unit of work, the largest SQLAlchemy block of a flush. An object
    not in the database yet (pending) just gets the values, for its INSERT.
    """
    if not inspect(row).persistent:
        for name, value in values.items():
            setattr(row, name, value)
        return
    table = cast(Table, type(row).__table__)
    names = tuple(sorted(values))
    # No autoflush: whatever else is pending goes in the commit's one flush, not before this statement.
    with session.no_autoflush:
        session.execute(_update(table, names), {"b_id": row.id, **{f"b_{name}": values[name] for name in names}})
    for name in names:
        set_committed_value(row, name, values[name])


def write_changes(session: Session, row: Any) -> None:
    """Write the columns changed on a loaded row by one Core UPDATE on the session's connection, now.

    For a handler whose only change to flush is one row's columns: the commit's flush then has nothing to do
    (no unit of work). A row with no change, not yet in the database, or with a changed relationship is left
    to the flush.
    """
    state = inspect(row)
    changed = state.committed_state
    if not changed or not state.persistent:
        return
    table = cast(Table, type(row).__table__)
    names = tuple(sorted(changed))
    if any(name not in table.c for name in names):
        return
    values = state.dict
    session.connection().execute(
        _update(table, names), {"b_id": row.id, **{f"b_{name}": values[name] for name in names}}
    )
    # Every change is written: the row is as loaded again. Not one set_committed_value per column, which leaves
    # the row marked modified in the session, and the commit would then run the unit of work to find nothing.
    state._commit_all(values, session.identity_map)


def defer_changes(session: Session, row: Any) -> None:
    """write_changes, in a webhook: the UPDATE goes in the statement of its event rows (one round trip fewer on
    PostgreSQL, see event_rows); the row holds its values as written. Elsewhere, or when another update is
    already deferred, or for what write_changes leaves to the flush: as write_changes."""
    state = inspect(row)
    changed = state.committed_state
    table = cast(Table, type(row).__table__)
    names = tuple(sorted(changed))
    foldable = state.persistent and all(name in table.c for name in names)
    if not changed or not foldable or TIMELINE_KEY not in session.info or _DEFERRED in session.info:
        write_changes(session, row)
        return
    values = state.dict
    session.info[_DEFERRED] = RowUpdate(table, row.id, {name: values[name] for name in names})
    state._commit_all(values, session.identity_map)


def take_deferred(session: Session) -> RowUpdate | None:
    """The deferred row update, if any, no longer deferred (the caller writes it, or drops it)."""
    deferred: RowUpdate | None = session.info.pop(_DEFERRED, None)
    return deferred
