"""`ophin release diff` and `ophin release list`: compare two releases, list the releases built.

(`ophin export` builds and publishes a release.)
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from ophin.cli.common import fail, load_services

_RELEASE_ID = re.compile(r"[0-9a-fA-F-]{4,36}")  # a release id or a prefix of one
app = typer.Typer(help="Releases: diff, list", no_args_is_help=True)


@app.command("diff")
def diff(
    old: Annotated[str, typer.Argument(help="The older release: a folder, or a release id (or its prefix).")],
    new: Annotated[str, typer.Argument(help="The newer release: a folder or a release id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Every change, machine-readable.")] = False,
    limit: Annotated[int, typer.Option(help="Records listed per kind of change in text.")] = 20,
    explain: Annotated[
        bool, typer.Option(help="Add each removed record's status and reject reasons from the database.")
    ] = False,
) -> None:
    """What was added, removed and changed between two releases, and why (exit 0 when they differ)."""
    from ophin.db.session import session_scope
    from ophin.release.diff import diff_releases, explain_removed, load_release

    with tempfile.TemporaryDirectory(prefix="ophin-diff-") as tmp:
        try:
            before, after = (load_release(_folder(ref, Path(tmp))) for ref in (old, new))
            result = diff_releases(before, after)
        except (OSError, ValueError, LookupError) as exc:
            raise fail(str(exc)) from None
    if explain:
        with session_scope(load_services().sessions) as session:
            result = explain_removed(result, session)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        typer.echo(result.to_text(limit=limit), nl=False)


def _folder(ref: str, tmp: Path) -> Path:
    """A release folder as given, or a published release's manifest and index fetched from the store."""
    if Path(ref).is_dir() or not _RELEASE_ID.fullmatch(ref):
        return Path(ref)  # load_release says what is wrong with a folder
    import sqlalchemy as sa

    from ophin.db.models import Release
    from ophin.db.session import session_scope
    from ophin.release.publish import fetch_for_diff

    svc = load_services()
    with session_scope(svc.sessions) as session:
        ids = session.scalars(
            sa.select(Release.id).where(sa.cast(Release.id, sa.Text).startswith(ref.lower())).limit(2)
        ).all()
    if len(ids) != 1:
        which = "a unique" if ids else "any"
        raise LookupError(f"{ref!r} is neither a release folder nor {which} release id")
    into = tmp / str(ids[0])
    into.mkdir(exist_ok=True)
    return fetch_for_diff(svc.store, svc.settings.release.prefix, str(ids[0]), into)


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
