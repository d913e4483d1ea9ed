"""Benchmark the engine on the bundled corpus: per-stage wall time, ASR real-time factor and WER per
backend setting, peak memory. Prints a table; numbers go into issue notes, not into tests."""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from eval.corpus import demo_videos, ground_truth, heldout_videos
from eval.quality.transcription import word_error_rate
from ophin.adapters.asr import FasterWhisperTranscriber
from ophin.adapters.media import FfmpegMedia
from ophin.db.migrate import upgrade
from ophin.db.models import StageRun
from ophin.db.session import get_engine, session_scope
from ophin.pipeline import run_urls
from ophin.services import build_services
from ophin.settings import AsrSettings, Settings


def _wer(reference: str, hypothesis: str) -> float:
    """Word error rate, as the transcription report computes it (eval.quality.transcription)."""
    return word_error_rate(reference, hypothesis).rate


def bench_asr(home: Path, variants: list[dict]) -> list[dict]:
    """RTF and WER of faster-whisper settings over every corpus video (audio extracted once)."""
    media = FfmpegMedia()
    truth = {v["file"]: v for s in ("demo", "heldout") for v in ground_truth(s)["videos"]}
    audio = []
    for path in [*demo_videos(), *heldout_videos()]:
        wav = media.extract_audio(path, home / f"{path.stem}.wav")
        narration = " ".join(t["text"] for sc in truth[path.name]["scenes"] for t in sc["sentences"])
        audio.append((wav, narration, truth[path.name]["duration_s"]))
    rows = []
    for variant in variants:
        transcriber = FasterWhisperTranscriber(AsrSettings(**variant), home / "models")
        start = time.perf_counter()
        transcriber._load()
        load_s = time.perf_counter() - start
        seconds = words = errors = 0.0
        for wav, narration, _ in audio:
            t0 = time.perf_counter()
            text = " ".join(s.text for s in transcriber.transcribe(wav).segments)
            seconds += time.perf_counter() - t0
            n = len(narration.split())
            errors += _wer(narration, text) * n
            words += n
        total_audio = sum(d for _, _, d in audio)
        rows.append(
            {
                **variant,
                "load_s": round(load_s, 2),
                "rtf": round(seconds / total_audio, 3),
                "wer": round(errors / words, 3),
                "audio_s": round(total_audio, 1),
            }
        )
    return rows


def bench_pipeline(home: Path, db_url: str) -> dict:
    settings = Settings(home=home, db={"url": db_url}, acquire={"allow_file_urls": True})
    upgrade(get_engine(settings))
    svc = build_services(settings, runner="bench")
    urls = [p.resolve().as_uri() for p in demo_videos()]
    t0 = time.perf_counter()
    report = run_urls(urls, svc)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_urls(urls, svc)
    warm = time.perf_counter() - t0
    with session_scope(svc.sessions) as session:
        stages = dict(
            session.execute(
                select(StageRun.stage, func.sum(StageRun.duration_s))
                .where(StageRun.status == "succeeded")
                .group_by(StageRun.stage)
            ).all()
        )
    video_s = sum(FfmpegMedia().probe(p).duration_s for p in demo_videos())
    return {
        "videos": len(urls),
        "video_s": round(video_s, 1),
        "failures": len(report.failures),
        "cold_run_s": round(cold, 2),
        "rerun_s (all skipped)": round(warm, 2),
        "stage_s": {k: round(v, 2) for k, v in sorted(stages.items())},
        "video_s_per_wall_s": round(video_s / cold, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--db-url", default="", help="Postgres URL (default: embedded pgserver in a temp dir)"
    )
    parser.add_argument("--skip-asr", action="store_true", help="only the pipeline benchmark")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ophin-bench-") as tmp:
        home = Path(tmp)
        results = {"pipeline": bench_pipeline(home, args.db_url)}
        if not args.skip_asr:
            results["asr"] = bench_asr(
                home,
                [
                    {"compute_type": "int8", "beam_size": 1},
                    {"compute_type": "int8", "beam_size": 5},
                    {"compute_type": "float32", "beam_size": 1},
                    {"compute_type": "int8", "beam_size": 1, "initial_prompt": ""},
                ],
            )
        results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    p = results["pipeline"]
    print(
        f"pipeline: {p['videos']} videos, {p['video_s']} s of video, cold {p['cold_run_s']} s "
        f"({p['video_s_per_wall_s']} s video / s), re-run {p['rerun_s (all skipped)']} s, "
        f"failures {p['failures']}"
    )
    for stage, seconds in p["stage_s"].items():
        print(f"  {stage:<11} {seconds:7.2f} s")
    for row in results.get("asr", []):
        prompt = "no prompt" if row.get("initial_prompt") == "" else "domain prompt"
        print(
            f"asr faster-whisper base {row['compute_type']:<7} beam={row['beam_size']} {prompt:<13} "
            f"RTF {row['rtf']:.3f}  WER {row['wer']:.3f}  load {row['load_s']} s  ({row['audio_s']} s audio)"
        )
    print(f"peak RSS {results['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
