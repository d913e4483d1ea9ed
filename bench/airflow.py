"""Airflow over the plain CLI: wall time of `ophin_process` on a real stack (CeleryExecutor) against
`ophin run` on the same clips, each on a fresh lineage database and home, for several batch sizes; then
where the extra time goes (queue waits, task start-up, idle scheduler time) and what a task's start-up costs.

    python -m bench.airflow [--sizes 1,2,4] [--workers 2] [--concurrency 1] [--no-preload] [--lectures]
                            [--env K=V ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from eval.corpus import demo_videos
from tests.support.airflow_stack import BIN, REPO, AirflowStack, running_stack, stack_config
from tests.support.media import cut

ADMIN_URL = os.environ.get(
    "OPHIN_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
# Short clips whose instructions pass every gate: a failed gate would skip later stages and flatter Airflow.
CLIPS = (
    ("macula", 1, 19.0, 16.0),
    ("cup", 0, 29.0, 12.0),
    ("fundus", 1, 33.0, 11.0),
    ("bscan", 0, 41.0, 10.0),
)
STARTUP_PROBE = """
import json, time
t0 = time.perf_counter()
import ophin.pipeline, ophin.services, ophin.settings
t1 = time.perf_counter()
from ophin.adapters.ocr import TesseractOcr
TesseractOcr.available()
t2 = time.perf_counter()
from ophin.db.migrate import require_head
from ophin.db.session import get_engine
require_head(get_engine(ophin.settings.get_settings()))
t3 = time.perf_counter()
ophin.services.build_services(ophin.settings.get_settings())
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "tesseract_probe_s": t2 - t1, "require_head_s": t3 - t2,
                  "build_services_s": t4 - t3}))
