"""The production compose stack: accepted by Compose, secrets only from .env, every service supervised.

No Docker engine runs here: Compose 1.29's own validator checks the file (`docker-compose config`), the rest
reads the YAML as Compose would (PyYAML, merge keys resolved) and runs the stack's shell scripts for real.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
INIT_SECRETS = ROOT / "docker" / "init-secrets.sh"
ONE_SHOTS = {"minio-init", "airflow-init"}
WORKERS = {"airflow-worker", "airflow-worker-gpu"}

needs_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="docker-compose not installed (make system-deps)"
)

# Environment names that hold a secret; an access key id or a user name is an identifier, not one.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|JWT|TOKEN|API_KEY|_AUTH$", re.IGNORECASE)
# A reference to a variable, with an optional `:?message` (required) or an empty `:-` default.
REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::\?[^}]*|:-)?\}")
URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^:/@\s]*:([^@\s]*)@", re.IGNORECASE)
SECRET_FLAG = re.compile(r"--(?:requirepass|password|secret|pass)[= ](\$\{[^}]*\}|\S+)")


def literal_secrets(compose: dict[str, Any]) -> list[str]:
    """Every place in a parsed compose file where a secret is written out instead of read from .env."""
    found: list[str] = []

    def is_reference(value: str) -> bool:
        return REFERENCE.fullmatch(value.strip().strip("\"'")) is not None

    def check_string(where: str, value: str) -> None:
        for match in URL_PASSWORD.finditer(value):
            if match.group(1) and not is_reference(match.group(1)):
                found.append(f"{where}: password in URL {match.group(0)!r}")
        for match in SECRET_FLAG.finditer(value):
            if not is_reference(match.group(1)):
                found.append(f"{where}: secret on the command line {match.group(0)!r}")

    def check_pair(where: str, name: str, value: Any) -> None:
        if value is None:  # `- NAME` alone passes the host's variable through
            return
        # NAME_FILE is the path of a secret (the auth manager's passwords file), not the secret.
        if SECRET_NAME.search(name) and not name.endswith("_FILE") and not is_reference(str(value)):
            found.append(f"{where}: {name} is a literal {str(value)[:12]!r}")

    def walk(where: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                here = f"{where}.{key}"
                if isinstance(value, (dict, list)):
                    walk(here, value)
                else:
                    check_pair(here, str(key), value)
                    if isinstance(value, str):
                        check_string(here, value)
        elif isinstance(node, list):
            joined = " ".join(str(item) for item in node if not isinstance(item, (dict, list)))
            check_string(where, joined)
            for item in node:
                if isinstance(item, str) and "=" in item and not item.startswith("-"):
                    name, _, value = item.partition("=")
                    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                        check_pair(where, name, value)
                elif isinstance(item, (dict, list)):
                    walk(where, item)

    walk("", compose)
    return found


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {k: str(v) for k, v in env.items()}


def _run_init_secrets(env_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(INIT_SECRETS), str(env_file)], capture_output=True, text=True, check=True
    )


def _read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and line[0] != "#")
    return {k: v for k, v in pairs}


def _generated_names() -> list[str]:
    return re.findall(r"^ensure ([A-Z0-9_]+) ", INIT_SECRETS.read_text(), flags=re.MULTILINE)


def _compose_config(env_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Only the env file: a variable in the caller's shell must not mask a missing one.
    env = {"PATH": os.environ["PATH"], "HOME": str(env_file.parent)}
    return subprocess.run(
        ["docker-compose", "--env-file", str(env_file), "-f", str(COMPOSE), *args],
        capture_output=True,
        text=True,
        env=env,
    )


# --- Compose accepts it ---------------------------------------------------------------------------------


@needs_compose
def test_compose_file_is_accepted_by_compose_with_generated_env(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    _run_init_secrets(env_file)
    assert _compose_config(env_file, "config", "-q").returncode == 0
    out = _compose_config(env_file, "--profile", "gpu", "config", "--services")
    assert out.returncode == 0, out.stderr
    assert {
        "postgres",
        "redis",
        "minio",
        "minio-init",
        "airflow-init",
        "airflow-api-server",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
        "airflow-worker-gpu",
    } <= set(out.stdout.split())


@needs_compose
def test_compose_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    empty = tmp_path / ".env"
    empty.write_text("")
    out = _compose_config(empty, "config", "-q")
    assert out.returncode != 0
    assert "init-secrets.sh" in out.stderr


def test_every_required_variable_is_generated_or_set_in_env_example(tmp_path: Path) -> None:
    required = set(re.findall(r"\$\{([A-Za-z0-9_]+):\?", COMPOSE.read_text()))
    env_file = tmp_path / ".env"
    _run_init_secrets(env_file)
    values = _read_env(env_file)
    assert required, "compose requires no variable at all?"
    assert {name for name in required if not values.get(name)} == set()


# --- secrets ----------------------------------------------------------------------------------------------


def test_compose_has_no_literal_secret(compose: dict[str, Any]) -> None:
    assert literal_secrets(compose) == []


def test_literal_secret_check_refuses_a_compose_with_hard_coded_secrets() -> None:
    bad = yaml.safe_load(
        """
