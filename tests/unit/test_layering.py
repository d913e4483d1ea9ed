"""Data flows one way: only dags/ and plugins/ may import Airflow."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "ophin"


def test_no_ophin_module_imports_airflow() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name in ("dag_glue.py", "celery_config.py"):  # Airflow glue: DAG files, workers
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            offenders += [f"{path}: {n}" for n in names if n == "airflow" or n.startswith("airflow.")]
    assert offenders == []


def test_only_dags_and_plugins_import_the_airflow_glue() -> None:
    users = [
        str(path)
        for path in PACKAGE.rglob("*.py")
        if path.name not in ("orchestration.py", "celery_config.py")
        and "ophin.orchestration.dag_glue" in path.read_text()
    ]
    assert users == []
