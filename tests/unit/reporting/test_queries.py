"""Each figure of the report, aggregated in Postgres, equals its hand count on the rows of rows.py."""

from __future__ import annotations

import pytest
from sqlalchemy import literal, select

from ophin.db.session import session_factory, session_scope
from ophin.reporting.metrics import Metric, metrics
from ophin.reporting.queries import (
    distribution,
    funnel,
    group_yield,
    modality_kind,
    reason_class,
    sample_frames,
    video_yield,
)
from ophin.settings import Settings
from tests.unit.reporting.rows import build


@pytest.fixture
def sessions(db_url, tmp_path):  # noqa: ANN001, ANN201
    factory = session_factory(Settings(db={"url": db_url}, home=tmp_path))
    with session_scope(factory) as session:
        build(session)
    return factory


def _metric(name: str) -> Metric:
    return next(m for m in metrics(Settings()) if m.name == name)


def test_reason_class_drops_particulars_so_reasons_group(sessions) -> None:  # noqa: ANN001
    cases = {
        "too blurred: sharpness 0.4 < 1.0": "too blurred",
        "only 12 word(s) spoken while on screen": "only N word(s) spoken while on screen",
        "near-duplicate of frame 0b6c1f0e-8a7d-5c3e-9f1a-2b4c6d8e0f12 (phash distance <= 6)": (
            "near-duplicate of frame ID"
        ),
        "modality slide not allowed (text 40%)": "modality slide not allowed",
        "text covers 45% of the image > 30%": "text covers N% of the image > N%",
    }
    with session_scope(sessions) as session:
        for text, expected in cases.items():
            assert session.scalar(select(reason_class(literal(text)))) == expected, text


