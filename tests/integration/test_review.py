"""The review loop against real Postgres: sampling, labelling through the CLI, the Label Studio round trip
checked by the label-studio-sdk's own parser, and the report's figures against hand-computed ones.

Rows are built directly with the ORM (no pipeline, no Whisper): what matters here is what the review code
does with instructions, frames and verification rows, whatever produced them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ophin.cli.app import app
from ophin.db.models import (
    Clip,
    Frame,
    Instruction,
    InstructionVerdict,
    Pair,
    PairVerdict,
    Verification,
    Video,
)
from ophin.db.review_models import ReviewBatch, ReviewItem, ReviewLabel
from ophin.domain.ids import make_id
from ophin.review.sample import SampleError, sample_batch
from ophin.review.stats import Z95
from ophin.review.vocabulary import TAGS, VERDICTS
from ophin.services import build_services
from ophin.settings import Settings, get_settings
from tests.support.verdicts import verdict as verification_verdict

runner = CliRunner()
VIDEO_URLS = (
    "https://www.youtube.com/watch?v=abcdefghijk",
    "http://127.0.0.1:8000/lectures/oct.mp4",
    "local-file:macula.mp4",
)


@dataclass(frozen=True)
class Spec:
    """One instruction to build: its stratum, video and verification rows (check -> (passed, score))."""

    key: str
    kind: str
    modality: str | None
    status: str
    video: int = 0
    checks: dict[str, tuple[bool, float | None]] = field(default_factory=dict)


def build(session: Session, specs: list[Spec], store=None) -> dict[str, uuid.UUID]:  # noqa: ANN001
    """Videos, clips, frames, pairs, instructions and verification rows for the specs; key -> instruction id.
    With a store, each frame's image is written to it and its sha256 recorded, as the keyframes stage does."""
    videos = [make_id("test-video", url) for url in VIDEO_URLS]
    for vid, url in zip(videos, VIDEO_URLS, strict=True):
        session.add(Video(id=vid, url=url, title=f"Lecture {url.rsplit('/', 1)[-1]}"))
    session.flush()  # the models declare no relationships: parents go in first, table by table
    for vid in videos:
        session.add(
            Clip(id=make_id("test-clip", vid), video_id=vid, index=0, start_s=0, end_s=600, params_hash="t")
        )
    session.flush()
    ids = {}
    for n, spec in enumerate(specs):
        vid = videos[spec.video]
        frame = make_id("test-frame", spec.key)
        image = f"frame {spec.key}".encode()
        key = f"frames/{frame}.jpg"
        if store is not None:
            store.put_bytes(key, image, "image/jpeg")
        session.add(
            Frame(
                id=frame,
                video_id=vid,
                clip_id=make_id("test-clip", vid),
                t_s=10.0 + n,
                object_key=key,
                sha256=hashlib.sha256(image).hexdigest() if store is not None else None,
                width=640,
                height=480,
                phash=f"{n:016x}",
                modality=spec.modality,
                kept=True,
                params_hash="t",
            )
        )
        pair = make_id("test-pair", spec.key)
        session.flush()
        session.add(
            Pair(
                id=pair,
                video_id=vid,
                frame_id=frame,
                start_s=12.5 + n,
                end_s=20.0 + n,
                text=f"Here you can see the finding of case {spec.key}.",
                segment_ids=[],
                status="paired",
            )
        )
        session.add(PairVerdict(pair_id=pair, video_id=vid, status="kept", n_cues=1, cue_score=0.9))
        instruction = make_id("test-instruction", spec.key)
        turns = [{"role": "human", "text": f"What does image {spec.key} show?"}]
        turns.append({"role": "gpt", "text": f"It shows the finding of case {spec.key}."})
        session.flush()
        session.add(
            Instruction(
                id=instruction,
                pair_id=pair,
                frame_id=frame,
                kind=spec.kind,
                turns=turns,
                generator="template" if spec.kind != "cot" else "llm",
                status="failed" if spec.status == "failed" else "generated",
                params_hash="t",
            )
        )
        session.flush()
        if spec.status in ("accepted", "rejected"):
            session.add(verification_verdict(instruction, spec.status))
        for check, (passed, score) in spec.checks.items():
            session.add(
                Verification(
                    id=make_id("test-verification", spec.key, check),
                    instruction_id=instruction,
                    check=check,
                    passed=passed,
                    score=score,
                    detail=f"{check} {'ok' if passed else 'refused'}",
                )
            )
        ids[spec.key] = instruction
    session.flush()
    return ids