services:
  api:
    environment:
      AIRFLOW__API_AUTH__JWT_SECRET: change-me-in-production
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: postgresql+psycopg2://airflow:airflow@postgres/airflow
      OPHIN_STORE__SECRET_KEY: ${OPHIN_S3_SECRET_KEY:-ophin-secret}
  db:
    environment:
      - POSTGRES_PASSWORD=ophin
  redis:
    command: ["redis-server", "--requirepass", "hunter2"]
"""
    )
    found = literal_secrets(bad)
    assert len(found) == 5, found
    for where in (
        "JWT_SECRET",
        "SQL_ALCHEMY_CONN",
        "OPHIN_STORE__SECRET_KEY",
        "POSTGRES_PASSWORD",
        "requirepass",
    ):
        assert any(where in item for item in found), (where, found)
    good = yaml.safe_load(
        """
services:
  api:
    environment:
      AIRFLOW__API_AUTH__JWT_SECRET: ${AIRFLOW_JWT_SECRET:?run init-secrets}
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: postgresql+psycopg2://airflow:${PW:?x}@postgres/airflow
      MINIO_ROOT_USER: ${MINIO_ROOT_USER:-minio-root}
  redis:
    command: ["redis-server", "--requirepass", "${REDIS_PASSWORD:?x}"]
