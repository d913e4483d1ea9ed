"""Run one stage on one entity as a recorded, leased attempt; skip it when what is stored is up to date."""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

import ophin
from ophin.db.models import StageState
from ophin.db.session import session_scope
from ophin.db.stage_runs import (
    USABLE,
    AttemptKey,
    Busy,
    Claimed,
    LeaseLost,
    claim,
    finish,
    heartbeat,
    video_states,
)
from ophin.domain.ids import params_hash
from ophin.services import Services
from ophin.stages.common import MissingInput, require_video

log = logging.getLogger("ophin.stages")
P = TypeVar("P")


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

    @property
    def status(self) -> str:
        """succeeded, or partial when some items failed (they are retried by the next run or backfill)."""
        return "partial" if self.output.get("failed") else "succeeded"


@dataclass(frozen=True)
class Attempt:
    """What a stage's work function gets: its attempt id and a scratch folder of its own."""

    run_id: uuid.UUID
    scratch: Path


# An attempt's scratch folder: <stage>-<stage_run id>, directly under the work dir.
_SCRATCH = re.compile(r"^[a-z_]+-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
_prepared: set[Path] = set()
_preparing = threading.Lock()


def prepare_workdir(svc: Services) -> None:
    """Once per process and work dir, before its first attempt: fail with a configuration error naming the
    folder when it cannot be written (not as the first item's own failure), and clean up what killed
    attempts left (sweep_scratch)."""
    root = svc.workdir.resolve()
    with _preparing:
        if root in _prepared:
            return
        _require_writable(root)
        sweep_scratch(svc)
        _prepared.add(root)


def _require_writable(root: Path) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".writable-"):
            pass
    except OSError as exc:
        # Said as the OSError the CLI reports in one line ("cannot write <path>: ..."), and for the folder
        # itself: mkdir over a file says EEXIST, which would read as if nothing were wrong.
        code = errno.ENOTDIR if root.exists() and not root.is_dir() else (exc.errno or errno.EACCES)
        raise OSError(code, f"{os.strerror(code)} (the work folder under OPHIN_HOME)", str(root)) from exc