"""


@contextmanager
def databases() -> Iterator[Callable[..., str]]:
    """make(migrate=False) -> a fresh database URL; all dropped on the way out."""
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make(migrate: bool = False) -> str:
        name = f"ophin_bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        if migrate:
            raise ValueError("the bench leaves migrations to the code under test")
        return sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for name in made:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def make_clips(root: Path) -> list[str]:
    videos = demo_videos()
    return [cut(videos[i], root / f"{name}.mp4", s, d).resolve().as_uri() for name, i, s, d in CLIPS]


def cli_seconds(urls: list[str], db_url: str, home: Path) -> float:
    """`ophin run` wall time on a fresh database and home (it migrates and assembles the model itself)."""
    env = {
        **os.environ,
        "OPHIN_DB__URL": db_url,
        "OPHIN_HOME": str(home),
        "OPHIN_ACQUIRE__ALLOW_FILE_URLS": "true",
    }
    start = time.monotonic()
    done = subprocess.run(
        [str(BIN / "ophin"), "run", *urls], env=env, cwd=REPO, capture_output=True, text=True
    )
    seconds = time.monotonic() - start
    if done.returncode:
        raise RuntimeError(f"ophin run exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return seconds


def _t(value: str | None) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else 0.0


def stage_work(engine: sa.Engine) -> dict[tuple[str, int], float]:
    """Seconds of stage work per (task_id, map_index), from the attempts the tasks recorded."""
    query = sa.text("SELECT task_id, map_index, sum(duration_s) FROM stage_run GROUP BY task_id, map_index")
    with engine.connect() as conn:
        return {(t, m if m is not None else -1): float(s or 0) for t, m, s in conn.execute(query)}


def breakdown(tis: list[dict[str, Any]], work: dict[tuple[str, int], float], wall: float) -> dict[str, float]:
    """Where one DagRun's time went: queue waits, stage tasks' time beyond their stage work, the other tasks
    (plan, gates, verdict: gate work is real work the CLI does too), and time when nothing ran at all."""
    ran = [t for t in tis if t["start_date"]]
    intervals = sorted((_t(t["start_date"]), _t(t["end_date"])) for t in ran)
    busy, end = 0.0, 0.0
    for a, b in intervals:
        busy += max(0.0, b - max(a, end))
        end = max(end, b)
    staged = [t for t in ran if (t["task_id"], t["map_index"]) in work]
    others = [t for t in ran if (t["task_id"], t["map_index"]) not in work]
    stage_task_s = sum(float(t["duration"] or 0) for t in staged)
    stage_s = sum(work[(t["task_id"], t["map_index"])] for t in staged)
    waits = [_t(t["start_date"]) - _t(t["queued_when"]) for t in ran if t["queued_when"]]
    return {
        "tasks": len(ran),
        "stage_tasks": len(staged),
        "stage_s_sum": stage_s,
        "stage_task_overhead_s_mean": (stage_task_s - stage_s) / max(len(staged), 1),
        "other_task_s_mean": sum(float(t["duration"] or 0) for t in others) / max(len(others), 1),
        "queue_wait_s_mean": sum(waits) / max(len(waits), 1),
        "nothing_running_s": max(wall - busy, 0.0),
    }


def airflow_run(stack: AirflowStack, urls: list[str]) -> tuple[float, list[dict[str, Any]]]:
    stack.wait_dag("ophin_process")
    start = time.monotonic()
    run_id = stack.trigger("ophin_process", {"urls": urls})
    state = stack.wait_run("ophin_process", run_id, 1800)
    seconds = time.monotonic() - start
    tis = stack.task_instances("ophin_process", run_id)
    if state != "success":
        bad = [(t["task_id"], t["map_index"], t["state"]) for t in tis if t["state"] != "success"]
        raise RuntimeError(f"ophin_process ended {state}: {bad}")
    return seconds, tis


def startup_probe(stack: AirflowStack) -> dict[str, float]:
    """What one task pays before its stage starts, in a fresh interpreter like a forked task runner."""
    done = subprocess.run(
        [sys.executable, "-c", STARTUP_PROBE], env=stack.env, cwd=REPO, capture_output=True, text=True
    )
    return (
        json.loads(done.stdout.strip().splitlines()[-1])
        if done.returncode == 0
        else {"error": done.stderr[-500:]}
    )


def bench(
    sizes: list[int],
    workers: int,
    concurrency: int,
    redis_db: int,
    root: Path,
    env: dict[str, str],
    lectures: bool = False,
) -> list[dict[str, Any]]:
    # Whole lectures (63-70 s each) are closer to real work than clips, whose seconds of work are few.
    urls = [p.resolve().as_uri() for p in demo_videos()] if lectures else make_clips(root)
    rows = []
    with databases() as make_db:
        for n in sizes:
            batch = urls[:n]
            cli_s = cli_seconds(batch, make_db(), root / f"cli_{n}")
            cfg = stack_config(root / f"af_{n}", make_db, redis_db=redis_db, worker_concurrency=concurrency,
                               parallelism=max(4, workers * concurrency), extra_env=env)  # fmt: skip
            with running_stack(cfg, workers=workers) as stack:
                af_s, tis = airflow_run(stack, batch)
                parts = breakdown(tis, stage_work(sa.create_engine(cfg.lineage_db_url)), af_s)
                probe = startup_probe(stack) if n == sizes[0] else {}
            rows.append({"videos": n, "cli_s": cli_s, "airflow_s": af_s, **parts, **probe})
            print(json.dumps(rows[-1]), flush=True)
    return rows


COLUMNS = (  # header, key or function of a row, format
    ("videos", "videos", "{:>6}"),
    ("CLI s", "cli_s", "{:>6.1f}"),
    ("Airflow s", "airflow_s", "{:>9.1f}"),
    ("ratio", lambda r: r["airflow_s"] / r["cli_s"], "{:>5.2f}"),
    ("tasks", "tasks", "{:>5}"),
    ("per-task s", lambda r: (r["airflow_s"] - r["cli_s"]) / r["tasks"], "{:>10.2f}"),
    ("stage-task overhead s", "stage_task_overhead_s_mean", "{:>21.2f}"),
    ("plan/gate task s", "other_task_s_mean", "{:>16.2f}"),
    ("queue wait s", "queue_wait_s_mean", "{:>12.2f}"),
    ("idle s", "nothing_running_s", "{:>6.1f}"),
)


def table(rows: list[dict[str, Any]]) -> str:
    """One line per batch size; per-task s = (Airflow - CLI) / tasks, the other columns are means per task."""
    lines = ["  ".join(h for h, _, _ in COLUMNS)]
    for r in rows:
        cells = [f.format(key(r) if callable(key) else r[key]) for _, key, f in COLUMNS]
        lines.append("  ".join(c.rjust(len(h)) for c, (h, _, _) in zip(cells, COLUMNS, strict=True)))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,2,4", help="batch sizes (clips per DagRun), at most 4")
    parser.add_argument("--lectures", action="store_true", help="the 3 whole demo lectures, not short clips")
    parser.add_argument("--workers", type=int, default=2, help="Celery workers")
    parser.add_argument("--concurrency", type=int, default=1, help="task slots per worker")
    parser.add_argument("--redis-db", type=int, default=12, help="Redis database index for the broker")
    parser.add_argument(
        "--no-preload",
        action="store_true",
        help="workers import the engine in every task (Airflow's default)",
    )
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the stack")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    env = dict(e.split("=", 1) for e in args.env)
    if args.no_preload:
        env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] = (
            "airflow.providers.celery.executors.default_celery.DEFAULT_CELERY_CONFIG"
        )
    with tempfile.TemporaryDirectory(prefix="ophin-bench-airflow-") as tmp:
        rows = bench(sizes, args.workers, args.concurrency, args.redis_db, Path(tmp), env, args.lectures)
    print(f"workers {args.workers} x concurrency {args.concurrency}; settings {env or 'defaults'}")
    print(table(rows))
    probe = next((r for r in rows if "import_s" in r), None)
    if probe:
        print("one task's start-up, fresh interpreter: " + ", ".join(f"{k} {probe[k]:.2f}" for k in
              ("import_s", "tesseract_probe_s", "require_head_s", "build_services_s")))  # fmt: skip


if __name__ == "__main__":
    main()
