"""`ophin run --workers N`: wall time, CPU busy share and videos per hour at 1 and N workers.

Each narrated sample lecture is looped to --minutes (made on the fly with ffmpeg, not committed) and the
batch runs once per worker count on a fresh database and home; CPU time counts this process and its
children (ffmpeg, tesseract). busy = CPU-seconds / (wall x cores).

    python -m bench.workers [--videos 4] [--minutes 5] [--workers 1,2] [--db-url URL] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def looped(src: Path, out: Path, minutes: float, offset_s: float) -> Path:
    """src played in a loop for `minutes`, starting `offset_s` in (so each copy is other content), re-encoded.

    The concat demuxer, not `-stream_loop -1 -ss X`: that one restarts the audio and video of each loop
    at different points, so the file's audio outlasted its video and the transcribe gate rightly refused
    segments ending past the video's end. Each copy's AAC priming still adds ~28 ms of samples beyond its
    timestamps (60 copies: 3601.7 s of audio in a 3600 s file), so the audio is resampled to its timestamps.
    """
    from ophin.adapters.media import FfmpegMedia

    copies = int(minutes * 60 // max(FfmpegMedia().probe(src).duration_s - offset_s, 1.0)) + 2
    listing = out.with_suffix(".txt")
    entries = [f"file '{src.resolve()}'\ninpoint {offset_s:.3f}"] + [f"file '{src.resolve()}'"] * copies
    listing.write_text("\n".join(entries) + "\n")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing),
         "-af", "aresample=async=1:first_pts=0", "-t", str(minutes * 60),
         "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", str(out)],
        check=True,
    )  # fmt: skip
    audio_s, container_s = decoded_audio_s(out), FfmpegMedia().probe(out).duration_s
    if abs(audio_s - container_s) > 1.0:
        raise RuntimeError(
            f"{out.name}: its audio decodes to {audio_s:.1f} s, its container says {container_s:.1f} s"
        )
    return out


def decoded_audio_s(path: Path, rate: int = 16000) -> float:
    """Seconds of audio a decoder writes out (what the transcribe stage's WAV holds), whatever the
    timestamps say: a -stream_loop file said 300 s and decoded to 337.4 s (37 s of packets 1 tick apart)."""
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(rate),
         "-f", "s16le", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    return len(pcm) / (2 * rate)


def run_once(urls: list[str], workers: int, admin_url: str, home: Path) -> dict[str, Any]:
    """One batch in a child process (fresh memory figures), on a database made for it."""
    name = f"ophin_bench_workers_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    db_url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.workers",
                "--child",
                json.dumps([urls, workers, db_url, str(home)]),
            ],  # noqa: E501
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def child(urls: list[str], workers: int, db_url: str, home: str) -> dict[str, Any]:
    from ophin.adapters.media_cache import configure as configure_media_cache
    from ophin.db.migrate import upgrade
    from ophin.db.session import get_engine
    from ophin.pipeline import run_urls
    from ophin.services import build_services
    from ophin.settings import Settings

    settings = Settings(
        home=Path(home),
        db={"url": db_url},
        acquire={"allow_file_urls": True},
        license={"accept_unknown": True},
    )
    upgrade(get_engine(settings))
    svc = build_services(settings, runner="bench")
    configure_media_cache(svc.workdir, settings.run.media_cache_gb)
    split = StageCpu() if workers == 1 else None
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    try:
        report = run_urls(urls, svc, workers=workers)
    finally:
        if split is not None:
            split.close()
    wall = time.perf_counter() - t0
    cpu = _cpu_s() - cpu0
    stages = _stage_seconds(svc)  # before the re-run adds its (skipped) attempts
    lineage = lineage_ids(svc)
    t0 = time.perf_counter()
    run_urls(urls, svc, workers=workers)
    rerun = time.perf_counter() - t0
    cores = os.cpu_count() or 1
    return {
        "workers": workers,
        "ok": report.ok,
        "stopped_at": report.stopped_at.stage if report.stopped_at else None,
        "failed": [f"{f.stage}: {type(f.cause).__name__}" for f in report.failures],
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "busy": round(cpu / (wall * cores), 3),
        "videos_per_hour": round(len(urls) * 3600 / wall, 1),
        "rerun_s": round(rerun, 2),
        "rerun_same_lineage": lineage_ids(svc) == lineage,
        "lineage": lineage,
        "stage_s": stages,
        "stage_cpu_s": split.seconds if split is not None else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


class StageCpu(logging.Handler):
    """CPU seconds per stage at one worker, where a batch's stages run one after another: the CPU spent
    since the previous stage or gate line goes to the stage (or "gates") whose line ends it. ffmpeg's CPU
    counts once the stage has waited for it, which it has by the time it logs."""

    LOGGERS = ("ophin.stages", "ophin.gates")
    ENDS_ATTEMPT = (" in %.1f s (attempt", ": attempt %d failed")

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds: dict[str, float] = {}
        self._mark = _cpu_s()
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            logger.setLevel(logging.INFO)
            logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        msg = str(record.msg)
        ends_attempt = record.name == "ophin.gates" or any(m in msg for m in self.ENDS_ATTEMPT)
        if not ends_attempt:  # a stage's own line in mid-attempt
            return
        now = _cpu_s()
        spent, self._mark = now - self._mark, now
        key = "gates" if record.name == "ophin.gates" else str(record.args[0])
        self.seconds[key] = round(self.seconds.get(key, 0.0) + spent, 2)

    def close(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeHandler(self)
        super().close()


def lineage_ids(svc: Any) -> dict[str, list[Any]]:
    """Per lineage table: [row count, sha256 of its sorted ids]; ids derive from content and params, so runs
    of the same videos at any worker count must agree on every one."""
    import hashlib

    from sqlalchemy import select

    from ophin.db.models import (
        Clip,
        Frame,
        Instruction,
        Pair,
        TranscriptSegment,
        Verification,
        Video,
        VisualCue,
    )
    from ophin.db.session import session_scope

    out: dict[str, list[Any]] = {}
    with session_scope(svc.sessions) as session:
        for model in (Video, Clip, Frame, TranscriptSegment, Pair, VisualCue, Instruction, Verification):
            ids = sorted(str(i) for i in session.scalars(select(model.id)))
            out[model.__tablename__] = [len(ids), hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]]
    return out


def _stage_seconds(svc: Any) -> dict[str, float]:
    """Wall seconds each stage's attempts took, summed over the batch's videos (stage_run rows)."""
    from sqlalchemy import func, select

    from ophin.db.models import StageRun
    from ophin.db.session import session_scope

    span = func.sum(func.extract("epoch", StageRun.finished_at - StageRun.started_at))
    with session_scope(svc.sessions) as session:
        rows = session.execute(select(StageRun.stage, span).group_by(StageRun.stage)).all()
    return {stage: round(float(s or 0.0), 2) for stage, s in rows}


def _cpu_s() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--db-url", default=ADMIN_URL, help="a Postgres admin URL (databases made per run)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*json.loads(args.child))))
        return
    from eval.corpus import demo_videos

    lectures = demo_videos()
    with tempfile.TemporaryDirectory(prefix="ophin-bench-workers-") as tmp:
        folder = Path(tmp)
        urls = [
            looped(lectures[i % len(lectures)], folder / f"lecture{i}.mp4", args.minutes, 3.0 * i).as_uri()
            for i in range(args.videos)
        ]
        counts = [int(n) for n in args.workers.split(",") if n.strip()]
        shape = {"videos": len(urls), "minutes": args.minutes}  # what bench.plan scales from
        rows = [{**shape, **run_once(urls, n, args.db_url, folder / f"home{n}")} for n in counts]
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{args.videos} videos x {args.minutes:g} min, {os.cpu_count()} cores")
    header = ("workers", "wall s", "CPU s", "busy", "videos/h", "re-run s", "peak MB")
    print("".join(f"{h:>10}" for h in header))
    for r in rows:
        cells = (r["workers"], r["wall_s"], r["cpu_s"], f"{r['busy']:.0%}", r["videos_per_hour"])
        cells += (r["rerun_s"], r["peak_rss_mb"])
        why = f"  (gate {r['stopped_at']} stopped it)" if r["stopped_at"] else ""
        why += "" if r["rerun_same_lineage"] else "  (the re-run changed lineage rows)"
        print("".join(f"{c:>10}" for c in cells) + why + "".join(f"  failed {f}" for f in r["failed"]))
    counts = ", ".join(f"{n} {table}" for table, (n, _) in rows[0]["lineage"].items())
    differences = lineage_differences(rows)
    print(f"lineage ({counts}): {'DIFFERS' if differences else 'identical'} across worker counts")
    for line in differences:
        print(f"  {line}")


def lineage_differences(rows: list[dict[str, Any]]) -> list[str]:
    """One line per table whose [count, id digest] at some worker count is not the first row's."""
    first = rows[0]
    return [
        f"{table}: {first['lineage'][table]} at {first['workers']} workers, {got} at {r['workers']}"
        for r in rows[1:]
        for table, got in r["lineage"].items()
        if got != first["lineage"].get(table)
    ]


if __name__ == "__main__":
    main()
