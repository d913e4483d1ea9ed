"""Airflow for the DAG tests: its own AIRFLOW_HOME and a metadata database on the same PostgreSQL."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="session")
def airflow_env(tmp_path_factory, make_database):  # noqa: ANN001, ANN201
    """Configure Airflow through its environment *before* the first airflow import, then migrate its DB."""
    if "airflow" in sys.modules:  # its settings and DAG bundles were read already, from another environment
        pytest.fail(
            "Airflow was imported in this process before the DAG tests configured it: run tests/dags "
            "first (make test sends files out in collection order: --no-loadscope-reorder)"
        )
    home = tmp_path_factory.mktemp("airflow_home")
    url = make_database()  # migrated with ophin's schema too; Airflow's tables live beside it
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": url,
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        }
    )
    from airflow.utils import db

    db.resetdb()
    return url
