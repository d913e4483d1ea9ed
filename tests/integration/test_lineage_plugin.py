"""The lineage plugin's API through Airflow's own api-server app (plugins loaded, simple auth manager), on a
lineage database made by really running the engine on a short lecture served over HTTP, objects in S3."""

from __future__ import annotations

import io

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from ophin.db.models import Frame, Instruction, TranscriptSegment, Verification
from ophin.db.session import session_scope
from ophin.domain.text import plain_text
from tests.conftest import make_services
from tests.support.lineage_run import (
    BAD_URL,
    HOSTILE_CHANNEL,
    HOSTILE_TITLE,
    TASKS,
    hostile_lecture,
    media_url,
    ophin_env,
    run_as_tasks,
)
from tests.support.media import serve_directory
from tests.support.plugin_app import ophin_environment, plugin_client
from tests.support.verdicts import accepted_ids

DAG_ID, RUN_ID = "ophin_process", "manual__2026-05-01T10:00:00+00:00"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lineage(tmp_path_factory, make_database, transcriber, s3_endpoint):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("lineage_plugin")
    lecture = hostile_lecture(tmp / "www")
    with serve_directory(lecture.parent) as base:
        svc = make_services(tmp, make_database(), transcriber, s3_endpoint=s3_endpoint)
        run = run_as_tasks(svc, media_url(base, lecture), DAG_ID, RUN_ID)
    with ophin_environment(ophin_env(svc)):
        yield svc, run


@pytest.fixture(scope="module")
def api(lineage, tmp_path_factory, make_database):  # noqa: ANN001, ANN201
    users = {"admin": "admin", "nobody": None}
    with plugin_client(tmp_path_factory.mktemp("airflow_home"), make_database(), users) as client_tokens:
        yield client_tokens


def _get(api, path: str, user: str | None = "admin", **headers: str):  # noqa: ANN001, ANN202
    client, tokens = api
    if user:
        headers["Authorization"] = f"Bearer {tokens[user]}"
    return client.get(path, headers=headers, follow_redirects=False)


def _ti(stage: str, map_index: int = 0) -> str:
    return f"/ophin/api/ti/{DAG_ID}/{RUN_ID.replace('+', '%2B')}/{TASKS[stage]}/{map_index}"


def test_lineage_plugin_refuses_requests_without_airflow_auth(api, lineage) -> None:  # noqa: ANN001
    svc, run = lineage
    for path in (_ti("keyframes"), f"/ophin/api/id/{run.video_id}", "/ophin/api/recent", "/ophin/"):
        assert _get(api, path, user=None).status_code == 401, path
        assert _get(api, path, user="nobody").status_code == 403, path  # authenticated, but no role
        assert _get(api, path, user=None, Authorization="Bearer forged").status_code == 403, path
    with session_scope(svc.sessions) as session:
        frame_id = session.scalars(select(Frame.id)).first()
    refused = _get(api, f"/ophin/frames/{frame_id}.jpg", user=None)
    assert refused.status_code == 401 and not refused.content.startswith(b"\xff\xd8")
    # A browser without a session is sent to Airflow's login, then back to the page.
    page = _get(api, f"/ophin/id/{run.video_id}", user=None, Accept="text/html")
    assert page.status_code == 303 and "login" in page.headers["location"]
    assert HOSTILE_TITLE not in page.text


def test_lineage_plugin_is_registered_with_its_ui_links(api) -> None:  # noqa: ANN001
    plugins = _get(api, "/api/v2/plugins").json()["plugins"]
    plugin = next(p for p in plugins if p["name"] == "ophin_lineage")
    assert [a["url_prefix"] for a in plugin["fastapi_apps"]] == ["/ophin"]
    views = {v["destination"]: v for v in plugin["external_views"]}
    assert views["task_instance"]["href"] == "ophin/ti/{DAG_ID}/{RUN_ID}/{TASK_ID}/{MAP_INDEX}"
    assert views["nav"]["href"] == "ophin/" and views["nav"]["nav_top_level"] is True


def test_keyframes_task_instance_shows_frames_with_thumbnails_and_times(api, lineage) -> None:  # noqa: ANN001
    svc, run = lineage
    data = _get(api, _ti("keyframes")).json()
    [attempt] = data["attempts"]
    assert (attempt["stage"], attempt["status"], attempt["try_number"], attempt["current"]) == (
        "keyframes",
        "succeeded",
        1,
        True,
    )
    [block] = data["produced"]
    frames = block["frames"]
    assert attempt["output"]["frames"] == len(frames) >= 1
    assert attempt["output"]["kept"] == sum(f["kept"] for f in frames) >= 1
    with session_scope(svc.sessions) as session:
        stored = {str(f.id): f for f in session.scalars(select(Frame))}
    assert {f["id"] for f in frames} == set(stored)
    from PIL import Image

    for f in frames:
        assert 0 <= f["t_s"] <= 16.5
        assert f["kept"] or f["drop_reason"]  # nothing dropped without its reason
        assert f["link"]["href"] == f"{run.url}#t={round(f['t_s'], 1):g}" and f["link"]["timed"]
        image = _get(api, f"/ophin/frames/{f['id']}.jpg")
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        assert image.content[:3] == b"\xff\xd8\xff"
        assert Image.open(io.BytesIO(image.content)).size == (stored[f["id"]].width, stored[f["id"]].height)
    assert _get(api, "/ophin/frames/00000000-0000-0000-0000-000000000000.jpg").status_code == 404


