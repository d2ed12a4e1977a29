"""Writing a few columns of a loaded row at once, by a Core UPDATE built once, without the unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from sqlalchemy import Connection, Table, Update, bindparam, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

# Where a webhook's session keeps the row update deferred to its event rows' statement (defer_changes).
_DEFERRED = "orientation.deferred_update"
# Where a webhook's session collects its timeline entries (requests.collect_timeline): while it does, the
# session's writes end with flush_with_events.
TIMELINE_KEY = "orientation.timeline"


@cache
def update_statement(table: Table, names: tuple[str, ...]) -> Update:
    """UPDATE of these columns of one row by id: one statement per table and set of columns, bound b_id, b_<name>."""
    values = {name: bindparam(f"b_{name}", type_=table.c[name].type) for name in names}
    return update(table).where(table.c.id == bindparam("b_id", type_=table.c.id.type)).values(values)


@dataclass(frozen=True)
class RowUpdate:
    """Columns of one row (by id) to write, as update_statement binds them."""

    table: Table
    row_id: Any
    values: dict[str, Any]

    @property
    def names(self) -> tuple[str, ...]:
        """The columns written, in the order update_statement is cached by."""
        return tuple(sorted(self.values))

    def params(self) -> dict[str, Any]:
        """The values bound to update_statement(table, names)."""
        return {"b_id": self.row_id, **{f"b_{name}": value for name, value in self.values.items()}}

    def statement(self) -> Update:
        """The UPDATE that writes it (update_statement, built once per table and columns), its values in params()."""
        return update_statement(self.table, self.names)

    def run(self, connection: Connection) -> None:
        """Write it now on that connection."""
        connection.execute(self.statement(), self.params())


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
    written = RowUpdate(cast(Table, type(row).__table__), row.id, values)
    # No autoflush: whatever else is pending goes in the commit's one flush, not before this statement.
    with session.no_autoflush:
        session.execute(written.statement(), written.params())
    for name, value in values.items():
        set_committed_value(row, name, value)


def _changes(row: Any) -> RowUpdate | None:
    """The columns changed on a loaded row, as one update; None when there are none, the row is not in the
    database yet, or a changed attribute is not a column of its table (a relationship: the flush's)."""
    state = inspect(row)
    changed = state.committed_state
    if not changed or not state.persistent:
        return None
    table = cast(Table, type(row).__table__)
    if any(name not in table.c for name in changed):
        return None
    return RowUpdate(table, row.id, {name: state.dict[name] for name in changed})


def _as_written(session: Session, row: Any) -> None:
    # Every change is written: the row is as loaded again. Not one set_committed_value per column, which leaves
    # the row marked modified in the session, and the commit would then run the unit of work to find nothing.
    state = inspect(row)
    state._commit_all(state.dict, session.identity_map)


def write_changes(session: Session, row: Any) -> None:
    """Write the columns changed on a loaded row by one Core UPDATE on the session's connection, now.

    For a handler whose only change to flush is one row's columns: the commit's flush then has nothing to do
    (no unit of work). A row with no change, not yet in the database, or with a changed relationship is left
    to the flush.
    """
    changes = _changes(row)
    if changes is None:
        return
    changes.run(session.connection())
    _as_written(session, row)


def defer_changes(session: Session, row: Any) -> None:
    """write_changes, in a webhook: the UPDATE goes in the statement of its event rows (one round trip fewer on
    PostgreSQL, see event_rows); the row holds its values as written. Elsewhere, or when another update is
    already deferred: as write_changes."""
    changes = _changes(row)
    if changes is None:
        return
    defer_update(session, changes)
    _as_written(session, row)


def defer_update(session: Session, changes: RowUpdate) -> None:
    """Write these columns of one row in the statement of the webhook's event rows (see defer_changes); now,
    elsewhere or when another update is already deferred."""
    if TIMELINE_KEY not in session.info or _DEFERRED in session.info:
        changes.run(session.connection())
        return
    session.info[_DEFERRED] = changes


def take_deferred(session: Session) -> RowUpdate | None:
    """The deferred row update, if any, no longer deferred (the caller writes it, or drops it)."""
    deferred: RowUpdate | None = session.info.pop(_DEFERRED, None)
    return deferred
