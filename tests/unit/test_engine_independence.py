"""The engine never imports the code that grades it: nothing under ophin/ imports the eval package."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "ophin"


def _eval_imports(path: Path) -> set[str]:
    return {m for m in _imported_modules(path) if m.split(".")[0] == "eval"}


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_engine_module_imports_eval() -> None:
    offenders = {str(p.relative_to(ENGINE.parent)): sorted(_eval_imports(p)) for p in ENGINE.rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_sees_an_eval_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom eval.quality.report import measure\nimport eval.corpus as c\n")
    assert _eval_imports(module) == {"eval.quality.report", "eval.corpus"}
