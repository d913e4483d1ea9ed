"""The lineage pages escape untrusted text and link only to http(s) URLs."""

from __future__ import annotations

from ophin.lineage.html import http_href, id_page, seconds, task_instance_page

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def _id_data(url: str) -> dict:
    video = {"id": "v1", "url": url, "title": HOSTILE, "channel": HOSTILE, "duration_s": 10.0}
    return {
        "id": "f1",
        "kind": "frame",
        "video": video,
        "frame": {"id": "f1", "t_s": 4.2, "kept": False, "drop_reason": HOSTILE},
        "at_s": 4.2,
        "link": {"href": url, "at_s": 4.2, "timed": True},
        "forward": {},
        "stage_runs": [
            {
                "stage": "keyframes",
                "attempt": 1,
                "status": "failed",
                "error_class": "MediaError",
                "error_message": HOSTILE,
                "task_instance": {
                    "dag_id": "d",
                    "run_id": "manual__1+00:00",
                    "task_id": "g.t",
                    "map_index": 3,
                },
                "try_number": 2,
            }
        ],
    }


def test_id_page_escapes_every_untrusted_field() -> None:
    page = id_page(_id_data("https://example.org/v.mp4#t=4.2"), "/ophin")
    assert "<script" not in page and "<img src=x" not in page and 'onerror=alert(2)>"' not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4  # title, channel, drop reason, error
    assert 'href="https://example.org/v.mp4#t=4.2"' in page
    assert 'href="/ophin/ti/d/manual__1%2B00%3A00/g.t/3"' in page and 'src="/ophin/frames/f1.jpg"' in page


def test_id_page_never_links_a_non_http_url() -> None:
    page = id_page(_id_data("javascript:alert(1)"), "/ophin")
    assert 'href="javascript' not in page and "javascript:alert(1)" in page  # shown as text only
    assert http_href("data:text/html,x") is None and http_href(" https://a.org/x ") == "https://a.org/x"


def test_task_instance_page_lists_failures_with_reasons() -> None:
    attempt = {
        "stage": "acquire",
        "entity_key": HOSTILE,
        "video_id": None,
        "attempt": 1,
        "try_number": 1,
        "status": "failed",
        "error_class": "FetchRefused",
        "error_message": "refused " + HOSTILE,
        "output": {},
        "current": True,
        "duration_s": 0.01,
    }
    data = {
        "task_instance": {"dag_id": "d", "run_id": "r", "task_id": "per_video.acquire_video", "map_index": 1},
        "attempts": [attempt],
        "failures": [attempt],
        "produced": [],
    }
    page = task_instance_page(data, "/ophin/")
    assert "FetchRefused" in page and "<script" not in page and page.count("refused &lt;script&gt;") == 2
    assert seconds(75.25) == "1:15.2" and seconds(None) == "-"