def population() -> list[Spec]:
    """50 verified instructions in six strata over three videos, and four not verified (never sampled)."""
    specs = []

    def add(count: int, kind: str, modality: str | None, status: str, videos: int = 3) -> None:
        for i in range(count):
            key = f"{kind}-{modality}-{status}-{i}"
            grounded = (True, 0.8) if status == "accepted" else (False, 0.3)
            specs.append(Spec(key, kind, modality, status, video=i % videos, checks={"grounded": grounded}))

    add(24, "vqa", "colour_fundus", "accepted")
    add(6, "vqa", "colour_fundus", "rejected")
    add(10, "vqa", "oct", "accepted")
    add(3, "conversation", "oct", "rejected")
    add(5, "cot", "slit_lamp", "accepted")
    add(2, "cot", "slit_lamp", "rejected")
    add(2, "vqa", "oct", "generated")
    add(2, "vqa", None, "failed")
    return specs


@pytest.fixture
def sessions(db_url: str):  # noqa: ANN201
    engine = sa.create_engine(db_url)
    yield sa.orm.sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def cli(tmp_path, db_url, monkeypatch):  # noqa: ANN001, ANN201
    """The `ophin` command on this test's database and home; returns a runner of `ophin review ...`."""
    monkeypatch.setenv("OPHIN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPHIN_DB__URL", db_url)
    get_settings.cache_clear()

    def review(*args: str):  # noqa: ANN202
        return runner.invoke(app, ["review", *args])

    yield review
    get_settings.cache_clear()


def _items(session: Session, batch: uuid.UUID) -> list[tuple[uuid.UUID, str, str, uuid.UUID]]:
    return session.execute(
        sa.select(ReviewItem.instruction_id, ReviewItem.stratum, InstructionVerdict.status, Frame.video_id)
        .join(Instruction, Instruction.id == ReviewItem.instruction_id)
        .join(InstructionVerdict, InstructionVerdict.instruction_id == Instruction.id)
        .join(Frame, Frame.id == Instruction.frame_id)
        .where(ReviewItem.batch_id == batch)
        .order_by(ReviewItem.position)
    ).all()


def test_sample_batch_is_stratified_deterministic_and_idempotent(sessions) -> None:  # noqa: ANN001
    with sessions.begin() as session:
        build(session, population())
        batch = sample_batch(session, 10, seed=7)
    with sessions.begin() as session:
        items = _items(session, batch)
        strata = session.get(ReviewBatch, batch).strata["strata"]
    # 50 verified: quotas 4.8, 1.2, 2, 0.6, 1, 0.4 -> 4, 1, 2, 1, 1, 1 (one from every stratum, 10 in all)
    drawn: dict[str, int] = {}
    for _, stratum, _, _ in items:
        drawn[stratum] = drawn.get(stratum, 0) + 1
    assert drawn == {
        "vqa|colour_fundus|accepted": 4,
        "vqa|colour_fundus|rejected": 1,
        "vqa|oct|accepted": 2,
        "conversation|oct|rejected": 1,
        "cot|slit_lamp|accepted": 1,
        "cot|slit_lamp|rejected": 1,
    }
    assert strata["vqa|colour_fundus|accepted"] == {"population": 24, "sampled": 4}
    assert {status for _, _, status, _ in items} == {"accepted", "rejected"}  # false alarms can show too
    assert sum(status == "rejected" for _, _, status, _ in items) == 3
    # The 4 drawn from a stratum spread over its 3 videos (round-robin), not one lecture's first items
    assert len({video for _, stratum, _, video in items if stratum == "vqa|colour_fundus|accepted"}) == 3

    with sessions.begin() as session:
        again = sample_batch(session, 10, seed=7)
        renamed = sample_batch(session, 10, seed=7, name="second look")
        other_seed = sample_batch(session, 10, seed=8)
    with sessions.begin() as session:
        assert again == batch and len(_items(session, again)) == 10  # idempotent: no duplicate items
        assert session.scalar(sa.select(sa.func.count()).select_from(ReviewItem)) == 30
        assert [i[0] for i in _items(session, renamed)] == [i[0] for i in items]  # the seed decides the draw
        assert {i[0] for i in _items(session, other_seed)} != {i[0] for i in items}


