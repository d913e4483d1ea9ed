"""`ophin release diff`: added, removed and changed records with their reasons, config and video changes."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ophin.cli.release import app
from ophin.release.diff import diff_config, diff_releases, explain_removed, load_release

runner = CliRunner()
CONFIG = {
    "cues": {"threshold": 0.5, "scorer": "rule-lexicon"},
    "verify": {"min_score": 0.7, "judge": "rules"},
    "synthesis": {"generator": "llm", "model": "qwen-a"},
    "release": {"splits": {"train": 0.8, "test": 0.2}, "split_phash_distance": 8},
}


def _uid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _row(name: str, video: str, pair: str, kind: str = "vqa", **over: str) -> dict:
    row = {
        "id": _uid(name),
        "split": "train",
        "kind": kind,
        "video_id": _uid(video),
        "pair_id": _uid(pair),
        "frame_id": _uid(f"frame-{pair}"),
        "text_sha256": _sha(f"text-{name}"),
        "image_sha256": _sha(f"image-{pair}"),
        "generator": "llm",
        "model": "qwen-a",
        "prompt_version": "synth-v1",
    }
    return {**row, **over}


def _write(folder: Path, rows: list[dict], videos: dict[str, dict], config: dict) -> Path:
    folder.mkdir(parents=True)
    manifest = {
        "release_id": folder.name,
        "name": "ophin-instructions",
        "engine_version": "0.1.0",
        "formats": ["llava"],
        "kinds": ["vqa", "conversation"],
        "records": len(rows),
        "config": config,
        "videos": {_uid(v): meta for v, meta in videos.items()},
        "left_out": {},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    lines = [json.dumps(r, sort_keys=True) for r in sorted(rows, key=lambda r: r["id"])]
    (folder / "index.jsonl").write_text("".join(line + "\n" for line in lines))
    return folder


def _video(title: str, license: str = "CC-BY-4.0") -> dict:
    return {"title": title, "url": f"https://www.youtube.com/watch?v={title}", "license": license}


@pytest.fixture
def releases(tmp_path: Path) -> tuple[Path, Path]:
    """Old -> new: a new video, a video gone, a stricter judge threshold, a new model, a regenerated
    instruction (new id, same pair and kind) and a split move."""
    old_rows = [
        _row("same", "v1", "p1"),
        _row("filtered", "v1", "p2"),  # dropped by the stricter verify.min_score
        _row("model", "v2", "p3"),  # same id, written by another model
        _row("regenerated-old", "v2", "p4", kind="conversation"),
        _row("moved", "v2", "p5"),
        _row("gone", "v4", "p6"),
    ]
    new_rows = [
        _row("same", "v1", "p1"),
        _row("model", "v2", "p3", model="qwen-b", text_sha256=_sha("text-model-b")),
        _row("regenerated-new", "v2", "p4", kind="conversation"),
        _row("moved", "v2", "p5", split="test"),
        _row("fresh", "v3", "p7"),
        _row("fresh-2", "v3", "p8", kind="cot"),
    ]
    new_config = {**CONFIG, "verify": {"min_score": 0.8, "judge": "rules"}}
    old_videos = {"v1": _video("one"), "v2": _video("two"), "v4": _video("four")}
    new_videos = {"v1": _video("one"), "v2": _video("two", "CC-BY-SA-4.0"), "v3": _video("three")}
    return (
        _write(tmp_path / "r-old", old_rows, old_videos, CONFIG),
        _write(tmp_path / "r-new", new_rows, new_videos, new_config),
    )


def _diff(releases: tuple[Path, Path]):  # noqa: ANN202
    return diff_releases(load_release(releases[0]), load_release(releases[1]))


def test_diff_releases_added_by_new_video(releases) -> None:  # noqa: ANN001
    diff = _diff(releases)
    assert sorted(r.id for r in diff.added) == sorted([_uid("fresh"), _uid("fresh-2")])
    assert {r.reason for r in diff.added} == {"new video"} and {r.video_id for r in diff.added} == {
        _uid("v3")
    }


def test_diff_releases_removed_by_reverification_names_the_changed_threshold(releases) -> None:  # noqa: ANN001
    removed = {r.id: r for r in _diff(releases).removed}
    assert removed[_uid("filtered")].reason == (
        "re-verification or threshold (threshold changed: verify.min_score)"
    )
    assert removed[_uid("gone")].reason == "video left the release"
    assert set(removed) == {_uid("filtered"), _uid("gone")}


def test_diff_releases_changed_by_model_not_text(releases) -> None:  # noqa: ANN001
    changed = {c.new_id: c for c in _diff(releases).changed}
    assert changed[_uid("model")].reasons == ("model changed (qwen-a -> qwen-b)",)
    assert changed[_uid("model")].old_id == _uid("model")


def test_diff_releases_rematches_a_regenerated_instruction_by_pair_and_kind(releases) -> None:  # noqa: ANN001
    diff = _diff(releases)
    changed = {c.new_id: c for c in diff.changed}
    regenerated = changed[_uid("regenerated-new")]
    assert regenerated.old_id == _uid("regenerated-old") and regenerated.reasons == ("text changed",)
    assert regenerated.pair_id == _uid("p4") and regenerated.kind == "conversation"
    ids = {r.id for r in diff.added} | {r.id for r in diff.removed}
    assert _uid("regenerated-old") not in ids and _uid("regenerated-new") not in ids


def test_diff_releases_split_move_is_a_change(releases) -> None:  # noqa: ANN001
    changed = {c.new_id: c for c in _diff(releases).changed}
    assert changed[_uid("moved")].reasons == ("split changed (train -> test)",)
    assert _diff(releases).unchanged == 1


def test_diff_releases_same_pair_different_kind_is_not_a_change(tmp_path: Path) -> None:
    old = _write(tmp_path / "a", [_row("x", "v1", "p1", kind="vqa")], {"v1": _video("one")}, CONFIG)
    new = _write(tmp_path / "b", [_row("y", "v1", "p1", kind="cot")], {"v1": _video("one")}, CONFIG)
    diff = diff_releases(load_release(old), load_release(new))
    assert [r.reason for r in diff.added] == ["re-verification or threshold"]
    assert [r.id for r in diff.removed] == [_uid("x")] and diff.changed == []


def test_diff_releases_prompt_and_image_changes_are_named(tmp_path: Path) -> None:
    old = _write(tmp_path / "a", [_row("x", "v1", "p1")], {"v1": _video("one")}, CONFIG)
    new_row = _row(
        "x", "v1", "p1", prompt_version="synth-v2", image_sha256=_sha("other"), text_sha256="0" * 64
    )
    new = _write(tmp_path / "b", [new_row], {"v1": _video("one")}, CONFIG)
    (change,) = diff_releases(load_release(old), load_release(new)).changed
    assert change.reasons == ("prompt changed (synth-v1 -> synth-v2)", "image changed")


def test_diff_releases_of_a_release_with_itself_is_empty(releases) -> None:  # noqa: ANN001
    same = load_release(releases[0])
    diff = diff_releases(same, same)
    assert (diff.added, diff.removed, diff.changed, diff.config_changes, diff.video_changes) == ([],) * 5
    assert diff.unchanged == 6


def test_diff_config_lists_every_changed_leaf() -> None:
    new = {
        "cues": {"threshold": 0.6, "scorer": "rule-lexicon"},
        "verify": {"judge": "llm"},
        "synthesis": {"generator": "llm", "model": "qwen-a", "temperature": 0.2},
        "release": CONFIG["release"],
    }
    changes = [(c.key, c.change, c.describe()) for c in diff_config(CONFIG, new)]
    assert changes == [
        ("cues.threshold", "changed", "cues.threshold: 0.5 -> 0.6"),
        ("synthesis.temperature", "added", "synthesis.temperature: (absent) -> 0.2"),
        ("verify.judge", "changed", 'verify.judge: "rules" -> "llm"'),
        ("verify.min_score", "removed", "verify.min_score: 0.7 -> (absent)"),
    ]
    assert diff_config({"a": {"b": 1}}, {"a": {"b": 1.0}})[0].describe() == "a.b: 1 -> 1.0"


def test_diff_releases_reports_video_changes(releases) -> None:  # noqa: ANN001
    videos = {(v.video_id, v.change): v for v in _diff(releases).video_changes}
    assert set(videos) == {(_uid("v3"), "added"), (_uid("v4"), "removed"), (_uid("v2"), "changed")}
    assert videos[(_uid("v2"), "changed")].fields == {"license": ["CC-BY-4.0", "CC-BY-SA-4.0"]}
    assert videos[(_uid("v3"), "added")].title == "three"


def test_release_diff_to_json_counts_by_reason(releases) -> None:  # noqa: ANN001
    data = json.loads(json.dumps(_diff(releases).to_json()))
    summary = data["summary"]
    assert (summary["added"], summary["removed"], summary["changed"], summary["unchanged"]) == (2, 2, 3, 1)
    assert summary["by_reason"]["added"] == {"new video": 2}
    assert summary["by_reason"]["changed"] == {
        "model changed (qwen-a -> qwen-b)": 1,
        "split changed (train -> test)": 1,
        "text changed": 1,
    }
    assert data["config_changes"] == [
        {"key": "verify.min_score", "old": 0.7, "new": 0.8, "change": "changed"}
    ]
    assert data["old"] == {"release_id": "r-old", "engine_version": "0.1.0", "records": 6, "videos": 3}
    assert {r["id"] for r in data["added"]} == {_uid("fresh"), _uid("fresh-2")}


def test_release_diff_to_text_lists_reasons_and_limits_the_records(releases) -> None:  # noqa: ANN001
    diff = _diff(releases)
    text = diff.to_text()
    assert text.startswith("release r-old (engine 0.1.0, 6 records) -> r-new (engine 0.1.0, 6 records)\n")
    assert "2 added, 2 removed, 3 changed, 1 unchanged" in text
    assert "verify.min_score: 0.7 -> 0.8" in text
    assert (
        f"- {_uid('filtered')} vqa train video {_uid('v1')}: re-verification or threshold (threshold " in text
    )
    assert f"~ {_uid('regenerated-old')} -> {_uid('regenerated-new')} conversation: text changed" in text
    assert f'~ {_uid("v2")} "two" license: "CC-BY-4.0" -> "CC-BY-SA-4.0"' in text
    assert "more (--json lists all)" not in text
    short = diff.to_text(limit=1)
    assert short.count("... and 1 more (--json lists all)") == 2 and "... and 2 more" in short
    assert "       1  video left the release" in short  # the counts by reason are never cut


def test_load_release_refuses_a_folder_without_index(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="no index.jsonl"):
        load_release(tmp_path)


def test_load_release_refuses_a_bad_index_line(tmp_path: Path) -> None:
    folder = _write(tmp_path / "r", [_row("x", "v1", "p1")], {"v1": _video("one")}, CONFIG)
    with (folder / "index.jsonl").open("a") as f:
        f.write('{"id": "y", "split": "train"}\n')
    with pytest.raises(ValueError, match=r"index.jsonl:2: not an index line"):
        load_release(folder)


def test_load_release_refuses_a_duplicate_id(tmp_path: Path) -> None:
    folder = _write(tmp_path / "r", [_row("x", "v1", "p1")] * 2, {"v1": _video("one")}, CONFIG)
    with pytest.raises(ValueError, match=f"duplicate record id {_uid('x')}"):
        load_release(folder)


def test_load_release_keeps_ids_that_are_not_uuids(tmp_path: Path) -> None:
    rows = [_row("x", "v1", "p1", id="instr-1", pair_id="pair-1", text_sha256="short")]
    old = load_release(_write(tmp_path / "a", rows, {"v1": _video("one")}, CONFIG))
    new = load_release(
        _write(tmp_path / "b", [{**rows[0], "text_sha256": "other"}], {"v1": _video("one")}, CONFIG)
    )
    assert old.ids() == ["instr-1"]
    (change,) = diff_releases(old, new).changed
    assert (change.old_id, change.pair_id, change.reasons) == ("instr-1", "pair-1", ("text changed",))


def test_cli_diff_prints_text_and_json_and_exits_zero(releases) -> None:  # noqa: ANN001
    old, new = (str(p) for p in releases)
    text = runner.invoke(app, ["diff", old, new])
    assert text.exit_code == 0, text.output
    assert "2 added, 2 removed, 3 changed, 1 unchanged" in text.output
    as_json = runner.invoke(app, ["diff", old, new, "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.output)["summary"]["changed"] == 3


def test_cli_diff_of_a_missing_folder_exits_one_with_reason(tmp_path: Path, releases) -> None:  # noqa: ANN001
    result = runner.invoke(app, ["diff", str(tmp_path / "nope"), str(releases[1])])
    assert result.exit_code == 1 and "not a release folder" in result.output


def _seed_instruction(session: Session, name: str, status: str, reasons: list | None) -> None:
    from ophin.db.models import Clip, Frame, Instruction, Pair, Video
    from tests.support.verdicts import verdict

    vid, clip, frame, pair = (uuid.UUID(_uid(f"{k}-{name}")) for k in ("video", "clip", "frame", "pair"))
    frame_row = {"t_s": 0, "object_key": "k", "width": 1, "height": 1, "phash": "0" * 16, "kept": True}
    rows = [
        Video(id=vid, url=f"https://example.org/{name}"),
        Clip(id=clip, video_id=vid, index=0, start_s=0, end_s=1, params_hash="p"),
        Frame(id=frame, video_id=vid, clip_id=clip, params_hash="p", **frame_row),
        Pair(
            id=pair,
            video_id=vid,
            frame_id=frame,
            start_s=0,
            end_s=1,
            text="t",
            segment_ids=[],
            status="paired",
        ),
        Instruction(
            id=uuid.UUID(_uid(name)),
            pair_id=pair,
            frame_id=frame,
            kind="vqa",
            generator="llm",
            status="generated",
            params_hash="p",
        ),
        verdict(uuid.UUID(_uid(name)), status, reasons),
    ]
    for row in rows:  # the models declare no relationships, so the unit of work does not order by FK
        session.add(row)
        session.flush()


def test_explain_removed_adds_status_and_reject_reasons(releases, db_url: str) -> None:  # noqa: ANN001
    engine = sa.create_engine(db_url)
    with Session(engine) as session:
        _seed_instruction(session, "filtered", "rejected", [{"check": "judge", "score": 0.75}])
        session.commit()
        diff = explain_removed(_diff(releases), session)
    engine.dispose()
    removed = {r.id: r for r in diff.removed}
    assert removed[_uid("filtered")].status == "rejected"
    assert removed[_uid("filtered")].reject_reasons == [{"check": "judge", "score": 0.75}]
    assert removed[_uid("gone")].status is None  # not in this database: left as it was
    assert '[now rejected: [{"check": "judge", "score": 0.75}]]' in diff.to_text()


def test_cli_list_shows_release_rows(tmp_path: Path, db_url: str, monkeypatch) -> None:  # noqa: ANN001
    from ophin.db.models import Release
    from ophin.settings import get_settings

    engine = sa.create_engine(db_url)
    with Session(engine) as session:
        session.add(
            Release(
                id=uuid.UUID(_uid("rel")),
                format="llava,hf",
                location="s3://bucket/releases/x",
                n_records=12,
                n_images=5,
                content_sha256="0" * 64,
                manifest={},
            )
        )
        session.commit()
    engine.dispose()
    monkeypatch.setenv("OPHIN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPHIN_DB__URL", db_url)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["list", "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert (row["id"], row["format"], row["n_records"], row["location"]) == (
        _uid("rel"),
        "llava,hf",
        12,
        "s3://bucket/releases/x",
    )
