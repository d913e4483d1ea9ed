"""Airflow's own api-server app with this repo's plugins loaded (simple auth manager), for the plugin
tests: the engine's settings from the environment, Airflow configured at first import, a token per user."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


@contextmanager
def ophin_environment(env: Mapping[str, str]) -> Iterator[None]:
    """The plugin builds its database and store from ophin's Settings, read from the environment: set these
    variables (and forget cached settings) for the block, then put back what was there."""
    from ophin.settings import get_settings

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


def configure_airflow(home: Path, db_url: str) -> None:
    """Airflow reads its config at first import: set it then, or patch it when another module got there first
    (the DAG tests), and make the plugin manager look at this repo's plugins/ again."""
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS),
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager."
        "SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
    }
    fresh = "airflow" not in sys.modules
    if fresh:
        os.environ.update({**env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db_url})
    from airflow import plugins_manager, settings  # noqa: TID251
    from airflow.configuration import conf  # noqa: TID251

    conf.set("core", "plugins_folder", str(PLUGINS))
    conf.set("core", "auth_manager", env["AIRFLOW__CORE__AUTH_MANAGER"])
    conf.set("api_auth", "jwt_secret", secrets.token_hex(32))
    settings.PLUGINS_FOLDER = str(PLUGINS)
    for cached in ("_get_plugins", "get_fastapi_plugins", "_get_ui_plugins"):
        getattr(plugins_manager, cached).cache_clear()
    if fresh:
        from airflow.utils import db  # noqa: TID251

        db.resetdb()


@contextmanager
def plugin_client(
    home: Path, db_url: str, users: Mapping[str, str | None]
) -> Iterator[tuple[Any, dict[str, str]]]:
    """(a TestClient of a fresh api-server app, a bearer token per user name) for users {name: role}."""
    configure_airflow(home, db_url)
    from airflow.api_fastapi.app import create_app, purge_cached_app  # noqa: TID251
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser  # noqa: TID251
    from fastapi.testclient import TestClient

    purge_cached_app()
    app = create_app()
    auth = app.state.auth_manager
    tokens = {
        name: auth.generate_jwt(SimpleAuthManagerUser(username=name, role=role))
        for name, role in users.items()
    }
    try:
        with TestClient(app) as client:
            yield client, tokens
    finally:
        purge_cached_app()
