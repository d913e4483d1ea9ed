"""Lineage and status at the paper's scale (5,000 videos, 29,000 clips, 151,000 frames, 536,000 instructions
and their segments, pairs, cues and ~5.4M verifications) in a fresh database: the database time of
`ophin lineage ID` per id kind (p50/p95 over --calls ids, statements per call), of the lineage page's chain
(ophin.lineage.chain.id_view), `ophin status` end to end, and EXPLAIN (ANALYZE, BUFFERS) plans with every
Seq Scan on a big table flagged. Rows go in by COPY (bench.lineage_rows), then VACUUM ANALYZE.

    python -m bench.lineage_scale [--scale 1.0] [--calls 200] [--status-runs 5] [--keep] [--database NAME]

--keep leaves the database (its name is printed); --database NAME measures such a database again after
migrating it to head (how the indexes of a new migration are measured on the same rows), then drops it
unless --keep.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from bench.lineage_rows import SEGMENTS_PER_CLIP, TABLES, Layout, uid
from ophin.db.migrate import upgrade

ADMIN_URL = os.environ.get(
    "OPHIN_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
PREFIX = "ophin_bench_lineage_"
KINDS = ("instruction", "pair", "frame", "clip", "segment", "video")
BIG_ROWS = 10_000  # a Seq Scan on a table with more rows than this is flagged
_SEQ = re.compile(r"Seq Scan on (\w+)")


class Lines:
    """A file-like object over a generator of COPY text lines, read by copy_expert in chunks."""

    def __init__(self, lines: Any) -> None:
        self._lines, self._buf = iter(lines), ""

    def read(self, size: int = -1) -> str:
        parts, n = [self._buf], len(self._buf)
        for line in self._lines:
            parts.append(line)
            n += len(line)
            if 0 < size <= n:
                break
        text = "".join(parts)
        if size <= 0:
            self._buf = ""
            return text
        self._buf = text[size:]
        return text[:size]


@contextmanager
def bench_database(admin: str, existing: str | None, keep: bool) -> Iterator[str]:
    """A fresh (or the named) bench database, dropped on the way out unless keep."""
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    name = existing or f"{PREFIX}{uuid.uuid4().hex[:10]}"
    if not name.startswith(PREFIX):
        raise SystemExit(f"--database must name a bench database ({PREFIX}...), not {name!r}")
    if not existing:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        sa.orm.close_all_sessions()
        if not keep:
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def load(engine: sa.Engine, L: Layout) -> dict[str, float]:
    """COPY every table's rows (foreign keys checked as they go in), then VACUUM ANALYZE: seconds each."""
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    ids = L.ids()
    seconds["ids"] = time.perf_counter() - t0
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
            for table, columns, rows in TABLES:
                t0 = time.perf_counter()
                sql = f"COPY {table} ({columns}) FROM STDIN"
                cur.copy_expert(sql, Lines(rows(L, ids)), size=1 << 20)
                raw.commit()
                seconds[table] = time.perf_counter() - t0
    finally:
        raw.close()
    t0 = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("SET maintenance_work_mem = '256MB'"))
        conn.execute(sa.text("VACUUM (ANALYZE)"))
    seconds["vacuum_analyze"] = time.perf_counter() - t0
    return {k: round(v, 1) for k, v in seconds.items()}


def row_counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t, _, _ in TABLES}


class StatementTimer:
    """Each statement an engine sends, with its parameters and round-trip seconds (cursor events)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine, self.statements, self._t = engine, [], 0.0

    def _before(self, *_: Any) -> None:
        self._t = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.statements.append((statement, parameters, time.perf_counter() - self._t))

    def __enter__(self) -> StatementTimer:
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_: Any) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def sample_ids(L: Layout, calls: int, seed: int = 0) -> dict[str, list[str]]:
    rng = random.Random(seed)
    sizes = {"instruction": L.instructions, "pair": L.pairs, "frame": L.frames, "clip": L.clips}
    sizes |= {"segment": L.segments, "video": L.videos}
    return {k: [str(uuid.UUID(uid(k, rng.randrange(n)))) for _ in range(calls)] for k, n in sizes.items()}


def explain(engine: sa.Engine, statement: str, parameters: Any) -> list[str]:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            return [r[0] for r in cur.fetchall()]
    finally:
        raw.rollback()
        raw.close()


def server_ms(cur: Any, statements: list[tuple[str, Any, float]]) -> float:
    """The server's own planning + execution ms of these statements, run again under EXPLAIN ANALYZE."""
    total = 0.0
    for statement, parameters, _ in statements:
        cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
        [plan] = cur.fetchone()[0]
        total += plan["Planning Time"] + plan["Execution Time"]
    return total


def seq_scans(plan: list[str], rows: dict[str, int]) -> list[str]:
    return sorted({t for line in plan for t in _SEQ.findall(line) if rows.get(t, 0) > BIG_ROWS})


