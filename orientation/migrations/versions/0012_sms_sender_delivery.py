"""messaging: a territory's SMS sender, and the outbox's delivery state (error code, attempts, next try)

Adds `territories.sms_sender` (None: the line's number; an E.164 number, an alphanumeric sender ID or a
Messaging Service SID) and `territories.sms_replies` (None: the sender's default). The outbox gets Twilio's
`error_code`, the `attempts` made, `next_attempt_at` (the transient-failure backoff) and the call's
`status_callback`, with indexes for the dispatcher's due rows and a request's messages; `from_number` widens to
34 characters to hold a Messaging Service SID.

Revision ID: 0012
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import orientation.core.db

revision = "0012"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("territories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sms_sender", sa.String(length=34), nullable=True))
        batch_op.add_column(sa.Column("sms_replies", sa.Boolean(), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column(
            "from_number", existing_type=sa.String(length=20), type_=sa.String(length=34), existing_nullable=True
        )
        batch_op.add_column(sa.Column("error_code", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", orientation.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("status_callback", sa.String(length=500), nullable=True))
        batch_op.create_index("ix_outbox_status_next_attempt", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    # A Messaging Service SID does not fit the old width: keep the sender's first 20 characters.
    op.execute("UPDATE outbox SET from_number = substr(from_number, 1, 20) WHERE length(from_number) > 20")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_request_id"))
        batch_op.drop_index("ix_outbox_status_next_attempt")
        batch_op.drop_column("status_callback")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("error_code")
        batch_op.alter_column(
            "from_number", existing_type=sa.String(length=34), type_=sa.String(length=20), existing_nullable=True
        )
    with op.batch_alter_table("territories", schema=None) as batch_op:
        batch_op.drop_column("sms_replies")
        batch_op.drop_column("sms_sender")
