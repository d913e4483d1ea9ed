"""/ophin/report through Airflow's own api-server app (plugins loaded, simple auth manager): refused without
Airflow's auth like every lineage route, the page with its plots for a user who may read task instances."""

from __future__ import annotations

import re

import pytest

from ophin.db.session import session_factory, session_scope
from ophin.reporting.metrics import metrics
from ophin.settings import Settings
from tests.support.plugin_app import ophin_environment, plugin_client
from tests.unit.reporting.rows import build

pytestmark = pytest.mark.slow

PLOTS = 1 + len(metrics(Settings()))  # the funnel and one histogram per scored decision


@pytest.fixture(scope="module")
def api(tmp_path_factory, make_database):  # noqa: ANN001, ANN201
    home = tmp_path_factory.mktemp("report_plugin")
    db = make_database()
    with session_scope(session_factory(Settings(db={"url": db}, home=home))) as session:
        build(session)
    env = {"OPHIN_DB__URL": db, "OPHIN_HOME": str(home)}
    users = {"admin": "admin", "nobody": None}
    with (
        ophin_environment(env),
        plugin_client(tmp_path_factory.mktemp("airflow_home"), make_database(), users) as client_tokens,
    ):
        yield client_tokens


def _get(api, user: str | None = "admin", **headers: str):  # noqa: ANN001, ANN202
    client, tokens = api
    if user:
        headers["Authorization"] = f"Bearer {tokens[user]}"
    return client.get("/ophin/report", headers=headers, follow_redirects=False)


def test_report_route_needs_airflow_auth(api) -> None:  # noqa: ANN001
    assert _get(api, user=None).status_code == 401
    assert _get(api, user="nobody").status_code == 403  # authenticated, but no role
    assert _get(api, user=None, Authorization="Bearer forged").status_code == 403
    page = _get(api, user=None, Accept="text/html")  # a browser without a session: Airflow's login
    assert page.status_code == 303 and "login" in page.headers["location"]
    assert "<svg" not in page.text


def test_report_route_serves_the_page_under_a_script_free_policy(api) -> None:  # noqa: ANN001
    page = _get(api, Accept="text/html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    plots = re.findall(r'<figure class="plot[^"]*" id="plot-', page.text)
    assert len(plots) == page.text.count("<svg") == PLOTS
    assert "too blurred" in page.text and "generated " in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "img-src 'self' data:" in policy  # the sample images travel inside the page
