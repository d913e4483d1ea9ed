"""`ophin release diff` and `ophin release list`: compare two release folders, list the releases built."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ophin.cli_common import fail, load_services

app = typer.Typer(help="Releases: diff, list", no_args_is_help=True)


@app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="The older release folder (manifest.json + index.jsonl).")],
    new: Annotated[Path, typer.Argument(help="The newer release folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Every change, machine-readable.")] = False,
    limit: Annotated[int, typer.Option(help="Records listed per kind of change in text.")] = 20,
) -> None:
    """What was added, removed and changed between two releases, and why (exit 0 when they differ)."""
    from ophin.release.diff import diff_releases, load_release

    try:
        result = diff_releases(load_release(old), load_release(new))
    except (OSError, ValueError) as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        typer.echo(result.to_text(limit=limit), nl=False)


@app.command("list")
def list_releases(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Every release built, newest first."""
    import sqlalchemy as sa
    from rich.console import Console
    from rich.table import Table

    from ophin.db.models import Release
    from ophin.db.session import session_scope

    svc = load_services()
    with session_scope(svc.sessions) as session:
        rows = [
            {
                "id": str(r.id),
                "created_at": r.created_at.isoformat() if r.created_at else None,
                "format": r.format,
                "n_records": r.n_records,
                "n_images": r.n_images,
                "location": r.location,
            }
            for r in session.scalars(sa.select(Release).order_by(Release.created_at.desc(), Release.id))
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} releases")
    for column in ("id", "created", "format", "records", "images", "location"):
        table.add_column(column)
    for r in rows:
        counts = (str(r["n_records"]), str(r["n_images"]))
        table.add_row(r["id"], r["created_at"] or "", r["format"], *counts, r["location"])
    Console().print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="release")