def test_sample_refuses_a_taken_name_and_an_empty_population(sessions) -> None:  # noqa: ANN001
    with sessions.begin() as session, pytest.raises(SampleError, match="no verified instructions"):
        sample_batch(session, 5)
    with sessions.begin() as session:
        build(session, population())
        sample_batch(session, 5, name="week 1")
    with sessions.begin() as session, pytest.raises(SampleError, match="already exists"):
        sample_batch(session, 8, name="week 1")


def test_sample_with_fewer_items_than_strata_takes_the_largest(sessions) -> None:  # noqa: ANN001
    with sessions.begin() as session:
        build(session, population())
        batch = sample_batch(session, 2, seed=1)
    with sessions.begin() as session:
        strata = sorted(stratum for _, stratum, _, _ in _items(session, batch))
    assert strata == ["vqa|colour_fundus|accepted", "vqa|oct|accepted"]


def _row(session: Session, instruction: uuid.UUID) -> dict:
    row = session.get(Instruction, instruction)
    return {c.name: getattr(row, c.name) for c in Instruction.__table__.columns}


def test_cli_label_records_replaces_and_never_touches_the_instruction(sessions, cli) -> None:  # noqa: ANN001
    with sessions.begin() as session:
        ids = build(session, population())
    target = ids["vqa-colour_fundus-accepted-0"]
    with sessions.begin() as session:
        before = _row(session, target)

    first = cli(
        "label", str(target), "--verdict", "bad", "--tag", "invented", "--tag", "phi", "--reviewer", "ann"
    )
    assert first.exit_code == 0, first.output
    second = cli(
        "label", str(target), "--verdict", "usable", "--correction", "It shows drusen.", "--reviewer", "ann"
    )
    assert second.exit_code == 0, second.output
    other = cli("label", str(target), "--verdict", "GOOD", "--reviewer", "bob")
    assert other.exit_code == 0, other.output

    with sessions.begin() as session:
        labels = session.scalars(sa.select(ReviewLabel).order_by(ReviewLabel.reviewer)).all()
        assert [(x.reviewer, x.verdict, x.tags, x.correction, x.source) for x in labels] == [
            ("ann", "usable", [], "It shows drusen.", "cli"),  # relabelling replaced ann's first label
            ("bob", "good", [], None, "cli"),
        ]
        assert _row(session, target) == before  # a label never changes the instruction row


