"""`ophin report --html FILE [--quality FILE]` through the CLI, on a real database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from ophin.cli.app import app
from ophin.db.session import session_factory, session_scope
from ophin.reporting.metrics import metrics
from ophin.settings import Settings, get_settings
from tests.unit.reporting.rows import build

PLOTS = 1 + len(metrics(Settings()))  # the funnel and one histogram per scored decision


@pytest.fixture
def env(db_url, tmp_path) -> Iterator[dict[str, str]]:  # noqa: ANN001
    with session_scope(session_factory(Settings(db={"url": db_url}, home=tmp_path))) as session:
        build(session)
    get_settings.cache_clear()  # the CLI reads Settings from this environment
    yield {"OPHIN_DB__URL": db_url, "OPHIN_HOME": str(tmp_path / "home")}
    get_settings.cache_clear()


def test_report_writes_the_page_with_quality_figures(env, tmp_path) -> None:  # noqa: ANN001
    quality = tmp_path / "quality.json"
    quality.write_text(json.dumps({"set_name": "heldout", "figures": {"fidelity": 0.97}, "passed": {}}))
    out = tmp_path / "pages" / "report.html"
    result = CliRunner().invoke(app, ["report", "--html", str(out), "--quality", str(quality)], env=env)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") == PLOTS and "fidelity" in html and "generated " in html
    assert "wrote:" in result.output and "funnel" in result.output  # the seconds per section


def test_report_refuses_a_quality_file_that_is_not_one(env, tmp_path) -> None:  # noqa: ANN001
    bad = tmp_path / "q.json"
    bad.write_text("[1, 2]")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--html", str(out), "--quality", str(bad)], env=env)
    assert result.exit_code == 1 and "is not a quality report" in result.output
    assert not out.exists()
    missing = CliRunner().invoke(
        app, ["report", "--html", str(out), "--quality", str(tmp_path / "no")], env=env
    )
    assert missing.exit_code == 1 and "--quality" in missing.output
