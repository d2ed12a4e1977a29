"""stats: stored day and month tallies, versions of days, and indexed delays

Adds `stats_rollups` (a territory's stats tally per UTC day and month, with the version it was counted at)
and `stats_day_versions` (how many times each day's requests changed), the generated columns
`requests.answer_micros` and `requests.callback_micros`
(the two delays of orientation.core.stats, in whole microseconds) with covering indexes for the order
statistics, and triggers on `requests` that bump a day's version whenever one of its requests older than six
hours is added, changed in a field the stats read, or deleted. Requests younger than that are never
stored as tallies (orientation.services.stats_rollups keeps a larger margin), so live calls never touch
stats_day_versions and never wait on one another there.

Revision ID: 0009
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import orientation.core.db

revision = "0009"
down_revision = "0001"
branch_labels = None
depends_on = None

MICROS = 1_000_000
CONNECTED = "connected_at IS NOT NULL AND (callback_requested_at IS NULL OR connected_at < callback_requested_at)"
CALLED_BACK = "callback_done_at IS NOT NULL AND callback_requested_at IS NOT NULL"
STATS_COLUMNS = "territory_id, motive, status, outcome, created_at, connected_at, callback_requested_at, callback_done_at"
MARGIN_HOURS = 6


def _micro(dialect: str, later: str, earlier: str) -> str:
    """`later - earlier` in whole microseconds, exact on both backends (SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff')."""
    if dialect == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) * {MICROS} AS BIGINT)"
    whole = "CAST(strftime('%s', substr({0}, 1, 19)) AS INTEGER)"
    fraction = "CAST(substr({0}, 21, 6) AS INTEGER)"
    return (
        f"(({whole.format(later)} - {whole.format(earlier)}) * {MICROS}"
        f" + {fraction.format(later)} - {fraction.format(earlier)})"
    )


def _sqlite_old(row: str) -> str:
    return f"{row}.created_at < datetime('now', '-{MARGIN_HOURS} hours')"


# An update bumps the new row's day only when that is not the old row's day, bumped already.
SQLITE_SAME_DAY = (
    f"{_sqlite_old('OLD')} AND NEW.territory_id = OLD.territory_id AND date(NEW.created_at) = date(OLD.created_at)"
)


def _sqlite_mark(row: str, unless: str = "0") -> str:
    return (
        "INSERT INTO stats_day_versions (territory_id, day, version) "
        f"SELECT {row}.territory_id, date({row}.created_at), 1 WHERE {_sqlite_old(row)} AND NOT ({unless}) "
        "ON CONFLICT (territory_id, day) DO UPDATE SET version = stats_day_versions.version + 1;"
    )


def _postgres_old(row: str) -> str:
    return f"{row}.created_at < clock_timestamp() - interval '{MARGIN_HOURS} hours'"


