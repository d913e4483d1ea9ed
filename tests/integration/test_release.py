"""A real release, end to end: three short lectures (two show the same figure) through the engine, then
published to S3 in every format and loaded by each format's own consumer from another working directory."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections import Counter

import pytest
import yaml
from sqlalchemy import select

from eval.corpus import demo_videos
from ophin.db.models import Frame, Instruction, Release, Video
from ophin.db.session import session_scope
from ophin.domain.keys import release_key
from ophin.pipeline import run_urls
from ophin.release.build import CARD, INDEX, MANIFEST, hash_files
from ophin.release.splits import split_for
from ophin.services import Services
from ophin.settings import ReleaseSettings
from ophin.stages.export import MARKER, export_release
from tests.conftest import make_services
from tests.support.consumers import hf_load_imagefolder, hf_load_parquet, llamafactory_load, llava_check
from tests.support.media import cut, one_figure_narrated_twice
from tests.support.release import llava_records, text_files
from tests.support.verdicts import set_instruction_status

SHARES = {"train": 0.34, "validation": 0.33, "test": 0.33}


def _with_release(svc: Services, **release: object) -> Services:
    settings = svc.settings.model_copy(deep=True)
    settings.release = ReleaseSettings(**(settings.release.model_dump() | release))
    return dataclasses.replace(svc, settings=settings)


@pytest.fixture(scope="module")
def engine(tmp_path_factory, make_database, transcriber, s3_endpoint):  # noqa: ANN001, ANN201
    """Services over processed videos: first and second show one fundus photograph, third is another lecture.
    The split seed is one under which first and second, alone, would land in different splits, and the
    release still has two splits (their group's and third's)."""
    tmp = tmp_path_factory.mktemp("release")
    macula = demo_videos()[1]
    urls = [
        *(video.resolve().as_uri() for video in one_figure_narrated_twice(tmp)),
        cut(macula, tmp / "third.mp4", 20.0, 24.0).resolve().as_uri(),
    ]
    svc = make_services(tmp / "h", make_database(), transcriber, s3_endpoint=s3_endpoint)
    assert run_urls(urls, svc).ok
    with session_scope(svc.sessions) as session:
        ids = dict(session.execute(select(Video.url, Video.id)).all())
    first, second, third = (str(ids[f"local-file:{n}.mp4"]) for n in ("first", "second", "third"))

    def telling(seed: str) -> bool:  # first and second apart by their own hashes; their group and third apart
        own = {v: split_for(v, SHARES, seed) for v in (first, second, third)}
        return own[first] != own[second] and split_for(min(first, second), SHARES, seed) != own[third]

    seed = next(s for s in (f"seed-{i}" for i in range(1000)) if telling(s))
    return tmp, _with_release(svc, splits=SHARES, split_seed=seed, split_phash_distance=8)


@pytest.fixture(scope="module")
def published(engine):  # noqa: ANN001, ANN201
    tmp, svc = engine
    return tmp / "out", export_release(tmp / "out", svc=svc)


def test_export_release_loads_in_every_consumer_from_another_directory(published, tmp_path, monkeypatch):  # noqa: ANN001
    out, result = published
    assert result.records > 0 and result.published and len(result.splits) == 2
    monkeypatch.chdir(tmp_path)  # nowhere near the release: every path must resolve on its own
    for split, counts in result.splits.items():
        assert len(llava_check(out, split)) == counts["records"]
        assert len(llamafactory_load(out, split)) == counts["records"]
    parquet = hf_load_parquet(out)
    assert {s: len(d) for s, d in parquet.items()} == {s: c["records"] for s, c in result.splits.items()}
    row = next(iter(parquet.values()))[0]
    assert row["image"].size[0] > 0 and row["video_url"].startswith("local-file:")
    assert isinstance(row["frame_time_s"], float) and isinstance(row["window_end_s"], float)
    folder = hf_load_imagefolder(out)
    assert {s: len(d) for s, d in folder.items()} == {s: c["records"] for s, c in result.splits.items()}


def test_export_release_splits_by_group_so_no_image_crosses(published, engine) -> None:  # noqa: ANN001
    out, result = published
    _, svc = engine
    records = llava_records(out)
    split_of_video: dict[str, set[str]] = {}
    for r in records:
        split_of_video.setdefault(r["source"]["video_id"], set()).add(r["split"])
    assert all(len(s) == 1 for s in split_of_video.values())  # a video sits in one split
    with session_scope(svc.sessions) as session:
        phash = dict(session.execute(select(Frame.id, Frame.phash)).all())
        first, second = (
            str(session.scalars(select(Video.id).where(Video.url == f"local-file:{n}")).one())
            for n in ("first.mp4", "second.mp4")
        )
    # The two cuts share a figure, so they share a split though the seed alone would part them.
    assert split_of_video[first] == split_of_video[second]
    frames = {(r["source"]["frame_id"], r["split"]) for r in records}
    for fa, sa in frames:
        for fb, sb in frames:
            if sa != sb:
                distance = (int(phash[_uuid(fa)], 16) ^ int(phash[_uuid(fb)], 16)).bit_count()
                assert distance > 8, f"near-duplicate images {fa} ({sa}) and {fb} ({sb}) in two splits"


def test_export_release_card_credits_every_video(published, engine) -> None:  # noqa: ANN001
    out, result = published
    _, svc = engine
    card = (out / CARD).read_text()
    meta = yaml.safe_load(card.split("---")[1])
    assert meta["configs"][0]["data_files"] and "visual-question-answering" in meta["task_categories"]
    with session_scope(svc.sessions) as session:
        released = {r["source"]["video_id"] for r in llava_records(out)}
        videos = session.scalars(select(Video).where(Video.id.in_([_uuid(v) for v in released]))).all()
    assert len(videos) == len(released) == 3
    for video in videos:
        line = next(line for line in card.splitlines() if video.url in line)
        assert (video.title or "") in line and (video.license or "unknown") in line, line
    manifest = json.loads((out / MANIFEST).read_text())
    assert set(manifest["videos"]) == released
    # first and second share a figure: one group of two videos out of three.
    assert manifest["quality"]["largest_split_group_video_share"] == round(2 / 3, 4)
    assert "largest\\_split\\_group\\_video\\_share" in card or "largest_split_group_video_share" in card


def test_export_release_is_content_addressed_immutable_and_hashes_every_file(published, engine, tmp_path):  # noqa: ANN001
    out, result = published
    _, svc = engine
    manifest = json.loads((out / MANIFEST).read_text())
    on_disk = hash_files(out, {})
    # Every file, re-hashed from disk, but the local copy's marker (the release id, written last).
    assert on_disk.pop(MARKER)["bytes"] == len(result.release_id) + 1
    assert on_disk == manifest["files"]
    assert {INDEX, CARD, "dataset_info.json"} <= set(manifest["files"])
    for rel in manifest["files"]:  # and every file in the store, under the release prefix
        assert svc.store.exists(release_key("releases", result.release_id, rel)), rel
    again = export_release(None, svc=svc)  # nothing changed: the same release, nothing uploaded
    assert again.release_id == result.release_id and not again.published
    assert again.location == result.location and again.location.startswith("s3://")
    with session_scope(svc.sessions) as session:
        row = session.get(Release, _uuid(result.release_id))
        assert row.n_records == result.records and row.format == "llava,sharegpt,hf"


def test_export_release_selects_kinds_and_formats(engine, tmp_path) -> None:  # noqa: ANN001
    _, svc = engine
    result = export_release(tmp_path / "vqa", svc=svc, formats=["llava"], kinds=["vqa"])
    records = llava_records(tmp_path / "vqa")
    assert records and {r["kind"] for r in records} == {"vqa"} and len(records) == result.records
    assert not (tmp_path / "vqa" / "sharegpt").exists() and not (tmp_path / "vqa" / "data").exists()
    with pytest.raises(ValueError, match="unknown export format"):
        export_release(tmp_path / "bad", svc=svc, formats=["alpaca"])
    with pytest.raises(ValueError, match="unknown instruction kind"):  # the DAG's kinds param, too
        export_release(tmp_path / "bad", svc=svc, kinds=["foo"])
    assert not (tmp_path / "bad").exists()


def test_export_release_names_no_local_path_or_private_host(published, engine, tmp_path) -> None:  # noqa: ANN001
    out, _ = published
    _, svc = engine
    for name, text in text_files(out).items():
        assert str(engine[0]) not in text and "file://" not in text and "/tmp/" not in text, name
    # A title that leaks a path is withheld; a transcript turn that names one keeps its record out.
    with session_scope(svc.sessions) as session:
        video = session.scalars(select(Video).where(Video.url == "local-file:third.mp4")).one()
        title = video.title
        video.title = "Retina talk (draft at /home/drsmith/talks/retina.mp4)"
        # A released record (an accepted one may be left out for other reasons: a lost narrated finding).
        instr = session.get_one(Instruction, _uuid(min(r["id"] for r in llava_records(out))))
        turns = instr.turns
        leak = f"{turns[1]['text']} See http://192.168.1.20/case.jpg for the scan."  # findings kept
        instr.turns = [turns[0], {**turns[1], "text": leak}]
    try:
        result = export_release(tmp_path / "hostile", svc=svc)
        assert result.left_out.get("local path or private host in text") == 1
        for name, text in text_files(tmp_path / "hostile").items():
            assert "/home/drsmith" not in text and "192.168.1.20" not in text, name
    finally:
        with session_scope(svc.sessions) as session:
            session.get(Video, video.id).title = title
            session.get(Instruction, instr.id).turns = turns


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


def test_release_diff_names_what_changed_and_why(published, engine, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from ophin.cli.app import app
    from ophin.settings import get_settings

    out, first = published
    _, svc = engine
    # One of several released from its video: the video stays, so the reason is the threshold. (Counted in
    # the release, not the database: export leaves out some accepted records, a figure another video shows.)
    released = llava_records(out)
    per_video = Counter(r["source"]["video_id"] for r in released)
    chosen = next(
        r for r in sorted(released, key=lambda r: r["id"]) if per_video[r["source"]["video_id"]] > 1
    )
    with session_scope(svc.sessions) as session:
        instr = session.get_one(Instruction, _uuid(chosen["id"]))
        set_instruction_status(session, instr.id, "rejected", ["grounding 0.55 < 0.7"])
    stricter = svc.settings.model_copy(deep=True)
    stricter.verify.min_grounding = 0.7  # as if re-verified at a stricter threshold
    try:
        second = export_release(None, svc=dataclasses.replace(svc, settings=stricter))
        assert second.records == first.records - 1 and second.release_id != first.release_id
        s = svc.settings
        for name, value in {
            "OPHIN_HOME": str(s.home),
            "OPHIN_DB__URL": s.db.url,
            "OPHIN_STORE__KIND": "s3",
            "OPHIN_STORE__ENDPOINT": s.store.endpoint,
            "OPHIN_STORE__BUCKET": s.store.bucket,
            "OPHIN_STORE__ACCESS_KEY": s.store.access_key,
            "OPHIN_STORE__SECRET_KEY": s.store.secret_key,
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        runner = CliRunner()
        # By release id: the manifests and indexes come from the store.
        text = runner.invoke(app, ["release", "diff", first.release_id[:8], second.release_id, "--explain"])
        assert text.exit_code == 0, text.output
        assert "verify.min_grounding: 0.6 -> 0.7" in text.output
        assert f"- {instr.id}" in text.output and "now rejected" in text.output
        as_json = json.loads(
            runner.invoke(app, ["release", "diff", first.release_id, second.release_id, "--json"]).output
        )
        (removed,) = as_json["removed"]
        assert removed["id"] == str(instr.id)
        assert "threshold changed: verify.min_grounding" in removed["reason"]
        assert as_json["summary"]["added"] == 0 and as_json["summary"]["changed"] == 0
        missing = runner.invoke(app, ["release", "diff", "ffffffff", second.release_id])
        assert missing.exit_code == 1 and "neither a release folder nor any release id" in missing.output
        listed = runner.invoke(app, ["release", "list", "--json"])
        assert {first.release_id, second.release_id} <= {r["id"] for r in json.loads(listed.output)}
    finally:
        get_settings.cache_clear()
        with session_scope(svc.sessions) as session:
            set_instruction_status(session, instr.id, "accepted")
