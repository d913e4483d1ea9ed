"""`ophin airflow init`: what the DAGs need before their first run, done once per deployment (idempotent).

The lineage schema (Alembic, under its advisory lock) and the pools that cap concurrency: `asr` for
transcription, `llm` for synthesis, `youtube` for acquisition (politeness toward video hosts). Pools are
written through the `airflow pools import` command, so the engine itself never imports Airflow.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile

from ophin.db.migrate import upgrade
from ophin.db.session import get_engine
from ophin.settings import Settings


def pools(settings: Settings) -> dict[str, dict[str, object]]:
    a = settings.airflow
    return {
        "asr": {"slots": a.asr_slots, "description": "Whisper transcription (CPU- or GPU-heavy)"},
        "llm": {"slots": a.llm_slots, "description": "Tasks that may ask the model server"},
        "youtube": {"slots": a.youtube_slots, "description": "Downloads from video hosts (politeness)"},
    }


def init_airflow(settings: Settings, *, airflow: str = "airflow") -> dict[str, dict[str, object]]:
    """Migrate the lineage database and create or resize the pools; returns the pools written."""
    upgrade(get_engine(settings))
    wanted = {name: {**pool, "include_deferred": False} for name, pool in pools(settings).items()}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(wanted, f)
    try:
        done = subprocess.run(  # noqa: S603 - the airflow CLI's argv, no shell
            [airflow, "pools", "import", f.name], capture_output=True, text=True, env=os.environ.copy()
        )
    finally:
        os.unlink(f.name)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"`airflow pools import` failed ({done.returncode}): {tail[0]}")
    return wanted
