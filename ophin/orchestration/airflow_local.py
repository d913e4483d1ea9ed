"""`ophin airflow standalone`: Airflow's standalone mode on a laptop, with this repository's DAGs and plugin.

Airflow runs as a subprocess (`airflow standalone`), so the engine never imports it. Everything lives under
OPHIN_HOME: AIRFLOW_HOME is OPHIN_HOME/airflow, and Airflow's metadata is a database `airflow` on the same
PostgreSQL server as the lineage database (the embedded one when OPHIN_DB__URL is unset). Not SQLite: the
server is running anyway, and the scheduler, dag-processor, triggerer and api-server write to the metadata
at once while ophin_process maps up to 256 task instances, which SQLite serialises ("database is locked").
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from ophin.settings import Settings

REPO = Path(__file__).resolve().parents[2]
USER = "admin"  # role admin (simple auth manager's "user:role")
META_DATABASE = "airflow"
# Plugin pages (ophin_lineage.py) the banner lists when the api-server serves them.
PAGES = (("/ophin/", "lineage: search by any id, recent task instances"),
         ("/ophin/review", "review: label sampled records"),
         ("/ophin/report", "quality report"))  # fmt: skip
# Settings the banner and the health check rely on: not overridable from the environment.
FIXED = (
    "AIRFLOW__API__HOST", "AIRFLOW__API__PORT", "AIRFLOW__API__BASE_URL", "AIRFLOW__CORE__DAGS_FOLDER",
    "AIRFLOW__CORE__PLUGINS_FOLDER", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS",
    "AIRFLOW__CORE__AUTH_MANAGER", "AIRFLOW__CORE__EXECUTOR",
)  # fmt: skip


@dataclass(frozen=True)
class LocalAirflow:
    """Where one laptop Airflow lives and how it is reached."""

    home: Path  # AIRFLOW_HOME
    host: str
    port: int
    dags: Path = REPO / "dags"
    plugins: Path = REPO / "plugins"

    @property
    def url(self) -> str:
        return f"http://{_loopback(self.host)}:{self.port}"

    @property
    def password_file(self) -> Path:
        return self.home / "simple_auth_manager_passwords.json.generated"

    @property
    def log_file(self) -> Path:
        return self.home / "standalone.log"


def _loopback(host: str) -> str:
    """The address a local client uses to reach a server bound to host."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::", "[::]") else host  # noqa: S104 - compared, not bound


def metadata_url(lineage_url: str) -> str:
    """The URL of the `airflow` database beside the lineage database, created when missing."""
    import sqlalchemy as sa

    lineage = sa.engine.make_url(lineage_url)
    if lineage.database == META_DATABASE:
        raise RuntimeError(
            f"the lineage database is named {META_DATABASE!r}, the name Airflow's metadata would take: "
            "set AIRFLOW__DATABASE__SQL_ALCHEMY_CONN to another database"
        )
    engine = sa.create_engine(lineage, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            found = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": META_DATABASE}
            )
            if found.first() is None:
                conn.execute(sa.text(f'CREATE DATABASE "{META_DATABASE}"'))
    finally:
        engine.dispose()
    url = lineage.set(drivername="postgresql+psycopg2", database=META_DATABASE)
    return url.render_as_string(hide_password=False)


def airflow_env(
    local: LocalAirflow, *, ophin_home: Path, lineage_url: str, meta_url: str, base: Mapping[str, str]
) -> dict[str, str]:
    """The environment `airflow standalone` and its components run with.

    base (the caller's environment) keeps every OPHIN_* variable, so DAG tasks and the plugin see the CLI's
    settings, and may override any AIRFLOW__* default here except those in FIXED.
    """
    ours = {
        "AIRFLOW_HOME": str(local.home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(local.dags),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(local.plugins),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(local.password_file),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        # LocalExecutor starts `parallelism` workers (32 by default): a laptop needs a few.
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{local.url}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta_url,
        "AIRFLOW__API__HOST": local.host,
        "AIRFLOW__API__PORT": str(local.port),
        "AIRFLOW__API__BASE_URL": local.url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",  # a new file in dags/ shows within half a minute
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(local.home / "logs"),
    }
    env = {k: v for k, v in base.items() if k != "AIRFLOW_CONFIG"}
    env.update({k: v for k, v in ours.items() if k in FIXED or k not in base})
    # DAG tasks resolve the same lineage database and object store as this CLI, however it was given.
    env.update({"OPHIN_HOME": str(ophin_home), "OPHIN_DB__URL": lineage_url})
    # `airflow standalone` starts its components as `airflow ...` from PATH: the same installation first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), base.get("PATH", os.defpath)])
    return env


def ensure_password(path: Path, user: str = USER) -> str:
    """The user's password in the simple auth manager's file: kept when there, else generated, never fixed."""
    try:
        passwords = json.loads(path.read_text() or "{}") if path.exists() else {}
    except json.JSONDecodeError:
        passwords = None
    if not isinstance(passwords, dict):
        raise RuntimeError(f"{path} is not a JSON object of user: password; remove it for a new password")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)  # before the password is written: the file may predate this command
    if not passwords.get(user):
        passwords[user] = secrets.token_urlsafe(12)
        path.write_text(json.dumps(passwords) + "\n")
    return str(passwords[user])


def airflow_command() -> str:
    here = Path(sys.executable).parent / "airflow"
    found = str(here) if here.exists() else shutil.which("airflow")
    if not found:
        raise FileNotFoundError("no `airflow` command: install the extra, pip install -e '.[airflow]'")
    return found


