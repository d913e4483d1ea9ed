"""What a killed attempt or a bad home leaves (issue 22, break 11): stale scratch is swept at the next start,
a live attempt's scratch stays; an unwritable work folder is a one-line configuration error naming it."""

from __future__ import annotations

import uuid
from pathlib import Path

from typer.testing import CliRunner

from ophin.cli.app import app
from ophin.db.stage_runs import AttemptKey, Claimed, claim
from ophin.settings import get_settings
from ophin.stages.base import run_stage
from tests.conftest import make_services


def _attempt_of_another_worker(svc, entity: str, lease_s: float) -> uuid.UUID:  # noqa: ANN001
    key = AttemptKey("acquire", "url", entity, "p", "v", "")
    claimed = claim(svc.sessions, key, worker="host:1:other", lease_s=lease_s, params={}, runner="test")
    assert isinstance(claimed, Claimed)
    return claimed.run_id


def test_run_stage_sweeps_stale_scratch_and_keeps_a_live_one(tmp_path: Path, db_url, transcriber) -> None:  # noqa: ANN001
    svc = make_services(tmp_path, db_url, transcriber)
    live = svc.workdir / f"acquire-{_attempt_of_another_worker(svc, 'http://a/live.mp4', 600)}"
    expired = svc.workdir / f"acquire-{_attempt_of_another_worker(svc, 'http://a/killed.mp4', -1)}"
    orphan = svc.workdir / f"keyframes-{uuid.uuid4()}"  # its row is gone too (a database restored)
    unrelated = svc.workdir / "media"  # the media cache: no scratch folder
    for folder in (live, expired, orphan, unrelated):
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "part.bin").write_bytes(b"x" * 1024)
    result = run_stage(
        svc, stage="export", version="1", entity_type="batch", entity_key="t", params={}, work=lambda a: {}
    )
    assert not result.skipped
    assert live.is_dir() and unrelated.is_dir()
    assert not expired.exists() and not orphan.exists()


runner = CliRunner()


def test_unwritable_work_folder_is_one_line_configuration_error(tmp_path: Path, db_url, monkeypatch) -> None:  # noqa: ANN001
    home = tmp_path / "home"
    home.mkdir()
    # Root ignores permission bits: a file where the work folder belongs is unwritable for every user.
    (home / "work").write_text("not a folder")
    monkeypatch.setenv("OPHIN_HOME", str(home))
    monkeypatch.setenv("OPHIN_DB__URL", db_url)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["run", "http://127.0.0.1:1/lecture.mp4"])
    finally:
        get_settings.cache_clear()
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert f"cannot write {home / 'work'}: Not a directory" in lines[0] and "OPHIN_HOME" in lines[0]
    assert "MediaError" not in result.output and "failed acquire" not in result.output
