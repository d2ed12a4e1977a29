"""attempts: an index on the conversations going on, for the live board read every 10 seconds

The coordinator's live board (`orientation.services.board.volunteers_now`, reloaded every 10 s while open) asks
which volunteers are offered a call or in a conversation. Written as one OR of the two, PostgreSQL could use no
index and read every attempt ever made (30 ms on two years of a busy line, `docs/call-path-plans.md`). Read as two
statements, the offers are served by 0018's index on the attempts without a result, and the conversations by this
one: the accepted attempts not ended yet, a handful however old the line is. The statement spells 'accepted' as a
literal so that the predicate matches in a generic plan of a prepared statement too.

Revision ID: 0019
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0001"  # attempts' columns are in the initial schema
branch_labels = None
depends_on = None

_IN_CONVERSATION = sa.text("result = 'accepted' AND ended_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_attempts_volunteer_in_conversation",
        "attempts",
        ["volunteer_id"],
        postgresql_where=_IN_CONVERSATION,
        sqlite_where=_IN_CONVERSATION,
    )


def downgrade() -> None:
    op.drop_index("ix_attempts_volunteer_in_conversation", table_name="attempts")
