"""`ophin`: run the engine, inspect lineage and status, tune the cue separator, export releases."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from ophin.cli.common import console, fail, say, usage_error
from ophin.cli.common import load_services as _services
from ophin.cli.common import load_settings as _settings
from ophin.cli.crawl import register as register_crawl
from ophin.cli.llm import register as register_llm
from ophin.cli.release import register as register_release
from ophin.cli.report import register as register_report
from ophin.cli.review import register as register_review

if TYPE_CHECKING:
    from ophin.stages.export import ExportResult


class _OneLineErrors(TyperGroup):
    """Known failures (database, settings, a read-only home) end in one line and exit code 2."""

    def invoke(self, ctx):  # noqa: ANN001, ANN201 - click's signature
        from ophin.cli.errors import describe

        try:
            return super().invoke(ctx)
        except Exception as exc:
            message = describe(exc)
            if message is None:
                raise
            raise usage_error(message) from None


app = typer.Typer(
    help=__doc__,
    cls=_OneLineErrors,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Metadata database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
airflow_app = typer.Typer(help="What the Airflow DAGs need; Airflow on this machine.", no_args_is_help=True)
app.add_typer(airflow_app, name="airflow")
register_crawl(app)  # `ophin source ...` and `ophin crawl`
register_llm(app)  # `ophin llm check`
register_release(app)  # `ophin release diff|list`
register_report(app)  # `ophin report --html FILE`
register_review(app)  # `ophin review sample|label|export|import|report`


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what every stage does.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def read_targets(targets: list[str]) -> list[str]:
    """URLs given directly, or files holding one URL per line (blank lines and # comments skipped)."""
    urls: list[str] = []
    for target in targets:
        path = Path(target)
        if "://" not in target and path.is_file():
            with path.open("rb") as f:
                if b"\x00" in f.read(4096):  # a video (binary), not a list of URLs
                    raise fail(
                        f"{target}: a media file, not a file of URLs; pass {path.resolve().as_uri()} "
                        "with OPHIN_ACQUIRE__ALLOW_FILE_URLS=true"
                    )
            lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
            found = [line for line in lines if line and not line.startswith("#")]
            if not found:
                raise fail(f"{target}: no URLs in file")
            urls.extend(found)
        elif "://" in target:
            urls.append(target)
        else:
            raise fail(f"{target}: neither a URL nor a readable file of URLs")
    return urls


def _run_with_progress(label: str, fn):  # noqa: ANN001, ANN202
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label)
        return fn(lambda entity, stage: bar.update(task, description=f"{stage:<11} {entity[:80]}"))


def _print_batch(report) -> None:  # noqa: ANN001
    for failure in report.failures:
        cause = failure.cause
        say("failed", "yellow", f"{failure.stage} {failure.entity_key}: {type(cause).__name__}: {cause}")
    for result in report.partial:
        say(
            "partial",
            "yellow",
            f"{result.stage} {result.entity_key}: {result.output.get('failed')} item(s) failed",
        )
    stopped = report.stopped_at
    if stopped is not None:
        say("gate failed:", "red", f"{stopped.stage}: {'; '.join(stopped.failed)}")
        say(
            "stopped:",
            "red",
            f"nothing after {stopped.stage} ran for this batch; `ophin status` lists the gates",
        )
    elif report.gates:
        say("gates passed:", "green", ", ".join(g.stage for g in report.gates))


def _print_counts(sessions) -> None:  # noqa: ANN001
    from ophin.db.session import session_scope
    from ophin.reports import counts

    with session_scope(sessions) as session:
        _print_count_table(counts(session))


