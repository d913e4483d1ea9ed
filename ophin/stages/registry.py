"""Every stage, in order, as its module declares it (`SPEC`, at the end of each stage module).

The CLI pipeline, the ophin_process DAG's tasks and gates, backfill and the README's stage table read this;
a new stage is a module with its SPEC, a line below, and its gate's suite in ophin/quality/suites.py.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import asdict, dataclass
from types import SimpleNamespace

from ophin.quality.suites import SUITES
from ophin.services import Services
from ophin.stages import acquire, cues, keyframes, pair, synthesize, transcribe, verify
from ophin.stages.base import Stage, VideoStage

STAGES: dict[str, Stage] = {
    m.SPEC.name: m.SPEC for m in (acquire, transcribe, keyframes, pair, cues, synthesize, verify)
}
# The per-video stages (everything after acquire, which works on URLs), in order.
VIDEO_STAGES: dict[str, VideoStage] = {n: s for n, s in STAGES.items() if isinstance(s, VideoStage)}



def problems(stages: dict[str, Stage], gated: Collection[str]) -> list[str]:
    """What is wrong with a set of declarations: an upstream nobody declared, a stage without a gate, a table
    two stages write (what a later stage decides about an earlier row goes in a table of its own)."""
    out = []
    if unknown := {up for s in stages.values() for up in getattr(s, "upstream", ())} - set(stages):
        out.append(f"upstream {sorted(unknown)} undeclared")
    if ungated := set(stages) - set(gated):
        out.append(f"{sorted(ungated)} ungated")
    writers: dict[str, list[str]] = {}
    for name, spec in stages.items():
        for table in spec.writes:
            writers.setdefault(table, []).append(name)
    if shared := {t: names for t, names in writers.items() if len(names) > 1}:
        out.append(f"tables with more than one writer: {shared}")
    return out


# A declaration that breaks one of these stops the engine loading.
if _problems := problems(STAGES, SUITES):
    raise ImportError("stage registry: " + "; ".join(_problems))


def params_for(svc: Services) -> SimpleNamespace:
    """Every stage's params (an attribute per stage name), each built by its declaration from the settings
    and the components' versions; stages never read Settings themselves."""
    return SimpleNamespace(**{name: spec.params(svc) for name, spec in STAGES.items()})


@dataclass(frozen=True)
class TaskGroup:
    """One Airflow task of ophin_process: the stages it runs in order, its pool and queue."""

    id: str
    stages: tuple[str, ...]
    pool: str | None
    queue: str | None


@dataclass(frozen=True)
class GateGroup:
    """One gate task of ophin_process: the stages it checks, the tasks that run before it."""

    id: str
    stages: tuple[str, ...]
    tasks: tuple[TaskGroup, ...]


def gate_groups() -> list[GateGroup]:
    """The DAG's shape, from the declarations: stages sharing a task id run in one task; tasks sharing a gate
    run side by side (on the previous gate's output), and the gate checks their stages in order."""
    gates: dict[str, list[Stage]] = {}
    for spec in STAGES.values():
        gates.setdefault(spec.task.gate, []).append(spec)
    out = []
    for gate, specs in gates.items():
        tasks: dict[str, list[Stage]] = {}
        for spec in specs:
            tasks.setdefault(spec.task.id, []).append(spec)
        groups = tuple(
            TaskGroup(tid, tuple(s.name for s in members), members[0].task.pool, members[0].task.queue)
            for tid, members in tasks.items()
        )
        out.append(GateGroup(gate, tuple(s.name for s in specs), groups))
    return out


def stage_table() -> list[tuple[str, str, str]]:
    """(stage, its function, the tables it writes) per stage, in order: what README's stage table lists."""
    return [(s.name, s.function.__name__, ", ".join(s.writes)) for s in STAGES.values()]


def dag_shape() -> list[dict]:
    """gate_groups() as JSON data: the DAG file reads it from dags/ophin_process_stages.json, so that it
    parses without importing the engine (tests/dags/test_dag_integrity.py checks the file is current)."""
    return [asdict(g) for g in gate_groups()]


if __name__ == "__main__":  # python -m ophin.stages.registry > dags/ophin_process_stages.json
    print(json.dumps(dag_shape(), indent=1))
