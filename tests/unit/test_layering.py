"""Data flows one way: only dags/ and plugins/ may import Airflow."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "ophin"


def test_no_ophin_module_imports_airflow() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            offenders += [f"{path}: {n}" for n in names if n == "airflow" or n.startswith("airflow.")]
    assert offenders == []
