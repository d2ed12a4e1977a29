"""rota: a stamp per territory, renewed by every change of its rota

Adds `rota_versions` (territory_id, stamp): routing keeps each territory's built rota in memory and
rebuilds it only when the stamp it reads has changed. Existing territories get a first stamp.

Revision ID: 0008
Revises: 0001
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    versions = op.create_table(
        "rota_versions",
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_rota_versions_territory_id_territories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("territory_id", name=op.f("pk_rota_versions")),
    )
    territories = op.get_bind().execute(sa.text("SELECT id FROM territories")).scalars().all()
    if territories:
        op.bulk_insert(versions, [{"territory_id": t, "stamp": uuid.uuid4().hex} for t in territories])


def downgrade() -> None:
    op.drop_table("rota_versions")
