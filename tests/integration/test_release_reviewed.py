"""Reviewed releases against real Postgres and S3 (moto): `--reviewed exclude-bad` leaves out what reviewers
judged bad, `corrected` also puts their corrections in place of the answers, the release id changes with
the mode, and the card and manifest say what reviewers found. Rows are built with the ORM (no Whisper)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ophin.cli.app import app
from ophin.db.models import Instruction
from ophin.db.session import session_scope
from ophin.release.build import CARD, MANIFEST
from ophin.release.publish import manifest_holds_together
from ophin.release.reviewed import REVIEW_FILE, REVIEWED_BAD
from ophin.review.labels import Label, record_label
from ophin.services import Services, build_services
from ophin.settings import ReleaseSettings, Settings, get_settings
from ophin.stages.export import export_release
from tests.support.consumers import hf_load_parquet
from tests.support.lineage_run import ophin_env
from tests.support.release import llava_records
from tests.support.review_rows import Item, build_rows
from tests.support.verdicts import instruction_statuses

ITEMS = [
    Item("a"),
    Item("b", video=1),
    Item("c", kind="conversation", video=2),
    Item("d", kind="cot"),
    Item("e", video=1),
    Item("f", video=2),
    Item("g"),
    Item("h", kind="cot", video=1),
    Item("r", status="rejected", checks={"grounded": (False, 0.2)}),
]
# (instruction key, reviewer, verdict, correction), each recorded in a transaction of its own, in this order
# (updated_at is the transaction's time: a later label is newer).
LABELS = [
    ("a", "ann", "good", None),
    ("b", "ann", "bad", None),
    ("c", "ann", "usable", "Soft exudates lie near the fovea."),
    ("d", "ann", "bad", None),
    ("d", "bob", "good", None),  # a tie: the worse verdict, bad
    ("e", "ann", "good", "It shows an older wording."),
    ("e", "bob", "good", "It shows soft drusen at the macula."),  # the newest agreeing correction wins
    ("e", "cyd", "bad", "Ignored: cyd is outvoted."),
    ("g", "ann", "usable", None),
    ("r", "ann", "bad", None),  # rejected by the verifier: no candidate, not counted
]


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory, make_database, s3_endpoint):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("reviewed")
    store = {"kind": "s3", "endpoint": s3_endpoint, "bucket": f"b{uuid.uuid4().hex[:12]}"}
    store |= {"access_key": "test", "secret_key": "testtest"}
    svc = build_services(Settings(home=tmp / "home", db={"url": make_database()}, store=store))
    with session_scope(svc.sessions) as session:
        ids = build_rows(session, ITEMS, svc.store)
    for key, reviewer, verdict, correction in LABELS:
        with session_scope(svc.sessions) as session:
            record_label(session, Label(str(ids[key]), verdict, reviewer, "cli", correction=correction))
    return tmp, svc, ids


def _turns(svc: Services) -> dict[str, object]:
    with session_scope(svc.sessions) as session:
        status = instruction_statuses(session)
        return {str(i.id): (i.turns, status[i.id]) for i in session.scalars(select(Instruction))}


def _answers(folder: Path) -> dict[str, str]:
    return {r["id"]: r["conversations"][-1]["value"] for r in llava_records(folder)}


def test_export_reviewed_leaves_out_bad_and_applies_corrections(reviewed) -> None:  # noqa: ANN001
    tmp, svc, ids = reviewed
    key_of = {str(v): k for k, v in ids.items()}
    before = _turns(svc)
    plain = export_release(tmp / "off", svc=svc)
    excluded = export_release(tmp / "exclude", svc=svc, reviewed="exclude-bad")
    corrected = export_release(tmp / "corrected", svc=svc, reviewed="corrected")
    assert _turns(svc) == before  # labels change what is released, never an instruction

    assert sorted(key_of[i] for i in _answers(tmp / "off")) == list("abcdefgh")
    assert sorted(key_of[i] for i in _answers(tmp / "exclude")) == list("acefgh")  # b and d reviewed bad
    assert (plain.records, excluded.records, corrected.records) == (8, 6, 6)
    assert excluded.left_out == {REVIEWED_BAD: 2} and plain.left_out == {}

    answers = {key_of[i]: text for i, text in _answers(tmp / "corrected").items()}
    assert answers["c"] == "Soft exudates lie near the fovea."  # the conversation's last answer
    assert answers["e"] == "It shows soft drusen at the macula."
    assert answers["a"] == "It shows drusen at the macula of case a."  # no correction: as generated
    records = {key_of[r["id"]]: r for r in llava_records(tmp / "corrected")}
    assert records["c"]["conversations"][1]["value"] == "The optic disc of case c."  # earlier turns kept
    parquet = hf_load_parquet(tmp / "corrected", cache_dir=tmp / "hf-cache")  # the same text in every format
    by_id = {row["id"]: row["conversations"][-1]["value"] for split in parquet.values() for row in split}
    assert by_id[str(ids["e"])] == "It shows soft drusen at the macula." and len(by_id) == 6

    # The counts: 6 of 8 candidates reviewed, by consensus 2 good (a, e), 2 usable (c, g), 2 bad (b, d).
    found = {"candidates": 8, "reviewed": 6, "good": 2, "usable": 2, "bad": 2}
    assert {k: plain.review[k] for k in found} == found and plain.review["mode"] == "off"
    assert (plain.review["left_out"], excluded.review["left_out"], corrected.review["left_out"]) == (0, 2, 2)
    assert (excluded.review["corrected"], corrected.review["corrected"]) == (0, 2)
    manifest = json.loads((tmp / "corrected" / MANIFEST).read_text())
    assert manifest["review"] == corrected.review and manifest["left_out"] == {REVIEWED_BAD: 2}
    card = (tmp / "corrected" / CARD).read_text()
    assert "## Human review" in card and "6 of the 8 candidate records" in card
    assert "**2 good, 2 usable, 2 bad**" in card and "2 records reviewed bad were left out" in card
    assert "2 answers were replaced by a reviewer's correction" in card
    assert "the records reviewed bad are in it" in (tmp / "off" / CARD).read_text()


def test_export_reviewed_mode_is_part_of_the_release_id(reviewed) -> None:  # noqa: ANN001
    tmp, svc, _ = reviewed
    # Only the conversation (usable, no bad among them): the same records under both modes, yet two ids.
    runs = {
        mode: export_release(tmp / f"conv-{mode}", svc=svc, kinds=["conversation"], reviewed=mode)
        for mode in ("off", "exclude-bad")
    }
    assert runs["off"].records == runs["exclude-bad"].records == 1
    assert runs["off"].release_id != runs["exclude-bad"].release_id
    assert not (tmp / "conv-off" / REVIEW_FILE).exists()
    policy = json.loads((tmp / "conv-exclude-bad" / REVIEW_FILE).read_text())
    assert policy["reviewed"] == "exclude-bad"
    for mode, result in runs.items():
        manifest = json.loads((tmp / f"conv-{mode}" / MANIFEST).read_text())
        assert manifest_holds_together(manifest, result.release_id)  # `release diff` still verifies it
        assert (REVIEW_FILE in manifest["files"]) == (mode != "off")
    # Content-addressed: the same mode on the same labels is the same release; the setting is the default.
    again = export_release(svc=svc, kinds=["conversation"], reviewed="exclude-bad")
    assert again.release_id == runs["exclude-bad"].release_id and not again.published
    settings = svc.settings.model_copy(deep=True)
    settings.release = ReleaseSettings(**(settings.release.model_dump() | {"reviewed": "exclude-bad"}))
    by_setting = export_release(svc=dataclasses.replace(svc, settings=settings), kinds=["conversation"])
    assert by_setting.release_id == runs["exclude-bad"].release_id


def test_export_cli_reviewed_option(reviewed, monkeypatch) -> None:  # noqa: ANN001
    tmp, svc, _ = reviewed
    for key, value in ophin_env(svc).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        refused = runner.invoke(app, ["export", "--reviewed", "drop-bad"])
        assert refused.exit_code == 2 and "unknown --reviewed 'drop-bad'" in refused.output
        done = runner.invoke(app, ["export", "--reviewed", "exclude-bad", "--out", str(tmp / "cli")])
        assert done.exit_code == 0, done.output
        assert f"left out: 2 ({REVIEWED_BAD})" in done.output
        assert "reviewed (exclude-bad): 6 of 8 candidates, 2 good, 2 usable, 2 bad" in done.output
    finally:
        get_settings.cache_clear()
    assert len(llava_records(tmp / "cli")) == 6
