"""live board: a partial index on the callers in the waiting line now

The live board (issue 19) asks every 10 seconds, per coordinator, which callers of a territory are waiting:
requests with `wait_started_at` set and `wait_ended_at` NULL. Without an index that reads every request of
the territory (a year of a busy line: 100,000 rows). This partial index holds only the callers waiting now,
a handful even in a surge, ordered by when they joined the line. SQLite and PostgreSQL both have partial
indexes.

Revision ID: 0017
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0015"  # the wait columns it indexes
branch_labels = None
depends_on = None

_WAITING = sa.text("wait_started_at IS NOT NULL AND wait_ended_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_requests_board_waiting",
        "requests",
        ["territory_id", "wait_started_at"],
        postgresql_where=_WAITING,
        sqlite_where=_WAITING,
    )


def downgrade() -> None:
    op.drop_index("ix_requests_board_waiting", table_name="requests")
