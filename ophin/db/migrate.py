"""`ophin db upgrade`: apply the Alembic migrations in migrations/ to the configured database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

REPO_ROOT = Path(__file__).resolve().parents[2]
# Any fixed 64-bit key: every ophin process migrating this database queues on it.
_MIGRATION_LOCK = 0x0F1D_2026_0001


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        # Two workers starting on a fresh database would otherwise both create the same types and tables;
        # the second waits here, then finds the schema at head and does nothing.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


class SchemaNotReady(RuntimeError):
    """The lineage database has no ophin schema, or an older one than this code needs."""


def require_head(engine: Engine) -> str:
    """The database's revision when it is this code's head; SchemaNotReady (with what to run) otherwise."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        found = f"at revision {current}" if current else "without the ophin schema"
        raise SchemaNotReady(
            f"the lineage database is {found}, this code needs {head}: run `ophin airflow init` once "
            "(or `ophin db upgrade`)"
        )
    return head
