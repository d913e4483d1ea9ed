"""`ophin airflow standalone` (`make airflow`) as a user runs it: a fresh OPHIN_HOME, free ports; the printed
login works, this repository's DAGs and pools are in the API, the plugin's pages answer 200; stopped, nothing
of it is left running."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from contextlib import suppress
from pathlib import Path

import httpx
import psutil
import pytest
import sqlalchemy as sa

from ophin.db.session import embedded_postgres_url, stop_embedded_postgres
from tests.support.airflow_stack import BIN, REPO, free_port

pytestmark = pytest.mark.slow
DAGS = {p.stem for p in (REPO / "dags").glob("ophin_*.py")}  # file name == dag_id


def wait_for_banner(out: Path, proc: subprocess.Popen[bytes], timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = out.read_text(errors="replace")
        if "Ctrl-C stops Airflow" in text:
            return text
        assert proc.poll() is None, f"ophin airflow standalone exited {proc.returncode}:\n{text}"
        time.sleep(0.5)
    raise TimeoutError(f"no banner after {timeout_s} s:\n{out.read_text(errors='replace')}")


def wait_for_dags(base: str, headers: dict[str, str], timeout_s: float = 60) -> set[str]:
    deadline = time.monotonic() + timeout_s
    seen: set[str] = set()
    while time.monotonic() < deadline:
        reply = httpx.get(f"{base}/api/v2/dags", headers=headers, params={"limit": 100}, timeout=30)
        reply.raise_for_status()
        seen = {d["dag_id"] for d in reply.json()["dags"]}
        if DAGS <= seen:
            return seen
        time.sleep(1)
    return seen


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def alive(processes: list[psutil.Process]) -> list[str]:
    left = []
    for p in processes:
        with suppress(psutil.NoSuchProcess):
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{p.pid} {' '.join(p.cmdline())[:80]}")
    return left


def test_airflow_standalone_serves_dags_and_pages_then_stops_leaving_nothing(tmp_path: Path) -> None:
    port, log_port, trigger_log_port = free_port(), free_port(), free_port()
    home = tmp_path / "ophin_home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPHIN_"))}
    env |= {
        "OPHIN_HOME": str(home),
        # Airflow's log servers bind every interface on fixed ports by default: free ones here.
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(trigger_log_port),
    }
    out = tmp_path / "standalone.out"
    with open(out, "wb") as sink:
        proc = subprocess.Popen(
            [str(BIN / "ophin"), "airflow", "standalone", "--port", str(port)], env=env, cwd=REPO,
            stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    tree: list[psutil.Process] = []
    try:
        banner = wait_for_banner(out, proc, timeout_s=180)
        base = f"http://127.0.0.1:{port}"
        assert f"Airflow is up: {base}" in banner
        health = httpx.get(f"{base}/api/v2/monitor/health", timeout=10).json()
        assert {health[c]["status"] for c in ("metadatabase", "scheduler", "dag_processor", "triggerer")} == {
            "healthy"
        }

        # The printed login is the generated one in AIRFLOW_HOME, readable by its owner only.
        password = re.search(r"login\s+admin / (\S+)", banner).group(1)
        passwords = home / "airflow" / "simple_auth_manager_passwords.json.generated"
        assert json.loads(passwords.read_text()) == {"admin": password}
        assert passwords.stat().st_mode & 0o777 == 0o600
        wrong = httpx.post(f"{base}/auth/token", json={"username": "admin", "password": password + "x"})
        assert wrong.status_code == 401
        token = httpx.post(f"{base}/auth/token", json={"username": "admin", "password": password})
        token.raise_for_status()
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}

        assert DAGS <= wait_for_dags(base, auth), (
            f"import errors: {httpx.get(f'{base}/api/v2/importErrors', headers=auth).text}"
        )  # noqa: E501
        pools = {
            p["name"]: p["slots"] for p in httpx.get(f"{base}/api/v2/pools", headers=auth).json()["pools"]
        }
        assert {k: pools.get(k) for k in ("asr", "llm", "youtube")} == {"asr": 1, "llm": 4, "youtube": 1}

        # Every page the banner lists answers 200 with a login and 401 without; a page it leaves out is
        # one the plugin does not route.
        pages = re.findall(r"page\s+(\S+)", banner)
        assert {f"{base}/ophin/", f"{base}/ophin/report"} <= set(pages)
        for url in pages:
            reply = httpx.get(url, headers=auth, timeout=120)
            assert reply.status_code == 200, f"{url}: {reply.text[:500]}"
            assert httpx.get(url, headers={"Accept": "application/json"}).status_code == 401, url
        for path in ("/ophin/review", "/ophin/report"):
            if f"{base}{path}" not in pages:
                assert httpx.get(f"{base}{path}", headers=auth).status_code == 404

        # The UI listens on 127.0.0.1 only; Airflow's metadata and the lineage schema are on the embedded
        # PostgreSQL under OPHIN_HOME, not in a SQLite file.
        binds = {c.laddr.ip for c in psutil.net_connections("inet") if c.laddr.port == port and not c.raddr}
        assert binds == {"127.0.0.1"}
        assert not list((home / "airflow").glob("*.db"))
        server = sa.engine.make_url(embedded_postgres_url(home)).set(drivername="postgresql+psycopg2")
        for database, table in (("airflow", "dag"), ("postgres", "alembic_version")):
            engine = sa.create_engine(server.set(database=database))
            with engine.connect() as conn:
                assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() >= 1, database
            engine.dispose()

        launcher = psutil.Process(proc.pid)
        tree = [launcher, *launcher.children(recursive=True)]
        assert len(tree) >= 6  # launcher, standalone, scheduler, dag-processor, api-server, triggerer
    finally:
        stopped_at = time.monotonic()
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            code = proc.wait(120)
        except subprocess.TimeoutExpired:
            for p in tree:
                with suppress(psutil.NoSuchProcess):
                    p.kill()
            raise
        finally:
            stop_embedded_postgres(home)
    stop_s = time.monotonic() - stopped_at
    assert code == 0, out.read_text(errors="replace")[-3000:]
    assert alive(tree) == []
    assert not any(listening(p) for p in (port, log_port, trigger_log_port))
    assert "stopping Airflow" in out.read_text() and stop_s < 90
