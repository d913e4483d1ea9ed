"""The stage registry is the one declaration: the DAG's shape, the gates, the pipeline's order and the
README's stage table follow it, and a declaration that breaks the order is refused."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ophin.pipeline import STAGE_NAMES, stage_waves
from ophin.quality.suites import SUITES
from ophin.stages.base import Task
from ophin.stages.registry import STAGES, VIDEO_STAGES, dag_shape, gate_groups, problems, stage_table

ROOT = Path(__file__).resolve().parents[2]


def test_the_dag_reads_the_current_declarations() -> None:
    stored = json.loads((ROOT / "dags" / "ophin_process_stages.json").read_text())
    assert stored == json.loads(json.dumps(dag_shape())), (
        "stale: python -m ophin.stages.registry > dags/ophin_process_stages.json"
    )


def test_every_stage_has_its_gate_and_the_pipeline_its_order() -> None:
    assert set(SUITES) == set(STAGES)
    assert STAGE_NAMES == tuple(STAGES) and STAGE_NAMES[0] == "acquire"
    assert [n for wave in stage_waves(1) for n in wave] == list(VIDEO_STAGES)


def test_the_declarations_hold_and_a_broken_one_is_refused() -> None:
    """One writer per table: a later stage's decision about an earlier row is a table of its own."""
    from dataclasses import replace

    assert problems(STAGES, SUITES) == []
    two_writers = STAGES | {"cues": replace(STAGES["cues"], writes=("visual_cue", "pair"))}
    assert problems(two_writers, SUITES) == ["tables with more than one writer: {'pair': ['pair', 'cues']}"]
    orphan = STAGES | {"cues": replace(STAGES["cues"], upstream=("nowhere",))}
    assert problems(orphan, SUITES) == ["upstream ['nowhere'] undeclared"]
    assert problems(STAGES, set(SUITES) - {"verify"}) == ["['verify'] ungated"]


def test_a_gate_runs_after_every_stage_its_stages_read() -> None:
    """A stage's upstream ran before its gate group, or earlier in the same task (pair, then cues)."""
    seen: set[str] = set()
    for group in gate_groups():
        for task in group.tasks:
            for i, name in enumerate(task.stages):
                ready = seen | set(task.stages[:i])
                assert ready.issuperset(getattr(STAGES[name], "upstream", ())), (name, ready)
        seen.update(group.stages)
    assert seen == set(STAGES)


def test_stages_sharing_a_task_share_its_pool_queue_and_gate() -> None:
    by_task: dict[str, set[Task]] = {}
    for spec in STAGES.values():
        by_task.setdefault(spec.task.id, set()).add(spec.task)
    assert all(len(tasks) == 1 for tasks in by_task.values()), by_task


def stage_rows(text: str) -> dict[str, str]:
    """function -> its "rows it writes" cell, from a README's pipeline table."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\| \d \| `(\w+)` \|.*\| ([^|]+) \|$", line)
        if m:
            rows[m.group(1)] = ", ".join(re.findall(r"`(\w+)`", m.group(2)))
    return rows


def table_mismatches(text: str) -> list[tuple[str, str | None, str]]:
    rows = stage_rows(text)
    return [(fn, rows.get(fn), writes) for _, fn, writes in stage_table() if rows.get(fn) != writes]


def test_the_readme_table_lists_every_stage_with_the_tables_it_writes() -> None:
    assert table_mismatches((ROOT / "README.md").read_text()) == []


def test_the_readme_check_sees_a_wrong_or_missing_row() -> None:
    good = (ROOT / "README.md").read_text()
    wrong = good.replace("| 4 | `pair_frames` |", "| 4 | `pair_framez` |")
    assert [m[0] for m in table_mismatches(wrong)] == ["pair_frames"]
