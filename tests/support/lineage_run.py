"""A real engine run on a short lecture with hostile metadata, each stage attempt stamped with the
ophin_process task instance that would run it: what the lineage plugin's API test looks at (the browser test
runs the DAG itself and uses the lecture and the refused URL from here)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from eval.corpus import demo_videos
from ophin.pipeline import VIDEO_STAGES, params_for, run_video_stage
from ophin.services import Services
from ophin.stages.acquire import acquire_video
from ophin.stages.base import StageFailed
from tests.support.media import cut, ffmpeg

# Acquisition stores attribution as plain text (tags stripped), so what reaches the pages is text that
# breaks HTML unless escaped: quotes that end an attribute, "<", "&".
HOSTILE_TITLE = "Disc <3 & \"rim\" x' onmouseover='alert(1)"  # the file's name and title tag: the title
HOSTILE_CHANNEL = 'Retina & Co <3 "Lee" </td>'  # the artist tag: the channel ("</td>" is stripped)
BAD_URL = "http://169.254.169.254/latest/meta-data.mp4"  # refused by the fetch policy
# The task of dags/ophin_process.py that runs each stage (mapped, one instance per video): pairing and cue
# scoring share one task.
TASKS = {
    "acquire": "acquire_video",
    "transcribe": "transcribe_video",
    "keyframes": "extract_keyframes",
    "pair": "pair_and_separate_cues",
    "cues": "pair_and_separate_cues",
    "synthesize": "synthesize_instructions",
    "verify": "verify_instructions",
}


@dataclass(frozen=True)
class LineageRun:
    url: str
    video_id: str
    dag_id: str
    run_id: str


def hostile_lecture(folder: Path) -> Path:
    """13 s of the glaucoma lecture (the fundus slide) under a hostile name, title and artist tag.

    (Whisper base int8 on this CPU hears the macula slide's "intraretinal cystic" as "arxistic", which
    verification rightly rejects, and these tests need accepted instructions.)
    """
    folder.mkdir(parents=True, exist_ok=True)
    short = cut(demo_videos()[0], folder / "short.mp4", 16.5, 13.0)
    target = folder / f"{HOSTILE_TITLE}.mp4"
    tags = ["-metadata", f"artist={HOSTILE_CHANNEL}", "-metadata", f"title={HOSTILE_TITLE}"]
    ffmpeg("-i", str(short), "-c", "copy", *tags, str(target))
    short.unlink()
    return target


def media_url(base: str, path: Path) -> str:
    return f"{base}/{quote(path.name)}"


def run_as_tasks(svc: Services, url: str, dag_id: str, run_id: str) -> LineageRun:
    """Acquire url (map index 0) and BAD_URL (map index 1), then every per-video stage of url, as the DAG's
    task instances would: each attempt records (dag_id, run_id, task_id, map_index, try_number)."""

    def origin(stage: str, map_index: int) -> dict[str, object]:
        return {
            "dag_id": dag_id,
            "run_id": run_id,
            "task_id": TASKS[stage],
            "map_index": map_index,
            "try_number": 1,
        }

    params = params_for(svc)
    svc.origin = origin("acquire", 0)
    video_id = acquire_video(url, params.acquire, svc=svc).output["video_id"]
    svc.origin = origin("acquire", 1)
    try:
        acquire_video(BAD_URL, params.acquire, svc=svc)
        raise AssertionError("the fetch policy let a metadata address through")
    except StageFailed:
        pass
    for stage in VIDEO_STAGES:
        svc.origin = origin(stage, 0)
        run_video_stage(stage, uuid.UUID(video_id), svc)
    svc.origin = {}
    return LineageRun(url=url, video_id=video_id, dag_id=dag_id, run_id=run_id)


def ophin_env(svc: Services) -> dict[str, str]:
    """OPHIN_* variables that make another process (an api-server) see this run's database and store."""
    s = svc.settings
    env = {"OPHIN_HOME": str(s.home_dir), "OPHIN_DB__URL": s.db.url}
    for field, value in s.store.model_dump().items():
        env[f"OPHIN_STORE__{field.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return env
