"""territories: reference prefixes unique whatever their case

Two territories sharing a prefix number their requests alike, and `requests.reference` is unique: the second
territory's calls could not be recorded. Each duplicate (case-insensitive) after the first territory that
holds a prefix is renamed to the first free numbered variant ("B" → "B2", "B3"…; free of every territory's
prefix and of other territories' references), and each rename is printed and logged. Every territory then
has its yearly counters moved past the numbers other territories' references already took under its prefix
(shared before, or given up by one and taken by another), so its next reference is new too. Then a unique index on upper(reference_prefix) holds it.

Revision ID: 0010
Revises: 0001
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEX = "uq_territories_reference_prefix_upper"
LENGTH = 6  # territories.reference_prefix is a String(6)
log = logging.getLogger("alembic.runtime.migration")


def _candidates(base: str) -> Iterator[str]:
    """The numbered variants of a prefix that fit in six characters (as services.territories does)."""
    for n in range(2, 100_000):
        suffix = str(n)
        yield base[: LENGTH - len(suffix)] + suffix


def _numbered_by_others(bind: sa.Connection, prefix: str, territory_id: int) -> bool:
    found = bind.execute(
        sa.text("SELECT 1 FROM requests WHERE upper(reference) LIKE :pattern AND territory_id <> :id LIMIT 1"),
        {"pattern": f"{prefix}-%", "id": territory_id},
    ).first()
    return found is not None


def _free_prefix(bind: sa.Connection, base: str, territory_id: int, held: set[str]) -> str:
    for candidate in _candidates(base):
        if candidate not in held and not _numbered_by_others(bind, candidate, territory_id):
            return candidate
    raise RuntimeError(f"no free reference prefix left for {base}")


def _move_counters_past_others(bind: sa.Connection, prefix: str, territory_id: int) -> None:
    """Set the keeper's counter of each year at least at the highest number others took under its prefix."""
    start = len(prefix) + 2  # "B-2026-000123": the year starts after the prefix and its dash
    rows = bind.execute(
        sa.text(
            "SELECT substr(upper(reference), :start, 4) AS year, max(upper(reference)) AS last FROM requests "
            "WHERE upper(reference) LIKE :pattern AND territory_id <> :id GROUP BY substr(upper(reference), :start, 4)"
        ),
        {"start": start, "pattern": f"{prefix}-%", "id": territory_id},
    ).all()
    for year_text, last in rows:
        tail = last.rsplit("-", 1)[-1]
        if not (year_text.isdigit() and tail.isdigit()):
            continue
        year, number = int(year_text), int(tail)
        current = bind.execute(
            sa.text("SELECT value FROM reference_counters WHERE territory_id = :id AND year = :year"),
            {"id": territory_id, "year": year},
        ).scalar()
        if current is None:
            bind.execute(
                sa.text("INSERT INTO reference_counters (territory_id, year, value) VALUES (:id, :year, :value)"),
                {"id": territory_id, "year": year, "value": number},
            )
        elif current < number:
            bind.execute(
                sa.text("UPDATE reference_counters SET value = :value WHERE territory_id = :id AND year = :year"),
                {"id": territory_id, "year": year, "value": number},
            )


def upgrade() -> None:
    bind = op.get_bind()
    territories = bind.execute(sa.text("SELECT id, name, reference_prefix FROM territories ORDER BY id")).all()
    held = {prefix.upper() for _, _, prefix in territories}
    kept: dict[str, int] = {}
    for territory_id, name, prefix in territories:
        upper = prefix.upper()
        if upper not in kept:
            kept[upper] = territory_id
            continue
        new = _free_prefix(bind, upper, territory_id, held)
        held.add(new)
        bind.execute(
            sa.text("UPDATE territories SET reference_prefix = :new WHERE id = :id"), {"new": new, "id": territory_id}
        )
        message = (
            f"territory {territory_id} ({name}): reference prefix {prefix} is also territory {kept[upper]}'s, "
            f"renamed to {new}"
        )
        print(message)
        log.warning(message)
    # Shared before, or given up by one territory and taken by another: either way others' references may
    # already hold the keeper's next numbers.
    for upper, territory_id in kept.items():
        _move_counters_past_others(bind, upper, territory_id)
    op.create_index(INDEX, "territories", [sa.text("upper(reference_prefix)")], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="territories")
