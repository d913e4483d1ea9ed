"""/ophin/review and its label endpoint through Airflow's own api-server app (plugins loaded, simple auth
manager): pages need read access like every lineage route, labels need edit access and JSON, the reviewer is
the token's user, and the page's one script runs under a nonce policy."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from ophin.db.models import Instruction
from ophin.db.review_models import ReviewLabel
from ophin.db.session import session_factory, session_scope
from ophin.review.sample import sample_batch
from ophin.services import build_services
from ophin.settings import Settings
from tests.support.plugin_app import ophin_environment, plugin_client
from tests.support.review_rows import Item, build_rows

pytestmark = pytest.mark.slow
LABELS = "/ophin/api/review/labels"


@pytest.fixture(scope="module")
def api(tmp_path_factory, make_database):  # noqa: ANN001, ANN201
    home = tmp_path_factory.mktemp("review_plugin")
    db = make_database()
    settings = Settings(db={"url": db}, home=home)
    with session_scope(session_factory(settings)) as session:
        ids = build_rows(
            session, [Item(f"i{n}", video=n % 3) for n in range(3)], build_services(settings).store
        )
        batch = sample_batch(session, 3, seed=0, name="plugin-batch")
    env = {"OPHIN_DB__URL": db, "OPHIN_HOME": str(home)}
    users = {"admin": "admin", "vera": "viewer", "uma": "user", "nobody": None}
    with (
        ophin_environment(env),
        plugin_client(tmp_path_factory.mktemp("airflow_home"), make_database(), users) as (client, tokens),
    ):
        yield client, tokens, settings, batch, ids


def _call(api, method: str, path: str, user: str | None = "admin", **kwargs):  # noqa: ANN001, ANN202
    client, tokens, *_ = api
    headers = kwargs.pop("headers", {})
    if user:
        headers["Authorization"] = f"Bearer {tokens[user]}"
    return client.request(method, path, headers=headers, follow_redirects=False, **kwargs)


def _labels(settings: Settings) -> list[tuple[str, str, str]]:
    with session_scope(session_factory(settings)) as session:
        rows = session.execute(sa.select(ReviewLabel.reviewer, ReviewLabel.verdict, ReviewLabel.source))
        return sorted(tuple(r) for r in rows)


def test_review_pages_need_read_access(api) -> None:  # noqa: ANN001
    _, _, _, batch, _ = api
    for path in ("/ophin/review", f"/ophin/review/{batch}/0", "/ophin/api/review/batches"):
        assert _call(api, "GET", path, user=None).status_code == 401, path
        assert _call(api, "GET", path, user="nobody").status_code == 403, path
        assert _call(api, "GET", path, user="vera").status_code == 200, path  # a viewer may look
    page = _call(api, "GET", "/ophin/review", user=None, headers={"Accept": "text/html"})
    assert page.status_code == 303 and "login" in page.headers["location"]  # a browser: Airflow's login


def test_review_page_runs_one_script_under_a_nonce_policy(api) -> None:  # noqa: ANN001
    _, _, _, batch, _ = api
    page = _call(api, "GET", f"/ophin/review/{batch}/0", headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy).group(1)
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy and "unsafe-eval" not in policy
    assert re.findall(r"<script nonce=\"([^\"]+)\">", page.text) == [nonce]
    assert "http://" not in page.text.replace("https://www.youtube.com", "")  # nothing from elsewhere
    other = _call(api, "GET", f"/ophin/review/{batch}/0").headers["content-security-policy"]
    assert other != policy  # a fresh nonce per response
    listed = _call(api, "GET", "/ophin/api/review/batches").json()
    assert [(b["name"], b["items"], b["mine"]) for b in listed] == [("plugin-batch", 3, 0)]
    assert _call(api, "GET", "/ophin/review/00000000-0000-0000-0000-000000000000").status_code == 404
    assert _call(api, "GET", f"/ophin/review/{batch}/3").status_code == 404


def test_label_endpoint_needs_edit_access_and_json_and_names_the_user(api) -> None:  # noqa: ANN001
    _, _, settings, batch, ids = api
    with session_scope(session_factory(settings)) as session:
        before = {i.id: i.turns for i in session.scalars(sa.select(Instruction))}
    body = {
        "batch_id": str(batch),
        "instruction_id": str(ids["i0"]),
        "verdict": "usable",
        "tags": ["artefact"],
    }
    assert _call(api, "POST", LABELS, user=None, json=body).status_code == 401
    refused = _call(api, "POST", LABELS, user="vera", json=body)  # a viewer reads, never labels
    assert refused.status_code == 403 and "edit access" in refused.json()["detail"]
    form = _call(api, "POST", LABELS, data={"verdict": "good"})  # what a cross-site form could send
    assert form.status_code == 415
    garbled = _call(api, "POST", LABELS, content=b"{not json", headers={"Content-Type": "application/json"})
    assert garbled.status_code == 400
    wrong = _call(api, "POST", LABELS, json=body | {"verdict": "excellent"})
    assert wrong.status_code == 400 and "unknown verdict 'excellent'" in wrong.json()["detail"]
    assert _labels(settings) == []

    saved = _call(api, "POST", LABELS, user="uma", json=body | {"reviewer": "admin"})
    assert saved.status_code == 200 and saved.json()["reviewer"] == "uma"
    assert _call(api, "POST", LABELS, json=body | {"verdict": "bad"}).status_code == 200
    assert _labels(settings) == [("admin", "bad", "ui"), ("uma", "usable", "ui")]
    with session_scope(session_factory(settings)) as session:
        assert {i.id: i.turns for i in session.scalars(sa.select(Instruction))} == before
    # Resuming the batch opens the reviewer's first item they have not labelled.
    position = _call(api, "GET", "/ophin/api/review/batches", user="uma").json()[0]["mine"]
    resumed = _call(api, "GET", f"/ophin/review/{batch}", user="uma")
    assert position == 1 and resumed.status_code == 303
    with session_scope(session_factory(settings)) as session:
        first = session.scalar(
            sa.text("SELECT position FROM review_item WHERE instruction_id = :i"), {"i": ids["i0"]}
        )
    assert resumed.headers["location"] == f"/ophin/review/{batch}/{1 if first == 0 else 0}"