"""
    )
    assert literal_secrets(good) == []


def test_env_example_holds_no_secret_value() -> None:
    example = _read_env(ROOT / ".env.example")
    for name in _generated_names():
        assert example.get(name, "") == "", f"{name} has a value in .env.example"


def test_init_secrets_generates_a_valid_fernet_key_and_jwt_secret(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    _run_init_secrets(env_file)
    values = _read_env(env_file)
    Fernet(values["AIRFLOW_FERNET_KEY"].encode())  # raises on a key that is not 32 url-safe base64 bytes
    assert re.fullmatch(r"[0-9a-f]{64}", values["AIRFLOW_JWT_SECRET"])
    secrets = [values[name] for name in _generated_names()]
    assert all(secrets) and len(set(secrets)) == len(secrets)
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_init_secrets_is_idempotent_and_keeps_values_already_set(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("AIRFLOW_JWT_SECRET=mine-already\nPOSTGRES_PASSWORD=\nOTHER=kept # as written\n")
    _run_init_secrets(env_file)
    first = env_file.read_text()
    values = _read_env(env_file)
    assert values["AIRFLOW_JWT_SECRET"] == "mine-already"
    assert values["POSTGRES_PASSWORD"] and values["AIRFLOW_FERNET_KEY"]
    assert "OTHER=kept # as written" in first
    assert first.count("POSTGRES_PASSWORD=") == 1
    # An .env written before some setting existed still gets every variable compose requires.
    required = set(re.findall(r"\$\{([A-Za-z0-9_]+):\?", COMPOSE.read_text()))
    assert {name for name in required if not values.get(name)} == set()
    again = _run_init_secrets(env_file)
    assert env_file.read_text() == first
    assert "nothing changed" in again.stdout


def test_airflow_components_share_the_same_secrets_and_executor(services: dict[str, Any]) -> None:
    airflow = {name: _env(svc) for name, svc in services.items() if name.startswith("airflow-")}
    assert set(airflow) >= {"airflow-api-server", "airflow-scheduler", "airflow-dag-processor"} | WORKERS
    for key, variable in [
        ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW_FERNET_KEY"),
        ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW_JWT_SECRET"),
        ("AIRFLOW__API__SECRET_KEY", "AIRFLOW_API_SECRET_KEY"),
    ]:
        values = {env.get(key) for env in airflow.values()}
        assert len(values) == 1 and values.pop().startswith("${" + variable + ":?"), key
    for name, env in airflow.items():
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://"), name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-api-server:8080/execution/"
        # Airflow's metadata and the engine's lineage live in different databases, as different roles.
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@postgres:5432/airflow")
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].split("://")[1].startswith("airflow:")
        assert env["OPHIN_DB__URL"].endswith("@postgres:5432/ophin")
        assert env["OPHIN_DB__URL"].split("://")[1].startswith("ophin:")
        # The engine's scoped MinIO key, not root's.
        assert "MINIO_ROOT" not in env["OPHIN_STORE__SECRET_KEY"]
        assert env["OPHIN_STORE__SECRET_KEY"].startswith("${OPHIN_S3_SECRET_KEY:?")


# --- services ---------------------------------------------------------------------------------------------


def test_every_long_running_service_has_a_healthcheck_and_a_restart_policy(services: dict[str, Any]) -> None:
    one_shots = {name for name, svc in services.items() if str(svc.get("restart", "no")) == "no"}
    assert one_shots == ONE_SHOTS
    for name, svc in services.items():
        if name in ONE_SHOTS:
            continue
        check = svc.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert svc["restart"] in {"always", "unless-stopped", "on-failure"}, name
    # Whatever needs the init jobs waits for their success, not just their start.
    for name, svc in services.items():
        for dep, cond in (svc.get("depends_on") or {}).items():
            if dep in ONE_SHOTS:
                assert cond["condition"] == "service_completed_successfully", (name, dep)


def test_images_are_pinned(services: dict[str, Any]) -> None:
    for name, svc in services.items():
        image = svc.get("image", "")
        if "build" in svc:  # the project's own image, tagged by OPHIN_IMAGE
            continue
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest", f"{name}: {image} is not pinned"
    assert re.fullmatch(r"minio/minio:RELEASE\.[0-9TZ-]+", services["minio"]["image"])
    assert re.fullmatch(r"minio/mc:RELEASE\.[0-9TZ-]+", services["minio-init"]["image"])


def test_workers_scale_and_listen_on_their_queues(services: dict[str, Any]) -> None:
    for name in WORKERS:
        svc = services[name]
        assert "container_name" not in svc, name
        for port in svc.get("ports") or []:  # a host port would collide between replicas
            assert ":" not in str(port), (name, port)
        assert "airflow celery worker" in " ".join(svc["command"]), name
    cpu = " ".join(services["airflow-worker"]["command"])
    assert "--queues" in cpu and _env(services["airflow-worker"])["AIRFLOW_CPU_WORKER_QUEUES"].endswith(
        ":-default,gpu}"
    )
    gpu = services["airflow-worker-gpu"]
    assert "--queues gpu " in " ".join(gpu["command"])
    assert gpu["profiles"] == ["gpu"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["capabilities"] == ["gpu"]
    assert _env(gpu)["OPHIN_ASR__DEVICE"] == "cuda"
    assert gpu["build"]["target"] == "gpu"


def test_airflow_services_share_logs_and_mount_dags_and_plugins(services: dict[str, Any]) -> None:
    for name, svc in services.items():
        if not name.startswith("airflow-"):
            continue
        env = _env(svc)
        mounts = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"]}
        assert mounts.get("/opt/airflow/logs") == "airflow-logs", name
        assert mounts.get(env["AIRFLOW__CORE__DAGS_FOLDER"]) == "./dags", name
        assert mounts.get(env["AIRFLOW__CORE__PLUGINS_FOLDER"]) == "./plugins", name
        assert env["AIRFLOW__LOGGING__BASE_LOG_FOLDER"] == "/opt/airflow/logs", name
    assert services["airflow-api-server"]["command"][:2] == ["airflow", "api-server"]
    init = " ".join(services["airflow-init"]["command"])
    assert "airflow db migrate" in init and "ophin airflow init" in init


def test_image_runs_as_non_root_user_50000(services: dict[str, Any]) -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"useradd[^\n]*--uid 50000[^\n]* ophin\b", text)
    user: dict[str, str] = {}
    stage = ""
    for line in text.splitlines():
        if m := re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE):
            stage = m.group(2) or m.group(1)
            user[stage] = user.get(m.group(1), "root")
        elif m := re.match(r"USER\s+(\S+)", line, re.IGNORECASE):
            user[stage] = m.group(1)
    for target in ("cpu", "gpu"):
        assert user[target].split(":")[0] not in {"root", "0"}, target
    assert stage == "cpu", "the default (last) stage is the CPU image"
    for name, svc in services.items():
        if "build" in svc:
            assert str(svc.get("user", "50000")).split(":")[0] not in {"root", "0"}, name


def test_postgres_init_gives_each_service_its_own_role_and_database() -> None:
    # A cluster of its own: the roles are cluster-wide, and the machine's Postgres is shared by other tests.
    pgserver = pytest.importorskip("pgserver")
    bindir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    if not (bindir / "psql").exists():
        pytest.skip("pgserver ships no psql")
    # Outside pytest's basetemp (a concurrent pytest may prune it) and short (the socket path has a limit).
    data = Path(tempfile.mkdtemp(prefix="ophin-pg-"))
    server = pgserver.get_server(data, cleanup_mode="stop")
    try:
        env = {
            **os.environ,
            "PATH": f"{bindir}:{os.environ['PATH']}",
            "PGHOST": str(data),
            "POSTGRES_USER": "postgres",
            "OPHIN_DB_PASSWORD": 'it\'s "quoted"',
            "AIRFLOW_DB_PASSWORD": "abc123",
        }
        subprocess.run(
            ["sh", str(ROOT / "docker" / "postgres-init.sh")], env=env, check=True, capture_output=True
        )

        def psql(user: str, db: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["psql", "-U", user, "-d", db, "-Atc", "select current_user"],
                env=env,
                capture_output=True,
                text=True,
            )

        assert psql("ophin", "ophin").stdout.strip() == "ophin"
        assert psql("airflow", "airflow").stdout.strip() == "airflow"
        refused = psql("ophin", "airflow")
        assert refused.returncode != 0 and "permission denied" in refused.stderr
        assert psql("airflow", "ophin").returncode != 0
    finally:
        server.cleanup()
        shutil.rmtree(data, ignore_errors=True)


FAKE_MC = """#!/bin/sh
# Records each call; keeps the policy file it is given; attach fails when ATTACH_FAILS is set.
echo "$*" >>"$MC_LOG"
case "$1 $2 $3" in
  "admin policy create") cp "$6" "$MC_DIR/policy.json" ;;
  "admin policy attach") [ -z "$ATTACH_FAILS" ] || { echo "already in effect" >&2; exit 1; } ;;
  "admin user info") echo "AccessKey: $4"; echo "PolicyName: $USER_POLICY" ;;
