"""call path: a partial index on the attempts still without a result (the phones ringing now)

Every routing decision asks, for each free volunteer, whether their phone is ringing: an attempt without result
offered in the last minutes (`volunteers.services.ringing`, used by the free-volunteer read and by the claim of
`orientation.services.attempts`, and by the waiting line and the live board). With only the index on
`volunteer_id`, PostgreSQL reads every attempt of every volunteer, the whole table, at each decision: 45 ms on
two years of a busy line (67,000 attempts), growing with the history. Almost every attempt gets its result
within seconds, so this partial index holds a handful of rows however old the line is. SQLite and PostgreSQL
both have partial indexes.

Revision ID: 0018
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0001"  # attempts.result and offered_at are in the initial schema
branch_labels = None
depends_on = None

_UNANSWERED = sa.text("result IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_attempts_volunteer_unanswered",
        "attempts",
        ["volunteer_id", "offered_at"],
        postgresql_where=_UNANSWERED,
        sqlite_where=_UNANSWERED,
    )


def downgrade() -> None:
    op.drop_index("ix_attempts_volunteer_unanswered", table_name="attempts")
