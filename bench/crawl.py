"""Crawl discovery: what a first, an unchanged and a grown crawl of an N-item RSS feed cost (wall, CPU,
memory, SQL statements), whether that stays linear in N, and what an archive look-up costs as the archive
grows. Every item carries <media:license>, so discovery probes no video: it measures listing + archive +
judging, not N HTTP probes.

    python -m bench.crawl [--sizes 1000,2000,5000,10000] [--archive-rows 100000] [--no-tracemalloc] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import statistics
import tempfile
import threading
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ophin.crawl.archive import PostgresArchive
from ophin.crawl.sources import SourceSpec, add_sources
from ophin.db.crawl_models import CrawlCandidate
from ophin.db.migrate import upgrade
from ophin.db.session import session_scope
from ophin.orchestration.crawl_runs import crawl
from ophin.services import Services, build_services
from ophin.settings import Settings

ADMIN_URL = os.environ.get(
    "OPHIN_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
TOPICS = ("Drusen", "Macular oedema", "Optic disc cupping", "Retinal detachment", "Keratoconus", "Uveitis")
VIEWS = ("OCT B-scan", "fundus photograph", "slit-lamp view", "angiogram", "visual field")
PHASES = ("first", "unchanged", "grown")


@contextmanager
def admin_url() -> Iterator[str]:
    """The machine's Postgres on 127.0.0.1:5432, else an embedded one (pgserver), like tests/conftest.py."""
    try:
        with sa.create_engine(ADMIN_URL, connect_args={"connect_timeout": 3}).connect():
            up = True
    except sa.exc.OperationalError:
        up = False
    if up:
        yield ADMIN_URL
        return
    from ophin.db.session import embedded_postgres_url, stop_embedded_postgres

    with tempfile.TemporaryDirectory(prefix="ophin-bench-pg-") as tmp:
        yield embedded_postgres_url(Path(tmp)).replace("postgresql://", "postgresql+psycopg2://")
        stop_embedded_postgres(Path(tmp))


@contextmanager
def fresh_database(admin: str) -> Iterator[str]:
    """A migrated throwaway database, dropped on the way out."""
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    name = f"ophin_bench_{uuid.uuid4().hex[:10]}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(sa.create_engine(url))
        yield url
    finally:
        sa.orm.close_all_sessions()
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass


def write_feed(path: Path, base: str, items: range) -> None:
    """An RSS feed of these item numbers, newest (highest) first, each CC BY 4.0; the enclosures need not
    exist: nothing is downloaded."""
    body = "".join(
        f"<item><title>{TOPICS[i % 6]}: {VIEWS[i % 5]}, case {i}</title>"
        f"<enclosure url='{base}/v/{i}.mp4' type='video/mp4' length='1'/>"
        f"<media:license type='text/html' href='{CC_BY}'>{CC_BY}</media:license></item>"
        for i in reversed(items)
    )
    path.write_text(
        "<?xml version='1.0'?><rss version='2.0' xmlns:media='http://search.yahoo.com/mrss/'>"
        f"<channel><title>Ophthalmology lectures</title>{body}</channel></rss>"
    )


def rss_kb(reset: bool = False) -> tuple[int, int]:
    """(RSS now, its high-water mark) in KiB. reset lowers the mark to RSS now (Linux clear_refs 5) so it
    measures one run: ru_maxrss keeps the peak of any thread that ever exited (the feed server's)."""
    try:
        if reset:
            Path("/proc/self/clear_refs").write_text("5")
        status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
        return int(status["VmRSS"].split()[0]), int(status["VmHWM"].split()[0])
    except (OSError, KeyError):  # no procfs: the lifetime peak, which only shows growth past earlier runs
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak, peak


def measure(engine: sa.Engine, run: Callable[[], Any], *, trace: bool) -> dict[str, Any]:
    """Wall and CPU seconds, peak RSS over the start, SQL statements and pool checkouts of run()."""
    counted = {"statements": 0, "checkouts": 0}

    def statement(*_: Any) -> None:
        counted["statements"] += 1

    def checkout(*_: Any) -> None:
        counted["checkouts"] += 1  # a session's connection; each also pings the server (pool_pre_ping)

    sa.event.listen(engine, "before_cursor_execute", statement)
    sa.event.listen(engine.pool, "checkout", checkout)
    rss0 = rss_kb(reset=True)[0]
    if trace:
        tracemalloc.start()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    try:
        result = run()
    finally:
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        tracemalloc.stop()
        sa.event.remove(engine, "before_cursor_execute", statement)
        sa.event.remove(engine.pool, "checkout", checkout)
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "rss_peak_over_start_mb": round((rss_kb()[1] - rss0) / 1024, 1),
        "py_peak_mb": round(peak / 2**20, 1) if trace else None,
        **counted,
        "counts": result,
    }


