"""Schema migrations with Alembic, the only source of the schema."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig

# Found through the installed package (Alembic's "package:path" form), so a wheel migrates as a checkout does.
MIGRATIONS = "orientation:migrations"


def alembic_config(database_url: str) -> AlembicConfig:
    """An Alembic configuration for the project's migrations and the given database."""
    config = AlembicConfig()
    config.set_main_option("script_location", MIGRATIONS)
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the database schema up to `revision`."""
    command.upgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    """Autogenerate a new migration from the models (developers)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