def test_cli_label_refusals(sessions, cli) -> None:  # noqa: ANN001
    with sessions.begin() as session:
        ids = build(session, population())
    target = str(ids["vqa-oct-accepted-0"])

    verdict = cli("label", target, "--verdict", "great")
    assert verdict.exit_code == 2 and "unknown verdict 'great'" in verdict.output
    tag = cli("label", target, "--verdict", "bad", "--tag", "blurry")
    assert tag.exit_code == 2 and "unknown tag 'blurry'" in tag.output
    missing = cli("label", str(uuid.uuid4()), "--verdict", "bad")
    assert missing.exit_code == 1 and "no instruction" in missing.output
    garbled = cli("label", "not-an-id", "--verdict", "bad")
    assert garbled.exit_code == 1 and "is not a UUID" in garbled.output
    batch = cli("label", target, "--verdict", "bad", "--batch", "no such batch")
    assert batch.exit_code == 1 and "neither a review batch name" in batch.output
    with sessions.begin() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ReviewLabel)) == 0
        # The database refuses what the CLI would: the check constraints hold without the code
        with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
            session.add(
                ReviewLabel(
                    id=uuid.uuid4(),
                    instruction_id=ids["vqa-oct-accepted-0"],
                    reviewer="x",
                    verdict="bad",
                    tags=["blurry"],
                    source="cli",
                )
            )
            session.flush()