def test_transcribe_and_verify_task_instances_show_segments_and_verdicts(api, lineage) -> None:  # noqa: ANN001
    svc, _ = lineage
    segments = _get(api, _ti("transcribe")).json()["produced"][0]["segments"]
    verified = _get(api, _ti("verify")).json()
    instructions = verified["produced"][0]["instructions"]
    with session_scope(svc.sessions) as session:
        assert len(segments) == session.scalar(select(func.count()).select_from(TranscriptSegment)) >= 1
        assert len(instructions) == session.scalar(select(func.count()).select_from(Instruction)) >= 1
        n_verdicts = session.scalar(select(func.count()).select_from(Verification))
    assert all(0 <= s["start_s"] < s["end_s"] <= 16.5 for s in segments)
    assert sum(len(i["verifications"]) for i in instructions) == n_verdicts
    accepted = [i for i in instructions if i["status"] == "accepted"]
    assert accepted, [i["reject_reasons"] for i in instructions]
    for i in instructions:
        checks = {v["check"]: v["passed"] for v in i["verifications"]}
        assert {"grounded", "no_phi"} <= set(checks), checks
        if i["status"] == "accepted":
            assert all(checks.values()) and not i["reject_reasons"]
        else:
            assert i["reject_reasons"] and not all(checks.values())
        assert i["turns"] and i["turns"][0]["role"] == "human"


def test_failed_task_instance_shows_its_failure_with_reason(api) -> None:  # noqa: ANN001
    data = _get(api, _ti("acquire", map_index=1)).json()
    [failure] = data["failures"]
    assert (failure["stage"], failure["entity_key"], failure["error_class"]) == (
        "acquire",
        BAD_URL,
        "FetchRefused",
    )
    assert "refused" in failure["error_message"] and data["produced"] == []
    page = _get(api, _ti("acquire", map_index=1).replace("/api/", "/"), Accept="text/html")
    assert page.status_code == 200 and "FetchRefused" in page.text


def test_id_chain_goes_back_to_the_video_second_and_forward(api, lineage) -> None:  # noqa: ANN001
    svc, run = lineage
    with session_scope(svc.sessions) as session:
        instruction = session.get_one(Instruction, accepted_ids(session)[0])
        frame = session.get(Frame, instruction.frame_id)
        segment = session.scalars(select(TranscriptSegment)).first()
        n_frames = session.scalar(select(func.count()).select_from(Frame))
    back = _get(api, f"/ophin/api/id/{instruction.id}").json()
    assert back["kind"] == "instruction" and back["video"]["url"] == run.url
    assert back["frame"]["id"] == str(frame.id) and back["at_s"] == frame.t_s
    assert back["link"]["href"] == f"{run.url}#t={round(frame.t_s, 1):g}"
    assert back["instruction"]["verifications"]
    frame_view = _get(api, f"/ophin/api/id/{frame.id}").json()
    assert str(instruction.id) in {i["id"] for i in frame_view["forward"]["instructions"]}
    video_view = _get(api, f"/ophin/api/id/{run.video_id}").json()
    assert len(video_view["forward"]["frames"]) == n_frames and video_view["forward"]["pairs"]
    tis = {
        (r["stage"], r["task_instance"]["task_id"]) for r in video_view["stage_runs"] if r["task_instance"]
    }
    assert ("keyframes", TASKS["keyframes"]) in tis
    segment_view = _get(api, f"/ophin/api/id/{segment.id}").json()
    assert segment_view["kind"] == "segment" and segment_view["at_s"] == segment.start_s
    assert _get(api, "/ophin/api/id/00000000-0000-0000-0000-000000000000").status_code == 404
    assert _get(api, "/ophin/api/id/not-an-id").status_code == 404


def test_pages_escape_hostile_metadata_and_link_to_each_other(api, lineage) -> None:  # noqa: ANN001
    svc, run = lineage
    page = _get(api, _ti("acquire").replace("/api/", "/"), Accept="text/html")
    assert page.status_code == 200 and "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert str(escape(HOSTILE_TITLE)) in page.text and HOSTILE_TITLE not in page.text
    channel = plain_text(HOSTILE_CHANNEL, 300)  # as acquisition stored it: "</td>" gone
    assert (
        channel == 'Retina & Co <3 "Lee"' and str(escape(channel)) in page.text and channel not in page.text
    )
    assert "onmouseover='alert" not in page.text and "<script" not in page.text
    frames_page = _get(api, _ti("keyframes").replace("/api/", "/"), Accept="text/html").text
    with session_scope(svc.sessions) as session:
        frame = session.scalars(select(Frame).where(Frame.kept)).first()
        instruction = session.scalars(select(Instruction).where(Instruction.frame_id == frame.id)).first()
    assert (
        f'src="/ophin/frames/{frame.id}.jpg"' in frames_page and f'href="/ophin/id/{frame.id}"' in frames_page
    )
    frame_page = _get(api, f"/ophin/id/{frame.id}", Accept="text/html").text
    assert f'href="/ophin/id/{instruction.id}"' in frame_page
    instruction_page = _get(api, f"/ophin/id/{instruction.id}", Accept="text/html").text
    assert f'href="{run.url}#t={round(frame.t_s, 1):g}"'.replace("&", "&amp;") in instruction_page
    verify_ti = "/ophin/ti/ophin_process/manual__2026-05-01T10%3A00%3A00%2B00%3A00/verify_instructions/0"
    assert verify_ti in instruction_page
    search = _get(api, "/ophin/search?q=%3Cb%3Ex", Accept="text/html")
    assert search.status_code == 400 and "&lt;b&gt;x" in search.text and "<b>x" not in search.text
    found = _get(api, f"/ophin/search?q={frame.id}", Accept="text/html")
    assert found.status_code == 303 and found.headers["location"] == f"/ophin/id/{frame.id}"
