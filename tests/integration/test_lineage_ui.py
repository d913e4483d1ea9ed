"""From the Airflow UI alone, in a real headless Chromium, on a real run of the ophin_process DAG: log in,
walk from the DAG to its run and a mapped task instance, open its lineage tab, go to a frame, to its
instruction and to the video at that second; the refused URL's task shows why. Screenshots are kept."""

from __future__ import annotations

import contextlib
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

import httpx
import pytest
from sqlalchemy import func, select

from ophin.db.models import Frame, StageRun, Verification, Video
from ophin.db.session import session_factory, session_scope
from ophin.settings import Settings
from tests.support.lineage_run import BAD_URL, HOSTILE_TITLE, hostile_lecture, media_url
from tests.support.media import serve_directory

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("OPHIN_TEST_ARTIFACTS", REPO / ".artifacts")) / "screenshots" / "lineage_ui"
DAG_ID = "ophin_process"
# Where playback began (autoplay moves currentTime on; the played ranges keep their start).
# Under load the player may tick a few ms from 0 before the fragment's seek lands: every range's start.
STARTED_AT = (
    "() => { const v = document.querySelector('video'); v.pause();"
    " return Array.from({length: v.played.length}, (_, i) => v.played.start(i)) }"
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)"),
]
# The mapped tasks that run stages. The good URL comes first: map index 0 of each; the refused URL is index
# 1 of acquire_video, and no later task maps it.
STAGE_TASKS = (
    "acquire_video",
    "transcribe_video",
    "extract_keyframes",
    "pair_and_separate_cues",
    "synthesize_instructions",
    "verify_instructions",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(env: dict[str, str], *cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / cmd[0]), *cmd[1:]], env=env, capture_output=True, text=True, timeout=300)


def _environment(tmp: Path, base: str, meta_db: str, lineage_db: str) -> dict[str, str]:
    """One deployment's environment: the api-server, `airflow dags test` and the plugin share it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPHIN_"))}
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONPATH": str(REPO),
            "AIRFLOW_HOME": str(tmp / "airflow"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta_db,
            "AIRFLOW__API__BASE_URL": base,
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(tmp / "airflow" / "logs"),
            "OPHIN_HOME": str(tmp / "ophin"),  # its store holds the frames the plugin serves
            "OPHIN_DB__URL": lineage_db,
            "OPHIN_ACQUIRE__ALLOW_HOSTS": "127.0.0.1",  # the lecture's server; BAD_URL stays refused
            "OPHIN_LICENSE__ACCEPT_UNKNOWN": "true",  # test media states no licence
        }
    )
    return env


def _run_dag(env: dict[str, str], good_url: str) -> None:
    """Prepare the deployment as its README says, then run ophin_process on the good and the refused URL."""
    for cmd in (("airflow", "db", "migrate"), ("ophin", "airflow", "init")):
        done = _run(env, *cmd)
        assert done.returncode == 0, f"{cmd}: {done.stderr[-3000:]}"
    conf = json.dumps({"urls": [good_url, BAD_URL]})
    done = _run(env, "airflow", "dags", "test", DAG_ID, "--conf", conf)
    # check_videos fails the run, naming the refused URL; the good video went through every stage.
    assert done.returncode == 1 and "DagRun failed" in done.stderr, done.stderr[-3000:]


def _stage_runs_name_their_task_instances(sessions, good_url: str) -> str:  # noqa: ANN001
    """Every stage attempt names the task instance of this run that made it; returns the run id."""
    with session_scope(sessions) as session:
        runs = session.scalars(select(StageRun)).all()
        assert session.scalars(select(Video.url)).all() == [good_url]
    [run_id] = {r.run_id for r in runs}
    expected = {(t, 0) for t in STAGE_TASKS} | {("acquire_video", 1)}
    assert {(r.task_id, r.map_index) for r in runs} == expected
    assert {(r.dag_id, r.try_number) for r in runs} == {(DAG_ID, 1)}
    return run_id


@pytest.fixture(scope="module")
def ui(tmp_path_factory, make_database):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("lineage_ui")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _environment(tmp, base, make_database(migrate=False), make_database(migrate=False))
    sessions = session_factory(Settings(home=tmp / "ophin", db={"url": env["OPHIN_DB__URL"]}))
    lecture = hostile_lecture(tmp / "www")
    with serve_directory(lecture.parent) as media:  # served until the end: the browser plays it
        good_url = media_url(media, lecture)
        _run_dag(env, good_url)
        run_id = _stage_runs_name_their_task_instances(sessions, good_url)
        log = open(tmp / "api-server.log", "wb")  # noqa: SIM115 - the server writes it until it stops
        server = subprocess.Popen(
            [str(BIN / "airflow"), "api-server", "-H", "127.0.0.1", "--port", str(port), "-w", "1"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            _wait_healthy(base, server, tmp / "api-server.log")
            passwords = tmp / "airflow" / "simple_auth_manager_passwords.json.generated"
            password = json.loads(passwords.read_text())["admin"]
            yield dict(base=base, run_id=run_id, url=good_url, sessions=sessions, password=password)
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


def _open_run(page, ui) -> str:  # noqa: ANN001
    """Dags → ophin_process → its run, by the links a user clicks; returns the run's path in the UI."""
    page.get_by_role("link", name="Dags", exact=True).click()
    page.get_by_role("link", name=DAG_ID, exact=True).first.click()
    run_path = f"/dags/{DAG_ID}/runs/{ui['run_id']}"
    page.locator(f"a[href='{run_path}']").first.click()  # the header's "Latest Run"
    page.wait_for_url(f"**{run_path}")
    return run_path