POSTGRES_FUNCTION = f"""
CREATE FUNCTION stats_bump_day_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND {_postgres_old('OLD')} THEN
    INSERT INTO stats_day_versions (territory_id, day, version)
    VALUES (OLD.territory_id, CAST(OLD.created_at AT TIME ZONE 'UTC' AS DATE), 1)
    ON CONFLICT (territory_id, day) DO UPDATE SET version = stats_day_versions.version + 1;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND {_postgres_old('NEW')} AND NOT (TG_OP = 'UPDATE' AND {_postgres_old('OLD')}
      AND NEW.territory_id = OLD.territory_id
      AND CAST(NEW.created_at AT TIME ZONE 'UTC' AS DATE) = CAST(OLD.created_at AT TIME ZONE 'UTC' AS DATE)) THEN
    INSERT INTO stats_day_versions (territory_id, day, version)
    VALUES (NEW.territory_id, CAST(NEW.created_at AT TIME ZONE 'UTC' AS DATE), 1)
    ON CONFLICT (territory_id, day) DO UPDATE SET version = stats_day_versions.version + 1;
  END IF;
  RETURN NULL;
END
$$
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "stats_rollups",
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=5), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("tally", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("computed_at", orientation.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("territory_id", "kind", "start", name=op.f("pk_stats_rollups")),
    )
    op.create_table(
        "stats_day_versions",
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("territory_id", "day", name=op.f("pk_stats_day_versions")),
    )
    answer = f"CASE WHEN {CONNECTED} THEN {_micro(dialect, 'connected_at', 'created_at')} END"
    callback = f"CASE WHEN {CALLED_BACK} THEN {_micro(dialect, 'callback_done_at', 'callback_requested_at')} END"
    if dialect == "postgresql":
        op.execute(f"ALTER TABLE requests ADD COLUMN answer_micros BIGINT GENERATED ALWAYS AS ({answer}) STORED")
        op.execute(f"ALTER TABLE requests ADD COLUMN callback_micros BIGINT GENERATED ALWAYS AS ({callback}) STORED")
    else:
        # SQLite can add only VIRTUAL generated columns; their indexes store the values all the same.
        op.execute(f"ALTER TABLE requests ADD COLUMN answer_micros INTEGER GENERATED ALWAYS AS ({answer}) VIRTUAL")
        op.execute(f"ALTER TABLE requests ADD COLUMN callback_micros INTEGER GENERATED ALWAYS AS ({callback}) VIRTUAL")
    # Covering: the second pass of stats_sql reads a few slots of delays of a period without the table.
    # Partial: a live call's inserts and updates come before it is answered (and it is rarely called back),
    # so they add no entry to these indexes.
    for column in ("answer_micros", "callback_micros"):
        op.execute(
            f"CREATE INDEX ix_requests_{column} ON requests (territory_id, {column}, created_at, motive) "
            f"WHERE {column} IS NOT NULL"
        )
    if dialect == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(
            "CREATE TRIGGER requests_stats_version_insert AFTER INSERT ON requests FOR EACH ROW "
            f"WHEN ({_postgres_old('NEW')}) EXECUTE FUNCTION stats_bump_day_version()"
        )
        op.execute(
            f"CREATE TRIGGER requests_stats_version_update AFTER UPDATE OF {STATS_COLUMNS} ON requests FOR EACH ROW "
            f"WHEN ({_postgres_old('OLD')} OR {_postgres_old('NEW')}) EXECUTE FUNCTION stats_bump_day_version()"
        )
        op.execute(
            "CREATE TRIGGER requests_stats_version_delete AFTER DELETE ON requests FOR EACH ROW "
            f"WHEN ({_postgres_old('OLD')}) EXECUTE FUNCTION stats_bump_day_version()"
        )
    else:
        op.execute(
            "CREATE TRIGGER requests_stats_version_insert AFTER INSERT ON requests "
            f"WHEN {_sqlite_old('NEW')} BEGIN {_sqlite_mark('NEW')} END"
        )
        op.execute(
            f"CREATE TRIGGER requests_stats_version_update AFTER UPDATE OF {STATS_COLUMNS} ON requests "
            f"WHEN {_sqlite_old('OLD')} OR {_sqlite_old('NEW')} BEGIN {_sqlite_mark('OLD')} {_sqlite_mark('NEW', SQLITE_SAME_DAY)} END"
        )
        op.execute(
            "CREATE TRIGGER requests_stats_version_delete AFTER DELETE ON requests "
            f"WHEN {_sqlite_old('OLD')} BEGIN {_sqlite_mark('OLD')} END"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in ("insert", "update", "delete"):
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER requests_stats_version_{name} ON requests")
        else:
            op.execute(f"DROP TRIGGER requests_stats_version_{name}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION stats_bump_day_version()")
    op.execute("DROP INDEX ix_requests_callback_micros")
    op.execute("DROP INDEX ix_requests_answer_micros")
    op.execute("ALTER TABLE requests DROP COLUMN callback_micros")
    op.execute("ALTER TABLE requests DROP COLUMN answer_micros")
    op.drop_table("stats_day_versions")
    op.drop_table("stats_rollups")
