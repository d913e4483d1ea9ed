"""The `ophin` command: real subcommands against a real database, through typer's runner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ophin.cli import app
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
    assert runner.invoke(app, ["export", "--out", str(env / "o"), "--format", "nope"]).exit_code == 1


def test_run_then_lineage_and_export_from_the_cli(env, tmp_path) -> None:  # noqa: ANN001
    from ophin.sample_corpus import demo_videos
    from tests.support.media import cut

    clip = cut(demo_videos()[0], tmp_path / "fundus.mp4", 16.0, 14.0)
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# one lecture\n{clip.resolve().as_uri()}\n")
    result = runner.invoke(app, ["run", str(urls)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "release"
    assert runner.invoke(app, ["export", "--out", str(out)]).exit_code == 0
    records = json.loads((out / "llava.json").read_text())
    assert records
    trace = runner.invoke(app, ["lineage", records[0]["id"], "--json"])
    assert trace.exit_code == 0, trace.output
    data = json.loads(trace.output)
    assert data["video"]["url"] == clip.resolve().as_uri()
    assert data["kind"] == "instruction" and data["frame"]["t_s"] >= 0
