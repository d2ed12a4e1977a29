"""call path: indexes so that the statements of a call stay cheap as the history grows

Issue 17 measured webhooks on a fresh database; a line runs for years, and two statements of the call path
read a table that grows by thousands of rows a month (EXPLAINed on two years of a busy line: 50,000 requests,
67,000 attempts; `bench/grow_history.py`, `bench/plan_call_path.py`):

- "Is this phone ringing": an attempt without result offered in the last minute (`volunteers.services.ringing`,
  in the free-volunteer read of every routing decision and in the claim of `orientation.services.attempts`;
  also the waiting line's and the live board's checks). With only the index on `volunteer_id` PostgreSQL read
  every attempt, the whole table, at each decision (27 ms). Almost every attempt gets its result within
  seconds, so a partial index on the attempts without a result holds a handful of rows however old the line is.
- The wait estimate spoken at each turn of the waiting line reads the waits answered in the last hours
  (`orientation.services.waitline.recent_waits`): a sequential scan of `requests` (29 ms) per waiting caller per
  turn, in a surge. An index on (territory, end of the wait) over the requests that waited serves its range and
  order. Its predicate is `wait_ended_at IS NOT NULL`, which the statement's range implies even in a generic
  plan of a prepared statement (psycopg prepares a statement run often), unlike `wait_end = 'answered'`.

SQLite and PostgreSQL both have partial indexes.

Revision ID: 0018
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0015"  # the wait columns of requests; attempts' columns are in the initial schema
branch_labels = None
depends_on = None

_UNANSWERED = sa.text("result IS NULL")
_WAITED = sa.text("wait_ended_at IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_attempts_volunteer_unanswered",
        "attempts",
        ["volunteer_id", "offered_at"],
        postgresql_where=_UNANSWERED,
        sqlite_where=_UNANSWERED,
    )
    op.create_index(
        "ix_requests_wait_ended",
        "requests",
        ["territory_id", "wait_ended_at"],
        postgresql_where=_WAITED,
        sqlite_where=_WAITED,
    )


def downgrade() -> None:
    op.drop_index("ix_requests_wait_ended", table_name="requests")
    op.drop_index("ix_attempts_volunteer_unanswered", table_name="attempts")
