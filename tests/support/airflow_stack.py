"""A real Airflow 3 stack on 127.0.0.1 for tests and benchmarks.

api-server, scheduler, dag-processor and Celery workers (CeleryExecutor on the local Redis, results in the
Airflow metadata database), each in its own process group, AIRFLOW_HOME in a scratch directory, the repo's
dags/ and plugins/. DAGs are unpaused, triggered and watched through the REST API (/api/v2).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FINISHED = ("success", "failed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class StackConfig:
    """Where a stack keeps its state; one fresh set per stack (databases, homes, Redis db index)."""

    home: Path  # AIRFLOW_HOME; component logs under home/stack-logs
    meta_db_url: str  # postgresql+psycopg2://... Airflow's metadata (and Celery's results)
    lineage_db_url: str  # OPHIN_DB__URL
    ophin_home: Path
    redis_db: int = 11  # a dedicated Redis database index for the Celery broker; flushed on start
    redis_port: int = 6379  # the machine's Redis, or one tests/conftest.py's redis_port fixture started
    port: int = field(default_factory=free_port)
    parallelism: int = 4
    worker_concurrency: int = 1
    lease_s: int = 6
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def stack_env(cfg: StackConfig) -> dict[str, str]:
    from cryptography.fernet import Fernet

    backend = "db+" + cfg.meta_db_url.replace("postgresql+psycopg2://", "postgresql://")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPHIN_"))}
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONPATH": str(REPO),
            "AIRFLOW_HOME": str(cfg.home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(cfg.parallelism),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{cfg.base_url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": cfg.meta_db_url,
            "AIRFLOW__API__BASE_URL": cfg.base_url,
            "AIRFLOW__API__PORT": str(cfg.port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),  # shared by api-server and workers
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{cfg.redis_port}/{cfg.redis_db}",
            "AIRFLOW__CELERY__RESULT_BACKEND": backend,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(cfg.worker_concurrency),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "10",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__DAG_PROCESSOR__PRINT_STATS_INTERVAL": "300",
            # A task whose worker died is failed (then retried) after this many seconds without heartbeat.
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(cfg.home / "logs"),
            # The suite's stored Whisper answers (tests/conftest.py), when it uses them.
            **{k: v for k, v in os.environ.items() if k.startswith("OPHIN_ASR__CACHE_")},
            "OPHIN_DB__URL": cfg.lineage_db_url,
            "OPHIN_HOME": str(cfg.ophin_home),
            "OPHIN_ACQUIRE__ALLOW_FILE_URLS": "true",
            "OPHIN_LICENSE__ACCEPT_UNKNOWN": "true",  # test media states no licence
            "OPHIN_RUN__LEASE_S": str(cfg.lease_s),
            # As compose does: workers fork their tasks with the engine imported.
            "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "ophin.orchestration.celery_config.CELERY_CONFIG",
        }
    )
    env.update(cfg.extra_env)
    return env


class AirflowStack:
    """Processes of one stack and a small REST client; start() prepares the databases first."""

    def __init__(self, cfg: StackConfig) -> None:
        self.cfg = cfg
        self.env = stack_env(cfg)
        self.logs = cfg.home / "stack-logs"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._token: str | None = None
        self.timings: dict[str, float] = {}

    # --- processes -----------------------------------------------------------------------------------
    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
        proc = subprocess.Popen(
            [str(BIN / "airflow"), *args], env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        log.close()
        self.procs[name] = proc
        return proc

    def prepare(self) -> None:
        """airflow db migrate, lineage schema and pools; a fresh Redis database for the broker."""
        import redis

        self.logs.mkdir(parents=True, exist_ok=True)
        redis.Redis(host="127.0.0.1", port=self.cfg.redis_port, db=self.cfg.redis_db).flushdb()
        start = time.monotonic()
        self._check([str(BIN / "airflow"), "db", "migrate"], "db-migrate")
        # The lineage schema and the pools asr, llm, youtube, as a user does once per deployment.
        self._check([str(BIN / "ophin"), "airflow", "init"], "ophin-airflow-init")
        self.timings["prepare_s"] = time.monotonic() - start

    def _check(self, cmd: list[str], name: str) -> None:
        done = subprocess.run(cmd, env=self.env, cwd=REPO, capture_output=True, text=True, timeout=300)
        (self.logs / f"{name}.log").write_text(done.stdout + done.stderr)
        if done.returncode:
            raise RuntimeError(f"{' '.join(cmd[1:])} exited {done.returncode}:\n{done.stderr[-4000:]}")

    def start(self, workers: int = 1, timeout_s: float = 120) -> None:
        start = time.monotonic()
        self._spawn("api-server", "api-server", "-H", "127.0.0.1", "--port", str(self.cfg.port), "-w", "1")
        self._spawn("scheduler", "scheduler", "--skip-serve-logs")
        self._spawn("dag-processor", "dag-processor")
        for i in range(1, workers + 1):
            self.start_worker(f"worker{i}")
        self.wait_healthy(timeout_s)
        self.timings["start_s"] = time.monotonic() - start

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        return self._spawn(
            name, "celery", "worker", "-q", "default,gpu", "-c", str(self.cfg.worker_concurrency),
            "-H", f"{name}@ophin", "--skip-serve-logs", "--without-gossip", "--without-mingle",
        )  # fmt: skip

    def kill_tree(self, name: str) -> list[int]:
        """SIGKILL a component: its process group and every descendant, which Airflow's task supervisor
        puts in a process group of its own (killpg of the worker's group alone leaves the task running)."""
        proc = self.procs.pop(name)
        pids = [proc.pid]
        with suppress(psutil.NoSuchProcess):
            pids += [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
        for pid in pids:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait()
        return pids

    def stop(self, grace_s: float = 20) -> None:
        for proc in self.procs.values():
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for name, proc in list(self.procs.items()):
            try:
                proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.kill_tree(name)
        self.procs.clear()

    def alive(self) -> dict[str, int | None]:
        return {name: proc.poll() for name, proc in self.procs.items()}

    # --- REST ---------------------------------------------------------------------------------------
    def _password(self) -> str:
        path = self.cfg.home / "simple_auth_manager_passwords.json.generated"
        return str(json.loads(path.read_text())["admin"])

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._token is None:
            reply = httpx.post(
                f"{self.cfg.base_url}/auth/token", json={"username": "admin", "password": self._password()}
            )
            reply.raise_for_status()
            self._token = reply.json()["access_token"]
        headers = {"Authorization": f"Bearer {self._token}"}
        url = f"{self.cfg.base_url}/api/v2{path}"
        reply = httpx.request(method, url, headers=headers, timeout=30, **kwargs)
        reply.raise_for_status()
        return reply.json() if reply.content else None

    def wait_healthy(self, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        last: Any = None
        while time.monotonic() < deadline:
            self._assert_running()
            with suppress(httpx.HTTPError, ValueError):
                last = httpx.get(f"{self.cfg.base_url}/api/v2/monitor/health", timeout=5).json()
                if all(last.get(c, {}).get("status") == "healthy" for c in ("scheduler", "dag_processor")):
                    return last
            time.sleep(0.5)
        raise TimeoutError(f"stack not healthy after {timeout_s} s: {last}")

    def _assert_running(self) -> None:
        dead = {n: rc for n, rc in self.alive().items() if rc is not None}
        if dead:
            raise RuntimeError(f"stack components exited: {dead}")

    def wait_dag(self, dag_id: str, timeout_s: float = 120) -> dict[str, Any]:
        """Wait until the dag-processor has parsed dag_id, then unpause it."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._assert_running()
            try:
                return self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
            except httpx.HTTPStatusError as error:
                if error.response.status_code != 404:
                    raise
            time.sleep(1)
        raise TimeoutError(f"{dag_id} not parsed after {timeout_s} s; import errors: {self.import_errors()}")

    def import_errors(self) -> list[dict[str, Any]]:
        return list(self.api("GET", "/importErrors")["import_errors"])

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        run = self.api("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})
        return str(run["dag_run_id"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def wait_run(self, dag_id: str, run_id: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            if state in FINISHED:
                return state
            time.sleep(1)
        raise TimeoutError(f"{dag_id} {run_id} still {self.run_state(dag_id, run_id)} after {timeout_s} s")

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
        return list(self.api("GET", path, params={"limit": 1000})["task_instances"])

    # --- diagnostics --------------------------------------------------------------------------------
    def dump_logs(self, lines: int = 60) -> str:
        """Tails of every component log, then of every task attempt that logged an error."""
        parts = [f"==== {p.name} ====\n" + _tail(p, lines) for p in sorted(self.logs.glob("*.log"))]
        for path in sorted((self.cfg.home / "logs").rglob("attempt=*.log")):
            text = path.read_text(errors="replace")
            if '"level":"error"' in text or '"level":"critical"' in text:
                name = path.relative_to(self.cfg.home / "logs")
                parts.append(f"==== task {name} ====\n" + _tail(path, lines))
        return "\n".join(parts)


def _tail(path: Path, lines: int) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def running_stack(cfg: StackConfig, workers: int = 1, *, keep_home: bool = True) -> Iterator[AirflowStack]:
    """Prepare and start a stack; on the way out stop it (SIGTERM, then SIGKILL) and print its logs if the
    body raised."""
    stack = AirflowStack(cfg)
    try:
        stack.prepare()
        stack.start(workers)
        yield stack
    except BaseException:
        print(stack.dump_logs(), file=sys.stderr)
        raise
    finally:
        stack.stop()
        if not keep_home:
            shutil.rmtree(cfg.home, ignore_errors=True)


def stack_config(root: Path, make_database: Callable[..., str], **kwargs: Any) -> StackConfig:
    """A config on fresh databases (make_database: tests/conftest.py's factory) and homes under root.

    The lineage database is left empty: `ophin airflow init` migrates it, as a user would.
    """
    return StackConfig(
        home=root / "airflow",
        meta_db_url=make_database(migrate=False),
        lineage_db_url=make_database(migrate=False),
        ophin_home=root / "ophin_home",
        **kwargs,
    )
