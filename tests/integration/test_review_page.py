"""The review page's data and HTML against real Postgres: batches with each reviewer's progress, one item as a
reviewer sees it (crop beside its source frame, turns, narration, checks), labels saved from the page's
JSON under the logged-in reviewer's name, and every refusal."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import sqlalchemy as sa

from ophin.adapters.object_store import LocalObjectStore
from ophin.db.models import Instruction, Pair
from ophin.db.review_models import ReviewBatch, ReviewLabel
from ophin.review.page_data import ItemView, batch_progress, first_unlabelled, item_view, save_label
from ophin.review.page_html import batch_list_page, item_page
from ophin.review.sample import sample_batch
from ophin.review.vocabulary import LabelError
from tests.support.review_rows import Item, build_rows
from tests.support.verdicts import instruction_statuses

HOSTILE = '<script>alert("narration")</script> & <img src=x onerror=alert(1)>'
ITEMS = [
    Item("v0", refined=True),
    Item("c1", kind="conversation", video=1),
    Item("t2", kind="cot", video=2, checks={"grounded": (False, 0.31), "no_phi": (True, None)}),
    Item("v3", status="rejected", checks={"grounded": (False, 0.12)}),
]


@pytest.fixture
def batch(db_url, tmp_path):  # noqa: ANN001, ANN201
    engine = sa.create_engine(db_url)
    sessions = sa.orm.sessionmaker(engine, expire_on_commit=False)
    with sessions.begin() as session:
        ids = build_rows(session, ITEMS, LocalObjectStore(tmp_path / "store"))
        session.execute(sa.update(Pair).values(text=HOSTILE))
        bid = sample_batch(session, 4, seed=1, name="page-test")
    yield sessions, bid, ids
    engine.dispose()


def _with_status(session) -> list[tuple[Instruction, str]]:  # noqa: ANN001
    status = instruction_statuses(session)
    return [(i, status[i.id]) for i in session.scalars(sa.select(Instruction))]


def _views(session, bid: uuid.UUID, reviewer: str) -> dict[str, ItemView]:  # noqa: ANN001
    """Every item of the batch, by its key (the test rows' question names it)."""
    found = {}
    for position in range(4):
        view = item_view(session, session.get(ReviewBatch, bid), position, reviewer)
        found[re.search(r"(v0|c1|t2|v3)", json.dumps(view.record.turns)).group(1)] = view
    return found


def test_item_view_shows_crop_turns_narration_and_checks(batch) -> None:  # noqa: ANN001
    sessions, bid, _ = batch
    with sessions.begin() as session:
        views = _views(session, bid, "alice")
        assert item_view(session, session.get(ReviewBatch, bid), 4, "alice") is None  # past the end
    refined = views["v0"]
    # The stored crop sat at (320, 60) and was 960x720 in a 1920x1080 slide.
    assert refined.crop is not None
    assert (refined.crop.left, refined.crop.top, refined.crop.width, refined.crop.height) == (
        320 / 1920,
        60 / 1080,
        960 / 1920,
        720 / 1080,
    )
    assert views["c1"].crop is None  # stored whole: nothing to show beside it
    assert views["c1"].answer == "Hard exudates near the fovea of case c1."  # the last answer
    html = item_page(refined, "alice", "/ophin", "n0nce")
    assert "16.67%" in html and "pillarbox, slide-margin" in html and "1920×1080" in html
    assert "the stored crop (refined, redacted) · colour_fundus" in html
    assert "the whole frame" in item_page(views["c1"], "alice", "/ophin", "n")
    assert HOSTILE not in html and "&lt;script&gt;alert(&#34;narration&#34;)" in html  # escaped, not run
    assert '<script nonce="n0nce">' in html and html.count("<script") == 2  # the JSON and the one script
    assert "/ophin/frames/" in html and 'href="https://www.youtube.com/watch?v=reviewtest1&amp;t=' in html
    cot = item_page(views["t2"], "alice", "/ophin", "n")
    assert cot.count("<li>") == 3 and "Conclusion: the findings fit diabetic retinopathy." in cot
    assert "refused" in cot and "0.31" in cot  # each check's verdict and score
    data = json.loads(re.search(r'id="review-data">(.*?)</script>', cot, re.S).group(1))
    assert data["keys"]["verdicts"]["3"] == "bad" and data["keys"]["tags"]["m"] == "misheard_term"
    last = max(views.values(), key=lambda v: v.record.position)
    assert json.loads(re.search(r'id="review-data">(.*?)</script>', item_page(last, "a", "/ophin", "n"), re.S)
                      .group(1))["next_url"] == "/ophin/review"  # fmt: skip


def test_save_label_records_the_logged_in_reviewer_and_progress_follows(batch) -> None:  # noqa: ANN001
    sessions, bid, ids = batch
    with sessions.begin() as session:
        before = {i.id: (i.turns, s) for i, s in _with_status(session)}
        views = _views(session, bid, "alice")
        assert [p.mine for p in batch_progress(session, "alice")] == [0]
        assert first_unlabelled(session, bid, "alice") == 0
        target = views["c1"].record
        payload = {
            "batch_id": str(bid),
            "instruction_id": str(target.instruction_id),
            "verdict": "bad",
            "tags": ["invented", "phi"],
            "correction": "Soft exudates.",
            "reviewer": "mallory",  # a name in the payload is ignored: the logged-in user labels
        }
        saved = save_label(session, payload, "alice")
        assert saved["position"] == target.position and saved["reviewer"] == "alice"
        save_label(session, payload | {"verdict": "usable", "tags": []}, "bob")
    with sessions.begin() as session:
        labels = session.scalars(sa.select(ReviewLabel).order_by(ReviewLabel.reviewer)).all()
        assert [
            (lb.reviewer, lb.verdict, lb.tags, lb.correction, lb.source, lb.batch_id) for lb in labels
        ] == [
            ("alice", "bad", ["invented", "phi"], "Soft exudates.", "ui", bid),
            ("bob", "usable", [], "Soft exudates.", "ui", bid),
        ]
        assert {i.id: (i.turns, s) for i, s in _with_status(session)} == before
        [progress] = batch_progress(session, "alice")
        assert (progress.items, progress.mine, progress.anyone) == (4, 1, 1)
        assert progress.verdicts == {"good": 0, "usable": 0, "bad": 1}
        expected = 1 if target.position == 0 else 0
        assert first_unlabelled(session, bid, "alice") == expected
        page = batch_list_page(batch_progress(session, "alice"), "alice", "/ophin", "n")
        assert "page-test" in page and "1 / 4" in page and f'href="/ophin/review/{bid}"' in page
        again = _views(session, bid, "alice")["c1"]
        assert again.label is not None and again.label.verdict == "bad"  # the form shows the earlier label
        assert 'value="bad" checked' in item_page(again, "alice", "/ophin", "n")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"verdict": "great"}, "unknown verdict 'great'"),
        ({"tags": ["typo"]}, "unknown tag 'typo'"),
        ({"tags": "phi"}, "tags must be a list of strings"),
        ({"verdict": None}, "required strings"),
        ({"instruction_id": "not-a-uuid"}, "is not a UUID"),
        ({"correction": 7}, "correction must be a string"),
        ({"instruction_id": str(uuid.UUID(int=5))}, "is not an item of review batch"),
    ],
)
def test_save_label_refuses_what_it_cannot_record(batch, change, message) -> None:  # noqa: ANN001
    sessions, bid, ids = batch
    payload = {"batch_id": str(bid), "instruction_id": str(ids["v0"]), "verdict": "good", "tags": []}
    with sessions.begin() as session:
        with pytest.raises(LabelError, match=message):
            save_label(session, payload | change, "alice")
        with pytest.raises(LabelError, match="JSON object"):
            save_label(session, [payload], "alice")
        assert session.scalar(sa.select(sa.func.count()).select_from(ReviewLabel)) == 0
