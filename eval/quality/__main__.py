"""`python -m eval.quality`: run the engine on corpus sets with ground truth and print the quality report.

A missed target is a red figure in the report; the exit status is 0 unless `--strict` (or the run failed).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from eval.corpus import HELDOUT_SETS, SETS, footage_truth, footage_videos, ground_truth, videos


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.quality", description=__doc__)
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        choices=SETS,
        help=f"corpus set (repeatable; default {HELDOUT_SETS})",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--examples", action="store_true", help="also print five records of each kind")
    parser.add_argument(
        "--show-text",
        action="store_true",
        help="print held-out record text in the problem lines (withheld by default: not read while tuning)",
    )
    parser.add_argument(
        "--transcripts",
        choices=("asr", "oracle"),
        default="asr",
        help="oracle: the true narration in place of Whisper's (an ablation: what recognition costs); "
        "run it in a fresh OPHIN_HOME",
    )
    args = parser.parse_args(argv)

    from eval.quality.report import measure, render, render_examples, withhold_text
    from ophin.adapters import vision
    from ophin.cli.app import _print_batch, _run_with_progress
    from ophin.cli.common import load_services, load_settings
    from ophin.db.session import session_scope
    from ophin.pipeline import run_urls

    missed = False
    for set_name in args.sets or HELDOUT_SETS:
        settings = load_settings().model_copy(deep=True)
        settings.acquire.allow_file_urls = True  # the sets are bundled files
        svc = load_services(settings=settings)
        files = [*videos(set_name), *footage_videos(set_name)]
        if args.transcripts == "oracle":
            from eval.quality.oracle import OracleTranscriber

            truth = {v["file"]: v for v in [*ground_truth(set_name)["videos"], *footage_truth(set_name)]}
            svc.transcriber = OracleTranscriber.for_videos(svc.media, [(f, truth[f.name]) for f in files])
        urls = [p.resolve().as_uri() for p in files]
        batch = _run_with_progress(set_name, lambda p: run_urls(urls, svc, progress=p, gate=False))  # noqa: B023
        _print_batch(batch)
        with session_scope(svc.sessions) as session:
            result = measure(session, svc.store, set_name, ocr=svc.ocr, detect_faces=vision.detect_faces)
        if set_name in HELDOUT_SETS and not args.show_text:
            withhold_text(result, keep_examples=args.examples)
        if args.json:
            print(json.dumps({**asdict(result), "passed": result.passed()}, indent=1, default=str))
        else:
            print(render(result))
            if args.examples:
                print(render_examples(result))
        missed |= not all(result.passed().values()) or not batch.ok
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
