"""The lineage indexes (migration 0010) on bench rows: the bench loader fills every table as its layout says,
the lineage page's segment -> pairs statement and the `ophin status` counts are served by their indexes,
and without them (or in the `= ANY` form the GIN index cannot serve) they are not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from bench.lineage_rows import CHECK_NAMES, STAGES, Layout
from bench.lineage_scale import StatementTimer, load, row_counts
from ophin.lineage.chain import id_view
from ophin.reports import counts

LAYOUT = Layout.at(0.001)  # 5 videos, 29 clips, 151 frames, 536 instructions


@pytest.fixture(scope="module")
def engine(make_database) -> Iterator[sa.Engine]:  # noqa: ANN001
    engine = sa.create_engine(make_database())
    load(engine, LAYOUT)
    yield engine
    engine.dispose()


def _plan(engine: sa.Engine, statement: str, parameters: object) -> str:
    """The plan with sequential scans priced out: it names an index whenever one can serve the statement."""
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("EXPLAIN " + statement, parameters)
            return "\n".join(r[0] for r in cur.fetchall())
    finally:
        raw.rollback()
        raw.close()


def _statements(engine: sa.Engine, call) -> list[tuple[str, object]]:  # noqa: ANN001
    with StatementTimer(engine) as timer, sessionmaker(engine)() as session:
        call(session)
    return [(statement, parameters) for statement, parameters, _ in timer.statements]


def test_load_fills_every_table_at_the_layout_counts(engine: sa.Engine) -> None:
    rows = row_counts(engine)
    assert (rows["video"], rows["clip"], rows["frame"], rows["pair"]) == (5, 29, 151, 151)
    assert (rows["transcript_segment"], rows["visual_cue"]) == (LAYOUT.segments, LAYOUT.cues)
    assert rows["instruction"] == 536 and rows["verification"] == 536 * len(CHECK_NAMES)
    assert rows["stage_state"] == 5 * len(STAGES) < rows["stage_run"]


def _cited_segment(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(sa.text("SELECT segment_ids[1] FROM pair ORDER BY id LIMIT 1")).scalar_one())


def test_id_view_lists_the_pairs_that_cite_a_segment(engine: sa.Engine) -> None:
    segment = _cited_segment(engine)
    with engine.connect() as conn:
        query = sa.text("SELECT id FROM pair WHERE CAST(:s AS uuid) = ANY(segment_ids)")
        found = conn.execute(query, {"s": segment})
        citing = {str(r[0]) for r in found}
    with sessionmaker(engine)() as session:
        view = id_view(session, segment)
    assert citing and {p["id"] for p in view["forward"]["pairs"]} == citing


def test_segment_pairs_statement_uses_the_gin_index_and_any_cannot(engine: sa.Engine) -> None:
    segment = _cited_segment(engine)
    [(statement, parameters)] = [
        s for s in _statements(engine, lambda session: id_view(session, segment)) if "segment_ids @>" in s[0]
    ]
    assert "ix_pair_segment_ids" in _plan(engine, statement, parameters)
    any_form = "SELECT id FROM pair WHERE %(s)s::uuid = ANY(segment_ids)"
    assert "ix_pair_segment_ids" not in _plan(engine, any_form, {"s": segment})


def test_status_counts_use_their_indexes_and_not_without_them(engine: sa.Engine) -> None:
    plans = "\n".join(_plan(engine, s, p) for s, p in _statements(engine, counts))
    for column in (
        "instruction_status",
        "instruction_verdict_status",
        "visual_cue_is_visual",
        "pair_verdict_status",
        "frame_kept",
    ):
        assert f"ix_{column}" in plans
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_instruction_status"))
    try:
        plans = "\n".join(_plan(engine, s, p) for s, p in _statements(engine, counts))
        assert "ix_instruction_status" not in plans
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE INDEX ix_instruction_status ON instruction (status)"))