def _lineage_tab(page):  # noqa: ANN001, ANN202
    page.locator("a[href$='/plugin/ophin-task-lineage']").click()  # the task instance's external view
    return page.frame_locator("iframe")


def test_ui_from_dag_run_to_mapped_task_to_frame_to_instruction_to_video_second(ui, browser) -> None:  # noqa: ANN001
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    with session_scope(ui["sessions"]) as session:
        frames = {str(f.id): f for f in session.scalars(select(Frame))}
        verdicts = session.execute(
            select(Verification.instruction_id, func.count()).group_by(Verification.instruction_id)
        )
        n_verdicts = {str(i): n for i, n in verdicts}
    page = _login(browser, ui)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    run_path = _open_run(page, ui)
    page.locator(f"a[href='{run_path}/tasks/extract_keyframes/mapped']").click()  # its cell in the grid
    page.wait_for_url(f"**{run_path}/tasks/extract_keyframes/mapped")
    # The mapped instances are listed by the video's title (map_index_template), shown as text.
    by_title = page.get_by_role("link", name=HOSTILE_TITLE, exact=True)
    expect(by_title).to_have_count(1)  # the list rendered: the run's other tasks' links are gone
    page.mouse.move(800, 900)  # off the grid: its cell's tooltip would cover the list
    expect(page.get_by_role("tooltip")).to_have_count(0)
    page.screenshot(path=SHOTS / "00_mapped_task_by_video_title.png")
    by_title.click()
    page.wait_for_url(f"**{run_path}/tasks/extract_keyframes/mapped/0")  # the good video is first
    view = _lineage_tab(page)
    view.locator("h1", has_text="extract_keyframes").wait_for()
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
    assert watch.get_attribute("href") == f"{ui['url']}#t={round(t_s, 1):g}"
    # Opened as a page of its own (a new tab: Airflow's sandboxed frame allows no pop-ups, and Chromium
    # ignores a media fragment inside a frame), the browser's player starts the lecture at that second.
    player = browser.new_page(viewport={"width": 1000, "height": 700})
    player.goto(watch.get_attribute("href"))
    # Played ranges are read once one starts at the fragment's second (a loaded machine can show a range
    # from 0 first, before the fragment's seek lands); a player that never seeks times out and fails.
    at = round(t_s, 1)
    with contextlib.suppress(PlaywrightTimeout):
        player.wait_for_function(
            "(at) => { const p = (document.querySelector('video') || {}).played || [];"
            " return Array.from({length: p.length}, (_, i) => p.start(i))"
            ".some(s => Math.abs(s - at) < 0.1) }",
            arg=at,
            timeout=20_000,
        )
    player.wait_for_function("() => ((document.querySelector('video') || {}).played || []).length > 0")
    started = player.evaluate(STARTED_AT)
    assert any(abs(s - round(t_s, 1)) < 0.1 for s in started), (started, t_s)
    player.screenshot(path=SHOTS / "04_video_at_second.png")
    # The instruction page as a whole (the UI's frame shows one screenful of it).
    whole = page.context.new_page()  # same session cookie
    whole.set_viewport_size({"width": 1100, "height": 900})
    whole.goto(f"{ui['base']}/ophin/id/{instruction_id}")
    whole.locator("table.verifications").first.wait_for()
    whole.screenshot(path=SHOTS / "03b_instruction_page_whole.png", full_page=True)
    assert dialogs == []


def test_ui_refused_url_task_gate_task_search_and_login_required(ui, browser) -> None:  # noqa: ANN001
    page = _login(browser, ui)
    run_path = _open_run(page, ui)
    page.get_by_role("link", name=BAD_URL, exact=True).click()  # the failed acquire, by its URL
    page.wait_for_url(f"**{run_path}/tasks/acquire_video/mapped/1")
    view = _lineage_tab(page)
    view.locator("li.failure", has_text="FetchRefused").wait_for()
    page.screenshot(path=SHOTS / "05_failed_task_with_reason.png")

    # A gate is no stage: its tab (unmapped, so the UI leaves {MAP_INDEX} as it is) says so, no error.
    page.locator(f"a[href='{run_path}']").first.click()  # back to the run, by the breadcrumb
    page.wait_for_url(f"**{run_path}")
    page.locator(f"a[href='{run_path}/tasks/gate_media']").first.click()
    page.wait_for_url(f"**{run_path}/tasks/gate_media")
    view = _lineage_tab(page)
    view.locator("h1", has_text="gate_media").wait_for()
    # A gate's tab shows its verdicts: the transcribe and keyframes checks over this run's batch.
    view.locator("table.gates").wait_for()
    assert view.locator("table.gates tr").count() == 3  # a header, then transcribe and keyframes
    view.get_by_text("keyframes gate passed").wait_for()
    page.screenshot(path=SHOTS / "05b_gate_task_verdicts.png")

    page.locator("a[href$='/plugin/ophin-lineage']").first.click()  # the top-level menu entry
    view.locator("h2", has_text="Recent task instances").wait_for()
    with session_scope(ui["sessions"]) as session:
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
