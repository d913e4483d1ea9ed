"""Run a stage's expectation suite over a batch in an ephemeral GX context; record it; raise on failure."""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from ophin.db.models import QualityRun, VideoGate
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.ids import make_id
from ophin.quality.suites import SUITES, Check, Part
from ophin.settings import GateSettings

log = logging.getLogger("ophin.gates")
GATED_STAGES = tuple(SUITES)


class QualityGateFailed(RuntimeError):
    """A batch failed its expectations; the quality_run row says which and why."""

    def __init__(self, gate: GateResult) -> None:
        super().__init__(f"{gate.stage} gate failed on {gate.batch_key}: {'; '.join(gate.failed)}")
        self.gate = gate


@dataclass(frozen=True)
class GateResult:
    quality_run_id: uuid.UUID
    stage: str
    batch_key: str
    success: bool
    statistics: dict[str, Any]
    failed: list[str]  # one readable line per failed check

    @property
    def summary(self) -> str:
        if self.success:
            return f"{self.stage} gate passed: {self.statistics.get('successful_expectations', 0)} checks"
        return f"{self.stage} gate FAILED: " + "; ".join(self.failed)


def validate_frame(df: pd.DataFrame, suite_name: str, checks: list[Check]) -> dict[str, Any]:
    """Validate df against the checks' expectations; GX's describe_dict() result."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # never phone home
    # Before the import (under Airflow's logging it says one INFO line per registered function) and after
    # it (the import sets its own level again; then one INFO line per temporary directory).
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    for name in ("great_expectations", "great_expectations.data_context.types.base"):  # the latter sets INFO
        logging.getLogger(name).setLevel(logging.WARNING)
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("ophin").add_dataframe_asset(suite_name)
    batch = asset.add_batch_definition_whole_dataframe("batch").get_batch(batch_parameters={"dataframe": df})
    suite = gx.ExpectationSuite(name=suite_name)
    for check in checks:
        suite.add_expectation(check.build(gx.expectations))
    return batch.validate(suite).describe_dict()


def warm_up() -> None:
    """Build GX's machinery once (its first validation in a process costs seconds, later ones 0.1 s)."""
    validate_frame(
        pd.DataFrame({"x": [1]}), "warm_up", [Check("x", lambda E: E.ExpectColumnToExist(column="x"))]
    )


def _explain(check: Check, outcome: dict[str, Any]) -> str:
    """'segments end inside their video (+1 s): 3 of 40 fail (e.g. 912.4)' / '...: observed 0.83'."""
    result = outcome.get("result") or {}
    if "unexpected_count" in result:
        examples = ", ".join(str(v) for v in (result.get("partial_unexpected_list") or [])[:3])
        n = result.get("element_count", "?")
        return f"{check.says}: {result['unexpected_count']} of {n} fail" + (
            f" (e.g. {examples})" if examples else ""
        )
    bounds = {k: v for k, v in outcome["kwargs"].items() if k in ("min_value", "max_value") and v is not None}
    return f"{check.says}: observed {result.get('observed_value')!r}, wanted {bounds}"


def batch_key(videos: list[uuid.UUID]) -> str:
    ids = sorted(str(v) for v in videos)
    return f"{len(ids)} video(s) {hashlib.sha256(','.join(ids).encode()).hexdigest()[:12]}"


def check_batch(
    sessions: sessionmaker[Session],
    stage: str,
    videos: list[uuid.UUID],
    settings: GateSettings,
    origin: dict[str, Any] | None = None,
) -> GateResult:
    """Validate `stage`'s output for these videos; record quality_run (with the task instance in
    `origin` that ran it, if any) and each video's verdict."""
    with session_scope(sessions) as session:
        parts: list[Part] = SUITES[stage](session, videos, settings)
    results: dict[str, Any] = {}
    failed: list[str] = []
    evaluated = succeeded = 0
    for part in parts:
        if part.frame.empty and part.inputs:
            # The stage had work and made nothing of it: a broken stage, not a quiet batch.
            evaluated += 1
            failed.append(f"{part.name}: no output from {part.inputs} input item(s)")
            results[part.name] = {"success": False, "rows": 0, "inputs": part.inputs, "empty_output": True}
            continue
        if part.frame.empty or len(part.frame) < part.min_rows:
            # Nothing to judge because nothing came in (a batch of silent videos has no segments), or too
            # few items for a share to mean anything: recorded as not judged, not failed.
            results[part.name] = {"success": True, "rows": len(part.frame), "not_judged": True}
            if part.notes:
                results[part.name]["notes"] = part.notes
            continue
        if not part.checks:  # a part that only says the stage made something
            results[part.name] = {"success": True, "rows": len(part.frame)}
            continue
        result = validate_frame(part.frame, f"{stage}.{part.name}", part.checks)
        results[part.name] = result | ({"notes": part.notes} if part.notes else {})
        for check, outcome in zip(part.checks, result["expectations"], strict=True):
            evaluated += 1
            succeeded += bool(outcome["success"])
            if not outcome["success"]:
                failed.append(f"{part.name}: {_explain(check, outcome)}")
    key = batch_key(videos)
    statistics = {
        "evaluated_expectations": evaluated,
        "successful_expectations": succeeded,
        "rows": {p.name: len(p.frame) for p in parts},
    }
    gate = GateResult(make_id("quality_run", stage, key), stage, key, not failed, statistics, failed)
    _record(sessions, gate, videos, results, origin or {})
    (log.info if gate.success else log.error)("%s [%s]", gate.summary, key)
    return gate


def _record(
    sessions: sessionmaker[Session],
    gate: GateResult,
    videos: list[uuid.UUID],
    results: dict[str, Any],
    origin: dict[str, Any],
) -> None:
    # Same batch, same stage -> same row: re-running a gate overwrites its result and its time.
    with session_scope(sessions) as session:
        now = session.scalar(select(func.now()))
        upsert(
            session,
            QualityRun,
            [
                {
                    "id": gate.quality_run_id,
                    "stage": gate.stage,
                    "suite": gate.stage,
                    "batch_key": gate.batch_key,
                    "success": gate.success,
                    "statistics": gate.statistics,
                    "result": results,
                    "video_ids": sorted(videos),
                    "summary": gate.summary,
                    "checked_at": now,
                    **{k: origin.get(k) for k in ("dag_id", "run_id", "task_id")},
                }
            ],
        )
        upsert(
            session,
            VideoGate,
            [
                {
                    "id": make_id("video_gate", v, gate.stage),
                    "video_id": v,
                    "stage": gate.stage,
                    "quality_run_id": gate.quality_run_id,
                    "success": gate.success,
                    "checked_at": now,
                }
                for v in dict.fromkeys(videos)
            ],
        )


def gated_videos() -> Select[tuple[uuid.UUID]]:
    """Videos whose latest verdict at every gated stage passed: the only ones a release takes from."""
    return (
        select(VideoGate.video_id)
        .group_by(VideoGate.video_id)
        .having(func.count().filter(VideoGate.success) == len(GATED_STAGES))
    )
