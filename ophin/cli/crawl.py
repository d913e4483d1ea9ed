"""`ophin source` and `ophin crawl`: manage what the crawler reads, and run a crawl."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ophin.cli.common import fail, load_services, say

source_app = typer.Typer(help="Sources the crawler reads (YouTube searches, channels, playlists, feeds).")
_KIND_HELP = "youtube_search, youtube_channel, youtube_playlist, feed, page or urls."


@source_app.command("add")
def source_add(
    kind: Annotated[str, typer.Argument(help=_KIND_HELP)],
    target: Annotated[str, typer.Argument(help="A search query, or the URL to list.")],
    name: Annotated[str | None, typer.Option(help="A label for `ophin source list`.")] = None,
    max_items: Annotated[
        int | None, typer.Option(help="Entries read per crawl (OPHIN_CRAWL__MAX_ITEMS).")
    ] = None,
    newest_first: Annotated[
        bool | None,
        typer.Option("--newest-first/--any-order", help="Stop at the first known video (default per kind)."),
    ] = None,
) -> None:
    """Add a source (or re-enable it with new limits); its id is derived from kind and target."""
    from ophin.crawl.sources import SourceSpec, add_sources
    from ophin.db.session import session_scope

    try:
        spec = SourceSpec(kind, target, name=name, max_items=max_items, newest_first=newest_first)
    except ValueError as exc:
        raise fail(str(exc)) from None
    svc = load_services()
    with session_scope(svc.sessions) as session:
        (added,) = add_sources(session, [spec], svc.settings.crawl.max_items)
    typer.echo(str(added))


@source_app.command("taxonomy")
def source_taxonomy(
    category: Annotated[
        list[str] | None,
        typer.Option(help="conditions, modalities, anatomy or procedures (repeatable; default all)."),
    ] = None,
    template: Annotated[
        str | None, typer.Option(help="The query, with {term} (default: the domain pack's).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many sources.")] = None,
    max_items: Annotated[int | None, typer.Option(help="Entries read per search per crawl.")] = None,
) -> None:
    """Add one YouTube search per term of the domain pack's taxonomy."""
    from ophin.crawl.sources import add_sources, taxonomy_sources
    from ophin.db.session import session_scope

    try:
        specs = taxonomy_sources(category or None, template=template, limit=limit, max_items=max_items)
    except ValueError as exc:
        raise fail(str(exc)) from None
    svc = load_services()
    with session_scope(svc.sessions) as session:
        added = add_sources(session, specs, svc.settings.crawl.max_items)
    typer.echo(f"{len(added)} search sources added or refreshed")


@source_app.command("list")
def source_list(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Every source, enabled or not, with when it was last crawled."""
    from ophin.crawl.sources import list_sources
    from ophin.db.session import session_scope

    svc = load_services()
    with session_scope(svc.sessions) as session:
        rows = [
            {
                "id": str(s.id),
                "kind": s.kind,
                "target": s.target,
                "name": s.name,
                "enabled": s.enabled,
                "max_items": s.max_items,
                "newest_first": s.newest_first,
                "last_crawled_at": s.last_crawled_at.isoformat() if s.last_crawled_at else None,
            }
            for s in list_sources(session)
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} sources")
    for column in ("id", "kind", "target", "enabled", "max items", "last crawled"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["id"][:8],
            r["kind"],
            (r["name"] or r["target"])[:70],
            "yes" if r["enabled"] else "no",
            str(r["max_items"]),
            r["last_crawled_at"] or "never",
        )
    Console().print(table)


@source_app.command("disable")
def source_disable(
    ref: Annotated[str, typer.Argument(help="A source id, or a unique prefix of it.")],
) -> None:
    """Stop crawling a source; what it found stays (re-enable with `ophin source add`)."""
    from ophin.crawl.sources import disable_source
    from ophin.db.session import session_scope

    svc = load_services()
    with session_scope(svc.sessions) as session:
        try:
            source = disable_source(session, ref)
        except LookupError as exc:
            raise fail(str(exc)) from None
        typer.echo(f"disabled {source.id} ({source.kind} {source.target})")


def crawl(
    source: Annotated[
        list[str] | None, typer.Option(help="Only these sources (id or prefix; repeatable).")
    ] = None,
    discover: Annotated[bool, typer.Option("--discover/--no-discover", help="Read the listings.")] = True,
    download: Annotated[bool, typer.Option("--download/--no-download", help="Fetch accepted videos.")] = True,
    process: Annotated[bool, typer.Option(help="Then run the pipeline on the new videos.")] = False,
) -> None:
    """Discover new videos in the enabled sources, judge their licences, download the accepted ones.

    Exit code 1 when a source failed or the crawl stopped on a rate limit (a later crawl resumes it).
    """
    from ophin.crawl.sources import find_source
    from ophin.db.session import session_scope
    from ophin.orchestration.crawl_runs import Terminated, sigterm_raises
    from ophin.orchestration.crawl_runs import crawl as run_crawl

    svc = load_services()
    ids = None
    if source:
        with session_scope(svc.sessions) as session:
            try:
                ids = [find_source(session, ref).id for ref in source]
            except LookupError as exc:
                raise fail(str(exc)) from None
    try:
        with sigterm_raises():  # a SIGTERM closes the crawl_run (failed, saying so) before the exit
            report = run_crawl(svc, source_ids=ids, discover_pass=discover, download_pass=download)
    except Terminated as exc:
        say("crawl stopped:", "red", f"{exc}; its crawl_run is closed as failed")
        raise typer.Exit(code=143) from None
    c = report.counts
    say(
        f"crawl {report.status}:",
        "green" if report.status == "succeeded" else "yellow",
        f"{c.get('seen', 0)} seen, {c.get('new', 0)} new, {c.get('accepted', 0)} accepted, "
        f"{sum(report.rejected.values())} rejected, {c.get('downloaded', 0)} downloaded, "
        f"{c.get('duplicates', 0)} duplicates, {c.get('failed', 0)} failed (crawl_run {report.run_id})",
    )
    for rule, n in sorted(report.rejected.items()):
        say("rejected:", "yellow", f"{n} for {rule}")
    for line in report.invalid[:20]:
        say("rejected line:", "yellow", line)
    if len(report.invalid) > 20:
        say("rejected line:", "yellow", f"... and {len(report.invalid) - 20} more (crawl_candidate rows)")
    for sid, outcome in report.sources.items():
        if "error" in outcome:
            say("source failed:", "red", f"{sid[:8]}: {outcome['error']}")
    processed_ok = True
    if process and report.urls:
        from ophin.pipeline import run_urls

        batch = run_urls(report.urls, svc)
        processed_ok = batch.ok
        say(
            "processed:",
            "green" if batch.ok else "yellow",
            f"{len(batch.videos)} new videos"
            + ("" if batch.ok else " with failures or a failed gate (`ophin status`)"),
        )
    if report.status != "succeeded" or not processed_ok:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.add_typer(source_app, name="source")
    app.command("crawl")(crawl)
