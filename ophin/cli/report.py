"""`ophin report --html FILE [--quality FILE]`: the quality report as one self-contained HTML page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from ophin.cli.common import fail, load_settings, say


def report(
    html: Annotated[Path, typer.Option("--html", help="Where to write the page (a .html file).")],
    quality: Annotated[
        Path | None,
        typer.Option(help="The figures of `make quality`: the output of `python -m eval.quality --json`."),
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="Videos listed with the most and the fewest records.")] = 10,
    per_modality: Annotated[int, typer.Option(min=0, help="Sample images per modality.")] = 4,
) -> None:
    """Funnel with drop reasons, every scored decision against its threshold, modality x kind, yield per
    video and source, sample images, review results and quality figures: aggregated in the database."""
    from ophin.adapters.object_store import build_object_store
    from ophin.db.session import session_factory, session_scope
    from ophin.reporting.build import ReportParams, build_report, write_report
    from ophin.reporting.quality import load_quality

    figures = None
    if quality is not None:
        try:
            figures = load_quality(quality)
        except (OSError, ValueError) as exc:
            raise fail(f"--quality: {exc}") from None
    settings = load_settings()
    # Read-only, as `ophin status`: no migration, nothing written but the page.
    with session_scope(session_factory(settings)) as session:
        built = build_report(
            session,
            settings,
            store=build_object_store(settings),
            quality=figures,
            params=ReportParams(top_videos=top, per_modality=per_modality),
            generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )
    try:
        write_report(html, built)
    except OSError as exc:
        raise fail(f"cannot write {html}: {exc.strerror}") from None
    timings = ", ".join(f"{name} {s:.2f}" for name, s in built.seconds.items())
    say("wrote:", "green", f"{html} ({sum(built.seconds.values()):.1f} s: {timings})")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