@contextmanager
def feed_source(admin: str, n: int) -> Iterator[tuple[Services, Path, str]]:
    """Services on a fresh database holding one feed source; its n-item feed served on 127.0.0.1."""
    with tempfile.TemporaryDirectory(prefix="ophin-bench-crawl-") as tmp, fresh_database(admin) as url:
        root = Path(tmp) / "site"
        root.mkdir()
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        write_feed(root / "feed.xml", base, range(n))
        crawl_settings = {"request_interval_s": 0, "download_interval_s": 0, "max_items": 20000}
        settings = Settings(
            home=Path(tmp) / "home",
            db={"url": url},
            acquire={"allow_hosts": "127.0.0.1"},
            crawl=crawl_settings,
            license={},  # the default policy
        )
        svc = build_services(settings, runner="bench")
        with session_scope(svc.sessions) as session:
            add_sources(session, [SourceSpec("feed", f"{base}/feed.xml", max_items=n + 200)], n + 200)
        try:
            yield svc, root, base
        finally:
            svc.sessions.kw["bind"].dispose()
            server.shutdown()
            server.server_close()


def discover(svc: Services) -> dict[str, int]:
    report = crawl(svc, discover_pass=True, download_pass=False, sleep=lambda s: None)
    if report.status != "succeeded":
        raise RuntimeError(f"crawl {report.status}: {report.error or report.sources}")
    return report.counts


def bench_size(admin: str, n: int, *, trace: bool) -> dict[str, Any]:
    """First, unchanged and grown (100 new items on top) crawls of an n-item feed in a fresh database; then,
    in another, a first crawl under tracemalloc (which triples its time, so it is timed apart)."""
    row: dict[str, Any] = {"n": n}
    with feed_source(admin, n) as (svc, root, base):
        for phase in PHASES:
            if phase == "grown":
                write_feed(root / "feed.xml", base, range(n + 100))
            row[phase] = measure(svc.sessions.kw["bind"], partial(discover, svc), trace=False)
    first = row["first"]
    first["entries_per_s"] = round(n / first["wall_s"], 1)
    first["ms_per_entry"] = round(1000 * first["wall_s"] / n, 3)
    first["cpu_ms_per_entry"] = round(1000 * first["cpu_s"] / n, 3)
    first["statements_per_entry"] = round(first["statements"] / n, 3)
    if trace:
        with feed_source(admin, n) as (svc, _, _):
            traced = measure(svc.sessions.kw["bind"], partial(discover, svc), trace=True)
            first["py_peak_mb"] = traced["py_peak_mb"]
    return row


def bench_archive(admin: str, total: int, pages: int = 200) -> list[dict[str, Any]]:
    """known() over pages of 100 keys (half in the archive) at archive sizes 1k, 10k, ... up to total."""
    sizes = [s for s in (1000, 10_000, 100_000, 1_000_000) if s < total] + [total]
    out, rng, filled = [], random.Random(7), 0
    with fresh_database(admin) as url:
        engine = sa.create_engine(url)
        archive = PostgresArchive(sa.orm.sessionmaker(engine))
        for size in sizes:
            raw = engine.raw_connection()  # COPY: 100k rows in about a second
            with raw.cursor() as cur:
                rows = "".join(
                    f"{uuid.uuid5(uuid.NAMESPACE_URL, str(i))}\turl http://example.org/v/{i}.mp4\t"
                    f"http://example.org/v/{i}.mp4\trejected\n"
                    for i in range(filled, size)
                )
                cur.copy_from(io.StringIO(rows), "crawl_candidate", columns=("id", "key", "url", "status"))
                cur.execute("ANALYZE crawl_candidate")
            raw.commit()
            raw.close()
            filled, timings, keys = size, [], []
            for _ in range(pages):
                keys = [f"url http://example.org/v/{rng.randrange(size)}.mp4" for _ in range(50)]
                keys += [f"url http://example.org/v/{size + rng.randrange(10**7)}.mp4" for _ in range(50)]
                t0 = time.perf_counter()
                archive.known(keys)
                timings.append(1000 * (time.perf_counter() - t0))
            timings.sort()
            median, p95 = statistics.median(timings), timings[int(0.95 * len(timings))]
            out.append({"rows": size, "median_ms": round(median, 3), "p95_ms": round(p95, 3)})
            out[-1]["plan"] = explain(engine, keys)
        engine.dispose()
    return out


