"""Plan and execution time of the call path's statements that read a growing table, on a grown PostgreSQL database.

The statements are the ones the code sends, not copies: compiled from `volunteers.services` and
`orientation.services.attempts` (the free-volunteer read of each routing decision, the claim's INSERT unless
ringing), or recorded as `orientation.services.waitline.recent_waits` sends it (the estimate spoken at each turn
of the waiting line). Each is EXPLAIN ANALYZEd `runs` times in a rolled-back transaction; the median execution
time and the last plan are printed. Grow the database first with `bench/grow_history.py`.

    PYTHONPATH=. python -m bench.plan_call_path postgresql+psycopg://…/db [runs]
"""

from __future__ import annotations

import statistics
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.orm import Session

from orientation.core.db import make_engine


class Sent:
    """A statement as the code sent it (SQL text and the driver's parameters), to EXPLAIN it as it is."""

    def __init__(self, sql: str, params: Any) -> None:
        self.sql, self.params = sql, params


def sent_by(connection: Connection, call: Any, which: int = -1) -> Sent:
    """The last statement `call(session)` sends on this connection (the session is bound to it, then closed), or
    another one counted from the end (`which`: -2 for the one before the last)."""
    seen: list[Sent] = []

    def note(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        seen.append(Sent(statement, params))

    event.listen(connection, "before_cursor_execute", note)
    try:
        with Session(bind=connection) as session:
            call(session)
    finally:
        event.remove(connection, "before_cursor_execute", note)
    return seen[which]


def explain(connection: Connection, statement: Any, params: dict[str, Any], analyze: bool = True) -> list[str]:
    """The PostgreSQL plan of a SQLAlchemy statement (or a Sent one) with these parameters (its effects rolled back)."""
    if isinstance(statement, Sent):
        sql, bound = statement.sql, statement.params
    else:
        compiled = statement.compile(dialect=connection.dialect)
        sql, bound = compiled.string, compiled.construct_params(params)
    options = "ANALYZE, BUFFERS, COSTS OFF" if analyze else "COSTS OFF"
    savepoint = connection.begin_nested()
    try:
        rows = connection.exec_driver_sql(f"EXPLAIN ({options}) {sql}", bound)
        return [row[0] for row in rows]
    finally:
        savepoint.rollback()


def execution_ms(plan: list[str]) -> float:
    """The "Execution Time" of an EXPLAIN ANALYZE plan, in milliseconds."""
    line = next(line for line in plan if line.startswith("Execution Time"))
    return float(line.split(":")[1].split()[0])


def ringing_statements(connection: Connection, now: datetime) -> dict[str, tuple[Any, dict[str, Any]]]:
    """The statements to plan, with parameters for the territory's first volunteer."""
    from orientation.services import attempts, waitline
    from volunteers import services
    from volunteers.services import RINGING_WINDOW

    territory_id, volunteer_id = connection.execute(
        text("SELECT territory_id, id FROM volunteers ORDER BY id LIMIT 1")
    ).one()
    request_id = connection.execute(text("SELECT max(id) FROM requests")).scalar_one()
    since = now - RINGING_WINDOW
    return {
        "free volunteers (each routing decision)": (
            # The statement ring_candidates sends on this backend (one array row on PostgreSQL).
            services._FREE_IDS_AND_STAMP
            if connection.dialect.name == "postgresql"
            else services._FREE_VOLUNTEERS_AND_STAMP,
            {"territory_id": territory_id, "now": now, "ringing_since": since},
        ),
        "claim: INSERT attempt unless ringing": (
            attempts._INSERT_UNLESS_RINGING,
            {
                "request_id": request_id,
                "volunteer_id": volunteer_id,
                "seq": 99,
                "kind": "live",
                "result": None,
                "leg_call_sid": None,
                "offered_at": now,
                "answered_at": None,
                "ended_at": None,
                "ringing_since": since,
            },
        ),
        "waiting line: recent answered waits (each turn)": (
            sent_by(connection, lambda session: waitline.recent_waits(session, territory_id, now)),
            {},
        ),
        # The live board's last two statements (orientation.services.board.volunteers_now, every 10 s).
        "live board: volunteers offered a call (every 10 s)": (
            sent_by(connection, board_of(territory_id, now), -2),
            {},
        ),
        "live board: volunteers in a conversation (every 10 s)": (sent_by(connection, board_of(territory_id, now)), {}),
    }


def board_of(territory_id: int, now: datetime) -> Any:
    """What the live board asks of the volunteers on duty now (a call for sent_by)."""
    from orientation.core.models import Territory
    from orientation.services import board

    return lambda session: board.volunteers_now(session, session.get(Territory, territory_id), now)


def main(argv: list[str]) -> None:
    """Print, per statement, the median execution time over the runs and the plan."""
    url, runs = argv[0], int(argv[1]) if len(argv) > 1 else 7
    engine = make_engine(url)
    now = datetime.now(UTC) + timedelta(minutes=10)
    with engine.connect() as connection:
        for name, (statement, params) in ringing_statements(connection, now).items():
            plans = [explain(connection, statement, params) for _ in range(runs)]
            print(f"== {name}: median {statistics.median(execution_ms(p) for p in plans):.3f} ms over {runs} runs")
            for line in plans[-1]:
                print("   ", line)
        connection.rollback()
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
