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


# Rows as revision 0013 stored them: the cue stage's and verification's decisions on the pair and
# instruction rows themselves.
_BEFORE_0014 = """
INSERT INTO video (id, url) VALUES ('00000000-0000-0000-0000-0000000000a1', 'v');
INSERT INTO clip (id, video_id, index, start_s, end_s, params_hash)
  VALUES ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1', 0, 0, 1, 'p');
INSERT INTO frame (id, video_id, clip_id, t_s, object_key, width, height, phash, kept, params_hash)
  VALUES ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000a1',
          '00000000-0000-0000-0000-0000000000c1', 0, 'k', 1, 1, '0', true, 'p');
INSERT INTO pair (id, video_id, frame_id, start_s, end_s, text, segment_ids, cue_score, n_cues, status,
                  drop_reason)
  SELECT ('00000000-0000-0000-0000-00000000010' || n)::uuid, '00000000-0000-0000-0000-0000000000a1',
         '00000000-0000-0000-0000-0000000000f1', 0, 1, 't', '{}', score, cues, status, reason
  FROM (VALUES (1, 0.9, 2, 'kept', NULL), (2, 0.2, 0, 'dropped', '0 visual-cue sentence(s) < 1'),
               (3, NULL, NULL, 'dropped', 'no speech'), (4, NULL, NULL, 'failed', 'cue scoring failed: x'),
               (5, NULL, NULL, 'pending', NULL)) AS t(n, score, cues, status, reason);
INSERT INTO instruction (id, pair_id, frame_id, kind, generator, fingerprint, near_key, status,
                         reject_reasons, params_hash)
  SELECT ('00000000-0000-0000-0000-00000000020' || n)::uuid, '00000000-0000-0000-0000-000000000101',
         '00000000-0000-0000-0000-0000000000f1', 'vqa', 'g', 'f' || n, 'n' || n, status, reasons::jsonb,
         'p'
  FROM (VALUES (1, 'accepted', NULL), (2, 'rejected', '["grounded: 1/4"]'), (3, 'failed', NULL),
               (4, 'generated', NULL)) AS t(n, status, reasons);
"""


def test_migration_0014_moves_each_decision_to_its_stage_table_and_back(db_url: str) -> None:
    from alembic import command

    engine = sa.create_engine(db_url)
    config = alembic_config()

    def rows(sql: str) -> list[tuple]:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]

    def walk(to: str) -> None:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            (command.downgrade if to == "0013" else command.upgrade)(config, to)

    walk("0013")
    with engine.begin() as conn:
        conn.exec_driver_sql(_BEFORE_0014)
    walk("0014")
    assert rows("SELECT right(pair_id::text, 1), status, reason, n_cues FROM pair_verdict ORDER BY 1") == [
        ("1", "kept", None, 2),
        ("2", "dropped", "0 visual-cue sentence(s) < 1", 0),
        ("4", "failed", "cue scoring failed: x", None),
    ]
    assert rows("SELECT right(id::text, 1), status, drop_reason FROM pair ORDER BY 1") == [
        ("1", "paired", None), ("2", "paired", None), ("3", "dropped", "no speech"), ("4", "paired", None),
        ("5", "paired", None),
    ]  # fmt: skip
    assert rows(
        "SELECT right(instruction_id::text, 1), status, reject_reasons, fingerprint FROM instruction_verdict "
        "ORDER BY 1"
    ) == [("1", "accepted", None, "f1"), ("2", "rejected", ["grounded: 1/4"], "f2")]
    assert rows("SELECT right(id::text, 1), status FROM instruction ORDER BY 1") == [
        ("1", "generated"), ("2", "generated"), ("3", "failed"), ("4", "generated"),
    ]  # fmt: skip
    walk("0013")  # and back: the decisions return to their rows
    assert rows("SELECT right(id::text, 1), status, n_cues FROM pair ORDER BY 1") == [
        ("1", "kept", 2), ("2", "dropped", 0), ("3", "dropped", None), ("4", "failed", None),
        ("5", "pending", None),
    ]  # fmt: skip
    assert rows("SELECT right(id::text, 1), status, reject_reasons FROM instruction ORDER BY 1") == [
        ("1", "accepted", None), ("2", "rejected", ["grounded: 1/4"]), ("3", "failed", None),
        ("4", "generated", None),
    ]  # fmt: skip
    walk("head")