def _print_count_table(c: dict) -> None:
    table = Table(title="OphIn Engine")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in (
        "videos",
        "clips",
        "frames",
        "frames_kept",
        "segments",
        "pairs",
        "pairs_kept",
        "visual_cues",
        "instructions_accepted",
        "instructions_rejected",
        "instructions_failed",
    ):
        table.add_row(key.replace("_", " "), str(c[key]))
    Console().print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply Alembic migrations to the configured (or embedded) PostgreSQL."""
    from ophin.db.migrate import upgrade
    from ophin.db.session import get_engine
    from ophin.settings import get_settings

    upgrade(get_engine(get_settings()))
    console.print("database at head")


@airflow_app.command("init")
def airflow_init() -> None:
    """Once per deployment: migrate the lineage database and create the pools asr, llm and youtube.

    Idempotent (re-running resizes the pools to OPHIN_AIRFLOW__*_SLOTS). Needs the `airflow` command and
    its metadata database (AIRFLOW__DATABASE__SQL_ALCHEMY_CONN) migrated (`airflow db migrate`).
    """
    from ophin.orchestration.airflow_init import init_airflow

    try:
        written = init_airflow(_settings())
    except (RuntimeError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    console.print(
        "lineage database at head; pools " + ", ".join(f"{k}={v['slots']}" for k, v in written.items())
    )


@airflow_app.command(
    "standalone",
    # One string per paragraph: typer keeps a docstring's line breaks, which wrap badly in a terminal.
    help=(
        "The Airflow UI on this machine: `airflow standalone` with this repository's DAGs and plugin.\n\n"
        "Migrates the lineage database and creates the pools (as `ophin airflow init`), starts Airflow, then "
        "prints the URL, the login (user admin, a password generated once and kept in OPHIN_HOME/airflow) "
        "and the plugin's pages it serves (lineage, review, report). Runs until Ctrl-C; Airflow's output "
        "goes to OPHIN_HOME/airflow/standalone.log.\n\n"
        "AIRFLOW_HOME is OPHIN_HOME/airflow. Airflow's metadata is a database `airflow` on the lineage "
        "database's PostgreSQL server (the embedded one when OPHIN_DB__URL is unset) unless "
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN is set. LocalExecutor with parallelism 4, one api-server "
        "worker, examples off: AIRFLOW__* variables you set win, except the folders, address, executor and "
        "login. DAG tasks get this shell's OPHIN_* settings.\n\n"
        "Airflow's log servers bind every interface (ports 8793 and 8794, or "
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT and __TRIGGER_LOG_SERVER_PORT): Airflow has no setting "
        "for their address."
    ),
)
def airflow_standalone(
    port: Annotated[int, typer.Option(help="Port of the UI and API.", min=1, max=65535)] = 8080,
    host: Annotated[str, typer.Option(help="Address the api-server binds (0.0.0.0: every interface).")] = (
        "127.0.0.1"
    ),
) -> None:
    """`airflow standalone` on the engine's defaults (help above)."""
    from ophin.orchestration.airflow_local import serve

    try:
        code = serve(_settings(), host=host, port=port, say=lambda line: console.print(line, markup=False))
    except (RuntimeError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    raise typer.Exit(code)


@app.command()
def run(
    targets: Annotated[list[str], typer.Argument(help="URLs, or files with one URL per line.")],
    workers: Annotated[
        int | None,
        typer.Option(help="Videos worked on at once (default OPHIN_RUN__WORKERS; 0: one per CPU).", min=0),
    ] = None,
) -> None:
    """Run the whole pipeline for the given URLs. Re-running changes nothing; failures are recorded."""
    from ophin.pipeline import run_urls

    urls = read_targets(targets)
    svc = _services()
    n = svc.settings.run.worker_count(workers)
    report = _run_with_progress("running", lambda p: run_urls(urls, svc, progress=p, workers=n))
    _print_batch(report)
    _print_counts(svc.sessions)
    if not report.ok:
        n = len(report.failures) + len(report.partial)
        if n:
            say(
                "error:",
                "red",
                f"{n} stage(s) failed or partly failed (listed above); `ophin backfill` re-runs them",
            )
        raise typer.Exit(code=1)


# The bundled sample lectures and footage (eval/corpus/demo in a checkout): data the demo reads, not code.
DEMO_VIDEOS = Path(__file__).resolve().parents[2] / "eval" / "corpus" / "demo"


@app.command()
def demo(
    out: Annotated[Path | None, typer.Option(help="Dataset folder (default OPHIN_HOME/dataset).")] = None,
    videos: Annotated[
        Path, typer.Option(help="Folder of .mp4 lectures to run (default: the bundled sample lectures).")
    ] = DEMO_VIDEOS,
) -> None:
    """Run the engine on the bundled sample lectures and footage, and export the dataset."""
    from ophin.pipeline import run_urls
    from ophin.stages.export import export_release

    files = sorted(videos.glob("*.mp4")) if videos.is_dir() else []
    if not files:
        raise usage_error(f"{videos}: no .mp4 lectures there (give --videos DIR)")
    # The bundled lectures are local files, which the fetch policy refuses unless asked.
    settings = _settings().model_copy(deep=True)
    settings.acquire.allow_file_urls = True
    svc = _services(settings=settings)
    urls = [path.resolve().as_uri() for path in files]
    n = svc.settings.run.worker_count()
    report = _run_with_progress("demo", lambda p: run_urls(urls, svc, progress=p, workers=n))
    _print_batch(report)
    _print_counts(svc.sessions)
    _print_release(export_release(out or svc.settings.home_dir / "dataset", svc=svc))
    if not report.ok:
        raise typer.Exit(code=1)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """Counts of every lineage table, stage attempts by status, crawls, gates and the latest failures."""
    from ophin.db.session import session_factory, session_scope
    from ophin.reports import counts, crawl_summary, latest_gates, recent_failures

    # Read-only: no migration, no store, no scratch, so it works on a home this user cannot write.
    sessions = session_factory(_settings())
    with session_scope(sessions) as session:
        data = {
            **counts(session),
            "gates": latest_gates(session),
            "recent_failures": recent_failures(session),
            "crawl": crawl_summary(session),
        }
    if as_json:
        typer.echo(json.dumps(data, indent=1, default=str))
        return
    _print_count_table(data)  # the counts read above, not read again
    for stage, by_status in sorted(data["stages"].items()):
        typer.echo(f"{stage:<11} " + ", ".join(f"{k}={v}" for k, v in sorted(by_status.items())))
    crawl = data["crawl"]
    if crawl["sources"]:
        archive = ", ".join(f"{k}={v}" for k, v in sorted(crawl["candidates"].items()))
        typer.echo(f"crawl       {crawl['sources_enabled']}/{crawl['sources']} sources enabled; {archive}")
        for r in crawl["runs"][:3]:
            c = r["counts"]
            say(
                f"crawl {r['status']}",
                "green" if r["status"] == "succeeded" else "yellow",
                f"{r['started_at']:%Y-%m-%d %H:%M} {c.get('new', 0)} new, "
                f"{c.get('downloaded', 0)} downloaded, {sum(r['rejected'].values())} rejected"
                + (f": {r['error']}" if r["error"] else ""),
            )
    for g in data["gates"]:
        style = "green" if g["success"] else "red"
        say(f"gate {'passed' if g['success'] else 'FAILED'}", style, f"{g['batch']} {g['summary']}")
    for f in data["recent_failures"]:
        say(
            f"{f['status']}",
            "yellow",
            f"{f['stage']} {f['entity']} (attempt {f['attempt']}): {f['error_class']}: {f['error']}",
        )


@app.command()
def lineage(
    id: Annotated[str, typer.Argument(help="An instruction, pair, frame, clip, segment or video id.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Trace an id back to its video URL and the seconds of video it came from."""
    from ophin.db.session import session_factory, session_scope
    from ophin.lineage.trace import UnknownId
    from ophin.lineage.trace import lineage as trace

    try:
        with session_scope(session_factory(_settings())) as session:
            data = trace(session, id)
    except UnknownId as exc:
        raise fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(data, indent=1, default=str))
        return
    v = data["video"]
    typer.echo(f"{data['kind']} {data['id']}")
    typer.echo(f"  video   {v['url']}  ({v['title']}, license: {v['license']})")
    if "frame" in data:
        typer.echo(f"  frame   t={data['frame']['t_s']:.2f}s  {data['frame']['object_key']}")
    if "pair" in data:
        p = data["pair"]
        typer.echo(f"  spoken  {p['start_s']:.2f}-{p['end_s']:.2f}s: {p['text']}")
    if "instruction" in data:
        i = data["instruction"]
        typer.echo(f"  {i['kind']} [{i['status']}] by {i['generator']}")
        for turn in i["turns"] or []:
            typer.echo(f"    {turn['role']:>5}: {turn['text']}")


@app.command()
def export(
    out: Annotated[
        Path | None,
        typer.Option(
            help="Also write the release to this local folder: a new or empty one, or an earlier export "
            "(replaced whole). Any other folder, or a file, is refused and left as it is."
        ),
    ] = None,
    formats: Annotated[
        str | None, typer.Option("--format", help="Comma-separated: llava, sharegpt, hf (default: all).")
    ] = None,
    kinds: Annotated[
        str | None, typer.Option(help="Comma-separated kinds: vqa, conversation, cot (default: all).")
    ] = None,
    allow_empty: Annotated[
        bool,
        typer.Option("--allow-empty", help="Publish a release with no instruction (refused by default)."),
    ] = False,
    reviewed: Annotated[
        str | None,
        typer.Option(
            help="Use people's review labels: exclude-bad leaves out records whose reviewers' consensus is "
            "bad; corrected also replaces an answer by a reviewer's correction; off ignores them "
            "(default: settings release.reviewed, off)."
        ),
    ] = None,
) -> None:
    """Publish a release of the accepted, gated instructions to the object store (and --out, if given):
    LLaVA, ShareGPT/LLaMA-Factory and Hugging Face formats, a dataset card, splits and a manifest.

    Exit 2 with one line: an unknown format, kind or --reviewed mode, an --out that may not be replaced,
    nothing to release.
    """
    from ophin.release.reviewed import MODES
    from ophin.stages.export import FORMATS, KINDS, export_release

    chosen = _csv(formats)
    if chosen and set(chosen) - set(FORMATS):
        raise usage_error(f"unknown format {formats!r}; choose from {', '.join(FORMATS)}")
    chosen_kinds = _csv(kinds)
    if chosen_kinds and set(chosen_kinds) - set(KINDS):
        raise usage_error(f"unknown kind {kinds!r}; choose from {', '.join(KINDS)}")
    if reviewed is not None and reviewed not in MODES:
        raise usage_error(f"unknown --reviewed {reviewed!r}; choose from {', '.join(MODES)}")
    result = export_release(
        out, svc=_services(), formats=chosen, kinds=chosen_kinds, allow_empty=allow_empty, reviewed=reviewed
    )
    _print_release(result)


def _csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def _print_release(result: ExportResult) -> None:
    splits = ", ".join(f"{s} {c['records']}" for s, c in result.splits.items()) or "empty"
    where = f"{result.location}" + (f" and {result.out_dir}" if result.out_dir else "")
    state = "published" if result.published else "already published"
    typer.echo(
        f"release {result.release_id}: {result.records} instructions, {result.images} images "
        f"({splits}) {state} -> {where}"
    )
    for reason, n in result.left_out.items():
        typer.echo(f"  left out: {n} ({reason})")
    if review := result.review:
        typer.echo(
            f"  reviewed ({review['mode']}): {review['reviewed']} of {review['candidates']} candidates, "
            f"{review['good']} good, {review['usable']} usable, {review['bad']} bad; "
            f"{review['corrected']} answers corrected"
        )


@app.command()
def backfill(
    stage: Annotated[str | None, typer.Option(help="Only entities failed at this stage.")] = None,
    error_class: Annotated[
        str | None, typer.Option("--error-class", help="Only attempts that failed with it (e.g. MediaError).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only attempts started at or after (ISO date/time).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Only attempts started before (ISO date/time).")] = None,
    video: Annotated[list[str] | None, typer.Option(help="Only this video id (repeatable).")] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="List what would re-run; only dead workers' attempts are marked failed."
        ),
    ] = False,
) -> None:
    """Re-run failed, partial or abandoned work, and the stages after it; with no filter, all of it.

    Only the failed items of a partial stage are redone; lost media is fetched again first; nothing is
    duplicated (deterministic ids, upserts). The re-run videos pass the gates like any batch.
    """
    from ophin.pipeline import BackfillFilter, plan_backfill
    from ophin.pipeline import backfill as do_backfill

    try:
        which = BackfillFilter.parse(stage, error_class, since, until, video or ())
    except ValueError as exc:
        raise fail(str(exc)) from exc
    svc = _services(runner="backfill")
    if dry_run:
        plan = plan_backfill(svc, which)
        for url in plan.urls:
            typer.echo(f"acquire {url}")
        for vid in plan.videos:
            typer.echo(f"video   {vid}" + ("  (media lost: fetched again)" if vid in plan.refetch else ""))
        typer.echo(f"{len(plan.urls)} URL(s), {len(plan.videos)} video(s) would re-run")
        return
    report = _run_with_progress("backfill", lambda p: do_backfill(which, svc, progress=p))
    typer.echo(f"re-ran {len(report.videos)} video(s); {len(report.failures)} stage(s) failed")
    _print_batch(report)
    if not report.ok:
        raise typer.Exit(code=1)


@app.command()
def cues(
    file: Annotated[Path, typer.Argument(help="Text file, one sentence (or passage) per line; - for stdin.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    threshold: Annotated[float | None, typer.Option(help="Override OPHIN_CUES__THRESHOLD.")] = None,
) -> None:
    """Classify each line as visual cue or not, with score and reason (tune the cue separator)."""
    import sys

    from ophin.cues.rules import RuleCueScorer
    from ophin.settings import get_settings

    if str(file) == "-":
        text = sys.stdin.read()
    elif file.is_file():
        text = file.read_text(errors="replace")
    else:
        raise fail(f"{file}: no such file")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    scorer = RuleCueScorer(threshold if threshold is not None else get_settings().cues.threshold)
    verdicts = scorer.score(lines)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {"sentence": v.sentence, "is_visual": v.is_visual, "score": v.score, "reason": v.reason}
                    for v in verdicts
                ],
                indent=1,
            )
        )
        return
    for v in verdicts:
        mark = "CUE " if v.is_visual else "    "
        typer.echo(f"{mark}{v.score:4.2f}  {v.sentence}\n          {v.reason}")


if __name__ == "__main__":
    app()