def explain(engine: sa.Engine, keys: list[str]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement known() sends (psycopg2 inlines the values too)."""
    stmt = sa.select(CrawlCandidate.key).where(CrawlCandidate.key.in_(keys))
    sql = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + sql))]


def verdicts(results: dict[str, Any]) -> list[str]:
    """Growth per entry from the smallest to the largest feed, and of the look-up with the archive."""
    lines, rows, sizes = [], results["discovery"], results.get("archive", [])
    if len(rows) > 1:
        small, large = rows[0]["first"], rows[-1]["first"]
        ratio = large["ms_per_entry"] / small["ms_per_entry"]
        cpu = large["cpu_ms_per_entry"] / small["cpu_ms_per_entry"]
        line = f"{rows[0]['n']} -> {rows[-1]['n']} entries: time per entry x{ratio:.2f} (CPU x{cpu:.2f})"
        if small.get("py_peak_mb") and large.get("py_peak_mb"):
            per_entry = (large["py_peak_mb"] / rows[-1]["n"]) / (small["py_peak_mb"] / rows[0]["n"])
            line += f", Python peak per entry x{per_entry:.2f}"
        lines.append(line + ("  NOT LINEAR" if ratio > 2 else "  (linear)"))
    if len(sizes) > 1:
        growth = sizes[-1]["median_ms"] / sizes[0]["median_ms"]
        lines.append(
            f"archive {sizes[0]['rows']} -> {sizes[-1]['rows']} rows: median look-up x{growth:.2f}"
            + ("  GROWS WITH ARCHIVE" if growth > 3 else "  (flat)")
        )
    return lines


def print_table(results: dict[str, Any]) -> None:
    print("discovery of a CC BY feed (no per-item probe: <media:license> on every item; nothing downloaded)")
    print(f"1-min load average at start, end: {results['load_1min']} on {os.cpu_count()} CPUs")
    print(
        f"{'N':>6} {'crawl':<9} {'wall s':>7} {'cpu s':>7} {'read':>6} {'new':>6} {'stmts':>5} {'sess':>4}"
        f" {'entries/s':>9} {'ms/entry':>8} {'cpu ms':>6} {'RSS+ MB':>7} {'py peak MB':>10}"
    )
    for row in results["discovery"]:
        for phase in PHASES:
            m, c = row[phase], row[phase]["counts"]
            line = f"{row['n']:>6} {phase:<9} {m['wall_s']:>7} {m['cpu_s']:>7} {c.get('seen', 0):>6}"
            line += f" {c.get('new', 0):>6} {m['statements']:>5} {m['checkouts']:>4}"
            if phase == "first":
                line += f" {m['entries_per_s']:>9} {m['ms_per_entry']:>8} {m['cpu_ms_per_entry']:>6}"
                line += f" {m['rss_peak_over_start_mb']:>7} {m['py_peak_mb']!s:>10}"
            print(line)
    if results.get("archive"):
        print("\narchive look-up: PostgresArchive.known() of 100 keys (50 present, 50 absent), 200 pages")
        for s in results["archive"]:
            top = s["plan"][0].split("  (")[0]
            server = next((x.split(": ")[1] for x in s["plan"] if x.startswith("Execution Time")), "?")
            print(f"{s['rows']:>8} rows  median {s['median_ms']:.3f} ms  p95 {s['p95_ms']:.3f} ms", end="")
            print(f"  plan: {top}, execution {server}")
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) at {results['archive'][-1]['rows']} rows:")
        print("\n".join("  " + line[:150] for line in results["archive"][-1]["plan"]))
    print("\n" + "\n".join(results["verdicts"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", default="1000,2000,5000,10000", help="feed sizes, comma-separated")
    parser.add_argument("--archive-rows", type=int, default=100_000, help="largest archive (0: skip)")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the Python-allocation runs")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    sizes = sorted(int(x) for x in args.sizes.split(",") if x.strip())
    load = os.getloadavg()[0]
    with admin_url() as admin:
        bench_size(admin, 20, trace=False)  # warm-up: yt-dlp's extractors and the ORM load once, here
        results: dict[str, Any] = {
            "discovery": [bench_size(admin, n, trace=not args.no_tracemalloc) for n in sizes]
        }
        if args.archive_rows:
            results["archive"] = bench_archive(admin, args.archive_rows)
    results["load_1min"] = [round(load, 2), round(os.getloadavg()[0], 2)]  # a busy machine skews wall time
    results["verdicts"] = verdicts(results)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print_table(results)


if __name__ == "__main__":
    main()
