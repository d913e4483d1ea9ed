"""Shared fixtures: a real PostgreSQL (the machine's, else embedded), real S3 (moto server), real Whisper."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ophin.adapters.asr import FasterWhisperTranscriber, Transcriber
from ophin.adapters.asr_cache import cached
from ophin.db.migrate import upgrade
from ophin.services import Services, build_services
from ophin.settings import AsrSettings, Settings
from tests.support.llm_server import llm_server  # noqa: F401 - the real local LLM (skips when not built)

# Whisper's answers for the suite's audio (ophin/adapters/asr_cache.py), so a test that needs a particular
# transcript gets the same one on every CPU (int8 kernels differ between AVX2 and AVX-512 machines) and the
# suite decodes little. OPHIN_TEST_ASR: replay (default: stored answers, live Whisper for audio not
# stored), record (live Whisper for what is missing, stored), live (no stored answers at all). Set in the
# environment so the CLI, subprocesses and Airflow workers the tests start replay the same answers.
ASR_ANSWERS = Path(__file__).parent / "fixtures" / "asr_answers"
ASR_MODE = os.environ.get("OPHIN_TEST_ASR", "replay")
if ASR_MODE not in ("replay", "record", "live"):
    raise RuntimeError(f"OPHIN_TEST_ASR={ASR_MODE!r}: expected replay, record or live")
if ASR_MODE != "live":
    os.environ["OPHIN_ASR__CACHE_DIR"] = str(ASR_ANSWERS)
    os.environ["OPHIN_ASR__CACHE_WRITE"] = "true" if ASR_MODE == "record" else "false"

# The slow lanes: files (or tests using a fixture) that start a real scheduler, a browser, the LLM server or
# compose. `make test` runs them with the rest; `make test-quick` leaves them out (-m "not lane").
LANES = {
    "scheduler": ("test_airflow_scheduler.py", "test_airflow_standalone.py"),
    "browser": ("test_review_ui.py", "test_lineage_ui.py", "test_report_browser.py"),
    "llm_server": ("test_llm_local_server.py", "test_local_server.py"),
    "compose": ("test_compose.py",),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for lane, files in LANES.items():
            if item.path.name in files or lane in getattr(item, "fixturenames", ()):
                item.add_marker(lane)
                item.add_marker("lane")


MACHINE_PG = os.environ.get(
    "OPHIN_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)


def _machine_postgres() -> str | None:
    try:
        engine = sa.create_engine(
            MACHINE_PG, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with engine.connect():
            return MACHINE_PG
    except sa.exc.OperationalError:
        return None


@pytest.fixture(scope="session")
def pg_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An admin URL of a real PostgreSQL: 127.0.0.1:5432 where it runs, else pgserver's embedded one."""
    url = _machine_postgres()
    if url:
        yield url
        return
    from ophin.db.session import embedded_postgres_url, stop_embedded_postgres

    home = tmp_path_factory.mktemp("pg")
    yield embedded_postgres_url(home).replace("postgresql://", "postgresql+psycopg2://")
    stop_embedded_postgres(home)


@pytest.fixture(scope="session")
def make_database(pg_admin_url: str) -> Iterator:
    """Factory: a fresh, migrated database per call; all dropped at the end of the session.

    The migrations run once per session, into a template; each migrated database is a copy of it
    (CREATE DATABASE ... TEMPLATE, about a tenth of a second instead of half a second of Alembic)."""
    admin = sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    created: list[str] = []
    template: list[str] = []

    def create(template_name: str | None = None) -> str:
        name = f"ophin_test_{uuid.uuid4().hex[:10]}"
        copy = f' TEMPLATE "{template_name}"' if template_name else ""
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
        created.append(name)
        return name

    def url_of(name: str) -> str:
        return sa.engine.make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)

    def make(migrate: bool = True) -> str:
        if not migrate:
            return url_of(create())
        if not template:
            name = create()
            engine = sa.create_engine(url_of(name))
            upgrade(engine)
            engine.dispose()  # nobody may be connected to a template while it is copied
            template.append(name)
        return url_of(create(template[0]))

    yield make
    sa.orm.close_all_sessions()
    with admin.connect() as conn:
        for name in created:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def whisper(tmp_path_factory: pytest.TempPathFactory) -> FasterWhisperTranscriber:
    """Real Whisper base (offline wheels), loaded once for the whole session: for tests of ASR itself."""
    cache = Path(os.environ.get("OPHIN_TEST_MODEL_CACHE", tmp_path_factory.mktemp("models")))
    return FasterWhisperTranscriber(AsrSettings(), cache)


@pytest.fixture(scope="session")
def transcriber(whisper: FasterWhisperTranscriber) -> Transcriber:
    """Whisper behind the suite's stored answers (ASR_MODE): what the engine's tests hear."""
    if ASR_MODE == "live":
        return whisper
    return cached(whisper, ASR_ANSWERS, write=ASR_MODE == "record")


@pytest.fixture(scope="session")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real Redis (the Celery broker): the machine's on 127.0.0.1:6379 when it answers, else one started
    here from `redis-server` (apt package redis-server, installed by `make system-deps`)."""
    import shutil
    import socket
    import subprocess
    import time

    import redis

    with contextlib.suppress(redis.exceptions.ConnectionError):
        if redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping():
            yield 6379
            return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("no Redis on 127.0.0.1:6379 and no redis-server to start (make system-deps)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.exceptions.ConnectionError):
            if client.ping():
                break
        time.sleep(0.1)
    yield port
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 protocol server on 127.0.0.1 (moto; no MinIO binary exists here)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"{host}:{port}"
    server.stop()


def make_services(
    tmp_path: Path,
    db_url: str,
    transcriber: Transcriber,
    *,
    s3_endpoint: str | None = None,
    **overrides: object,
) -> Services:
    store = (
        {
            "kind": "s3",
            "endpoint": s3_endpoint,
            "bucket": f"b{uuid.uuid4().hex[:12]}",
            "access_key": "test",
            "secret_key": "testtest",
        }
        if s3_endpoint
        else {}
    )
    # Tests fetch bundled files by file:// URL and local servers on 127.0.0.1; the policy's refusals
    # have tests of their own.
    overrides.setdefault("acquire", {"allow_file_urls": True, "allow_hosts": "127.0.0.1"})
    # Test media made by ffmpeg states no licence; the licence gate's refusals have tests of their own
    # (tests/integration/test_crawl.py, which pass license={} for the default policy).
    overrides.setdefault("license", {"accept_unknown": True})
    settings = Settings(home=tmp_path / "home", db={"url": db_url}, store=store, **overrides)
    svc = build_services(settings)
    svc.transcriber = transcriber
    return svc


@pytest.fixture
def db_url(make_database) -> str:  # noqa: ANN001
    return make_database()
