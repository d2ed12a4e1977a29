"""console sessions kept in the database; API token names unique

Adds `console_sessions` (one row per logged-in browser, keyed by the digest of the random id its cookie
carries) so that logout, a password change and a disabled account end sessions in every web process.

Makes `api_tokens.name` unique. Existing duplicates are renamed rather than refused: a token is presented
by its secret, never by its name, so renaming keeps every client working, whereas refusing would leave an
operator with a database that cannot be upgraded. The oldest token keeps the name; each later one becomes
`NAME-2`, `NAME-3`… (the first suffix not taken), and every renaming is logged as a warning.

Revision ID: 0013
Revises: 0005
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

import orientation.core.db

revision = "0013"
down_revision = "0005"  # console_sessions refers to users (0005); api_tokens comes from 0001
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
NAME_LENGTH = 120


def _unique_names(rows: list[tuple[int, str]]) -> dict[int, str]:
    """New names for the tokens whose name an older token already has: {id: new name}."""
    taken = {name for _, name in rows}
    seen: set[str] = set()
    renamed: dict[int, str] = {}
    for token_id, name in sorted(rows):
        if name not in seen:
            seen.add(name)
            continue
        suffix = 2
        while True:
            tail = f"-{suffix}"
            candidate = name[: NAME_LENGTH - len(tail)] + tail
            if candidate not in taken:
                break
            suffix += 1
        taken.add(candidate)
        renamed[token_id] = candidate
    return renamed


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", orientation.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", orientation.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_console_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_console_sessions")),
    )
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_sessions_user_id"), ["user_id"], unique=False)

    bind = op.get_bind()
    rows = [(int(r[0]), str(r[1])) for r in bind.execute(sa.text("SELECT id, name FROM api_tokens")).all()]
    for token_id, new_name in _unique_names(rows).items():
        old_name = next(name for i, name in rows if i == token_id)
        log.warning("api token %d renamed from %r to %r: token names are now unique", token_id, old_name, new_name)
        bind.execute(sa.text("UPDATE api_tokens SET name = :name WHERE id = :id"), {"name": new_name, "id": token_id})
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_api_tokens_name"), ["name"])


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_api_tokens_name"), type_="unique")
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_sessions_user_id"))
    op.drop_table("console_sessions")
