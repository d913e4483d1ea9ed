"""Run a Great Expectations suite over a batch in an ephemeral context; store the result, raise on failure."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ophin.db.models import QualityRun
from ophin.db.session import session_scope
from ophin.db.upsert import upsert
from ophin.domain.ids import make_id


class QualityGateFailed(RuntimeError):
    """A batch failed its expectations; the quality_run row says which and why."""


@dataclass(frozen=True)
class GateResult:
    quality_run_id: uuid.UUID
    success: bool
    statistics: dict[str, Any]
    failed: list[str]


def validate_frame(df: pd.DataFrame, suite_name: str, build: Callable[[Any], list[Any]]) -> dict[str, Any]:
    """Validate df against the expectations `build(gx.expectations)` returns; the describe_dict() result."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # never phone home
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # one INFO line per temp dir otherwise
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("ophin").add_dataframe_asset(suite_name)
    batch = asset.add_batch_definition_whole_dataframe("batch").get_batch(batch_parameters={"dataframe": df})
    suite = gx.ExpectationSuite(name=suite_name)
    for expectation in build(gx.expectations):
        suite.add_expectation(expectation)
    return batch.validate(suite).describe_dict()


def run_gate(
    sessions: Any,
    *,
    stage: str,
    suite_name: str,
    batch_key: str,
    df: pd.DataFrame,
    build: Callable[[Any], list[Any]],
    raise_on_failure: bool = True,
) -> GateResult:
    result = validate_frame(df, suite_name, build)
    failed = [
        f"{e['expectation_type']}({e['kwargs'].get('column', '')})"
        for e in result["expectations"]
        if not e["success"]
    ]
    # Same batch, same data -> same row: re-running a gate overwrites its result.
    run_id = make_id("quality_run", stage, suite_name, batch_key)
    with session_scope(sessions) as session:
        upsert(
            session,
            QualityRun,
            [
                {
                    "id": run_id,
                    "stage": stage,
                    "suite": suite_name,
                    "batch_key": batch_key,
                    "success": bool(result["success"]),
                    "statistics": result["statistics"],
                    "result": result,
                }
            ],
        )
    gate = GateResult(run_id, bool(result["success"]), result["statistics"], failed)
    if raise_on_failure and not gate.success:
        raise QualityGateFailed(f"{suite_name} gate failed on {batch_key}: {', '.join(failed)}")
    return gate
