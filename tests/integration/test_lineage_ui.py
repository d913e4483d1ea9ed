"""From the Airflow UI alone, in a real headless Chromium: log in, open a task instance's lineage tab, go to a
frame, to its instruction, and to the video at that second. Screenshots are kept as test artefacts."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from ophin.db.models import Frame, Verification
from ophin.db.session import session_scope
from tests.conftest import make_services
from tests.support.lineage_run import HOSTILE_TITLE, hostile_lecture, media_url, ophin_env, run_as_tasks
from tests.support.media import serve_directory

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("OPHIN_TEST_ARTIFACTS", REPO / ".artifacts")) / "screenshots" / "lineage_ui"
DAG_ID = "ophin_lineage_ui"
# Where playback began (autoplay moves currentTime on; the played ranges keep their start).
STARTED_AT = "() => { const v = document.querySelector('video'); v.pause(); return v.played.start(0) }"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)"),
]

# A stand-in for the pipeline DAG with its task ids (the engine's stages run outside it, stamped with its
# task instances): the UI shows real DagRun and task instances, mapped, one of them failed.
STAND_IN_DAG = """
from datetime import datetime
from airflow.sdk import DAG, task, task_group

with DAG("ophin_lineage_ui", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["ophin"]):
    @task
    def acquire_video(url: str) -> str:
        if "169.254" in url:
            raise RuntimeError("FetchRefused: refused URL")
        return url

    @task
    def transcribe_video(v: str) -> str:
        return v

    @task
    def extract_keyframes(v: str) -> str:
        return v

    @task
    def pair_frames(v: str, keyframed: str) -> str:
        return v

    @task
    def separate_visual_cues(v: str) -> str:
        return v

    @task
    def synthesize_instructions(v: str) -> str:
        return v

    @task
    def verify_instructions(v: str) -> str:
        return v

    @task_group
    def per_video(url: str) -> None:
        v = acquire_video(url)
        paired = pair_frames(transcribe_video(v), extract_keyframes(v))
        verify_instructions(synthesize_instructions(separate_visual_cues(paired)))

    per_video.expand(url=["http://127.0.0.1/lecture.mp4", "http://169.254.169.254/latest/meta-data.mp4"])
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _airflow(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "airflow"), *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 or "DagRun failed" in done.stderr, f"airflow {args}: {done.stderr[-3000:]}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def ui(tmp_path_factory, make_database, transcriber):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("lineage_ui")
    (tmp / "dags").mkdir()
    (tmp / "dags" / f"{DAG_ID}.py").write_text(STAND_IN_DAG)
    port, meta_db = _free_port(), make_database(migrate=False)
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPHIN_"))}
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONPATH": str(REPO),
            "AIRFLOW_HOME": str(tmp / "airflow"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(tmp / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta_db,
            "AIRFLOW__API__BASE_URL": base,
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(tmp / "airflow" / "logs"),
        }
    )
    _airflow(env, "db", "migrate")
    assert "DagRun failed" in _airflow(env, "dags", "test", DAG_ID)  # its acquire of the bad URL failed
    with sa.create_engine(meta_db).connect() as conn:
        query = sa.text("SELECT run_id FROM dag_run WHERE dag_id = :d")
        run_id = conn.execute(query, {"d": DAG_ID}).scalar_one()
    lecture = hostile_lecture(tmp / "www")
    with serve_directory(lecture.parent) as media:
        svc = make_services(tmp, make_database(), transcriber)
        run = run_as_tasks(svc, media_url(media, lecture), DAG_ID, run_id)
        log = open(tmp / "api-server.log", "wb")  # noqa: SIM115 - the server writes it until it stops
        server = subprocess.Popen(
            [str(BIN / "airflow"), "api-server", "-H", "127.0.0.1", "--port", str(port), "-w", "1"],
            env={**env, **ophin_env(svc)}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            _wait_healthy(base, server, tmp / "api-server.log")
            passwords = tmp / "airflow" / "simple_auth_manager_passwords.json.generated"
            password = json.loads(passwords.read_text())["admin"]
            yield {"base": base, "run": run, "svc": svc, "password": password}
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
            log.close()


def _wait_healthy(base: str, server: subprocess.Popen[bytes], log: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-3000:]
        try:
            if httpx.get(f"{base}/api/v2/monitor/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"api-server not healthy after {timeout_s} s: {log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _login(browser, ui):  # noqa: ANN001, ANN202
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    context.set_default_timeout(60_000)  # a busy 2-core machine: the UI's first render can take a while
    page = context.new_page()
    page.goto(f"{ui['base']}/auth/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ui["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{ui['base']}/")
    return page


def _task_url(ui: dict, task_id: str, map_index: int) -> str:
    run_id = quote(ui["run"].run_id, safe="")
    return f"{ui['base']}/dags/{DAG_ID}/runs/{run_id}/tasks/{task_id}/mapped/{map_index}"


def test_ui_from_task_instance_to_frame_to_instruction_to_video_second(ui, browser) -> None:  # noqa: ANN001
    with session_scope(ui["svc"].sessions) as session:
        frames = {str(f.id): f for f in session.scalars(select(Frame))}
        verdicts = session.execute(
            select(Verification.instruction_id, func.count()).group_by(Verification.instruction_id)
        )
        n_verdicts = {str(i): n for i, n in verdicts}
    page = _login(browser, ui)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(_task_url(ui, "per_video.extract_keyframes", 0))
    page.locator("a[href$='/plugin/ophin-task-lineage']").click()  # the task instance's external view
    view = page.frame_locator("iframe")
    view.locator("h1", has_text="per_video.extract_keyframes").wait_for()
    view.locator("figure.frame img").last.wait_for()
    page.wait_for_function(
        "() => [...document.querySelector('iframe').contentDocument.images].every(i => i.complete)"
    )
    page.screenshot(path=SHOTS / "01_task_instance_frames.png")
    assert view.locator("figure.frame").count() == len(frames)
    loaded = view.locator("figure.frame img").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
    assert len(loaded) == len(frames) and all(w > 0 for w in loaded)  # thumbnails served from the store

    kept = view.locator("figure.frame.kept a.frame-link").first
    frame_id = kept.get_attribute("href").rsplit("/", 1)[-1]
    kept.click()
    view.locator("h1", has_text=frame_id).wait_for()
    assert view.locator("ol.chain").inner_text().count(HOSTILE_TITLE) == 1  # shown as text, not run
    page.screenshot(path=SHOTS / "02_frame.png", full_page=True)

    link = view.locator("a.instruction-link").first
    instruction_id = link.get_attribute("href").rsplit("/", 1)[-1]
    link.click()
    view.locator("h1", has_text=instruction_id).wait_for()
    view.locator("table.verifications").first.wait_for()
    assert view.locator("table.verifications").first.locator("tr").count() - 1 == n_verdicts[instruction_id]
    page.screenshot(path=SHOTS / "03_instruction_with_verdicts.png", full_page=True)

    t_s = frames[frame_id].t_s
    watch = view.locator("a#watch")
    assert watch.get_attribute("href") == f"{ui['run'].url}#t={round(t_s, 1):g}"
    # Opened as a page of its own (a new tab: Airflow's sandboxed frame allows no pop-ups, and Chromium
    # ignores a media fragment inside a frame), the browser's player starts the lecture at that second.
    player = browser.new_page(viewport={"width": 1000, "height": 700})
    player.goto(watch.get_attribute("href"))
    player.wait_for_function("() => ((document.querySelector('video') || {}).played || []).length > 0")
    started = player.evaluate(STARTED_AT)
    assert abs(started - round(t_s, 1)) < 0.1, (started, t_s)
    player.screenshot(path=SHOTS / "04_video_at_second.png")
    # The instruction page as a whole (the UI's frame shows one screenful of it).
    whole = page.context.new_page()  # same session cookie
    whole.set_viewport_size({"width": 1100, "height": 900})
    whole.goto(f"{ui['base']}/ophin/id/{instruction_id}")
    whole.locator("table.verifications").first.wait_for()
    whole.screenshot(path=SHOTS / "03b_instruction_page_whole.png", full_page=True)
    assert dialogs == []


def test_ui_failed_task_search_and_login_required(ui, browser) -> None:  # noqa: ANN001
    page = _login(browser, ui)
    page.goto(_task_url(ui, "per_video.acquire_video", 1))
    page.locator("a[href$='/plugin/ophin-task-lineage']").click()
    view = page.frame_locator("iframe")
    view.locator("li.failure", has_text="FetchRefused").wait_for()
    page.screenshot(path=SHOTS / "05_failed_task_with_reason.png")

    page.locator("a[href$='/plugin/ophin-lineage']").first.click()  # the top-level menu entry
    view.locator("h2", has_text="Recent task instances").wait_for()
    with session_scope(ui["svc"].sessions) as session:
        frame = session.scalars(select(Frame).where(Frame.kept)).first()
    view.locator("input[name=q]").fill(str(frame.id))
    view.locator("button[type=submit]").click()
    view.locator("h1", has_text=str(frame.id)).wait_for()
    page.screenshot(path=SHOTS / "06_search_by_id.png")

    anonymous = browser.new_page()
    anonymous.goto(f"{ui['base']}/ophin/id/{frame.id}")
    anonymous.get_by_label("Password").wait_for()  # sent to Airflow's login, nothing of the page shown
    assert "/auth/login" in anonymous.url and str(frame.id) not in anonymous.content()
    anonymous.screenshot(path=SHOTS / "07_unauthenticated_redirected_to_login.png")
