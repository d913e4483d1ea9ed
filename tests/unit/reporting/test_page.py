"""The page: an <svg> for every plot with data, every histogram with its threshold line(s), nothing fetched
from another host, database text escaped, sample images inline, review and quality sections when given."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sqlalchemy import update

from ophin.adapters.object_store import LocalObjectStore, sha256_bytes
from ophin.adapters.vision import encode_jpeg
from ophin.db.models import Frame, Video
from ophin.db.session import session_factory, session_scope
from ophin.reporting.build import build_report, write_report
from ophin.reporting.metrics import metrics
from ophin.reporting.page import render_page
from ophin.reporting.plots import threshold_gid
from ophin.reporting.quality import parse_quality
from ophin.settings import Settings
from tests.unit.reporting.rows import build

# A fetch: src/href (xlink:href too) or a CSS url()/@import naming a scheme or another host.
EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|action|poster|srcset)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:(?!image/)|//))"""
    r"""|url\(\s*["']?\s*(?:https?:|//)|@import|<script|<link|<iframe|<object|<embed""",
    re.IGNORECASE,
)
HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def sessions(db_url, tmp_path):  # noqa: ANN001, ANN201
    factory = session_factory(Settings(db={"url": db_url}, home=tmp_path))
    with session_scope(factory) as session:
        build(session)
    return factory


def _figures(html: str) -> dict[str, str]:
    """id -> the figure's HTML, for every <figure class="plot ...">."""
    return dict(re.findall(r'<figure class="plot[^"]*" id="plot-([\w-]+)">(.*?)</figure>', html, re.S))


def test_every_plot_with_data_is_an_svg_with_its_threshold_lines(sessions, tmp_path) -> None:  # noqa: ANN001
    settings = Settings()
    with session_scope(sessions) as session:
        report = build_report(session, settings)
    html = render_page(report)
    figures = _figures(html)
    assert set(figures) == {"funnel"} | {m.name for m in metrics(settings)}
    for name, figure in figures.items():
        assert figure.count("<svg") == 1, name
    for metric in metrics(settings):
        for t in metric.thresholds:
            assert f'id="{threshold_gid(t.setting)}"' in figures[metric.name], (metric.name, t.setting)
            assert t.setting in figures[metric.name]  # the caption names the setting
    assert html.count("<svg") == len(figures)
    assert "1 beyond the axis (max 50)" in figures["sharpness"]


def test_a_metric_without_scores_gets_no_svg_but_a_note(db_url, tmp_path) -> None:  # noqa: ANN001
    sessions = session_factory(Settings(db={"url": db_url}, home=tmp_path))
    with session_scope(sessions) as session:
        html = render_page(build_report(session, Settings()))
    figures = _figures(html)
    assert all("<svg" not in f and "No scores recorded." in f for f in figures.values())
    assert "Nothing has passed any stage yet." in html and "funnel" not in figures


def test_the_page_fetches_nothing_and_escapes_database_text(sessions, tmp_path) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        session.execute(update(Video).values(title=HOSTILE, channel=HOSTILE))
        session.execute(update(Frame).where(Frame.kept.is_(False)).values(drop_reason=HOSTILE))
        report = build_report(session, Settings(), quality=parse_quality('{"figures": {"a": 1}}'))
    html = render_page(report)
    assert EXTERNAL.findall(html) == []
    assert HOSTILE not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "https://example.org/a" in html  # a video's URL is shown, as text
    assert not re.search(r"href=[\"']https?:", html)


def test_the_fetch_check_sees_what_it_must_refuse() -> None:
    for bad in (
        '<img src="https://cdn.example/x.png">',
        "<a href='http://example.org'>x</a>",
        '<use xlink:href="//cdn.example/sprite.svg#a"/>',
        "<style>body{background:url(https://x/y.png)}</style>",
        "<style>@import 'a.css';</style>",
        '<script src="a.js"></script>',
        '<link rel="stylesheet" href="a.css">',
        '<img src="file:///etc/passwd">',
    ):
        assert EXTERNAL.search(bad), bad
    for fine in ('<img src="data:image/jpeg;base64,AAAA">', '<a href="#funnel">', '<use xlink:href="#m1"/>'):
        assert not EXTERNAL.search(fine), fine


