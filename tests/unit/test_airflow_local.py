"""ophin.orchestration.airflow_local without Airflow: the environment standalone gets, the generated
login, the health verdict, the page probe (against a real HTTP server) and the refusals."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil
import pytest

from ophin.orchestration.airflow_local import (
    REPO,
    LocalAirflow,
    airflow_env,
    banner,
    ensure_password,
    is_healthy,
    metadata_url,
    prepare,
    served_pages,
    stop,
    wait_healthy,
)
from ophin.settings import Settings

LINEAGE = "postgresql://postgres:@/postgres?host=/tmp/x/pgdata"
META = "postgresql+psycopg2://postgres:@/airflow?host=/tmp/x/pgdata"


def env_for(base: dict[str, str], host: str = "127.0.0.1", port: int = 8080) -> dict[str, str]:
    local = LocalAirflow(home=Path("/h/airflow"), host=host, port=port)
    return airflow_env(local, ophin_home=Path("/h"), lineage_url=LINEAGE, meta_url=META, base=base)


def test_airflow_env_points_airflow_at_the_repo_and_the_engine_homes() -> None:
    env = env_for({"PATH": "/usr/bin", "OPHIN_LLM__BASE_URL": "http://127.0.0.1:8011/v1"}, port=18080)
    assert env["AIRFLOW_HOME"] == "/h/airflow"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(REPO / "dags")
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == str(REPO / "plugins")
    assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__CORE__PARALLELISM"] == "4"
    assert env["AIRFLOW__API__WORKERS"] == "1"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == META
    assert (env["AIRFLOW__API__HOST"], env["AIRFLOW__API__PORT"]) == ("127.0.0.1", "18080")
    assert env["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:18080"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:18080/execution/"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == (
        "/h/airflow/simple_auth_manager_passwords.json.generated"
    )
    # DAG tasks and the plugin: the CLI's settings, the same lineage database and object store.
    assert (env["OPHIN_HOME"], env["OPHIN_DB__URL"]) == ("/h", LINEAGE)
    assert env["OPHIN_LLM__BASE_URL"] == "http://127.0.0.1:8011/v1"
    # standalone starts `airflow ...` from PATH: this installation's first.
    assert env["PATH"].split(":")[:2] == [str(Path(sys.executable).parent), "/usr/bin"]


def test_airflow_env_lets_the_user_tune_but_not_move_what_the_banner_prints() -> None:
    env = env_for(
        {
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql://elsewhere/meta",
            "AIRFLOW__CORE__DAGS_FOLDER": "/somewhere/else",
            "AIRFLOW__API__PORT": "9999",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "bob:viewer",
            "AIRFLOW_CONFIG": "/etc/other-airflow.cfg",
            "OPHIN_HOME": "relative/home",
        }
    )
    assert env["AIRFLOW__CORE__PARALLELISM"] == "8"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "postgresql://elsewhere/meta"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(REPO / "dags")
    assert env["AIRFLOW__API__PORT"] == "8080"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
    assert "AIRFLOW_CONFIG" not in env  # another installation's airflow.cfg would move the home
    assert env["OPHIN_HOME"] == "/h"  # resolved: tasks run with another working directory


def test_airflow_env_on_every_interface_is_reached_through_loopback() -> None:
    env = env_for({}, host="0.0.0.0")  # noqa: S104 - the case under test
    assert env["AIRFLOW__API__HOST"] == "0.0.0.0"  # noqa: S104
    assert env["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:8080"


def test_ensure_password_generates_once_keeps_it_and_hides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "airflow" / "passwords.json"
    first = ensure_password(path)
    assert len(first) >= 16 and json.loads(path.read_text()) == {"admin": first}
    assert path.stat().st_mode & 0o777 == 0o600
    assert ensure_password(path) == first
    assert ensure_password(tmp_path / "other.json") != first  # generated, never a fixed password


def test_ensure_password_fills_a_missing_or_empty_entry_and_keeps_other_users(tmp_path: Path) -> None:
    path = tmp_path / "passwords.json"
    path.write_text(json.dumps({"bob": "b0b-secret", "admin": ""}))
    path.chmod(0o644)
    password = ensure_password(path)
    assert password and json.loads(path.read_text()) == {"bob": "b0b-secret", "admin": password}
    assert path.stat().st_mode & 0o777 == 0o600


HEALTHY = {c: {"status": "healthy"} for c in ("metadatabase", "scheduler", "dag_processor", "triggerer")}


def test_is_healthy_needs_every_component() -> None:
    assert is_healthy(HEALTHY)
    assert not is_healthy(None)
    assert not is_healthy({**HEALTHY, "triggerer": {"status": "unhealthy"}})
    assert not is_healthy({**HEALTHY, "dag_processor": {"status": None}})
    assert not is_healthy({k: v for k, v in HEALTHY.items() if k != "scheduler"})


@pytest.fixture
def plugin_server() -> Iterator[str]:
    """Answers as Airflow's api-server does without a login: 401 on a routed page, 404 elsewhere."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(401 if self.path in ("/ophin/", "/ophin/report") else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_served_pages_lists_the_routed_pages_only(plugin_server: str) -> None:
    pages = [url for url, _ in served_pages(plugin_server)]
    assert pages == [f"{plugin_server}/ophin/", f"{plugin_server}/ophin/report"]


