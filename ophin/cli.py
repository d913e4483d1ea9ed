"""`ophin`: run the engine, inspect lineage and status, tune the cue separator, export releases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Metadata database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
console = Console(stderr=True, soft_wrap=True)  # one-line reasons stay on one line


def fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


def _services(runner: str = "cli"):  # noqa: ANN202 - ophin.services.Services, imported lazily
    from ophin.db.migrate import upgrade
    from ophin.db.session import get_engine
    from ophin.services import build_services
    from ophin.settings import get_settings

    settings = get_settings()
    upgrade(get_engine(settings))  # idempotent; a fresh OPHIN_HOME needs no separate step
    return build_services(settings, runner=runner)


def read_targets(targets: list[str]) -> list[str]:
    """URLs given directly, or files holding one URL per line (blank lines and # comments skipped)."""
    urls: list[str] = []
    for target in targets:
        path = Path(target)
        if "://" not in target and path.is_file():
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
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(label)
        return fn(lambda entity, stage: bar.update(task, description=f"{stage:<11} {entity[:80]}"))


def _print_batch(report) -> None:  # noqa: ANN001
    for failure in report.failures:
        console.print(
            f"[yellow]failed[/yellow] {failure.stage} {failure.entity_key}: "
            f"{type(failure.cause).__name__}: {failure.cause}"
        )
    if report.gate is not None:
        state = "[green]passed[/green]" if report.gate.success else f"[red]failed[/red] {report.gate.failed}"
        console.print(f"quality gate (instructions): {state}")


def _print_counts(svc) -> None:  # noqa: ANN001
    from ophin.db.session import session_scope
    from ophin.reports import counts

    with session_scope(svc.sessions) as session:
        c = counts(session)
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


@app.command()
def run(targets: Annotated[list[str], typer.Argument(help="URLs, or files with one URL per line.")]) -> None:
    """Run the whole pipeline for the given URLs. Re-running changes nothing; failures are recorded."""
    from ophin.pipeline import run_urls

    urls = read_targets(targets)
    svc = _services()
    report = _run_with_progress("running", lambda p: run_urls(urls, svc, progress=p))
    _print_batch(report)
    _print_counts(svc)
    if report.failures and not report.videos:
        raise typer.Exit(code=1)


@app.command()
def demo(
    out: Annotated[Path | None, typer.Option(help="Dataset folder (default OPHIN_HOME/dataset).")] = None,
) -> None:
    """Run the engine on the bundled sample lectures and export the dataset."""
    from ophin.pipeline import run_urls
    from ophin.sample_corpus import demo_videos
    from ophin.stages.export import export_release

    svc = _services()
    urls = [path.resolve().as_uri() for path in demo_videos()]
    report = _run_with_progress("demo", lambda p: run_urls(urls, svc, progress=p))
    _print_batch(report)
    _print_counts(svc)
    result = export_release(out or svc.settings.home_dir / "dataset", svc=svc)
    console.print(
        f"dataset: {result.records} instructions, {result.images} images -> "
        f"{result.out_dir.resolve() / 'llava.json'} (release {result.release_id})"
    )


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """Counts of every lineage table, stage attempts by status, and the latest failures."""
    from ophin.db.session import session_scope
    from ophin.reports import counts, recent_failures

    svc = _services()
    with session_scope(svc.sessions) as session:
        data = {**counts(session), "recent_failures": recent_failures(session)}
    if as_json:
        typer.echo(json.dumps(data, indent=1, default=str))
        return
    _print_counts(svc)
    for stage, by_status in sorted(data["stage_runs"].items()):
        console.print(f"{stage:<11} " + ", ".join(f"{k}={v}" for k, v in sorted(by_status.items())))
    for f in data["recent_failures"]:
        console.print(
            f"[yellow]failed[/yellow] {f['stage']} {f['entity']} (attempt {f['attempt']}): "
            f"{f['error_class']}: {f['error']}"
        )


@app.command()
def lineage(
    id: Annotated[str, typer.Argument(help="An instruction, pair, frame, clip, segment or video id.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Trace an id back to its video URL and the seconds of video it came from."""
    from ophin.db.session import session_scope
    from ophin.lineage import UnknownId
    from ophin.lineage import lineage as trace

    svc = _services()
    try:
        with session_scope(svc.sessions) as session:
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
    out: Annotated[Path, typer.Option(help="Output folder (created).")],
    format: Annotated[str, typer.Option(help="Release format.")] = "llava",
) -> None:
    """Write accepted instructions and their images as a release (LLaVA JSON + images/ + manifest)."""
    from ophin.stages.export import FORMATS, export_release

    if format not in FORMATS:
        raise fail(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    result = export_release(out, svc=_services(), fmt=format)
    console.print(
        f"{result.records} instructions, {result.images} images -> {out} (release {result.release_id})"
    )


@app.command()
def backfill(
    stage: Annotated[str, typer.Option(help="Stage whose failed attempts to re-run.")],
    abandoned_after: Annotated[
        float, typer.Option(help="Seconds after which a still-running attempt counts as failed.")
    ] = 6 * 3600,
) -> None:
    """Re-run every entity whose latest attempt at STAGE failed (or was abandoned), and the stages after."""
    from ophin.pipeline import STAGE_NAMES
    from ophin.pipeline import backfill as do_backfill

    if stage not in STAGE_NAMES:
        raise fail(f"unknown stage {stage!r}; choose one of {', '.join(STAGE_NAMES)}")
    svc = _services(runner="backfill")
    report = _run_with_progress(
        "backfill", lambda p: do_backfill(stage, svc, progress=p, abandoned_after_s=abandoned_after)
    )
    console.print(
        f"re-ran {len(report.videos) + len(report.failures)} entities: "
        f"{len(report.videos)} succeeded, {len(report.failures)} failed"
    )
    _print_batch(report)


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