def test_label_studio_round_trip_through_the_sdk(sessions, cli, tmp_path, db_url) -> None:  # noqa: ANN001
    from label_studio_sdk.converter import Converter
    from label_studio_sdk.label_interface import LabelInterface
    from label_studio_sdk.label_interface.objects import AnnotationValue

    store = build_services(Settings(home=tmp_path / "home", db={"url": db_url})).store
    with sessions.begin() as session:
        build(session, population(), store=store)
        batch = sample_batch(session, 6, seed=3, name="ls")
        first_frame = session.scalar(
            sa.select(Instruction.frame_id)
            .join(ReviewItem, ReviewItem.instruction_id == Instruction.id)
            .where(ReviewItem.batch_id == batch, ReviewItem.position == 0)
        )
    # Gone from the store: its task is still exported, with a warning
    store.delete(f"frames/{first_frame}.jpg")

    out = tmp_path / "ls"
    exported = cli("export", "ls", "--format", "label-studio", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    assert "6 task(s), 5 image(s)" in exported.output
    assert f"frames/{first_frame}.jpg is missing" in exported.output
    assert cli("export", "ls", "--format", "cvat", "--out", str(out)).exit_code == 2

    config = (out / "config.xml").read_text()
    tasks = json.loads((out / "tasks.json").read_text())
    interface = LabelInterface(config)
    interface.validate()  # the SDK's schema, unique-name and toName checks
    assert interface.get_control("verdict").labels == list(VERDICTS)
    assert interface.get_control("tags").labels == list(TAGS)
    assert interface.get_control("tags").is_multiple_choice
    assert len(tasks) == 6 and all(interface.validate_task(task) for task in tasks)
    assert not interface.validate_task({"data": {**tasks[0]["data"], "image": None}})  # the check has teeth
    with sessions.begin() as session:
        assert [t["data"]["instruction_id"] for t in tasks] == [str(i[0]) for i in _items(session, batch)]
    for task in tasks:
        data = task["data"]
        assert data["batch_id"] == str(batch) and data["dialogue"][0]["role"] == "human"
        assert data["image"] == f"/data/local-files/?d=images/{Path(data['image_path']).name}"
        if "youtube.com" in data["video_url"]:  # the second the narration starts, floored
            assert data["video_url"].endswith(f"&t={int(data['video_at_s'])}s")
        elif data["video_url"].startswith("http://127.0.0.1:8000/"):  # direct media: a W3C media fragment
            assert f"#t={data['video_at_s']:g}" in data["video_url"]
        else:
            assert data["video_url"] == "local-file:macula.mp4" and "(a local file)" in data["video"]
        verdict = "passed (0.8)" if data["status"] == "accepted" else "refused (0.3)"
        assert data["checks"] == f"grounded: {verdict}: grounded {'ok' if 'passed' in verdict else 'refused'}"
    images = {p.name for p in (out / "images").iterdir()}
    assert images == {Path(t["data"]["image_path"]).name for t in tasks} - {f"{first_frame}.jpg"}

    # Annotations as Label Studio makes them: regions from the SDK, checked by its validator
    def annotation(user: int, ann_id: int, **values) -> dict:  # noqa: ANN003
        value = AnnotationValue(completed_by=user, result=interface.create_regions(values)).model_dump()
        assert interface.validate_annotation(value)
        return {**value, "id": ann_id, "created_at": f"2026-12-07T10:00:{ann_id:02d}Z"}

    plan = [
        ("bad", ["invented", "phi"], "It shows drusen."),
        ("good", [], None),
        ("usable", ["misheard_term"], None),
        ("bad", ["not_visible"], None),
        ("good", [], None),
        ("good", [], None),
    ]
    export = []
    for k, (task, (verdict, tags, fix)) in enumerate(zip(tasks, plan, strict=True)):
        values = (
            {"verdict": verdict}
            | ({"tags": tags} if tags else {})
            | ({"correction": {"text": [fix]}} if fix else {})
        )
        anns = [annotation(7, 10 + k, **values)]
        if k < 2:  # a second annotator on two tasks: they agree on one and not the other
            anns.append(annotation(8, 30 + k, verdict="bad"))
        if k == 5:  # a skipped task
            anns = [{**annotation(7, 40, verdict="good"), "was_cancelled": True}]
        export.append({"id": 100 + k, "data": task["data"], "annotations": anns, "predictions": []})
    stranger = {**tasks[0]["data"], "instruction_id": str(uuid.uuid4())}
    export.append({"id": 200, "data": stranger, "annotations": [annotation(7, 50, verdict="bad")]})
    bad_tag = annotation(7, 51, verdict="bad")
    bad_tag["result"].append(
        {"from_name": "tags", "to_name": "image", "type": "choices", "value": {"choices": ["blurry"]}}
    )
    export.append({"id": 201, "data": tasks[1]["data"], "annotations": [bad_tag]})
    path = tmp_path / "project-export.json"
    path.write_text(json.dumps(export))

    # The SDK's own export reader sees what the import reads
    sdk_items = list(
        Converter(config, project_dir=str(tmp_path), download_resources=False).iter_from_json_file(str(path))
    )
    sdk_verdicts = sorted(
        (item["input"]["instruction_id"], item["output"]["verdict"][0]["choices"][0], item["completed_by"])
        for item in sdk_items
    )

    imported = cli("import", str(path), "--reviewer-from-annotation")
    assert imported.exit_code == 1, imported.output  # two rows could not be recorded...
    assert f"task 200 annotation 50: no instruction {stranger['instruction_id']}" in imported.output
    assert "task 201 annotation 51: unknown tag 'blurry'" in imported.output
    assert "imported 7 label(s); 1 skipped" in imported.output  # ...and the rest were

    with sessions.begin() as session:
        labels = session.scalars(sa.select(ReviewLabel).order_by(ReviewLabel.instruction_id)).all()
        got = sorted((str(x.instruction_id), x.verdict, x.reviewer) for x in labels)
        assert all(x.source == "label-studio" and x.batch_id == batch for x in labels)
        first = session.scalars(
            sa.select(ReviewLabel).where(
                ReviewLabel.instruction_id == uuid.UUID(tasks[0]["data"]["instruction_id"]),
                ReviewLabel.reviewer == "label-studio:user-7",
            )
        ).one()
        assert first.tags == ["invented", "phi"] and first.correction == "It shows drusen."
    # Every annotation the SDK reads is recorded, less the two refused (task 200, and 201's unknown tag)
    refused = {(stranger["instruction_id"], "bad", 7), (tasks[1]["data"]["instruction_id"], "bad", 7)}
    assert got == sorted(
        (i, v, f"label-studio:user-{u}") for i, v, u in sdk_verdicts if (i, v, u) not in refused
    )

    # Without --reviewer-from-annotation every label is the one reviewer's: the newest annotation wins
    again = cli("import", str(path), "--reviewer", "lead")
    assert again.exit_code == 1
    with sessions.begin() as session:
        lead = dict(
            session.execute(
                sa.select(ReviewLabel.instruction_id, ReviewLabel.verdict).where(
                    ReviewLabel.reviewer == "lead"
                )
            ).all()
        )
    # task 1: user 7 said good, user 8 later said bad (user 7's last, with an unknown tag, is refused)
    assert lead[uuid.UUID(tasks[1]["data"]["instruction_id"])] == "bad"
    assert len(lead) == 5  # tasks 0-4; task 5 was skipped


def test_import_refuses_what_is_not_a_label_studio_json_export(cli, tmp_path) -> None:  # noqa: ANN001
    minimal = tmp_path / "min.json"
    minimal.write_text(json.dumps([{"id": 1, "image": "x", "verdict": "bad", "annotator": 3}]))
    result = cli("import", str(minimal))
    assert result.exit_code == 1 and "JSON-MIN" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert cli("import", str(broken)).exit_code == 1
    assert cli("import", str(tmp_path / "absent.json")).exit_code == 1


def _labelled_set() -> list[Spec]:
    """Eight instructions with hand-picked checks; `grounded` refuses below 0.6, `no_phi` has no score."""

    def spec(key: str, kind: str, score: float, phi_ok: bool) -> Spec:
        status = "accepted" if score >= 0.6 and phi_ok else "rejected"
        return Spec(
            key, kind, "oct", status, checks={"grounded": (score >= 0.6, score), "no_phi": (phi_ok, None)}
        )

    return [
        spec("1", "vqa", 0.9, True),
        spec("2", "vqa", 0.8, True),
        spec("3", "vqa", 0.7, True),
        spec("4", "vqa", 0.5, True),
        spec("5", "vqa", 0.4, True),
        spec("6", "cot", 0.3, False),
        spec("7", "cot", 0.65, True),
        spec("8", "cot", 0.9, False),
        spec("unlabelled", "vqa", 0.2, True),
    ]


def test_report_figures_equal_hand_computed_ones(sessions, cli) -> None:  # noqa: ANN001
    with sessions.begin() as session:
        ids = build(session, _labelled_set())
    ann = {
        "1": "good",
        "2": "good",
        "3": "bad",
        "4": "bad",
        "5": "good",
        "6": "bad",
        "7": "usable",
        "8": "bad",
    }
    bob = {"1": "good", "2": "usable", "3": "bad", "6": "bad", "8": "good"}
    for reviewer, verdicts in (("ann", ann), ("bob", bob)):
        for key, verdict in verdicts.items():
            tags = {
                ("ann", "3"): ["invented"],
                ("ann", "6"): ["phi", "invented"],
                ("bob", "6"): ["not_visible"],
            }
            extra = [a for t in tags.get((reviewer, key), []) for a in ("--tag", t)]
            result = cli("label", str(ids[key]), "--verdict", verdict, "--reviewer", reviewer, *extra)
            assert result.exit_code == 0, result.output

    result = cli("report", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # One verdict per instruction: 2 good/usable -> usable, 8 bad/good -> bad (the worse on a tie).
    # good {1, 5}, usable {2, 7}, bad {3, 4, 6, 8}
    overall = report["rates"]["overall"]
    assert (report["labels"], report["instructions"], report["reviewers"]) == (13, 8, ["ann", "bob"])
    assert [overall[v]["count"] for v in VERDICTS] == [2, 2, 4] and overall["bad"]["rate"] == 0.5
    # Wilson 4/8: centre 0.5, half z·sqrt(0.25/8 + z²/256) / (1 + z²/8) = 1.959964 · 0.215073 / 1.480182
    half = Z95 * (0.25 / 8 + Z95**2 / 256) ** 0.5 / (1 + Z95**2 / 8)
    assert overall["bad"]["low"] == pytest.approx(0.5 - half) and overall["bad"]["high"] == pytest.approx(
        0.5 + half
    )
    assert overall["bad"]["low"] == pytest.approx(0.2152, abs=1e-4)
    # vqa {1..5}: good 2, usable 1, bad 2; cot {6, 7, 8}: usable 1, bad 2
    assert report["rates"]["kind"]["vqa"]["bad"]["count"] == 2 and report["rates"]["kind"]["vqa"]["n"] == 5
    assert report["rates"]["kind"]["cot"]["bad"]["rate"] == pytest.approx(2 / 3)
    assert report["rates"]["generator"]["llm"]["n"] == 3  # the cot records
    assert report["rates"]["status"]["accepted"]["bad"]["count"] == 1  # 3: the verifier's miss

    checks = {c["check"]: c for c in report["checks"]}
    # The verifier: rejected {4, 5, 6, 8}; bad {3, 4, 6, 8}: tp 3, fp 1 (5), fn 1 (3), tn 3
    assert [checks["(verifier)"][k] for k in ("tp", "fp", "fn", "tn")] == [3, 1, 1, 3]
    assert checks["(verifier)"]["precision"] == 0.75 and checks["(verifier)"]["recall"] == 0.75
    # grounded refused {4, 5, 6}: tp 2 (4, 6), fp 1 (5), fn 2 (3, 8), tn 3 -> precision 2/3, recall 1/2
    assert [checks["grounded"][k] for k in ("tp", "fp", "fn", "tn")] == [2, 1, 2, 3]
    assert checks["grounded"]["precision"] == pytest.approx(2 / 3) and checks["grounded"]["recall"] == 0.5
    # no_phi refused {6, 8}: both bad; misses 3 and 4
    assert [checks["no_phi"][k] for k in ("tp", "fp", "fn", "tn")] == [2, 0, 2, 4]

    # grounded, refusing below t: t=0.35 F1 .4, 0.45 .33, 0.575 .57, 0.675 .5, 0.75 (tp3 fp2 fn1) 6/9, 0.85 .6
    (grounded,) = report["thresholds"]  # no_phi has no score: nothing to suggest
    assert grounded["check"] == "grounded" and grounded["direction"] == "below"
    assert grounded["threshold"] == pytest.approx(0.75) and grounded["f1"] == pytest.approx(2 / 3)
    assert [grounded[k] for k in ("tp", "fp", "fn", "tn")] == [3, 2, 1, 2]

    # ann / bob share 1, 2, 3, 6, 8: (g,g) (g,u) (b,b) (b,b) (b,g): observed 3/5; ann g2 b3, bob g2 u1 b2:
    # chance (2·2 + 3·2) / 25 = 0.4; kappa (0.6 - 0.4) / 0.6 = 1/3
    (pair,) = report["agreement"]
    assert pair["reviewers"] == ["ann", "bob"] and pair["n"] == 5
    assert pair["agreement"] == 0.6 and pair["kappa"] == pytest.approx(1 / 3)
    assert (
        report["tags"]["invented"] == 2 and report["tags"]["phi"] == 1 and report["tags"]["not_visible"] == 1
    )

    text = cli("report")
    assert text.exit_code == 0, text.output
    assert "grounded" in text.output and "refuse when score < 0.75" in text.output
    assert "kappa 0.333 on 5 shared item(s)" in text.output


def test_report_on_a_batch_counts_only_its_items(sessions, cli) -> None:  # noqa: ANN001
    with sessions.begin() as session:
        ids = build(session, _labelled_set())
        batch = sample_batch(session, 3, seed=0, name="b")
        in_batch = {i[0] for i in _items(session, batch)}
    for key in ("1", "2", "3", "4", "5", "6", "7", "8"):
        assert cli("label", str(ids[key]), "--verdict", "bad", "--reviewer", "ann").exit_code == 0
    report = json.loads(cli("report", "--batch", "b", "--json").output)
    assert report["batch"] == str(batch)
    assert report["instructions"] == len(in_batch & {ids[k] for k in "12345678"})
    assert cli("report", "--batch", "nope").exit_code == 1


def test_report_without_labels_says_so(cli) -> None:  # noqa: ANN001
    result = cli("report")
    assert result.exit_code == 0 and "no labels yet" in result.output
