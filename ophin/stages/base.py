"""Run one stage on one entity as a recorded attempt; skip it when the same params already succeeded."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any

import ophin
from ophin.db.session import session_scope
from ophin.db.stage_runs import AttemptKey, finish_attempt, last_success, start_attempt
from ophin.domain.ids import params_hash
from ophin.services import Services


class StageFailed(RuntimeError):
    """A stage attempt failed; its stage_run row holds the error class and message."""

    def __init__(self, stage: str, entity_key: str, cause: BaseException) -> None:
        super().__init__(f"{stage} failed for {entity_key}: {type(cause).__name__}: {cause}")
        self.stage = stage
        self.entity_key = entity_key
        self.cause = cause


@dataclass(frozen=True)
class StageResult:
    stage: str
    entity_key: str
    skipped: bool
    output: dict[str, Any]


def run_stage(
    svc: Services,
    *,
    stage: str,
    version: str,
    entity_type: str,
    entity_key: str,
    params: Any,
    work: Callable[[], dict[str, Any]],
    video_id: uuid.UUID | None = None,
    model_version: str | None = None,
    force: bool = False,
) -> StageResult:
    """Run `work` once per (stage, entity, params, code version); every try leaves a stage_run row."""
    as_dict = asdict(params) if is_dataclass(params) else dict(params)
    code_version = f"{ophin.__version__}/{stage}.{version}"
    key = AttemptKey(stage, entity_type, entity_key, params_hash({**as_dict, "_model": model_version}))
    if not force:
        with session_scope(svc.sessions) as session:
            done = last_success(session, key, code_version)
            if done is not None:
                return StageResult(stage, entity_key, True, done.output or {})
    run_id = start_attempt(
        svc.sessions,
        key,
        params=as_dict,
        code_version=code_version,
        model_version=model_version,
        video_id=video_id,
        runner=svc.runner,
    )
    try:
        output = work()
    except Exception as exc:
        finish_attempt(svc.sessions, run_id, error=exc)
        raise StageFailed(stage, entity_key, exc) from exc
    produced = output.get("video_id")
    finish_attempt(
        svc.sessions,
        run_id,
        output=output,
        video_id=uuid.UUID(produced) if isinstance(produced, str) else None,
    )
    return StageResult(stage, entity_key, False, output)


def run_on_video(
    svc: Services,
    vid: uuid.UUID,
    *,
    stage: str,
    version: str,
    params: Any,
    work: Callable[[], dict[str, Any]],
    model_version: str | None = None,
    force: bool = False,
) -> StageResult:
    """run_stage for the per-video stages: the entity is the video itself."""
    return run_stage(
        svc,
        stage=stage,
        version=version,
        entity_type="video",
        entity_key=str(vid),
        params=params,
        work=work,
        video_id=vid,
        model_version=model_version,
        force=force,
    )


def fetch_media(svc: Services, media_key: str, scratch: str) -> Path:
    """Copy a video's media from the object store into a scratch dir; returns the local path."""
    workdir = svc.scratch(scratch)
    local = workdir / media_key.rsplit("/", 1)[-1]
    if not local.is_file():
        svc.store.get_file(media_key, local)
    return local


def drop_scratch(svc: Services, scratch: str) -> None:
    shutil.rmtree(svc.workdir / scratch, ignore_errors=True)
