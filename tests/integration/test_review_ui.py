"""The review page in a real headless Chromium against a real `airflow api-server`: log in through Airflow's
login page, open the batch list, then review a batch of 100 records with the keyboard alone (verdicts, reason
tags, corrections, moving back and forth). Every label lands in review_label with the right verdict, tags,
correction and reviewer; no instruction changes. Screenshots are kept; the time the 100 reviews took is
printed. Rows are built with the ORM (no DAG run, no Whisper); frames have their JPEGs in the store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from ophin.adapters.object_store import build_object_store
from ophin.db.models import Frame, Instruction
from ophin.db.review_models import ReviewItem, ReviewLabel
from ophin.db.session import session_factory, session_scope
from ophin.review.page_assets import TAG_KEYS
from ophin.review.sample import sample_batch
from ophin.review.vocabulary import VERDICTS
from ophin.settings import Settings
from tests.integration.test_lineage_ui import (  # noqa: F401 - browser is a fixture used here
    BIN,
    CHROMIUM,
    REPO,
    _environment,
    _free_port,
    _login,
    _run,
    _wait_healthy,
    browser,
)
from tests.support.review_rows import Item, build_rows
from tests.support.verdicts import instruction_statuses

SHOTS = Path(os.environ.get("OPHIN_TEST_ARTIFACTS", REPO / ".artifacts")) / "screenshots" / "review_ui"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)"),
]
N = 100
KINDS = ("vqa", "vqa", "conversation", "cot")
MODALITIES = ("colour_fundus", "oct", "slit_lamp", "fundus_autofluorescence")


def _items() -> list[Item]:
    """100 records: every kind and several modalities over three videos, a quarter rejected by the verifier
    (with a refused check), every third frame refined out of a larger slide."""
    items = []
    for n in range(N):
        rejected = n % 4 == 1
        checks = {"grounded": (not rejected, 0.21 if rejected else 0.84), "no_phi": (True, None)}
        items.append(
            Item(
                f"r{n:03d}",
                kind=KINDS[n % len(KINDS)],
                modality=MODALITIES[n % len(MODALITIES)],
                status="rejected" if rejected else "accepted",
                video=n % 3,
                refined=n % 3 == 0,
                checks=checks,
            )
        )
    return items


def _plan(position: int) -> dict[str, object]:
    """What the reviewer does on the item at this position, and the keys that do it."""
    verdict = VERDICTS[position % 3]
    keys = [("1", "2", "3")[position % 3] if position % 2 else verdict[0]]  # both keys of each verdict
    tags: list[str] = []
    if position % 5 == 0:
        tags += ["misheard_term", "phi"]
    if position % 7 == 0:  # "i" twice toggles invented off again: only artefact stays
        keys += [TAG_KEYS["invented"], TAG_KEYS["invented"]]
        tags += ["artefact"]
    keys += [TAG_KEYS[t] for t in tags]
    correction = f"Corrected answer number {position}." if position % 10 == 3 else None
    return {"verdict": verdict, "keys": keys, "tags": sorted(tags), "correction": correction}


@pytest.fixture(scope="module")
def review_ui(tmp_path_factory, make_database):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("review_ui")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _environment(tmp, base, make_database(migrate=False), make_database())
    env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = "admin:admin,rita:user"  # rita labels inside the UI
    settings = Settings(home=tmp / "ophin", db={"url": env["OPHIN_DB__URL"]})
    sessions = session_factory(settings)
    with session_scope(sessions) as session:
        build_rows(session, _items(), build_object_store(settings))  # the api-server reads the same store
        batch = sample_batch(session, N, seed=3, name="browser-100")
    done = _run(env, "airflow", "db", "migrate")
    assert done.returncode == 0, done.stderr[-3000:]
    log = open(tmp / "api-server.log", "wb")  # noqa: SIM115 - the server writes it until it stops
    server = subprocess.Popen(
        [str(BIN / "airflow"), "api-server", "-H", "127.0.0.1", "--port", str(port), "-w", "1"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_healthy(base, server, tmp / "api-server.log")
        passwords = tmp / "airflow" / "simple_auth_manager_passwords.json.generated"
        logins = json.loads(passwords.read_text())
        yield dict(
            base=base, sessions=sessions, batch=batch, password=logins["admin"], logins=logins, tmp=tmp
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _snapshot(sessions) -> dict[uuid.UUID, tuple[object, ...]]:  # noqa: ANN001
    with session_scope(sessions) as session:
        status = instruction_statuses(session)  # verification's verdicts too
        return {
            i.id: (i.turns, i.status, status[i.id], i.kind, i.updated_at)
            for i in session.scalars(sa.select(Instruction))
        }


def _shot(page, path: Path) -> None:  # noqa: ANN001
    """The page down to the end of its content (no empty viewport below it)."""
    height = page.evaluate("() => Math.ceil(document.body.getBoundingClientRect().height)") + 16
    page.screenshot(path=path, clip={"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height})


def test_review_100_records_with_the_keyboard_alone(review_ui, browser) -> None:  # noqa: ANN001, F811
    ui, batch = review_ui, review_ui["batch"]
    shots = ui["tmp"] / "screenshots"
    shots.mkdir()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with session_scope(ui["sessions"]) as session:
        rows = session.execute(
            sa.select(ReviewItem.position, ReviewItem.instruction_id, Instruction.kind, Frame.source_width)
            .join(Instruction, Instruction.id == ReviewItem.instruction_id)
            .join(Frame, Frame.id == Instruction.frame_id)
            .where(ReviewItem.batch_id == batch)
            .order_by(ReviewItem.position)
        ).all()
    at = {r.position: r.instruction_id for r in rows}
    assert sorted(at) == list(range(N))
    # The screenshot: the first chain of thought whose image was cut out of a larger slide.
    shot_at = next(r.position for r in rows if r.kind == "cot" and r.source_width == 1920)
    before = _snapshot(ui["sessions"])
    page = _login(browser, ui)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{ui['base']}/ophin/review")
    page.locator("table.batches").wait_for()
    assert page.locator("a.resume").inner_text() == "browser-100"
    assert page.locator(".progress").inner_text() == "0 / 100"
    _shot(page, shots / "review-batches-start.png")

    item_url = f"{ui['base']}/ophin/review/{batch}/"
    started = time.monotonic()
    page.keyboard.press("Enter")  # the list focuses the first batch: Enter resumes it at its first item
    page.wait_for_url(item_url + "0")
    for position in range(N):
        plan = _plan(position)
        if position == 10:  # look ahead and come back, saving nothing
            page.keyboard.press("ArrowRight")
            page.wait_for_url(item_url + "11")
            page.keyboard.press("ArrowLeft")
            page.wait_for_url(item_url + "10")
        for key in plan["keys"]:
            page.keyboard.press(key)
        if plan["correction"]:
            page.keyboard.press("c")  # the answer is copied in to be edited; here it is replaced
            page.keyboard.press("Control+A")
            page.keyboard.type(str(plan["correction"]))
        if position == shot_at:  # a refined record with its verdict and tags chosen, before saving
            page.locator("figure.source img").wait_for()
            page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
            _shot(page, shots / "review-item.png")
        page.keyboard.press("Enter")  # save, then the next item (the batch list after the last)
        page.wait_for_url(item_url + str(position + 1) if position + 1 < N else f"{ui['base']}/ophin/review")
    seconds = time.monotonic() - started
    print(
        f"\n{N} records reviewed in the browser, keyboard only, in {seconds:.1f} s ({seconds / N:.2f} s each)"
    )
    page.locator("table.batches").wait_for()
    assert page.locator(".progress").inner_text() == "100 / 100"
    _shot(page, shots / "review-batches-done.png")
    for name in ("review-batches-start.png", "review-item.png", "review-batches-done.png"):
        (SHOTS / name).write_bytes((shots / name).read_bytes())

    with session_scope(ui["sessions"]) as session:
        mine = sa.select(ReviewLabel).where(ReviewLabel.reviewer == "admin")
        labels = {lb.instruction_id: lb for lb in session.scalars(mine)}
    assert len(labels) == N
    for position, instruction in at.items():
        plan, label = _plan(position), labels[instruction]
        got = (
            label.verdict,
            sorted(label.tags),
            label.correction,
            label.reviewer,
            label.source,
            label.batch_id,
        )
        assert got == (plan["verdict"], plan["tags"], plan["correction"], "admin", "ui", batch), position
    assert _snapshot(ui["sessions"]) == before  # labels never change an instruction
    assert dialogs == []
    assert seconds < 15 * 60


def test_review_page_works_inside_the_airflow_ui_by_its_menu_entry(review_ui, browser) -> None:  # noqa: ANN001, F811
    """The UI's menu entry opens the page in Airflow's sandboxed frame; its script runs there and labels as
    the user logged in to the UI (rita, role user)."""
    ui, batch = review_ui, review_ui["batch"]
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{ui['base']}/auth/login")
    page.get_by_label("Username").fill("rita")
    page.get_by_label("Password").fill(ui["logins"]["rita"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{ui['base']}/")
    page.locator("a[href$='/plugin/ophin-review']").first.click()  # the top-level menu entry
    view = page.frame_locator("iframe")
    view.locator("a.resume", has_text="browser-100").wait_for()
    assert view.locator(".progress").inner_text() == "0 / 100"  # rita's own progress
    view.locator("a.resume").click()
    view.locator("form#label").wait_for()
    view.locator("h2", has_text="Narration").click()  # the frame takes the keyboard
    page.keyboard.press("3")
    page.keyboard.press("d")
    page.keyboard.press("Enter")
    view.locator(".position", has_text="2").wait_for()  # saved, on to the second item
    _shot(page, SHOTS / "review-in-airflow-ui.png")
    with session_scope(ui["sessions"]) as session:
        first = session.scalar(
            sa.select(ReviewItem.instruction_id).where(ReviewItem.batch_id == batch, ReviewItem.position == 0)
        )
        label = session.scalars(sa.select(ReviewLabel).where(ReviewLabel.reviewer == "rita")).one()
    assert (label.instruction_id, label.verdict, label.tags, label.source) == (
        first,
        "bad",
        ["duplicate"],
        "ui",
    )
