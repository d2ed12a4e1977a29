"""waiting line and crisis mode: the wait of each request, the territory's crisis settings

Adds to `requests`: `wait_started_at` / `wait_ended_at` (when the caller joined and left the waiting line)
and `wait_end` (how they left it: "answered", "hung_up", "chose_message", "wait_limit"). Adds to
`territories`: `queue_wait_limit_seconds` (default 300: past it a waiting caller goes to the message step),
`crisis_enabled` (default false), `crisis_offers` (default 3: volunteers offered one waiting caller at once
in crisis mode) and `crisis_announcement` (said at the start of every call while crisis mode is on).

Revision ID: 0015
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orientation.core.db import UTCDateTime

revision = "0015"
down_revision = "0001"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode (see 0011): a batch copy of `requests` would trip on the generated
# columns of revision 0009.
def upgrade() -> None:
    op.add_column("requests", sa.Column("wait_started_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("requests", sa.Column("wait_ended_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("requests", sa.Column("wait_end", sa.String(length=16), nullable=True))
    op.add_column(
        "territories",
        sa.Column("queue_wait_limit_seconds", sa.Integer(), nullable=False, server_default="300"),
    )
    op.add_column("territories", sa.Column("crisis_enabled", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("territories", sa.Column("crisis_offers", sa.Integer(), nullable=False, server_default="3"))
    op.add_column("territories", sa.Column("crisis_announcement", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("territories", "crisis_announcement")
    op.drop_column("territories", "crisis_offers")
    op.drop_column("territories", "crisis_enabled")
    op.drop_column("territories", "queue_wait_limit_seconds")
    op.drop_column("requests", "wait_end")
    op.drop_column("requests", "wait_ended_at")
    op.drop_column("requests", "wait_started_at")
