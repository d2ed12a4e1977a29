"""clock: drop APScheduler's job table

The clock process used APScheduler's SQLAlchemy job store, which created `clock_jobs` by itself (outside
Alembic) and kept a pickle of each job there. The jobs are fixed in code and added again at every start, so
that store served nothing; the clock now keeps them in memory (the advisory lock still lets one clock work
at a time) and the table, unread, is dropped.

Revision ID: 0014
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF EXISTS: a database whose clock never ran has no such table.
    op.execute("DROP TABLE IF EXISTS clock_jobs")


def downgrade() -> None:
    # Nothing to restore: the old clock's job store created its table itself at start, and the jobs it held
    # were re-added from code each time.
    pass