def sweep_scratch(svc: Services) -> list[Path]:
    """Remove the scratch folders under the work dir whose attempt no worker holds a live lease on: what a
    killed attempt (kill -9, a lost host) left behind. A live attempt's folder, and anything that is no
    scratch folder, stays. Returns the removed folders."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    root = svc.workdir
    found = {}
    for entry in root.iterdir() if root.is_dir() else ():
        match = _SCRATCH.match(entry.name)
        if match and entry.is_dir() and not entry.is_symlink():
            found[uuid.UUID(match.group(1))] = entry
    if not found:
        return []
    # Listed before the query: an attempt claims its lease (committed) before it makes its folder, so any
    # folder seen above whose attempt is live shows here as held.
    with session_scope(svc.sessions) as session:
        live = set(
            session.scalars(
                select(StageState.stage_run_id).where(
                    StageState.stage_run_id.in_(list(found)),
                    StageState.lease_owner.is_not(None),
                    StageState.lease_expires_at > datetime.now(UTC),
                )
            )
        )
    removed = [path for run_id, path in found.items() if run_id not in live]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    if removed:
        log.info("removed %d stale scratch folder(s) under %s", len(removed), root)
    return removed


def run_stage(
    svc: Services,
    *,
    stage: str,
    version: str,
    entity_type: str,
    entity_key: str,
    params: Any,
    work: Callable[[Attempt], dict[str, Any]],
    inputs: str = "",
    video_id: uuid.UUID | None = None,
    model_version: str | None = None,
    force: bool = False,
    still_valid: Callable[[dict[str, Any]], bool] | None = None,
) -> StageResult:
    """Run `work` unless the stored output came from these params, this code and these inputs.

    `inputs` digests what the stage read (the media's hash, the attempts that produced its upstream rows);
    `work` returns counts, with `failed` > 0 when some items failed (the attempt is then `partial`).
    """
    as_dict = asdict(params) if is_dataclass(params) else dict(params)
    key = AttemptKey(
        stage,
        entity_type,
        entity_key,
        params_hash({**as_dict, "_model": model_version}),
        f"{ophin.__version__}/{stage}.{version}",
        inputs,
    )

    def valid(output: dict[str, Any]) -> bool:
        # A store that cannot answer is no proof the objects are there: re-run, and let the attempt say why.
        try:
            return still_valid is None or still_valid(output)
        except Exception as exc:
            log.warning("%s %s: could not check stored objects (%s); re-running", stage, entity_key, exc)
            return False

    prepare_workdir(svc)
    waited = False
    while True:
        outcome = claim(
            svc.sessions,
            key,
            worker=svc.worker,
            lease_s=svc.lease_s,
            params=as_dict,
            runner=svc.runner,
            model_version=model_version,
            video_id=video_id,
            force=force,
            still_valid=valid,
            origin=svc.origin,
        )
        if not isinstance(outcome, Busy):
            break
        if not waited:
            log.info("%s %s: waiting for worker %s, which holds it", stage, entity_key, outcome.owner)
            waited = True
        time.sleep(min(2.0, svc.lease_s / 4))
    if not isinstance(outcome, Claimed):
        log.info("%s %s: up to date, skipped", stage, entity_key)
        return StageResult(stage, entity_key, True, outcome.output)
    return _attempt(svc, key, outcome, work, video_id)


def _attempt(
    svc: Services,
    key: AttemptKey,
    claimed: Claimed,
    work: Callable[[Attempt], dict[str, Any]],
    video_id: uuid.UUID | None,
) -> StageResult:
    scratch = svc.workdir / f"{key.stage}-{claimed.run_id}"  # per attempt: workers never share files
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(svc, key, claimed.run_id, stop), name="ophin-lease", daemon=True
    )
    beat.start()
    started = time.monotonic()
    try:
        scratch.mkdir(parents=True, exist_ok=True)
        output = work(Attempt(claimed.run_id, scratch))
    except Exception as exc:
        stop.set()
        finish(svc.sessions, key, claimed.run_id, svc.worker, status="failed", error=exc)
        log.warning(
            "%s %s: attempt %d failed: %s: %s",
            key.stage,
            key.entity_key,
            claimed.attempt,
            type(exc).__name__,
            exc,
        )
        raise StageFailed(key.stage, key.entity_key, exc) from exc
    finally:
        stop.set()
        beat.join()
        shutil.rmtree(scratch, ignore_errors=True)
    result = StageResult(key.stage, key.entity_key, False, output)
    produced = output.get("video_id")
    try:
        finish(
            svc.sessions,
            key,
            claimed.run_id,
            svc.worker,
            status=result.status,
            output=output,
            video_id=uuid.UUID(produced) if isinstance(produced, str) else video_id,
        )
    except LeaseLost as exc:  # recorded on its stage_run; the batch goes on like after any failed attempt
        log.warning("%s %s: attempt %d void: %s", key.stage, key.entity_key, claimed.attempt, exc)
        raise StageFailed(key.stage, key.entity_key, exc) from exc
    counts = ", ".join(f"{k}={v}" for k, v in output.items() if k != "video_id")
    level = logging.WARNING if result.status == "partial" else logging.INFO
    log.log(
        level,
        "%s %s: %s in %.1f s (attempt %d): %s",
        key.stage,
        key.entity_key,
        result.status,
        time.monotonic() - started,
        claimed.attempt,
        counts,
    )
    return result


def _heartbeat(svc: Services, key: AttemptKey, run_id: uuid.UUID, stop: threading.Event) -> None:
    while not stop.wait(svc.lease_s / 4):
        try:
            if not heartbeat(svc.sessions, key, run_id, svc.worker, svc.lease_s):
                log.warning("%s %s: lease lost to another worker", key.stage, key.entity_key)
                return
        except Exception as exc:  # a database blip must not kill the work; the next beat retries
            log.warning("%s %s: heartbeat failed: %s", key.stage, key.entity_key, exc)


def video_inputs(svc: Services, vid: uuid.UUID, upstream: tuple[str, ...]) -> str:
    """Digest of what a per-video stage reads: its media's content and the attempts behind its upstream."""
    with session_scope(svc.sessions) as session:
        video = require_video(session, vid)
        states = video_states(session, vid, upstream)
        parts: dict[str, str] = {"media": video.sha256 or ""}
        for name in upstream:
            state = states.get(name)
            if state is None or state.status not in USABLE:
                status = "never run" if state is None else state.status
                raise MissingInput(f"{name} has not succeeded for video {vid} ({status})")
            parts[name] = str(state.stage_run_id)
    return params_hash(parts)


def from_sections(cls: type[P], *sections: BaseModel, **extra: Any) -> P:
    """A stage's params: each field taken by name from the first settings section that has it (lists as
    tuples, so the params stay hashable), then `extra` (what no section holds: component versions, a
    setting of another section). The params' fields are the settings' fields: nothing is copied by hand."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for section in sections:
        for name in names & set(type(section).model_fields) - set(values):
            value = getattr(section, name)
            values[name] = tuple(value) if isinstance(value, list) else value
    return cls(**(values | extra))


@dataclass(frozen=True)
class Task:
    """Where a stage runs under Airflow: its task in ophin_process (stages sharing a task run in it in
    order), the pool bounding how many run at once, the Celery queue, the gate task after it."""

    id: str
    gate: str
    pool: str | None = None
    queue: str | None = None


@dataclass(frozen=True, kw_only=True)
class Stage:
    """A stage, declared once at the end of its module; ophin/stages/registry.py lists them in order and the
    pipeline, the DAG's tasks and gates, backfill and the README's stage table read the declarations.

    name: the stage (stage_run.stage); version: changes whenever its output could; function: the entry point
    (an entity, its params, svc=); params: its params from the services' settings and component versions;
    reads / writes: tables (one writer per table is the aim; README's "rows" column is `writes`)."""

    name: str
    version: str
    function: Callable[..., StageResult]
    params: Callable[[Services], Any]
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    task: Task


@dataclass(frozen=True, kw_only=True)
class VideoStage(Stage):
    """A per-video stage: also the stages whose rows it reads (the pipeline orders and waves stages by it),
    whether its work on one video reads nothing of another's (`isolated`: several videos may run at once),
    and `run`, the recorded attempt its function hands its work to."""

    upstream: tuple[str, ...] = ()
    isolated: bool = True

    def run(
        self,
        svc: Services,
        vid: uuid.UUID,
        params: Any,
        work: Callable[[Attempt], dict[str, Any]],
        *,
        force: bool = False,
        model_version: str | None = None,
        still_valid: Callable[[dict[str, Any]], bool] | None = None,
    ) -> StageResult:
        return run_on_video(
            svc,
            vid,
            stage=self.name,
            version=self.version,
            params=params,
            work=work,
            upstream=self.upstream,
            model_version=model_version,
            force=force,
            still_valid=still_valid,
        )


def run_on_video(
    svc: Services,
    vid: uuid.UUID,
    *,
    stage: str,
    version: str,
    params: Any,
    work: Callable[[Attempt], dict[str, Any]],
    upstream: tuple[str, ...] = (),
    model_version: str | None = None,
    force: bool = False,
    still_valid: Callable[[dict[str, Any]], bool] | None = None,
) -> StageResult:
    """run_stage for the per-video stages: the entity is the video; inputs are its media and upstream."""
    try:
        inputs = video_inputs(svc, vid, upstream)
    except MissingInput as exc:
        raise StageFailed(stage, str(vid), exc) from exc
    return run_stage(
        svc,
        stage=stage,
        version=version,
        entity_type="video",
        entity_key=str(vid),
        params=params,
        work=work,
        inputs=inputs,
        video_id=vid,
        model_version=model_version,
        force=force,
        still_valid=still_valid,
    )
