"""With no database configured, the engine starts a real PostgreSQL from the pgserver wheel."""

from __future__ import annotations

import sqlalchemy as sa

from ophin.db.migrate import upgrade
from ophin.db.session import get_engine, stop_embedded_postgres
from ophin.settings import Settings


def test_embedded_postgres_starts_and_migrates_under_ophin_home(tmp_path) -> None:  # noqa: ANN001
    settings = Settings(home=tmp_path / "h")  # db.url empty -> embedded
    engine = get_engine(settings)
    upgrade(engine)
    upgrade(engine)  # idempotent
    with engine.connect() as conn:
        version = conn.execute(sa.text("show server_version")).scalar()
        tables = set(sa.inspect(conn).get_table_names())
    assert (tmp_path / "h" / "pgdata" / "PG_VERSION").is_file()
    assert int(version.split(".")[0]) >= 15
    assert {"video", "frame", "instruction", "stage_run", "quality_run", "release"} <= tables
    engine.dispose()
    stop_embedded_postgres(tmp_path / "h")
