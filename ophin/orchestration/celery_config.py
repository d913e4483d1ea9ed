"""Celery config for Airflow workers that fork their tasks with the engine already imported.

Set `AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=ophin.orchestration.celery_config.CELERY_CONFIG` on the workers.
Airflow 3 forks a fresh task process per task instance; without this each task imports the engine again
(1.7 s in a fresh interpreter, 2-4 s on a busy worker) and its first gate builds Great Expectations' context
(up to 4 s). Imported here once, both are shared copy-on-write by every task the worker forks. Measured with
`make bench-airflow`: README, "Airflow: what it costs".
"""

from __future__ import annotations

import importlib
import sys

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

PRELOAD = (
    "ophin.pipeline",
    "ophin.services",
    "ophin.orchestration.dag_glue",
    "ophin.orchestration.batches",
    "faster_whisper",
)


def _preload() -> None:
    for module in PRELOAD:
        importlib.import_module(module)
    from ophin.quality.gates import warm_up

    warm_up()


if "worker" in sys.argv:  # the worker itself; not `celery inspect ping` (a healthcheck) or the scheduler
    _preload()
CELERY_CONFIG = DEFAULT_CELERY_CONFIG