def test_funnel_counts_each_stage_and_its_top_drop_reasons(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        stages = {s.name: s for s in funnel(session)}
    assert list(stages) == ["videos", "clips", "frames", "pairs", "cues", "instructions", "verification"]
    got = {name: (s.evaluated, s.kept, s.dropped) for name, s in stages.items()}
    assert got == {
        "videos": (3, 2, 1),  # C has no clip
        "clips": (3, 2, 1),  # A1's two frames were both dropped
        "frames": (6, 2, 4),
        "pairs": (5, 2, 3),
        "cues": (5, 2, 3),
        "instructions": (6, 5, 1),  # i3 failed; i6 is generated, not yet verified
        "verification": (4, 2, 2),
    }
    assert stages["videos"].reasons == [("transcribe failed: RuntimeError", 1)]
    assert stages["clips"].reasons == []
    assert stages["frames"].reasons == [
        ("too blurred", 2),
        ("a face is the main content", 1),
        ("near-duplicate of frame ID", 1),
    ]
    assert stages["pairs"].reasons == [("only N word(s) spoken while on screen", 2), ("no visual cue", 1)]
    assert stages["cues"].reasons == [("no visual term", 2), ("narration", 1)]
    assert stages["instructions"].reasons == [("timeout after N s", 1)]
    # Instructions per failed check: i2 failed two checks, each counts it once.
    assert stages["verification"].reasons == [("grounded", 2), ("length", 1)]


def test_funnel_keeps_only_the_top_reasons(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        frames = next(s for s in funnel(session, top=1) if s.name == "frames")
    assert frames.reasons == [("too blurred", 2)]


def test_grounding_histogram_percentiles_and_refusals(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        d = distribution(session, _metric("grounding"), bins=10)
    # Scores 0.93, 0.42, 0.75, 0.25 (the length check's NULL score is no grounding decision).
    assert (d.n, d.lo, d.hi, d.above) == (4, 0.0, 1.0, 0)
    assert d.counts == [0, 0, 1, 0, 1, 0, 0, 1, 0, 1]
    assert d.refused == 2  # below min_grounding 0.6
    assert d.percentiles[0.5] == pytest.approx((0.42 + 0.75) / 2)
    assert (d.minimum, d.maximum) == (0.25, 0.93)


def test_exposure_counts_refusals_on_both_sides(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        d = distribution(session, _metric("exposure"), bins=7)
    # 0.5, 0.95, 0.5, 0.6, 0.3, 0.3 in sevenths of [0, 1]; only 0.95 lies outside [0.2, 0.92].
    assert d.n == 6 and d.refused == 1
    assert d.counts == [0, 0, 2, 2, 1, 0, 1]


def test_unbounded_axis_ends_at_the_99th_percentile_and_counts_what_lies_past_it(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        d = distribution(session, _metric("sharpness"), bins=7)
    # 0.4, 0.7, 20, 20, 30, 50: p99 = 30 + 0.95 * (50 - 30) = 49; 50 lies past the axis.
    assert d.n == 6 and (d.lo, d.hi) == (0.0, pytest.approx(49.0)) and d.above == 1
    assert d.counts == [
        2,
        0,
        2,
        0,
        1,
        0,
        0,
    ]  # buckets of 7: [0, 7), [7, 14), [14, 21), [21, 28), [28, 35) ...
    assert d.refused == 2  # below min_sharpness 1.0


def test_face_share_is_over_frames_with_a_face_and_refuses_at_the_line(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        d = distribution(session, _metric("face_share"))
        cues = distribution(session, _metric("cue_score"))
        clinical = distribution(session, _metric("clinical"))
    assert d.n == 2 and d.refused == 1  # 0.06 >= 0.02; 0.01 kept (a blurred face)
    assert cues.n == 5 and cues.refused == 3  # 0.1, 0.2, 0.3 < 0.5
    assert clinical.n == 6 and clinical.refused == 1  # 0.2 < 0.5


def test_redacted_share_is_over_frames_that_measured_it_and_refuses_past_the_line(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        d = distribution(session, _metric("redacted"))
    assert d.n == 2 and d.refused == 1  # 0.35 > max_redacted_fraction 0.1; 0.02 kept


def test_a_metric_without_rows_is_an_empty_distribution(db_url, tmp_path) -> None:  # noqa: ANN001
    factory = session_factory(Settings(db={"url": db_url}, home=tmp_path))
    with session_scope(factory) as session:
        d = distribution(session, _metric("grounding"))
    assert d.n == 0 and sum(d.counts) == 0 and d.refused == 0


def test_modality_by_kind_counts_all_and_accepted(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        mk = modality_kind(session)
    assert mk.modalities == ["colour_fundus", "oct"] and mk.kinds == ["conversation", "cot", "vqa"]
    assert mk.all == {
        ("colour_fundus", "vqa"): 1,
        ("colour_fundus", "cot"): 1,
        ("colour_fundus", "conversation"): 1,
        ("oct", "vqa"): 2,
        ("oct", "cot"): 1,
    }
    assert {k: v for k, v in mk.accepted.items() if v} == {("colour_fundus", "vqa"): 1, ("oct", "vqa"): 1}
    assert mk.frames_kept == {"colour_fundus": 1, "oct": 1}


def test_video_yield_top_and_bottom(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        top, bottom = video_yield(session, n=2)
    assert [(v.title, v.frames_kept, v.instructions, v.accepted) for v in top] == [
        ("Lecture A", 1, 3, 1),
        ("Lecture B", 1, 3, 1),  # tied with A on accepted: by URL
    ]
    assert [(v.title, v.accepted) for v in bottom] == [("Lecture C", 0), ("Lecture A", 1)]
    assert top[0].per_minute == pytest.approx(0.5) and bottom[0].per_minute == 0.0


def test_group_yield_per_source_and_channel(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        groups = group_yield(session)
    got = {(g.by, g.name): (g.videos, g.minutes, g.frames_kept, g.instructions, g.accepted) for g in groups}
    assert got == {
        ("source", "Glaucoma search"): (1, 2.0, 1, 3, 1),  # A, named by its crawl source
        ("source", "url"): (2, 6.0, 1, 3, 1),  # B and C
        ("channel", "Chan1"): (2, 3.0, 2, 6, 2),
        ("channel", "unknown"): (1, 5.0, 0, 0, 0),
    }


def test_sample_frames_are_kept_ones_per_modality(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        built = sample_frames(session, per_modality=4)
    assert [(s.modality, s.object_key) for s in built] == [
        ("colour_fundus", "frames/f1.jpg"),
        ("oct", "frames/f5.jpg"),
    ]
    assert built[0].video_url == "https://example.org/a"
