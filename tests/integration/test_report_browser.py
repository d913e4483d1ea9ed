"""The generated report in a real headless Chromium: every plot renders at a visible size, every histogram's
threshold line is drawn, the sample images decode, and no request leaves the page. Screenshot kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import update

from ophin.adapters.object_store import LocalObjectStore, sha256_bytes
from ophin.adapters.vision import encode_jpeg
from ophin.db.models import Frame
from ophin.db.session import session_factory, session_scope
from ophin.reporting.build import build_report, write_report
from ophin.reporting.metrics import metrics
from ophin.reporting.plots import threshold_gid
from ophin.settings import Settings
from tests.integration import test_lineage_ui
from tests.integration.test_lineage_ui import CHROMIUM, REPO
from tests.unit.reporting.rows import build

SHOTS = REPO / ".artifacts" / "screenshots" / "report"
chromium = test_lineage_ui.browser  # the lineage UI test's module-scoped headless Chromium, as a fixture here
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory, make_database) -> Path:  # noqa: ANN001
    tmp = tmp_path_factory.mktemp("report_browser")
    settings = Settings(db={"url": make_database()}, home=tmp)
    store = LocalObjectStore(tmp / "objects")
    with session_scope(session_factory(settings)) as session:
        build(session)
        for key, colour in (("frames/f1.jpg", (30, 60, 190)), ("frames/f5.jpg", (90, 90, 90))):
            picture = np.full((360, 480, 3), colour, dtype=np.uint8)
            jpeg = encode_jpeg(picture, 90)
            store.put_bytes(key, jpeg, content_type="image/jpeg")
            session.execute(update(Frame).where(Frame.object_key == key).values(sha256=sha256_bytes(jpeg)))
    with session_scope(session_factory(settings)) as session:
        report = build_report(session, settings, store=store, generated_at="test")
    return write_report(tmp / "report.html", report)


def _open(chromium, url: str):  # noqa: ANN001, ANN202
    """A page at url, with every request the page makes recorded and any that leaves it refused."""
    context = chromium.new_context(viewport={"width": 1300, "height": 1000})
    requests: list[str] = []
    left: list[str] = []

    def route(r) -> None:  # noqa: ANN001
        requests.append(r.request.url)
        if r.request.url == url:
            r.continue_()
        else:
            left.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, requests, left


def test_report_renders_every_plot_and_fetches_nothing(chromium, report_file) -> None:  # noqa: ANN001
    url = report_file.as_uri()
    page, requests, left = _open(chromium, url)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "report.png"), full_page=True)
    assert left == [] and set(requests) <= {url}, requests  # data: images are no requests

    plots = page.locator("figure.plot")
    names = {m.name for m in metrics(Settings())}
    assert set(plots.evaluate_all("els => els.map(e => e.id)")) == {"plot-funnel"} | {
        f"plot-{n}" for n in names
    }
    for i in range(plots.count()):
        box = plots.nth(i).locator("svg").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 50, plots.nth(i).get_attribute("id")
    for metric in metrics(Settings()):
        for t in metric.thresholds:
            line = page.locator(f"#plot-{metric.name} g[id='{threshold_gid(t.setting)}'] path")
            box = line.bounding_box()
            assert box and box["height"] > 30, (metric.name, t.setting)  # a vertical line across the axes
    images = page.locator("figure.thumb img")
    assert images.count() == 2
    sizes = images.evaluate_all("els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])")
    assert sizes == [[True, 160, 120], [True, 160, 120]]


def test_the_request_check_sees_a_page_that_fetches(chromium, tmp_path) -> None:  # noqa: ANN001
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!doctype html><img src="http://127.0.0.1:9/x.png"><p>x</p>', encoding="utf-8")
    _, _, left = _open(chromium, leaky.as_uri())
    assert left == ["http://127.0.0.1:9/x.png"]