def measure_calls(
    sessions: sessionmaker[Session],
    call: Callable[[Session, str], dict[str, Any]],
    ids: dict[str, list[str]],
    rows: dict[str, int],
) -> dict[str, Any]:
    """Per id kind: database ms per call p50/p95 as the client sees it (sum of statement round trips) and
    as the server spends it (EXPLAIN ANALYZE planning + execution), wall ms p50, statements per call, and
    the plans of the first call's statements (with the big tables they seq-scan)."""
    engine = sessions.kw["bind"]
    out: dict[str, Any] = {}
    probe = engine.raw_connection()  # EXPLAINs go through their own connection, outside the timer
    for kind, sample in ids.items():
        db_ms, srv_ms, wall_ms, n_statements, first = [], [], [], [], []
        with StatementTimer(engine) as timer, probe.cursor() as cur:
            for oid in sample:
                timer.statements = []
                t0 = time.perf_counter()
                with sessions() as session:
                    got = call(session, oid)
                wall_ms.append(1000 * (time.perf_counter() - t0))
                if got["kind"] != kind:
                    raise AssertionError(f"{oid} came back as a {got['kind']}, not a {kind}")
                statements = list(timer.statements)
                db_ms.append(1000 * sum(s for _, _, s in statements))
                srv_ms.append(server_ms(cur, statements))
                n_statements.append(len(statements))
                first = first or statements
        probe.rollback()
        plans = [(stmt, explain(engine, stmt, params)) for stmt, params, _ in first]
        out[kind] = {
            "calls": len(sample),
            "db_ms_p50": round(pct(db_ms, 0.5), 3),
            "db_ms_p95": round(pct(db_ms, 0.95), 3),
            "server_ms_p50": round(pct(srv_ms, 0.5), 3),
            "server_ms_p95": round(pct(srv_ms, 0.95), 3),
            "wall_ms_p50": round(pct(wall_ms, 0.5), 3),
            "statements": max(n_statements),
            "seq_scans": sorted({t for _, plan in plans for t in seq_scans(plan, rows)}),
            "plans": plans,
        }
    probe.close()
    return out


def measure_status(url: str, runs: int, rows: dict[str, int]) -> dict[str, Any]:
    """`ophin status` (and --json) through the CLI on this database: wall p50, and its slowest statement."""
    from typer.testing import CliRunner

    from ophin.cli.app import app
    from ophin.db.session import get_engine
    from ophin.settings import Settings

    with tempfile.TemporaryDirectory(prefix="ophin-bench-home-") as home:
        env = {"OPHIN_DB__URL": url, "OPHIN_HOME": home}
        engine = get_engine(Settings(db={"url": url}, home=home))  # the one the CLI's url maps to
        out: dict[str, Any] = {}
        for args in (["status"], ["status", "--json"]):
            walls, statements = [], []
            with StatementTimer(engine) as timer:
                for _ in range(runs):
                    timer.statements = []
                    t0 = time.perf_counter()
                    result = CliRunner().invoke(app, args, env=env)
                    walls.append(time.perf_counter() - t0)
                    if result.exit_code != 0:
                        raise RuntimeError(f"ophin {' '.join(args)}: {result.output}{result.exception!r}")
                    statements = list(timer.statements)
            out[" ".join(args)] = {
                "wall_s_p50": round(pct(walls, 0.5), 3),
                "wall_s_max": round(max(walls), 3),
                "statements": len(statements),
                "db_s": round(sum(s for _, _, s in statements), 3),
            }
        slow = sorted(statements, key=lambda s: -s[2])
        top = [(stmt, round(1000 * s, 2)) for stmt, _, s in slow[:5]]
        plan = explain(engine, slow[0][0], slow[0][1])
        plans = [explain(engine, stmt, params) for stmt, params, _ in slow]
        scans = sorted({t for p in plans for t in seq_scans(p, rows)})
    return {"runs": out, "slowest": top, "slowest_plan": plan, "seq_scans": scans}


def bench(args: argparse.Namespace) -> dict[str, Any]:
    from ophin.db.session import session_factory
    from ophin.lineage.chain import id_view
    from ophin.lineage.trace import lineage
    from ophin.settings import Settings

    L = Layout.at(args.scale)
    result: dict[str, Any] = {"scale": args.scale}
    with bench_database(ADMIN_URL, args.database, args.keep) as url:
        engine = sa.create_engine(url)
        upgrade(engine)
        result["database"] = url.rsplit("/", 1)[1]
        if not args.database:
            t0 = time.perf_counter()
            result["load_s"] = load(engine, L)
            result["load_s"]["total"] = round(time.perf_counter() - t0, 1)
        with engine.connect() as conn:
            result["revision"] = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        rows = result["rows"] = row_counts(engine)
        L = Layout(rows["video"], rows["clip"], rows["frame"], rows["instruction"])  # --database: its own
        assert rows["transcript_segment"] == L.clips * SEGMENTS_PER_CLIP
        engine.dispose()
        with tempfile.TemporaryDirectory(prefix="ophin-bench-home-") as home:
            sessions = session_factory(Settings(db={"url": url}, home=home))  # as `ophin lineage` opens it
            ids = sample_ids(L, args.calls)
            for kind_ids in ids.values():  # warm the pool and the catalog caches
                with sessions() as session:
                    lineage(session, kind_ids[0])
            result["lineage"] = measure_calls(sessions, lineage, ids, rows)
            result["id_view"] = measure_calls(sessions, id_view, ids, rows)
            sessions.kw["bind"].dispose()
        result["status"] = measure_status(url, args.status_runs, rows)
    return result