@contextmanager
def _environ(env: Mapping[str, str]) -> Iterator[None]:
    """os.environ replaced for the block (init_airflow runs `airflow pools import` with it)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def prepare(settings: Settings, env: Mapping[str, str], airflow: str) -> None:
    """Airflow's metadata at head, then `ophin airflow init`'s work: lineage schema and pools."""
    from ophin.orchestration.airflow_init import init_airflow

    done = subprocess.run(  # noqa: S603 - the airflow CLI's argv, no shell
        [airflow, "db", "migrate"], env=dict(env), capture_output=True, text=True
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"`airflow db migrate` failed ({done.returncode}): {tail[0]}")
    with _environ(env):
        init_airflow(settings, airflow=airflow)


def health(url: str) -> dict[str, object] | None:
    with suppress(urllib.error.URLError, OSError, ValueError):
        with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as reply:  # noqa: S310 - http://
            return json.loads(reply.read())
    return None


def is_healthy(report: Mapping[str, object] | None) -> bool:
    parts = ("metadatabase", "scheduler", "dag_processor", "triggerer")
    return bool(report) and all(
        isinstance(report.get(p), dict) and report[p].get("status") == "healthy"  # type: ignore[union-attr]
        for p in parts
    )


def served_pages(url: str) -> list[tuple[str, str]]:
    """The plugin pages this api-server routes: asked without a login, a route says 401, a missing one 404."""
    found = []
    for path, what in PAGES:
        request = urllib.request.Request(url + path, headers={"Accept": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - http:// to our own server
                status = 200
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError):
            continue
        if status != 404:
            found.append((url + path, what))
    return found


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`airflow standalone` exited ({proc.returncode}) before it was healthy")
        last = health(url)
        if is_healthy(last):
            return
        time.sleep(1)
    raise TimeoutError(f"Airflow not healthy after {timeout_s:.0f} s: {last}")


def start(local: LocalAirflow, env: Mapping[str, str], airflow: str) -> subprocess.Popen[bytes]:
    """`airflow standalone` in a session of its own: Ctrl-C reaches this process, which stops it in order."""
    local.home.mkdir(parents=True, exist_ok=True)
    with open(local.log_file, "ab") as log:
        return subprocess.Popen(  # noqa: S603 - the airflow CLI's argv, no shell
            [airflow, "standalone"], env=dict(env), cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip


def stop(proc: subprocess.Popen[bytes], grace_s: float = 30, kill_after_s: float = 10) -> None:
    """SIGINT to standalone (it terminates its components and waits), then whatever is left of its tree:
    SIGTERM, and SIGKILL kill_after_s later."""
    import psutil  # an Airflow dependency, present wherever `airflow` is

    tree: list[psutil.Process] = []
    with suppress(psutil.NoSuchProcess):
        tree = psutil.Process(proc.pid).children(recursive=True)  # tasks run in process groups of their own
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(grace_s)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        deadline = time.monotonic() + kill_after_s
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        left = [p for p in tree if _running(p)]
        for p in left:
            with suppress(psutil.NoSuchProcess):
                p.send_signal(sig)
        psutil.wait_procs(left, timeout=kill_after_s)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(max(deadline - time.monotonic(), 0.1))
    proc.wait()


def _running(process: object) -> bool:
    """Alive and not a zombie (one its new parent has yet to reap is gone for our purposes)."""
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE  # type: ignore[attr-defined]
    except psutil.NoSuchProcess:
        return False


def serve(
    settings: Settings, *, host: str, port: int, say: Callable[[str], None], timeout_s: float = 300
) -> int:
    """Prepare, start, print the URL, login and pages, then run until Ctrl-C or SIGTERM; the exit code."""
    from ophin.db.session import database_url

    ophin_home = settings.home_dir
    local = LocalAirflow(home=ophin_home / "airflow", host=host, port=port)
    for folder in (local.dags, local.plugins):
        if not folder.is_dir():
            raise FileNotFoundError(
                f"no {folder.name}/ folder at {folder}: run from a clone of the repository"
            )
    airflow = airflow_command()
    lineage_url = database_url(settings)
    meta_url = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") or metadata_url(lineage_url)
    env = airflow_env(
        local, ophin_home=ophin_home, lineage_url=lineage_url, meta_url=meta_url, base=os.environ
    )
    password = ensure_password(local.password_file)
    say(f"preparing Airflow in {local.home} (metadata migrated, lineage schema, pools)")
    prepare(settings, env, airflow)
    for sig in (signal.SIGTERM, signal.SIGHUP):  # `kill`, a closed terminal: stop Airflow as Ctrl-C does
        signal.signal(sig, _interrupt)
    proc = start(local, env, airflow)
    try:
        wait_healthy(local.url, proc, timeout_s)
        for line in banner(local, password, served_pages(local.url), embedded=not settings.db.url):
            say(line)
        code = proc.wait()
        say(_tail(local.log_file) + f"\n`airflow standalone` exited ({code})")
        return code or 1
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, TimeoutError) as exc:
        say(_tail(local.log_file) + f"\n{exc}")
        return 1
    finally:
        say("stopping Airflow")
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # a second Ctrl-C must not halve the stop
            signal.signal(sig, signal.SIG_IGN)
        stop(proc)


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def banner(local: LocalAirflow, password: str, pages: list[tuple[str, str]], *, embedded: bool) -> list[str]:
    lines = [
        f"Airflow is up: {local.url}",
        f"  login   {USER} / {password}   (kept in {local.password_file})",
        f"  DAGs    {local.dags}   plugins {local.plugins}",
    ]
    lines += [f"  page    {url}   {what}" for url, what in pages]
    lines.append(f"  logs    {local.log_file}")
    kept = "; the embedded PostgreSQL keeps running (`make clean` stops it)" if embedded else ""
    lines.append(f"Ctrl-C stops Airflow{kept}.")
    return lines
