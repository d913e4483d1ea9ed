"""Planning table for the paper's scale, from measured per-stage costs: hours for 29,000 clips on one 8-GPU
node and on a CPU-only cluster, naming the stage that bounds each.

The per-stage costs come from a `bench.workers --json` or `bench.memory --json` row at one worker on this
2-core machine, per minute of video: CPU seconds per stage where the row has them, else wall seconds times
an assumed number of busy cores. What is assumed, not measured, is printed with the table: the corpus
(videos, minutes each), the GPU's ASR real-time factor (no GPU here), and the machines.

    python -m bench.plan --measured rows.json [--row 0] [--json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

# The paper's corpus: 29,000 clips, taken here as 5,000 videos (the lineage bench's scale) of 12 minutes.
VIDEOS, MINUTES_PER_VIDEO = 5000, 12.0
# For rows without measured CPU per stage: cores a stage keeps busy (CTranslate2 and ffmpeg use both).
CORES_BUSY = {"transcribe": 2.0, "keyframes": 1.5}
GPU_ASR_RTF = 0.01  # assumed: faster-whisper base float16, batched, per GPU (not measured: no GPU here)
AIRFLOW_TASK_S = 6.5  # measured by bench.airflow: 5-8 s of scheduling per task
# `ophin run` verifies one video at a time (near-duplicates are judged against what earlier videos had
# accepted); the Airflow DAG verifies its units side by side.
MACHINES = {
    "one node, 8 GPUs + 64 cores, `ophin run`": {"gpus": 8, "cores": 64, "serial": ("verify",)},
    "one node, 8 GPUs + 64 cores, Airflow": {"gpus": 8, "cores": 64, "serial": ()},
    "CPU cluster, 10 nodes x 32 cores, Airflow/Celery": {"gpus": 0, "cores": 320, "serial": ()},
}


def core_seconds_per_minute(row: dict[str, Any]) -> dict[str, float]:
    """CPU-seconds per minute of video by stage: measured (stage_cpu_s, a one-worker row) where the row has
    them, else its wall seconds times CORES_BUSY. Acquisition is left out (the network bounds it)."""
    minutes = row["minutes"] * row.get("videos", 1)
    if row.get("stage_cpu_s"):
        return {s: c / minutes for s, c in row["stage_cpu_s"].items() if s != "acquire"}
    return {s: w * CORES_BUSY.get(s, 1.0) / minutes for s, w in row["stage_s"].items() if s != "acquire"}


def plan(per_minute: dict[str, float], max_mapped: int = 256) -> list[dict[str, Any]]:
    total_minutes = VIDEOS * MINUTES_PER_VIDEO
    out = []
    for name, m in MACHINES.items():
        hours: dict[str, float] = {}
        cpu_stages = {s: c for s, c in per_minute.items() if not (m["gpus"] and s == "transcribe")}
        cpu_h = sum(cpu_stages.values()) * total_minutes / m["cores"] / 3600
        for s, c in cpu_stages.items():
            hours[s] = c * total_minutes / (1 if s in m["serial"] else m["cores"]) / 3600
        if m["gpus"]:
            hours["transcribe (GPU)"] = GPU_ASR_RTF * 60 * total_minutes / m["gpus"] / 3600
        bound = max(hours, key=hours.__getitem__)
        wall = max(cpu_h, hours.get("transcribe (GPU)", 0.0), *(hours[s] for s in m["serial"] if s in hours))
        out.append(
            {
                "machines": name,
                "hours": round(wall, 1),
                "bounded_by": "the CPU stages together"
                if wall == cpu_h and bound not in m["serial"]
                else bound,
                "largest_stage": bound,
                "stage_hours": {s: round(h, 2) for s, h in sorted(hours.items(), key=lambda kv: -kv[1])},
                # ophin_process maps each of its 6 stage groups over at most max_mapped units of videos.
                "airflow_tasks": 6 * min(VIDEOS, max_mapped) + 6,
                "airflow_task_hours": round((6 * min(VIDEOS, max_mapped) + 6) * AIRFLOW_TASK_S / 3600, 1),
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--measured", type=Path, required=True, help="JSON rows from bench.workers/memory")
    parser.add_argument("--row", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    row = json.loads(args.measured.read_text())[args.row]
    per_minute = core_seconds_per_minute(row)
    rows = plan(per_minute)
    if args.json:
        print(json.dumps({"per_minute_core_s": per_minute, "plan": rows}, indent=1))
        return
    print(
        f"assumed: {VIDEOS} videos x {MINUTES_PER_VIDEO:g} min; GPU ASR RTF {GPU_ASR_RTF}"
        + ("" if row.get("stage_cpu_s") else f"; cores busy {CORES_BUSY}")
    )
    print(
        "measured core-seconds per minute of video: "
        + ", ".join(f"{s} {c:.2f}" for s, c in per_minute.items())
    )
    for r in rows:
        print(f"{r['machines']}: {r['hours']} h, bounded by {r['bounded_by']}; per stage {r['stage_hours']}")


if __name__ == "__main__":
    main()
