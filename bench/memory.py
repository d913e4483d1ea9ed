"""Peak memory by video length: the whole pipeline on one narrated lecture looped to 5 and to 60 minutes
(made on the fly, not committed), each in a fresh child process on its own database. The issue-12 target:
the 60-minute peak within 10 % of the 5-minute one (ASR in windows of asr.window_s, the visual analysis
streamed and spooled to disk). With it, per stage: wall and CPU seconds and the CPU's ratio to a bare full
decode of the same file.

    python -m bench.memory [--minutes 5,60] [--footage] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench.keyframes import bare_decode_cpu_s
from bench.workers import ADMIN_URL, looped, run_once


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", default="5,60", help="comma-separated video lengths")
    parser.add_argument("--db-url", default=ADMIN_URL, help="a Postgres admin URL (databases made per run)")
    parser.add_argument(
        "--footage", action="store_true", help="loop the continuous fundus footage instead of a lecture"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from eval.corpus import demo_videos, footage_videos

    source = footage_videos("demo", "continuous")[0] if args.footage else demo_videos()[0]

    rows = []
    with tempfile.TemporaryDirectory(prefix="ophin-bench-memory-") as tmp:
        for minutes in (float(m) for m in args.minutes.split(",") if m.strip()):
            video = looped(source, Path(tmp) / f"lecture{minutes:g}.mp4", minutes, 0.0)
            row = run_once([video.as_uri()], 1, args.db_url, Path(tmp) / f"home{minutes:g}")
            bare = bare_decode_cpu_s(video)
            vs_bare = {s: round(c / bare, 3) for s, c in (row["stage_cpu_s"] or {}).items()}
            rows.append({"minutes": minutes, **row, "bare_decode_cpu_s": round(bare, 1), "vs_bare": vs_bare})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)  # a long run's rows as they come
    base = rows[0]["peak_rss_mb"]
    for row in rows:
        row["peak_vs_first"] = round(row["peak_rss_mb"] / base, 3)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    header = ("minutes", "wall s", "CPU s", "peak MB", "vs first", "ok", "stopped at")
    print("".join(f"{h:>12}" for h in header))
    for r in rows:
        cells = (f"{r['minutes']:g}", r["wall_s"], r["cpu_s"], r["peak_rss_mb"], r["peak_vs_first"])
        cells += (r["ok"], r["stopped_at"] or "")
        print("".join(f"{c!s:>12}" for c in cells) + "".join(f"  failed {f}" for f in r["failed"]))
    print("\nper stage (one worker): wall s / CPU s / CPU vs a bare full decode of the same file")
    for r in rows:
        cpu = r["stage_cpu_s"] or {}
        cells = [f"{s} {w:g}/{cpu.get(s, '-')}/{r['vs_bare'].get(s, '-')}" for s, w in r["stage_s"].items()]
        print(f"{r['minutes']:>6g} min (bare decode {r['bare_decode_cpu_s']} CPU-s): " + ", ".join(cells))


if __name__ == "__main__":
    main()
