"""The `ophin` command: real subcommands against a real database, through typer's runner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ophin.cli.app import app
from ophin.settings import get_settings

runner = CliRunner()


@pytest.fixture
def env(tmp_path, db_url, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("OPHIN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPHIN_DB__URL", db_url)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cues_classifies_each_line_with_score_and_reason(tmp_path) -> None:  # noqa: ANN001
    text = tmp_path / "lines.txt"
    text.write_text(
        "Here you can see drusen beneath the retinal pigment epithelium.\n\nPlease like and subscribe.\n"
    )
    result = runner.invoke(app, ["cues", str(text), "--json"])
    assert result.exit_code == 0, result.output
    verdicts = json.loads(result.output)
    assert [v["is_visual"] for v in verdicts] == [True, False]
    assert all(v["reason"] for v in verdicts) and verdicts[0]["score"] > verdicts[1]["score"]


def test_cues_missing_file_exits_nonzero_with_reason(tmp_path) -> None:  # noqa: ANN001
    result = runner.invoke(app, ["cues", str(tmp_path / "nope.txt")])
    assert result.exit_code == 1 and "no such file" in result.output


def test_run_empty_url_file_exits_nonzero_with_one_line_reason(env) -> None:  # noqa: ANN001
    empty = env / "urls.txt"
    empty.write_text("# nothing yet\n\n")
    result = runner.invoke(app, ["run", str(empty)])
    assert result.exit_code == 1
    assert "no URLs in file" in result.output and len(result.output.strip().splitlines()) == 1


def test_run_given_a_video_file_says_to_pass_its_url(env) -> None:  # noqa: ANN001
    from eval.corpus import demo_videos

    result = runner.invoke(app, ["run", str(demo_videos()[0])])
    assert result.exit_code == 1 and "a media file, not a file of URLs" in result.output
    assert demo_videos()[0].resolve().as_uri() in result.output and "Traceback" not in result.output


def test_run_rejects_a_target_that_is_neither_url_nor_file(env) -> None:  # noqa: ANN001
    result = runner.invoke(app, ["run", "not-a-url"])
    assert result.exit_code == 1 and "neither a URL nor a readable file" in result.output


def test_status_json_and_lineage_unknown_id(env) -> None:  # noqa: ANN001
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["videos"] == 0 and status["recent_failures"] == []
    missing = runner.invoke(app, ["lineage", "00000000-0000-0000-0000-000000000000"])
    assert missing.exit_code == 1 and "no instruction" in missing.output


def test_backfill_and_export_reject_unknown_names(env) -> None:  # noqa: ANN001
    assert runner.invoke(app, ["backfill", "--stage", "nope"]).exit_code == 1
    assert runner.invoke(app, ["backfill", "--stage", "transcribe"]).exit_code == 0  # nothing to do
    bad_date = runner.invoke(app, ["backfill", "--since", "last tuesday"])
    assert bad_date.exit_code == 1 and "Invalid isoformat" in bad_date.output
    dry = runner.invoke(
        app, ["backfill", "--error-class", "MediaError", "--since", "2026-01-01", "--dry-run"]
    )
    assert dry.exit_code == 0 and "0 URL(s), 0 video(s) would re-run" in dry.output
    bad_format = runner.invoke(app, ["export", "--out", str(env / "o"), "--format", "nope"])
    assert bad_format.exit_code == 2 and "unknown format" in _one_line(bad_format)


def test_run_then_lineage_and_export_from_the_cli(env, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from eval.corpus import demo_videos
    from tests.support.media import cut
    from tests.support.release import llava_records

    monkeypatch.setenv("OPHIN_ACQUIRE__ALLOW_FILE_URLS", "true")
    monkeypatch.setenv("OPHIN_LICENSE__ACCEPT_UNKNOWN", "true")  # test media states no licence
    get_settings.cache_clear()
    clip = cut(demo_videos()[0], tmp_path / "fundus.mp4", 16.0, 14.0)
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# one lecture\n{clip.resolve().as_uri()}\n")
    result = runner.invoke(app, ["run", str(urls)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "release"
    assert runner.invoke(app, ["export", "--out", str(out)]).exit_code == 0
    records = llava_records(out)
    assert records
    trace = runner.invoke(app, ["lineage", records[0]["id"], "--json"])
    assert trace.exit_code == 0, trace.output
    data = json.loads(trace.output)
    assert data["video"]["url"] == "local-file:fundus.mp4"
    assert data["kind"] == "instruction" and data["frame"]["t_s"] >= 0


def _one_line(result) -> str:  # noqa: ANN001
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture
def make_env(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    def apply(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield apply
    get_settings.cache_clear()


def test_unreachable_database_is_one_line_exit_2(make_env, tmp_path) -> None:  # noqa: ANN001
    make_env(OPHIN_HOME=str(tmp_path / "h"), OPHIN_DB__URL="postgresql://postgres@127.0.0.1:1/nowhere")
    for command in (["status"], ["run", "http://127.0.0.1:1/a.mp4"], ["db", "upgrade"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2 and "database unreachable" in _one_line(result)


def test_dropped_or_unmigrated_database_is_one_line_exit_2(
    make_env, make_database, pg_admin_url, tmp_path
) -> None:  # noqa: ANN001
    import sqlalchemy as sa

    bare = make_database(migrate=False)
    make_env(OPHIN_HOME=str(tmp_path / "h"), OPHIN_DB__URL=bare)
    result = runner.invoke(app, ["status"])
    assert (
        result.exit_code == 2
        and "no ophin schema" in _one_line(result)
        and "ophin db upgrade" in result.output
    )

    gone = make_database()
    with sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{sa.engine.make_url(gone).database}" WITH (FORCE)'))
    make_env(OPHIN_DB__URL=gone)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2 and "does not exist" in _one_line(result)


def test_unwritable_home_is_one_line_exit_2_and_status_still_reads(make_env, db_url, tmp_path) -> None:  # noqa: ANN001
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    # Root ignores permission bits, so "not writable" is made the way root also meets it: a file in the path.
    make_env(OPHIN_HOME=str(blocker / "home"), OPHIN_DB__URL=db_url)
    result = runner.invoke(app, ["run", "http://127.0.0.1:1/a.mp4"])
    assert result.exit_code == 2 and "cannot write" in _one_line(result)
    status = runner.invoke(app, ["status", "--json"])
    assert status.exit_code == 0 and json.loads(status.output)["videos"] == 0


def test_bad_settings_are_one_line_exit_2(make_env, tmp_path) -> None:  # noqa: ANN001
    make_env(OPHIN_HOME=str(tmp_path / "h"), OPHIN_CUES__THRESHOLD="very high")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2 and "bad settings: cues.threshold" in _one_line(result)


def test_run_prints_markup_like_urls_as_text_and_exits_1_naming_failures(env) -> None:  # noqa: ANN001
    url = "http://127.0.0.1:1/[red]lecture[/red][bold.mp4"
    result = runner.invoke(app, ["run", url])
    assert result.exit_code == 1, result.output
    assert f"failed acquire {url}" in result.output and "1 stage(s) failed" in result.output
    status = runner.invoke(app, ["status"])
    assert status.exit_code == 0 and "[red]lecture[/red][bold.mp4" in status.output


def test_file_urls_are_refused_by_default(env, tmp_path) -> None:  # noqa: ANN001
    from eval.corpus import demo_videos

    result = runner.invoke(app, ["run", demo_videos()[0].resolve().as_uri()])
    assert result.exit_code == 1 and "FetchRefused" in result.output


def test_embedded_postgres_fallback_runs_db_tests_without_a_server(tmp_path) -> None:  # noqa: ANN001
    """With nothing on the admin URL the fixtures start pgserver's PostgreSQL (a laptop without a server)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "OPHIN_TEST_PG_ADMIN_URL": "postgresql+psycopg2://postgres@127.0.0.1:1/postgres"}
    test = f"{Path(__file__).resolve()}::test_status_json_and_lineage_unknown_id"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", test, "--basetemp", str(tmp_path / "t")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr


