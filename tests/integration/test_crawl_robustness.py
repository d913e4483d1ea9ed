"""The crawler against hostile and careless listings (issue 22, breaks 6-8): junk URL-list lines, SIGTERM
and killed crawls, endless and slow feeds, feeds that list oldest first or give every item one date."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from ophin.crawl.sources import SourceSpec, add_sources
from ophin.db.crawl_models import CrawlCandidate, CrawlRun, Source
from ophin.db.session import session_scope
from ophin.orchestration.crawl_runs import crawl
from tests.conftest import make_services

REPO = Path(__file__).resolve().parents[2]
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
_RSS_HEAD = b"<?xml version='1.0'?><rss version='2.0' xmlns:media='http://search.yahoo.com/mrss/'><channel>"


class _Handler(BaseHTTPRequestHandler):
    """Static bodies by path, plus /endless (items forever, up to a cap) and /drip (a byte at a time)."""

    bodies: dict[str, bytes]
    sent: dict[str, int]

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        if self.path in self.bodies:
            body = self.bodies[self.path]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if self.path == "/busy":
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path not in ("/endless", "/drip"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.end_headers()  # no Content-Length: the body ends when the connection does
        try:
            if self.path == "/drip":
                self.wfile.write(_RSS_HEAD)
                while True:  # a byte every 50 ms, forever
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.05)
            self.wfile.write(_RSS_HEAD)
            # Endless for the crawler's bounds; capped at 64 MB so that an unbounded reader still ends (and
            # is caught by its memory, not by a hung test).
            for n in range(400_000):
                item = (
                    f"<item><title>Episode {n}</title><enclosure url='/v/{n}.mp4' type='video/mp4'/>"
                    f"<media:license href='{CC_BY}'/></item>"
                ).encode()
                self.wfile.write(item)
                self.sent["/endless"] = self.sent.get("/endless", 0) + len(item)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler stopped reading: what a bound does

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class Server:
    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.sent: dict[str, int] = {}
        handler = type("Handler", (_Handler,), {"bodies": self.bodies, "sent": self.sent})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def feed(self, path: str, items: list[tuple[str, datetime | None]]) -> str:
        """An RSS feed of (file, pubDate) in the order given, every item CC BY; returns its URL."""
        body = b"".join(
            f"<item><title>{name}</title><enclosure url='{self.base}/{name}' type='video/mp4'/>".encode()
            + (f"<pubDate>{format_datetime(when)}</pubDate>".encode() if when else b"")
            + f"<media:license href='{CC_BY}'/></item>".encode()
            for name, when in items
        )
        self.bodies[path] = _RSS_HEAD + b"<title>Lectures</title>" + body + b"</channel></rss>"
        return self.base + path


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def _svc(tmp_path: Path, db_url: str, **crawl_settings: object):  # noqa: ANN202
    crawl = {"request_interval_s": 0, "download_interval_s": 0, "backoff_s": 0.01, "min_duration_s": 0}
    return make_services(tmp_path, db_url, None, license={}, crawl=crawl | crawl_settings)  # type: ignore[arg-type]


def _add(svc, *specs: SourceSpec) -> list:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        return add_sources(session, list(specs), default_max_items=50)


def _candidates(svc) -> dict[str, CrawlCandidate]:  # noqa: ANN001
    with session_scope(svc.sessions) as session:
        rows = session.scalars(select(CrawlCandidate)).all()
        session.expunge_all()
    return {r.url.rsplit("/", 1)[-1]: r for r in rows}


def _runs(db_session_factory) -> list[CrawlRun]:  # noqa: ANN001
    with session_scope(db_session_factory) as session:
        rows = session.scalars(select(CrawlRun).order_by(CrawlRun.started_at)).all()
        session.expunge_all()
    return list(rows)


# Break 6: one junk line, a SIGTERM, a killed crawl


def _cli_env(monkeypatch, tmp_path: Path, db_url: str) -> None:  # noqa: ANN001
    from ophin.settings import get_settings

    for name, value in {
        "OPHIN_HOME": str(tmp_path / "home"),
        "OPHIN_DB__URL": db_url,
        "OPHIN_ACQUIRE__ALLOW_HOSTS": "127.0.0.1",
        "OPHIN_CRAWL__REQUEST_INTERVAL_S": "0",
        "OPHIN_CRAWL__DOWNLOAD_INTERVAL_S": "0",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def test_cli_crawl_rejects_each_junk_url_line_and_judges_the_rest(
    tmp_path: Path, db_url: str, server: Server, monkeypatch
) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from ophin.cli.app import app
    from ophin.settings import get_settings

    _cli_env(monkeypatch, tmp_path, db_url)
    lines = [
        "# lectures",
        f"{server.base}/missing.mp4",
        "http://[::1",  # line 3: an unclosed IPv6 literal
        f"{server.base}/nul\x00.mp4",  # line 4: a NUL byte (Postgres text cannot hold it)
        "http://127.0.0.1:99999/port.mp4",  # line 5: a port out of range
        "javascript:alert(1)",  # line 6
        f"{server.base}/gone.mp4",
    ]
    server.bodies["/urls.txt"] = "\n".join(lines).encode()
    runner = CliRunner()
    assert runner.invoke(app, ["source", "add", "urls", f"{server.base}/urls.txt"]).exit_code == 0
    result = runner.invoke(app, ["crawl", "--no-download"])
    assert result.exit_code == 0, result.output
    assert "4 for invalid_url" in result.output and "rejected line:" in result.output, result.output
    assert "U+0000" in result.output

    svc = make_services(tmp_path, db_url, None)  # type: ignore[arg-type]
    with session_scope(svc.sessions) as session:
        rows = session.scalars(select(CrawlCandidate)).all()
        invalid = sorted(r.reason for r in rows if r.failure_class == "invalid_url")
        judged = {r.url.rsplit("/", 1)[-1]: r.failure_class for r in rows if r.failure_class != "invalid_url"}
    assert [r.split(":")[0] for r in invalid] == ["line 3", "line 4", "line 5", "line 6"], invalid
    assert "out of range" in invalid[2] and "scheme 'javascript'" in invalid[3]
    assert judged == {"missing.mp4": "unavailable", "gone.mp4": "unavailable"}  # the rest proceeded
    (run,) = _runs(svc.sessions)
    assert run.status == "succeeded" and run.finished_at is not None
    assert run.rejected == {"invalid_url": 4, "unavailable": 2}
    # A second crawl knows the junk lines (one row each, keyed by their hash) and judges nothing again.
    again = runner.invoke(app, ["crawl", "--no-download"])
    assert again.exit_code == 0 and "6 seen, 0 new" in again.output, again.output
    get_settings.cache_clear()


def test_a_crawl_killed_by_sigterm_closes_its_crawl_run(tmp_path: Path, db_url: str, server: Server) -> None:
    svc = _svc(tmp_path, db_url)
    _add(svc, SourceSpec("feed", f"{server.base}/drip"))  # a feed that never ends: the crawl is busy
    env = {
        **os.environ,
        "OPHIN_HOME": str(tmp_path / "home"),
        "OPHIN_DB__URL": db_url,
        "OPHIN_ACQUIRE__ALLOW_HOSTS": "127.0.0.1",
        "OPHIN_CRAWL__REQUEST_INTERVAL_S": "0",
    }
    proc = subprocess.Popen(  # noqa: S603 - our own CLI, argv fixed
        [sys.executable, "-m", "ophin.cli.app", "crawl"],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _runs(svc.sessions) and time.monotonic() < deadline:
            time.sleep(0.2)
        (running,) = _runs(svc.sessions)
        assert running.status == "running" and running.lease_expires_at is not None
        time.sleep(1.0)  # well inside the feed's read
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0]
    finally:
        proc.kill()
    assert proc.returncode == 143, output
    assert "terminated by SIGTERM" in output
    (run,) = _runs(svc.sessions)
    assert run.status == "failed" and run.finished_at is not None, run.error
    assert run.error.startswith("Terminated: terminated by SIGTERM") and run.lease_expires_at is None


def test_a_stale_running_crawl_run_is_reaped_at_the_next_crawl(tmp_path: Path, db_url: str) -> None:
    import uuid

    svc = _svc(tmp_path, db_url)
    now = datetime.now(UTC)
    planted = {
        "expired": {
            "lease_expires_at": now - timedelta(minutes=5),
            "heartbeat_at": now - timedelta(minutes=6),
        },
        "pre_lease": {"started_at": now - timedelta(hours=2)},  # opened before leases: no lease at all
        "alive": {"lease_expires_at": now + timedelta(minutes=5), "heartbeat_at": now},
    }
    ids = {}
    with session_scope(svc.sessions) as session:
        for name, values in planted.items():
            ids[name] = uuid.uuid4()
            session.add(CrawlRun(id=ids[name], status="running", **values))
    report = crawl(svc, sleep=lambda s: None)
    assert report.status == "succeeded"
    with session_scope(svc.sessions) as session:
        runs = {name: session.get(CrawlRun, rid) for name, rid in ids.items()}
        assert runs["expired"].status == runs["pre_lease"].status == "failed"
        assert "stopped heartbeating" in runs["expired"].error and runs["expired"].finished_at is not None
        assert runs["alive"].status == "running"  # a live crawl elsewhere keeps its run
        assert session.get(CrawlRun, report.run_id).status == "succeeded"


def test_ctrl_c_during_a_backoff_closes_the_crawl_run_as_failed(
    tmp_path: Path, db_url: str, server: Server
) -> None:
    svc = _svc(tmp_path, db_url)
    _add(svc, SourceSpec("feed", server.feed("/f.xml", [("a.mp4", None)])))
    _add(svc, SourceSpec("feed", f"{server.base}/busy"))  # 429: the crawl backs off, sleeping

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        crawl(svc, sleep=interrupted)
    (run,) = _runs(svc.sessions)
    assert run.status == "failed" and run.error.startswith("KeyboardInterrupt"), run.error
    assert run.finished_at is not None and run.lease_expires_at is None


# Break 7: listings bounded in bytes, items and time


@pytest.mark.parametrize(
    ("bound", "reason"),
    [
        ({"listing_max_bytes": 2**20, "listing_max_items": 100_000}, "listing_max_bytes"),
        ({"listing_max_items": 300}, "listing_max_items"),
    ],
)
def test_an_endless_feed_fails_its_source_within_bounds_and_others_proceed(
    tmp_path: Path, db_url: str, server: Server, bound: dict, reason: str
) -> None:
    svc = _svc(tmp_path, db_url, **bound)
    good = server.feed("/good.xml", [("a.mp4", None)])
    endless_id, _ = _add(svc, SourceSpec("feed", f"{server.base}/endless"), SourceSpec("feed", good))
    import defusedxml.ElementTree  # noqa: F401 - imported before tracing: the listing is what is measured
    import yt_dlp  # noqa: F401

    tracemalloc.start()
    started = time.monotonic()
    try:
        report = crawl(svc, download_pass=False, sleep=lambda s: None)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    elapsed = time.monotonic() - started
    failed = report.sources[str(endless_id)]
    assert failed["failure_class"] == "listing_bounds" and reason in failed["error"], failed
    assert report.status == "partial" and f"source {endless_id}" in report.error
    assert _candidates(svc)["a.mp4"].status == "accepted"  # the other source proceeded
    assert not any(name.endswith(".mp4") and name[0].isdigit() for name in _candidates(svc))
    # Memory: bounded by the bounds (measured 9.6 MiB at 1 MiB / ~6,000 items: the bytes kept for the
    # licence parse and the items read); an unbounded reader holds the whole 64 MB stream and more.
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.1f} MiB"
    assert server.sent["/endless"] < 16 * 2**20 and elapsed < 60
    with session_scope(svc.sessions) as session:
        assert session.get(Source, endless_id).listing_complete is False


def test_a_feed_that_drips_forever_fails_at_the_time_bound(
    tmp_path: Path, db_url: str, server: Server
) -> None:
    svc = _svc(tmp_path, db_url, listing_timeout_s=2.0)
    drip_id, _ = _add(
        svc, SourceSpec("feed", f"{server.base}/drip"), SourceSpec("feed", server.feed("/g.xml", []))
    )
    started = time.monotonic()
    report = crawl(svc, download_pass=False, sleep=lambda s: None)
    elapsed = time.monotonic() - started
    failed = report.sources[str(drip_id)]
    assert "listing_timeout_s" in failed["error"] and failed["failure_class"] == "listing_bounds", failed
    assert 2.0 <= elapsed < 10, elapsed
    assert report.status == "partial" and len(report.sources) == 2


# Break 8: feeds listed oldest first, or with one date for every item


def test_an_oldest_first_feed_yields_the_item_appended_at_its_end(
    tmp_path: Path, db_url: str, server: Server
) -> None:
    svc = _svc(tmp_path, db_url)
    day = datetime(2026, 11, 1, 9, tzinfo=UTC)
    items = [("a.mp4", day), ("b.mp4", day + timedelta(days=1)), ("c.mp4", day + timedelta(days=2))]
    # max_items 2: the two newest are judged, wherever the feed puts them.
    _add(svc, SourceSpec("feed", server.feed("/old.xml", items), max_items=2))
    first = crawl(svc, download_pass=False, sleep=lambda s: None)
    assert set(_candidates(svc)) == {"b.mp4", "c.mp4"}, first
    server.feed("/old.xml", [*items, ("d.mp4", day + timedelta(days=3))])  # appended at the end
    second = crawl(svc, download_pass=False, sleep=lambda s: None)
    assert second.counts["new"] == 1 and _candidates(svc)["d.mp4"].status == "accepted", second.counts


def test_an_equal_date_feed_yields_the_item_appended_at_its_end(
    tmp_path: Path, db_url: str, server: Server
) -> None:
    svc = _svc(tmp_path, db_url)
    day = datetime(2026, 11, 1, 9, tzinfo=UTC)
    items = [("a.mp4", day), ("b.mp4", day)]
    _add(svc, SourceSpec("feed", server.feed("/same.xml", items)))
    assert crawl(svc, download_pass=False, sleep=lambda s: None).counts["new"] == 2
    server.feed("/same.xml", [*items, ("c.mp4", day)])
    second = crawl(svc, download_pass=False, sleep=lambda s: None)
    assert second.counts == {"seen": 3, "known": 2, "new": 1, "accepted": 1}, second.counts
    assert _candidates(svc)["c.mp4"].status == "accepted"
