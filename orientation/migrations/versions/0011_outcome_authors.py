"""requests: who set the outcome and who wrote the note

Adds `requests.outcome_by` and `requests.outcome_note_by` (an actor: "volunteer:12", "user:3", "token:x",
"line"): a volunteer's outcome link may change only what that volunteer set, never the coordinator's or the
API's. Existing rows take the actor of their latest "outcome" / "outcome.note" timeline event; a note with no
such event stays without an author, which the link treats as not the volunteer's.

Revision ID: 0011
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0001"
branch_labels = None
depends_on = None

_LATEST_ACTOR = (
    "(SELECT e.actor FROM events e WHERE e.request_id = requests.id AND e.kind = '{kind}' "
    "ORDER BY e.id DESC LIMIT 1)"
)


# Plain ALTER TABLE, not batch mode: both SQLite (3.35+) and PostgreSQL add and drop a nullable column in
# place, and a batch copy of `requests` would trip on the generated columns of revision 0009.
def upgrade() -> None:
    op.add_column("requests", sa.Column("outcome_by", sa.String(length=120), nullable=True))
    op.add_column("requests", sa.Column("outcome_note_by", sa.String(length=120), nullable=True))
    op.execute(f"UPDATE requests SET outcome_by = {_LATEST_ACTOR.format(kind='outcome')} WHERE outcome IS NOT NULL")
    op.execute(
        f"UPDATE requests SET outcome_note_by = {_LATEST_ACTOR.format(kind='outcome.note')} "
        "WHERE outcome_note IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_column("requests", "outcome_note_by")
    op.drop_column("requests", "outcome_by")