def test_export_unknown_kind_is_a_usage_error_exit_2(env) -> None:  # noqa: ANN001
    result = runner.invoke(app, ["export", "--kinds", "foo", "--allow-empty"])
    assert result.exit_code == 2 and "unknown kind 'foo'" in _one_line(result)
    assert "vqa, conversation, cot" in result.output


def test_export_refuses_an_empty_release_unless_asked(env) -> None:  # noqa: ANN001
    out = env / "release"
    result = runner.invoke(app, ["export", "--out", str(out)])
    assert result.exit_code == 2 and "the release would be empty" in _one_line(result)
    assert "--allow-empty" in result.output and not out.exists()
    listed = runner.invoke(app, ["release", "list", "--json"])
    assert json.loads(listed.output) == []  # nothing was published either
    allowed = runner.invoke(app, ["export", "--out", str(out), "--allow-empty"])
    assert allowed.exit_code == 0, allowed.output
    assert "0 instructions" in allowed.output and (out / "manifest.json").is_file()


def test_export_on_an_unmigrated_database_publishes_nothing(make_env, make_database, tmp_path) -> None:  # noqa: ANN001
    make_env(OPHIN_HOME=str(tmp_path / "h"), OPHIN_DB__URL=make_database(migrate=False))
    result = runner.invoke(app, ["export", "--out", str(tmp_path / "release")])
    assert result.exit_code == 2 and "the release would be empty" in _one_line(result)
    assert not (tmp_path / "release").exists()


