"""What the ophin DAG files share; imports Airflow only, so every DAG file parses offline in milliseconds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import Asset

# Retries with exponential backoff for a transient failure (a host that drops the connection, a worker
# that died); a refused URL or a file that is not a video fails at once (AirflowFailException).
DEFAULT_ARGS: dict[str, Any] = {
    "retries": 2,
    "retry_delay": timedelta(seconds=20),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}
UNIT_LABEL = "{{ unit_label }}"  # map_index_template: a video's title (or URL) in the UI, not 0, 1, 2
# Updated when a batch passes its last gate: ophin_release is scheduled on it.
VERIFIED = Asset("ophin://instructions/verified")