esac
exit 0
"""


def _run_minio_init(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "mc").write_text(FAKE_MC)
    (tmp_path / "mc").chmod(0o755)
    env = {
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "MC_LOG": str(tmp_path / "calls"),
        "MC_DIR": str(tmp_path),
        "MINIO_ROOT_USER": "root",
        "MINIO_ROOT_PASSWORD": "rootpw",
        "OPHIN_S3_BUCKET": "lectures",
        "OPHIN_S3_ACCESS_KEY": "engine",
        "OPHIN_S3_SECRET_KEY": "enginepw",
        "ATTACH_FAILS": "",
        "USER_POLICY": "",
        **extra,
    }
    return subprocess.run(
        ["sh", str(ROOT / "docker" / "minio-init.sh")], env=env, capture_output=True, text=True
    )


def test_minio_init_gives_the_engine_a_key_limited_to_its_bucket(tmp_path: Path) -> None:
    done = _run_minio_init(tmp_path)
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert "mb --ignore-existing local/lectures" in calls
    assert "admin user add local engine enginepw" in calls
    assert "admin policy attach local lectures-readwrite --user engine" in calls
    policy = json.loads((tmp_path / "policy.json").read_text())
    resources = {r for st in policy["Statement"] for r in st["Resource"]}
    actions = {a for st in policy["Statement"] for a in st["Action"]}
    assert resources == {"arn:aws:s3:::lectures", "arn:aws:s3:::lectures/*"}
    assert all(a.startswith("s3:") and "*" not in a for a in actions)
    assert not any("Bucket" in a and a.startswith(("s3:Delete", "s3:Create", "s3:Put")) for a in actions)


def test_minio_init_runs_again_but_fails_when_the_policy_is_not_attached(tmp_path: Path) -> None:
    again = _run_minio_init(tmp_path, ATTACH_FAILS="1", USER_POLICY="lectures-readwrite")
    assert again.returncode == 0, again.stderr
    refused = _run_minio_init(tmp_path, ATTACH_FAILS="1", USER_POLICY="readonly")
    assert refused.returncode != 0 and "already in effect" in refused.stderr