def test_export_never_replaces_a_users_folder_or_file(env) -> None:  # noqa: ANN001
    folder = env / "thesis"
    folder.mkdir()
    (folder / "chapter1.docx").write_text("two years of work")
    result = runner.invoke(app, ["export", "--out", str(folder), "--allow-empty"])
    assert result.exit_code == 2 and "not an earlier ophin export" in _one_line(result)
    assert [p.name for p in folder.iterdir()] == ["chapter1.docx"]
    assert (folder / "chapter1.docx").read_text() == "two years of work"

    notes = env / "notes.txt"
    notes.write_text("keep me")
    result = runner.invoke(app, ["export", "--out", str(notes), "--allow-empty"])
    assert result.exit_code == 2 and "is a file, not a folder" in _one_line(result)
    assert notes.read_text() == "keep me"
    assert sorted(p.name for p in env.iterdir()) == ["home", "notes.txt", "thesis"]  # nothing moved aside


def test_export_replaces_only_an_untouched_earlier_export(env) -> None:  # noqa: ANN001
    from ophin.stages.export import MARKER

    out = env / "release"
    out.mkdir()  # an empty folder is no one's work: it may be used
    assert runner.invoke(app, ["export", "--out", str(out), "--allow-empty"]).exit_code == 0
    release_id = (out / MARKER).read_text().strip()
    assert json.loads((out / "manifest.json").read_text())["release_id"] == release_id
    again = runner.invoke(app, ["export", "--out", str(out), "--allow-empty"])
    assert again.exit_code == 0, again.output  # an earlier export is swapped whole, as before

    (out / "my-notes.md").write_text("added by hand")
    added = runner.invoke(app, ["export", "--out", str(out), "--allow-empty"])
    assert added.exit_code == 2 and "my-notes.md is not a file of that release" in _one_line(added)
    assert (out / "my-notes.md").read_text() == "added by hand"
    (out / "my-notes.md").unlink()

    (out / MARKER).write_text("00000000-0000-0000-0000-000000000000\n")  # a marker copied from elsewhere
    forged = runner.invoke(app, ["export", "--out", str(out), "--allow-empty"])
    assert forged.exit_code == 2 and "does not name the release" in _one_line(forged)
    (out / MARKER).write_text(release_id + "\n")
    (out / "README.md").write_text("my own card")  # an edited file of the release: its size changed
    edited = runner.invoke(app, ["export", "--out", str(out), "--allow-empty"])
    assert edited.exit_code == 2 and "README.md is not a file of that release" in _one_line(edited)
    assert (out / "README.md").read_text() == "my own card"


def test_export_to_an_unwritable_place_is_one_line_exit_2(env) -> None:  # noqa: ANN001
    result = runner.invoke(app, ["export", "--out", "/proc/x", "--allow-empty"])
    assert result.exit_code == 2 and "cannot write --out /proc/x" in _one_line(result)


@pytest.mark.parametrize(
    "url", ["notaurl", "mysql://root:hunter2@db:3306/ophin", "postgresql+asyncpg://u@h/d"]
)
def test_bad_database_url_is_one_line_exit_2(make_env, tmp_path, url: str) -> None:  # noqa: ANN001
    make_env(OPHIN_HOME=str(tmp_path / "h"), OPHIN_DB__URL=url)
    for command in (["status"], ["export", "--allow-empty"], ["db", "upgrade"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2 and "bad settings: db.url" in _one_line(result), result.output
        assert "hunter2" not in result.output and "Traceback" not in result.output


def test_malformed_allow_hosts_is_one_line_exit_2(make_env, db_url, tmp_path) -> None:  # noqa: ANN001
    make_env(
        OPHIN_HOME=str(tmp_path / "h"), OPHIN_DB__URL=db_url, OPHIN_ACQUIRE__ALLOW_HOSTS="127.0.0.1,[::1"
    )
    result = runner.invoke(app, ["run", "http://127.0.0.1:1/a.mp4"])
    assert result.exit_code == 2 and "bad settings: acquire.allow_hosts" in _one_line(result)
    assert "[::1" in result.output


def test_export_refuses_a_link_and_a_folder_whose_manifest_is_unreadable(env) -> None:  # noqa: ANN001
    out = env / "release"
    assert runner.invoke(app, ["export", "--out", str(out), "--allow-empty"]).exit_code == 0
    link = env / "link"
    link.symlink_to(out, target_is_directory=True)
    linked = runner.invoke(app, ["export", "--out", str(link), "--allow-empty"])
    assert linked.exit_code == 2 and "is a symbolic link" in _one_line(linked)
    assert link.is_symlink() and (out / "manifest.json").is_file()
    (out / "manifest.json").write_text("{not json")
    broken = runner.invoke(app, ["export", "--out", str(out), "--allow-empty"])
    assert broken.exit_code == 2 and "no readable manifest.json" in _one_line(broken)
    assert (out / "manifest.json").read_text() == "{not json"
