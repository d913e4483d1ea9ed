"""The quality report (`ophin report --html`) at the paper's scale: the database bench.lineage_scale builds
(5,000 videos, 151,000 frames, 536,000 instructions, ~5.4M verifications, by COPY), then the page generated
--runs times, with the seconds of each section and in total, and the page's size.

    python -m bench.report [--scale 1.0] [--runs 2] [--keep] [--database NAME]

--keep leaves the database (its name is printed); --database NAME measures a kept bench database again
(`make bench-lineage` with --keep, or an earlier --keep here) without loading it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.lineage_rows import Layout
from bench.lineage_scale import ADMIN_URL, bench_database, load, row_counts
from ophin.db.migrate import upgrade


def generate(url: str, out: Path) -> dict[str, Any]:
    """One page, as `ophin report --html` makes it: seconds per section, total wall, bytes."""
    from ophin.adapters.object_store import build_object_store
    from ophin.db.session import session_factory, session_scope
    from ophin.reporting.build import build_report, write_report
    from ophin.settings import Settings

    with tempfile.TemporaryDirectory(prefix="ophin-bench-home-") as home:
        settings = Settings(db={"url": url}, home=home)
        sessions = session_factory(settings)
        t0 = time.perf_counter()
        with session_scope(sessions) as session:
            report = build_report(session, settings, store=build_object_store(settings), generated_at="bench")
        write_report(out, report)
        wall = time.perf_counter() - t0
        sessions.kw["bind"].dispose()
    return {"seconds": report.seconds, "total_s": round(wall, 2), "bytes": out.stat().st_size}


def bench(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"scale": args.scale}
    with bench_database(ADMIN_URL, args.database, args.keep) as url:
        engine = sa.create_engine(url)
        upgrade(engine)
        result["database"] = url.rsplit("/", 1)[1]
        if not args.database:
            t0 = time.perf_counter()
            result["load_s"] = load(engine, Layout.at(args.scale))
            result["load_s"]["total"] = round(time.perf_counter() - t0, 1)
        result["rows"] = row_counts(engine)
        engine.dispose()
        with tempfile.TemporaryDirectory(prefix="ophin-bench-report-") as tmp:
            result["runs"] = [generate(url, Path(tmp) / f"report-{i}.html") for i in range(args.runs)]
    return result


def render(result: dict[str, Any]) -> str:
    out = [f"scale {result['scale']}: database {result['database']}"]
    out.append("rows: " + ", ".join(f"{t} {n:,}" for t, n in result["rows"].items()))
    if "load_s" in result:
        out.append(f"load: {result['load_s']['total']} s (COPY + VACUUM ANALYZE)")
    sections = list(result["runs"][0]["seconds"])
    out.append("report generation, seconds per section:")
    out.append(
        "  " + f"{'section':<15}" + "".join(f"{f'run {i + 1}':>9}" for i in range(len(result["runs"])))
    )
    for name in sections:
        out.append("  " + f"{name:<15}" + "".join(f"{r['seconds'][name]:>9.2f}" for r in result["runs"]))
    out.append("  " + f"{'total (wall)':<15}" + "".join(f"{r['total_s']:>9.2f}" for r in result["runs"]))
    out.append(f"page: {result['runs'][-1]['bytes'] / 1024:.0f} KiB")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the paper's row counts")
    ap.add_argument("--runs", type=int, default=2, help="pages generated (the first reads a cold cache)")
    ap.add_argument("--keep", action="store_true", help="leave the database for another --database run")
    ap.add_argument("--database", help="measure this kept bench database again (no load)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = bench(args)
    print(json.dumps(result, indent=1) if args.json else render(result))


if __name__ == "__main__":
    main()
