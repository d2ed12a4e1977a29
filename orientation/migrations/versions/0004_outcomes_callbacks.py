"""outcomes and call-backs: per request, the patient dials already failed and when the next round may start

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import orientation.core.db


revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('callback_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_callback_at', orientation.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_column('next_callback_at')
        batch_op.drop_column('callback_attempts')
