"""`ophin review ...`: draw a review batch, label instructions, move batches through Label Studio, report.

Labels live in review_label and never change an instruction.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ophin.cli.common import console, fail, load_services, load_settings, say, usage_error

app = typer.Typer(
    help="Human review: sample, label, export/import (Label Studio), report.", no_args_is_help=True
)


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return "cli"


@app.command("sample")
def sample(
    n: Annotated[int, typer.Option("--n", help="How many instructions to draw.", min=1)],
    seed: Annotated[int, typer.Option(help="The draw's seed: the same seed draws the same items.")] = 0,
    name: Annotated[str | None, typer.Option(help="The batch's name (default sample-n<N>-seed<S>).")] = None,
) -> None:
    """Draw a stratified review batch (kind x modality x accepted/rejected, spread over videos).

    Asking again with the same --n, --seed and --name returns the same batch unchanged.
    """
    import sqlalchemy as sa

    from ophin.db.review_models import ReviewBatch, ReviewItem
    from ophin.db.session import session_scope
    from ophin.review.sample import SampleError, sample_batch

    with session_scope(load_services().sessions) as session:
        try:
            bid = sample_batch(session, n, seed, name)
        except SampleError as exc:
            raise fail(str(exc)) from None
        batch = session.get(ReviewBatch, bid)
        items = session.scalar(sa.select(sa.func.count()).where(ReviewItem.batch_id == bid))
    typer.echo(f"{bid}  {batch.name}: {items} item(s) of {n} asked, seed {batch.seed}")
    for stratum, s in batch.strata["strata"].items():
        typer.echo(f"  {stratum:<40} {s['sampled']:>4} of {s['population']}")


@app.command("label")
def label(
    instruction: Annotated[str, typer.Argument(help="The instruction id.")],
    verdict: Annotated[str, typer.Option(help="good, usable or bad.")],
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag",
            help="A reason (repeatable): misheard_term, wrong_modality, not_visible, invented, phi, "
            "artefact, duplicate, other.",
        ),
    ] = None,
    correction: Annotated[str | None, typer.Option(help="A corrected answer.")] = None,
    reviewer: Annotated[str | None, typer.Option(help="Who judges (default: your login name).")] = None,
    batch: Annotated[
        str | None, typer.Option(help="The review batch this label belongs to (name or id).")
    ] = None,
) -> None:
    """Label one instruction. Labelling it again as the same reviewer replaces your earlier label."""
    from ophin.db.session import session_scope
    from ophin.review.labels import Label, record_label
    from ophin.review.sample import find_batch
    from ophin.review.vocabulary import LabelError, check_tags, check_verdict

    try:
        check_verdict(verdict)
        check_tags(tag or [])
    except LabelError as exc:
        raise usage_error(str(exc)) from None
    with session_scope(load_services().sessions) as session:
        try:
            batch_id = str(find_batch(session, batch).id) if batch else None
            record_label(
                session,
                Label(
                    instruction_id=instruction,
                    verdict=verdict,
                    reviewer=reviewer or _login(),
                    source="cli",
                    tags=tuple(tag or ()),
                    correction=correction,
                    batch_id=batch_id,
                ),
            )
        except (LabelError, LookupError) as exc:
            raise fail(str(exc)) from None
    say("labelled", "green", f"{instruction} {verdict.strip().lower()} by {reviewer or _login()}")


@app.command("export")
def export(
    batch: Annotated[str, typer.Argument(help="The review batch: its name or id (or a unique id prefix).")],
    out: Annotated[Path, typer.Option(help="Folder to write tasks.json, config.xml and images/ into.")],
    fmt: Annotated[
        str, typer.Option("--format", help="The tool to review in: label-studio.")
    ] = "label-studio",
    image_url_prefix: Annotated[
        str,
        typer.Option(
            help="What each task's image URL starts with, before <frame id>.jpg. The default needs Label "
            "Studio run with LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true and "
            "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT=OUT, and a Local Files storage on OUT/images; or serve "
            "OUT over HTTP and give http://host:port/images/."
        ),
    ] = "/data/local-files/?d=images/",
) -> None:
    """Write a batch as Label Studio tasks (tasks.json), its labelling config (config.xml) and images."""
    from ophin.db.session import session_scope
    from ophin.review.label_studio import export_batch
    from ophin.review.sample import find_batch

    if fmt != "label-studio":
        raise usage_error(f"unknown --format {fmt!r}: label-studio is the one there is")
    svc = load_services()
    with session_scope(svc.sessions) as session:
        try:
            found = find_batch(session, batch)
        except LookupError as exc:
            raise fail(str(exc)) from None
        result = export_batch(session, svc.store, found.id, out, image_url_prefix)
    say("exported", "green", f"{result.n_tasks} task(s), {result.images} image(s) to {out}")
    for key in result.missing_images:
        say("warning:", "yellow", f"image {key} is missing or fails its checksum: its task shows no image")
    typer.echo(f"import {result.tasks} into a Label Studio project whose labelling config is {result.config}")


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Label Studio's JSON export of the project (not JSON-MIN).")],
    reviewer_from_annotation: Annotated[
        bool,
        typer.Option(
            "--reviewer-from-annotation", help="Name each label after its annotator (email, else user id)."
        ),
    ] = False,
    reviewer: Annotated[
        str,
        typer.Option(help="The reviewer every label is recorded under, without --reviewer-from-annotation."),
    ] = "label-studio",
) -> None:
    """Read Label Studio annotations back as labels (source label-studio).

    An annotation that cannot be recorded (unknown instruction, verdict or tag; no verdict) is named on a
    line of its own and the rest are recorded; the exit code is then 1.
    """
    from ophin.db.session import session_scope
    from ophin.review.label_studio import ExportFormatError, import_labels

    try:
        payload = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise fail(f"{file}: {exc}") from None
    with session_scope(load_services().sessions) as session:
        try:
            result = import_labels(session, payload, reviewer=None if reviewer_from_annotation else reviewer)
        except ExportFormatError as exc:
            raise fail(f"{file}: {exc}") from None
    for problem in result.problems:
        say("error:", "red", problem)
    say("imported", "green", f"{result.recorded} label(s); {result.skipped} skipped annotation(s) left out")
    if result.problems:
        raise typer.Exit(code=1)


@app.command("report")
def report(
    batch: Annotated[str | None, typer.Option(help="Only the labels on this batch's items.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Verdict rates, each check's precision and recall against the labels, thresholds, kappa.

    Rates of good/usable/bad with Wilson 95 % intervals, overall and by kind, modality, generator and
    verifier verdict; each verification check's confusion counts, precision and recall (a refusal predicts
    bad); for scored checks the F1-best threshold on the labels, a suggestion that changes nothing; Cohen's
    kappa between reviewers who labelled the same instructions.
    """
    from ophin.db.session import session_factory, session_scope
    from ophin.review.report import report_text, review_report
    from ophin.review.sample import find_batch

    with session_scope(session_factory(load_settings())) as session:  # read-only
        try:
            batch_id = find_batch(session, batch).id if batch else None
        except LookupError as exc:
            raise fail(str(exc)) from None
        data = review_report(session, batch_id)
    if as_json:
        typer.echo(json.dumps(data, indent=1))
    elif data["labels"] == 0:
        console.print("no labels yet: `ophin review label` or `ophin review import` first")
    else:
        typer.echo(report_text(data), nl=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="review")