def test_served_pages_of_a_server_that_is_gone_is_empty() -> None:
    assert served_pages("http://127.0.0.1:9") == []  # discard port: nothing listens


def test_banner_prints_url_login_pages_and_says_who_keeps_postgres(tmp_path: Path) -> None:
    local = LocalAirflow(home=tmp_path / "airflow", host="127.0.0.1", port=8080)
    pages = [("http://127.0.0.1:8080/ophin/", "lineage")]
    lines = banner(local, "s3cret", pages, embedded=True)
    assert lines[0] == "Airflow is up: http://127.0.0.1:8080"
    assert any(line.split()[:4] == ["login", "admin", "/", "s3cret"] for line in lines)
    assert any(line.split()[:2] == ["page", "http://127.0.0.1:8080/ophin/"] for line in lines)
    assert "embedded PostgreSQL keeps running" in lines[-1]
    assert "embedded" not in banner(local, "s3cret", pages, embedded=False)[-1]


def test_metadata_url_refuses_to_share_the_lineage_database() -> None:
    with pytest.raises(RuntimeError, match="named 'airflow'"):
        metadata_url("postgresql://postgres:@/airflow?host=/tmp/x")


def test_ensure_password_refuses_a_file_that_is_not_a_json_object(tmp_path: Path) -> None:
    for text in ("{not json", '["admin"]'):
        path = tmp_path / "passwords.json"
        path.write_text(text)
        with pytest.raises(RuntimeError, match="remove it for a new password"):
            ensure_password(path)
        assert path.read_text() == text  # left as it was


def test_prepare_stops_when_airflow_db_migrate_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"`airflow db migrate` failed \(1\)"):
        prepare(Settings(home=tmp_path), {"PATH": "/usr/bin:/bin"}, "/bin/false")


def test_wait_healthy_refuses_a_standalone_that_exited_and_one_that_never_answers() -> None:
    gone = subprocess.Popen(["true"])  # noqa: S607
    gone.wait()
    with pytest.raises(RuntimeError, match=r"exited \(0\) before it was healthy"):
        wait_healthy("http://127.0.0.1:9", gone, timeout_s=5)
    running = subprocess.Popen(["sleep", "30"])  # noqa: S607
    try:
        with pytest.raises(TimeoutError, match="not healthy after 1 s"):
            wait_healthy("http://127.0.0.1:9", running, timeout_s=1)
    finally:
        running.kill()
        running.wait()


# A parent that ignores SIGINT and SIGTERM, with a child in a session of its own (as Airflow's task
# supervisor puts tasks in their own process groups): stop() must still leave nothing running.
STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)
print(child.pid, flush=True)
time.sleep(300)
"""


def test_stop_leaves_no_process_of_the_tree_even_one_in_another_session() -> None:
    proc = subprocess.Popen([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, start_new_session=True)
    child = psutil.Process(int(proc.stdout.readline()))
    stop(proc, grace_s=1, kill_after_s=1)
    assert proc.returncode is not None
    with contextlib.suppress(psutil.NoSuchProcess):
        assert child.status() == psutil.STATUS_ZOMBIE or not child.is_running()
    proc.stdout.close()