def test_sample_images_are_inline_thumbnails_of_the_stored_frames(sessions, tmp_path) -> None:  # noqa: ANN001
    store = LocalObjectStore(tmp_path / "objects")
    picture = np.zeros((480, 640, 3), dtype=np.uint8)
    picture[100:300, 200:500] = (40, 80, 200)
    jpeg = encode_jpeg(picture, 90)
    store.put_bytes("frames/f1.jpg", jpeg, content_type="image/jpeg")
    store.put_bytes("frames/f5.jpg", b"not the bytes recorded", content_type="image/jpeg")
    with session_scope(sessions) as session:
        session.execute(
            update(Frame).where(Frame.object_key == "frames/f1.jpg").values(sha256=sha256_bytes(jpeg))
        )
        session.execute(update(Frame).where(Frame.object_key == "frames/f5.jpg").values(sha256="0" * 64))
        report = build_report(session, Settings(), store=store)
    by_key = {t.frame.object_key: t for t in report.thumbnails}
    fundus, oct_ = by_key["frames/f1.jpg"], by_key["frames/f5.jpg"]
    assert fundus.data_uri and fundus.data_uri.startswith("data:image/jpeg;base64,")
    assert oct_.data_uri is None and oct_.problem == "image does not match its recorded sha256"
    import base64

    import cv2

    thumb = cv2.imdecode(np.frombuffer(base64.b64decode(fundus.data_uri.split(",", 1)[1]), np.uint8), 1)
    assert thumb.shape[:2] == (120, 160)  # long side 160, aspect kept
    html = render_page(report)
    assert html.count('<img src="data:image/jpeg;base64,') == 1
    assert "image does not match its recorded sha256" in html


def test_quality_figures_are_shown_with_their_verdicts(sessions) -> None:  # noqa: ANN001
    text = (
        '{"set_name": "heldout", "figures": {"key_finding_recall": 0.93, "phi_leaks": 2}, '
        '"passed": {"key_finding_recall": true, "phi_leaks": false}, "totals": {"key_finding_recall": 40}, '
        '"problems": ["phi leak in record 7"]}\n{"set_name": "heldout2", "figures": {"garbled": null}}'
    )
    quality = parse_quality(text)
    assert [q.name for q in quality] == ["heldout", "heldout2"]
    with session_scope(sessions) as session:
        html = render_page(build_report(session, Settings(), quality=quality))
    section = html[html.index('<section id="quality">') :]
    assert "heldout2" in section and "phi leak in record 7" in section
    assert re.search(r"key_finding_recall</td><td class=\"n\">0.93</td>\s*<td class=\"n\">40</td>", section)
    assert section.count('class="met"') == 1 and section.count('class="missed"') == 1


def test_quality_json_that_is_not_a_report_is_refused() -> None:
    with pytest.raises(ValueError, match="no 'figures'"):
        parse_quality('{"rows": 3}')
    with pytest.raises(ValueError, match="no quality figures"):
        parse_quality("  \n")


def test_write_report_writes_the_page_and_times_its_sections(sessions, tmp_path) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        report = build_report(session, Settings(), generated_at="2026-12-07 10:00 UTC")
    path = write_report(tmp_path / "out" / "report.html", report)
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "generated 2026-12-07 10:00 UTC" in html
    assert set(report.seconds) == {
        "funnel", "histograms", "plots", "modality_kind", "yield_videos", "yield_groups", "samples", "review",
        "render",
    }  # fmt: skip


def test_the_same_database_gives_the_same_page(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        first = render_page(build_report(session, Settings()))
        second = render_page(build_report(session, Settings()))
    assert first == second


def test_review_section_is_absent_without_labels(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        report = build_report(session, Settings())
    assert report.review is None and 'id="review"' not in render_page(report)
