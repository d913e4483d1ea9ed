"""`python -m eval.review`: the labelled set of the sample corpus, and the verifier measured against it.

    build --out DIR   run the engine on the sample corpus (demo and dev sets), draw a review batch of every
                      verified instruction and export it for labelling (Label Studio tasks, images)
    packets           split the exported tasks into blind labelling packets (image, turns, transcript, script)
    collect           the reviewers' JSON Lines labels into the labelled set (a Label Studio JSON export)
    measure           run the engine on the same videos, import the labelled set (a Label Studio JSON export)
                      and print `ophin review report`: verdict rates, each check's precision and recall

A label judges a record's text, so `measure` finds each labelled record in the run by what it says (its
video, kind and turns), not by id: ids follow the engine's parameters, and a change elsewhere in the engine
renews every id while most records read the same. A labelled record the run no longer makes is counted as
gone (its label judged other words) and left out. Both runs answer speech from eval/review/asr_answers
(Whisper's answers recorded when the set was built): Whisper int8 hears a little differently on different
CPUs, and another machine would otherwise make other records than the ones labelled.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ASR_ANSWERS = HERE / "asr_answers"
LABELS = HERE / "sample_corpus_labels.json"  # a Label Studio JSON export: tasks with their annotations
NOTES = HERE / "sample_corpus_notes.jsonl"  # each reviewer's one-line reason per label
SETS = ("demo", "dev")
BATCH = "sample-corpus"


def _services(record: bool):  # noqa: ANN202
    from ophin.cli.common import load_services, load_settings

    settings = load_settings().model_copy(deep=True)
    settings.acquire.allow_file_urls = True  # the sets are bundled files
    settings.asr.cache_dir = ASR_ANSWERS
    settings.asr.cache_write = record
    return load_services(settings=settings)


def _run(svc) -> None:  # noqa: ANN001
    from eval.corpus import footage_videos, videos
    from ophin.cli.app import _print_batch, _run_with_progress
    from ophin.pipeline import run_urls

    for set_name in SETS:
        urls = [p.resolve().as_uri() for p in [*videos(set_name), *footage_videos(set_name)]]
        batch = _run_with_progress(set_name, lambda p: run_urls(urls, svc, progress=p, gate=False))  # noqa: B023
        _print_batch(batch)


def build(out: Path) -> int:
    import sqlalchemy as sa

    from ophin.db.models import InstructionVerdict
    from ophin.db.session import session_scope
    from ophin.review.label_studio import export_batch
    from ophin.review.sample import sample_batch

    svc = _services(record=True)
    _run(svc)
    with session_scope(svc.sessions) as session:
        verified = session.scalar(sa.select(sa.func.count()).select_from(InstructionVerdict))
        bid = sample_batch(session, verified, seed=0, name=BATCH)
        result = export_batch(session, svc.store, bid, out, image_url_prefix="images/")
    print(f"{result.n_tasks} task(s), {result.images} image(s) in {out}; label them, export JSON to {LABELS}")
    return 0


def relabel(session, tasks: list[dict]) -> tuple[list[dict], list[dict]]:  # noqa: ANN001
    """(tasks re-pointed at the run's instruction saying the same, tasks whose record it does not make)."""
    import sqlalchemy as sa

    from eval.review.packets import record_key

    rows = session.execute(
        sa.text(
            "SELECT i.id, i.kind, i.turns, v.url FROM instruction i JOIN frame f ON f.id = i.frame_id "
            "JOIN video v ON v.id = f.video_id JOIN instruction_verdict d ON d.instruction_id = i.id"
        )
    )
    here = {record_key(url, kind, turns or []): str(iid) for iid, kind, turns, url in rows}
    found, gone = [], []
    for task in tasks:
        d = task["data"]
        iid = here.get(record_key(d["video_url"], d["kind"], d["dialogue"]))
        if iid is None:
            gone.append(task)
        else:
            found.append({**task, "data": {**d, "instruction_id": iid}})
    return found, gone


def measure(labels: Path, as_json: bool) -> int:
    from ophin.db.session import session_scope
    from ophin.review.label_studio import import_labels
    from ophin.review.report import report_text, review_report

    svc = _services(record=False)
    _run(svc)
    tasks = json.loads(labels.read_text())
    with session_scope(svc.sessions) as session:
        found, gone = relabel(session, tasks)
        imported = import_labels(session, found, reviewer=None)
    for problem in imported.problems:
        print(f"not recorded: {problem}")
    print(
        f"{len(found)} of {len(tasks)} labelled record(s) made again by this run "
        f"({imported.recorded} label(s)); {len(gone)} no longer made (their labels judged other words)"
    )
    with session_scope(svc.sessions) as session:
        data = review_report(session, None)
    print(json.dumps(data, indent=1) if as_json else report_text(data), end="")
    return 1 if imported.problems else 0


def _labelled() -> tuple[list[dict], list[dict]]:
    """The labelled set as it stands (export, notes), empty before the first labels."""
    if not LABELS.exists():
        return [], []
    return json.loads(LABELS.read_text()), [json.loads(n) for n in NOTES.read_text().splitlines() if n]


def packets(tasks: Path, out: Path, n: int, overlap: int, again: int) -> int:
    from eval.review.packets import write_packets

    for path in write_packets(tasks, out, SETS, n, overlap, labelled=_labelled()[0], again=again):
        print(path)
    return 0


def collect(tasks: Path, labels: list[str]) -> int:
    from eval.review.packets import collect as collect_labels

    given = [(reviewer, Path(path)) for reviewer, _, path in (item.partition("=") for item in labels)]
    export, notes = collect_labels(tasks, given, *_labelled())
    LABELS.write_text(json.dumps(export, indent=1, ensure_ascii=False) + "\n")
    NOTES.write_text("".join(json.dumps(n, ensure_ascii=False) + "\n" for n in notes))
    print(f"{len(notes)} label(s) on {len(export)} record(s) -> {LABELS}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.review", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    commands = parser.add_subparsers(dest="command", required=True)
    b = commands.add_parser("build", help="run the engine on the sample corpus and export a batch to label")
    b.add_argument("--out", type=Path, required=True, help="folder for tasks.json, config.xml and images/")
    p = commands.add_parser("packets", help="split exported tasks into blind labelling packets")
    p.add_argument("--tasks", type=Path, required=True, help="tasks.json written by build")
    p.add_argument("--out", type=Path, required=True, help="folder for packet_a.md, packet_b.md, ...")
    p.add_argument("-n", type=int, default=6, help="number of packets (reviewers)")
    p.add_argument("--overlap", type=int, default=15, help="tasks of packet a also given to packet b (kappa)")
    p.add_argument("--again", type=int, default=0, help="already-labelled records to label once more (kappa)")
    c = commands.add_parser("collect", help="reviewers' JSON Lines labels added to the labelled set")
    c.add_argument("--tasks", type=Path, required=True, help="tasks.json written by build")
    c.add_argument("labels", nargs="+", help="REVIEWER=FILE.jsonl, one per reviewer")
    m = commands.add_parser("measure", help="the verifier's precision and recall against the labelled set")
    m.add_argument("--labels", type=Path, default=LABELS, help=f"Label Studio JSON export (default {LABELS})")
    m.add_argument("--json", action="store_true", help="machine-readable report")
    args = parser.parse_args(argv)
    if args.command == "build":
        return build(args.out)
    if args.command == "packets":
        return packets(args.tasks, args.out, args.n, args.overlap, args.again)
    if args.command == "collect":
        return collect(args.tasks, args.labels)
    return measure(args.labels, args.json)


if __name__ == "__main__":
    sys.exit(main())