def _sql(statement: str, width: int = 160) -> str:
    one = " ".join(statement.split())
    return one if len(one) <= width else one[: width - 3] + "..."


WIDTHS = (11, 8, 8, 8, 8, 8, 5)


def _calls_table(title: str, per_kind: dict[str, Any]) -> list[str]:
    head = ("kind", "db p50", "db p95", "srv p50", "srv p95", "wall p50", "stmts")
    lines = [title, "  " + " ".join(f"{h:>{w}}" for h, w in zip(head, WIDTHS, strict=True)) + "  seq scans"]
    for kind, r in per_kind.items():
        cells = [r[k] for k in ("db_ms_p50", "db_ms_p95", "server_ms_p50", "server_ms_p95", "wall_ms_p50")]
        lines.append(
            f"  {kind:>{WIDTHS[0]}} " + " ".join(f"{c:>8.3f}" for c in cells)
            + f" {r['statements']:>5}  {', '.join(r['seq_scans']) or '-'}"
        )
    return lines


def verdicts(result: dict[str, Any]) -> list[str]:
    status = result["status"]["runs"]["status"]["wall_s_p50"]
    scans = sorted({t for r in result["lineage"].values() for t in r["seq_scans"]})
    lines = []
    for key, what in (("server_ms_p95", "server time"), ("db_ms_p95", "statement round trips")):
        kind, worst = max(((k, r[key]) for k, r in result["lineage"].items()), key=lambda kv: kv[1])
        verdict = "< 5 ms: ok" if worst < 5 else ">= 5 ms: SLOW"
        lines.append(f"ophin lineage, {what}: worst p95 {worst:.3f} ms ({kind}) {verdict}")
    return [
        *lines,
        f"ophin status: p50 {status:.3f} s " + ("< 1 s: ok" if status < 1 else ">= 1 s: SLOW"),
        "lineage Seq Scans on big tables: " + (", ".join(scans) + " FLAGGED" if scans else "none"),
    ]


def render(result: dict[str, Any]) -> str:
    out = [f"scale {result['scale']}: database {result['database']} at revision {result['revision']}"]
    out.append("rows: " + ", ".join(f"{t} {n:,}" for t, n in result["rows"].items()))
    if "load_s" in result:
        out.append("load s: " + ", ".join(f"{t} {s}" for t, s in result["load_s"].items()))
    out.append("ms per call: db = statement round trips as the client sees them, srv = the server's planning")
    out.append("+ execution (EXPLAIN ANALYZE of the same statements), wall = the whole call with its session")
    out += _calls_table("ophin lineage ID (ophin.lineage.trace.lineage):", result["lineage"])
    out += _calls_table("lineage page chain (ophin.lineage.chain.id_view):", result["id_view"])
    st = result["status"]
    for args, r in st["runs"].items():
        out.append(
            f"ophin {args}: wall p50 {r['wall_s_p50']} s (max {r['wall_s_max']}), {r['statements']} "
            f"statements, {r['db_s']} s in the database"
        )
    out.append("slowest status statements (ms):")
    out += [f"  {ms:>8.2f}  {_sql(stmt)}" for stmt, ms in st["slowest"]]
    out.append("status Seq Scans on big tables: " + (", ".join(st["seq_scans"]) or "none"))
    out.append("\nEXPLAIN (ANALYZE, BUFFERS) of each `ophin lineage` statement for one instruction id:")
    for stmt, plan in result["lineage"]["instruction"]["plans"]:
        out += [f"-- {_sql(stmt)}", *(f"   {line}" for line in plan)]
    for kind, r in {**result["lineage"], **{f"page {k}": v for k, v in result["id_view"].items()}}.items():
        for stmt, plan in r["plans"]:
            if seq_scans(plan, result["rows"]):
                out += [f"-- SEQ SCAN ({kind}): {_sql(stmt)}", *(f"   {line}" for line in plan)]
    out.append("\nEXPLAIN (ANALYZE, BUFFERS) of the slowest `ophin status` statement:")
    out += [f"-- {_sql(st['slowest'][0][0])}", *(f"   {line}" for line in st["slowest_plan"])]
    return "\n".join([*out, "", *verdicts(result)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the paper's row counts")
    ap.add_argument("--calls", type=int, default=200, help="ids per kind")
    ap.add_argument("--status-runs", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="leave the database for another --database run")
    ap.add_argument("--database", help="measure this kept bench database again (no load)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = bench(args)
    if args.json:
        print(json.dumps(result, indent=1, default=str))
    else:
        print(render(result))


if __name__ == "__main__":
    main()
