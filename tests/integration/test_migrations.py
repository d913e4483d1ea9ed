"""The Alembic migrations build exactly the schema the models describe, and walk down and up again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ophin.db.migrate import alembic_config
from ophin.db.models import Base


def test_migrations_match_the_models(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_migrations_downgrade_to_base_and_upgrade_again(db_url: str) -> None:
    from alembic import command

    from ophin.db.migrate import upgrade

    engine = sa.create_engine(db_url)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert {"video", "video_alias", "stage_state", "stage_run"} <= set(sa.inspect(engine).get_table_names())
