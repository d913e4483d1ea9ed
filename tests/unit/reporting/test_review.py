"""Review results on the page: consensus verdicts with Wilson intervals, each check against the labels."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ophin.db.review_models import ReviewLabel
from ophin.db.session import session_factory, session_scope
from ophin.reporting.build import build_report
from ophin.reporting.page import render_page
from ophin.reporting.review import VERIFIER, review_summary
from ophin.review.stats import wilson
from ophin.settings import Settings
from tests.unit.reporting.rows import build, rid

# (instruction, reviewer, verdict). Consensus: i1 good, i2 bad, i4 bad (a tie goes to the worse), i5 usable.
LABELS = (
    ("i1", "ann", "good"),
    ("i1", "bob", "good"),
    ("i2", "ann", "bad"),
    ("i4", "ann", "bad"),
    ("i4", "bob", "usable"),
    ("i5", "ann", "usable"),
)


@pytest.fixture
def sessions(db_url, tmp_path):  # noqa: ANN001, ANN201
    factory = session_factory(Settings(db={"url": db_url}, home=tmp_path))
    with session_scope(factory) as session:
        build(session)
        session.add_all(
            ReviewLabel(
                id=rid("label", i, who),
                instruction_id=rid("instruction", i),
                reviewer=who,
                verdict=verdict,
                tags=[],
                source="ui",
            )  # fmt: skip
            for i, who, verdict in LABELS
        )
    return factory


def test_review_summary_rates_and_checks_by_hand(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        s = review_summary(session)
    assert s is not None
    assert (s.labels, s.instructions, s.reviewers) == (6, 4, 2)
    assert s.overall["n"] == 4
    assert [s.overall[v]["count"] for v in ("good", "usable", "bad")] == [1, 1, 2]
    low, high = wilson(2, 4)
    assert (s.overall["bad"]["rate"], s.overall["bad"]["low"], s.overall["bad"]["high"]) == (0.5, low, high)
    assert {k: v["n"] for k, v in s.by_kind.items()} == {"cot": 1, "vqa": 3}
    assert {k: v["bad"]["count"] for k, v in s.by_modality.items()} == {"colour_fundus": 1, "oct": 1}
    checks = {name: (c.tp, c.fp, c.fn, c.tn) for name, c in s.checks}
    # The verifier rejected i2 (bad: caught) and i5 (usable: a false alarm), accepted i1 (good) and i4 (bad:
    # a miss); grounding decided the same; the length check ran on i2 only.
    assert checks == {VERIFIER: (1, 1, 1, 1), "grounded": (1, 1, 1, 1), "length": (1, 0, 0, 0)}
    assert dict(s.checks)[VERIFIER].precision == 0.5 and dict(s.checks)["length"].recall == 1.0


def test_review_section_on_the_page(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        html = render_page(build_report(session, Settings()))
    section = html[html.index('<section id="review">') : html.index('<section id="quality">')]
    assert "6 label(s) on 4 instruction(s) by 2 reviewer(s)" in section
    assert "(verifier: rejected)" in section and "kind: vqa" in section and "modality: oct" in section


def test_no_review_table_renders_nothing(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        session.execute(sa.text("DROP TABLE review_label"))  # a database from before the review migration
        assert review_summary(session) is None
        session.rollback()
