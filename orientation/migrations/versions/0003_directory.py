"""directory: import digests, source references, search stamps

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-24 16:00:00

Adds to `directory_entries` the digest of the imported fields (`import_hash`, so a re-import finds what
changed by comparing one column) and the verbatim source fields (`source_ref`); adds `directory_versions`,
one random stamp per territory renewed by every directory write, which tells the in-memory search index
of each process whether it is still current.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_hash", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("source_ref", sa.JSON(), nullable=True))

    op.create_table(
        "directory_versions",
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_directory_versions_territory_id_territories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("territory_id", name=op.f("pk_directory_versions")),
    )


def downgrade() -> None:
    op.drop_table("directory_versions")
    with op.batch_alter_table("directory_entries", schema=None) as batch_op:
        batch_op.drop_column("source_ref")
        batch_op.drop_column("import_hash")
